"""deploy-pod: a thin CLI; each verb maps to one library call or one playbook run."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console

from deploy_pod.findings import errors
from deploy_pod.inventory import InventoryError, load_pod

# one meaning per exit code for every verb (README "Exit codes"); the runner maps phase results onto them
from deploy_pod.runner import EXIT_FAILED as EXIT_RULES
from deploy_pod.runner import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREACHABLE


def _console() -> Console:
    # rich assumes 80 columns when piped; the plan tables need more to stay readable in logs
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _load_and_check(pod_file: str, as_json: bool):
    """(pod, findings), or exit 2 with the reason when the file cannot be read."""
    from deploy_pod.rules import check

    try:
        result = load_pod(pod_file)
        return result.pod, check(result.pod, result.findings)
    except InventoryError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - no input file may end in a traceback: exit 2, say what broke
        message = (f"{pod_file}: unexpected {type(exc).__name__} while reading it ({exc}); "
                   "please report this with the file")
    if as_json:
        click.echo(json.dumps({"ok": False, "error": message}))
    else:
        click.echo(f"deploy-pod: cannot read {pod_file}: {message}", err=True)
    sys.exit(EXIT_INPUT)


class _Group(click.Group):
    def invoke(self, ctx):
        # Ctrl-C outside a phase run (reading the inventory, the reach probe): a clean 130, not a traceback;
        # inside one the runner stops ansible-playbook itself and records the phase as interrupted
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\ndeploy-pod: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="deploy-pod")
def main() -> None:
    """Deploy NVIDIA DGX + IBM Storage Scale (ESS) AI pods from one Ansible inventory.

    \b
    Start with:   deploy-pod validate pod.yml
    then:         deploy-pod plan pod.yml
    """


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
def validate(pod_file: str, as_json: bool) -> None:
    """Static checks only: schema, models, addresses, cabling, quorum, sizing. Touches no host.

    Exit 0 when clean (warnings are printed), 1 when a rule fails, 2 when the inventory
    cannot be read or parsed.

    \b
    Example:
      deploy-pod validate inventories/examples/twin.yml
    """
    pod, findings = _load_and_check(pod_file, as_json)
    bad = errors(findings)
    if as_json:
        click.echo(json.dumps({"ok": not bad, "source": pod.source, "errors": len(bad),
                               "warnings": len(findings) - len(bad),
                               "findings": [f.as_dict() for f in findings]}, indent=2))
    else:
        from deploy_pod.views import print_findings

        print_findings(_console(), pod.source, findings)
    sys.exit(EXIT_RULES if bad else EXIT_OK)


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--live", is_flag=True, help="Also read the running cluster and show where it differs from the lock.")
@click.option("-i", "--inventory", "inventories", multiple=True, type=click.Path(exists=True),
              help="With --live: extra inventory sources (for example the twin's overlay).")
@click.option("--twin", is_flag=True, help="With --live: read the pod's digital twin.")
def plan(pod_file: str, as_json: bool, live: bool, inventories, twin: bool) -> None:
    """Show what would be built: hosts and roles, ESS units, quorum, cabling, addresses, expected GB/s.

    Values the planner derived are marked with '*', those kept from the lock file
    (<pod>.lock.yml, written by `up`) with 'L'; set them per host to override. Differences
    between the inventory, the lock and (--live) the running cluster are listed as drift.
    Fails like `validate` when the inventory has errors.

    \b
    Example:
      deploy-pod plan inventories/examples/twin.yml
      deploy-pod plan --json pod.yml | jq .hosts.dgx01.cables
      deploy-pod plan pod.yml --live
    """
    from deploy_pod.lock import LockError, drift, live_values, load_lock, lock_path
    from deploy_pod.planner import make_plan
    from deploy_pod.views import drift_table, plan_tables, print_findings

    pod, findings = _load_and_check(pod_file, as_json)
    bad = errors(findings)
    console = _console()
    if bad:
        if as_json:
            click.echo(json.dumps({"ok": False, "findings": [f.as_dict() for f in findings]}, indent=2))
        else:
            print_findings(console, pod.source, findings)
        sys.exit(EXIT_RULES)
    try:
        lock = load_lock(pod_file)
    except LockError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    result = make_plan(pod, lock=lock)
    live_vals = None
    if live:
        from pathlib import Path

        from deploy_pod.day2 import Day2Error, read_live

        extra = list(inventories)
        if twin:
            _twin_env(pod.settings.name, pod_file, extra)
        try:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="deploy-pod-live.") as tmp:
                facts = read_live(pod_file, extra, Path(tmp) / "plan", lambda line: click.echo(line, err=True))
        except Day2Error as exc:
            click.echo(f"deploy-pod: {exc}", err=True)
            sys.exit(EXIT_RULES)
        live_vals = live_values(facts, result) if facts.get("member") else {}
    rows = drift(pod, lock, live_vals)
    if as_json:
        click.echo(json.dumps(result.as_dict() | {"findings": [f.as_dict() for f in findings],
                                                  "lock": str(lock_path(pod_file)) if lock else None,
                                                  "drift": rows}, indent=2, default=str))
        return
    for table in plan_tables(result):
        console.print(table)
    if lock:
        console.print(f"lock: {lock_path(pod_file)} (values marked L are kept from it)")
    if rows:
        console.print(drift_table(rows))
    elif live:
        console.print("no drift: the inventory, the lock and the running cluster agree")
    if findings:
        print_findings(console, pod.source, findings)


@main.command()
@click.option("--markdown", is_flag=True, help="Print the inventory reference (docs/inventory.md) instead.")
def schema(markdown: bool) -> None:
    """Print the JSON Schema of the pod inventory, for editors and CI.

    \b
    Example:
      deploy-pod schema > pod.schema.json
      # VS Code / yaml-language-server: # yaml-language-server: $schema=pod.schema.json
    """
    from deploy_pod.schema import inventory_markdown, inventory_schema

    click.echo(inventory_markdown() if markdown else json.dumps(inventory_schema(), indent=2))


@main.command()
def rules() -> None:
    """List the static topology rules with their ids and severities.

    \b
    Example:
      deploy-pod rules
    """
    from deploy_pod.rules import rule_table

    for r in rule_table():
        click.echo(f"{r['id']:<24} {r['severity']:<8} {r['summary']}")


def _run_options(fn):
    """Options `up` and `acceptance` share."""
    opts = [
        click.option("-i", "--inventory", "inventories", multiple=True, type=click.Path(exists=True),
                     help="Extra inventory sources layered over POD.yml (for example the twin's overlay)."),
        click.option("--twin", is_flag=True, help="Target the pod's digital twin (adds .sim/<pod>/overlay.yml "
                     "and, unless NGC_API_KEY is set, the twin mirror's key)."),
        click.option("--check", is_flag=True, help="Ansible check mode with diffs: show what would change."),
        click.option("--limit", help="Ansible host pattern to limit the run to."),
        click.option("--artifacts", type=click.Path(file_okay=False), default="artifacts", show_default=True,
                     help="Where each run's artifacts and summary go."),
        click.option("-e", "--extra-vars", "extra_vars", multiple=True, metavar="KEY=VALUE|@FILE|JSON",
                     help="Passed to Ansible as ansible-playbook takes them, e.g. -e scale_force=true, "
                     "-e scale_timeout=60, -e @vars.yml, -e '{\"scale_timeout\": 60}'. KEY=VALUE and JSON "
                     "values win over @FILE ones."),
        click.option("--tags", metavar="TAGS", help="ansible-playbook --tags, applied within each phase run."),
        click.option("--skip-tags", metavar="TAGS", help="ansible-playbook --skip-tags, within each phase run."),
        click.option("-q", "--quiet", is_flag=True, help="Only phase summaries and failures."),
        click.option("-v", "--verbose", count=True, help="Also every ok and skipped host result."),
        click.option("--json", "as_json", is_flag=True, help="One JSON object per line (phase_start, task_start, "
                     "host_result, progress, phase_end, run_end) and nothing else on stdout; the rest on stderr."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_run_options
@click.option("--phase", "phases", multiple=True, help="Run only these phases (repeatable).")
@click.option("--from", "start", metavar="PHASE", help="Start at this phase.")
@click.option("--resume", is_flag=True, help="Start again at the phase that failed (or was interrupted) last time.")
@click.option("--failed-hosts", is_flag=True, help="With --resume: limit the run to the hosts that failed.")
def up(pod_file, inventories, twin, phases, start, resume, failed_hosts, check, limit, artifacts,
       extra_vars, tags, skip_tags, quiet, verbose, as_json) -> None:
    """Deploy the pod phase by phase (preflight, base, network, ... ngc, acceptance) with progress.

    Stops at the first failed phase; `--resume` starts again there. Every run keeps its
    ansible-runner artifacts and a summary under --artifacts (`deploy-pod runs` lists them); the
    acceptance phase ends with the report (Markdown, HTML with plots, JSON) in the run's
    acceptance directory. --tags/--skip-tags/--limit/-e are ansible-playbook's, applied within
    each phase. Ctrl-C stops the running phase cleanly; `--resume` starts at it.

    \b
    Exit codes:
      0    every phase succeeded (and the acceptance figures passed)
      1    a host failed a task, or an acceptance figure failed
      2    bad input: unreadable inventory, bad -e, unknown phase, nothing to resume
      3    hosts unreachable: found before anything ran (nothing was changed), or the only
           reason a phase stopped
      130  interrupted (Ctrl-C): the phase is recorded as interrupted

    \b
    Example:
      deploy-pod sim up inventories/examples/twin.yml
      deploy-pod up inventories/examples/twin.yml --twin
      deploy-pod up pod.yml --phase preflight          # checks only
      deploy-pod up pod.yml --resume --failed-hosts
      deploy-pod up pod.yml --from storage -e scale_force=true   # mmcrnsd may overwrite old disks
    """
    _run(pod_file, inventories, twin, list(phases), start, resume, failed_hosts, check, limit, artifacts,
         extra_vars, tags=tags, skip_tags=skip_tags, quiet=quiet, verbose=verbose, as_json=as_json)


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_run_options
def acceptance(pod_file, inventories, twin, check, limit, artifacts, extra_vars, tags, skip_tags, quiet, verbose,
               as_json) -> None:
    """Prove the pod again: fio sweep, training and inference, then the report.

    The same as `up --phase acceptance`, with the same exit codes: 0 passed, 1 a figure fails
    its expectation (or a host failed), 2 bad input, 3 hosts unreachable, 130 interrupted.

    \b
    Example:
      deploy-pod acceptance pod.yml
      deploy-pod acceptance inventories/examples/twin.yml --twin
    """
    _run(pod_file, inventories, twin, ["acceptance"], None, False, False, check, limit, artifacts, extra_vars,
         tags=tags, skip_tags=skip_tags, quiet=quiet, verbose=verbose, as_json=as_json, verb="acceptance")


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(dir_okay=False))
@click.option("--artifacts", type=click.Path(file_okay=False), default="artifacts", show_default=True,
              help="Where the runs' artifacts are.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as a JSON list.")
def runs(pod_file, artifacts, as_json) -> None:
    """List the past runs of the pod (`up`, `acceptance`), newest first.

    For each run, from artifacts/<pod>/<run>/summary.json: its id, when it started, check mode or
    not, the phases with their status, the seconds, the changed count, the failed hosts and the
    run's directory. Exit 0 (also when there is none yet).

    \b
    Example:
      deploy-pod runs pod.yml
      deploy-pod runs inventories/examples/twin.yml --artifacts /tmp/artifacts --json | jq '.[0]'
    """
    from pathlib import Path

    from deploy_pod.runs import list_runs, runs_table

    found = list_runs(Path(artifacts), pod_file)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo(f"no runs of {Path(pod_file).stem} under {artifacts}")
        return
    _console().print(runs_table(found))


@main.command()
@click.argument("run", metavar="RUN")
@click.option("--artifacts", type=click.Path(file_okay=False), default="artifacts", show_default=True,
              help="Where runs are looked up by id.")
def report(run, artifacts) -> None:
    """Build the acceptance report of a run again: RUN is a results.json, a run directory or a run id.

    \b
    Example:
      deploy-pod report artifacts/twin/20261129-070000
      deploy-pod report 20261129-070000
    """
    from pathlib import Path

    from deploy_pod.report import find_results

    try:
        results = find_results(run, Path(artifacts))
    except (FileNotFoundError, ValueError) as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    sys.exit(_write_report(results))


def _write_report(results, echo=click.echo) -> int:
    """Report files beside results.json; the exit code its verdict gives (1 on a failed figure)."""
    import json

    from deploy_pod.report import write_report

    try:
        files = write_report(results)
    except (OSError, ValueError) as exc:
        click.echo(f"deploy-pod: cannot build the report from {results}: {exc}", err=True)
        return EXIT_INPUT
    verdict = json.loads(files["json"].read_text()).get("verdict", "?")
    echo(f"acceptance: {str(verdict).upper()}")
    for kind in ("md", "html", "json"):
        if kind in files:
            echo(f"  {kind:<5} {files[kind]}")
    return EXIT_RULES if verdict == "fail" else EXIT_OK


def _twin_env(pod_name: str, pod_file: str, extra: list[str]) -> None:
    """--twin: the twin's overlay inventory, and its mirror's key where the user gave none."""
    import os

    from deploy_pod.sim.engine import Paths, SimError, find_root

    try:
        root = find_root()  # the twin lives in a checkout (.sim/), also for an installed deploy-pod
    except SimError as exc:
        click.echo(f"deploy-pod: --twin: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    paths = Paths(root, pod_name)
    if not paths.overlay.exists():
        click.echo(f"deploy-pod: the twin of {pod_file} is not up (no {paths.overlay}); "
                   f"run: deploy-pod sim up {pod_file}", err=True)
        sys.exit(EXIT_INPUT)
    extra.append(str(paths.overlay))
    key = paths.dir / "ngc-api-key"
    if not os.environ.get("NGC_API_KEY") and key.is_file():
        os.environ["NGC_API_KEY"] = key.read_text().strip()


def _run(pod_file, inventories, twin, phases, start, resume, failed_hosts, check, limit, artifacts,
         extra_vars, *, tags=None, skip_tags=None, quiet=False, verbose=0, as_json=False, verb="up") -> None:
    """up/acceptance: bad input (2) before anything, then the reachability probe (3), the lock, the phases
    with progress; the last lines say where the artifacts are and, on failure, what failed and how to resume."""
    import shlex
    import time
    from pathlib import Path

    from deploy_pod.progress import make_progress
    from deploy_pod.runner import RunError, exit_code, resume_point, run_phases, select_phases

    if quiet and verbose:
        click.echo("deploy-pod: --quiet and -v contradict each other: give one", err=True)
        sys.exit(EXIT_INPUT)
    # with --json, stdout carries the JSON lines only: everything else goes to stderr
    out = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    extra = list(inventories)
    files: list[str] = []
    extravars = _extravars(extra_vars, files)
    pod = _valid_pod(pod_file, to_stderr=as_json)
    user_limit = limit
    try:
        if resume:
            start, hosts = resume_point(Path(artifacts), pod_file)
            if failed_hosts and hosts:
                limit = ",".join(hosts)
            out(f"resuming at phase {start}" + (f" on {limit}" if limit else ""))
        chosen = select_phases(phases or None, start)
    except RunError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if twin:
        _twin_env(pod.settings.name, pod_file, extra)
    from deploy_pod.reach import ReachError, reach_table, unreachable_hosts

    try:
        unreachable = unreachable_hosts(pod_file, extra, limit=limit)
    except ReachError as exc:  # the inventory Ansible would read cannot be read
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if unreachable:
        out(reach_table(unreachable))
        click.echo(f"deploy-pod: nothing was changed: {len(unreachable)} host(s) unreachable; "
                   "bring them back (or leave them out with --limit) and run again", err=True)
        if as_json:
            click.echo(json.dumps({"type": "run_end", "exit_code": EXIT_UNREACHABLE, "summary": None,
                                   "unreachable": len(unreachable)}))
        sys.exit(EXIT_UNREACHABLE)
    if not check:
        _record_lock(pod_file, pod, out)
    # what to type to carry on: the same selection, sources and options
    again = ["--twin"] if twin else []
    for src in inventories:
        again += ["-i", src]
    if str(artifacts) != "artifacts":
        again += ["--artifacts", str(artifacts)]
    if user_limit and not failed_hosts:
        again += ["--limit", user_limit]
    again += (["--check"] if check else []) + [a for p in phases for a in ("--phase", p)] if verb == "up" else []
    again += [a for e in extra_vars for a in ("-e", e)] + (["--tags", tags] if tags else []) \
        + (["--skip-tags", skip_tags] if skip_tags else [])
    run_dir = Path(artifacts) / Path(pod_file).stem / time.strftime("%Y%m%d-%H%M%S")
    level = "quiet" if quiet else "verbose" if verbose else "normal"
    progress = make_progress(as_json=as_json, level=level, tty=sys.stdout.isatty(), echo=click.echo,
                             err=lambda line: click.echo(line, err=True))
    # the cluster read back in the same ansible-playbook as the last phases (_record_live)
    live_out = run_dir / "live" / "live.json" if not check and {p for p, _ in chosen} & LIVE_PHASES else None
    results = run_phases(pod_file, extra, chosen, check=check, limit=limit, artifacts=Path(artifacts),
                         extravars=extravars, echo=click.echo, run_dir=run_dir, tags=tags, skip_tags=skip_tags,
                         extra_files=files, progress=progress, live_out=live_out)
    code = exit_code(results)
    failed = [r for r in results if r.status != "successful"]
    out("")
    for r in results:
        out(f"{r.phase:<14} {r.status:<11} {r.seconds:>7.1f} s  changed {sum(r.changed.values()):>3}"
            + (f"  failed hosts: {', '.join(r.failed_hosts)}" if r.failed_hosts else ""))
    verdict = None
    if not failed:
        if not check and {r.phase for r in results} & LIVE_PHASES:
            _record_live(pod_file, pod, extra, run_dir, out, live_out)
        measured = [r for r in results if r.phase == "acceptance" and not check]
        if measured:
            results_file = Path(measured[0].artifacts) / "results.json"
            out("")
            if not results_file.is_file():
                click.echo(f"deploy-pod: the acceptance phase wrote no {results_file}", err=True)
                code = EXIT_RULES
            else:
                code = _write_report(results_file, out)
                verdict = "fail" if code == EXIT_RULES else "pass" if code == EXIT_OK else None
    out(f"\nartifacts: {run_dir} (summary.json; per phase, ansible-runner's stdout and events)")
    resume_cmd = None
    if failed:
        bad = failed[0]
        resume_cmd = " ".join(shlex.quote(str(a)) for a in ["deploy-pod", verb, pod_file, *again]
                              + (["--resume"] if verb == "up" else []))
        if bad.status == "interrupted":
            out(f"phase {bad.phase} was interrupted; nothing after it ran")
        else:
            what = [f"failed on {', '.join(h for h in bad.failed_hosts if h not in bad.unreachable)}"
                    if set(bad.failed_hosts) - set(bad.unreachable) else "",
                    f"unreachable: {', '.join(bad.unreachable)}" if bad.unreachable else "",
                    "failed on the controller (localhost)" if not bad.failed_hosts and bad.failures else ""]
            out(f"phase {bad.phase} failed" + (f" ({'; '.join(w for w in what if w)})" if any(what) else "")
                + f"; details in {bad.artifacts}/artifacts")
        out(f"resume: {resume_cmd}")
        if verb == "up" and bad.failed_hosts:
            out(f"  only on the failed hosts: {resume_cmd} --failed-hosts")
    if as_json:
        summary = json.loads((run_dir / "summary.json").read_text())
        click.echo(json.dumps({"type": "run_end", "exit_code": code, "artifacts": str(run_dir), "resume": resume_cmd,
                               "acceptance": verdict, "summary": summary}))
    sys.exit(code)


# after these, designations and failure groups are read back from the cluster into the lock
LIVE_PHASES = {"scale_cluster", "storage", "clients"}


def _record_lock(pod_file: str, pod, echo=click.echo) -> None:
    """`up` records what it is about to apply: hosts in the lock keep it when the pod grows."""
    from deploy_pod.day2 import record_lock
    from deploy_pod.lock import LockError, lock_path

    try:
        record_lock(pod_file, pod)
    except LockError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    echo(f"lock: {lock_path(pod_file)}")


def _record_live(pod_file: str, pod, inventories: list[str], run_dir, echo=click.echo, read=None) -> None:
    """The live designations and failure groups into the lock: from `read` (a Path) when the run read the
    cluster after its last phase, otherwise read now (playbooks/live.yml)."""
    from deploy_pod.day2 import Day2Error, read_live, record_lock

    try:
        facts = json.loads(read.read_text()) if read and read.is_file() else read_live(pod_file, inventories,
                                                                                         run_dir, echo)
    except Day2Error as exc:
        click.echo(f"deploy-pod: the lock keeps the planned values: {exc}", err=True)
        return
    for change in record_lock(pod_file, pod, facts, f"up {run_dir.name}"):
        echo(f"lock: live value recorded: {change}")


@main.command(name="scale-out")
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@click.option("-i", "--inventory", "inventories", multiple=True, type=click.Path(exists=True),
              help="Extra inventory sources layered over POD.yml (for example the twin's overlay).")
@click.option("--twin", is_flag=True, help="Target the pod's digital twin.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show what would join and the steps; change nothing.")
@click.option("--rebalance", is_flag=True, help="After new units join: mmrestripefs -b under QoS, with progress.")
@click.option("--qos", default="300IOPS", show_default=True, help="QoS maintenance-class limit of the rebalance.")
@click.option("--artifacts", type=click.Path(file_okay=False), default="artifacts", show_default=True,
              help="Where each run's artifacts, the scale-out state and the report go.")
@click.option("-e", "--extra-vars", "extra_vars", multiple=True, metavar="KEY=VALUE", help="Passed to Ansible.")
def scale_out(pod_file, inventories, twin, yes, dry_run, rebalance, qos, artifacts, extra_vars) -> None:
    """Add the inventory's new DGX nodes and ESS units to the running pod, without downtime.

    Compares the inventory with the running cluster, shows what joins (hosts, units and their
    vdisk sets, quorum changes, capacity and expected GB/s before and after), asks, then: the
    host phases on the new hosts only, mmaddnode, the new units' vdisk sets added to the file
    system, (--rebalance) a throttled restripe, the new clients mounted, and acceptance. A health
    gate follows each step; a failed step or gate stops, and running scale-out again continues
    where it stopped. Exit 0 done (or nothing to add), 1 a step or gate failed, 2 bad input.

    \b
    Example:
      deploy-pod scale-out pod.yml --dry-run
      deploy-pod scale-out pod.yml --rebalance
      deploy-pod scale-out inventories/examples/twin.yml --twin --yes
    """
    from pathlib import Path

    from deploy_pod.catalog import load_catalog
    from deploy_pod.day2 import Day2Error
    from deploy_pod.day2 import scale_out as run
    from deploy_pod.lock import LockError
    from deploy_pod.runner import RunError

    extra = list(inventories)
    extravars = _extravars(extra_vars)
    pod = _valid_pod(pod_file)
    if twin:
        _twin_env(pod.settings.name, pod_file, extra)
    try:
        rc = run(pod_file, pod, load_catalog(), extra, Path(artifacts), yes=yes, dry_run=dry_run,
                 rebalance=rebalance, qos=qos, extravars=extravars, echo=click.echo,
                 confirm=lambda q: click.confirm(q, default=False))
    except (Day2Error, LockError, RunError) as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    sys.exit(rc)


def _reach_options(fn):
    """Options `status` and `preflight` share."""
    opts = [
        click.option("-i", "--inventory", "inventories", multiple=True, type=click.Path(exists=True),
                     help="Extra inventory sources layered over POD.yml (for example the twin's overlay)."),
        click.option("--twin", is_flag=True, help="Target the pod's digital twin (adds .sim/<pod>/overlay.yml)."),
        click.option("--limit", help="Ansible host pattern: check only these hosts."),
        click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per host and step."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _reach_sources(pod_file: str, inventories, twin: bool):
    pod = _valid_pod(pod_file)
    extra = list(inventories)
    if twin:
        _twin_env(pod.settings.name, pod_file, extra)
    return pod, extra


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_reach_options
@click.option("--reach-only", is_flag=True, required=True,
              help="Check SSH reachability only (required: the full preflight is `deploy-pod up --phase preflight`).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def preflight(pod_file, inventories, twin, limit, timeout, reach_only, as_json) -> None:
    """SSH reachability of every host, as Ansible would connect (address, port, user, key, known_hosts).

    Switches and local connections are left out. Each failure is named: name does not resolve,
    connection refused, time-out, authentication failed, host key changed, host key unknown,
    other. The full preflight phase (facts, live hardware vs plan) is `deploy-pod up --phase
    preflight`; this command only does --reach-only. Exit 0 every host reachable, 3 some host
    not, 2 bad input.

    \b
    Example:
      deploy-pod preflight pod.yml --reach-only
      deploy-pod preflight inventories/examples/twin.yml --reach-only --twin --limit dgx
    """
    from deploy_pod.reach import ReachError, reach_hosts, reach_table

    _, extra = _reach_sources(pod_file, inventories, twin)
    try:
        results = reach_hosts(pod_file, extra, limit=limit, timeout=timeout)
    except ReachError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if not results:
        click.echo(f"deploy-pod: no host to check{f' matches --limit {limit}' if limit else ''}", err=True)
        sys.exit(EXIT_INPUT)
    bad = [r.host for r in results if not r.ok]
    if as_json:
        click.echo(json.dumps({"ok": not bad, "unreachable": bad, "hosts": [r.as_dict() for r in results]},
                              indent=2))
    else:
        click.echo(reach_table(results))
        click.echo(f"\n{len(results) - len(bad)}/{len(results)} reachable"
                   + (f"; not reachable: {', '.join(bad)}" if bad else ""))
    sys.exit(EXIT_UNREACHABLE if bad else EXIT_OK)


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_reach_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable document.")
def status(pod_file, inventories, twin, limit, timeout, as_json) -> None:
    """The pod as it is, one row per host: SSH, Scale state, IB links up/planned, GPUs seen/expected,
    the file system mounted, clock offset against this machine.

    Read-only, all hosts in parallel. A host before a phase shows that (Scale 'not installed').
    Exit 0 every host reachable, 3 some host not (the table is still printed), 2 bad input.

    \b
    Example:
      deploy-pod status pod.yml
      deploy-pod status inventories/examples/twin.yml --twin --json
    """
    import time

    from deploy_pod.lock import LockError, load_lock
    from deploy_pod.reach import ReachError
    from deploy_pod.status import collect, status_document, status_table

    pod, extra = _reach_sources(pod_file, inventories, twin)
    start = time.monotonic()
    try:
        results = collect(pod_file, pod, extra, limit=limit, timeout=timeout, lock=load_lock(pod_file))
    except (ReachError, LockError) as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if not results:
        click.echo(f"deploy-pod: no host to read{f' matches --limit {limit}' if limit else ''}", err=True)
        sys.exit(EXIT_INPUT)
    doc = status_document(pod.settings.name, results, time.monotonic() - start)
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        click.echo(status_table(results))
        click.echo(f"\n{len(results) - len(doc['unreachable'])}/{len(results)} reachable, read in "
                   f"{doc['seconds']:.1f} s" + (f"; not reachable: {', '.join(doc['unreachable'])}"
                                                 if doc["unreachable"] else ""))
    sys.exit(EXIT_UNREACHABLE if doc["unreachable"] else EXIT_OK)


def _valid_pod(pod_file: str, to_stderr: bool = False):
    """The pod, or exit 1 with the findings before anything runs (on stderr where stdout carries JSON)."""
    pod, findings = _load_and_check(pod_file, False)
    if errors(findings):
        from deploy_pod.views import print_findings

        console = Console(stderr=True, highlight=False, width=160) if to_stderr else _console()
        print_findings(console, pod.source, findings)
        click.echo("deploy-pod: nothing was changed: fix the inventory first", err=True)
        sys.exit(EXIT_RULES)
    return pod


def _extravars(items, files: list[str] | None = None) -> dict:
    """-e values as ansible-playbook takes them: KEY=VALUE (the value a string), a JSON (or YAML flow)
    object, and, where `files` is given, @FILE (checked readable here, handed to Ansible by path).
    Exit 2 naming the item otherwise."""
    import os

    out = {}
    for item in items:
        if item.startswith("@") and files is not None:
            path = item[1:]
            if not os.path.isfile(path) or not os.access(path, os.R_OK):
                click.echo(f"deploy-pod: -e {item!r}: no readable file {path!r}", err=True)
                sys.exit(EXIT_INPUT)
            files.append(path)
            continue
        if item.lstrip().startswith("{"):
            import yaml

            try:
                value = yaml.safe_load(item)  # JSON is YAML: both forms ansible-playbook accepts
            except yaml.YAMLError as exc:
                value = exc
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                click.echo(f"deploy-pod: -e {item!r}: expected a JSON object like '{{\"key\": 1}}'", err=True)
                sys.exit(EXIT_INPUT)
            out.update(value)
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            forms = "KEY=VALUE, @FILE or a JSON object" if files is not None else "KEY=VALUE or a JSON object"
            click.echo(f"deploy-pod: -e {item!r}: expected {forms}", err=True)
            sys.exit(EXIT_INPUT)
        out[key.strip()] = value
    return out


def _add_optional_groups() -> None:
    try:
        from deploy_pod.sim.cli import sim
    except ImportError:  # the twin is optional for controller-only installs
        return
    main.add_command(sim)


_add_optional_groups()

if __name__ == "__main__":
    main()
