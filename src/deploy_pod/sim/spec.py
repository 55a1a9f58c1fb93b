"""What the twin of one pod consists of, derived from the plan (pure).

`SimSpec` is plain data: built from a `deploy_pod.planner.Plan` by `spec_from_plan`, or
from a dict by `spec_from_dict` (unit tests), so nothing here needs Docker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Address, IPv4Network

from deploy_pod.content import module_utils
from deploy_pod.sim import naming

CONTAINER_ROLES = ("dgx", "ess", "nsd")
# the plan's cable itself (plugins/module_utils/plan_types.py): the twin is cabled as planned
Cable = module_utils("plan_types").Cable


@dataclass
class SimHost:
    name: str
    role: str  # dgx | ess | nsd
    hw_model: str
    mgmt_address: str
    unit: str | None = None
    cables: list[Cable] = field(default_factory=list)
    ipoib_address: str | None = None
    ipoib_interface: str | None = None
    management: str = "managed"  # appliance: the twin configures it as the vendor delivers it


@dataclass
class SimSwitch:
    name: str
    hw_model: str
    ports: int | None = None
    rate_gbps: int | None = None


@dataclass
class SimSpec:
    pod: str
    mgmt_cidr: str
    mgmt_gateway: str
    hosts: dict[str, SimHost]
    switches: dict[str, SimSwitch]
    # what an appliance arrives configured with (the plan's networks, names and NTP servers)
    mgmt_mtu: int | None = None
    ipoib_cidr: str | None = None
    ipoib_mode: str = "datagram"
    ipoib_mtu: int | None = None
    ntp_servers: list[str] = field(default_factory=list)
    etc_hosts: list[dict] = field(default_factory=list)
    # where the DGX hosts pull NGC images from (pod.registry) and which images
    registry_url: str | None = None
    registry_images: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    # names of everything the twin creates
    def container(self, host: str) -> str:
        return naming.container_name(self.pod, host)

    @property
    def mgmt_network(self) -> str:
        return naming.mgmt_network_name(self.pod)

    def switch_network(self, switch: str) -> str:
        return naming.switch_network_name(self.pod, switch)

    def bridge(self, switch: str) -> str:
        return naming.bridge_name(self.pod, switch)

    def veth(self, host: str, netdev: str) -> str:
        return naming.veth_name(self.pod, host, netdev)

    @property
    def volume(self) -> str:
        return naming.volume_name(self.pod)


class SpecError(ValueError):
    pass


def pick_gateway(cidr: str, planned_gateway: str | None, used: set[str]) -> str:
    """The Docker bridge address of the management network.

    The planned gateway when there is one; otherwise the highest host address nobody
    uses, so the planned host addresses (usually low) stay free.
    """
    net = IPv4Network(cidr)
    if planned_gateway:
        if str(planned_gateway) in used:
            raise SpecError(f"management gateway {planned_gateway} is also a host's address")
        return str(planned_gateway)
    last = int(net.broadcast_address) - 1
    first = int(net.network_address) + 1
    for n in range(last, first - 1, -1):
        cand = str(IPv4Address(n))
        if cand not in used:
            return cand
    raise SpecError(f"{cidr} has no address left for the Docker bridge")


def validate(spec: SimSpec) -> None:
    net = IPv4Network(spec.mgmt_cidr)
    seen: dict[str, str] = {}
    for h in spec.hosts.values():
        if h.role not in CONTAINER_ROLES:
            raise SpecError(f"{h.name}: role {h.role!r} is not a twin container role")
        if not h.mgmt_address:
            raise SpecError(f"{h.name}: no mgmt_address; the twin needs one per host")
        if IPv4Address(h.mgmt_address) not in net:
            raise SpecError(f"{h.name}: mgmt_address {h.mgmt_address} is outside {spec.mgmt_cidr}")
        if spec.container(h.name) == naming.registry_container_name(spec.pod):
            raise SpecError(f"{h.name}: its container name would be the twin registry's; rename the host")
        if h.mgmt_address in seen:
            raise SpecError(f"{h.name}: mgmt_address {h.mgmt_address} is also {seen[h.mgmt_address]}'s")
        seen[h.mgmt_address] = h.name
        netdevs = [c.netdev for c in h.cables]
        if len(set(netdevs)) != len(netdevs):
            raise SpecError(f"{h.name}: two cables share one netdev name: {netdevs}")
        for c in h.cables:
            if c.switch not in spec.switches:
                raise SpecError(f"{h.name}: cable {c.port} goes to unknown switch {c.switch}")
            if not c.netdev or len(c.netdev) > 15:
                raise SpecError(f"{h.name}: netdev name {c.netdev!r} of {c.port} is missing or longer than 15 "
                                "characters")


def _s(value) -> str | None:
    """Plain str (inventory strings arrive as Ansible's tagged str subclasses)."""
    return None if value is None else str.__str__(str(value))


def _cables(host: str, cables) -> list[Cable]:
    """The plan's cables (Cables or their JSON records) as plain-typed copies; SpecError if malformed."""
    try:
        return [Cable.from_dict(c, f"{host}: cable {i}") for i, c in enumerate(cables)]
    except ValueError as exc:
        raise SpecError(str(exc)) from exc


def spec_from_plan(plan) -> SimSpec:
    """From a deploy_pod.planner.Plan (duck-typed: only attributes are read)."""
    hosts: dict[str, SimHost] = {}
    for name, hp in plan.hosts.items():
        if hp.role not in CONTAINER_ROLES:
            continue
        hosts[_s(name)] = SimHost(
            name=_s(name), role=_s(hp.role), hw_model=_s(hp.hw_model), mgmt_address=_s(hp.mgmt_address),
            unit=_s(hp.unit),
            cables=_cables(name, hp.cables),
            ipoib_address=_s(hp.ipoib_address) if hp.ipoib_address else None,
            ipoib_interface=_s(hp.ipoib_interface), management=_s(getattr(hp, "management", "managed")),
        )
    switches = {_s(n): SimSwitch(_s(n), _s(s.hw_model), s.ports, s.rate_gbps) for n, s in plan.switches.items()}
    mgmt = plan.networks.mgmt
    cidr = str(mgmt.cidr)
    gateway = pick_gateway(cidr, str(mgmt.gateway) if getattr(mgmt, "gateway", None) else None,
                           {h.mgmt_address for h in hosts.values()})
    ipoib = plan.networks.ipoib
    ngc = getattr(plan, "ngc", None) or {}
    spec = SimSpec(_s(plan.name), cidr, gateway, hosts, switches,
                   registry_url=_s(ngc.get("url")) if ngc.get("url") else None,
                   registry_images=[_s(i["source"]) for i in ngc.get("images") or []],
                   mgmt_mtu=mgmt.mtu, ipoib_cidr=str(ipoib.cidr), ipoib_mode=_s(ipoib.mode), ipoib_mtu=ipoib.mtu,
                   ntp_servers=[_s(s) for s in plan.ntp_servers],
                   etc_hosts=[{"address": _s(e["address"]), "names": [_s(n) for n in e["names"]]}
                              for e in plan.etc_hosts])
    validate(spec)
    return spec


def spec_from_dict(d: dict) -> SimSpec:
    hosts = {}
    for name, h in d["hosts"].items():
        cables = _cables(name, h.get("cables", []))
        hosts[name] = SimHost(name=name, role=h["role"], hw_model=h["hw_model"],
                              mgmt_address=h["mgmt_address"], unit=h.get("unit"), cables=cables,
                              ipoib_address=h.get("ipoib_address"), ipoib_interface=h.get("ipoib_interface"),
                              management=h.get("management", "managed"))
    switches = {n: SimSwitch(n, s["hw_model"], s.get("ports"), s.get("rate_gbps"))
                for n, s in d.get("switches", {}).items()}
    gateway = d.get("mgmt_gateway") or pick_gateway(d["mgmt_cidr"], None, {h.mgmt_address for h in hosts.values()})
    spec = SimSpec(d["pod"], d["mgmt_cidr"], gateway, hosts, switches,
                   **{k: d[k] for k in ("mgmt_mtu", "ipoib_cidr", "ipoib_mode", "ipoib_mtu", "ntp_servers",
                                        "etc_hosts", "registry_url", "registry_images") if k in d})
    validate(spec)
    return spec
