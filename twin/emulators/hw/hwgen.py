# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Deterministic hardware for the twin (stdlib only).

Builds the per-host ``hardware.json`` and the pod-wide ``fabric.json`` documented in
``twinhw.py``. Everything derives from (pod, host, index) through SHA-256, so the same
inventory always gives the same GUIDs, LIDs, UUIDs, serials and bus ids.

    hw = host_hardware("twin", "dgx01", "dgx", "dgx-1", catalog["models"]["dgx-1"],
                       cables=[{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 1}, ...],
                       netdevs={"mlx5_0/1": "ib0"})
    fab = fabric("twin", [hw, ...], [{"name": "ib-sw1", "hw_model": "sb7800", "ports": 36,
                                      "rate_gbps": 100}])   # also sets every port's LID in hw

Fault helpers for ``deploy-pod sim fault`` keep both files consistent:
``set_port_state``, ``recable``, ``set_gpu_present``.
"""

from __future__ import annotations

import hashlib

# Per-model facts the catalog does not carry (it describes what matters to deployment,
# not PCI addresses). Values follow the vendors' published layouts where known.
PROFILES: dict[str, dict] = {
    "dgx-1": {
        "ca_type": "MT4115", "fw": "12.28.2006", "guid_oui": 0x248A07,
        "bus": ["06", "07", "0A", "0B", "85", "86", "89", "8A"],
        "cpu_affinity": ["0-19,40-59", "20-39,60-79"], "same_numa": "PHB",
        "power": (44.0, 300), "mig": "N/A", "driver": "535.183.06",
        "release": ("5.5.1", "2020-10-26-11-53-11", "7501dff"),
    },
    "dgx-2": {
        "ca_type": "MT4119", "fw": "16.35.2000", "guid_oui": 0x98039B,
        "bus": ["34", "36", "39", "3B", "57", "59", "5C", "5E",
                "B7", "B9", "BC", "BE", "E0", "E2", "E5", "E7"],
        "cpu_affinity": ["0-23,48-71", "24-47,72-95"], "same_numa": "NODE",
        "power": (51.0, 350), "mig": "N/A", "driver": "535.183.06",
        "release": ("5.5.1", "2020-10-26-11-53-11", "7501dff"),
    },
    "dgx-a100": {
        "ca_type": "MT4123", "fw": "20.39.1002", "guid_oui": 0x1070FD,
        "bus": ["07", "0F", "47", "4E", "87", "90", "B7", "BD"],
        "cpu_affinity": ["48-63,176-191", "48-63,176-191", "16-31,144-159", "16-31,144-159",
                         "112-127,240-255", "112-127,240-255", "80-95,208-223", "80-95,208-223"],
        "numa": [3, 3, 1, 1, 7, 7, 5, 5], "same_numa": "SYS",
        # from the ibp<bus>s<slot>[f<fn>] names DGX OS gives the ports (catalog ib.hcas)
        "nic_pci": {"mlx5_0": "0000:0c:00.0", "mlx5_1": "0000:12:00.0", "mlx5_2": "0000:4b:00.0",
                    "mlx5_3": "0000:54:00.0", "mlx5_4": "0000:61:00.0", "mlx5_5": "0000:61:00.1",
                    "mlx5_6": "0000:8d:00.0", "mlx5_7": "0000:94:00.0", "mlx5_8": "0000:ba:00.0",
                    "mlx5_9": "0000:cc:00.0", "mlx5_10": "0000:e1:00.0", "mlx5_11": "0000:e1:00.1"},
        "power": (60.0, 400), "mig": "Disabled", "driver": "535.183.06",
        "release": ("6.1.0", "2023-09-06-13-34-37", "5b8a1c0"),
    },
    "dgx-h100": {
        "ca_type": "MT4129", "fw": "28.39.1002", "guid_oui": 0xB83FD2,
        "bus": ["1B", "43", "52", "61", "9D", "C3", "D1", "DF"],
        "cpu_affinity": ["0-55,112-167", "56-111,168-223"], "same_numa": "NODE",
        "power": (72.0, 700), "mig": "Disabled", "driver": "535.183.06",
        "release": ("6.1.0", "2023-09-06-13-34-37", "5b8a1c0"),
    },
    "ess-3000": {"ca_type": "MT4119", "fw": "16.35.2000", "guid_oui": 0x0C42A1},
}
GENERIC_PROFILE = {"ca_type": None, "fw": None, "guid_oui": 0x248A07, "bus": [],
                   "cpu_affinity": ["0-15,32-47", "16-31,48-63"], "same_numa": "NODE",
                   "power": (50.0, 300), "mig": "N/A", "driver": "535.183.06",
                   "release": ("6.1.0", "2023-09-06-13-34-37", "5b8a1c0")}
CA_BY_TYPE = {"MT4099": "2.42.5000", "MT4115": "12.28.2006", "MT4119": "16.35.2000", "MT4123": "20.39.1002",
              "MT4129": "28.39.1002"}
CA_BY_RATE = {40: ("MT4099", "2.42.5000"), 56: ("MT4115", "12.28.2006"), 100: ("MT4119", "16.35.2000"),
              200: ("MT4123", "20.39.1002"), 400: ("MT4129", "28.39.1002")}
# nvidia-smi reports a little less than the marketing size on some parts
GPU_MEMORY_MIB = {"NVIDIA H100 80GB HBM3": 81559, "NVIDIA A100-SXM4-80GB": 81920,
                  "NVIDIA A100-SXM4-40GB": 40960}
SWITCH_PARTS = {"sb7700": "MSB7700", "sb7800": "MSB7800", "sb7890": "MSB7890", "qm8700": "MQM8700",
                "qm8790": "MQM8790", "qm9700": "MQM9700", "qm9790": "MQM9790"}
SWITCH_OUI = 0x7CFE90


def _hash(*parts) -> int:
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def guid(pod: str, host: str, index: int, oui: int = 0x248A07) -> str:
    """Mellanox-style GUID: OUI, 0x03, 24 bits from (pod, host), 8 bits from index."""
    low = (_hash("guid", pod, host) & 0xFFFFFF) << 8 | (index & 0xFF)
    return "0x%06x03%08x" % (oui, low)


def hca_guid(pod: str, host: str, ca_index: int, oui: int = 0x248A07) -> str:
    # 4 ports per CA leave room for port GUIDs = node GUID + port - 1
    return guid(pod, host, ca_index * 4, oui)


def switch_guid(pod: str, name: str) -> str:
    return guid(pod, "switch:" + name, 0, SWITCH_OUI)


def lid(pod: str, host: str, index: int) -> int:
    """Provisional LID in 64..49151; fabric() renumbers all LIDs the way an SM would."""
    return 64 + _hash("lid", pod, host, index) % (0xBFFF - 64)


def gpu_uuid(pod: str, host: str, index: int) -> str:
    h = "%032x" % _hash("uuid", pod, host, index)
    return f"GPU-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def gpu_serial(pod: str, host: str, index: int) -> str:
    return "%013d" % (_hash("serial", pod, host, index) % 10**13)


def bus_id(pod: str, host: str, index: int, hw_model: str = "") -> str:
    bus = _profile(hw_model).get("bus") or []
    if index < len(bus):
        return f"00000000:{bus[index]}:00.0"
    return "00000000:%02X:00.0" % ((0x10 + index * 0x10) % 0x100 or 0x01)


def system_serial(pod: str, host: str) -> str:
    return "QTFC%s" % ("%09d" % (_hash("sysserial", pod, host) % 10**9))


def _profile(hw_model: str) -> dict:
    return {**GENERIC_PROFILE, **PROFILES.get(str(hw_model).lower(), {})}


def _ca_num(name: str) -> int:
    tail = str(name).rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _parse_port_name(name: str) -> tuple[str, int]:
    ca, _, port = str(name).partition("/")
    return ca, int(port or 1)


def _ca_sort_key(name: str):
    return name  # ibstat lists CAs in alphasort order (mlx5_10 before mlx5_2), as scandir does


def host_hardware(pod: str, host: str, role: str, hw_model: str, catalog_entry: dict,
                  cables: list[dict] | None = None, netdevs: dict | None = None) -> dict:
    """One host's hardware.json content.

    catalog_entry: the catalog's models.<hw_model> dict (gpus.count/model/memory_gib/
    interconnect, ib.storage_ports ["mlx5_0/1", ...], ib.rate_gbps, dgx_platform, name).
    cables: [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 3}]; a port without a
    cable is Down/Polling, a cable to a port the catalog does not list adds that port.
    netdevs: {"mlx5_0/1": "ib0"}; default ib0, ib1, ... in port order.
    """
    entry = catalog_entry or {}
    prof = _profile(hw_model)
    ib = entry.get("ib") or {}
    rate = int(ib.get("rate_gbps") or 100)
    ca_type_rate, fw_rate = CA_BY_RATE.get(rate, ("MT4119", "16.35.2000"))
    ca_type = ib.get("ca_type") or prof.get("ca_type") or ca_type_rate
    fw = ib.get("fw") or prof.get("fw") or fw_rate
    oui = prof.get("guid_oui", 0x248A07)
    cables = list(cables or [])
    netdevs = dict(netdevs or {})

    listed = {h["name"]: h for h in ib.get("hcas") or [] if h.get("name")}
    if listed:  # every RDMA device the model has (catalog ib.hcas), cabled or not
        port_names = [f"{n}/{k}" for n, h in listed.items() for k in range(1, int(h.get("ports") or 1) + 1)]
    else:
        port_names = [p for p in ib.get("storage_ports") or []]
    for c in cables:
        ca, num = _parse_port_name(c["port"])
        if f"{ca}/{num}" not in port_names:
            port_names.append(f"{ca}/{num}")
    by_ca: dict[str, list[int]] = {}
    for name in port_names:
        ca, num = _parse_port_name(name)
        by_ca.setdefault(ca, [])
        if num not in by_ca[ca]:
            by_ca[ca].append(num)
    cable_of = {}
    for c in cables:
        ca, num = _parse_port_name(c["port"])
        cable_of[(ca, num)] = c

    hcas = []
    ordered = sorted(by_ca, key=lambda n: (len(n), n))  # mlx5_2 before mlx5_10 for ibN naming
    taken = set(netdevs.values())
    netdev_of = {}
    # planned netdevs first, then the name DGX OS gives the port (catalog), else the next free ibN
    for ca in ordered:
        for num in sorted(by_ca[ca]):
            key = f"{ca}/{num}"
            if key in netdevs:
                netdev_of[(ca, num)] = netdevs[key]
    for ca in ordered:
        for num in sorted(by_ca[ca]):
            if (ca, num) in netdev_of:
                continue
            want = (listed.get(ca) or {}).get("netdev") if num == 1 else None
            if not want or want in taken:
                n = 0
                while f"ib{n}" in taken:
                    n += 1
                want = f"ib{n}"
            taken.add(want)
            netdev_of[(ca, num)] = want
    pci = prof.get("nic_pci") or {}
    for ca in sorted(by_ca, key=_ca_sort_key):
        ca_index = _ca_num(ca)
        spec = listed.get(ca) or {}
        this_type = spec.get("ca_type") or ca_type
        this_fw = fw if this_type == ca_type else CA_BY_TYPE.get(this_type, fw)
        node_guid = hca_guid(pod, host, ca_index, oui)
        ports = []
        for num in sorted(by_ca[ca]):
            cable = cable_of.get((ca, num))
            remote = None
            if cable and cable.get("switch"):
                remote = {"switch": cable["switch"], "port": int(cable["switch_port"])}
            port_guid = "0x%016x" % (int(node_guid, 16) + num - 1)
            ethernet = spec.get("link_layer") == "Ethernet" and not remote
            if remote:
                state, phys = "Active", "LinkUp"
            else:  # no cable: an IB port polls for a peer, an Ethernet port has no link
                state, phys = "Down", ("Disabled" if ethernet else "Polling")
            ports.append({
                "num": num, "state": state, "phys_state": phys,
                "rate_gbps": int(spec.get("rate_gbps") or rate), "width": "4X",
                "lid": 0 if ethernet else lid(pod, host, ca_index * 4 + num), "sm_lid": 0 if ethernet else 1,
                "lmc": 0, "port_guid": port_guid,
                "cap_mask": "0x00010000" if ethernet else (
                    "0xa651e848" if this_type in ("MT4123", "MT4129") else "0x2651e848"),
                "link_layer": "Ethernet" if ethernet else "InfiniBand", "mtu": 1024 if ethernet else 4096,
                "netdev": netdev_of[(ca, num)],
                "remote": remote,
            })
        hcas.append({
            "name": ca, "ca_type": this_type, "fw": this_fw, "hw_ver": "0",
            "node_guid": node_guid, "sys_guid": node_guid,
            "vendor_part_id": int("".join(ch for ch in this_type if ch.isdigit()) or 0),
            "board_id": "MT_%010d" % (_hash("board", hw_model, this_type) % 10**10),
            "pci_addr": pci.get(ca) or "0000:%02x:00.0" % ((0x05 + ca_index * 0x10) % 0x100),
            "ports": ports,
        })

    gpus_spec = entry.get("gpus") or {}
    gpu_count = int(gpus_spec.get("count") or 0)
    gpu_model = gpus_spec.get("model") or "Unknown GPU"
    mem = GPU_MEMORY_MIB.get(gpu_model) or int(float(gpus_spec.get("memory_gib") or 0) * 1024)
    idle_w, cap_w = prof.get("power", (50.0, 300))
    affinity = prof.get("cpu_affinity") or ["0-15"]
    numa = prof.get("numa")
    gpus = []
    for i in range(gpu_count):
        half = 0 if i < gpu_count / 2 else 1
        aff = affinity[i] if len(affinity) == gpu_count else affinity[min(half, len(affinity) - 1)]
        h = _hash("gpu-sensors", pod, host, i)
        gpus.append({
            "index": i, "model": gpu_model, "memory_mib": mem,
            "uuid": gpu_uuid(pod, host, i), "bus_id": bus_id(pod, host, i, hw_model),
            "serial": gpu_serial(pod, host, i), "present": True,
            "temperature_c": 28 + h % 9, "power_draw_w": round(idle_w + (h >> 8) % 600 / 100.0, 2),
            "power_limit_w": cap_w, "memory_used_mib": 0, "utilization_pct": 0,
            "persistence": True, "pstate": "P0", "ecc_errors": 0, "mig": prof.get("mig", "N/A"),
            "numa_node": numa[i] if numa and i < len(numa) else half, "cpu_affinity": aff,
        })

    dgx_platform = entry.get("dgx_platform")
    software = entry.get("software") or {}
    is_dgx = bool(dgx_platform) or str(role).lower() == "dgx"
    hw = {
        "schema": 1, "host": host, "pod": pod, "role": role, "hw_model": hw_model,
        "hw_name": entry.get("name") or hw_model,
        "dgx_platform": dgx_platform,
        "dgx_release": _dgx_release(pod, host, hw_model, dgx_platform, software.get("dgx_os")) if is_dgx else None,
        "driver_version": str(software.get("driver_version") or prof.get("driver", "535.183.06")) if gpus else None,
        "gpu_interconnect": gpus_spec.get("interconnect"),
        "gpus": gpus,
        "hcas": hcas,
    }
    if not gpus:
        hw.pop("driver_version")
    hw["topology"] = gpu_topology(hw_model, gpus, hcas, gpus_spec.get("interconnect")) if gpus else None
    return hw


# install-block build date and commit per DGX OS major (made up: no DGX OS 4 file was captured)
DGX_OS_BUILDS = {"4": ("2019-03-11-17-34-52", "c5bc1a0"), "5": ("2020-10-26-11-53-11", "7501dff"),
                 "6": ("2023-09-06-13-34-37", "5b8a1c0")}

DGX_PLATFORMS = {"dgx-1": "DGX-1", "dgx-2": "DGX-2", "dgx-a100": "DGX A100", "dgx-h100": "DGX H100",
                 "dgx-h200": "DGX H200", "dgx-b200": "DGX B200"}


def platform_line(hw_model: str, platform: str | None) -> str:
    """DGX_PLATFORM value: the catalog's dgx_platform ('DGX-1' or already 'DGX Server for DGX A100')."""
    name = platform or DGX_PLATFORMS.get(str(hw_model).lower()) or str(hw_model).upper()
    return name if name.startswith("DGX Server") else f"DGX Server for {name}"


