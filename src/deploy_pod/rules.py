"""Static topology rules: pure functions over the Pod and the catalog; no host is touched.

Each rule has an id and a severity and yields Findings that name the host and field,
say what is wrong and what would be right. `RULES` is the registry the CLI, the action
plugin and docs/rules.md read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from deploy_pod.catalog import ROLE_KINDS, Catalog, load_catalog, storage_ports
from deploy_pod.findings import Finding, Severity
from deploy_pod.model import Pod, PodHost
from deploy_pod.sizing import sizing


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Callable[[Pod, Catalog], Iterator[Finding]]


RULES: list[Rule] = []


def rule(rule_id: str, severity: Severity, summary: str):
    def register(fn):
        def check(pod: Pod, catalog: Catalog) -> Iterator[Finding]:
            for host, field, message in fn(pod, catalog):
                origin = pod.hosts[host].origin if host in pod.hosts else pod.settings_origin or pod.source
                yield Finding(rule_id, severity, message, host=host, field=field, file=origin)

        RULES.append(Rule(rule_id, severity, summary, check))
        return fn

    return register


def check(pod: Pod, loader_findings: list[Finding]) -> list[Finding]:
    """What the loader found, then the rules (which need the pod settings to mean anything)."""
    return list(loader_findings) + (run_rules(pod) if pod.settings is not None else [])


def run_rules(pod: Pod, catalog: Catalog | None = None) -> list[Finding]:
    catalog = catalog or load_catalog()
    out: list[Finding] = []
    for r in RULES:
        out.extend(r.check(pod, catalog))
    return out


def _entry(host: PodHost, catalog: Catalog) -> dict | None:
    """The catalog entry of a host, only when it fits the host's role."""
    entry = catalog.get(host.vars.hw_model)
    return entry if entry and entry.get("kind") == ROLE_KINDS[host.role] else None


def _ports_needed(host: PodHost, catalog: Catalog) -> int:
    if host.vars.ib_cables is not None:
        return len(host.vars.ib_cables)
    entry = _entry(host, catalog)
    return len(storage_ports(entry)) if entry else 0


# --- models ---------------------------------------------------------------------------


@rule("hw-model-missing", "error", "every host names its hw_model from the catalog")
def _hw_model_missing(pod, catalog):
    for h in pod.hosts.values():
        if not h.vars.hw_model:
            kinds = ", ".join(catalog.names(ROLE_KINDS[h.role]))
            yield h.name, "hw_model", f"no hw_model; set one of: {kinds}"


@rule("hw-model-unknown", "error", "hw_model must exist in the catalog and fit the host's group")
def _hw_model_unknown(pod, catalog):
    for h in pod.hosts.values():
        model = h.vars.hw_model
        if not model:
            continue
        kind = ROLE_KINDS[h.role]
        fits = ", ".join(catalog.names(kind))
        entry = catalog.get(model)
        if entry is None:
            yield h.name, "hw_model", f"unknown model {model!r}; the catalog has for this group: {fits}"
        elif entry["kind"] != kind:
            yield h.name, "hw_model", (f"{model!r} is a {entry['kind']} but the host is in a {h.role} group, "
                                       f"which takes a {kind}: {fits}")


# --- addresses and networks -----------------------------------------------------------


@rule("mgmt-address-missing", "error", "every server has an address on the management network")
def _mgmt_missing(pod, catalog):
    for h in pod.hosts.values():
        if h.is_server and h.vars.mgmt_address is None:
            cidr = pod.settings.networks.mgmt.cidr if pod.settings else "the management network"
            yield h.name, "mgmt_address", f"no management address; give it a free address in {cidr}"


@rule("network-overlap", "error", "the pod's networks do not overlap")
def _network_overlap(pod, catalog):
    if not pod.settings:
        return
    nets = pod.settings.networks
    if nets.mgmt.cidr.overlaps(nets.ipoib.cidr):
        yield None, "pod.networks", (f"mgmt {nets.mgmt.cidr} and ipoib {nets.ipoib.cidr} overlap; "
                                     "give IPoIB its own network")


def _addresses(pod: Pod) -> Iterator[tuple[PodHost, str, IPv4Address, IPv4Network | None]]:
    nets = pod.settings.networks if pod.settings else None
    for h in pod.hosts.values():
        if h.vars.mgmt_address is not None:
            yield h, "mgmt_address", h.vars.mgmt_address, nets.mgmt.cidr if nets else None
        if h.vars.ipoib_address is not None:
            yield h, "ipoib_address", h.vars.ipoib_address, nets.ipoib.cidr if nets else None


