# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""The rebalance after a scale-out (plugins/modules/scale_restripe.py): QoS for the maintenance
class, and a restripe run in the background whose progress is read from its log.

Ansible module_utils style: stdlib only, no deploy_pod imports; the parsers and decisions are
pure and unit-tested in tests/unit/test_scale_restripe.py against real samples:
- mmlsqos -Y (tests/fixtures/mmlsqos_Y.1.txt): records status (enabled:throttling:monitoring:
  fineStatsSecs:idStats), config (config_enc: the allocations as set, entries joined by ':'),
  values (values_enc: in effect per pool) and stats. An allocation reads
  'pool=P,other=inf,maintenance/all_local=50000Iops': IOPS as NNNIops, unlimited as inf, the
  maintenance class with its scope after '/'.
- mmrestripefs progress (tests/fixtures/mmrestripefs_b.1.txt): the metadata scan phases, then
  ' 100.00 % complete on Fri May 17 15:53:07 2024  (     65792 inodes with total        570 MB
  data processed)' lines as the user file scan goes, then 'Scan completed successfully.'.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_y import parse

LOG_DIR = "/var/adm/ras"
EXIT_MARK = "deploy-pod: mmrestripefs exit status"
_PROGRESS = re.compile(
    r"^\s*(?P<pct>\d+(?:\.\d+)?)\s*%\s+complete on (?P<when>.+?)"
    r"(?:\s+\(\s*(?P<inodes>\d+) inodes with total\s+(?P<data>\d+(?:\.\d+)?) (?P<unit>[KMGTP]?B) data processed\))?"
    r"\s*$")
_EXIT = re.compile(re.escape(EXIT_MARK) + r" (?P<rc>-?\d+)")
_IOPS = re.compile(r"^(\d+)\s*iops$", re.IGNORECASE)


# ---- QoS -----------------------------------------------------------------------------------

def qos_value(text) -> str:
    """One spelling per limit: '300IOPS' / '300Iops' -> '300iops', 'unlimited' / 'inf' -> 'inf'."""
    t = str(text or "").strip().lower()
    if t in ("unlimited", "inf", ""):
        return "inf"
    m = _IOPS.match(t)
    return f"{int(m.group(1))}iops" if m else t


def parse_allocations(text: str) -> dict:
    """'pool=*,other=inf,maintenance/all_local=300Iops:pool=data,...' -> {pool: {class: limit}}
    (class without its '/scope', limits as qos_value spells them)."""
    out: dict = {}
    for entry in (text or "").split(":"):
        items = [x.strip() for x in entry.split(",") if x.strip()]
        if not items or not items[0].startswith("pool="):
            continue
        classes = out.setdefault(items[0].split("=", 1)[1], {})
        for item in items[1:]:
            name, _, value = item.partition("=")
            classes[name.split("/")[0]] = qos_value(value)
    return out


def parse_qos(text: str) -> dict:
    """mmlsqos <fs> -Y -> {'enabled': bool, 'config': {pool: {class: limit}}, 'values': {...}}."""
    rows = parse(text or "")
    status = (rows.get(("mmlsqos", "status")) or [{}])[0]
    config = (rows.get(("mmlsqos", "config")) or [{}])[0]
    values = (rows.get(("mmlsqos", "values")) or [{}])[0]
    return {"enabled": str(status.get("enabled") or "").lower() == "yes",
            "config": parse_allocations(config.get("config_enc") or ""),
            "values": parse_allocations(values.get("values_enc") or "")}


def qos_spec(maintenance: str) -> str:
    """The mmchqos class specification for every pool: pool=*,maintenance=<limit>,other=unlimited."""
    return f"pool=*,maintenance={maintenance},other=unlimited"


def qos_needed(qos: dict, maintenance: str) -> bool:
    """Whether mmchqos must run: QoS off, or pool=* not limiting maintenance to `maintenance` with
    other unlimited. The allocations in effect per pool are what count when pool=* is absent."""
    if not qos.get("enabled"):
        return True
    want = {"maintenance": qos_value(maintenance), "other": "inf"}
    star = (qos.get("config") or {}).get("*")
    if star is not None:
        return any(star.get(k, "inf") != v for k, v in want.items())
    values = qos.get("values") or {}
    return not values or any(c.get(k, "inf") != v for c in values.values() for k, v in want.items())


# ---- the background run ----------------------------------------------------------------------

def paths(fs: str, log_dir: str = LOG_DIR) -> dict:
    base = os.path.join(log_dir, f"deploy-pod-restripe.{fs}")
    return {"log": base + ".log", "record": base + ".json"}


def script(argv: list[str], log: str) -> str:
    """The sh -c text of a background run: the command's output to the log, its exit status last."""
    def q(a: str) -> str:
        return "'" + a.replace("'", "'\\''") + "'"

    return f"{' '.join(q(a) for a in argv)} >> {q(log)} 2>&1; echo \"{EXIT_MARK} $?\" >> {q(log)}"


def parse_progress(text: str) -> dict:
    """A restripe log -> {percent (float), line (last progress line or None), rc (None until the
    exit mark), done (bool), inodes, data_mb, phase (last 'Scanning ...' line)}. percent is the
    last progress line's, 0.0 before the first, 100.0 once it exited 0 without one."""
    out = {"percent": 0.0, "line": None, "rc": None, "done": False, "inodes": None, "data_mb": None, "phase": None}
    mult = {"B": 1 / 1024**2, "KB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024**2, "PB": 1024**3}
    seen = False
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        m = _PROGRESS.match(line)
        if m:
            seen = True
            out["percent"], out["line"] = float(m.group("pct")), line.strip()
            if m.group("inodes"):
                out["inodes"] = int(m.group("inodes"))
                out["data_mb"] = int(float(m.group("data")) * mult[m.group("unit")])
            continue
        if line.startswith("Scanning "):
            out["phase"] = line.strip()
        e = _EXIT.search(line)
        if e:
            out["rc"], out["done"] = int(e.group("rc")), True
    if out["done"] and out["rc"] == 0 and not seen:
        out["percent"] = 100.0
    return out


def read_record(path: str) -> dict | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def running(pid, proc_root: str = "/proc") -> bool:
    """Whether `pid` is still our run: alive, and its command line names mmrestripefs (a pid
    reused by another process after a reboot does not count)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        with open(os.path.join(proc_root, str(pid), "cmdline"), "rb") as fh:
            cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        if not cmdline.strip():
            # empty: a zombie (ended), or a process the kernel is still exec'ing (a vfork'd child
            # reads empty until its new image is set up; seen right after the start under load)
            with open(os.path.join(proc_root, str(pid), "stat"), "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
            return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return False
    return "mmrestripefs" in cmdline


def decide_start(record: dict | None, progress: dict, is_running: bool, disks: list[str]) -> str:
    """'running' (our run still goes: start nothing), 'balanced' (our last run exited 0 over the
    same disks the file system has now: nothing to rebalance) or 'start'."""
    if record and is_running:
        return "running"
    if record and progress.get("done") and progress.get("rc") == 0 and \
            sorted(record.get("disks") or []) == sorted(disks or []):
        return "balanced"
    return "start"
