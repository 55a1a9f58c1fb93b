#!/usr/bin/python3
"""Emulated ibdev2netdev for the deploy-pod twin.

The real tool is a MLNX OFED shell script (mlnx-ofed-kernel-utils); upstream rdma-core has none
(its nearest is iproute2's `rdma link`). DGX OS and ESS nodes run MLNX OFED, so roles call
ibdev2netdev; the twin ships it in its rdma-core package. Facts from the hardware file.

As the script does, the state in the last parentheses is the netdev's own operstate,
capitalised ("Up", "Down", "Unknown", ...), read from /sys/class/net/NAME/operstate (env
DEPLOY_POD_TWIN_SYSFS_NET replaces /sys/class/net); the IB port state appears only with -v
("port 1 (ACTIVE)", padded to 6 columns). A netdev whose port is not Active has no carrier,
so its operstate is down whatever the interface says. Without such an interface in the
container, the port's "netdev_state" in the hardware file stands in (default "up").
Options: -v/--verbose, -h/--help; anything else prints the usage on stdout and exits 255
(the script's `exit -1`), as does more than one argument.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

DESCRIPTIONS = {"MT4115": "ConnectX-4 VPI adapter", "MT4117": "ConnectX-4 Lx", "MT4119": "ConnectX-5 VPI adapter",
                "MT4121": "ConnectX-5 Ex", "MT4123": "ConnectX-6 VPI adapter", "MT4125": "ConnectX-6 Dx",
                "MT4129": "ConnectX-7 VPI adapter", "MT4099": "ConnectX-3 VPI adapter"}
SYSFS_NET_ENV = "DEPLOY_POD_TWIN_SYSFS_NET"
USAGE = ("ibdev2netdev <options>\n"
         "-h, --help                print help message\n"
         "-v, --verbose             print more info\n")


def operstate(port: dict) -> str:
    """What `cat /sys/class/net/NAME/operstate` gives, capitalised as the script prints it."""
    root = os.environ.get(SYSFS_NET_ENV) or "/sys/class/net"
    try:
        with open(os.path.join(root, port["netdev"], "operstate"), encoding="utf-8") as fh:
            state = fh.read().strip()
    except OSError:
        state = str(port.get("netdev_state") or "up")
    if port["state_num"] != 4:
        state = "down"  # no carrier on a netdev whose port is not Active
    state = state.lower() or "unknown"
    return state[:1].upper() + state[1:]


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if len(argv) > 1 or (argv and argv[0] not in ("-v", "--verbose")):
        sys.stdout.write(USAGE)
        return 255
    verbose = bool(argv)
    hw = twinhw.load_or_die("ibdev2netdev")
    for ca in hw["hcas"]:
        for p in ca["ports"]:
            if not p.get("netdev"):
                continue
            link = operstate(p)
            if verbose:
                desc = ca.get("description") or DESCRIPTIONS.get(ca["ca_type"], "ConnectX adapter")
                state = twinhw.PORT_STATES.get(p["state"].lower(), (4, "Active"))[1].upper()
                print(f"{ca.get('pci_addr', '0000:00:00.0')} {ca['name']} ({ca['ca_type']} - {ca['board_id']}) "
                      f"{desc} fw {ca['fw']} port {p['num']} ({state:<6}) ==> {p['netdev']} ({link})")
            else:
                print(f"{ca['name']} port {p['num']} ==> {p['netdev']} ({link})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
