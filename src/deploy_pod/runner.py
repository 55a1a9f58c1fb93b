"""Run deployment phases through ansible-runner: progress from runner events, artifacts kept per run.

Each phase is one playbook under playbooks/; `deploy-pod up` runs them in order and stops
at the first failure or interruption (Ctrl-C). Consecutive phases share one ansible-playbook
(deploy_pod.phasegroup: gates between them keep the stop-at-the-first-failed-phase behaviour);
acceptance runs alone. Every run leaves artifacts/<pod>/<stamp>/<phase>/ (the phase's stdout
and events; ansible-runner's own artifacts there for a phase run alone, in <stamp>/phases/ for
phases run together), artifacts/<pod>/<stamp>/summary.json and
artifacts/<pod>/last-run.json, which --resume reads to start again at the failed or interrupted
phase, limited to the failed hosts if asked. What is shown while it runs: deploy_pod.progress.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deploy_pod import phasegroup, plan_handoff
from deploy_pod.content import ROOT, ensure_collection_link
from deploy_pod.phasegroup import group_phases
from deploy_pod.progress import MAX_MSG_LINES, PlainProgress, progress_line  # noqa: F401 - their home was here

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

# What `deploy-pod up` (and acceptance) exit with; docs/phases.md and README.md say the same.
EXIT_OK = 0  # every phase ran and succeeded (and the acceptance figures passed)
EXIT_FAILED = 1  # a host failed a task (or the controller-side checks, or an acceptance figure)
EXIT_INPUT = 2  # bad input: unreadable inventory, bad -e, unknown phase, nothing to resume
EXIT_UNREACHABLE = 3  # hosts did not answer: found before anything ran, or the only reason a phase stopped
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT) or SIGTERM: the running phase was stopped, `up --resume` starts at it

# after Ctrl-C, how long ansible-playbook has to stop its workers before its process group is killed
INTERRUPT_GRACE_S = 10.0


class RunError(Exception):
    pass


@dataclass
class PhaseResult:
    phase: str
    status: str  # successful, failed, interrupted
    rc: int | None = None
    seconds: float = 0.0
    changed: dict[str, int] = field(default_factory=dict)
    failed_hosts: list[str] = field(default_factory=list)  # failed or unreachable (not localhost): --failed-hosts
    artifacts: str = ""
    unreachable: list[str] = field(default_factory=list)  # of those, the hosts that did not answer
    failures: list[str] = field(default_factory=list)  # hosts that failed a task, localhost included


def exit_code(results: list[PhaseResult]) -> int:
    """The exit code a run's phase results give: 130 interrupted; 3 when the phase that stopped the run
    stopped only because hosts were unreachable (no task failed anywhere); 1 for any other failure."""
    if any(r.status == "interrupted" for r in results):
        return EXIT_INTERRUPTED
    failed = [r for r in results if r.status != "successful"]
    if not failed:
        return EXIT_OK
    first = failed[0]
    if first.unreachable and not first.failures:
        return EXIT_UNREACHABLE
    return EXIT_FAILED


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


def host_outcome(stats: dict | None) -> tuple[list[str], list[str]]:
    """(hosts that failed a task, localhost included; hosts unreachable, localhost left out)."""
    stats = stats or {}
    failures = sorted(h for h, n in (stats.get("failures") or {}).items() if n)
    dark = sorted(h for h, n in (stats.get("dark") or {}).items() if n and h != "localhost")
    return failures, dark


def host_counts(stats: dict | None) -> tuple[dict[str, int], list[str]]:
    """(changed tasks per host, hosts that failed or were unreachable) from ansible-runner's stats."""
    stats = stats or {}
    changed = {h: n for h, n in (stats.get("changed") or {}).items()}
    # localhost only runs the controller-side checks: resuming "on localhost" means nothing
    bad = sorted((set(stats.get("failures") or {}) | set(stats.get("dark") or {})) - {"localhost"})
    return changed, bad


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


