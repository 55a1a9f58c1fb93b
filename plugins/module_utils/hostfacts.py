# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Shape parsed vendor output into the facts the deploy_pod.pod modules return.

The parsers (ib_parsers, nvidia_parsers, dgx_release) turn text into dicts; this file turns
those dicts into the stable fact layout documented in the modules' RETURN blocks, and
judges GPU facts against the plan. Ansible module_utils style: stdlib only, pure functions.
"""

from __future__ import annotations

import re

__all__ = [
    "norm_guid",
    "number",
    "is_infiniband_port",
    "infiniband_facts",
    "gpu_facts",
    "nvlink_summary",
    "gpu_problems",
    "same_gpu_model",
    "same_platform",
]


def norm_guid(value) -> str | None:
    """'0x248A0703...' | '248a:0703:...' | int -> '0x248a070300928186'; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return f"0x{value:016x}"
    text = str(value).strip().lower().replace(":", "")
    if text.startswith("0x"):
        text = text[2:]
    if not re.fullmatch(r"[0-9a-f]{1,16}", text):
        return str(value).strip()
    return f"0x{int(text, 16):016x}"


def number(value):
    """100.0 -> 100, 2.5 -> 2.5, '100' -> 100, None -> None (for Gb/s and sentences)."""
    if value is None or value == "":
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f == int(f) else f


# ---------------------------------------------------------------- InfiniBand

def is_infiniband_port(port: dict) -> bool:
    """Link layer InfiniBand (ibstat 'Link layer'; a missing one counts as InfiniBand). The
    Ethernet ports of a ConnectX (DGX H100's ConnectX-7/BlueField Ethernet ports, a VPI port set
    to ETH) are RoCE/Ethernet ports: never IB ports, never queried through the IB fabric."""
    return " ".join(str(port.get("link_layer") or "InfiniBand").split()).lower() == "infiniband"


def _port_record(ca: str, num: int, port: dict) -> dict:
    return {
        "name": f"{ca}/{num}",
        "ca": ca,
        "num": num,
        "state": port.get("state"),
        "physical_state": port.get("physical_state"),
        "rate_gbps": number(port.get("rate_gbps")),
        "rate": port.get("rate"),
        "lid": port.get("base_lid"),
        "sm_lid": port.get("sm_lid"),
        "lmc": port.get("lmc"),
        "port_guid": norm_guid(port.get("port_guid")),
        "link_layer": port.get("link_layer"),
        "capability_mask": port.get("capability_mask"),
        "netdev": None,
        "netdev_up": None,
    }


def infiniband_facts(ibstat: dict, netdevs: list[dict] | None = None) -> dict:
    """parse_ibstat() result (+ parse_ibdev2netdev() list) -> ansible_facts.infiniband.

    {'hcas': {name: {'name', 'type', 'ports_count', 'firmware', 'hardware_version',
    'node_guid', 'system_guid', 'ports': [port]}}, 'ports': [port, ...] (every HCA, in order),
    'hca_count', 'port_count', 'active_ports': ['mlx5_0/1'], 'ethernet_ports': ['mlx5_1/1'],
    'netdevs': {'ib0': 'mlx5_0/1'}}
    with port = {'name': 'mlx5_0/1', 'ca', 'num', 'state', 'physical_state', 'rate_gbps',
    'rate', 'lid', 'sm_lid', 'lmc', 'port_guid', 'link_layer', 'capability_mask', 'netdev',
    'netdev_up'}. GUIDs are lower-case 0x + 16 hex digits. 'ports' holds every port of every HCA
    whatever its link layer; 'active_ports' only Active InfiniBand ones; 'ethernet_ports' names
    the ports whose link layer is Ethernet (RoCE), Active or not. 'netdev_up' is the netdev's own
    state as ibdev2netdev prints it (operstate), which need not follow the port's.
    """
    hcas: dict = {}
    ports: list[dict] = []
    for name, ca in (ibstat.get("cas") or {}).items():
        recs = [_port_record(name, num, p) for num, p in sorted((ca.get("ports") or {}).items())]
        hcas[name] = {
            "name": name,
            "type": ca.get("ca_type"),
            "ports_count": ca.get("number_of_ports"),
            "firmware": ca.get("firmware_version"),
            "hardware_version": ca.get("hardware_version"),
            "node_guid": norm_guid(ca.get("node_guid")),
            "system_guid": norm_guid(ca.get("system_image_guid")),
            "ports": recs,
        }
        ports.extend(recs)
    by_name = {p["name"]: p for p in ports}
    netdev_map: dict = {}
    for d in netdevs or []:
        key = f"{d['ca']}/{d['port']}"
        netdev_map[d["netdev"]] = key
        if key in by_name:
            by_name[key]["netdev"] = d["netdev"]
            by_name[key]["netdev_up"] = bool(d.get("up"))
    return {
        "hcas": hcas,
        "ports": ports,
        "hca_count": len(hcas),
        "port_count": len(ports),
        "active_ports": [p["name"] for p in ports if p["state"] == "Active" and is_infiniband_port(p)],
        "ethernet_ports": [p["name"] for p in ports if not is_infiniband_port(p)],
        "netdevs": netdev_map,
    }


