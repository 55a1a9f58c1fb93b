# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Parsers for nvidia-smi output: --query-gpu CSV, `topo -m`, `-L` and the default table.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions.
"""

from __future__ import annotations

import re

__all__ = ["parse_query_gpu_csv", "parse_topo_matrix", "parse_list_gpus", "parse_smi_table", "gpu_name_matches",
           "NA"]

NA = None  # what [N/A], N/A, [Not Supported] and friends become
_NA_VALUES = {"[n/a]", "n/a", "[not supported]", "not supported", "[unknown error]", "[insufficient permissions]",
              "[gpu is lost]", "[requested functionality has been deprecated]", ""}
# fields that are numbers even when printed without a unit
_NUMERIC = {"index", "count", "temperature.gpu", "temperature.memory", "fan.speed", "utilization.gpu",
            "utilization.memory", "memory.total", "memory.used", "memory.free", "memory.reserved",
            "power.draw", "power.limit", "power.draw.average", "power.draw.instant", "enforced.power.limit",
            "clocks.sm", "clocks.mem", "clocks.gr", "clocks.max.sm", "clocks.max.mem", "pcie.link.gen.current",
            "pcie.link.gen.max", "pcie.link.width.current", "pcie.link.width.max",
            "ecc.errors.uncorrected.volatile.total", "ecc.errors.corrected.volatile.total",
            "ecc.errors.uncorrected.aggregate.total", "ecc.errors.corrected.aggregate.total"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _number(text: str):
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?\d*\.\d+", t):
        return float(t)
    return None


def _value(field: str, raw: str, unit: str | None):
    v = raw.strip()
    if v.lower() in _NA_VALUES:
        return NA
    numeric = unit is not None or field in _NUMERIC
    if not numeric:
        return v
    parts = v.split()
    if len(parts) == 2 and (unit is None or parts[1] == unit or parts[1] in ("MiB", "W", "%", "MHz", "C")):
        v = parts[0]
    n = _number(v)
    return n if n is not None else v


def _split_header(cell: str) -> tuple[str, str | None]:
    m = re.match(r"^(.*?)\s*\[(.*)\]\s*$", cell.strip())
    if m:
        return m.group(1), m.group(2)
    return cell.strip(), None


def parse_query_gpu_csv(text: str, fields: list[str] | None = None) -> list[dict]:
    """`nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` -> one dict per row,
    keyed by field name ('power.draw'), values as numbers where the field is numeric
    (units such as 'MiB', 'W', '%' stripped), None for [N/A] and friends.

    With `noheader`, pass `fields` (the --query-gpu list) to name the columns; the header
    is detected and skipped if present anyway.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    names: list[str]
    units: list[str | None]
    first = [c.strip() for c in lines[0].split(",")]
    looks_like_header = fields is None or [_split_header(c)[0] for c in first] == list(fields)
    if looks_like_header:
        heads = [_split_header(c) for c in first]
        names, units = [h[0] for h in heads], [h[1] for h in heads]
        lines = lines[1:]
    else:
        names, units = list(fields), [None] * len(fields)
    rows = []
    for ln in lines:
        cells = [c.strip() for c in ln.split(", ")] if ", " in ln else [c.strip() for c in ln.split(",")]
        if len(cells) != len(names):
            cells = [c.strip() for c in ln.split(",")]
        row = {}
        for i, name in enumerate(names):
            row[name] = _value(name, cells[i], units[i]) if i < len(cells) else NA
        rows.append(row)
    return rows


def _cells(line: str, data: bool = False) -> list[str]:
    """Tab-separated as nvidia-smi prints it; copies with tabs expanded are split on runs of
    spaces (header: two or more, since 'CPU Affinity' has one; data rows: any, since a
    15-character affinity like '112-127,240-255' leaves one space before the NUMA node)."""
    if "\t" in line:
        return line.split("\t")
    if data:
        return line.split()
    return re.split(r"\s{2,}", line)