def _dgx_release(pod: str, host: str, hw_model: str, platform: str | None, dgx_os: str | None = None) -> dict:
    """DGX OS 4 and 5+ write the same keys (DGX OS 4.x DGX-1 files carry DGX_PLATFORM 'DGX Server
    for DGX-1', see the catalog sources); the catalog's software.dgx_os picks the release."""
    version, date, commit = _profile(hw_model).get("release", GENERIC_PROFILE["release"])
    if dgx_os:
        version = str(dgx_os)
        date, commit = DGX_OS_BUILDS.get(version.split(".")[0], (date, commit))
    base = version.split(".")[0] + ".0.0"
    ota = [] if version == base else [{"version": version, "date": "2024-03-12-10-41-07"}]
    return {
        "name": "DGX Server", "pretty_name": "NVIDIA DGX Server",
        "swbuild_date": date, "swbuild_version": base, "commit_id": commit,
        "platform": platform_line(hw_model, platform),
        "serial_number": system_serial(pod, host), "ota": ota,
    }


# DGX-1 hybrid cube-mesh: NVLink bonds between V100s (nvidia-smi topo -m on a DGX-1)
DGX1_NVLINK = [
    [0, 1, 1, 2, 2, 0, 0, 0],
    [1, 0, 2, 1, 0, 2, 0, 0],
    [1, 2, 0, 2, 0, 0, 1, 0],
    [2, 1, 2, 0, 0, 0, 0, 1],
    [2, 0, 0, 0, 0, 1, 1, 2],
    [0, 2, 0, 0, 1, 0, 2, 1],
    [0, 0, 1, 0, 1, 2, 0, 2],
    [0, 0, 0, 1, 2, 1, 2, 0],
]
UNIFORM_NVLINK = {"dgx-2": 6, "dgx-a100": 12, "dgx-h100": 18}


