"""Expected aggregate read bandwidth: min(what the storage is rated for, what the clients' links carry).

REFERENCE.md section 2: validation compares measured GB/s with this ceiling.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from deploy_pod.catalog import ROLE_KINDS, Catalog, link_gbs
from deploy_pod.model import Pod


@dataclass
class Sizing:
    storage_gbs: float | None  # sum of rated unit reads (None: no figure for any unit)
    client_link_gbs: float  # sum of the DGX storage links
    demand_gbs: float  # sum of published per-server read demand (only servers with a figure)
    expected_gbs: float | None
    unit_model: str | None = None  # the ESS model, when all units share one
    unit_gbs: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def bottleneck(self) -> str:
        if self.expected_gbs is None:
            return "unknown"
        storage_bound = self.storage_gbs is not None and self.storage_gbs <= self.client_link_gbs
        return "storage" if storage_bound else "client links"


def sizing(pod: Pod, catalog: Catalog) -> Sizing:
    notes = []
    storage = 0.0
    rated_any = False
    unit_models = Counter()
    for unit, hosts in pod.units.items():
        entry = catalog.get(pod.hosts[hosts[0]].vars.hw_model) if hosts else None
        if not entry or entry.get("kind") != ROLE_KINDS["ess"]:
            continue
        unit_models[pod.hosts[hosts[0]].vars.hw_model] += 1
        if entry.get("read_gbs") is None:
            notes.append(f"{unit}: no published read figure for {entry['name']}; not counted")
        else:
            storage += entry["read_gbs"]
            rated_any = True
    for h in pod.by_role("nsd"):
        entry = catalog.get(h.vars.hw_model)
        if entry and entry.get("read_gbs") is not None:
            # a plain NSD server is rated per server, not per pair
            storage += entry["read_gbs"] / max(entry.get("canisters") or 1, 1)
            rated_any = True
    clients = 0.0
    demand = 0.0
    unknown_demand = Counter()
    for h in pod.by_role("dgx"):
        entry = catalog.get(h.vars.hw_model)
        if not entry or entry.get("kind") != ROLE_KINDS["dgx"]:
            continue
        clients += link_gbs(entry)
        if entry.get("read_demand_gbs") is None:
            unknown_demand[h.vars.hw_model] += 1
        else:
            demand += entry["read_demand_gbs"]
    for model, n in unknown_demand.items():
        notes.append(f"{n} x {model}: no published GPU read demand; storage sizing checks link bandwidth only")
    storage_gbs = storage if rated_any else None
    expected = min(storage_gbs, clients) if storage_gbs is not None and clients else None
    unit_model = next(iter(unit_models)) if len(unit_models) == 1 else None
    unit_gbs = catalog.get(unit_model).get("read_gbs") if unit_model else None
    return Sizing(storage_gbs, clients, demand, expected, unit_model, unit_gbs, notes)
