#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated ibnetdiscover (infiniband-diags) for the deploy-pod twin.

Supported: -p/--ports (the port report of ibnetdiscover.c dump_ports_report) and
-l/--list, -S/--Switch_list, -H/--Hca_list, -R/--Router_list (node lists), -C/-P, -t, -z. The default topology-file
output is not emulated: without one of those options the twin fails and says so on stderr
(rather than print a layout the real tool does not print there).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import ibfabric  # noqa: E402
import twinhw  # noqa: E402


def width_speed(p: ibfabric.Port) -> str:
    name = twinhw.speed(p.rate_gbps, p.width)[0]
    return f"{p.width.lower()} {name}"


def ports_report(nodes: list) -> list[str]:
    out = []
    for node in [n for n in nodes if n.kind == "CA"] + [n for n in nodes if n.kind == "SW"]:
        for num in sorted(node.ports, reverse=True):
            p = node.ports[num]
            lid = node.lid if node.kind == "SW" else p.lid
            line = "%2s %5d %2d %s %s" % (node.kind, lid, p.num, p.guid, width_speed(p))
            r = p.remote
            if r is not None:
                rlid = r.node.lid if r.node.kind == "SW" else r.lid
                line += " - %2s %5d %2d %s ( '%s' - '%s' )" % (r.node.kind, rlid, r.num, r.guid,
                                                             node.desc, r.node.desc)
            else:
                line += "%36s'%s'" % ("", node.desc)
            out.append(line)
    return out


SWITCH_DEVID = {"sb7700": 0xCB20, "sb7800": 0xCF08, "sb7890": 0xCF08, "qm8700": 0xD2F0,
                "qm8790": 0xD2F0, "qm9700": 0xD2F2, "qm9790": 0xD2F2}


def node_list(nodes: list, kinds: set[str]) -> list[str]:
    """ibnetdiscover.c list_node()."""
    out = []
    for node in nodes:
        if node.kind not in kinds:
            continue
        if node.kind == "SW":
            label, devid = "Switch", SWITCH_DEVID.get(node.hw_model, 0xCF08)
        else:
            label, devid = "Ca", node.devid
        out.append('%s\t: %s ports %d devid 0x%x vendid 0x2c9 "%s"' % (label, node.guid, node.nports, devid, node.desc))
    return out


OPTIONS = [  # the ibnetdiscover.c options the twin emulates; the others are refused as unknown
    ("list", "l", 0, None, "list of connected nodes"),
    ("Hca_list", "H", 0, None, "list of connected CAs"),
    ("Switch_list", "S", 0, None, "list of connected switches"),
    ("Router_list", "R", 0, None, "list of connected routers"),
    ("ports", "p", 0, None, "obtain a ports report"),
] + ibfabric.CA_PORT_OPTIONS + twinhw.IBDIAG_COMMON


def main(argv: list[str]) -> int:
    nodes, err, given = ibfabric.load_views("ibnetdiscover", argv, OPTIONS, "[<topology-file>]")
    if err:
        twinhw.die(f"ibwarn: [{os.getpid()}] ibnd_discover_fabric: {err}\n"
                   f"src/ibnetdisc.c:{os.getpid() % 900 + 100}; {err}", 255)
    if "list" in given:
        lines = node_list(nodes, {"SW", "CA"})
    elif "Switch_list" in given:
        lines = node_list(nodes, {"SW"})
    elif "Hca_list" in given:
        lines = node_list(nodes, {"CA"})
    elif "Router_list" in given:
        lines = []  # a pod fabric has no IB routers
    else:
        if "ports" not in given:
            twinhw.die("ibnetdiscover: the topology file output is not emulated by the deploy-pod twin; "
                       "use -p/--ports or a node list (-l, -S, -H, -R)", 1)
        lines = ports_report(nodes)
    if lines:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