def parse_topo_matrix(text: str) -> dict:
    """`nvidia-smi topo -m` -> {
        'devices': ['GPU0', ..., 'NIC0' | 'mlx5_0', ...],   # matrix order
        'matrix': {'GPU0': {'GPU1': 'NV1', 'mlx5_0': 'PIX', ...}, ...},   # 'X' on the diagonal
        'cpu_affinity': {'GPU0': '0-19,40-59'}, 'numa_affinity': {'GPU0': '0'},
        'gpu_numa_id': {'GPU0': 'N/A'},
        'nic_legend': {'NIC0': 'mlx5_0'},   # empty on older drivers (names in the matrix)
        'nics': {'NIC0': 'mlx5_0'} | {'mlx5_0': 'mlx5_0'},   # matrix label -> device name
        'gpus': ['GPU0', ...],
        'legend': {'X': 'Self', 'SYS': '...', 'NV#': '...'},
    }"""
    lines = [_ANSI.sub("", ln).rstrip("\n") for ln in text.splitlines()]
    header_idx = None
    for i, ln in enumerate(lines):
        cells = [c.strip() for c in _cells(ln)]
        if "GPU0" in cells and (not cells[0] or cells[0] != "GPU0"):
            header_idx = i
            break
    result = {"devices": [], "matrix": {}, "cpu_affinity": {}, "numa_affinity": {}, "gpu_numa_id": {},
              "nic_legend": {}, "nics": {}, "gpus": [], "legend": {}}
    if header_idx is None:
        return result
    head = [c.strip() for c in _cells(lines[header_idx])]
    if head and head[0] == "":
        head = head[1:]
    extra_names = {"CPU Affinity": "cpu_affinity", "NUMA Affinity": "numa_affinity", "GPU NUMA ID": "gpu_numa_id"}
    devices = [h for h in head if h and h not in extra_names]
    extras = [extra_names[h] for h in head if h in extra_names]
    result["devices"] = devices
    i = header_idx + 1
    while i < len(lines) and lines[i].strip():
        cells = _cells(lines[i], data=True)
        label = cells[0].strip()
        values = [c.strip() for c in cells[1:]]
        if label not in devices:
            break
        row = {}
        for j, dev in enumerate(devices):
            row[dev] = (values[j] if j < len(values) else "") or ""
        result["matrix"][label] = row
        for k, key in enumerate(extras):
            pos = len(devices) + k
            value = values[pos] if pos < len(values) else ""
            if value:
                result[key][label] = value
        i += 1
    section = None
    for ln in lines[i:]:
        s = ln.strip()
        if s == "Legend:":
            section = "legend"
            continue
        if s == "NIC Legend:":
            section = "nic"
            continue
        m = re.match(r"^(\S+)\s*=\s*(.*)$", s)
        if section == "legend" and m:
            result["legend"][m.group(1)] = m.group(2)
            continue
        m = re.match(r"^(NIC\d+):\s*(\S+)$", s)
        if section == "nic" and m:
            result["nic_legend"][m.group(1)] = m.group(2)
    result["gpus"] = [d for d in devices if re.fullmatch(r"GPU\d+", d)]
    for d in devices:
        if d in result["gpus"]:
            continue
        result["nics"][d] = result["nic_legend"].get(d, d)
    return result


def parse_list_gpus(text: str) -> list[dict]:
    """`nvidia-smi -L` -> [{'index': 0, 'name': 'Tesla V100-SXM2-32GB', 'uuid': 'GPU-...'}]."""
    out = []
    for ln in text.splitlines():
        m = re.match(r"^\s*GPU\s+(\d+):\s+(.*?)\s+\(UUID:\s*([^)]+)\)\s*$", ln)
        if m:
            out.append({"index": int(m.group(1)), "name": m.group(2), "uuid": m.group(3).strip()})
    return out


# 'NVIDIA-SMI 418.67       Driver Version: 418.67       CUDA Version: 10.1' (410 and later, late 384),
# 'NVIDIA-SMI 396.26                 Driver Version: 396.26' (no CUDA Version before that), and the
# 530+ wide form; the NVIDIA-SMI (tool) version may differ from the driver's (a newer tool in a container)
_HEAD = re.compile(r"NVIDIA-SMI\s+(?P<smi>\S+)\s+Driver Version:\s+(?P<driver>[^\s|]+)"
                   r"(?:\s+CUDA Version:\s+(?P<cuda>[^\s|]+))?")
_ROW1 = re.compile(r"^\|\s*(?P<index>\d+)\s+(?P<name>.+?)\s+(?P<persist>On|Off)\s*\|\s*(?P<bus>[0-9A-Fa-f:.]+)\s+"
                   r"(?P<disp>\S+)\s*\|\s*(?P<ecc>\S+)\s*\|$")
