"""The Spectrum Scale phases on the twin: first deploy and converged re-runs.

Not a test: run it on a machine with the test bed (scripts/testbed) and compare with the
figures in the issue notes (goal: converged re-run of scale_install, scale_cluster, storage
and clients at or below 20 s with 0 changed; first deploy at or below 2 min).

    .venv/bin/python benchmarks/bench_scale.py [--repeat 3] [--png scale.png] [--keep]

It brings up the example twin pod under the name `bench` (own networks), runs `deploy-pod up`
once for the host phases (not measured), then the four Scale phases from scratch (the first
deploy), then --repeat converged re-runs. Per run it reports seconds per phase, tasks,
changed tasks, and the mm commands each host ran: the `mm_calls` every Scale module returns
(reads included), counted on the host that ran the module.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCALE_PHASES = ["scale_install", "scale_cluster", "storage", "clients"]


def pod_file(directory: Path) -> Path:
    text = (ROOT / "inventories" / "examples" / "twin.yml").read_text()
    text = text.replace("10.77.", "10.81.").replace("10.78.", "10.82.")
    data = yaml.safe_load(text)
    data["all"]["vars"]["pod"]["name"] = "bench"
    path = directory / "bench.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "deploy-pod"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=3600)


def run_stats(run_dir: Path) -> dict:
    """Per phase: seconds, tasks (distinct task starts), changed; mm commands per host."""
    summary = json.loads((run_dir / "summary.json").read_text())
    out = {"phases": {}, "mm_calls": Counter()}
    for p in summary["phases"]:
        tasks = set()
        for f in (Path(p["artifacts"]) / "artifacts").glob("*/job_events/*.json"):
            ev = json.loads(f.read_text())
            data = ev.get("event_data") or {}
            if ev.get("event") == "playbook_on_task_start":
                tasks.add(data.get("task_uuid"))
            if ev.get("event") == "runner_on_ok":
                res = data.get("res") or {}
                # run_once tasks delegated to the primary count there (mm_node), not on the play's first host
                host = res.get("mm_node") or data.get("host")
                if "mm_calls" in res:
                    out["mm_calls"][host] += res["mm_calls"]
                elif (res.get("ansible_facts") or {}).get("deploy_pod_scale"):
                    out["mm_calls"][host] += res["ansible_facts"]["deploy_pod_scale"].get("reads") or 0
        out["phases"][p["phase"]] = {"seconds": p["seconds"], "tasks": len(tasks),
                                     "changed": sum(p["changed"].values()), "status": p["status"]}
    return out


def up(pod: Path, artifacts: Path, *args: str) -> dict:
    r = cli("up", str(pod), "--twin", "--artifacts", str(artifacts), *args)
    last = json.loads((artifacts / "bench" / "last-run.json").read_text())
    if r.returncode != 0:
        sys.exit(f"deploy-pod up {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
    return run_stats(artifacts / "bench" / last["run"])


def table(label: str, stats: dict) -> list[str]:
    lines = [f"{label}:", f"  {'phase':<14}{'seconds':>8}{'tasks':>7}{'changed':>9}"]
    for name, p in stats["phases"].items():
        lines.append(f"  {name:<14}{p['seconds']:>8.1f}{p['tasks']:>7}{p['changed']:>9}")
    total = sum(p["seconds"] for p in stats["phases"].values())
    lines.append(f"  {'total':<14}{total:>8.1f}{sum(p['tasks'] for p in stats['phases'].values()):>7}"
                 f"{sum(p['changed'] for p in stats['phases'].values()):>9}")
    lines.append("  mm commands per host: " + ", ".join(f"{h} {n}" for h, n in sorted(stats["mm_calls"].items())))
    return lines


def plot(first: dict, converged: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    names = SCALE_PHASES
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [first["phases"][n]["seconds"] for n in names], width=0.4, label="first deploy")
    ax.bar([i + 0.2 for i in x], [statistics.median(c["phases"][n]["seconds"] for c in converged) for n in names],
           width=0.4, label="converged re-run (median)")
    ax.set_xticks(list(x), names)
    ax.set_ylabel("seconds")
    ax.set_title("Spectrum Scale phases on the 4-host twin")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="converged re-runs")
    ap.add_argument("--png", type=Path, help="bar chart of first deploy vs converged, per phase")
    ap.add_argument("--keep", action="store_true", help="leave the bench pod up")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pod, artifacts = pod_file(Path(tmp)), Path(tmp) / "artifacts"
        cli("sim", "down", str(pod))
        r = cli("sim", "up", str(pod))
        if r.returncode != 0:
            sys.exit(f"sim up failed:\n{r.stdout}\n{r.stderr}")
        try:
            up(pod, artifacts, "--phase", "preflight", "--phase", "base", "--phase", "network")
            first = up(pod, artifacts, "--from", "scale_install")
            converged = [up(pod, artifacts, "--from", "scale_install") for _ in range(args.repeat)]
        finally:
            if not args.keep:
                cli("sim", "down", str(pod))
    print("\n".join(table("first deploy of the Scale phases", first)))
    for i, c in enumerate(converged, 1):
        print("\n".join(table(f"converged re-run {i}", c)))
    totals = [sum(p["seconds"] for p in c["phases"].values()) for c in converged]
    print(f"converged re-run total: median {statistics.median(totals):.1f} s over {len(totals)} run(s)")
    if args.png:
        plot(first, converged, args.png)
        print(f"plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
