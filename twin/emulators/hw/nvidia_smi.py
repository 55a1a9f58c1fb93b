#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated nvidia-smi for the deploy-pod twin (stdlib only).

The dialect follows driver_version in the hardware file:
- the default table: the classic 79-column layout up to driver 525 (names cut to 18
  characters, 'Tesla V100-SXM2...'; no 'CUDA Version' before 410 except late 384 builds;
  the 'MIG M.' row and GI/CI process header from 450), the wide layout from 530;
- -L; --query-gpu=<fields> --format=csv[,noheader][,nounits] (fields of the real
  --help-query-gpu list; mig.* only from 450, compute_cap from 510); -i/--id;
- topo -m / --matrix, topo -mp (PCIe paths only), topo -p2p r|w|n|a|p;
- nvlink -s / --status.
Anything else fails as the real tool does: 'Invalid combination of input arguments. Please
run 'nvidia-smi -h' for help.' and exit 2 (nvidia-smi(1): 2 = invalid argument or flag).
A GPU marked present=false in the hardware file is absent everywhere and the others are
renumbered, as when a GPU falls off the bus. Nothing is measured: temperatures, power and
utilisation come from the hardware file.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

SEP = "+-----------------------------------------+------------------------+----------------------+"
FULL = "+-----------------------------------------------------------------------------------------+"


INVALID = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n"
CSEP = "+-------------------------------+----------------------+----------------------+"
CFULL = "+-----------------------------------------------------------------------------+"


def _name(name: str) -> str:
    return name if len(name) <= 27 else name[:24] + "..."


def _short(name: str) -> str:
    """Classic layout: 18 characters, longer names cut to 15 + '...' ('Tesla V100-SXM2...')."""
    return name if len(name) <= 18 else name[:15] + "..."


def _driver_minor(hw: dict) -> int:
    parts = str(hw.get("driver_version", "")).split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def shows_cuda(hw: dict) -> bool:
    """'CUDA Version' is in the header from 410 (and in late 384 builds: 384.183 prints it,
    tests/fixtures/real/nvidia_smi.6.txt); 396.26 does not (nvidia_smi.7.txt)."""
    major = twinhw.driver_major(hw)
    return major >= 410 or (major == 384 and _driver_minor(hw) >= 183)


def classic_table(hw: dict, gpus: list[dict]) -> str:
    """Drivers up to 525: tests/fixtures/real/nvidia_smi.{5,6,7,8,9,10}.txt."""
    major = twinhw.driver_major(hw)
    drv = hw["driver_version"]
    now = time.localtime()
    date = time.strftime("%a %b ", now) + "%2d" % now.tm_mday + time.strftime(" %H:%M:%S %Y", now)
    if shows_cuda(hw):
        head = "| NVIDIA-SMI %-13sDriver Version: %-13sCUDA Version: %-9s|" % (drv, drv, hw["cuda_version"])
    else:
        head = "| NVIDIA-SMI %-23sDriver Version: %-26s|" % (drv, drv)
    lines = [date + "       ", CFULL, head,
             "|-------------------------------+----------------------+----------------------+",
             "| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |",
             "| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |"]
    if major >= 450:
        lines.append("|                               |                      |               MIG M. |")
    lines.append("|===============================+======================+======================|")
    for g in gpus:
        persist = "On" if g["persistence"] else "Off"
        lines.append("| %3d  %-18s  %-3s  | %s Off | %20s |" % (
            g["display_index"], _short(g["model"]), persist, g["bus_id"], g["ecc_errors"]))
        lines.append("| N/A  %3dC    %-2s  %4dW / %3dW | %6dMiB / %5dMiB | %6d%%  %11s |" % (
            g["temperature_c"], g["pstate"], round(float(g["power_draw_w"])), int(g["power_limit_w"]),
            g["memory_used_mib"], g["memory_mib"], g["utilization_pct"], "Default"))
        if major >= 450:
            lines.append("|                               |                      | %20s |" % g["mig"])
        lines.append(CSEP)
    lines += [" " * 79, CFULL]
    if major >= 450:
        lines += ["| Processes:                                                                  |",
                  "|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |",
                  "|        ID   ID                                                   Usage      |"]
    else:
        lines += ["| Processes:                                                       GPU Memory |",
                  "|  GPU       PID   Type   Process name                             Usage      |"]
    lines += ["|=============================================================================|",
              "|  No running processes found                                                 |", CFULL]
    return "\n".join(lines) + "\n"