class Interrupt:
    """Ctrl-C (SIGINT) or SIGTERM while phases run: a flag that ansible-runner's cancel_callback reads.

    ansible-playbook is then stopped (cancel_callback) and the phase recorded as interrupted. Outside the
    main thread no handler can be set: the flag is then only set by calling stop()."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.event = threading.Event()
        self.signum: int | None = None
        self._saved: dict = {}

    def stop(self, signum: int | None = None, frame=None) -> None:
        self.signum = signum
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._saved = {s: signal.signal(s, self.stop) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._saved.items():
            signal.signal(s, handler)
        self._saved = {}

    def cancel_callback(self, grace: float = INTERRUPT_GRACE_S) -> Callable[[], bool]:
        """For one ansible_runner.run: once the flag is set, ansible-playbook gets SIGINT, as a terminal's
        Ctrl-C gives it (it stops its workers and exits); only if it is still there after `grace` seconds
        does ansible-runner kill its process group."""
        sent: list[float] = []

        def cancel() -> bool:
            if not self.is_set():
                return False
            if not sent:
                sent.append(time.monotonic())
                for pid in _children(os.getpid(), "ansible-playbook"):
                    with suppress(OSError):
                        os.kill(pid, signal.SIGINT)
            return time.monotonic() - sent[0] > grace

        return cancel


def _children(pid: int, named: str) -> list[int]:
    """Direct children of pid whose command line holds `named` (Linux /proc): the ansible-playbook
    ansible-runner started (elsewhere none is found, and ansible-runner's kill after the grace is all)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[1] == str(pid) and named.encode() in (stat.parent / "cmdline").read_bytes():
                out.append(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return out


# forks: one worker per host of the pod (and one for the controller's plays), so no host of a pod
# waits for a free worker in any task; never below ansible-core's default, capped for huge pods
MIN_FORKS, MAX_FORKS = 5, 200


def forks_for(plan: dict | None) -> int | None:
    """ansible-playbook --forks for the pod the plan describes (None without a plan: ansible.cfg's)."""
    if not plan or not plan.get("hosts"):
        return None
    return max(MIN_FORKS, min(MAX_FORKS, len(plan["hosts"]) + 1))


def phase_extra_vars(files: list[str], extravars: dict, secrets: Path | None) -> dict | None:
    """The extra vars a phase's ansible-playbook gets, merged as it merges them: the -e @file sources, the
    secrets, then the KEY=VALUE and JSON values; None when a file cannot be read here (a vault file)."""
    import yaml

    merged: dict = {}
    try:
        for f in [*files, *([str(secrets)] if secrets else [])]:
            data = yaml.safe_load(Path(f).read_text())
            if data is None:
                continue
            if not isinstance(data, dict):
                return None
            merged.update(data)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    merged.update(extravars)
    merged.pop(plan_handoff.PLAN_VAR, None)
    return merged


def plan_once(sources: list[str], extra: dict) -> dict | None:
    """The plan as every phase's pod_plan action would make it (the inventory sources as Ansible reads
    them, the extra vars over every host's variables, the topology rules, the lock beside the inventory),
    made once per run and handed to the phases (deploy_pod.plan_handoff). None when it cannot be made
    here (bad inventory, topology errors, a bad lock): the phases then make it and say what is wrong."""
    try:
        from deploy_pod.findings import errors
        from deploy_pod.inventory import InventoryError, build_pod, read_inventory
        from deploy_pod.lock import LockError, find_lock
        from deploy_pod.planner import PlanError, make_plan
        from deploy_pod.rules import check
    except ImportError:
        return None
    try:
        raw = read_inventory(sources)
        for hv in raw.hosts.values():
            hv.update(extra)  # extra vars win over every inventory variable, as in ansible-playbook
        pod, findings = build_pod(raw)
        if errors(check(pod, findings)):
            return None
        plan = make_plan(pod, lock=find_lock([s for s in sources if os.path.isfile(s)]))
        # the same JSON round trip as the action plugin: plain types only
        return json.loads(json.dumps(plan.as_dict(), default=str))
    except (InventoryError, LockError, PlanError, OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


# extra vars the runner sets per phase: never an input of the plan (not pod fields)
RUNNER_VARS = {"acceptance_results_dir", "acceptance_run", "deploy_pod_live_out", plan_handoff.PLAN_VAR}


def handed_plan(plans: dict, sources: list[str], files: list[str], phase_vars: dict, secrets: Path | None,
                path: Path) -> dict | None:
    """The plan for one phase, written with the phase's fingerprint to `path` (0600); None when none can be
    handed over. `plans` keeps the plans of the run by the fingerprint of what they were made from (the
    inventory, the lock, the extra vars but the runner's own): a run computes one, unless an input
    changes between its phases."""
    extra = phase_extra_vars(files, phase_vars, secrets)
    if extra is None:
        return None
    inputs = {k: v for k, v in extra.items() if k not in RUNNER_VARS}
    key = plan_handoff.fingerprint(sources, inputs)
    if key is None:
        return None
    if key not in plans:
        plan = plan_once(sources, inputs)
        # an inventory or lock rewritten while it was read: no plan rather than a mixed one
        plans[key] = plan if plan_handoff.fingerprint(sources, inputs) == key else None
    fp = plan_handoff.fingerprint(sources, extra)
    if not plans[key] or not fp:
        return None
    plan_handoff.write(path, plans[key], fp)
    return plans[key]


def new_run_dir(artifacts: Path | None, pod_file: str) -> Path:
    """artifacts/<pod>/<stamp>: where one run's artifacts go."""
    return (artifacts or Path.cwd() / "artifacts") / Path(pod_file).stem / time.strftime("%Y%m%d-%H%M%S")


@dataclass
class _Run:
    """What every phase of one run shares."""
    run_dir: Path
    progress: object
    sources: list[str]
    envvars: dict
    extra_files: list[str]  # the -e @file sources, resolved
    handoff: Path
    plans: dict
    interrupt: Interrupt
    extravars: dict
    check: bool
    limit: str | None
    tags: str | None
    skip_tags: str | None
    live_out: Path | None = None  # where the live read after the last phase writes the cluster (JSON)
    last: tuple[str, str] | None = None  # the run's last phase

    def phase_vars(self, phase: str, pdir: Path) -> dict:
        out = dict(self.extravars)
        if phase == "acceptance":
            # results.json (and the report built from it) in this phase's directory of the run
            out.setdefault("acceptance_results_dir", str(pdir.resolve()))
            out.setdefault("acceptance_run", self.run_dir.name)
        return out

    def run(self, pdir: Path, playbook: Path, phase_vars: dict, handoff_name: str, handler):
        """One ansible-playbook through ansible-runner, the plan handed over when it can be."""
        import ansible_runner

        with secrets_file(os.environ) as secrets:
            plan = handed_plan(self.plans, self.sources, self.extra_files, phase_vars, secrets,
                               self.handoff / handoff_name)
            if plan:
                phase_vars[plan_handoff.PLAN_VAR] = str(self.handoff / handoff_name)
            # -e @file sources first: the KEY=VALUE and JSON values (extravars) come after them and win
            cmdline = " ".join((["--check", "--diff"] if self.check else [])
                               + [a for f in self.extra_files for a in ("-e", shlex.quote(f"@{f}"))]
                               + (["-e", shlex.quote(f"@{secrets}")] if secrets else []))
            return ansible_runner.run(
                private_data_dir=str(pdir), playbook=str(playbook), inventory=self.sources,
                envvars=self.envvars, cmdline=cmdline or None, limit=with_controller(self.limit),
                extravars=phase_vars, tags=self.tags or None, skip_tags=self.skip_tags or None,
                forks=forks_for(plan), quiet=True, event_handler=handler, suppress_env_files=True,
                fact_cache=str(self.run_dir / "facts"), fact_cache_type="jsonfile",
                # the cancel flag is read between reads of ansible-playbook's output: at least every second
                cancel_callback=self.interrupt.cancel_callback(), settings={"pexpect_timeout": 1},
            )


def _run_one(group: list[tuple[str, str]], ctx: _Run) -> list[PhaseResult]:
    """A phase as its own ansible-playbook."""
    (phase, playbook), = group
    pdir = ctx.run_dir / phase
    pdir.mkdir(parents=True, exist_ok=True)
    ctx.progress.phase_start(phase, playbook, ctx.check)
    t0 = time.monotonic()
    seen_changed: dict[str, int] = {}

    def handler(event: dict) -> bool:
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and (data.get("res") or {}).get("changed"):
            host = data.get("host") or "?"
            seen_changed[host] = seen_changed.get(host, 0) + 1
        ctx.progress.event(event)
        return True  # keep the event in the artifacts too

    r = ctx.run(pdir, ROOT / "playbooks" / playbook, ctx.phase_vars(phase, pdir), f"{phase}.json", handler)
    seconds = round(time.monotonic() - t0, 1)
    if r.status == "canceled" or ctx.interrupt.is_set():
        # killed before its recap: the changes counted from the events seen so far
        changed = host_counts(r.stats)[0] if r.stats else dict(seen_changed)
        res = PhaseResult(phase, "interrupted", r.rc, seconds, changed, [], str(pdir))
    else:
        changed, bad = host_counts(r.stats)
        failures, dark = host_outcome(r.stats)
        res = PhaseResult(phase, "successful" if r.rc == 0 else "failed", r.rc, seconds, changed, bad,
                          str(pdir), dark, failures)
    ctx.progress.phase_end(res)
    return [res]


def _keep_events(pdir: Path, events: list[dict]) -> None:
    """A phase's own events and stdout under <phase>/artifacts/phase/, where a phase run alone has them."""
    out = pdir / "artifacts" / "phase"
    (out / "job_events").mkdir(parents=True, exist_ok=True)
    for ev in events:
        (out / "job_events" / f"{ev.get('counter', 0)}-{ev.get('uuid', 'x')}.json").write_text(json.dumps(ev))
    (out / "stdout").write_text("".join(f"{ev['stdout']}\n" for ev in events if ev.get("stdout")))


def _resumable(failures: list[str], dark: list[str]) -> list[str]:
    """The hosts `--resume --failed-hosts` limits to: failed or unreachable, never localhost (it only runs
    the controller-side checks)."""
    return sorted((set(failures) | set(dark)) - {"localhost"})


def _run_group(group: list[tuple[str, str]], ctx: _Run) -> list[PhaseResult]:
    """Consecutive phases in one ansible-playbook (deploy_pod.phasegroup): one start-up instead of one
    per phase; each phase still gets its result, its events and its stdout under <phase>/."""
    books = dict(group)
    results: list[PhaseResult] = []

    def start(name: str) -> None:
        ctx.progress.phase_start(name, books[name], ctx.check)

    def end(ph) -> None:
        failures, dark = phasegroup.outcome(ph)
        bad = _resumable(failures, dark)
        pdir = ctx.run_dir / ph.name
        _keep_events(pdir, ph.events)
        results.append(PhaseResult(ph.name, "failed" if ph.removed else "successful", 2 if ph.removed else 0,
                                   ph.seconds, ph.changed, bad, str(pdir), dark, failures))
        ctx.progress.phase_end(results[-1])

    # the first phase's time includes ansible-playbook's start-up, as a phase run alone does
    splitter = phasegroup.PhaseSplitter(start, end, ctx.progress.event, started=time.monotonic())

    def handler(event: dict) -> bool:
        splitter.feed(event)
        return True

    rundir = ctx.run_dir / "phases"
    rundir.mkdir(parents=True, exist_ok=True)
    book = ctx.handoff / "phases.yml"
    phase_vars = dict(ctx.extravars)
    then = []
    if ctx.live_out and group[-1] == ctx.last:
        # the cluster read back after the last phase in the same ansible-playbook (no start-up of its own)
        then, phase_vars["deploy_pod_live_out"] = ["live_read.yml"], str(ctx.live_out.resolve())
        ctx.live_out.parent.mkdir(parents=True, exist_ok=True)
    book.write_text(phasegroup.combined_playbook(group, ROOT / "playbooks", then))
    r = ctx.run(rundir, book, phase_vars, "phases.json", handler)
    ph = splitter.close()
    stopped = r.status == "canceled" or ctx.interrupt.is_set()
    if ph is not None:  # stopped without reaching its gate: interrupted, or ansible-playbook ended early
        pdir = ctx.run_dir / ph.name
        _keep_events(pdir, ph.events)
        if stopped:
            results.append(PhaseResult(ph.name, "interrupted", r.rc, ph.seconds, ph.changed, [], str(pdir)))
        else:
            failures, dark = host_outcome(r.stats)
            results.append(PhaseResult(ph.name, "failed", r.rc or 1, ph.seconds, ph.changed,
                                       _resumable(failures, dark), str(pdir),
                                       dark, failures or ([] if dark else ["localhost"])))
        ctx.progress.phase_end(results[-1])
    elif not results:  # ansible-playbook stopped before the first phase began (a broken playbook)
        name = group[0][0]
        pdir = ctx.run_dir / name
        pdir.mkdir(parents=True, exist_ok=True)
        status = "interrupted" if stopped else "failed"
        results.append(PhaseResult(name, status, r.rc, 0.0, {}, [], str(rundir),
                                   [], [] if status == "interrupted" else ["localhost"]))
        ctx.progress.phase_end(results[-1])
    elif r.rc != 0 and results[-1].status == "successful" and not splitter.after_failed and not stopped:
        # every gate passed but ansible-playbook says otherwise: do not call the last phase a success
        last = results[-1]
        last.status, last.rc, last.failures = "failed", r.rc, last.failures or ["localhost"]
    return results


def run_phases(pod_file: str, inventories: list[str], phases: list[tuple[str, str]], *, check: bool = False,
               limit: str | None = None, extravars: dict | None = None, artifacts: Path | None = None,
               echo: Callable[[str], None] = print, run_dir: Path | None = None,
               record: bool = True, tags: str | None = None, skip_tags: str | None = None,
               extra_files: list[str] | None = None, progress=None,
               interrupt: Interrupt | None = None, live_out: Path | None = None) -> list[PhaseResult]:
    """Run the phases in order, stopping at the first failure or interruption. run_dir: where this run's
    artifacts go (default artifacts/<pod>/<stamp>); record: write last-run.json, which `up --resume` reads.
    tags/skip_tags: ansible-playbook's --tags/--skip-tags (within each phase); extra_files: `-e @file`
    sources, passed by path (their values never land in the artifacts); progress: what shows the events
    (deploy_pod.progress; default plain lines through echo); interrupt: the SIGINT/SIGTERM flag (default:
    one installed for the run); live_out: when the last phases share one ansible-playbook, the running
    cluster is read after them in it (playbooks/live_read.yml) and written there as JSON, when they
    all succeeded (the caller reads it back the slow way when the file is not there).

    The inventory is read and the plan computed once per run (plan_once) and handed to every phase as a
    private file (deploy_pod.plan_handoff), which the phases' pod_plan action uses after checking that
    it was made from the same inventory, lock and extra vars; otherwise it computes the plan itself."""
    ensure_collection_link()
    pod = Path(pod_file).stem
    base = (artifacts or Path.cwd() / "artifacts") / pod
    run_dir = run_dir or new_run_dir(artifacts, pod_file)
    stamp = run_dir.name
    progress = progress or PlainProgress(echo)
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
    handoff = Path(tempfile.mkdtemp(prefix="deploy-pod-plan."))
    plans: dict[str, dict | None] = {}  # the plan made from exactly these inputs (their fingerprint)
    owned = interrupt is None
    interrupt = interrupt or Interrupt()
    if owned:
        interrupt.__enter__()
    ctx = _Run(run_dir=run_dir, progress=progress, sources=sources, envvars=envvars,
               extra_files=[str(Path(f).resolve()) for f in extra_files or []], handoff=handoff, plans=plans,
               interrupt=interrupt, extravars=dict(extravars or {}), check=check, limit=limit, tags=tags,
               skip_tags=skip_tags, live_out=live_out, last=phases[-1] if phases else None)
    try:
        for group in group_phases(phases):
            if interrupt.is_set():  # between two phases: the next one is where a resume starts
                pdir = run_dir / group[0][0]
                pdir.mkdir(parents=True, exist_ok=True)
                results.append(PhaseResult(group[0][0], "interrupted", None, 0.0, {}, [], str(pdir)))
                progress.phase_end(results[-1])
                break
            run = _run_group if len(group) > 1 else _run_one
            results += run(group, ctx)
            if results[-1].status != "successful":
                break
    finally:
        shutil.rmtree(handoff, ignore_errors=True)
        if owned:
            interrupt.__exit__(None, None, None)
        progress.close()
        summary = {"pod": pod, "run": stamp, "check": check, "limit": limit, "tags": tags, "skip_tags": skip_tags,
                   "phases": [asdict(x) for x in results]}
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
        if record and results:
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
