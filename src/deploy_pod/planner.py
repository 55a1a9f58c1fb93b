"""The planner: derives what the user left out of pod.yml.

Cabling (ports spread over the switches), IPoIB addresses, quorum and manager nodes,
failure groups, node classes and verbsPorts. Every value a host sets itself wins; what
is derived is marked so `plan` can show it. Pure functions over a validated Pod.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Address, IPv4Network

from deploy_pod.acceptplan import plan_acceptance, plan_ngc
from deploy_pod.catalog import Catalog, dig, load_catalog, management_mode, storage_ports
from deploy_pod.content import module_utils
from deploy_pod.lock import PINNED
from deploy_pod.model import Cable as CableVar
from deploy_pod.model import Filesystem, Networks, Pod, PodHost
from deploy_pod.rules import IPOIB_CONNECTED_MTU, IPOIB_DATAGRAM_MTU
from deploy_pod.sizing import Sizing, sizing
from deploy_pod.tuning import CLASS_PROFILE, Setting, merge_overrides, profile_settings

MAX_QUORUM = 7


class PlanError(Exception):
    """The pod cannot be planned (validate reports why)."""


# the plan's cable: one class for the planner, the twin, the lock and the modules (plugins/module_utils)
Cable = module_utils("plan_types").Cable


@dataclass
class HostPlan:
    name: str
    role: str
    unit: str | None
    hw_model: str
    mgmt_address: str
    ipoib_address: str | None
    ipoib_interface: str
    cables: list[Cable]
    quorum: bool
    manager: bool
    failure_group: int | None
    node_classes: list[str]
    verbs_ports: list[str]
    derived: list[str] = field(default_factory=list)  # fields the planner filled in
    opensm_priority: int | None = None  # set on the hosts that run OpenSM
    expected: dict = field(default_factory=dict)  # what live checks compare with: GPUs, DGX platform
    daemon_name: str = ""  # Scale daemon node name: the IPoIB name, so daemon traffic uses the fabric
    license: str = "client"  # Scale licence: server for quorum, manager and NSD servers
    management: str = "managed"  # appliance: base and network only check this host (ESS canisters)
    locked: list[str] = field(default_factory=list)  # derived fields the lock file kept as they were
    # what the network phase configures, as the roles take it (no address arithmetic in playbooks)
    mgmt_prefix: int = 0  # prefix length of the management network
    mgmt_address_cidr: str = ""  # mgmt_address/mgmt_prefix, e.g. 10.77.0.11/16
    ipoib_prefix: int | None = None  # prefix length of the IPoIB network (None without an IPoIB address)
    ipoib_address_cidr: str | None = None  # ipoib_address/ipoib_prefix, e.g. 10.78.0.11/16
    ipoib_mtu: int = IPOIB_DATAGRAM_MTU  # networks.ipoib.mtu, else the largest MTU of the IPoIB mode


@dataclass
class SwitchPlan:
    name: str
    hw_model: str
    ports: int | None
    rate_gbps: int | None
    fabric: int  # rail number used in verbsPorts


@dataclass
class UnitPlan:
    name: str
    hw_model: str
    hosts: list[str]
    failure_group: int | None
    node_class: str


@dataclass
class ScalePlan:
    """What the Scale phases build; roles receive these values as they are."""

    cluster_name: str
    primary: str  # the host that runs cluster-wide commands: the first storage quorum node
    license_package: str
    min_version: str
    repo_url: str | None
    package_dir: str | None
    gpl_package: bool
    nodes: list[dict]  # {host, daemon, admin, role, quorum, manager, license} in cluster order
    node_classes: dict[str, dict]  # name -> {members: [daemon names], mmvdisk: bool}
    config: list[Setting]  # cluster-wide, then per node class, then per node
    units: list[dict]  # per ESS unit: node class, recovery group, vdisk set and its layout
    nsds: list[dict]  # plain NSDs: {name, device, server, servers, failure_group, usage, pool}
    filesystem: dict
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    name: str
    cluster_name: str
    filesystem: Filesystem
    networks: Networks
    hosts: dict[str, HostPlan]
    switches: dict[str, SwitchPlan]
    units: dict[str, UnitPlan]
    node_classes: dict[str, list[str]]
    sizing: Sizing
    ntp_servers: list[str] = field(default_factory=list)
    subnet_manager: str = "switch"
    etc_hosts: list[dict] = field(default_factory=list)  # {address, names} for every pod server
    scale: ScalePlan | None = None
    ngc: dict = field(default_factory=dict)
    acceptance: dict = field(default_factory=dict)

    @property
    def quorum(self) -> list[str]:
        return [h.name for h in self.hosts.values() if h.quorum]

    @property
    def managers(self) -> list[str]:
        return [h.name for h in self.hosts.values() if h.manager]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["filesystem"] = self.filesystem.model_dump() | {"mount_point": self.filesystem.mount}
        d["networks"] = self.networks.model_dump(mode="json")
        d["quorum"] = self.quorum
        d["managers"] = self.managers
        d["sizing"]["bottleneck"] = self.sizing.bottleneck
        if self.scale:
            d["scale"]["config_by_scope"] = config_by_scope(self.scale.config)
        return d


def config_by_scope(config: list[Setting]) -> dict[str, dict[str, str]]:
    """{scope: {attr: value}}: the resolved configuration as `plan` shows it ('' = cluster-wide)."""
    out: dict[str, dict[str, str]] = {}
    for c in config:
        out.setdefault(c.scope, {})[c.attr] = c.value
    return out


def natural_key(name: str):
    """dgx2 before dgx10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def class_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def ordered_servers(pod: Pod) -> list[PodHost]:
    """Storage first (unit by unit), then NSD servers, then GPU servers: the order ports and quorum go in."""
    out = [pod.hosts[h] for unit in sorted(pod.units, key=natural_key) for h in sorted(pod.units[unit])]
    for role in ("nsd", "dgx"):
        out += sorted(pod.by_role(role), key=lambda h: natural_key(h.name))
    return out