def table(hw: dict, gpus: list[dict]) -> str:
    major = twinhw.driver_major(hw)
    if major < 530:
        return classic_table(hw, gpus)
    drv, cuda = hw["driver_version"], hw["cuda_version"]
    date = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime())
    lines = [date + ("       " if major >= 560 else "")]
    lines += [
        FULL,
        "| NVIDIA-SMI %-22s Driver Version: %-14s CUDA Version: %-9s|" % (drv, drv, cuda),
        "|-----------------------------------------+------------------------+----------------------+",
        "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |",
        "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |",
        "|                                         |                        |               MIG M. |",
        "|=========================================+========================+======================|",
    ]
    for g in gpus:
        persist = "On" if g["persistence"] else "Off"
        lines.append("| %3d  %-27s %5s  |   %s Off | %20s |" % (
            g["display_index"], _name(g["model"]), persist, g["bus_id"], g["ecc_errors"]))
        lines.append("| N/A  %3dC    %-2s  %14s / %4dW |%8sMiB / %6dMiB | %6d%%      Default |" % (
            g["temperature_c"], g["pstate"], "%dW" % round(float(g["power_draw_w"])), int(g["power_limit_w"]),
            g["memory_used_mib"], g["memory_mib"], g["utilization_pct"]))
        lines.append("|                                         |                        | %20s |" % g["mig"])
        lines.append(SEP)
    lines.append(" " * 89 if major >= 560 else "")
    if major >= 560:
        proc_hdr = "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |"
    else:
        proc_hdr = "|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |"
    lines += [
        FULL,
        "| Processes:                                                                              |",
        proc_hdr,
        "|        ID   ID                                                               Usage      |",
        "|=========================================================================================|",
        "|  No running processes found                                                             |",
        FULL,
    ]
    return "\n".join(lines) + "\n"


# per GPU model: PCI device id, PCIe generation, max SM / memory clocks, compute capability
# (public spec sheets and the PCI id database; [N/A] for models not listed)
GPU_FACTS = {
    "Tesla V100-SXM2-16GB": {"device_id": "0x1DB110DE", "sub_device_id": "0x121210DE", "pcie_gen": 3,
                             "sm_mhz": 1530, "mem_mhz": 877, "compute_cap": "7.0", "min_power_w": 150},
    "Tesla V100-SXM2-32GB": {"device_id": "0x1DB510DE", "sub_device_id": "0x124910DE", "pcie_gen": 3,
                             "sm_mhz": 1530, "mem_mhz": 877, "compute_cap": "7.0", "min_power_w": 150},
    "Tesla V100-SXM3-32GB": {"device_id": "0x1DB810DE", "sub_device_id": "0x12AB10DE", "pcie_gen": 3,
                             "sm_mhz": 1597, "mem_mhz": 958, "compute_cap": "7.0", "min_power_w": 150},
    "NVIDIA A100-SXM4-40GB": {"device_id": "0x20B010DE", "sub_device_id": "0x134F10DE", "pcie_gen": 4,
                              "sm_mhz": 1410, "mem_mhz": 1215, "compute_cap": "8.0", "min_power_w": 100},
    "NVIDIA A100-SXM4-80GB": {"device_id": "0x20B210DE", "sub_device_id": "0x147F10DE", "pcie_gen": 4,
                              "sm_mhz": 1410, "mem_mhz": 1593, "compute_cap": "8.0", "min_power_w": 100},
    "NVIDIA H100 80GB HBM3": {"device_id": "0x233010DE", "sub_device_id": "0x16C110DE", "pcie_gen": 5,
                              "sm_mhz": 1980, "mem_mhz": 2619, "compute_cap": "9.0", "min_power_w": 200},
}


def fact(g: dict, key: str):
    return (GPU_FACTS.get(g["model"]) or {}).get(key)


# field -> (header unit, value function)
def _mib(v):
    return f"{v} MiB", str(v)


