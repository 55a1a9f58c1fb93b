"""The hardware catalog: a data file of models, each figure with its source.

Entries are plain dicts (the YAML as written) so the twin, the planner and Ansible
content all read the same thing; the helpers below compute what the rules need.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

KINDS = ("gpu_server", "storage_unit", "ib_switch", "mgmt_switch")

# Figures each kind must state (value or null) and source.
FIGURES = {
    "gpu_server": (
        "gpus.count", "gpus.model", "gpus.memory_gib", "ib.rate_gbps", "ib.storage_ports",
        "ib.compute_ports", "read_demand_gbs", "dgx_platform", "memory_gib",
    ),
    "storage_unit": ("canisters", "ib.rate_gbps", "ib.ports_per_canister", "ib.storage_ports", "read_gbs",
                     "management"),
    "ib_switch": ("ports", "rate_gbps"),
    "mgmt_switch": ("ports", "rate_gbps"),
}

# Figures a kind may state; when stated they need a source too.
OPTIONAL_FIGURES = {
    "gpu_server": ("ib.hcas", "software.dgx_os", "software.driver_version"),
}
HCA_USES = ("compute", "storage", "ethernet")
LINK_LAYERS = ("InfiniBand", "Ethernet")

# How deploy-pod treats a host's OS: managed (configured) or appliance (checked, never changed).
MANAGEMENT_MODES = ("managed", "appliance")

# Which inventory role may carry which kind of model.
ROLE_KINDS = {
    "dgx": "gpu_server",
    "ess": "storage_unit",
    "nsd": "storage_unit",
    "ib_switch": "ib_switch",
    "mgmt_switch": "mgmt_switch",
}


def dig(entry: dict, dotted: str) -> Any:
    """entry['a']['b'] for 'a.b'; None where any part is missing."""
    cur: Any = entry
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def management_mode(model: dict | None) -> str:
    """The catalog's word on a model (ESS canisters are appliances); managed where it says nothing."""
    return (model or {}).get("management") or "managed"


def catalog_problems(data: dict) -> list[str]:
    """Everything wrong with a catalog document: unknown kinds, missing figures or sources."""
    problems = []
    for name, entry in data.get("models", {}).items():
        kind = entry.get("kind")
        if kind not in FIGURES:
            problems.append(f"{name}: kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        sources = entry.get("sources") or {}
        for fig in FIGURES[kind]:
            parts = fig.split(".")
            parent = dig(entry, ".".join(parts[:-1])) if len(parts) > 1 else entry
            if not isinstance(parent, dict) or parts[-1] not in parent:
                problems.append(f"{name}: figure {fig} is missing (write null if unknown)")
                continue
            src = sources.get(fig)
            if not src:
                problems.append(f"{name}: figure {fig} has no source")
            elif dig(entry, fig) is None and not str(src).startswith("unknown"):
                problems.append(f"{name}: figure {fig} is null but its source does not say 'unknown'")
        for fig in OPTIONAL_FIGURES.get(kind, ()):
            if dig(entry, fig) is not None and not sources.get(fig):
                problems.append(f"{name}: figure {fig} has no source")
        problems += [f"{name}: {p}" for p in _hca_problems(entry)]
    return problems


def _hca_problems(entry: dict) -> list[str]:
    listed = dig(entry, "ib.hcas")
    if listed is None:
        return []
    out = []
    ports = set()
    for h in listed:
        if h.get("use") not in HCA_USES:
            out.append(f"HCA {h.get('name')}: use {h.get('use')!r} is not one of {', '.join(HCA_USES)}")
        if h.get("link_layer") not in LINK_LAYERS:
            out.append(f"HCA {h.get('name')}: link_layer {h.get('link_layer')!r} is not one of "
                       f"{', '.join(LINK_LAYERS)}")
        for n in range(1, int(h.get("ports") or 1) + 1):
            ports.add(f"{h.get('name')}/{n}")
    for p in storage_ports(entry):
        if p not in ports:
            out.append(f"storage port {p} is not a port of ib.hcas")
    return out


class Catalog:
    def __init__(self, data: dict):
        self.data = data
        self.models: dict[str, dict] = data.get("models", {})

    def get(self, name: str | None) -> dict | None:
        return self.models.get(name) if name else None

    def names(self, kind: str | None = None) -> list[str]:
        return sorted(n for n, e in self.models.items() if kind is None or e.get("kind") == kind)


@cache
def load_catalog() -> Catalog:
    text = resources.files("deploy_pod").joinpath("data/catalog.yml").read_text()
    return Catalog(yaml.safe_load(text))


def storage_ports(entry: dict) -> list[str]:
    """HCA/port names a host of this model cables to the storage fabric."""
    return list(dig(entry, "ib.storage_ports") or [])


def hcas(entry: dict) -> list[dict]:
    """Every RDMA device a server of this model has (ib.hcas), storage-cabled or not; [] when
    the catalog does not list them (then only ib.storage_ports are known)."""
    return [dict(h) for h in dig(entry, "ib.hcas") or []]


def link_gbs(entry: dict) -> float:
    """Bytes/s a host of this model can move over its storage ports, in GB/s."""
    return len(storage_ports(entry)) * (dig(entry, "ib.rate_gbps") or 0) / 8
