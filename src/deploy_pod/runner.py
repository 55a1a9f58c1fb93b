"""Run deployment phases through ansible-runner: progress from runner events, artifacts kept per run.

Each phase is one playbook under playbooks/; `deploy-pod up` runs them in order and stops
at the first failure. Every run leaves artifacts/<pod>/<stamp>/<phase>/ (ansible-runner's
own artifacts: stdout, events, rc) and artifacts/<pod>/last-run.json, which --resume reads
to start again at the failed phase, limited to the failed hosts if asked.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deploy_pod.content import ROOT, ensure_collection_link

# name, playbook, in order. site.yml imports the same list (tests/unit/test_runner.py).
PHASES: list[tuple[str, str]] = [
    ("preflight", "preflight.yml"),
    ("base", "base.yml"),
    ("network", "network.yml"),
    ("scale_install", "scale_install.yml"),
    ("scale_cluster", "scale_cluster.yml"),
    ("storage", "storage.yml"),
    ("clients", "clients.yml"),
    ("ngc", "ngc.yml"),
    ("acceptance", "acceptance.yml"),
]


MAX_MSG_LINES = 40


class RunError(Exception):
    pass


@dataclass
class PhaseResult:
    phase: str
    status: str  # successful, failed, skipped
    rc: int | None = None
    seconds: float = 0.0
    changed: dict[str, int] = field(default_factory=dict)
    failed_hosts: list[str] = field(default_factory=list)
    artifacts: str = ""


def select_phases(names: list[str] | None = None, start: str | None = None) -> list[tuple[str, str]]:
    known = [p for p, _ in PHASES]
    for n in (names or []) + ([start] if start else []):
        if n not in known:
            raise RunError(f"unknown phase {n!r}; phases are: {', '.join(known)}")
    begin = known.index(start) if start else 0
    chosen = [p for p in PHASES[begin:] if not names or p[0] in names]
    if not chosen:
        before = [n for n in names or [] if known.index(n) < begin]
        verb = "comes" if len(before) == 1 else "come"
        raise RunError(f"--phase {', '.join(before or names or [])} --from {start} selects no phase: "
                       f"{', '.join(before)} {verb} before {start}; drop --from, or name phases from {start} "
                       f"on ({', '.join(known[begin:])})")
    missing = [f for _, f in chosen if not (ROOT / "playbooks" / f).exists()]
    if missing:
        raise RunError(f"playbooks not written yet: {', '.join(missing)}")
    return chosen


def with_controller(limit: str | None) -> str | None:
    """A --limit keeps localhost in: every phase publishes the plan from a localhost play first."""
    if not limit or "localhost" in limit.replace(":", ",").split(","):
        return limit
    return f"{limit},localhost"


def host_counts(stats: dict | None) -> tuple[dict[str, int], list[str]]:
    """(changed tasks per host, hosts that failed or were unreachable) from ansible-runner's stats."""
    stats = stats or {}
    changed = {h: n for h, n in (stats.get("changed") or {}).items()}
    # localhost only runs the controller-side checks: resuming "on localhost" means nothing
    bad = sorted((set(stats.get("failures") or {}) | set(stats.get("dark") or {})) - {"localhost"})
    return changed, bad


def progress_line(event: dict) -> str | None:
    """One short line per event a person wants to see; None for the rest."""
    kind = event.get("event")
    data = event.get("event_data") or {}
    host = data.get("host") or data.get("remote_addr")
    if kind == "playbook_on_play_start":
        return f"  play: {data.get('play', '').strip()}"
    if kind == "playbook_on_task_start":
        return f"    task: {data.get('task', '').strip()}"
    if kind == "runner_on_ok" and (data.get("res") or {}).get("changed"):
        return f"      changed: {host}"
    if kind == "runner_item_on_ok":
        # each step of a long loop (the acceptance sweep, the training runs) as it finishes;
        # labels that are whole data structures say nothing to a person and are left out
        label = (data.get("res") or {}).get("_ansible_item_label")
        if isinstance(label, str) and len(label) <= 80:
            return f"      done: {host}: {label}"
        return None
    if kind == "runner_retry":
        # a task polled until done (the rebalance): its progress as each poll reports it
        msg = str((data.get("res") or {}).get("msg", "")).strip().splitlines()
        return f"      progress: {host}: {msg[0]}" if msg else None
    if kind in ("runner_on_failed", "runner_on_unreachable"):
        if data.get("ignore_errors"):
            return None
        res = data.get("res") or {}
        what = "unreachable" if kind == "runner_on_unreachable" else "failed"
        msg = str(res.get("msg", "")).strip().splitlines() or [""]
        # the whole message up to a screenful: preflight's verdict is a table people must see
        shown = msg[:MAX_MSG_LINES] + ([f"(+{len(msg) - MAX_MSG_LINES} lines)"] if len(msg) > MAX_MSG_LINES else [])
        return f"      {what}: {host}: " + "\n        ".join(shown)
    return None