def plan_switches(pod: Pod, catalog: Catalog, lock: dict | None = None) -> dict[str, SwitchPlan]:
    """Rail numbers in name order; switches in the lock keep theirs, new ones take the next free."""
    switches = sorted(pod.by_role("ib_switch"), key=lambda h: natural_key(h.name))
    rails = pod.settings.fabric.inter_switch_links == 0 and len(switches) > 1
    locked = {n: e.get("fabric") for n, e in ((lock or {}).get("switches") or {}).items()}
    used = {f for n, f in locked.items() if f and n in {s.name for s in switches}}
    free = (n for n in range(1, 10_000) if n not in used)
    out = {}
    for s in switches:
        entry = catalog.get(s.vars.hw_model) or {}
        fabric = (locked.get(s.name) or next(free)) if rails else 1
        out[s.name] = SwitchPlan(s.name, s.vars.hw_model, entry.get("ports"), entry.get("rate_gbps"), fabric=fabric)
    return out


def plan_cables(pod: Pod, catalog: Catalog, switches: dict[str, SwitchPlan]) -> dict[str, list[Cable]]:
    """Keep declared cables; give every other port the lowest free port, switches in turn."""
    used: dict[str, set[int]] = {s: set() for s in switches}
    out: dict[str, list[Cable]] = {}
    for h in pod.hosts.values():
        for c in h.vars.ib_cables or []:
            used.setdefault(c.switch, set()).add(c.switch_port)
    names = list(switches)
    for h in ordered_servers(pod):
        if h.vars.ib_cables is not None:
            out[h.name] = [c.to_plan(i) for i, c in enumerate(h.vars.ib_cables)]
            continue
        entry = catalog.get(h.vars.hw_model) or {}
        cables = []
        for i, port in enumerate(storage_ports(entry)):
            cables.append(_next_free(port, i, names, switches, used))
        out[h.name] = cables
    return out


def _next_free(port: str, i: int, names: list[str], switches: dict[str, SwitchPlan], used) -> Cable:
    for k in range(len(names)):
        sw = names[(i + k) % len(names)]
        limit = switches[sw].ports
        n = 1
        while n in used[sw]:
            n += 1
        if limit is None or n <= limit:
            used[sw].add(n)
            return Cable(port, sw, n, f"ib{i}")
    raise PlanError(f"no free switch port left for {port}")


