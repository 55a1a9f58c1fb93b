# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Discovered InfiniBand links of one host against its planned cables.

Pure functions, Ansible module_utils style (stdlib only):

- ``discovered_links``: this host's ports (ib_facts port records, from ibstat) joined with
  the fabric discovery (parse_iblinkinfo entries, or ibnetdiscover --ports converted by
  ``entries_from_ibnetdiscover``). A port is found in the discovery by its port GUID; when
  the GUID is not there (ibstat failed, GUID not printed) by the node description
  ``<host> <ca>`` that the CA advertises, on its own entry or on the switch port facing it.
- ``compare``: the planned cables against those links, one plain sentence per problem::

    dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7
    dgx03 mlx5_1/1: link is Down (expected Active at 100 Gb/s)
    dgx03 mlx5_0/1: rate 56 Gb/s is below the planned 100 Gb/s
    dgx03 mlx5_3/1: port not found on this host
"""

from __future__ import annotations

import re

from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import norm_guid
from ansible_collections.deploy_pod.pod.plugins.module_utils.plan_types import Cable, split_port

__all__ = [
    "split_port",  # plan_types', re-exported for the callers of this module
    "switch_name",
    "link_rate_gbps",
    "normalize_expected",
    "entries_from_ibnetdiscover",
    "discovered_links",
    "uncovered_ports",
    "compare",
    "norm_desc",
    "is_infiniband",
]

# per-lane signalling as iblinkinfo prints it, and speed names -> 4X rate in Gb/s / 4
_LANE_GBPS = {
    2.5: 2.5, 5.0: 5.0, 10.0: 10.0, 10.3125: 10.0, 14.0625: 14.0, 25.78125: 25.0, 53.125: 50.0,
    106.25: 100.0, 212.5: 200.0,
}
_SPEED_NAMES = {"SDR": 2.5, "DDR": 5.0, "QDR": 10.0, "FDR10": 10.0, "FDR": 14.0, "EDR": 25.0, "HDR": 50.0,
                "NDR": 100.0, "XDR": 200.0}


_guid = norm_guid  # one GUID spelling for ibstat, iblinkinfo and ibnetdiscover


def norm_desc(text):
    """Node descriptions and switch names compared as the fabric means them: real switches pad
    theirs ('SwitchX -  Mellanox Technologies', space-padded NodeDescription), so outer blanks
    go and inner runs of blanks count as one space. None stays None."""
    if text is None:
        return None
    return " ".join(str(text).replace("\x00", " ").split())


def is_infiniband(port: dict) -> bool:
    """A port whose link layer is InfiniBand (ibstat's 'Link layer'; missing = InfiniBand). An
    Ethernet (RoCE) port of a VPI or Ethernet-only ConnectX is never queried through the fabric."""
    return norm_desc(port.get("link_layer") or "InfiniBand").lower() == "infiniband"


def _num(value):
    if value is None:
        return None
    f = float(value)
    return int(f) if f == int(f) else f


def switch_name(description: str | None) -> str | None:
    """'MF0;ib-sw1:MSB7800/U1' -> 'ib-sw1' (managed Mellanox switches carry their hostname
    between ';' and ':'); any other description comes back unchanged."""
    if description is None:
        return None
    desc = norm_desc(description)
    m = re.match(r"^MF0;([^:]+):", desc)
    return m.group(1).strip() if m else desc


def link_rate_gbps(width: str | None, speed: str | None):
    """iblinkinfo ('4X', '25.78125 Gbps') or ibnetdiscover ('4x', 'EDR') -> 100; None if unknown."""
    if not width or not speed:
        return None
    m = re.fullmatch(r"(\d+)X", str(width).strip().upper())
    if not m:
        return None
    lanes = int(m.group(1))
    s = str(speed).strip()
    lane = None
    mm = re.match(r"^(\d+(?:\.\d+)?)\s*Gbps$", s, re.IGNORECASE)
    if mm:
        raw = float(mm.group(1))
        lane = _LANE_GBPS.get(raw, raw)
    elif s.upper() in _SPEED_NAMES:
        lane = _SPEED_NAMES[s.upper()]
    if lane is None:
        return None
    return _num(lane * lanes)


def normalize_expected(expected: list) -> list[Cable]:
    """Planned cables (the plan's records, or Cables) -> [Cable]. Raises ValueError naming the bad entry."""
    return [Cable.from_dict(cable, f"expected[{i}]") for i, cable in enumerate(expected or [])]


def entries_from_ibnetdiscover(ports: list[dict]) -> list[dict]:
    """parse_ibnetdiscover_ports() -> entries shaped like parse_iblinkinfo()'s, so that
    ``discovered_links`` reads either. ibnetdiscover lists only linked ports as linked."""
    out = []
    for p in ports:
        kind = {"CA": "CA", "SW": "Switch", "RT": "Router"}.get(p.get("type"), p.get("type"))
        remote = p.get("remote")
        entry = {
            "node_type": kind,
            "node_name": norm_desc(p.get("name")),
            "node_guid": p.get("guid") if kind == "Switch" else None,
            "port_guid": p.get("guid") if kind != "Switch" else None,
            "lid": p.get("lid"),
            "port": p.get("port"),
            "width": (p.get("width") or "").upper() or None,
            "speed": p.get("speed"),
            "state": "Active" if remote else "Down",
            "phys_state": "LinkUp" if remote else None,
            "remote": None,
            "note": None,
        }
        if remote:
            entry["remote"] = {"lid": remote.get("lid"), "port": remote.get("port"),
                               "name": norm_desc(remote.get("name")), "guid": remote.get("guid"),
                               "switch_name": switch_name(remote.get("name"))}
        out.append(entry)
    return out


def _blank(name: str, ca: str, num: int) -> dict:
    return {"port": name, "ca": ca, "num": num, "state": None, "physical_state": None, "rate_gbps": None,
            "port_guid": None, "lid": None, "netdev": None, "switch": None, "switch_port": None,
            "switch_guid": None, "remote_description": None, "remote_type": None, "seen_by": [],
            "matched_by": None, "link_layer": "InfiniBand"}


def discovered_links(host: str, ports: list[dict], entries: list[dict],
                     switch_guids: dict | None = None) -> dict:
    """{'mlx5_0/1': link} for every port of this host.

    ports: ib_facts port records (name, ca, num, state, physical_state, rate_gbps,
    port_guid, lid, netdev) from this host's ibstat. entries: parse_iblinkinfo() entries (or
    entries_from_ibnetdiscover()), from one or several runs. switch_guids: {inventory switch
    name: GUID} for switches whose node description does not carry their name.

    link = {'port', 'ca', 'num', 'state', 'physical_state', 'rate_gbps' (local, from ibstat;
    from the discovery for ports ibstat did not show), 'port_guid', 'lid', 'netdev',
    'switch' (name; the far end's description when it is not a managed switch), 'switch_port',
    'switch_guid', 'remote_description', 'remote_type' ('Switch' | 'CA' | None),
    'seen_by': ['ibstat', 'discovery'], 'matched_by': 'port_guid' | 'node_description' | None,
    'link_layer' ('InfiniBand' | 'Ethernet')}. An Ethernet port is listed but never looked up in
    the discovery. Descriptions are compared with their padding removed (norm_desc).
    """
    name_of_guid = {_guid(g): norm_desc(n) for n, g in (switch_guids or {}).items() if _guid(g)}
    switch_by_lid: dict = {}
    for e in entries:
        if e.get("node_type") == "Switch" and e.get("lid") is not None:
            switch_by_lid.setdefault(e["lid"], (e.get("node_guid"), norm_desc(e.get("node_name"))))

    switch_guid_set = {_guid(g) for g, _ in switch_by_lid.values() if g}

    def far_name(description, guid):
        g = _guid(guid)
        if g and g in name_of_guid:
            return name_of_guid[g]
        return switch_name(description)

    ca_by_guid: dict = {}
    ca_by_desc: dict = {}
    facing: dict = {}  # (remote description, remote port) -> switch entry
    for e in entries:
        if e.get("node_type") == "Switch":
            r = e.get("remote")
            if r and r.get("name"):
                facing.setdefault((norm_desc(r["name"]), r["port"]), e)
            continue
        if e.get("port_guid"):
            ca_by_guid.setdefault(_guid(e["port_guid"]), e)
        if e.get("node_name"):
            ca_by_desc.setdefault((norm_desc(e["node_name"]), e["port"]), e)

    links: dict = {}
    for p in ports:
        link = _blank(p["name"], p["ca"], p["num"])
        link.update({k: p.get(k) for k in ("state", "physical_state", "rate_gbps", "lid", "netdev")})
        link["link_layer"] = norm_desc(p.get("link_layer")) or "InfiniBand"
        link["port_guid"] = _guid(p.get("port_guid"))
        link["seen_by"] = ["ibstat"]
        links[p["name"]] = link
    # ports ibstat did not show but the fabric knows under this host's node description
    prefix = f"{host} "
    for (desc, num), e in ca_by_desc.items():
        if not desc.startswith(prefix):
            continue
        ca = desc[len(prefix):].strip()
        if not ca or " " in ca:
            continue
        name = f"{ca}/{num}"
        if name in links:
            continue
        link = _blank(name, ca, num)
        link.update({"state": e.get("state"), "physical_state": e.get("phys_state"),
                     "rate_gbps": link_rate_gbps(e.get("width"), e.get("speed")) if e.get("state") == "Active"
                     else None, "port_guid": _guid(e.get("port_guid")), "lid": e.get("lid")})
        links[name] = link

    for link in links.values():
        if not is_infiniband(link):
            continue  # an Ethernet port has no place in the IB fabric: never looked up there
        desc = f"{host} {link['ca']}"
        e, how = None, None
        from_ibstat = "ibstat" in link["seen_by"]  # a GUID read from the discovery proves nothing
        if from_ibstat and link["port_guid"] and link["port_guid"] in ca_by_guid:
            e, how = ca_by_guid[link["port_guid"]], "port_guid"
        elif (desc, link["num"]) in ca_by_desc:
            e, how = ca_by_desc[(desc, link["num"])], "node_description"
        if e is not None and e.get("remote"):
            r = e["remote"]
            guid = r.get("guid") or (switch_by_lid.get(r.get("lid")) or (None, None))[0]
            is_switch = (_guid(guid) in switch_guid_set or _guid(guid) in name_of_guid
                         or (r.get("name") or "").startswith("MF0;"))
            link.update({"switch": far_name(r.get("name"), guid), "switch_port": r.get("port"),
                         "switch_guid": _guid(guid), "remote_description": r.get("name"),
                         "remote_type": "Switch" if is_switch else "CA", "matched_by": how})
            link["seen_by"] = link["seen_by"] + ["discovery"]
            continue
        if e is not None:
            link["seen_by"] = link["seen_by"] + ["discovery"]
            link["matched_by"] = how
        s = facing.get((desc, link["num"]))
        if s is not None:
            link.update({"switch": far_name(s.get("node_name"), s.get("node_guid")), "switch_port": s.get("port"),
                         "switch_guid": _guid(s.get("node_guid")), "remote_description": s.get("node_name"),
                         "remote_type": "Switch", "matched_by": link["matched_by"] or "node_description"})
            if "discovery" not in link["seen_by"]:
                link["seen_by"] = link["seen_by"] + ["discovery"]
    return links


def uncovered_ports(ports: list[dict], entries: list[dict]) -> list[dict]:
    """Active local InfiniBand ports whose GUID the discovery so far does not show (each needs its
    own `iblinkinfo -C ca -P port` run: two switches without an ISL are two subnets). Ethernet
    (RoCE) ports are left out: the fabric cannot be queried through them."""
    seen = {_guid(e.get("port_guid")) for e in entries if e.get("port_guid")}
    return [p for p in ports if p.get("state") == "Active" and is_infiniband(p) and p.get("port_guid")
            and _guid(p["port_guid"]) not in seen]


def _fmt(value) -> str:
    n = _num(value)
    return str(n)


def compare(host: str, expected: list, links: dict) -> list[str]:
    """Planned cables (Cables or the plan's records) against discovered_links()
    -> problems in plan order, at most one per port (the first that applies: not found,
    Ethernet link layer, not Active, wrong far end, rate below plan). Switch names are compared
    with padding removed: 'ib-sw1 ' is 'ib-sw1'."""
    problems = []
    for cable in normalize_expected(expected):
        port = cable.port
        where = f"{host} {port}"
        link = links.get(port)
        want_rate = cable.rate_gbps
        if link is None:
            problems.append(f"{where}: port not found on this host")
            continue
        if not is_infiniband(link):
            problems.append(f"{where}: link layer is {link.get('link_layer')}, not InfiniBand (an Ethernet port "
                            f"is not part of the IB fabric)")
            continue
        state = link.get("state") or "unknown"
        if state != "Active":
            want = f"Active at {_fmt(want_rate)} Gb/s" if want_rate else "Active"
            problems.append(f"{where}: link is {state} (expected {want})")
            continue
        if cable.switch is not None:
            want = f"{cable.switch} port {cable.switch_port}"
            if link.get("switch") is None:
                problems.append(f"{where}: expected {want}, found no link in the fabric discovery "
                                f"(the port is Active)")
                continue
            found = (norm_desc(link["switch"]), link.get("switch_port"))
            if found != (norm_desc(cable.switch), cable.switch_port):
                problems.append(f"{where}: expected {want}, found {link['switch']} port {link.get('switch_port')}")
                continue
        rate = link.get("rate_gbps")
        if want_rate and rate is not None and float(rate) < float(want_rate):
            problems.append(f"{where}: rate {_fmt(rate)} Gb/s is below the planned {_fmt(want_rate)} Gb/s")
    return problems
