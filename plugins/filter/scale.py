# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Filters of the Spectrum Scale roles: verbsPorts from what the hosts report, not from a constant.

Pure functions (unit-tested in tests/unit/test_scale_filters.py); no parsing in Jinja.
"""

from __future__ import annotations

DOCUMENTATION = ""


def active_ib_ports(ports: list[dict]) -> list[str]:
    """HCA ports (mlx5_0/1) that are Active with an InfiniBand link layer (an Ethernet port of a VPI
    or dual-personality card is no verbs port for Scale's IB fabric)."""
    return [p["name"] for p in ports or []
            if p.get("state") == "Active" and (p.get("link_layer") or "InfiniBand") == "InfiniBand"]


def verbs_ports(planned: list[str], ports: list[dict]) -> list[str]:
    """The planned verbsPorts entries (mlx5_0/1 or mlx5_0/1/2 with a rail) whose port is active."""
    active = set(active_ib_ports(ports))
    return [v for v in planned or [] if "/".join(v.split("/")[:2]) in active]


def with_verbs_ports(config: list[dict], discovered: dict[str, list[str]]) -> list[dict]:
    """The plan's configuration with each node's verbsPorts replaced by what it discovered
    ({daemon name: entries}); a node with no active port gets none (the role stops before)."""
    out = []
    for c in config:
        if c.get("attr") == "verbsPorts" and c.get("scope") in discovered:
            if not discovered[c["scope"]]:
                continue
            c = {**c, "value": " ".join(discovered[c["scope"]])}
        out.append({"attr": c["attr"], "value": str(c["value"]), "scope": c.get("scope", "")})
    return out


class FilterModule:
    def filters(self):
        return {"scale_active_ib_ports": active_ib_ports, "scale_verbs_ports": verbs_ports,
                "scale_with_verbs_ports": with_verbs_ports}
