"""deploy-pod: a thin CLI; each verb maps to one library call or one playbook run."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console

from deploy_pod.findings import errors
from deploy_pod.inventory import InventoryError, load_pod

EXIT_OK, EXIT_RULES, EXIT_INPUT = 0, 1, 2


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
        click.option("-e", "--extra-vars", "extra_vars", multiple=True, metavar="KEY=VALUE",
                     help="Passed to Ansible, e.g. -e scale_force=true, -e scale_restart=rolling, "
                     "-e scale_timeout=60."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_run_options
@click.option("--phase", "phases", multiple=True, help="Run only these phases (repeatable).")
@click.option("--from", "start", metavar="PHASE", help="Start at this phase.")
@click.option("--resume", is_flag=True, help="Start again at the phase that failed last time.")
@click.option("--failed-hosts", is_flag=True, help="With --resume: limit the run to the hosts that failed.")
def up(pod_file, inventories, twin, phases, start, resume, failed_hosts, check, limit, artifacts,
       extra_vars) -> None:
    """Deploy the pod phase by phase (preflight, base, network, ... ngc, acceptance) with progress.

    Stops at the first failed phase; `--resume` starts again there. Every run keeps its
    ansible-runner artifacts and a summary under --artifacts; the acceptance phase ends with
    the report (Markdown, HTML with plots, JSON) in the run's acceptance directory.

    \b
    Example:
      deploy-pod sim up inventories/examples/twin.yml
      deploy-pod up inventories/examples/twin.yml --twin
      deploy-pod up pod.yml --phase preflight          # checks only
      deploy-pod up pod.yml --resume --failed-hosts
      deploy-pod up pod.yml --from storage -e scale_force=true   # mmcrnsd may overwrite old disks
    """
    _run(pod_file, inventories, twin, list(phases), start, resume, failed_hosts, check, limit, artifacts,
         extra_vars)


@main.command()
@click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))
@_run_options
def acceptance(pod_file, inventories, twin, check, limit, artifacts, extra_vars) -> None:
    """Prove the pod again: fio sweep, training and inference, then the report.

    The same as `up --phase acceptance`. Exits 1 when a figure fails its expectation.

    \b
    Example:
      deploy-pod acceptance pod.yml
      deploy-pod acceptance inventories/examples/twin.yml --twin
    """
    _run(pod_file, inventories, twin, ["acceptance"], None, False, False, check, limit, artifacts, extra_vars)


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


def _write_report(results) -> int:
    """Report files beside results.json; the exit code its verdict gives (1 on a failed figure)."""
    import json

    from deploy_pod.report import write_report

    try:
        files = write_report(results)
    except (OSError, ValueError) as exc:
        click.echo(f"deploy-pod: cannot build the report from {results}: {exc}", err=True)
        return EXIT_INPUT
    verdict = json.loads(files["json"].read_text()).get("verdict", "?")
    click.echo(f"acceptance: {str(verdict).upper()}")
    for kind in ("md", "html", "json"):
        if kind in files:
            click.echo(f"  {kind:<5} {files[kind]}")
    return EXIT_RULES if verdict == "fail" else EXIT_OK


def _twin_env(pod_name: str, pod_file: str, extra: list[str]) -> None:
    """--twin: the twin's overlay inventory, and its mirror's key where the user gave none."""
    import os

    from deploy_pod.content import ROOT
    from deploy_pod.sim.engine import Paths

    paths = Paths(ROOT, pod_name)
    if not paths.overlay.exists():
        click.echo(f"deploy-pod: the twin of {pod_file} is not up (no {paths.overlay}); "
                   f"run: deploy-pod sim up {pod_file}", err=True)
        sys.exit(EXIT_INPUT)
    extra.append(str(paths.overlay))
    key = paths.dir / "ngc-api-key"
    if not os.environ.get("NGC_API_KEY") and key.is_file():
        os.environ["NGC_API_KEY"] = key.read_text().strip()


def _run(pod_file, inventories, twin, phases, start, resume, failed_hosts, check, limit, artifacts,
         extra_vars) -> None:
    from pathlib import Path

    from deploy_pod.runner import RunError, resume_point, run_phases, select_phases

    extra = list(inventories)
    extravars = _extravars(extra_vars)
    pod = _valid_pod(pod_file)
    if twin:
        _twin_env(pod.settings.name, pod_file, extra)
    if not check:
        _record_lock(pod_file, pod)
    try:
        if resume:
            start, hosts = resume_point(Path(artifacts), pod_file)
            if failed_hosts and hosts:
                limit = ",".join(hosts)
            click.echo(f"resuming at phase {start}" + (f" on {limit}" if limit else ""))
        chosen = select_phases(phases or None, start)
        results = run_phases(pod_file, extra, chosen, check=check, limit=limit, artifacts=Path(artifacts),
                             extravars=extravars, echo=click.echo)
    except RunError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    failed = [r for r in results if r.status != "successful"]
    click.echo("")
    for r in results:
        click.echo(f"{r.phase:<14} {r.status:<11} {r.seconds:>7.1f} s  changed {sum(r.changed.values()):>3}"
                   + (f"  failed hosts: {', '.join(r.failed_hosts)}" if r.failed_hosts else ""))
    if failed:
        click.echo(f"\nphase {failed[0].phase} failed; details in {failed[0].artifacts}/artifacts; "
                   f"again from there: deploy-pod up {pod_file} --resume", err=True)
        sys.exit(EXIT_RULES)
    if not check and {r.phase for r in results} & LIVE_PHASES:
        _record_live(pod_file, pod, extra, Path(results[-1].artifacts).parent)
    measured = [r for r in results if r.phase == "acceptance" and not check]
    if measured:
        results_file = Path(measured[0].artifacts) / "results.json"
        if not results_file.is_file():
            click.echo(f"deploy-pod: the acceptance phase wrote no {results_file}", err=True)
            sys.exit(EXIT_RULES)
        click.echo("")
        sys.exit(_write_report(results_file))


# after these, designations and failure groups are read back from the cluster into the lock
LIVE_PHASES = {"scale_cluster", "storage", "clients"}


def _record_lock(pod_file: str, pod) -> None:
    """`up` records what it is about to apply: hosts in the lock keep it when the pod grows."""
    from deploy_pod.day2 import record_lock
    from deploy_pod.lock import LockError, lock_path

    try:
        record_lock(pod_file, pod)
    except LockError as exc:
        click.echo(f"deploy-pod: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"lock: {lock_path(pod_file)}")


def _record_live(pod_file: str, pod, inventories: list[str], run_dir) -> None:
    from deploy_pod.day2 import Day2Error, read_live, record_lock

    try:
        facts = read_live(pod_file, inventories, run_dir, click.echo)
    except Day2Error as exc:
        click.echo(f"deploy-pod: the lock keeps the planned values: {exc}", err=True)
        return
    for change in record_lock(pod_file, pod, facts, f"up {run_dir.name}"):
        click.echo(f"lock: live value recorded: {change}")


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


def _valid_pod(pod_file: str):
    """The pod, or exit 1 with the findings before anything runs."""
    pod, findings = _load_and_check(pod_file, False)
    if errors(findings):
        from deploy_pod.views import print_findings

        print_findings(_console(), pod.source, findings)
        click.echo("deploy-pod: nothing was changed: fix the inventory first", err=True)
        sys.exit(EXIT_RULES)
    return pod


def _extravars(items) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            click.echo(f"deploy-pod: -e {item!r}: expected KEY=VALUE", err=True)
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
