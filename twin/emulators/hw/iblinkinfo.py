#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated iblinkinfo (infiniband-diags) for the deploy-pod twin: every node's ports with the
node and port at the far end of the cable, in the format of infiniband-diags/iblinkinfo.c.
Facts from the pod-wide fabric file; see ibfabric.py for what is discovered."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import ibfabric  # noqa: E402
import twinhw  # noqa: E402


def link_str(p: ibfabric.Port) -> str:
    if p.state_num == 1:
        return "(              %6s/%8s)" % (p.state, p.phys_state)
    per_lane = twinhw.speed(p.rate_gbps, p.width)[1]
    return "(%3s %18s %6s/%8s)" % (p.width, per_lane, p.state, p.phys_state)


def remote_str(p: ibfabric.Port, line_mode: bool) -> str:
    r = p.remote
    if r is None:
        if p.state_num == 1:
            return '           [  ] "" ( )'
        return '    "Port not available"'
    rguid = f"{r.guid} " if line_mode else ""
    rlid = r.lid if r.lid else r.node.lid
    return '%s%6d %4d[%2s] "%s" (%s %s)' % (rguid, rlid, r.num, "", r.node.desc, "", "")


def port_line(node: ibfabric.Node, p: ibfabric.Port, line_mode: bool) -> str:
    prefix = '%s "%30s" ' % (p.guid, node.desc) if line_mode else "      "
    if node.kind != "SW":
        if not line_mode:
            prefix += f"{p.guid} "
        return prefix + "%6d %4d[%2s] ==%s==>  %s" % (p.lid, p.num, "", link_str(p), remote_str(p, line_mode))
    return prefix + "%6d %4d[%2s] ==%s==>  %s" % (node.lid, p.num, "", link_str(p), remote_str(p, line_mode))


OPTIONS = [  # the iblinkinfo.c options the twin emulates; the others are refused as unknown
    ("switch", "S", 1, "<port_guid>", "start partial scan at the port specified by <port_guid> (hex format)"),
    ("port-guid", "G", 1, "<port_guid>", "(same as -S)"),
    ("down", "d", 0, None, "print only down links"),
    ("line", "l", 0, None, "(line mode) print all information for each link on a single line"),
    ("switches-only", None, 0, None, "print only switches"),
    ("cas-only", None, 0, None, "print only CAs"),
] + ibfabric.CA_PORT_OPTIONS + twinhw.IBDIAG_COMMON


def main(argv: list[str]) -> int:
    nodes, err, given = ibfabric.load_views("iblinkinfo", argv, OPTIONS)
    if err:
        twinhw.die(f"ibwarn: [{os.getpid()}] ibnd_discover_fabric: {err}\n"
                   f"src/iblinkinfo.c:{os.getpid() % 900 + 100}; {err}", 255)
    line_mode = "line" in given
    down_only = "down" in given
    guid = given.get("switch") or given.get("port-guid")
    only_guid = twinhw.guid_int(guid) if guid else None
    kinds = {"SW", "CA"}
    if "switches-only" in given:
        kinds = {"SW"}
    if "cas-only" in given:
        kinds = {"CA"}
    # CAs first, then switches, as the fabric list comes out of libibnetdiscover
    ordered = [n for n in nodes if n.kind == "CA"] + [n for n in nodes if n.kind == "SW"]
    out = []
    for node in ordered:
        if node.kind not in kinds:
            continue
        if only_guid is not None and twinhw.guid_int(node.guid) != only_guid:
            continue
        ports = [node.ports[num] for num in sorted(node.ports)]
        if down_only:
            ports = [p for p in ports if p.state_num == 1]
            if not ports:
                continue
        if not line_mode:
            if node.kind == "SW":
                out.append(f"Switch: {node.guid} {node.desc}:")
            else:
                out.append(f"CA: {node.desc}:")
        for p in ports:
            out.append(port_line(node, p, line_mode))
    if out:
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