# ---------------------------------------------------------------- GPUs

QUERY_FIELDS = ["index", "name", "uuid", "memory.total", "pci.bus_id", "serial"]


def _int_or_none(value):
    n = number(value)
    return int(n) if isinstance(n, (int, float)) else None


def nvlink_summary(topo: dict) -> dict:
    """parse_topo_matrix() result -> {'pairs': {'GPU0-GPU1': 1, ...} (bonded NVLinks per GPU
    pair, pairs without NVLink left out), 'link_counts': [1, 2] (the distinct NV# values),
    'by_count': {'NV1': 8, 'NV2': 8} (how many GPU pairs have each), 'per_gpu': {'GPU0': 6}
    (NVLinks per GPU), 'gpus_without_nvlink': ['GPU3']}."""
    gpus = list(topo.get("gpus") or [])
    matrix = topo.get("matrix") or {}
    pairs: dict = {}
    per_gpu = {g: 0 for g in gpus}
    for i, a in enumerate(gpus):
        for b in gpus[i + 1:]:
            cell = (matrix.get(a) or {}).get(b) or ""
            m = re.fullmatch(r"NV(\d+)", cell.strip())
            if not m:
                continue
            n = int(m.group(1))
            pairs[f"{a}-{b}"] = n
            per_gpu[a] += n
            per_gpu[b] += n
    counts = sorted(set(pairs.values()))
    by_count = {f"NV{n}": sum(1 for v in pairs.values() if v == n) for n in counts}
    return {"pairs": pairs, "link_counts": counts, "by_count": by_count, "per_gpu": per_gpu,
            "gpus_without_nvlink": [g for g in gpus if per_gpu[g] == 0] if pairs else list(gpus)}


def _topology(topo: dict | None) -> dict | None:
    if not topo or not topo.get("devices"):
        return None
    names = {label: topo.get("nics", {}).get(label, label) for label in topo["devices"]}
    matrix = {names[a]: {names[b]: v for b, v in row.items()} for a, row in topo["matrix"].items()}
    return {
        "devices": [names[d] for d in topo["devices"]],
        "gpus": list(topo.get("gpus") or []),
        "nics": [names[d] for d in topo["devices"] if d not in (topo.get("gpus") or [])],
        "matrix": matrix,
        "cpu_affinity": dict(topo.get("cpu_affinity") or {}),
        "numa_affinity": dict(topo.get("numa_affinity") or {}),
        "nvlink": nvlink_summary(topo),
    }


def _release(rel: dict | None) -> dict | None:
    if not rel:
        return None
    return {
        "name": rel.get("name"),
        "pretty_name": rel.get("pretty_name"),
        "platform": rel.get("platform"),
        "version": rel.get("version"),
        "base_version": rel.get("base_version"),
        "major": rel.get("major"),
        "serial_number": rel.get("serial_number"),
        "ota": list(rel.get("ota") or []),
    }


