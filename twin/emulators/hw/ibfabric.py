"""The subnet as infiniband-diags' libibnetdiscover sees it, built from the twin's fabric
file (stdlib only). Shared by the emulated iblinkinfo and ibnetdiscover.

Only Active InfiniBand links are discovered: a link whose link_layer is Ethernet (a RoCE port
cabled to an Ethernet switch) is no part of the subnet and is dropped, as are the local host's
Ethernet ports. Discovery starts at the local host's first Active port
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
        if link.get("link_layer") == "Ethernet":
            continue
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
    if hw is not None:  # this host knows which of its ports are Ethernet even if the fabric file does not
        eth = {(hw["host"], h["name"], p["num"]) for h in hw.get("hcas") or [] for p in h["ports"]
               if p.get("link_layer") == "Ethernet"}
        if eth:
            fab = {**fab, "links": [lk for lk in fab["links"] if (lk["host"], lk["ca"], lk["port"]) not in eth]}
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
            if (p["state_num"] == 4 and p.get("link_layer") != "Ethernet" and node and p["num"] in node.ports
                    and node.ports[p["num"]].remote):
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


CA_PORT_OPTIONS = [
    ("Ca", "C", 1, "<ca>", "Ca name to use"),
    ("Port", "P", 1, "<port>", "Ca port number to use"),
]


def load_views(tool: str, argv: list[str], options: list[tuple], args: str = ""):
    """Option handling of the infiniband-diags fabric tools (ibdiag_process_opts: unknown option
    -> getopt's message and the usage on stderr, exit 2), then discovery from -C ca / -P port.
    Returns (nodes, error message or None, {long option name: value})."""
    opts, _operands = twinhw.ibdiag_options(tool, argv, options, args)
    given = dict(opts)
    port_num = None
    if given.get("Port") is not None:
        try:
            port_num = int(given["Port"], 0)
        except ValueError:
            port_num = 0
    fab = twinhw.fabric_or_die(tool)
    try:
        hw = twinhw.load_hardware()
    except twinhw.TwinHardwareError:
        hw = None
    nodes, err = discover(fab, hw, given.get("Ca"), port_num)
    return nodes, err, given
