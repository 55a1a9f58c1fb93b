#!/usr/bin/python3
"""Emulated ibdev2netdev for the deploy-pod twin.

The real tool is a MLNX OFED script (mlnx-ofed-kernel-utils); upstream rdma-core has none
(its nearest is iproute2's `rdma link`). DGX OS and ESS nodes run MLNX OFED, so roles call
ibdev2netdev; the twin ships it in its rdma-core package. `(Up)` when the IB port is Active,
`(Down)` otherwise; facts from the hardware file.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

DESCRIPTIONS = {"MT4115": "ConnectX-4 VPI adapter", "MT4117": "ConnectX-4 Lx", "MT4119": "ConnectX-5 VPI adapter",
                "MT4121": "ConnectX-5 Ex", "MT4123": "ConnectX-6 VPI adapter", "MT4125": "ConnectX-6 Dx",
                "MT4129": "ConnectX-7 VPI adapter", "MT4099": "ConnectX-3 VPI adapter"}


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    if "-h" in argv or "--help" in argv:
        print("Usage: ibdev2netdev [-v] [-h]")
        return 0
    hw = twinhw.load_or_die("ibdev2netdev")
    for ca in hw["hcas"]:
        for p in ca["ports"]:
            if not p.get("netdev"):
                continue
            link = "Up" if p["state_num"] == 4 else "Down"
            if verbose:
                desc = ca.get("description") or DESCRIPTIONS.get(ca["ca_type"], "ConnectX adapter")
                state = twinhw.PORT_STATES.get(p["state"].lower(), (4, "Active"))[1].upper()
                print(f"{ca.get('pci_addr', '0000:00:00.0')} {ca['name']} ({ca['ca_type']} - {ca['board_id']}) "
                      f"{desc} fw {ca['fw']} port {p['num']} ({state}) ==> {p['netdev']} ({link})")
            else:
                print(f"{ca['name']} port {p['num']} ==> {p['netdev']} ({link})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