def _fields(hw: dict, count: int):
    def w(v):
        return "%.2f W" % float(v), "%.2f" % float(v)

    def pct(v):
        return f"{v} %", str(v)

    def plain(v):
        return (str(v), str(v)) if v is not None else ("[N/A]", "[N/A]")

    def mhz(v):
        return (f"{v} MHz", str(v)) if v is not None else ("[N/A]", "[N/A]")

    table = {
        "index": (None, lambda g: plain(g["display_index"])),
        "name": (None, lambda g: plain(g["model"])),
        "gpu_name": (None, lambda g: plain(g["model"])),
        "uuid": (None, lambda g: plain(g["uuid"])),
        "gpu_uuid": (None, lambda g: plain(g["uuid"])),
        "serial": (None, lambda g: plain(g["serial"])),
        "gpu_serial": (None, lambda g: plain(g["serial"])),
        "pci.bus_id": (None, lambda g: plain(g["bus_id"])),
        "gpu_bus_id": (None, lambda g: plain(g["bus_id"])),
        "driver_version": (None, lambda g: plain(hw["driver_version"])),
        "count": (None, lambda g: plain(count)),
        "memory.total": ("MiB", lambda g: _mib(g["memory_mib"])),
        "memory.used": ("MiB", lambda g: _mib(g["memory_used_mib"])),
        "memory.free": ("MiB", lambda g: _mib(g["memory_mib"] - g["memory_used_mib"])),
        "temperature.gpu": (None, lambda g: plain(g["temperature_c"])),
        "utilization.gpu": ("%", lambda g: pct(g["utilization_pct"])),
        "utilization.memory": ("%", lambda g: pct(0)),
        "power.draw": ("W", lambda g: w(g["power_draw_w"])),
        "power.limit": ("W", lambda g: w(g["power_limit_w"])),
        "persistence_mode": (None, lambda g: plain("Enabled" if g["persistence"] else "Disabled")),
        "pstate": (None, lambda g: plain(g["pstate"])),
        "compute_mode": (None, lambda g: plain("Default")),
        "mig.mode.current": (None, lambda g: plain("[N/A]" if g["mig"] == "N/A" else g["mig"])),
        "ecc.errors.uncorrected.volatile.total": (None, lambda g: plain(g["ecc_errors"])),
        "fan.speed": ("%", lambda g: ("[N/A]", "[N/A]")),
        "vbios_version": (None, lambda g: plain(g.get("vbios", "88.00.4F.00.09"))),
        "timestamp": (None, lambda g: plain(time.strftime("%Y/%m/%d %H:%M:%S.000"))),
        "pci.domain": (None, lambda g: plain("0x" + g["bus_id"].split(":")[0][-4:])),
        "pci.bus": (None, lambda g: plain("0x" + g["bus_id"].split(":")[1])),
        "pci.device": (None, lambda g: plain("0x" + g["bus_id"].split(":")[2].split(".")[0])),
        "pci.device_id": (None, lambda g: plain(fact(g, "device_id"))),
        "pci.sub_device_id": (None, lambda g: plain(fact(g, "sub_device_id"))),
        "pcie.link.gen.current": (None, lambda g: plain(fact(g, "pcie_gen"))),
        "pcie.link.gen.max": (None, lambda g: plain(fact(g, "pcie_gen"))),
        "pcie.link.width.current": (None, lambda g: plain(16)),
        "pcie.link.width.max": (None, lambda g: plain(16)),
        "display_mode": (None, lambda g: plain("Enabled")),
        "display_active": (None, lambda g: plain("Disabled")),
        "accounting.mode": (None, lambda g: plain("Disabled")),
        "ecc.mode.current": (None, lambda g: plain("Enabled")),
        "ecc.mode.pending": (None, lambda g: plain("Enabled")),
        "ecc.errors.corrected.volatile.total": (None, lambda g: plain(0)),
        "ecc.errors.corrected.aggregate.total": (None, lambda g: plain(0)),
        "ecc.errors.uncorrected.aggregate.total": (None, lambda g: plain(g["ecc_errors"])),
        "retired_pages.pending": (None, lambda g: plain("No")),
        "temperature.memory": (None, lambda g: plain(g["temperature_c"] + 2)),
        "power.management": (None, lambda g: plain("Enabled")),
        "enforced.power.limit": ("W", lambda g: w(g["power_limit_w"])),
        "power.default_limit": ("W", lambda g: w(g["power_limit_w"])),
        "power.max_limit": ("W", lambda g: w(g["power_limit_w"])),
        "power.min_limit": ("W", lambda g: w(fact(g, "min_power_w") or 100)),
        "clocks.current.sm": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.sm": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.current.graphics": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.gr": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.current.memory": ("MHz", lambda g: mhz(fact(g, "mem_mhz"))),
        "clocks.mem": ("MHz", lambda g: mhz(fact(g, "mem_mhz"))),
        "clocks.max.sm": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.max.graphics": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.max.gr": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.max.memory": ("MHz", lambda g: mhz(fact(g, "mem_mhz"))),
        "clocks.max.mem": ("MHz", lambda g: mhz(fact(g, "mem_mhz"))),
        "clocks.applications.graphics": ("MHz", lambda g: mhz(fact(g, "sm_mhz"))),
        "clocks.applications.memory": ("MHz", lambda g: mhz(fact(g, "mem_mhz"))),
    }
    if twinhw.driver_major(hw) < 450:  # MIG arrived with the A100 driver branch
        table.pop("mig.mode.current")
    else:
        table["mig.mode.pending"] = table["mig.mode.current"]
    if twinhw.driver_major(hw) >= 510:
        table["compute_cap"] = (None, lambda g: plain(fact(g, "compute_cap")))
    return table