# Where each RDMA device sits in the PCIe tree, per model: socket (NUMA domain), the GPUs
# behind the same PCIe switch ('near', printed as the model's near label), the GPUs one
# switch further ('pxb'), a group of NICs sharing a switch tree (NIC-NIC PXB) and a card
# (functions of one dual-port card, NIC-NIC PIX). Sources: DGX-1 tests/fixtures/nvidia_smi_topo_m.1.txt
# (exact); DGX A100 tests/fixtures/real/nvidia_smi_topo_m.2.txt (exact for what it shows);
# DGX-2 the GPU0-GPU4 rows of NVIDIA/nccl-tests issue #78 (the second socket mirrored, the
# Ethernet pair's place on socket 1 assumed); DGX H100 the GPU-NIC pairs of the DGX H100
# User Guide Table 6 (PIX per pair, NODE/SYS elsewhere: modelled, no capture found).
def _nic(socket, near=(), pxb=(), group=None, card=None):
    return {"socket": socket, "near": tuple(near), "pxb": tuple(pxb), "group": group, "card": card}


NIC_LAYOUTS = {
    "dgx-1": {"near_label": "PIX", "same_numa": "PHB", "gpu_socket": lambda i: 0 if i < 4 else 1,
              "order": ["mlx5_0", "mlx5_2", "mlx5_1", "mlx5_3"],
              "nics": {"mlx5_0": _nic(0, (0, 1)), "mlx5_1": _nic(0, (2, 3)),
                       "mlx5_2": _nic(1, (4, 5)), "mlx5_3": _nic(1, (6, 7))}},
    "dgx-2": {"near_label": "PIX", "same_numa": "NODE", "gpu_socket": lambda i: 0 if i < 8 else 1,
              "gpu_group": lambda i: i // 4,
              "nics": {"mlx5_0": _nic(0, (0, 1), (2, 3), "a"), "mlx5_1": _nic(0, (2, 3), (0, 1), "a"),
                       "mlx5_2": _nic(0, (4, 5), (6, 7), "b"), "mlx5_3": _nic(0, (6, 7), (4, 5), "b"),
                       "mlx5_4": _nic(1, card="eth"), "mlx5_5": _nic(1, card="eth"),
                       "mlx5_6": _nic(1, (8, 9), (10, 11), "c"), "mlx5_7": _nic(1, (10, 11), (8, 9), "c"),
                       "mlx5_8": _nic(1, (12, 13), (14, 15), "d"), "mlx5_9": _nic(1, (14, 15), (12, 13), "d")}},
    # NPS4: every GPU pair and its two NICs hang off their own NUMA node, so everything else is SYS
    "dgx-a100": {"near_label": "PXB", "same_numa": "SYS", "gpu_socket": lambda i: i // 2,
                 "nics": {"mlx5_0": _nic(0, (0, 1), group="a"), "mlx5_1": _nic(0, (0, 1), group="a"),
                          "mlx5_2": _nic(1, (2, 3), group="b"), "mlx5_3": _nic(1, (2, 3), group="b"),
                          "mlx5_4": _nic(8, card="slot-97"), "mlx5_5": _nic(8, card="slot-97"),
                          "mlx5_6": _nic(2, (4, 5), group="c"), "mlx5_7": _nic(2, (4, 5), group="c"),
                          "mlx5_8": _nic(3, (6, 7), group="d"), "mlx5_9": _nic(3, (6, 7), group="d"),
                          "mlx5_10": _nic(9, card="slot-225"), "mlx5_11": _nic(9, card="slot-225")}},
    "dgx-h100": {"near_label": "PIX", "same_numa": "NODE", "gpu_socket": lambda i: 0 if i < 4 else 1,
                 "nics": {"mlx5_0": _nic(0, (0,)), "mlx5_3": _nic(0, (1,)), "mlx5_4": _nic(0, (2,)),
                          "mlx5_5": _nic(0, (3,)), "mlx5_6": _nic(1, (4,)), "mlx5_9": _nic(1, (5,)),
                          "mlx5_10": _nic(1, (6,)), "mlx5_11": _nic(1, (7,)),
                          "mlx5_1": _nic(0, card="slot-2"), "mlx5_2": _nic(0, card="slot-2"),
                          "mlx5_7": _nic(1, card="slot-1"), "mlx5_8": _nic(1, card="slot-1")}},
}


