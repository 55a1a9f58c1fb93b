"""Running day-2 work against a live pod: reading the cluster back, the lock file, health gates
and `deploy-pod scale-out` (the steps and their order live in scaleout.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from deploy_pod import scaleout as so_mod
from deploy_pod.lock import live_values, load_lock, lock_from_plan, merge_live, write_lock
from deploy_pod.planner import make_plan
from deploy_pod.runner import EXIT_INTERRUPTED, PHASES, run_phases

Echo = Callable[[str], None]


class Day2Error(Exception):
    """The day-2 operation cannot start or continue; the message says why and what to do."""


def _failures_only(echo: Echo) -> Echo:
    """Progress of read-only helper playbooks: only what failed is worth a line."""
    def out(line: str) -> None:
        if "failed:" in line or "unreachable:" in line:
            echo(line)
    return out


def _helper(pod_file, inventories, playbook: str, extravars: dict, run_dir: Path, echo: Echo) -> None:
    """A read-only helper playbook, its artifacts in run_dir/<name>/ (the run's own summary stays)."""
    results = run_phases(pod_file, inventories, [(run_dir.name, playbook)], extravars=extravars,
                         run_dir=run_dir, record=False, echo=_failures_only(echo))
    if results[-1].status != "successful":
        raise Day2Error(f"{playbook} failed; details in {results[-1].artifacts}/artifacts")


def read_live(pod_file: str, inventories: list[str], run_dir: Path, echo: Echo) -> dict:
    """The cluster as its primary sees it (playbooks/live.yml); read-only."""
    out = run_dir / "live" / "live.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    _helper(pod_file, inventories, "live.yml", {"deploy_pod_live_out": str(out.resolve())}, run_dir / "live", echo)
    return json.loads(out.read_text())


def record_lock(pod_file: str, pod, facts: dict | None = None, source: str = "") -> list[str]:
    """Write the lock from the plan (and the live values, when read); lines of what live changed."""
    lock = load_lock(pod_file)
    plan = make_plan(pod, lock=lock)
    new = lock_from_plan(plan, lock)
    changes: list[str] = []
    if facts and facts.get("member"):
        new, changes = merge_live(new, live_values(facts, plan), source)
    write_lock(pod_file, new)
    return changes


def gate(pod_file: str, inventories: list[str], run_dir: Path, step: str, baseline: list[str],
         echo: Echo, pending_nodes: list[str] = (), pending_clients: list[str] = ()) -> dict:
    """The health gate's result (roles/scale_gate): ok, findings, events, nodes. Pending hosts are
    not asked for yet: nodes before they join, clients before the clients step mounts them."""
    out = run_dir / f"gate-{step}" / "gate.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    _helper(pod_file, inventories, "scaleout_gate.yml",
            {"scaleout_step": step, "scaleout_baseline": list(baseline), "scaleout_gate_fail": False,
             "scaleout_gate_out": str(out.resolve()), "scaleout_gate_pending_nodes": list(pending_nodes),
             "scaleout_gate_pending_clients": list(pending_clients)}, run_dir / f"gate-{step}", echo)
    return json.loads(out.read_text())


def _health_event(finding: str, baseline: list[str]) -> bool:
    """A start-gate finding that is only a health event already open (it becomes the baseline)."""
    return any(event in finding for event in baseline)