def query(hw: dict, gpus: list[dict], fields_arg: str, fmt: str) -> tuple[str, int]:
    opts = [o.strip() for o in fmt.split(",")]
    if not opts or opts[0] != "csv":
        return f'"{fmt}" is not a valid format. See nvidia-smi --help-query-gpu for details.\n', 2
    noheader, nounits = "noheader" in opts, "nounits" in opts
    names = [f.strip() for f in fields_arg.split(",") if f.strip()]
    table_ = _fields(hw, len(gpus))
    if not names:
        return INVALID, 2
    for n in names:
        if n not in table_:
            # on stdout: a real run with 2>/dev/null still shows it (code index hit 54053560940)
            return f'Field "{n}" is not a valid field to query.\n\n', 2
    out = []
    if not noheader:
        heads = []
        for n in names:
            unit = table_[n][0]
            heads.append(n if unit is None or nounits else f"{n} [{unit}]")
        out.append(", ".join(heads))
    for g in gpus:
        vals = []
        for n in names:
            with_unit, bare = table_[n][1](g)
            vals.append(bare if nounits else with_unit)
        out.append(", ".join(vals))
    return "\n".join(out) + "\n", 0


LEGEND_OLD = """
Legend:

  X    = Self
  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)
  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node
  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)
  PXB  = Connection traversing multiple PCIe switches (without traversing the PCIe Host Bridge)
  PIX  = Connection traversing a single PCIe switch
  NV#  = Connection traversing a bonded set of # NVLinks
"""
LEGEND_NEW = """
Legend:

  X    = Self
  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)
  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node
  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)
  PXB  = Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)
  PIX  = Connection traversing at most a single PCIe bridge
  NV#  = Connection traversing a bonded set of # NVLinks
"""


