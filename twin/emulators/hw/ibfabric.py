"""The subnet as infiniband-diags' libibnetdiscover sees it, built from the twin's fabric
file (stdlib only). Shared by the emulated iblinkinfo and ibnetdiscover.

Only Active links are discovered. Discovery starts at the local host's first Active port
(or the -C/-P port) and follows Active cables and ISLs, so two switches with no ISL between
them are two subnets, as on a real pod. Without a local hardware file (running on the
controller) every node is shown.
"""

from __future__ import annotations

import twinhw


class Port:
    def __init__(self, node: Node, num: int, guid: str, lid: int, info: dict | None):
        self.node, self.num, self.guid, self.lid = node, num, guid, lid
        info = info or {}
        self.state_num = info.get("state_num", 1)
        self.state = info.get("state", "Down")
        self.phys_num = info.get("phys_num", 2)
        self.phys_state = info.get("phys_state", "Polling")
        self.rate_gbps = info.get("rate_gbps", 10)
        self.width = info.get("width", "4X")
        self.remote: Port | None = None


class Node:
    def __init__(self, kind: str, guid: str, desc: str, lid: int, nports: int):
        self.kind, self.guid, self.desc, self.lid, self.nports = kind, guid, desc, lid, nports
        self.ports: dict[int, Port] = {}
        self.host = None
        self.ca = None
        self.hw_model = ""
        self.devid = 0


def _down(num: int) -> dict:
    return {"state_num": 1, "state": "Down", "phys_num": 2, "phys_state": "Polling", "rate_gbps": 10}


def build(fab: dict) -> tuple[list[Node], dict]:
    """All nodes (switches first, by LID; then CAs by host and name) and a CA index."""
    switches: dict[str, Node] = {}
    for sw in fab["switches"]:
        node = Node("SW", sw["guid"], sw["description"], sw["lid"], sw["ports"])
        for num in range(1, sw["ports"] + 1):
            node.ports[num] = Port(node, num, sw["guid"], 0, _down(num))
        node.hw_model = sw.get("hw_model", "")
        switches[sw["name"]] = node
    cas: dict[tuple[str, str], Node] = {}
    for link in sorted(fab["links"], key=lambda lk: (lk["host"], lk["ca"], lk["port"])):
        key = (link["host"], link["ca"])
        node = cas.get(key)
        if node is None:
            node = Node("CA", link["node_guid"], link["node_desc"], 0, 0)
            node.host, node.ca = link["host"], link["ca"]
            digits = "".join(ch for ch in str(link.get("ca_type") or "MT4115") if ch.isdigit())
            node.devid = int(digits or 0)
            cas[key] = node
        port = Port(node, link["port"], link["port_guid"], link["lid"], link)
        node.ports[link["port"]] = port
        node.nports = max(node.nports, link["port"])
        sw = switches.get(link.get("switch"))
        if sw is None or link["state_num"] != 4 or link.get("switch_port") not in sw.ports:
            continue
        sp = sw.ports[link["switch_port"]]
        sp.state_num, sp.state, sp.phys_num, sp.phys_state = 4, "Active", 5, "LinkUp"
        sp.rate_gbps, sp.width = link["rate_gbps"], link["width"]
        sp.remote, port.remote = port, sp
    for isl in fab.get("isls") or []:
        a, b = switches.get(isl["switch"]), switches.get(isl["peer"])
        if a is None or b is None or isl["state_num"] != 4:
            continue
        pa, pb = a.ports.get(isl["port"]), b.ports.get(isl["peer_port"])
        if pa is None or pb is None:
            continue
        for p in (pa, pb):
            p.state_num, p.state, p.phys_num, p.phys_state = 4, "Active", 5, "LinkUp"
            p.rate_gbps, p.width = isl["rate_gbps"], isl["width"]
        pa.remote, pb.remote = pb, pa
    nodes = sorted(switches.values(), key=lambda n: n.lid) + list(cas.values())
    return nodes, cas


def discover(fab: dict, hw: dict | None, ca_name: str | None = None, port_num: int | None = None):
    """(nodes reachable from the local port, error message or None).

    Like libibnetdiscover, discovery goes through switches only: a CA is an end point, so
    a dual-port CA cabled to two unconnected switches does not join their subnets, and
    only the CA ports reached from this subnet are shown.
    """
    nodes, cas = build(fab)
    if hw is None:
        for n in nodes:
            if n.kind == "CA":
                n.ports = {k: p for k, p in n.ports.items() if p.remote is not None}
        return [n for n in nodes if n.kind == "SW" or n.ports], None
    start = None
    for hca in hw.get("hcas") or []:
        if ca_name and hca["name"] != ca_name:
            continue
        for p in hca["ports"]:
            if port_num and p["num"] != port_num:
                continue
            node = cas.get((hw["host"], hca["name"]))
            if p["state_num"] == 4 and node and p["num"] in node.ports and node.ports[p["num"]].remote:
                start = node.ports[p["num"]]
                break
        if start:
            break
    if start is None:
        return [], "Failed to discover fabric"
    shown = {id(start)}
    seen = {id(start.remote.node)}
    todo = [start.remote.node]
    while todo:
        switch = todo.pop()
        for p in switch.ports.values():
            r = p.remote
            if r is None:
                continue
            if r.node.kind == "SW":
                if id(r.node) not in seen:
                    seen.add(id(r.node))
                    todo.append(r.node)
            else:
                shown.add(id(r))
    out = []
    for n in nodes:
        if n.kind == "SW" and id(n) in seen:
            out.append(n)
        elif n.kind == "CA":
            n.ports = {k: p for k, p in n.ports.items() if id(p) in shown}
            if n.ports:
                out.append(n)
    return out, None


def load_views(tool: str, argv: list[str]):
    """Common option handling: -C ca, -P port. Returns (nodes, remaining args)."""
    ca_name, port_num, rest = None, None, []
    it = iter(argv)
    for a in it:
        if a in ("-C", "--Ca"):
            ca_name = next(it, None)
        elif a in ("-P", "--Port"):
            port_num = int(next(it, "0"))
        else:
            rest.append(a)
    fab = twinhw.fabric_or_die(tool)
    try:
        hw = twinhw.load_hardware()
    except twinhw.TwinHardwareError:
        hw = None
    nodes, err = discover(fab, hw, ca_name, port_num)
    return nodes, err, rest