def gpu_topology(hw_model: str, gpus: list[dict], hcas: list[dict], interconnect: str | None = None) -> dict:
    """The nvidia-smi topo -m matrix by slot (see twinhw.py 'topology'), plus 'matrix_pcie':
    the same with every GPU-GPU cell as its PCIe path (what `topo -mp` prints)."""
    model = str(hw_model).lower()
    prof = _profile(model)
    n = len(gpus)
    layout = NIC_LAYOUTS.get(model)
    names = [h["name"] for h in hcas]
    if layout and layout.get("order"):
        rank = {c: i for i, c in enumerate(layout["order"])}
        nics = sorted(names, key=lambda c: (rank.get(c, 99), len(c), c))
    else:
        nics = sorted(names, key=lambda c: (len(c), c))
    order = [f"GPU{g['index']}" for g in gpus] + nics
    half = n / 2 if n else 1
    uniform = UNIFORM_NVLINK.get(model)
    if uniform is None and interconnect and "switch" in str(interconnect).lower():
        uniform = 6

    if layout:
        near, same_numa = layout["near_label"], layout["same_numa"]
        gsock = layout["gpu_socket"]
        ggroup = layout.get("gpu_group", lambda i: None)
        lay = layout["nics"]

        def pcie(a: str, b: str) -> str:
            a_gpu, b_gpu = a.startswith("GPU"), b.startswith("GPU")
            if a_gpu and b_gpu:
                i, j = int(a[3:]), int(b[3:])
                pair = [k for k in lay.values() if i in k["near"] and j in k["near"]]
                if pair:
                    return near
                if ggroup(i) is not None and ggroup(i) == ggroup(j):
                    return "PXB"
                return same_numa if gsock(i) == gsock(j) else "SYS"
            if a_gpu or b_gpu:
                g, c = (int(a[3:]), b) if a_gpu else (int(b[3:]), a)
                info = lay.get(c)
                if info is None:
                    return "SYS"
                if g in info["near"]:
                    return near
                if g in info["pxb"]:
                    return "PXB"
                return same_numa if gsock(g) == info["socket"] else "SYS"
            ia, ib_ = lay.get(a), lay.get(b)
            if ia is None or ib_ is None:
                return "SYS"
            if ia["card"] and ia["card"] == ib_["card"]:
                return "PIX"
            if ia["group"] and ia["group"] == ib_["group"]:
                return "PXB"
            return same_numa if ia["socket"] == ib_["socket"] else "SYS"
    else:
        gpu_pair = {i: i // 2 for i in range(n)}
        nic_switch = {}
        per_pair = max(1, -(-len(nics) // max(1, n // 2)))   # NICs per GPU pair, rounded up
        for pos, ca in enumerate(sorted(names, key=lambda c: (len(c), c))):
            nic_switch[ca] = min(pos // per_pair, max(0, n // 2 - 1))
        pairs = max(1, n // 2)
        same_numa = prof.get("same_numa", "NODE")

        def pcie(a: str, b: str) -> str:
            a_gpu, b_gpu = a.startswith("GPU"), b.startswith("GPU")
            sw_a = gpu_pair[int(a[3:])] if a_gpu else nic_switch.get(a, 0)
            sw_b = gpu_pair[int(b[3:])] if b_gpu else nic_switch.get(b, 0)
            if sw_a == sw_b:
                return "PXB"
            return same_numa if (sw_a < pairs / 2) == (sw_b < pairs / 2) else "SYS"

    def link(a: str, b: str) -> str:
        if a == b:
            return "X"
        if a.startswith("GPU") and b.startswith("GPU"):
            i, j = int(a[3:]), int(b[3:])
            bonds = DGX1_NVLINK[i][j] if model == "dgx-1" and i < 8 and j < 8 else (uniform or 0)
            if bonds:
                return f"NV{bonds}"
        return pcie(a, b)

    matrix = [[link(a, b) for b in order] for a in order]
    matrix_pcie = [["X" if a == b else pcie(a, b) for b in order] for a in order]
    cpu = {f"GPU{g['index']}": g.get("cpu_affinity", "") for g in gpus}
    numa = {f"GPU{g['index']}": str(g.get("numa_node", 0)) for g in gpus}
    del half
    return {"order": order, "matrix": matrix, "matrix_pcie": matrix_pcie, "cpu_affinity": cpu,
            "numa_affinity": numa}


def fabric(pod: str, hosts_hw: list[dict], switches: list[dict], isls: list[dict] | None = None) -> dict:
    """The pod-wide fabric.json; also renumbers LIDs in hosts_hw in place (the SM's view).

    switches: [{"name": "ib-sw1", "hw_model": "sb7800", "ports": 36, "rate_gbps": 100}]
    isls: [{"switch": "ib-sw1", "port": 35, "peer": "ib-sw2", "peer_port": 35}]
    Raises ValueError on a switch port used twice, an unknown switch, or a GUID clash.
    """
    sw_out = []
    names = {}
    for pos, sw in enumerate(switches):
        model = str(sw.get("hw_model") or "sb7800").lower()
        part = SWITCH_PARTS.get(model, model.upper())
        entry = {
            "name": sw["name"], "hw_model": model,
            "description": sw.get("description") or f"MF0;{sw['name']}:{part}/U1",
            "guid": sw.get("guid") or switch_guid(pod, sw["name"]),
            "lid": pos + 1, "ports": int(sw.get("ports") or 36),
            "rate_gbps": int(sw.get("rate_gbps") or 100),
        }
        names[sw["name"]] = entry
        sw_out.append(entry)
    sm_lid = 1 if sw_out else 0
    used: dict[tuple[str, int], str] = {}
    guids: dict[str, str] = {s["guid"]: s["name"] for s in sw_out}
    next_lid = len(sw_out) + 1
    links = []
    for hw in sorted(hosts_hw, key=lambda h: h["host"]):
        for hca in hw.get("hcas") or []:
            if hca["node_guid"] in guids:
                raise ValueError(f"GUID clash: {hw['host']} {hca['name']} and {guids[hca['node_guid']]}")
            guids[hca["node_guid"]] = f"{hw['host']} {hca['name']}"
            for port in hca.get("ports") or []:
                remote = port.get("remote") or {}
                sw_name, sw_port = remote.get("switch"), remote.get("port")
                if sw_name is not None:
                    if sw_name not in names:
                        raise ValueError(f"{hw['host']} {hca['name']}/{port['num']}: unknown switch {sw_name}")
                    key = (sw_name, int(sw_port))
                    if not 1 <= key[1] <= names[sw_name]["ports"]:
                        raise ValueError(f"{hw['host']} {hca['name']}/{port['num']}: {sw_name} has no port {sw_port}")
                    if key in used:
                        raise ValueError(f"{sw_name} port {sw_port} cabled twice: {used[key]} and "
                                         f"{hw['host']} {hca['name']}/{port['num']}")
                    used[key] = f"{hw['host']} {hca['name']}/{port['num']}"
                    # the link trains to the slower end: an HDR HCA on an EDR switch runs at 100
                    port["rate_gbps"] = min(int(port.get("rate_gbps") or 100), names[sw_name]["rate_gbps"])
                port["lid"] = next_lid
                port["sm_lid"] = sm_lid
                next_lid += 1
                links.append({
                    "host": hw["host"], "ca": hca["name"], "port": port["num"],
                    "node_guid": hca["node_guid"], "port_guid": port.get("port_guid"),
                    "node_desc": f"{hw['host']} {hca['name']}", "lid": port["lid"],
                    "ca_type": hca.get("ca_type"),
                    "switch": sw_name, "switch_port": int(sw_port) if sw_port is not None else None,
                    "state": port.get("state", "Active"), "phys_state": port.get("phys_state"),
                    "rate_gbps": port.get("rate_gbps", 100), "width": port.get("width", "4X"),
                    "link_layer": port.get("link_layer", "InfiniBand"),
                })
    isl_out = []
    for isl in isls or []:
        for end in ((isl["switch"], isl["port"]), (isl["peer"], isl["peer_port"])):
            if end[0] not in names:
                raise ValueError(f"ISL to unknown switch {end[0]}")
            if end in used:
                raise ValueError(f"{end[0]} port {end[1]} cabled twice")
            used[end] = "isl"
        isl_out.append({"switch": isl["switch"], "port": int(isl["port"]), "peer": isl["peer"],
                        "peer_port": int(isl["peer_port"]), "state": isl.get("state", "Active"),
                        "rate_gbps": int(isl.get("rate_gbps") or names[isl["switch"]]["rate_gbps"]),
                        "width": isl.get("width", "4X")})
    return {"schema": 1, "pod": pod, "sm_lid": sm_lid, "switches": sw_out, "links": links, "isls": isl_out}


# ---- fault helpers (keep hardware.json and fabric.json consistent) -------------------

def _fabric_link(fab: dict, host: str, ca: str, port: int) -> dict | None:
    for link in fab.get("links") or []:
        if link["host"] == host and link["ca"] == ca and int(link["port"]) == int(port):
            return link
    return None


def _hw_port(hw: dict, ca: str, port: int) -> dict:
    for hca in hw.get("hcas") or []:
        if hca["name"] == ca:
            for p in hca.get("ports") or []:
                if int(p["num"]) == int(port):
                    return p
    raise KeyError(f"{hw.get('host')}: no port {ca}/{port}")


def set_port_state(hw: dict, fab: dict | None, ca: str, port: int, state: str,
                   phys_state: str | None = None) -> None:
    """state 'Down' (phys Polling, or 'Disabled') or 'Active' (phys LinkUp)."""
    phys = phys_state or ("LinkUp" if state.lower() == "active" else "Polling")
    p = _hw_port(hw, ca, port)
    p["state"], p["phys_state"] = state, phys
    if fab is not None:
        link = _fabric_link(fab, hw["host"], ca, port)
        if link is not None:
            link["state"], link["phys_state"] = state, phys


def recable(hw: dict, fab: dict | None, ca: str, port: int, switch: str | None, switch_port: int | None) -> None:
    """Move a host port's cable to another switch port (None: unplug)."""
    p = _hw_port(hw, ca, port)
    p["remote"] = {"switch": switch, "port": int(switch_port)} if switch else None
    if fab is not None:
        link = _fabric_link(fab, hw["host"], ca, port)
        if link is not None:
            link["switch"], link["switch_port"] = switch, (int(switch_port) if switch else None)


def set_gpu_present(hw: dict, index: int, present: bool) -> None:
    for g in hw.get("gpus") or []:
        if int(g["index"]) == int(index):
            g["present"] = bool(present)
            return
    raise KeyError(f"{hw.get('host')}: no GPU slot {index}")
