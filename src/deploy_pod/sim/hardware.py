"""Per-host hardware.json and pod-wide fabric.json for the twin.

The generator is twin/emulators/hw/hwgen.py (the emulated tools' own package, the one
place that knows their file format, see twinhw.py there). It is loaded from the checkout
by path. Until it exists, `fallback_*` below write a minimal file of the same contract.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

from deploy_pod.content import module_utils
from deploy_pod.sim.spec import SimHost, SimSpec

split_port = module_utils("plan_types").split_port


def load_hwgen(root: Path) -> ModuleType | None:
    path = root / "twin" / "emulators" / "hw" / "hwgen.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("deploy_pod_twin_hwgen", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    import sys
    sys.path.insert(0, str(path.parent))  # hwgen imports twinhw from its directory
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(path.parent))
    return mod


def cables_as_dicts(h: SimHost) -> list[dict]:
    return [c.placement() for c in h.cables]  # the generator's contract: no rate (it reads the catalog's)


def netdevs_of(h: SimHost) -> dict[str, str]:
    """HCA port -> IPoIB netdev name."""
    return {c.port: c.netdev for c in h.cables}


def _call(fn, **kwargs):
    """Call with the keyword arguments the function accepts (the generator's API may grow)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})


def build(spec: SimSpec, catalog_get, hwgen: ModuleType | None) -> tuple[dict[str, dict], dict]:
    """(hardware per host, fabric) for the whole pod."""
    hosts_hw: dict[str, dict] = {}
    for name, h in spec.hosts.items():
        entry = catalog_get(h.hw_model) or {}
        if hwgen is not None:
            hw = _call(hwgen.host_hardware, pod=spec.pod, host=name, role=h.role, hw_model=h.hw_model,
                       catalog_entry=entry, cables=cables_as_dicts(h), netdevs=netdevs_of(h))
        else:
            hw = fallback_host_hardware(spec.pod, name, h.role, h.hw_model, entry, cables_as_dicts(h))
        hosts_hw[name] = hw
    switches = [{"name": s.name, "hw_model": s.hw_model, "ports": s.ports, "rate_gbps": s.rate_gbps}
                for s in spec.switches.values()]
    for name, hw in hosts_hw.items():
        if "disks" not in hw:
            hw["disks"] = default_disks(spec.hosts[name].role)
    if hwgen is not None:
        # hwgen.fabric takes the list and renumbers LIDs in those same dicts
        fab = _call(hwgen.fabric, pod=spec.pod, hosts_hw=list(hosts_hw.values()), switches=switches)
    else:
        fab = fallback_fabric(spec.pod, hosts_hw, switches)
    return hosts_hw, fab


def default_disks(role: str) -> list[dict]:
    """Local disks an NSD server or ESS canister offers to mmcrnsd (gpfs emulator contract).

    The catalog holds no drive counts yet; four NVMe namespaces stand in for them.
    """
    if role not in ("ess", "nsd"):
        return []
    return [{"device": f"/dev/nvme{i}n1", "size_gib": 3840, "gpfs_descriptor": False} for i in range(4)]


def _guid(*parts: str) -> str:
    return "0x" + hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def fallback_host_hardware(pod: str, host: str, role: str, hw_model: str, entry: dict,
                           cables: list[dict]) -> dict:
    """Minimal hardware.json (twinhw.py contract) when hwgen.py is not there."""
    gpus = []
    g = entry.get("gpus") or {}
    for i in range(int(g.get("count") or 0)):
        gpus.append({"index": i, "model": g.get("model", "GPU"),
                     "memory_mib": int(g.get("memory_gib") or 0) * 1024, "present": True})
    rate = (entry.get("ib") or {}).get("rate_gbps") or 100
    hcas: dict[str, dict] = {}
    for c in cables:
        ca, num = split_port(c["port"])
        hca = hcas.setdefault(ca, {"name": ca, "node_guid": _guid(pod, host, ca), "ports": []})
        hca["ports"].append({"num": int(num), "state": "Active", "phys_state": "LinkUp", "rate_gbps": rate,
                             "netdev": c["netdev"], "remote": {"switch": c["switch"], "port": c["switch_port"]}})
    disks = default_disks(role)
    return {"schema": 1, "host": host, "pod": pod, "role": role, "hw_model": hw_model,
            "hw_name": entry.get("name"), "dgx_platform": entry.get("dgx_platform"), "gpus": gpus,
            "hcas": list(hcas.values()), "disks": disks, "memory_gib": 512 if role == "dgx" else 768}


def fallback_fabric(pod: str, hosts_hw: dict[str, dict], switches: list[dict]) -> dict:
    links = []
    for host, hw in hosts_hw.items():
        for hca in hw.get("hcas") or []:
            for p in hca.get("ports") or []:
                remote = p.get("remote") or {}
                links.append({"host": host, "ca": hca["name"], "port": p["num"],
                              "node_guid": hca.get("node_guid"), "switch": remote.get("switch"),
                              "switch_port": remote.get("port"), "state": p.get("state", "Active"),
                              "phys_state": p.get("phys_state", "LinkUp"), "rate_gbps": p.get("rate_gbps")})
    sw = [{"name": s["name"], "hw_model": s["hw_model"], "guid": _guid(pod, s["name"]),
           "ports": s.get("ports"), "rate_gbps": s.get("rate_gbps")} for s in switches]
    return {"schema": 1, "pod": pod, "switches": sw, "links": links, "isls": []}
