"""Converged re-run of every phase on twin pods: deploy-pod's settings against ansible-core's defaults.

Not a test: run it on a machine with the test bed (scripts/testbed) and read the figures against
the goal of issue 12 (the converged re-run of the whole pod at or below 30 s on the 4-host twin,
growing at most 2x from 4 to 16 hosts, 0 changed).

    .venv/bin/python benchmarks/bench_converged.py [--sizes 4 16] [--repeat 3] [--png converged.png]
        [--out results.json] [--workdir DIR [--deployed]] [--keep]

Phases measured: preflight, base, network, scale_install, scale_cluster, storage, clients, ngc.
acceptance is left out: it is a measurement (fio, training), not a convergence, and takes as long
as its profile says whatever the state of the pod.

Pods: the 4-host example twin (inventories/examples/twin.yml: 2 DGX, one ESS unit) as `bconv`
on 10.87/10.88, and a generated 16-host one as `bconv16` on 10.89/10.90 (2 ESS units = 4
canisters, 12 DGX, the same two IB switches). Each is brought up (`deploy-pod sim up`) and
deployed through ngc once (not measured), unless --deployed says the pods in --workdir already are
(they are then left up, whatever --keep says).

Then, --repeat times, back to back on the same pod:
- ours: `deploy-pod up POD --twin --phase ...` (the runner: the phases in one ansible-playbook with
  gates between them, ansible.cfg, the plan handed over): seconds per phase from the run's
  summary.json (the first phase's include ansible-playbook's start-up), and the wall clock of the
  whole command (the reachability probe, the lock, the live read after the Scale phases included);
- baseline: the same playbooks through ansible-runner, one ansible-playbook per phase, with a
  minimal ansible.cfg (collections_path and roles_path only): ansible-core's defaults otherwise
  (forks 5, no pipelining, implicit gathering, no fact cache, linear strategy where the play says
  nothing), and the plan computed by every phase.
Reported: seconds per phase (median over the repeats), ours/baseline ratios, changed tasks (must
be 0), the top time sinks from the runner events (job_events: task, host, duration), and the
CPU-seconds of our run: the machine's (/proc/stat), the controller's share (deploy-pod and its
children: ansible-playbook, workers, ssh) and the rest, the modules in the twin's hosts. On the twin
every host's modules share this machine's cores, so the machine's CPU-seconds over the core count
bound the run from below; on real hardware each host runs its own, and the controller's share is
what grows with the pod.

On 2 shared cores the figures move with the load: compare only runs taken back to back; the
load average before each run is printed with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deploy_pod.runner import PHASES as ALL_PHASES  # noqa: E402

PHASES = [p for p, _ in ALL_PHASES if p != "acceptance"]
PLAYBOOKS = dict(ALL_PHASES)
# hosts -> (pod name, mgmt octet, IPoIB octet, DGX, ESS units); octets unused by tests and other benchmarks
SIZES = {4: ("bconv", 87, 88, 2, 1), 16: ("bconv16", 89, 90, 12, 2)}
# ansible-core's defaults: only what is needed to find the content
BASELINE_CFG = """[defaults]
collections_path = {root}/.collections
roles_path = {root}/roles
"""


def pod_file(directory: Path, hosts: int) -> Path:
    """The twin example as its own pod (own name and networks), grown to `hosts` servers: more DGX
    and more ESS units, each host with its own management address; `deploy-pod validate` passes."""
    name, mgmt, ipoib, dgx, units = SIZES[hosts]
    text = (ROOT / "inventories" / "examples" / "twin.yml").read_text()
    data = yaml.safe_load(text.replace("10.77.", f"10.{mgmt}.").replace("10.78.", f"10.{ipoib}."))
    data["all"]["vars"]["pod"]["name"] = name
    groups = data["all"]["children"]
    dgx_vars = next(iter(groups["dgx"]["hosts"].values()))
    # the example's hosts keep their addresses (DGX .11, .12; ESS .21, .22): more DGX from .13 (.61 after
    # .20), more ESS units from .23
    groups["dgx"]["hosts"] = {
        f"dgx{i:02d}": {**dgx_vars, "mgmt_address": f"10.{mgmt}.0.{10 + i if i <= 10 else 50 + i}"}
        for i in range(1, dgx + 1)}
    ess_vars = next(iter(next(iter(groups["ess"]["children"].values()))["hosts"].values()))
    for u in range(2, units + 1):
        groups["ess"]["children"][f"ess{u:02d}"] = {"hosts": {
            f"ess{u:02d}{side}": {**ess_vars, "mgmt_address": f"10.{mgmt}.0.{19 + 2 * u + i}"}
            for i, side in enumerate("ab")}}
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "deploy-pod"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def cpu_busy() -> float:
    """CPU-seconds this machine has been busy (every process, the twin's containers included): /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU-seconds of this process's finished children and their descendants: the controller side
    (deploy-pod, ansible-playbook, its workers, ssh), not the modules running in the containers."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def phase_args() -> list[str]:
    return [a for p in PHASES for a in ("--phase", p)]


def events(directory: Path) -> list[dict]:
    return [json.loads(f.read_text()) for f in sorted(directory.glob("**/job_events/*.json"))]


def task_times(evs: list[dict], phase: str) -> list[tuple[float, str, str, str]]:
    """(seconds, phase, task, host) of every host result."""
    out = []
    for ev in evs:
        data = ev.get("event_data") or {}
        if ev.get("event", "").startswith("runner_on_") and data.get("duration") is not None \
                and ev["event"] not in ("runner_on_start",):
            out.append((float(data["duration"]), phase, data.get("task") or "?", data.get("host") or "?"))
    return out


def changed_of(evs: list[dict]) -> int:
    return sum(1 for ev in evs if ev.get("event") == "runner_on_ok"
               and ((ev.get("event_data") or {}).get("res") or {}).get("changed"))


def run_ours(pod: Path, artifacts: Path) -> dict:
    before = load()
    busy0, ctl0 = cpu_busy(), children_cpu()
    t0 = time.monotonic()
    r = cli("up", str(pod), "--twin", "--artifacts", str(artifacts), "-q", *phase_args())
    wall = time.monotonic() - t0
    cpu = {"machine": round(cpu_busy() - busy0, 1), "controller": round(children_cpu() - ctl0, 1)}
    if r.returncode != 0:
        sys.exit(f"deploy-pod up {pod.stem} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
    last = json.loads((artifacts / pod.stem / "last-run.json").read_text())
    phases, tasks = {}, []
    for p in last["phases"]:
        evs = events(Path(p["artifacts"]))
        phases[p["phase"]] = {"seconds": p["seconds"], "changed": sum(p["changed"].values())}
        tasks += task_times(evs, p["phase"])
    return {"wall": round(wall, 1), "load": before, "phases": phases, "tasks": tasks, "cpu": cpu}


def run_baseline(pod: Path, workdir: Path, artifacts: Path) -> dict:
    """Every phase as its own ansible-playbook with ansible-core's defaults (through ansible-runner for
    the events; the secrets as the runner hands them: a private -e @file)."""
    import ansible_runner

    from deploy_pod.content import ensure_collection_link
    from deploy_pod.runner import secrets_file
    from deploy_pod.sim.engine import Paths, find_root

    ensure_collection_link()
    cfg = workdir / "baseline.cfg"
    cfg.write_text(BASELINE_CFG.format(root=ROOT))
    paths = Paths(find_root(), yaml.safe_load(pod.read_text())["all"]["vars"]["pod"]["name"])
    environ = dict(os.environ)
    key = paths.dir / "ngc-api-key"
    if not environ.get("NGC_API_KEY") and key.is_file():
        environ["NGC_API_KEY"] = key.read_text().strip()
    envvars = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "ANSIBLE_CONFIG": str(cfg), "ANSIBLE_NOCOLOR": "1",
               # ansible-core's default (ansible-runner would turn it off)
               "ANSIBLE_HOST_KEY_CHECKING": "True"}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    before = load()
    phases, tasks = {}, []
    t_all = time.monotonic()
    for phase in PHASES:
        pdir = artifacts / "baseline" / stamp / phase
        pdir.mkdir(parents=True)
        with secrets_file(environ) as secrets:
            t0 = time.monotonic()
            r = ansible_runner.run(private_data_dir=str(pdir), playbook=str(ROOT / "playbooks" / PLAYBOOKS[phase]),
                                   inventory=[str(pod.resolve()), str(paths.overlay)], envvars=envvars,
                                   cmdline=f"-e @{secrets}" if secrets else None, quiet=True,
                                   suppress_env_files=True)
            seconds = round(time.monotonic() - t0, 1)
        if r.rc != 0:
            sys.exit(f"baseline {phase} on {pod.stem} failed (rc {r.rc}); see {pdir}")
        evs = events(pdir)
        phases[phase] = {"seconds": seconds, "changed": sum((r.stats or {}).get("changed", {}).values())}
        tasks += task_times(evs, phase)
    return {"wall": round(time.monotonic() - t_all, 1), "load": before, "phases": phases, "tasks": tasks}


def cpu_of(runs: list[dict]) -> dict[str, float] | None:
    """Median CPU-seconds of runs (machine, controller, the twin's hosts = the rest); None for runs
    measured before the benchmark counted CPU."""
    if not all("cpu" in r for r in runs):
        return None
    out = {k: statistics.median(r["cpu"][k] for r in runs) for k in ("machine", "controller")}
    out["hosts"] = max(0.0, out["machine"] - out["controller"])
    return out


def median_phases(runs: list[dict]) -> dict[str, float]:
    return {p: statistics.median(r["phases"][p]["seconds"] for r in runs) for p in PHASES}


def table(results: dict) -> list[str]:
    lines = []
    for hosts, res in results.items():
        ours, base = median_phases(res["ours"]), median_phases(res["baseline"])
        lines += [f"{hosts} hosts (median of {len(res['ours'])}; ours: {', '.join(r['load'] for r in res['ours'])}; "
                  f"baseline: {', '.join(r['load'] for r in res['baseline'])}):",
                  f"  {'phase':<14}{'ours s':>8}{'base s':>8}{'ratio':>7}{'changed':>9}"]
        for p in PHASES:
            changed = max(r["phases"][p]["changed"] for r in res["ours"] + res["baseline"])
            lines.append(f"  {p:<14}{ours[p]:>8.1f}{base[p]:>8.1f}{ours[p] / base[p]:>7.2f}{changed:>9}")
        to, tb = sum(ours.values()), sum(base.values())
        lines.append(f"  {'phases total':<14}{to:>8.1f}{tb:>8.1f}{to / tb:>7.2f}")
        wall = statistics.median(r["wall"] for r in res["ours"])
        lines.append(f"  `deploy-pod up` wall clock (probe, lock, live read included): {wall:.1f} s")
        cpu = cpu_of(res["ours"])
        if cpu:
            lines.append(f"  CPU-seconds of that run: {cpu['machine']:.1f} on the machine, {cpu['controller']:.1f} of "
                         f"them on the controller (deploy-pod, ansible-playbook, ssh), {cpu['hosts']:.1f} in the "
                         f"twin's hosts; {os.cpu_count()} cores: no schedule finishes below "
                         f"{cpu['machine'] / os.cpu_count():.1f} s here")
    if len(results) == 2:
        (h1, r1), (h2, r2) = results.items()
        o1, o2 = (sum(median_phases(r["ours"]).values()) for r in (r1, r2))
        b1, b2 = (sum(median_phases(r["baseline"]).values()) for r in (r1, r2))
        lines.append(f"growth {h1} -> {h2} hosts: ours {o2 / o1:.2f}x, baseline {b2 / b1:.2f}x")
        c1, c2 = cpu_of(r1["ours"]), cpu_of(r2["ours"])
        if c1 and c2:
            # on real hardware every host runs its own modules: what the pods share is the controller
            lines.append(f"growth of CPU-seconds {h1} -> {h2} hosts: machine {c2['machine'] / c1['machine']:.2f}x, "
                         f"controller {c2['controller'] / c1['controller']:.2f}x, per twin host "
                         f"{(c2['hosts'] / h2) / (c1['hosts'] / h1):.2f}x")
    return lines


def sinks(results: dict, top: int = 12) -> list[str]:
    """The tasks that cost most in our converged run: summed over hosts (and the repeats, averaged), and the
    slowest single host result."""
    lines = []
    for hosts, res in results.items():
        for which in ("ours", "baseline"):
            total: dict[tuple[str, str], float] = defaultdict(float)
            worst: dict[tuple[str, str], tuple[float, str]] = {}
            for run in res[which]:
                for sec, phase, task, host in run["tasks"]:
                    total[(phase, task)] += sec / len(res[which])
                    if sec > worst.get((phase, task), (0, ""))[0]:
                        worst[(phase, task)] = (sec, host)
            lines.append(f"top time sinks, {which}, {hosts} hosts (host-seconds per run; slowest host):")
            for (phase, task), sec in sorted(total.items(), key=lambda kv: -kv[1])[:top]:
                w, h = worst[(phase, task)]
                lines.append(f"  {sec:>7.1f}  {phase:<13} {task[:60]:<60} {w:>5.1f} {h}")
    return lines


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.2), squeeze=False)
    for ax, (hosts, res) in zip(axes[0], results.items(), strict=True):
        ours, base = median_phases(res["ours"]), median_phases(res["baseline"])
        x = range(len(PHASES))
        ax.bar([i - 0.2 for i in x], [base[p] for p in PHASES], width=0.4,
               label=f"ansible defaults ({sum(base.values()):.0f} s)")
        ax.bar([i + 0.2 for i in x], [ours[p] for p in PHASES], width=0.4,
               label=f"deploy-pod ({sum(ours.values()):.0f} s)")
        ax.set_xticks(list(x), PHASES, rotation=30, ha="right")
        ax.set_ylabel("seconds (median)")
        ax.set_title(f"converged re-run, {hosts}-host twin")
        ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 16], choices=sorted(SIZES))
    ap.add_argument("--repeat", type=int, default=3, help="converged re-runs of each kind, back to back")
    ap.add_argument("--png", type=Path, help="bar chart per phase, ours vs baseline, one panel per size")
    ap.add_argument("--out", type=Path, help="all figures as JSON (per run, per phase, per task)")
    ap.add_argument("--workdir", type=Path, help="where the pod files and artifacts go (default: a temporary one)")
    ap.add_argument("--deployed", action="store_true", help="the pods in --workdir are up and deployed: measure only")
    ap.add_argument("--no-baseline", action="store_true", help="ours only")
    ap.add_argument("--keep", action="store_true", help="leave the pods up")
    args = ap.parse_args()
    if args.deployed and not args.workdir:
        ap.error("--deployed needs --workdir")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        artifacts = workdir / "artifacts"
        results: dict[int, dict] = {}
        pods = []
        try:
            for hosts in args.sizes:
                pod = workdir / f"{SIZES[hosts][0]}.yml"
                if not args.deployed:
                    pod = pod_file(workdir, hosts)
                    cli("sim", "down", str(pod))
                    pods.append(pod)
                    r = cli("sim", "up", str(pod))
                    if r.returncode != 0:
                        sys.exit(f"sim up {pod.stem} failed:\n{r.stdout}\n{r.stderr}")
                    r = cli("up", str(pod), "--twin", "--artifacts", str(artifacts), "-q", *phase_args())
                    if r.returncode != 0:
                        sys.exit(f"first deploy of {pod.stem} failed:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
                res = results.setdefault(hosts, {"ours": [], "baseline": []})
                for _ in range(args.repeat):
                    res["ours"].append(run_ours(pod, artifacts))
                    if not args.no_baseline:
                        res["baseline"].append(run_baseline(pod, workdir, artifacts))
                if args.no_baseline:
                    res["baseline"] = res["ours"]
        finally:
            if not args.keep:
                for pod in pods:
                    cli("sim", "down", str(pod))
        print("\n".join(table(results)))
        print("\n".join(sinks(results)))
        if args.out:
            args.out.write_text(json.dumps(results, indent=1))
        if args.png:
            plot(results, args.png)
            print(f"plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
