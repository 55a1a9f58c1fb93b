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
    from deploy_pod.rules import run_rules

    try:
        result = load_pod(pod_file)
    except InventoryError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "error": str(exc)}))
        else:
            click.echo(f"deploy-pod: cannot read {pod_file}: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    findings = list(result.findings)
    if result.pod.settings is not None:
        findings += run_rules(result.pod)
    return result.pod, findings


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
def plan(pod_file: str, as_json: bool) -> None:
    """Show what would be built: hosts and roles, ESS units, quorum, cabling, addresses, expected GB/s.

    Values the planner derived are marked with '*'; set them per host to override.
    Fails like `validate` when the inventory has errors.

    \b
    Example:
      deploy-pod plan inventories/examples/twin.yml
      deploy-pod plan --json pod.yml | jq .hosts.dgx01.cables
    """
    from deploy_pod.planner import make_plan
    from deploy_pod.views import plan_tables, print_findings

    pod, findings = _load_and_check(pod_file, as_json)
    bad = errors(findings)
    console = _console()
    if bad:
        if as_json:
            click.echo(json.dumps({"ok": False, "findings": [f.as_dict() for f in findings]}, indent=2))
        else:
            print_findings(console, pod.source, findings)
        sys.exit(EXIT_RULES)
    result = make_plan(pod)
    if as_json:
        click.echo(json.dumps(result.as_dict() | {"findings": [f.as_dict() for f in findings]}, indent=2,
                              default=str))
        return
    for table in plan_tables(result):
        console.print(table)
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


def _add_optional_groups() -> None:
    try:
        from deploy_pod.sim.cli import sim
    except ImportError:  # the twin is optional for controller-only installs
        return
    main.add_command(sim)


_add_optional_groups()

if __name__ == "__main__":
    main()