def topo(hw: dict, gpus: list[dict], pcie_only: bool = False) -> str:
    """topo -m (-mp: GPU-GPU cells as their PCIe path, no NVLink). Driver < 450: no NUMA
    column; < 515: NICs named mlx5_N in the matrix; >= 515: NIC# columns and a NIC Legend;
    >= 535: GPU NUMA ID column."""
    major = twinhw.driver_major(hw)
    t = hw.get("topology") or {}
    order = t.get("order") or [f"GPU{g['index']}" for g in hw["gpus"]]
    matrix = t.get("matrix")
    if pcie_only:
        matrix = t.get("matrix_pcie") or (
            [[("SYS" if str(v).startswith("NV") else v) for v in row] for row in matrix] if matrix else None)
    pos = {name: i for i, name in enumerate(order)}
    present = {f"GPU{g['index']}": g for g in gpus}
    rows = []  # (slot name, label)
    for name in order:
        if name.startswith("GPU"):
            if name in present:
                rows.append((name, f"GPU{present[name]['display_index']}"))
        else:
            rows.append((name, name))
    nic_names = [n for n, _ in rows if not n.startswith("GPU")]
    if major >= 515:
        relabel = {n: f"NIC{i}" for i, n in enumerate(nic_names)}
        rows = [(n, relabel.get(n, lab)) for n, lab in rows]
    extra = ["CPU Affinity"]
    if major >= 450:
        extra.append("NUMA Affinity")
    if major >= 535:
        extra.append("GPU NUMA ID")

    def cell(a, b):
        if a == b:
            return " X "
        if matrix and a in pos and b in pos:
            v = matrix[pos[a]][pos[b]]
            return " X " if v == "X" else v
        return "SYS"

    lines = ["\t" + "\t".join(lab for _, lab in rows) + "\t" + "\t".join(extra)]
    for name, label in rows:
        cells = [cell(name, other) for other, _ in rows]
        if name.startswith("GPU"):
            g = present[name]
            tail = [(t.get("cpu_affinity") or {}).get(name, g.get("cpu_affinity", ""))]
            if major >= 450:
                tail.append(str((t.get("numa_affinity") or {}).get(name, g.get("numa_node", 0))))
            if major >= 535:
                tail.append("N/A")
        else:
            tail = [""] * (len(extra) - (1 if major >= 535 else 0)) if major >= 450 else [""]
        lines.append(label + "\t" + "\t".join(cells) + "\t" + "\t".join(tail))
    text = "\n".join(lines) + "\n" + (LEGEND_NEW if major >= 515 else LEGEND_OLD)
    if major >= 515 and nic_names:
        text += "\nNIC Legend:\n\n" + "".join(f"  NIC{i}: {n}\n" for i, n in enumerate(nic_names)) + "\n"
    return text


P2P_MODES = {"r": "read", "w": "write", "n": "nvlink", "a": "atomics", "p": "prop"}


def p2p(hw: dict, gpus: list[dict], mode: str) -> str:
    """topo -p2p r|w|n|a|p: OK where NVLink joins two GPUs (or both sit under one PCIe switch),
    'CNS' across CPU sockets for PCIe modes and 'NS' without NVLink for mode n. Layout as real
    captures (leading space, tab separated, trailing tab; legend with DR from driver 525)."""
    t = hw.get("topology") or {}
    order = t.get("order") or []
    matrix = t.get("matrix") or []
    pos = {name: i for i, name in enumerate(order)}

    def status(a, b):
        if a == b:
            return "X"
        va = matrix[pos[a]][pos[b]] if a in pos and b in pos else "SYS"
        if va.startswith("NV"):
            return "OK"
        if mode == "n":
            return "NS"
        return "CNS" if va == "SYS" else "OK"

    names = [f"GPU{g['index']}" for g in gpus]
    labels = [f"GPU{g['display_index']}" for g in gpus]
    lines = [" \t" + "\t".join(labels) + "\t"]
    for name, label in zip(names, labels, strict=True):
        lines.append(" " + label + "\t" + "\t".join(status(name, o) for o in names) + "\t")
    legend = ["", "Legend:", "", "  X    = Self", "  OK   = Status Ok", "  CNS  = Chipset not supported",
              "  GNS  = GPU not supported", "  TNS  = Topology not supported", "  NS   = Not supported"]
    if twinhw.driver_major(hw) >= 525:
        legend.append("  DR   = Disabled by regkey")
    legend.append("  U    = Unknown")
    return "\n".join(lines + legend) + "\n"


# NVLink generation per GPU model: (links per GPU, GB/s per link as nvidia-smi nvlink -s prints it)
NVLINK = {"Tesla V100-SXM2-16GB": (6, "25.781"), "Tesla V100-SXM2-32GB": (6, "25.781"),
          "Tesla V100-SXM3-32GB": (6, "25.781"), "NVIDIA A100-SXM4-40GB": (12, "25"),
          "NVIDIA A100-SXM4-80GB": (12, "25"), "NVIDIA H100 80GB HBM3": (18, "26.562")}