@rule("address-outside-network", "error", "each address is a usable host address of its declared network")
def _address_outside(pod, catalog):
    for h, field, addr, net in _addresses(pod):
        if net is None:
            continue
        if addr not in net:
            yield h.name, field, f"{addr} is outside its network {net}; use an address in {net}"
        elif net.prefixlen < 31 and addr in (net.network_address, net.broadcast_address):
            yield h.name, field, f"{addr} is the network or broadcast address of {net}; use a host address"


@rule("address-duplicate", "error", "no two hosts share an address")
def _address_duplicate(pod, catalog):
    seen: dict[IPv4Address, tuple[str, str]] = {}
    for h, field, addr, _ in _addresses(pod):
        if addr in seen:
            other, other_field = seen[addr]
            yield h.name, field, f"{addr} is already {other}'s {other_field}; every host needs its own address"
        else:
            seen[addr] = (h.name, field)


# --- InfiniBand ports and cables ------------------------------------------------------


@rule("ib-port-count", "error", "a host cables as many storage-fabric ports as its model has")
def _ib_port_count(pod, catalog):
    for h in pod.hosts.values():
        entry = _entry(h, catalog)
        if entry is None or h.vars.ib_cables is None or not h.is_server or not storage_ports(entry):
            continue  # ports of a model the catalog does not know cannot be counted
        want = len(storage_ports(entry))
        got = len(h.vars.ib_cables)
        if got != want:
            unit = f" (a unit's two canisters together: {2 * want})" if h.role == "ess" else ""
            yield h.name, "ib_cables", (f"{got} cables, but a {h.vars.hw_model} has {want} storage-fabric "
                                        f"ports{unit}: {', '.join(storage_ports(entry))}")


@rule("ib-port-unknown", "warning", "cabled ports are ports the model has")
def _ib_port_unknown(pod, catalog):
    for h in pod.hosts.values():
        entry = _entry(h, catalog)
        if entry is None or not h.vars.ib_cables:
            continue
        known = storage_ports(entry) or [c.port for c in h.vars.ib_cables]
        seen = set()
        for i, c in enumerate(h.vars.ib_cables):
            if c.port in seen:
                yield h.name, f"ib_cables[{i}].port", f"{c.port} is cabled twice; one cable per port"
            seen.add(c.port)
            if c.port not in known:
                yield h.name, f"ib_cables[{i}].port", (f"{c.port} is not a storage port of {h.vars.hw_model} "
                                                       f"({', '.join(known)}); check the name")


@rule("ib-switch-missing", "error", "a pod with servers declares its IB switches")
def _ib_switch_missing(pod, catalog):
    if pod.by_role("dgx", "ess", "nsd") and not pod.by_role("ib_switch"):
        yield None, "ib_switches", "no InfiniBand switch declared; add the fabric's switches to group ib_switches"


def _switch_ports(pod: Pod, catalog: Catalog) -> dict[str, int | None]:
    out = {}
    for s in pod.by_role("ib_switch"):
        entry = _entry(s, catalog)
        out[s.name] = entry.get("ports") if entry else None
    return out


@rule("cable-switch-unknown", "error", "cables land on declared switches, on ports the switch has")
def _cable_switch(pod, catalog):
    ports = _switch_ports(pod, catalog)
    for h in pod.hosts.values():
        for i, c in enumerate(h.vars.ib_cables or []):
            if c.switch not in ports:
                known = ", ".join(ports) or "none declared"
                yield h.name, f"ib_cables[{i}].switch", (f"{c.port} is cabled to {c.switch!r}, which is not in "
                                                         f"group ib_switches ({known})")
            elif ports[c.switch] and c.switch_port > ports[c.switch]:
                yield h.name, f"ib_cables[{i}].switch_port", (
                    f"{c.port} is cabled to {c.switch} port {c.switch_port}, but a "
                    f"{pod.hosts[c.switch].vars.hw_model} has ports 1-{ports[c.switch]}")


@rule("cable-port-conflict", "error", "one cable per switch port")
def _cable_conflict(pod, catalog):
    taken: dict[tuple[str, int], str] = {}
    for h in pod.hosts.values():
        for i, c in enumerate(h.vars.ib_cables or []):
            key = (c.switch, c.switch_port)
            if key in taken:
                yield h.name, f"ib_cables[{i}]", (f"{c.port} is cabled to {c.switch} port {c.switch_port}, "
                                                  f"which already holds {taken[key]}; pick a free port")
            else:
                taken[key] = f"{h.name} {c.port}"


@rule("cable-single-switch", "warning", "with two or more switches, a host spreads its ports over them")
def _single_switch(pod, catalog):
    switches = _switch_ports(pod, catalog)
    if len(switches) < 2:
        return
    for h in pod.hosts.values():
        cables = h.vars.ib_cables or []
        landed = {c.switch for c in cables if c.switch in switches}
        if len(cables) > 1 and len(landed) == 1:
            yield h.name, "ib_cables", (f"all {len(cables)} ports land on {landed.pop()}; losing that switch cuts "
                                        f"the host off: spread the ports over {', '.join(switches)}")


