"""How long `deploy-pod validate` takes on a large pod: 1,000 DGX, 100 ESS units.

Not a test: run it and compare with the figure in the issue notes.
    .venv/bin/python benchmarks/bench_validate.py [--dgx 1000] [--units 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path

import yaml


def big_pod(n_dgx: int, n_units: int) -> dict:
    base = int(IPv4Address("10.100.0.0"))
    addr = iter(str(IPv4Address(base + i)) for i in range(1, 65000))
    links = n_dgx * 4 + n_units * 8
    n_switches = -(-links // 36)  # enough SB7800 ports for a flat count; the rules still run in full
    return {"all": {
        "vars": {"pod": {"name": "bench", "networks": {"mgmt": {"cidr": "10.100.0.0/16"},
                                                      "ipoib": {"cidr": "10.200.0.0/16"}}}},
        "children": {
            "dgx": {"hosts": {f"dgx{i:04d}": {"hw_model": "dgx-1", "mgmt_address": next(addr)}
                              for i in range(1, n_dgx + 1)}},
            "ess": {"children": {f"ess{u:03d}": {"hosts": {
                f"ess{u:03d}{c}": {"hw_model": "ess-3000", "mgmt_address": next(addr)} for c in "ab"}}
                for u in range(1, n_units + 1)}},
            "ib_switches": {"hosts": {f"ib-sw{s:03d}": {"hw_model": "sb7800"} for s in range(1, n_switches + 1)}},
        }}}


def scaling(args, png: Path) -> None:
    """Validate time against host count, as a table and a plot: it should grow about linearly."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cli = Path(sys.executable).parent / "deploy-pod"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for frac in (8, 4, 2, 1):
            dgx, units = args.dgx // frac, max(args.units // frac, 1)
            pod = Path(tmp) / f"pod{frac}.yml"
            pod.write_text(yaml.safe_dump(big_pod(dgx, units)))
            t0 = time.perf_counter()
            subprocess.run([str(cli), "validate", str(pod)], capture_output=True, check=True)
            rows.append((dgx + 2 * units, time.perf_counter() - t0))
            print(f"{rows[-1][0]} hosts: {rows[-1][1]:.2f} s", flush=True)
    print("\n| hosts | validate |\n|---|---|")
    for n, t in rows:
        print(f"| {n} | {t:.2f} s |")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r[0] for r in rows], [r[1] for r in rows], marker="o")
    ax.set_xlabel("hosts in the inventory")
    ax.set_ylabel("deploy-pod validate, seconds")
    ax.set_title("validate time vs pod size")
    ax.grid(True, alpha=0.3)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100, bbox_inches="tight")
    print(f"plot: {png}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dgx", type=int, default=1000)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scaling", metavar="PNG", help="also time 1/8..1x the pod size and plot it here")
    args = ap.parse_args()
    if args.scaling:
        scaling(args, Path(args.scaling))
    with tempfile.TemporaryDirectory() as tmp:
        pod = Path(tmp) / "pod.yml"
        pod.write_text(yaml.safe_dump(big_pod(args.dgx, args.units)))
        cli = Path(sys.executable).parent / "deploy-pod"
        times = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            r = subprocess.run([str(cli), "validate", str(pod)], capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            print(f"run {i + 1}: {times[-1]:.2f} s, exit {r.returncode}: {r.stdout.strip().splitlines()[-1]}",
                  flush=True)
        from deploy_pod.inventory import load_pod
        from deploy_pod.planner import make_plan
        from deploy_pod.rules import run_rules

        t0 = time.perf_counter()
        loaded = load_pod(pod)
        t1 = time.perf_counter()
        run_rules(loaded.pod)
        t2 = time.perf_counter()
        make_plan(loaded.pod)
        t3 = time.perf_counter()
    hosts = args.dgx + 2 * args.units
    print(f"\n| hosts | validate (CLI, median of {args.repeat}) | load via Ansible | rules | plan |")
    print("|---|---|---|---|---|")
    print(f"| {hosts} | {statistics.median(times):.2f} s | {t1 - t0:.2f} s | {t2 - t1:.2f} s | {t3 - t2:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