def latest_results(artifacts: Path, pod_file: str) -> str | None:
    """The newest acceptance results.json of the pod: what a scale-out compares with."""
    runs = artifacts / Path(pod_file).stem
    # up's runs keep it in <run>/acceptance/, scale-out's in <run>/acceptance/acceptance/
    found = [*runs.glob("*/acceptance/results.json"), *runs.glob("*/acceptance/acceptance/results.json")]
    found.sort(key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def scale_out(pod_file: str, pod, catalog, inventories: list[str], artifacts: Path, *, yes: bool, dry_run: bool,
              rebalance: bool, qos: str, extravars: dict, echo: Echo, confirm: Callable[[str], bool]) -> int:
    """0 done or nothing to do, 1 a step or a gate failed (resumable), raises Day2Error before anything starts."""
    lock = load_lock(pod_file)
    if lock is None:
        raise Day2Error(f"no lock file beside {pod_file}: scale-out grows a pod that `deploy-pod up` deployed (it "
                        "writes the lock). Run `deploy-pod up` with the inventory as deployed first.")
    plan = make_plan(pod, catalog, lock)
    state_file = so_mod.state_path(artifacts, pod_file)
    state = so_mod.load_state(state_file)
    run_dir = artifacts / Path(pod_file).stem / (time.strftime("%Y%m%d-%H%M%S") + "-scaleout")
    if state:
        so = so_mod.resumed(state)
        echo(f"resuming the scale-out started {state['started']}: done {', '.join(state['done']) or 'nothing'}")
        rebalance, qos = state["options"]["rebalance"], state["options"]["qos"]
    else:
        echo("reading the running cluster ...")
        facts = read_live(pod_file, inventories, run_dir, echo)
        try:
            so = so_mod.compute(pod, plan, facts, catalog)
        except ValueError as exc:
            raise Day2Error(str(exc)) from exc
        conflicts = so_mod.layout_conflicts(plan, facts)
        if conflicts:
            raise Day2Error("the joining units do not match the file system:\n  " + "\n  ".join(conflicts))
        if so.nothing:
            for line in so_mod.plan_lines(so):
                echo(line)
            if not dry_run:
                record_lock(pod_file, pod, facts, f"scale-out {run_dir.name}")
            return 0
        if rebalance and so.units:
            so.steps.append(so_mod.rebalance_step(qos))
        so.steps.append(so_mod.acceptance_step())
    for line in so_mod.plan_lines(so):
        echo(line)
    if dry_run:
        return 0
    if not state and not yes and not confirm("Run this scale-out?"):
        echo("nothing changed")
        return 0
    if not state:
        state = so_mod.new_state(so, {"rebalance": rebalance, "qos": qos})
        state["before_results"] = latest_results(artifacts, pod_file)
        # the lock gets the joining hosts now: their cables and addresses are what the steps apply
        record_lock(pod_file, pod)
        # the running pod must be healthy; the health events open now are the baseline
        start = gate(pod_file, inventories, run_dir, "start", [], echo, so.joining, so.joining)
        state["baseline"] = start.get("events") or []
        blocking = [f for f in start.get("findings") or [] if not _health_event(f, state["baseline"])]
        if blocking:
            raise Day2Error("the cluster is not healthy before the scale-out; nothing was changed:\n  "
                            + "\n  ".join(blocking))
        so_mod.save_state(state_file, state)
    known = dict(PHASES)
    total = len(so.steps)
    for i, step in enumerate(so.steps, 1):
        if step.name in state["done"]:
            echo(f"[{i}/{total}] {step.name}: done before, skipped")
            continue
        echo(f"[{i}/{total}] {step.name}: {step.what}")
        phases = [(p, known[p]) for p in step.phases] or [(step.name, step.playbook)]
        step_vars = dict(extravars)
        if step.name == "rebalance":
            step_vars.setdefault("scale_rebalance_qos", qos)
        if step.name == "acceptance":
            step_vars.setdefault("acceptance_run", run_dir.name)
        results = run_phases(pod_file, inventories, phases, limit=",".join(step.limit) if step.limit else None,
                             extravars=step_vars, run_dir=run_dir / step.name, record=False, echo=echo,
                             artifacts=artifacts)
        state["runs"].append(str(run_dir / step.name))
        if results[-1].status == "interrupted":
            so_mod.save_state(state_file, state)
            echo(f"\nstep {step.name} was interrupted; run `deploy-pod scale-out {pod_file}` again to continue: "
                 "finished steps are skipped.")
            return EXIT_INTERRUPTED
        if results[-1].status != "successful":
            so_mod.save_state(state_file, state)
            echo(f"\nstep {step.name} failed (phase {results[-1].phase}); details in {results[-1].artifacts}/"
                 f"artifacts.\nThe cluster keeps serving. Fix it, then run `deploy-pod scale-out {pod_file}` again: "
                 "finished steps are skipped.")
            return 1
        if step.gate:
            # gated steps come at or after the join; new clients are mounted from the clients step on
            pending = [] if step.name == "clients" or "clients" in state["done"] else so.dgx
            g = gate(pod_file, inventories, run_dir, step.name, state.get("baseline") or [], echo,
                     pending_clients=pending)
            if not g["ok"]:
                so_mod.save_state(state_file, state)
                echo(so_mod.gate_failed_message(step.name, g["findings"], pod_file))
                return 1
            q = g.get("quorum") or {}
            clients = [h for h, hp in plan.hosts.items() if hp.role == "dgx" and h not in pending]
            echo(f"    gate after {step.name}: {len(g.get('nodes') or {})} nodes active, quorum "
                 f"{len(q.get('active') or [])} of {len(q.get('nodes') or [])}, {plan.scale.filesystem['name']} "
                 f"mounted on {len(clients)} client(s), no new health event")
        state["done"].append(step.name)
        so_mod.save_state(state_file, state)
    facts = read_live(pod_file, inventories, run_dir, echo)
    changes = record_lock(pod_file, pod, facts, f"scale-out {run_dir.name}")
    for c in changes:
        echo(f"lock: {c}")
    fs = plan.scale.filesystem["name"]
    cap = ((facts.get("capacity") or {}).get(fs) or {}).get("total_kb")
    echo(f"capacity: {so_mod.tib(so.capacity_kb)} -> {so_mod.tib(cap)}")
    state["capacity_after_kb"] = cap
    results = run_dir / "acceptance" / "acceptance" / "results.json"
    verdict = None
    if results.is_file():
        from deploy_pod.acceptance import evaluate
        from deploy_pod.report import load_results, write_report

        report = write_report(results)
        verdict = json.loads(report["json"].read_text()).get("verdict")
        echo(f"acceptance: {str(verdict).upper()} ({report.get('html') or report['md']})")
        before = state.get("before_results")
        files = so_mod.write_comparison(evaluate(load_results(Path(before))) if before else None,
                                        evaluate(load_results(results)), run_dir, run_dir.name)
        echo(f"before and after: {files['md']}" + (f" ({files['png']})" if "png" in files else ""))
    state["finished"] = True
    so_mod.save_state(state_file, state)
    echo(f"scale-out finished: {', '.join(so.joining) or 'no new hosts'}"
         + (f"; units {', '.join(so.units)} serve {fs}" if so.units else ""))
    return 1 if verdict == "fail" else 0