def fat_tree(links: int, radix: int) -> str:
    """How many switches of this radix a non-blocking fat tree for `links` host links needs."""
    down = radix // 2
    if links <= radix * down:
        leaves = math.ceil(links / down)
        spines = math.ceil(leaves * down / radix)
        return f"a two-level fat tree of {leaves} leaf and {spines} spine switches ({down} host ports per leaf)"
    return f"more than a two-level fat tree of {radix}-port switches holds ({radix * down} host links): three levels"


@rule("fabric-capacity", "error", "the switches have a port for every host link (else a fat tree is needed)")
def _fabric_capacity(pod, catalog):
    ports = _switch_ports(pod, catalog)
    if not ports or None in ports.values():
        return
    isl = pod.settings.fabric.inter_switch_links if pod.settings else 0
    have = sum(ports.values()) - isl * len(ports)
    need = sum(_ports_needed(h, catalog) for h in pod.hosts.values() if h.is_server)
    if need > have:
        radix = max(ports.values())
        models = ", ".join(sorted({pod.hosts[s].vars.hw_model for s in ports}))
        yield None, "ib_switches", (
            f"{need} host links need {need} switch ports but the {len(ports)} switch(es) ({models}) offer {have}"
            f"{f' after {isl} inter-switch links each' if isl else ''}: a flat fabric cannot hold this pod; "
            f"with {radix}-port switches it needs {fat_tree(need, radix)}")


# --- storage and cluster --------------------------------------------------------------


@rule("ess-unit-size", "error", "each ESS unit group holds exactly two canisters of one model")
def _ess_unit(pod, catalog):
    for unit, hosts in pod.units.items():
        if len(hosts) != 2:
            first = hosts[0] if hosts else None
            yield first, f"groups.ess.{unit}", (f"ESS unit {unit} has {len(hosts)} host(s) ({', '.join(hosts)}); "
                                                "a unit is exactly two canisters (the NSD server pair)")
        models = {pod.hosts[h].vars.hw_model for h in hosts if h in pod.hosts}
        if len(models) > 1:
            yield hosts[0], "hw_model", f"ESS unit {unit} mixes models {sorted(models, key=str)}; both canisters match"


@rule("storage-missing", "error", "the pod has storage: an ESS unit or NSD servers")
def _storage_missing(pod, catalog):
    if not pod.by_role("ess", "nsd"):
        yield None, "ess", "no storage: add an ESS unit under group 'ess' or NSD servers under 'nsd_servers'"


@rule("quorum-count", "error", "quorum nodes set by hand are an odd number, at most 7")
def _quorum(pod, catalog):
    chosen = [h.name for h in pod.hosts.values() if h.vars.quorum]
    if not chosen:
        return
    n = len(chosen)
    if n % 2 == 0 or n > 7:
        fix = "at most 7" if n > 7 else f"{n - 1} or {n + 1}"
        yield chosen[0], "quorum", (f"{n} hosts set quorum: true ({', '.join(chosen)}); Spectrum Scale needs an "
                                    f"odd number, at most 7: use {fix}, or set none and let the planner choose")


@rule("sizing-storage", "warning", "the storage can feed what the GPU servers can read")
def _sizing(pod, catalog):
    s = sizing(pod, catalog)
    if s.demand_gbs and s.storage_gbs is not None and s.demand_gbs > s.storage_gbs:
        more = ""
        if s.unit_gbs:
            need = math.ceil(s.demand_gbs / s.unit_gbs)
            more = f"; {need} unit(s) of {s.unit_model} ({need * s.unit_gbs:g} GB/s) would"
        yield None, "ess", (f"the GPU servers can pull about {s.demand_gbs:g} GB/s but the storage is rated "
                            f"{s.storage_gbs:g} GB/s{more}")


# Findings the loader raises while reading the inventory (deploy_pod.inventory.build_pod),
# before any rule runs: listed with the rules so `deploy-pod rules` and the docs name every id.
LOADER_FINDINGS = [
    ("schema", "error", "every value has the type and range docs/inventory.md gives"),
    ("pod-settings", "error", "the pod-wide settings exist once, in all.vars.pod"),
    ("host-duplicate", "error", "a host belongs to one role group only (no duplicate host names across roles)"),
    ("unknown-field", "warning", "no variable that looks like a misspelt deploy-pod field"),
]


def rule_table() -> list[dict]:
    loader = [{"id": i, "severity": sev, "summary": text} for i, sev, text in LOADER_FINDINGS]
    return loader + [{"id": r.id, "severity": r.severity, "summary": r.summary} for r in RULES]
