"""Static topology rules: pure functions over the Pod and the catalog; no host is touched.

Each rule has an id and a severity and yields Findings that name the host and field,
say what is wrong and what would be right. `RULES` is the registry the CLI, the action
plugin and docs/rules.md read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from deploy_pod.catalog import ROLE_KINDS, Catalog, load_catalog, management_mode, storage_ports
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
    """What the loader found, then the rules (which need the pod settings to mean anything).

    One mistake, one message: a field the schema already refused is not reported again by a
    rule that misses its value (a bad mgmt_address is not also "no management address")."""
    said = {(f.host, _root(f.field)) for f in loader_findings if f.rule == "schema"}
    found = run_rules(pod) if pod.settings is not None else []
    if any(f.rule == "group-unknown" for f in loader_findings):  # the hosts of a misspelt group are missing
        found = [f for f in found if f.rule not in GROUP_CONSEQUENCES]
    return list(loader_findings) + [f for f in found if (f.host, _root(f.field)) not in said]


# what a misspelt role group also causes; group-unknown says it once
GROUP_CONSEQUENCES = {"dgx-missing", "storage-missing", "ib-switch-missing", "cable-switch-unknown"}


def _root(field: str | None) -> str | None:
    if not field:
        return field
    parts = re.split(r"[.\[]", field)
    return ".".join(parts[:2]) if parts[0] == "pod" else parts[0]


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


# --- host names and roles -------------------------------------------------------------

# what DNS, /etc/hosts and Spectrum Scale daemon node names all take: lowercase labels of
# letters, digits and inner hyphens, at most 63 characters each
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def hostname_problem(name: str) -> str | None:
    """Why a name is not a usable host name, or None."""
    if _HOSTNAME.match(name) and len(name) <= 253:
        return None
    why = []
    if any(c.isspace() for c in name):
        why.append("a space")
    if "_" in name:
        why.append("an underscore")
    if name != name.lower():
        why.append("capitals")
    if name[:1] == "-" or name[-1:] == "-" or ".-" in name or "-." in name:
        why.append("a hyphen at the start or end of a label")
    if any(len(label) > 63 for label in name.split(".")):
        why.append("a label longer than 63 characters")
    if not why:
        why.append("characters other than a-z, 0-9, '-' and '.'")
    return ", ".join(why)


def hostname_fix(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower())
    fixed = ".".join(label.strip("-")[:63] or "x" for label in fixed.split("."))
    return fixed or "host1"


@rule("host-name", "error", "host names are valid DNS names (lowercase letters, digits, '-', '.')")
def _host_name(pod, catalog):
    for h in pod.hosts.values():
        why = hostname_problem(h.name)
        if why:
            yield h.name, "inventory_hostname", (
                f"{h.name!r} is not a valid host name ({why}): DNS, /etc/hosts and Spectrum Scale node names "
                f"take lowercase letters, digits and '-'; e.g. {hostname_fix(h.name)!r}")


@rule("dgx-missing", "error", "the pod has GPU servers (group dgx)")
def _dgx_missing(pod, catalog):
    if not pod.by_role("dgx"):
        yield None, "dgx", ("no GPU servers: add the DGX hosts under group 'dgx' (a misspelt group name drops "
                            "them; see group-unknown)")


@rule("storage-model-group", "error", "ESS canister models sit in ESS unit groups, plain servers in nsd_servers")
def _storage_model_group(pod, catalog):
    for h in pod.by_role("nsd", "ess"):
        entry = _entry(h, catalog)
        if entry is None:
            continue
        # the catalog's convention: a plain NSD server is a "unit" of one server; ESS models have two
        # canisters (or a count not yet known)
        is_ess = _is_ess_model(entry)
        plain = ", ".join(n for n in catalog.names("storage_unit") if not _is_ess_model(catalog.get(n)))
        ess = ", ".join(n for n in catalog.names("storage_unit") if _is_ess_model(catalog.get(n)))
        if h.role == "nsd" and is_ess:
            yield h.name, "hw_model", (
                f"{h.vars.hw_model} is an ESS canister (two to a unit), but the host is in "
                f"nsd_servers: put the unit's canisters in a child group of 'ess' (ess: children: ess01: "
                f"hosts: ...), or give a plain NSD server its model ({plain})")
        elif h.role == "ess" and not is_ess:
            yield h.name, "hw_model", (
                f"{h.vars.hw_model} is a plain NSD server, but the host is in ESS unit {h.unit}: move it to group "
                f"nsd_servers, or give it its ESS model ({ess})")


def _is_ess_model(entry: dict) -> bool:
    return entry.get("canisters") != 1


@rule("nsd-devices-missing", "error", "a plain NSD server lists the disks it gives (nsd_devices)")
def _nsd_devices(pod, catalog):
    for h in pod.by_role("nsd"):
        if not h.vars.nsd_devices:
            yield h.name, "nsd_devices", ("no nsd_devices: a plain NSD server gives Spectrum Scale its block "
                                          "devices, e.g. nsd_devices: [/dev/nvme0n1, /dev/nvme1n1]")


@rule("opensm-on-appliance", "error", "OpenSM is not placed on an appliance host (deploy-pod never changes one)")
def _opensm_on_appliance(pod, catalog):
    for h in pod.hosts.values():
        if h.vars.opensm_priority is None:
            continue
        mode = h.vars.management or management_mode(catalog.get(h.vars.hw_model))
        if mode == "appliance":
            yield h.name, "opensm_priority", (
                f"{h.name} is an appliance ({h.vars.hw_model}): deploy-pod checks it and does not install OpenSM "
                "there; give opensm_priority to a DGX or plain server, or set management: managed on this host")


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


@rule("gateway-address", "error", "a gateway is a host address of its own network that no pod host holds")
def _gateway(pod, catalog):
    if not pod.settings:
        return
    nets = pod.settings.networks
    holders = {addr: (h.name, field) for h, field, addr, _ in _addresses(pod)}
    for name, net, other, other_name in (("mgmt", nets.mgmt, nets.ipoib, "ipoib"),
                                         ("ipoib", nets.ipoib, nets.mgmt, "mgmt")):
        gw = net.gateway
        if gw is None:
            continue
        field = f"pod.networks.{name}.gateway"
        first = next(iter(net.cidr.hosts()), net.cidr.network_address)
        if gw in other.cidr:
            yield None, field, (f"{gw} is on the {other_name} network {other.cidr}, not on {name} {net.cidr}; "
                                f"the {name} gateway is the router of {net.cidr}, e.g. {first}")
        elif gw not in net.cidr:
            yield None, field, f"{gw} is outside {net.cidr}; the gateway is an address in it, e.g. {first}"
        elif net.cidr.prefixlen < 31 and gw in (net.cidr.network_address, net.cidr.broadcast_address):
            yield None, field, (f"{gw} is the network or broadcast address of {net.cidr}; the gateway is a host "
                                f"address, e.g. {first}")
        elif gw in holders:
            host, hfield = holders[gw]
            yield host, hfield, (f"{gw} is the {name} gateway (pod.networks.{name}.gateway); give {host} "
                                 "another address")


# largest IP MTU per link kind: IPoIB datagram mode is bound by the IB MTU (4096) less the
# 4-byte IPoIB header; connected mode by the IPoIB limit; Ethernet by jumbo frames
IPOIB_DATAGRAM_MTU, IPOIB_CONNECTED_MTU, ETHERNET_MTU = 4092, 65520, 9216


@rule("network-mtu", "error", "each network's MTU is one its link (and IPoIB mode) can carry")
def _mtu(pod, catalog):
    if not pod.settings:
        return
    nets = pod.settings.networks
    ib = nets.ipoib
    if ib.mtu is not None and ib.mode == "datagram" and ib.mtu > IPOIB_DATAGRAM_MTU:
        yield None, "pod.networks.ipoib.mtu", (
            f"mtu {ib.mtu} in datagram mode: datagram IPoIB carries at most {IPOIB_DATAGRAM_MTU} (the IB MTU 4096 "
            f"less the 4-byte IPoIB header); set mode: connected for up to {IPOIB_CONNECTED_MTU}, or mtu: "
            f"{IPOIB_DATAGRAM_MTU}")
    if nets.mgmt.mtu is not None and nets.mgmt.mtu > ETHERNET_MTU:
        yield None, "pod.networks.mgmt.mtu", (f"mtu {nets.mgmt.mtu} on the Ethernet management network: jumbo frames "
                                              f"stop at {ETHERNET_MTU}; use 9000 (or leave it unset: 1500)")


@rule("ntp-servers", "warning", "the pod names NTP servers (Spectrum Scale needs synchronised clocks)")
def _ntp(pod, catalog):
    if pod.settings and not pod.settings.ntp_servers:
        yield None, "pod.ntp_servers", ("no NTP servers: hosts keep whatever clock they have, and Spectrum Scale "
                                        "leases and logs need synchronised clocks; e.g. ntp_servers: [10.10.0.1]")


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
        for i, c in enumerate(h.vars.ib_cables):
            if c.port not in known:
                yield h.name, f"ib_cables[{i}].port", (f"{c.port} is not a storage port of {h.vars.hw_model} "
                                                       f"({', '.join(known)}); check the name")


@rule("ib-port-twice", "error", "each HCA port has one cable")
def _ib_port_twice(pod, catalog):
    for h in pod.hosts.values():
        cables = h.vars.ib_cables or []
        first: dict[str, int] = {}
        entry = _entry(h, catalog)
        ports = storage_ports(entry) if entry else []
        free = [p for p in ports if p not in {c.port for c in cables}]
        for i, c in enumerate(cables):
            if c.port in first:
                spare = f"; {free[0]} has no cable: is this its cable?" if free else "; one cable per port"
                yield h.name, f"ib_cables[{i}].port", (f"{c.port} is cabled twice (ib_cables[{first[c.port]}] and "
                                                       f"ib_cables[{i}]){spare}")
                free = free[1:]
            else:
                first[c.port] = i


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
    smallest = min(ports, key=lambda s: ports[s])
    if isl and isl >= ports[smallest]:
        yield None, "pod.fabric.inter_switch_links", (
            f"{isl} inter-switch links per switch, but {smallest} (a {pod.hosts[smallest].vars.hw_model}) has "
            f"{ports[smallest]} ports and none would be left for hosts; set it below {ports[smallest]}, "
            "e.g. a quarter of the ports, or 0 for separate rails")
        return
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
    ("pod-settings", "error", "the pod-wide settings exist once, in all.vars.pod, seen by every host"),
    ("group-unknown", "error", "every host is in a role group (a misspelt group drops its hosts), or in a group "
                               "listed in pod.extra_groups"),
    ("host-duplicate", "error", "a host belongs to one role group only (no duplicate host names across roles)"),
    ("unknown-field", "warning", "no variable that looks like a misspelt deploy-pod field"),
]


def rule_table() -> list[dict]:
    loader = [{"id": i, "severity": sev, "summary": text} for i, sev, text in LOADER_FINDINGS]
    return loader + [{"id": r.id, "severity": r.severity, "summary": r.summary} for r in RULES]


# --- common mistakes (docs/inventory.md shows each with the message it gets) -------------


def _children(inv: dict) -> dict:
    return inv["all"]["children"]


def _dgx(inv: dict) -> dict:
    return _children(inv)["dgx"]["hosts"]


def _pod(inv: dict) -> dict:
    return inv["all"]["vars"]["pod"]


def _rename(d: dict, old: str, new: str) -> None:
    d[new] = d.pop(old)


def _move_pod_to_dgx(inv: dict) -> None:
    _children(inv)["dgx"]["vars"] = {"pod": inv["all"].pop("vars")["pod"]}


# (what the operator did, the rule that refuses it, how to do it to the twin example)
MISTAKES: list[tuple[str, str, Callable[[dict], None]]] = [
    ("A misspelt role group (`dgxs:` for `dgx:`)", "group-unknown", lambda i: _rename(_children(i), "dgx", "dgxs")),
    ("No GPU servers", "dgx-missing", lambda i: _children(i).pop("dgx")),
    ("No storage", "storage-missing", lambda i: _children(i).pop("ess")),
    ("`pod` under a child group's vars instead of `all.vars`", "pod-settings", _move_pod_to_dgx),
    ("A host name with an underscore or capitals", "host-name", lambda i: _rename(_dgx(i), "dgx01", "DGX_01")),
    ("Two hosts with one address", "address-duplicate",
     lambda i: _dgx(i)["dgx02"].update(mgmt_address=_dgx(i)["dgx01"]["mgmt_address"])),
    ("An HCA port cabled twice (and another not at all)", "ib-port-twice", lambda i: _dgx(i)["dgx01"].update(
        ib_cables=[{"port": p, "switch": s, "switch_port": n} for p, s, n in (
            ("mlx5_0/1", "ib-sw1", 20), ("mlx5_1/1", "ib-sw2", 20), ("mlx5_0/1", "ib-sw1", 21),
            ("mlx5_3/1", "ib-sw2", 21))])),
    ("An ESS canister model in `nsd_servers`", "storage-model-group", lambda i: _children(i).update(nsd_servers={
        "hosts": {"nsd01": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.31", "nsd_devices": ["/dev/sdb"]}}})),
    ("The management gateway on the IPoIB network", "gateway-address",
     lambda i: _pod(i)["networks"]["mgmt"].update(gateway="10.78.0.1")),
    ("A host holding the gateway's address", "gateway-address",
     lambda i: _dgx(i)["dgx02"].update(mgmt_address=str(_pod(i)["networks"]["mgmt"]["gateway"]))),
    ("IPoIB datagram mode with the connected-mode MTU", "network-mtu",
     lambda i: _pod(i)["networks"]["ipoib"].update(mode="datagram", mtu=65520)),
    ("The file system mounted on `/`", "schema", lambda i: _pod(i)["filesystem"].update(mount_point="/")),
    ("A registry that is not host[:port]", "schema", lambda i: _pod(i)["registry"].update(url="nvcr io")),
    ("No NTP servers", "ntp-servers", lambda i: _pod(i).update(ntp_servers=[])),
    ("One bad value in a host's entry (the rest of the host still counts)", "schema",
     lambda i: _dgx(i)["dgx01"].update(mgmt_address="10.77.0.300")),
    ("More inter-switch links than a switch has ports", "fabric-capacity",
     lambda i: _pod(i).update(fabric={"inter_switch_links": 40})),
]


def mistake_messages(example: dict) -> list[tuple[str, str, str, str]]:
    """(mistake, rule id, severity, the message it gets) for each of MISTAKES, made on `example`."""
    import copy

    from deploy_pod.inventory import build_pod, raw_from_data

    out = []
    for what, rule_id, make in MISTAKES:
        inv = copy.deepcopy(example)
        make(inv)
        pod, loader = build_pod(raw_from_data(inv))
        hits = [f for f in check(pod, loader) if f.rule == rule_id]
        if not hits:
            raise AssertionError(f"the mistake {what!r} does not raise {rule_id}")
        f = hits[0]
        where = ": ".join(p for p in (f.host and f"host {f.host}", f.field) if p)
        out.append((what, rule_id, f.severity, f"{where}: {f.message}" if where else f.message))
    return out
