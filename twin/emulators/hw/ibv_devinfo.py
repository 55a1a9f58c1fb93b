#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated ibv_devinfo and ibv_devices (ibverbs-utils) for the deploy-pod twin, format of
libibverbs/examples/devinfo.c; facts from the hardware file. -v adds the common port fields."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

PORT_STATES = {1: "PORT_DOWN", 2: "PORT_INIT", 3: "PORT_ARMED", 4: "PORT_ACTIVE"}
PHYS = {1: "SLEEP", 2: "POLLING", 3: "DISABLED", 4: "PORT_CONFIGURATION TRAINING", 5: "LINK_UP",
        6: "LINK_ERROR_RECOVERY", 7: "PHY TEST"}
MTU = {256: 1, 512: 2, 1024: 3, 2048: 4, 4096: 5}
WIDTH = {"1X": 1, "4X": 2, "8X": 4, "12X": 8, "2X": 16}
USAGE = """Usage: ibv_devinfo             print the ca attributes

Options:
  -d, --ib-dev=<dev>     use IB device <dev> (default first device found)
  -i, --ib-port=<port>   use port <port> of IB device (default all ports)
  -l, --list             print only the IB devices names
  -v, --verbose          print all the attributes of the IB device(s)
"""
OPTIONS = [("ib-dev", "d", True), ("ib-port", "i", True), ("list", "l", False), ("verbose", "v", False)]


def device(ca: dict, only_port: int | None, verbose: bool) -> str:
    out = [
        f"hca_id:\t{ca['name']}\n",
        "\ttransport:\t\t\tInfiniBand (0)\n",
        f"\tfw_ver:\t\t\t\t{ca['fw']}\n",
        f"\tnode_guid:\t\t\t{twinhw.colon_guid(ca['node_guid'])}\n",
        f"\tsys_image_guid:\t\t\t{twinhw.colon_guid(ca['sys_guid'])}\n",
        "\tvendor_id:\t\t\t0x02c9\n",
        f"\tvendor_part_id:\t\t\t{ca['vendor_part_id']}\n",
        f"\thw_ver:\t\t\t\t0x{int(ca['hw_ver'], 0):X}\n",
        f"\tboard_id:\t\t\t{ca['board_id']}\n",
        f"\tphys_port_cnt:\t\t\t{len(ca['ports'])}\n",
    ]
    if verbose:
        out += [
            "\tmax_mr_size:\t\t\t0xffffffffffffffff\n",
            "\tpage_size_cap:\t\t\t0xfffffffffffff000\n",
            "\tmax_qp:\t\t\t\t262144\n",
            "\tmax_qp_wr:\t\t\t32768\n",
            "\tmax_cq:\t\t\t\t16777216\n",
            "\tmax_mr:\t\t\t\t16777216\n",
            "\tmax_pd:\t\t\t\t16777216\n",
        ]
    for p in ca["ports"]:
        if only_port is not None and p["num"] != only_port:
            continue
        mtu = MTU.get(p["mtu"], 5)
        out += [
            f"\t\tport:\t{p['num']}\n",
            f"\t\t\tstate:\t\t\t{PORT_STATES.get(p['state_num'], 'PORT_NOP')} ({p['state_num']})\n",
            "\t\t\tmax_mtu:\t\t4096 (5)\n",
            f"\t\t\tactive_mtu:\t\t{p['mtu']} ({mtu})\n",
            f"\t\t\tsm_lid:\t\t\t{p['sm_lid']}\n",
            f"\t\t\tport_lid:\t\t{p['lid']}\n",
            f"\t\t\tport_lmc:\t\t0x{p['lmc']:02x}\n",
            f"\t\t\tlink_layer:\t\t{p['link_layer']}\n",
        ]
        if verbose:
            _, _, active_speed, speed_enum = twinhw.speed(p["rate_gbps"], p["width"])
            out += [
                "\t\t\tmax_msg_sz:\t\t0x40000000\n",
                f"\t\t\tport_cap_flags:\t\t{p['cap_mask']}\n",
                "\t\t\tmax_vl_num:\t\t4 (3)\n",
                "\t\t\tbad_pkey_cntr:\t\t0x0\n",
                "\t\t\tqkey_viol_cntr:\t\t0x0\n",
                "\t\t\tsm_sl:\t\t\t0\n",
                "\t\t\tpkey_tbl_len:\t\t128\n",
                "\t\t\tgid_tbl_len:\t\t8\n",
                "\t\t\tsubnet_timeout:\t\t18\n",
                "\t\t\tinit_type_reply:\t0\n",
                f"\t\t\tactive_width:\t\t{p['width']} ({WIDTH.get(p['width'], 2)})\n",
                f"\t\t\tactive_speed:\t\t{active_speed} ({speed_enum})\n",
                f"\t\t\tphys_state:\t\t{PHYS.get(p['phys_num'], 'UNKNOWN')} ({p['phys_num']})\n",
                f"\t\t\tGID[  0]:\t\t{twinhw.default_gid(p['port_guid'])}\n",
            ]
        out.append("\n")
    return "".join(out)


def devices_main() -> int:
    """ibv_devices (libibverbs/examples/devices.c)."""
    hw = twinhw.load_or_die("ibv_devices")
    print("    %-16s\t   node GUID" % "device")
    print("    %-16s\t----------------" % "------")
    for ca in hw["hcas"]:
        print("    %-16s\t%016x" % (ca["name"], twinhw.guid_int(ca["node_guid"])))
    return 0


def main(argv: list[str]) -> int:
    if os.path.basename(sys.argv[0]).startswith("ibv_devices"):
        return devices_main()
    # libibverbs/examples/devinfo.c: getopt_long "d:i:lv" (no -h); a bad option gets getopt's
    # message on stderr, the usage on stdout and exit status 255 (return -1); -i <= 0 the usage, 1
    try:
        opts, _operands = twinhw.getopt(argv, OPTIONS)  # operands are ignored, as by the real tool
    except twinhw.GetoptError as exc:
        sys.stderr.write(f"ibv_devinfo: {exc}\n")
        sys.stdout.write(USAGE)
        return 255
    dev, port, verbose, list_only = None, None, False, False
    for name, value in opts:
        if name == "ib-dev":
            dev = value
        elif name == "ib-port":
            try:
                port = int(value, 0)
            except ValueError:
                port = 0
            if port <= 0:
                sys.stdout.write(USAGE)
                return 1
        elif name == "verbose":
            verbose = True
        elif name == "list":
            list_only = True
            break  # the real tool prints the list as soon as it meets -l
    hw = twinhw.load_or_die("ibv_devinfo")
    cas = hw["hcas"]
    if list_only:
        print(f"{len(cas)} HCA{'s' if len(cas) != 1 else ''} found:")
        for ca in cas:
            print(f"\t{ca['name']}")
        print()
        return 0
    if not cas:
        sys.stderr.write("No IB devices found\n")
        return 255
    if dev is not None:
        ca = twinhw.find_hca(hw, dev)
        if ca is None:
            sys.stderr.write(f"IB device '{dev}' wasn't found\n")
            return 255
        cas = [ca]
    sys.stdout.write("".join(device(ca, port, verbose) for ca in cas))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
