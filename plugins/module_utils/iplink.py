# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""`ip -j addr show dev IFACE` (iproute2 JSON) parsed and compared with a planned address and MTU.

Used by the ip_addr_check module, which the infiniband and mgmt_network roles call instead of
parsing the JSON in Jinja. Ansible module_utils style: stdlib only, pure functions.
"""

from __future__ import annotations

import json

__all__ = ["parse_ip_addr", "link_state", "compare_link"]


def parse_ip_addr(text: str) -> list[dict]:
    """The interfaces of `ip -j addr show [dev IFACE]`: iproute2 prints a JSON list (one object per
    interface, possibly empty). Some versions print nothing for an empty list. ValueError on
    anything that is not such a list."""
    text = (text or "").strip()
    if not text:
        return []
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise ValueError("`ip -j addr` did not print a JSON list of interfaces")
    # `ip -j addr` prints an empty {} for a link filtered out by some iproute2 versions
    return [i for i in data if i.get("ifname")]


def link_state(iface: dict | None) -> dict:
    """One interface of parse_ip_addr() -> {'exists', 'ifname', 'link_type', 'mtu', 'operstate',
    'addresses': ['10.0.0.1/24', ...] (IPv4, in order), 'addresses6': [...]}."""
    if not iface:
        return {"exists": False, "ifname": None, "link_type": None, "mtu": None, "operstate": None,
                "addresses": [], "addresses6": []}

    def family(name: str) -> list[str]:
        return [f"{a.get('local')}/{a.get('prefixlen')}" for a in iface.get("addr_info") or []
                if a.get("family") == name and a.get("local")]

    mtu = iface.get("mtu")
    return {"exists": True, "ifname": iface.get("ifname"), "link_type": iface.get("link_type"),
            "mtu": int(mtu) if mtu is not None else None, "operstate": iface.get("operstate"),
            "addresses": family("inet"), "addresses6": family("inet6")}


def compare_link(state: dict, address: str | None = None, mtu: int | None = None) -> dict:
    """link_state() against the plan: address 'A.B.C.D/P' (None: not compared), mtu (None: not
    compared; IPv4 or IPv6) -> {'has_ip': the IP is on the link (any prefix), 'address_ok': IP and prefix,
    'mtu_ok', 'in_sync': all that was asked holds, 'differences': plain sentences}."""
    diffs: list[str] = []
    name = state.get("ifname") or "the interface"
    has_ip = address_ok = mtu_ok = bool(state.get("exists"))
    if not state.get("exists"):
        diffs.append("the interface does not exist")
    if state.get("exists") and address:
        ip = address.split("/")[0]
        every = state["addresses"] + state.get("addresses6", [])  # an IPv6 plan compares with IPv6
        has_ip = ip in [a.split("/")[0] for a in every]
        address_ok = address in every if "/" in address else has_ip
        if not address_ok:
            found = ", ".join(state["addresses"]) or "no IPv4 address"
            diffs.append(f"{name} has {found}, the plan says {address}")
    if state.get("exists") and mtu is not None:
        mtu_ok = state.get("mtu") == int(mtu)
        if not mtu_ok:
            diffs.append(f"{name} has MTU {state.get('mtu')}, the plan says {int(mtu)}")
    return {"has_ip": has_ip, "address_ok": address_ok, "mtu_ok": mtu_ok,
            "in_sync": bool(state.get("exists")) and address_ok and mtu_ok, "differences": diffs}
