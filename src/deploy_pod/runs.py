"""Past runs of a pod, from artifacts/<pod>/*/summary.json (`deploy-pod runs`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

STAMP = "%Y%m%d-%H%M%S"


def _when(run_dir: Path) -> str:
    """The run's start as 'YYYY-MM-DD HH:MM:SS' (local time), from its directory name or, failing that, the file."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.strptime(run_dir.name[:15], STAMP))
    except ValueError:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime((run_dir / "summary.json").stat().st_mtime))


def run_info(summary_file: Path) -> dict:
    """One run as a flat record: id, when, check, phases with status, seconds, changed, failed hosts, dir.

    An unreadable summary is listed with its error rather than hidden."""
    run_dir = summary_file.parent
    info = {"run": run_dir.name, "when": _when(run_dir), "dir": str(run_dir)}
    try:
        doc = json.loads(summary_file.read_text())
        phases = doc["phases"]
        rows = [{"phase": p["phase"], "status": p["status"], "seconds": float(p.get("seconds") or 0),
                 "changed": sum((p.get("changed") or {}).values()),
                 "failed_hosts": list(p.get("failed_hosts") or [])} for p in phases]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return info | {"check": None, "status": "unreadable", "phases": [], "seconds": 0.0, "changed": 0,
                       "failed_hosts": [], "error": f"{summary_file}: {exc}"}
    bad = [r for r in rows if r["status"] != "successful"]
    return info | {
        "run": doc.get("run") or run_dir.name,
        "check": bool(doc.get("check")),
        "status": bad[0]["status"] if bad else ("successful" if rows else "empty"),
        "phases": rows,
        "seconds": round(sum(r["seconds"] for r in rows), 1),
        "changed": sum(r["changed"] for r in rows),
        "failed_hosts": sorted({h for r in rows for h in r["failed_hosts"]}),
    }


def list_runs(artifacts: Path, pod_file: str) -> list[dict]:
    """The pod's runs under artifacts/<pod>/, newest first (run ids are time stamps: they sort by time)."""
    base = Path(artifacts) / Path(pod_file).stem
    files = sorted(base.glob("*/summary.json"), key=lambda f: (f.parent.name, f.stat().st_mtime), reverse=True)
    return [run_info(f) for f in files]


def phases_cell(info: dict) -> str:
    """'preflight ok, base ok, network FAILED' in a run's order."""
    mark = {"successful": "ok", "failed": "FAILED", "interrupted": "INTERRUPTED"}
    return ", ".join(f"{p['phase']} {mark.get(p['status'], p['status'])}" for p in info["phases"]) or "-"


def runs_table(runs: list[dict]):
    """A rich Table of the runs, newest first."""
    from rich.table import Table

    table = Table(title="Runs, newest first", title_justify="left")
    for col, kw in (("run", {}), ("when", {}), ("mode", {}), ("phases", {"overflow": "fold"}),
                    ("seconds", {"justify": "right"}), ("changed", {"justify": "right"}), ("failed hosts", {}),
                    ("directory", {"overflow": "fold"})):
        table.add_column(col, **kw)
    for r in runs:
        mode = "?" if r["check"] is None else ("check" if r["check"] else "apply")
        table.add_row(r["run"], r["when"], mode, r.get("error") or phases_cell(r), f"{r['seconds']:.1f}",
                      str(r["changed"]), ", ".join(r["failed_hosts"]) or "-", r["dir"])
    return table