def plan_ipoib(pod: Pod, order: list[PodHost]) -> dict[str, str | None]:
    """Same host number as on the management network when it fits, else the next free address."""
    mgmt: IPv4Network = pod.settings.networks.mgmt.cidr
    net: IPv4Network = pod.settings.networks.ipoib.cidr
    gateway = pod.settings.networks.ipoib.gateway
    taken = {h.vars.ipoib_address for h in pod.hosts.values() if h.vars.ipoib_address} | {gateway}
    out: dict[str, str | None] = {}
    pool = (a for a in net.hosts())
    for h in order:
        if h.vars.ipoib_address:
            out[h.name] = str(h.vars.ipoib_address)
            continue
        cand = None
        if h.vars.mgmt_address and h.vars.mgmt_address in mgmt:
            offset = int(h.vars.mgmt_address) - int(mgmt.network_address)
            if 0 < offset < net.num_addresses - 1:
                cand = IPv4Address(int(net.network_address) + offset)
        if cand is None or cand in taken:
            cand = next((a for a in pool if a not in taken), None)
        if cand is None:
            raise PlanError(f"{net} has no free address left for {h.name}")
        taken.add(cand)
        out[h.name] = str(cand)
    return out


def quorum_target(candidates: int) -> int:
    return 0 if candidates == 0 else 1 if candidates < 3 else 3 if candidates < 8 else 5 if candidates < 16 \
        else MAX_QUORUM


def plan_quorum(pod: Pod, order: list[PodHost], locked: dict[str, bool] | None = None) -> set[str]:
    """Odd, at most 7, storage nodes first, and (with two or more units) no unit holding half of them.

    With a lock, hosts in it keep their designation; new hosts become quorum nodes only when the
    grown pod's target exceeds the quorum it has, two at a time (the count stays odd)."""
    if locked:
        return _grow_quorum(pod, order, locked)
    chosen = {h.name for h in order if h.vars.quorum}
    if chosen:
        return chosen
    candidates = [h for h in order if h.vars.quorum is not False]
    n = len(candidates)
    if n == 0:
        return set()
    target = quorum_target(n)
    units = {u: [h for h in hosts if pod.hosts[h].vars.quorum is not False] for u, hosts in pod.units.items()}
    per_unit_cap = (target - 1) // 2 if len(units) > 1 else target
    picked: list[str] = []
    # round-robin over units so every unit holds quorum nodes before any holds two
    rounds = max((len(v) for v in units.values()), default=0)
    for r in range(rounds):
        for unit in sorted(units, key=natural_key):
            hosts = sorted(units[unit])
            if r < len(hosts) and r < per_unit_cap and len(picked) < target:
                picked.append(hosts[r])
    for h in candidates:
        if len(picked) >= target:
            break
        if h.name not in picked and h.role != "ess":
            picked.append(h.name)
    if len(picked) % 2 == 0:
        picked.pop()
    return set(picked)


def _grow_quorum(pod: Pod, order: list[PodHost], locked: dict[str, bool]) -> set[str]:
    declared = {h.name: h.vars.quorum for h in order if h.vars.quorum is not None}
    chosen = {h.name for h in order if declared.get(h.name, locked.get(h.name))}
    new = [h for h in order if h.name not in locked and h.name not in declared]
    candidates = [h for h in order if declared.get(h.name) is not False]
    need = quorum_target(len(candidates)) - len(chosen)
    if need < 2 or not new:
        return chosen
    need -= need % 2
    # storage of units not yet holding a quorum node first, then other storage, then DGX
    units_with = {pod.hosts[n].unit for n in chosen if pod.hosts[n].unit}
    ranked = sorted(new, key=lambda h: (h.role == "dgx", not (h.unit and h.unit not in units_with)))
    picked: list[str] = []
    for h in ranked:
        if len(picked) >= need:
            break
        if h.unit and h.unit in units_with and h.role == "ess" and any(
                pod.hosts[p].unit == h.unit for p in picked):
            continue
        picked.append(h.name)
        if h.unit:
            units_with.add(h.unit)
    if len(picked) % 2:
        picked.pop()
    return chosen | set(picked)


def apply_lock(pod: Pod, lock: dict | None) -> tuple[Pod, dict[str, list[str]]]:
    """A copy of the pod with the lock's values filled in where the inventory sets none, and
    {host: fields taken from the lock}. Quorum is left to plan_quorum (it may grow)."""
    if not lock:
        return pod, {}
    pod = copy.deepcopy(pod)
    taken: dict[str, list[str]] = {}
    for name, entry in (lock.get("hosts") or {}).items():
        h = pod.hosts.get(name)
        if h is None or not isinstance(entry, dict):
            continue
        update = {}
        for attr, var in PINNED.items():
            if attr == "quorum" or attr not in entry or entry[attr] is None or getattr(h.vars, var) is not None:
                continue
            value = entry[attr]
            if var == "ib_cables":
                value = [CableVar(**c) for c in value]
            update[var] = value
        if update:
            h.vars = h.vars.model_copy(update=update)
            taken[name] = sorted(update)
    return pod, taken


