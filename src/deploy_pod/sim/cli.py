"""`deploy-pod sim ...`: the digital twin of a pod (click group `sim`).

Mounted on the main CLI as `deploy-pod sim`.
"""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from deploy_pod.inventory import InventoryError
from deploy_pod.sim import engine
from deploy_pod.sim import faults as flt
from deploy_pod.sim.docker import DockerError
from deploy_pod.sim.spec import SpecError

POD_FILE = click.argument("pod_file", metavar="POD.yml", type=click.Path(exists=True, dir_okay=False))


def _progress(msg: str) -> None:
    click.echo(f"  {msg}", err=False)


def _fail(exc: Exception) -> None:
    if isinstance(exc, InventoryError):  # the file cannot be read: exit 2, as `deploy-pod validate`
        click.echo(f"sim: cannot read the inventory: {exc}", err=True)
        sys.exit(2)
    click.echo(f"sim: error: {exc}", err=True)
    sys.exit(1)


@click.group(name="sim")
def sim() -> None:
    """The digital twin: one systemd container per host of the pod, emulated hardware.

    \b
    Example:
      deploy-pod sim up inventories/examples/twin.yml
      deploy-pod up inventories/examples/twin.yml --twin
      deploy-pod sim down inventories/examples/twin.yml
    """


@sim.command()
@POD_FILE
def up(pod_file: str) -> None:
    """Start the twin of POD.yml and write the inventory overlay .sim/<pod>/overlay.yml.

    When pod.registry.url is an address of the management network that no host has, the twin also
    runs the pod's NGC mirror there (TLS, user $oauthtoken; key .sim/<pod>/ngc-api-key, CA
    .sim/<pod>/registry-ca.crt), filled with the NGC stand-in image under every pod.registry.images name.

    \b
    Example:
      deploy-pod sim up inventories/examples/twin.yml
      ansible-playbook -i inventories/examples/twin.yml -i .sim/twin/overlay.yml playbooks/preflight.yml
    """
    try:
        paths = engine.up(pod_file, progress=_progress)
    except (engine.SimError, SpecError, DockerError, flt.FaultError, InventoryError) as exc:
        _fail(exc)
    click.echo(f"\nRun playbooks against the twin with:\n  ansible-playbook -i {pod_file} -i {paths.overlay} "
               "playbooks/site.yml")


@sim.command()
@POD_FILE
def down(pod_file: str) -> None:
    """Remove every container, network, volume and file the twin of POD.yml created.

    \b
    Example:
      deploy-pod sim down inventories/examples/twin.yml
    """
    try:
        engine.down(pod_file, progress=_progress)
    except (engine.SimError, DockerError, InventoryError) as exc:
        _fail(exc)


@sim.command()
@POD_FILE
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(pod_file: str, as_json: bool) -> None:
    """List the twin's containers (state, SSH port), networks, volume and active faults.

    \b
    Example:
      deploy-pod sim status inventories/examples/twin.yml --json
    """
    try:
        st = engine.status(pod_file)
    except (engine.SimError, DockerError, InventoryError) as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(st, indent=2))
        return
    console = Console()
    table = Table(title=f"twin of pod {st['pod']}")
    for col in ("host", "role", "container", "state", "ssh", "mgmt address"):
        table.add_column(col)
    for r in st["containers"]:
        table.add_row(r["host"], r["role"], r["container"], r["state"],
                      f"127.0.0.1:{r['ssh_port']}" if r["ssh_port"] else "-", r["mgmt_address"] or "-")
    console.print(table)
    for svc in st.get("services", []):
        console.print(f"{svc['service'] or 'service'}: {svc['container']} {svc['state']}"
                      + (f" at {svc['endpoint']}" if svc.get("endpoint") else ""))
    console.print(f"networks: {', '.join(st['networks']) or 'none'}")
    console.print(f"volumes:  {', '.join(st['volumes']) or 'none'}")
    console.print("faults:   " + ("; ".join(flt.describe(f) for f in st["faults"]) or "none"))
    if not st["containers"]:
        console.print("the twin is not up")


@sim.command(epilog="\b\nKinds:\n" + "\n".join(f"  {k:16} {a:17} {d}" for k, (a, d) in flt.KINDS.items()))
@POD_FILE
@click.argument("host", required=False)
@click.argument("kind", required=False)
@click.argument("args", nargs=-1)
@click.option("--clear", is_flag=True, help="Revert faults: all, or HOST's, or HOST's of KIND.")
def fault(pod_file: str, host: str | None, kind: str | None, args: tuple[str, ...], clear: bool) -> None:
    """Inject a fault into a twin host, or clear faults (--clear). With no HOST, list them.

    \b
    Example:
      deploy-pod sim fault inventories/examples/twin.yml dgx02 ib-link-down mlx5_2/1
      deploy-pod sim fault inventories/examples/twin.yml dgx02 miscable mlx5_0/1 ib-sw2:30
      deploy-pod sim fault inventories/examples/twin.yml dgx02 --clear
    """
    try:
        if clear:
            engine.clear(pod_file, host, kind, progress=_progress)
            return
        if not host:
            st = engine.status(pod_file)
            for f in st["faults"]:
                click.echo(flt.describe(f))
            if not st["faults"]:
                click.echo("no active faults")
            return
        if not kind:
            raise click.UsageError("give a fault KIND: " + ", ".join(flt.KINDS))
        engine.inject(pod_file, host, kind, list(args), progress=_progress)
    except (engine.SimError, DockerError, flt.FaultError, InventoryError) as exc:
        _fail(exc)


def main() -> None:
    sim(prog_name="deploy-pod sim")


if __name__ == "__main__":
    main()