def gpu_facts(rows: list[dict], topo: dict | None = None, release: dict | None = None) -> dict:
    """parse_query_gpu_csv(fields=QUERY_FIELDS) rows, parse_topo_matrix(), parse_dgx_release()
    -> ansible_facts.gpus: {'count', 'models', 'model' (None when mixed or none),
    'memory_mib' (per GPU when all equal, else None), 'memory_mib_total', 'devices': [{'index',
    'name', 'uuid', 'memory_mib', 'pci_bus_id', 'serial'}], 'topology': None | {'devices',
    'gpus', 'nics', 'matrix', 'cpu_affinity', 'numa_affinity', 'nvlink'}, 'dgx_release'}."""
    devices = []
    for r in rows:
        devices.append({
            "index": _int_or_none(r.get("index")),
            "name": r.get("name"),
            "uuid": r.get("uuid"),
            "memory_mib": _int_or_none(r.get("memory.total")),
            "pci_bus_id": r.get("pci.bus_id"),
            "serial": None if r.get("serial") is None else str(r.get("serial")),
        })
    models: list[str] = []
    for d in devices:
        if d["name"] and d["name"] not in models:
            models.append(d["name"])
    mems = {d["memory_mib"] for d in devices if d["memory_mib"] is not None}
    return {
        "count": len(devices),
        "models": models,
        "model": models[0] if len(models) == 1 else None,
        "memory_mib": next(iter(mems)) if len(mems) == 1 else None,
        "memory_mib_total": sum(d["memory_mib"] or 0 for d in devices),
        "devices": devices,
        "topology": _topology(topo),
        "dgx_release": _release(release),
    }


def _norm_model(name) -> str:
    text = re.sub(r"\s+", " ", str(name or "")).strip().lower()
    return text[len("nvidia "):] if text.startswith("nvidia ") else text


def same_gpu_model(found, expected) -> bool:
    """Names as nvidia-smi prints them: case, spacing and a leading 'NVIDIA ' do not matter; a name the
    classic nvidia-smi table cut ('Tesla V100-SXM2...', drivers before 530) matches by prefix."""
    f, e = _norm_model(found), _norm_model(expected)
    if f.endswith("..."):
        stem = f[:-3].rstrip()
        return bool(stem) and e.startswith(stem)
    return f == e


def _gpus(n: int) -> str:
    return f"{n} GPU" if n == 1 else f"{n} GPUs"


def same_platform(found, expected) -> bool:
    """'DGX Server for DGX-1' (DGX_PLATFORM) matches 'DGX-1' (catalog); case, spaces and '-' do not matter."""
    def norm(text) -> str:
        t = re.sub(r"[\s_-]+", "", str(text or "")).lower()
        return t[len("dgxserverfor"):] if t.startswith("dgxserverfor") else t
    return bool(found) and norm(found) == norm(expected)


def gpu_problems(host: str, facts: dict, expected_count: int | None = None, expected_model: str | None = None,
                 hw_model: str | None = None, expected_platform: str | None = None,
                 release_path: str = "/etc/dgx-release") -> list[str]:
    """Plain sentences, e.g. 'dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)',
    'dgx01: 8 GPUs are Tesla V100-SXM2-16GB, dgx-1 has Tesla V100-SXM2-32GB' and
    'dgx01: DGX platform is DGX Server for DGX A100, dgx-1 is a DGX-1'. Without hw_model the
    sentences say 'expected' instead of '<hw_model> has' / '<hw_model> is a'."""
    problems = []
    count = facts.get("count", 0)
    has = f"{hw_model} has" if hw_model else "expected"
    if expected_count is not None and count != int(expected_count):
        what = f" ({expected_model})" if expected_model else ""
        problems.append(f"{host}: {_gpus(count)} found, {has} {int(expected_count)}{what}")
    if expected_model:
        wrong: dict = {}
        for d in facts.get("devices") or []:
            if not same_gpu_model(d.get("name"), expected_model):
                wrong[d.get("name")] = wrong.get(d.get("name"), 0) + 1
        for name, n in wrong.items():
            verb = "is" if n == 1 else "are"
            problems.append(f"{host}: {_gpus(n)} {verb} {name}, {has} {expected_model}")
    if expected_platform:
        is_a = f"{hw_model} is a" if hw_model else "expected"
        release = facts.get("dgx_release")
        if not release:
            problems.append(f"{host}: {release_path} not found, {is_a} {expected_platform}")
        elif not same_platform(release.get("platform"), expected_platform):
            problems.append(f"{host}: DGX platform is {release.get('platform') or 'not set'} in {release_path}, "
                            f"{is_a} {expected_platform}")
    return problems