def _next_groups(names: list[str], fixed: dict[str, int], used: set[int]) -> dict[str, int]:
    """Failure groups: fixed ones kept, the others the lowest numbers not in use, in name order."""
    out = dict(fixed)
    free = (n for n in range(1, 100_000) if n not in used)
    for name in names:
        if name not in out:
            out[name] = next(free)
    return out


def make_plan(pod: Pod, catalog: Catalog | None = None, lock: dict | None = None) -> Plan:
    """The plan of a pod; with the lock of a deployed pod, existing hosts keep what they were given."""
    if pod.settings is None:
        raise PlanError("pod settings are missing or invalid; run validate")
    catalog = catalog or load_catalog()
    original = pod
    pod, taken = apply_lock(pod, lock)
    locked_hosts = {n: e for n, e in ((lock or {}).get("hosts") or {}).items() if n in pod.hosts}
    order = ordered_servers(pod)
    switches = plan_switches(pod, catalog, lock)
    cables = plan_cables(pod, catalog, switches)
    ipoib = plan_ipoib(pod, order)
    quorum = plan_quorum(pod, order, {n: bool(e.get("quorum")) for n, e in locked_hosts.items()} or None)
    units_sorted = sorted(pod.units, key=natural_key)
    nsd_names = [o.name for o in order if o.role == "nsd"]
    # groups in use: declared, and (from the lock) every unit's and host's, present or not
    used = {h.vars.failure_group for h in pod.hosts.values() if h.vars.failure_group}
    used |= {e.get("failure_group") for e in ((lock or {}).get("units") or {}).values() if e.get("failure_group")}
    fixed_units = {u: e["failure_group"] for u, e in ((lock or {}).get("units") or {}).items()
                   if u in pod.units and e.get("failure_group")}
    if lock:
        unit_fg = _next_groups(units_sorted, fixed_units, used)
        nsd_fg = _next_groups(nsd_names, {}, used | set(unit_fg.values()))
    else:
        unit_fg = {u: i + 1 for i, u in enumerate(units_sorted)}
        nsd_fg = {n: len(units_sorted) + i + 1 for i, n in enumerate(nsd_names)}
    classes: dict[str, list[str]] = {}
    hosts: dict[str, HostPlan] = {}
    for h in order:
        v = h.vars
        derived = [f for f in ("ib_cables", "ipoib_address", "ipoib_interface", "quorum", "manager",
                               "failure_group", "node_classes", "verbs_ports", "management")
                   if getattr(original.hosts[h.name].vars, f) is None]
        hc = cables.get(h.name, [])
        default_classes = {"dgx": ["dgx_clients"], "nsd": ["nsd_servers"]}.get(h.role) or [
            f"nc_{class_name(h.unit)}"]
        hp = HostPlan(
            name=h.name, role=h.role, unit=h.unit, hw_model=v.hw_model,
            mgmt_address=str(v.mgmt_address),
            ipoib_address=ipoib.get(h.name),
            ipoib_interface=v.ipoib_interface or (hc[0].netdev if hc else "ib0"),
            cables=hc,
            quorum=h.name in quorum,
            manager=v.manager if v.manager is not None else h.is_storage,
            failure_group=v.failure_group or unit_fg.get(h.unit) or nsd_fg.get(h.name),
            node_classes=v.node_classes if v.node_classes is not None else default_classes,
            verbs_ports=v.verbs_ports if v.verbs_ports is not None else _verbs_ports(hc, switches),
            derived=derived,
            management=v.management or management_mode(catalog.get(v.hw_model)),
            locked=taken.get(h.name, []) + (["quorum"] if h.name in locked_hosts and v.quorum is None else []),
        )
        hosts[h.name] = hp
        for c in hp.node_classes:
            classes.setdefault(c, []).append(h.name)
    units = {}
    for u in units_sorted:
        members = sorted(pod.units[u])
        units[u] = UnitPlan(u, pod.hosts[members[0]].vars.hw_model, members,
                            hosts[members[0]].failure_group, f"nc_{class_name(u)}")
    _plan_opensm(pod, hosts)
    _link_rates(pod, catalog, hosts, switches)
    for h in order:
        hosts[h.name].expected = expected_hardware(catalog.get(h.vars.hw_model) or {})
    s = pod.settings
    for hp in hosts.values():
        hp.daemon_name = f"{hp.name}-ib" if hp.ipoib_address else hp.name
        _plan_addresses(hp, s.networks)
        hp.license = "server" if hp.quorum or hp.manager or hp.role in ("ess", "nsd") else "client"
    size = sizing(pod, catalog)
    dgx = [h.name for h in hosts.values() if h.role == "dgx"]
    return Plan(s.name, s.cluster, s.filesystem, s.networks, hosts, switches, units, classes, size,
                ntp_servers=list(s.ntp_servers), subnet_manager=s.fabric.subnet_manager,
                etc_hosts=etc_hosts(hosts.values()),
                scale=plan_scale(pod, catalog, hosts, units, classes, (lock or {}).get("primary")),
                ngc=plan_ngc(pod), acceptance=plan_acceptance(pod, catalog, size, dgx, s.filesystem.mount))