def nvlink_status(hw: dict, gpus: list[dict]) -> str:
    """nvlink -s: per GPU its name line, then one line per link ('<inactive>' when unused)."""
    out = []
    for g in gpus:
        links, speed = NVLINK.get(g["model"], (0, "0"))
        out.append(f"GPU {g['display_index']}: {g['model']} (UUID: {g['uuid']})")
        for i in range(links):
            out.append(f"\t Link {i}: {speed} GB/s")
    return "\n".join(out) + "\n" if out else ""


def invalid() -> int:
    sys.stdout.write(INVALID)
    return 2


def main(argv: list[str]) -> int:
    hw = twinhw.load_or_die("nvidia-smi")
    gpus = twinhw.present_gpus(hw)
    if not hw["gpus"]:
        sys.stdout.write("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
                         "Make sure that the latest NVIDIA driver is installed and running.\n\n")
        return 9
    ids, query_arg, fmt = None, None, None
    it = iter(argv)
    for a in it:
        if a in ("-i", "--id"):
            ids = next(it, "")
        elif a.startswith("--id="):
            ids = a.split("=", 1)[1]
        elif a.startswith("--query-gpu="):
            query_arg = a.split("=", 1)[1]
        elif a == "--query-gpu":
            query_arg = next(it, "")
        elif a.startswith("--format="):
            fmt = a.split("=", 1)[1]
        elif a == "--format":
            fmt = next(it, "")
        elif a in ("-L", "--list-gpus"):
            if list(it):
                return invalid()
            for g in gpus:
                print(f"GPU {g['display_index']}: {g['model']} (UUID: {g['uuid']})")
            return 0
        elif a == "topo":
            rest = list(it)
            if rest in (["-m"], ["--matrix"]):
                sys.stdout.write(topo(hw, gpus))
                return 0
            if rest in (["-mp"], ["--matrix_pci"]):
                sys.stdout.write(topo(hw, gpus, pcie_only=True))
                return 0
            if len(rest) == 2 and rest[0] in ("-p2p", "--p2pstatus") and rest[1] in P2P_MODES:
                sys.stdout.write(p2p(hw, gpus, rest[1]))
                return 0
            if not rest:
                sys.stdout.write("topo -- Display topological information about the system.\n\n"
                                 "    Usage: nvidia-smi topo [options]\n\n    -m,   --matrix\n"
                                 "    -mp,  --matrix_pci\n    -p2p, --p2pstatus  r|w|n|a|p\n")
                return 0
            return invalid()
        elif a == "nvlink":
            rest = list(it)
            sel = ids
            if len(rest) >= 2 and rest[0] in ("-i", "--id"):
                sel, rest = rest[1], rest[2:]
            if rest in (["-s"], ["--status"]):
                chosen = gpus if sel is None else [g for g in gpus if str(g["display_index"]) == sel]
                if not chosen:
                    sys.stdout.write("No devices were found\n")
                    return 6
                sys.stdout.write(nvlink_status(hw, chosen))
                return 0
            return invalid()
        elif a in ("-h", "--help"):
            print("NVIDIA System Management Interface -- v%s (deploy-pod twin)" % hw["driver_version"])
            return 0
        elif a in ("-q", "--query"):
            sys.stderr.write("nvidia-smi: deploy-pod twin does not emulate -q; use --query-gpu\n")
            return 2
        else:
            return invalid()
    if ids is not None:
        wanted = []
        for part in ids.split(","):
            part = part.strip()
            match = [g for g in gpus if str(g["display_index"]) == part or g["uuid"] == part
                     or g["bus_id"].lower() == part.lower()]
            if not match:
                sys.stdout.write("No devices were found\n" if not gpus else
                                 f"Invalid device ID \"{part}\" or device not found.\n")
                return 6
            wanted += match
        gpus = wanted
    if query_arg is not None:
        if fmt is None:
            sys.stdout.write("Missing --format argument.\n")
            return 2
        text, rc = query(hw, gpus, query_arg, fmt)
        sys.stdout.write(text)
        return rc
    sys.stdout.write(table(hw, gpus))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