_ROW2 = re.compile(r"^\|\s*(?P<fan>\S+)\s+(?P<temp>\S+?)C?\s+(?P<perf>P\d+|\S+)\s+(?P<pwr>\S+?)W?\s*/\s*(?P<cap>\S+?)W?"
                   r"\s*\|\s*(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB\s*\|\s*(?P<util>\S+?)%?\s+(?P<mode>.+?)\s*\|$")
_ROW3 = re.compile(r"^\|\s+\|\s+\|\s*(?P<mig>\S+)\s*\|$")


def parse_smi_table(text: str) -> dict:
    """Default `nvidia-smi` table (wide layout of 530+ drivers and the older 79-column one of
    drivers up to 525, with or without the 'CUDA Version' field and the MIG row) ->
    {'driver_version', 'cuda_version' (None before driver 410), 'smi_version', 'layout'
    ('wide' | 'classic'), 'gpus': [{'index', 'name', 'name_truncated', 'persistence', 'bus_id',
    'display_active', 'ecc', 'fan', 'temperature_c', 'perf', 'power_draw_w', 'power_cap_w',
    'memory_used_mib', 'memory_total_mib', 'utilization_pct', 'compute_mode', 'mig_mode'}],
    'no_processes': bool}.

    Names are kept as printed: the classic layout cuts them to 18 characters ('Tesla
    V100-SXM2...'), the wide one to 27 ('NVIDIA RTX PRO 6000 Blac...'); 'name_truncated' says
    so, and gpu_name_matches() compares such a name with a full one. Lines may be indented
    (copies in documents); 'N/A' power and fan become None."""
    result: dict = {"driver_version": None, "cuda_version": None, "smi_version": None, "gpus": [],
                    "no_processes": "No running processes found" in text}
    result["layout"] = None
    cur = None
    for ln in text.splitlines():
        line = ln.strip()
        m = _HEAD.search(line)
        if m:
            result.update(smi_version=m["smi"], driver_version=m["driver"], cuda_version=m["cuda"])
            continue
        if line.startswith("| GPU  Name"):
            result["layout"] = "wide" if "Persistence-M |" in line else "classic"
            continue
        m = _ROW1.match(line)
        if m:
            name = m["name"].strip()
            cur = {"index": int(m["index"]), "name": name, "name_truncated": name.endswith("..."),
                   "persistence": m["persist"],
                   "bus_id": m["bus"], "display_active": m["disp"], "ecc": _number(m["ecc"]) if _number(m["ecc"])
                   is not None else m["ecc"]}
            result["gpus"].append(cur)
            continue
        m = _ROW2.match(line)
        if m and cur is not None and "temperature_c" not in cur:
            cur.update(fan=None if m["fan"] == "N/A" else m["fan"], temperature_c=_number(m["temp"]),
                       perf=m["perf"], power_draw_w=_number(m["pwr"]), power_cap_w=_number(m["cap"]),
                       memory_used_mib=int(m["used"]), memory_total_mib=int(m["total"]),
                       utilization_pct=_number(m["util"]), compute_mode=m["mode"].strip())
            continue
        m = _ROW3.match(line)
        if m and cur is not None and "mig_mode" not in cur and "temperature_c" in cur:
            cur["mig_mode"] = m["mig"]
    return result


def _norm_name(name) -> str:
    text = re.sub(r"\s+", " ", str(name or "")).strip().lower()
    return text[len("nvidia "):] if text.startswith("nvidia ") else text


def gpu_name_matches(found, expected) -> bool:
    """A GPU name as nvidia-smi printed it against the full model name ('Tesla V100-SXM2-32GB').

    Case, spacing and a leading 'NVIDIA ' do not matter. A name cut by the table layout
    ('Tesla V100-SXM2...', 'NVIDIA RTX PRO 6000 Blac...') matches every model it is a prefix
    of: the table cannot tell a 16GB from a 32GB V100, so use --query-gpu=name to tell them apart."""
    f, e = _norm_name(found), _norm_name(expected)
    if f.endswith("..."):
        stem = f[:-3].rstrip()
        return bool(stem) and e.startswith(stem)
    return f == e