def plan_scale(pod: Pod, catalog: Catalog, hosts: dict[str, HostPlan], units: dict[str, UnitPlan],
               classes: dict[str, list[str]], locked_primary: str | None = None) -> ScalePlan:
    s = pod.settings
    sc, fs = s.scale, s.filesystem
    order = list(hosts.values())
    storage_quorum = [h for h in order if h.quorum and h.role != "dgx"]
    primary = (storage_quorum or [h for h in order if h.quorum] or order)[0].name if order else ""
    if locked_primary in hosts and hosts[locked_primary].quorum:
        primary = locked_primary  # a running cluster's commands keep running where they did
    nodes = [{"host": h.name, "daemon": h.daemon_name, "admin": h.name, "role": h.role, "quorum": h.quorum,
              "manager": h.manager, "license": h.license} for h in order]
    mmvdisk_classes = {u.node_class for u in units.values()}
    node_classes = {c: {"members": [hosts[m].daemon_name for m in members], "mmvdisk": c in mmvdisk_classes}
                    for c, members in classes.items()}
    config, notes = scale_config(pod, catalog, hosts, classes)
    bs = (sc.vdisk.block_size or fs.block_size).lower()
    unit_plans = [{"unit": u.name, "node_class": u.node_class, "recovery_group": f"rg_{class_name(u.name)}",
                   "vdisk_set": f"vs_{fs.name}_{class_name(u.name)}", "servers": [hosts[m].daemon_name
                                                                                 for m in u.hosts],
                   "code": sc.vdisk.code, "block_size": bs, "set_size": sc.vdisk.set_size}
                  for u in units.values()]
    nsds = []
    for h in order:
        if h.role != "nsd":
            continue
        for dev in pod.hosts[h.name].vars.nsd_devices or []:
            nsds.append({"name": class_name(f"nsd_{h.name}_{dev.rsplit('/', 1)[-1]}"), "device": dev,
                         "server": h.name, "servers": [h.daemon_name], "failure_group": h.failure_group,
                         "usage": "dataAndMetadata", "pool": "system"})
    filesystem = {"name": fs.name, "mount_point": fs.mount, "block_size": fs.block_size,
                  "data_replicas": fs.data_replicas, "metadata_replicas": fs.metadata_replicas}
    return ScalePlan(s.cluster, primary, f"gpfs.license.{sc.license}", sc.min_version, sc.repo_url, sc.package_dir,
                     sc.gpl_package, nodes, node_classes, config, unit_plans, nsds, filesystem, notes)


def scale_config(pod: Pod, catalog: Catalog, hosts: dict[str, HostPlan],
                 classes: dict[str, list[str]]) -> tuple[list[Setting], list[str]]:
    """Cluster-wide settings, one profile per node class (overrides applied), then per-node values."""
    sc = pod.settings.scale
    block = pod.settings.filesystem.block_size
    config, notes = profile_settings("cluster", "", None, None, block)
    for cls, members in classes.items():
        role = hosts[members[0]].role
        profile = CLASS_PROFILE.get(role)
        if profile is None:
            continue
        entries = [catalog.get(hosts[m].hw_model) or {} for m in members]
        mems = [e.get("memory_gib") for e in entries]
        links = [len(h.cables) * (h.cables[0].rate_gbps or 0) if h.cables else 0 for h in (hosts[m] for m in members)]
        mem = min(mems) if all(mems) else None
        link = min(links) if all(links) else None
        settings, n = profile_settings(profile, cls, mem, link, block)
        if sc.gds and role == "dgx":
            extra, _ = profile_settings("gds", cls, mem, link, block)
            settings += extra
        settings = merge_overrides(settings, sc.tuning.get(cls, {}), cls, f"pod.scale.tuning.{cls}")
        config += settings
        notes += n
    for h in hosts.values():
        if h.verbs_ports:
            config.append(Setting("verbsPorts", " ".join(h.verbs_ports), h.daemon_name,
                                  "the host's planned storage ports; the role keeps those it reports Active"))
        own = pod.hosts[h.name].vars.scale_config or {}
        config += [Setting(a, str(v), h.daemon_name, f"{h.name}: scale_config") for a, v in own.items()]
    return config, notes


