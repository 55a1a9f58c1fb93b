#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated nvidia-smi for the deploy-pod twin (stdlib only).

Supported: the default table (the wide layout of drivers 530 and later), -L,
--query-gpu=<fields> --format=csv[,noheader][,nounits], -i/--id, and `topo -m`.
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


def _name(name: str) -> str:
    return name if len(name) <= 27 else name[:24] + "..."


def table(hw: dict, gpus: list[dict]) -> str:
    major = twinhw.driver_major(hw)
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


# field -> (header unit, value function)
def _mib(v):
    return f"{v} MiB", str(v)


def _fields(hw: dict, count: int):
    def w(v):
        return "%.2f W" % float(v), "%.2f" % float(v)

    def pct(v):
        return f"{v} %", str(v)

    def plain(v):
        return str(v), str(v)

    return {
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
    }


def query(hw: dict, gpus: list[dict], fields_arg: str, fmt: str) -> tuple[str, int]:
    opts = [o.strip() for o in fmt.split(",")]
    if not opts or opts[0] != "csv":
        return f'"{fmt}" is not a valid format. See nvidia-smi --help-query-gpu for details.\n', 2
    noheader, nounits = "noheader" in opts, "nounits" in opts
    names = [f.strip() for f in fields_arg.split(",") if f.strip()]
    table_ = _fields(hw, len(gpus))
    for n in names:
        if n not in table_:
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


def topo(hw: dict, gpus: list[dict]) -> str:
    """topo -m. Driver < 450: no NUMA column; < 515: NICs named mlx5_N in the matrix;
    >= 515: NIC# columns and a NIC Legend; >= 535: GPU NUMA ID column."""
    major = twinhw.driver_major(hw)
    t = hw.get("topology") or {}
    order = t.get("order") or [f"GPU{g['index']}" for g in hw["gpus"]]
    matrix = t.get("matrix")
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
            for g in gpus:
                print(f"GPU {g['display_index']}: {g['model']} (UUID: {g['uuid']})")
            return 0
        elif a == "topo":
            rest = list(it)
            if "-m" in rest or "--matrix" in rest:
                sys.stdout.write(topo(hw, gpus))
                return 0
            sys.stdout.write("topo -- Display topological information about the system.\n\n"
                             "    Usage: nvidia-smi topo [options]\n\n    -m,   --matrix\n")
            return 0
        elif a in ("-h", "--help"):
            print("NVIDIA System Management Interface -- v%s (deploy-pod twin)" % hw["driver_version"])
            return 0
        elif a in ("-q", "--query"):
            sys.stderr.write("nvidia-smi: deploy-pod twin does not emulate -q; use --query-gpu\n")
            return 2
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