# Secrets users export for the roles (environment variable -> the variable the role reads).
# ansible-runner writes the whole environment of ansible-playbook into the run's artifacts
# (artifacts/<ident>/command), so they are taken out of it and handed over as extra vars from a
# private file that is removed after the phase: neither the artifacts nor any command line
# ever holds the value (only the file's path).
SECRET_ENV = {"NGC_API_KEY": "ngc_api_key"}


@contextmanager
def secrets_file(environ: dict):
    """Path of a 0600 YAML file with the secrets found in `environ` (None when there are none); they
    are removed from `environ` for the block and put back afterwards."""
    found = {var: environ[env] for env, var in SECRET_ENV.items() if environ.get(env)}
    if not found:
        yield None
        return
    saved = {env: environ.pop(env) for env in SECRET_ENV if env in environ}
    tmp = Path(tempfile.mkdtemp(prefix="deploy-pod-secrets."))
    path = tmp / "secrets.json"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(found, fh)
        yield path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        environ.update(saved)


def run_phases(pod_file: str, inventories: list[str], phases: list[tuple[str, str]], *, check: bool = False,
               limit: str | None = None, extravars: dict | None = None, artifacts: Path | None = None,
               echo: Callable[[str], None] = print, run_dir: Path | None = None,
               record: bool = True) -> list[PhaseResult]:
    """Run the phases in order, stopping at the first failure. run_dir: where this run's artifacts
    go (default artifacts/<pod>/<stamp>); record: write last-run.json, which `up --resume` reads."""
    import ansible_runner

    ensure_collection_link()
    pod = Path(pod_file).stem
    base = (artifacts or Path.cwd() / "artifacts") / pod
    run_dir = run_dir or base / time.strftime("%Y%m%d-%H%M%S")
    stamp = run_dir.name
    results: list[PhaseResult] = []
    sources = [str(Path(p).resolve()) for p in [pod_file, *inventories]]
    envvars = {
        # the ansible-playbook beside this Python, whatever PATH the user has
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        # ansible-runner turns host key checking off unless told; the overlay carries known_hosts
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # plays that leave gather_facts unset gather once per run: later phases reuse the facts
        # from the run's cache (fact_cache below), a new run starts fresh
        "ANSIBLE_GATHERING": "smart",
    }
    for phase, playbook in phases:
        echo(f"==> phase {phase} ({playbook}){' [check mode]' if check else ''}")
        pdir = run_dir / phase
        pdir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()

        def handler(event: dict) -> bool:
            line = progress_line(event)
            if line:
                echo(line)
            return True  # keep the event in the artifacts too

        phase_vars = dict(extravars or {})
        if phase == "acceptance":
            # results.json (and the report built from it) in this phase's directory of the run
            phase_vars.setdefault("acceptance_results_dir", str(pdir.resolve()))
            phase_vars.setdefault("acceptance_run", stamp)
        with secrets_file(os.environ) as secrets:
            cmdline = " ".join((["--check", "--diff"] if check else [])
                               + (["-e", shlex.quote(f"@{secrets}")] if secrets else []))
            r = ansible_runner.run(
                private_data_dir=str(pdir), playbook=str(ROOT / "playbooks" / playbook), inventory=sources,
                envvars=envvars, cmdline=cmdline or None, limit=with_controller(limit), extravars=phase_vars,
                quiet=True, event_handler=handler, suppress_env_files=True,
                fact_cache=str(run_dir / "facts"), fact_cache_type="jsonfile",
            )
        changed, bad = host_counts(r.stats)
        res = PhaseResult(phase, "successful" if r.rc == 0 else "failed", r.rc, round(time.monotonic() - t0, 1),
                          changed, bad, str(pdir))
        results.append(res)
        echo(f"    {phase}: {res.status} in {res.seconds} s; changed "
             f"{sum(changed.values())} task(s) on {len([h for h, n in changed.items() if n])} host(s)"
             + (f"; failed: {', '.join(bad)}" if bad else ""))
        if r.rc != 0:
            break
    summary = {"pod": pod, "run": stamp, "check": check, "phases": [asdict(x) for x in results]}
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    if record:
        base.mkdir(parents=True, exist_ok=True)
        (base / "last-run.json").write_text(json.dumps(summary, indent=2))
    return results


def resume_point(artifacts: Path, pod_file: str) -> tuple[str, list[str]]:
    """(phase to start at, failed hosts) from the last run of this pod."""
    last = artifacts / Path(pod_file).stem / "last-run.json"
    if not last.exists():
        raise RunError(f"no earlier run of {pod_file} under {artifacts}; nothing to resume")
    phases = json.loads(last.read_text())["phases"]
    failed = [p for p in phases if p["status"] != "successful"]
    if not failed:
        raise RunError("the last run succeeded; nothing to resume")
    return failed[0]["phase"], failed[0]["failed_hosts"]