def _plan_opensm(pod: Pod, hosts: dict[str, HostPlan]) -> None:
    """Two OpenSM instances when no managed switch runs the SM: managed storage servers first, then DGX
    nodes, master 15, standby 14. Never on an appliance: installing OpenSM would change its OS."""
    chosen = {n: pod.hosts[n].vars.opensm_priority for n in hosts if pod.hosts[n].vars.opensm_priority is not None}
    if not chosen and pod.settings.fabric.subnet_manager == "opensm":
        managed = [h for h in hosts.values() if h.management == "managed"]
        candidates = [h for h in managed if h.role != "dgx"] + [h for h in managed if h.role == "dgx"]
        chosen = {h.name: 15 - i for i, h in enumerate(candidates[:2])}
    for name, prio in chosen.items():
        hosts[name].opensm_priority = prio


def _link_rates(pod: Pod, catalog: Catalog, hosts: dict[str, HostPlan], switches: dict[str, SwitchPlan]) -> None:
    for h in hosts.values():
        host_rate = dig(catalog.get(h.hw_model) or {}, "ib.rate_gbps")
        for c in h.cables:
            sw = switches.get(c.switch)
            rates = [r for r in (host_rate, sw.rate_gbps if sw else None) if r]
            c.rate_gbps = min(rates) if rates else None


def ipoib_mtu(mode: str, mtu: int | None = None) -> int:
    """The IPoIB MTU a host gets: networks.ipoib.mtu when set, else the largest the mode allows
    (65520 in connected mode, 4092 in datagram mode: the 4K InfiniBand MTU less the IPoIB header)."""
    if mtu:
        return int(mtu)
    return IPOIB_CONNECTED_MTU if mode == "connected" else IPOIB_DATAGRAM_MTU


def _plan_addresses(hp: HostPlan, networks: Networks) -> None:
    """Address/prefix and MTU of the host's management and IPoIB interfaces, as the roles take them."""
    hp.mgmt_prefix = networks.mgmt.cidr.prefixlen
    hp.mgmt_address_cidr = f"{hp.mgmt_address}/{hp.mgmt_prefix}"
    hp.ipoib_prefix = networks.ipoib.cidr.prefixlen if hp.ipoib_address else None
    hp.ipoib_address_cidr = f"{hp.ipoib_address}/{hp.ipoib_prefix}" if hp.ipoib_address else None
    hp.ipoib_mtu = ipoib_mtu(networks.ipoib.mode, networks.ipoib.mtu)


def expected_hardware(entry: dict) -> dict:
    """The catalog figures a live check compares a host with."""
    if entry.get("kind") != "gpu_server":
        return {}
    return {"gpu_count": dig(entry, "gpus.count"), "gpu_model": dig(entry, "gpus.model"),
            "dgx_platform": entry.get("dgx_platform")}


def etc_hosts(hosts) -> list[dict]:
    """Management name = the host; IPoIB name = <host>-ib (what Scale's daemon network resolves)."""
    out = []
    for h in hosts:
        out.append({"address": h.mgmt_address, "names": [h.name]})
        if h.ipoib_address:
            out.append({"address": h.ipoib_address, "names": [f"{h.name}-ib"]})
    return out


def _verbs_ports(cables: list[Cable], switches: dict[str, SwitchPlan]) -> list[str]:
    """mlx5_0/1 on one fabric; mlx5_0/1/<rail> when the switches are separate rails."""
    out = []
    for c in cables:
        sw = switches.get(c.switch)
        rails = sw is not None and any(x.fabric > 1 for x in switches.values())
        out.append(f"{c.port}/{sw.fabric}" if rails else c.port)
    return out
