#!/usr/bin/python3
"""Emulated ibstat (infiniband-diags) for the deploy-pod twin: same output as the real tool,
facts from the twin's hardware file (see twinhw.py). Tabs as the real binary prints them."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

OPTIONS = [  # ibstat.c custom options, then the common ones it keeps (it excludes "CDeGKLPsty")
    ("list_of_cas", "l", 0, None, "list all IB devices"),
    ("short", "s", 0, None, "short output"),
    ("port_list", "p", 0, None, "show port list"),
    ("config", "z", 1, "<config>", f"use config file, default: {twinhw.IBDIAG_CONFIG}"),
    ("verbose", "v", 0, None, "increase verbosity level"),
    ("debug", "d", 0, None, "raise debug level"),
    ("help", "h", 0, None, "help message"),
    ("version", "V", 0, None, "show version"),
]
EXAMPLES = ["-l       # list all IB devices", "mthca0 2 # stat port 2 of 'mthca0'"]


def ibpanic(msg: str) -> None:
    twinhw.die(f"ibpanic: [{os.getpid()}] main: {msg}", 255)


def port_dump(port: dict, alone: bool) -> list[str]:
    pre, hdr = ("", "") if alone else ("\t\t", "\t")
    return [
        f"{hdr}Port {port['num']}:",
        f"{pre}State: {port['state']}",
        f"{pre}Physical state: {port['phys_state']}",
        f"{pre}Rate: {port['rate_gbps']}",
        f"{pre}Base lid: {port['lid']}",
        f"{pre}LMC: {port['lmc']}",
        f"{pre}SM lid: {port['sm_lid']}",
        f"{pre}Capability mask: 0x{int(str(port['cap_mask']), 16):08x}",
        f"{pre}Port GUID: {port['port_guid']}",
        f"{pre}Link layer: {port['link_layer']}",
    ]


def ca_dump(ca: dict, short: bool = False) -> list[str]:
    lines = [
        f"CA '{ca['name']}'",
        f"\tCA type: {ca['ca_type']}",
        f"\tNumber of ports: {len(ca['ports'])}",
        f"\tFirmware version: {ca['fw']}",
        f"\tHardware version: {ca['hw_ver']}",
        f"\tNode GUID: {ca['node_guid']}",
        f"\tSystem image GUID: {ca['sys_guid']}",
    ]
    if not short:
        for port in ca["ports"]:
            lines += port_dump(port, False)
    return lines


def main(argv: list[str]) -> int:
    opts, args = twinhw.ibdiag_options("ibstat", argv, OPTIONS, "<ca_name> [portnum]", EXAMPLES)
    flags = {"list_of_cas": "l", "short": "s", "port_list": "p"}
    flags = {flags[name] for name, _ in opts if name in flags}
    hw = twinhw.load_or_die("ibstat")
    cas = hw["hcas"]
    if "l" in flags:
        for ca in cas:
            print(ca["name"])
        return 0
    if not args:
        if not cas:
            ibpanic("can't list IB device names")
        out = []
        for ca in cas:
            if "p" in flags:
                out += [p["port_guid"] for p in ca["ports"]]
            else:
                out += ca_dump(ca, "s" in flags)
        print("\n".join(out))
        return 0
    ca = twinhw.find_hca(hw, args[0])
    if ca is None:
        ibpanic(f"stat of IB device '{args[0]}' failed: No such file or directory")
    if len(args) > 1:
        try:
            num = int(args[1], 0)
        except ValueError:
            num = -1
        port = next((p for p in ca["ports"] if p["num"] == num), None)
        if port is None:
            ibpanic(f"stat of IB device '{args[0]}' port {args[1]} failed: No such file or directory")
        print("\n".join(port_dump(port, True)))
        return 0
    if "p" in flags:
        print("\n".join(p["port_guid"] for p in ca["ports"]))
    else:
        print("\n".join(ca_dump(ca, "s" in flags)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
