"""Renderings of findings and plans for people (rich tables) and machines (JSON)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from deploy_pod.findings import Finding, rel
from deploy_pod.planner import Plan

STYLE = {"error": "bold red", "warning": "yellow"}


def print_findings(console: Console, source: str, findings: list[Finding]) -> None:
    for f in findings:
        console.print(f.text(), style=STYLE[f.severity], highlight=False, markup=False, soft_wrap=True)
    n_err = sum(f.severity == "error" for f in findings)
    n_warn = len(findings) - n_err
    verdict = "[red]FAILED[/]" if n_err else "[green]OK[/]"
    console.print(f"{rel(source)}: {verdict}, {n_err} error(s), {n_warn} warning(s)", highlight=False)


def _mark(value, name: str, derived: list[str], locked: list[str] = ()) -> str:
    """'*' derived by the planner, 'L' kept from the lock file."""
    text = "-" if value is None else str(value)
    return f"{text}L" if name in locked else f"{text}*" if name in derived else text


def drift_table(rows: list[dict]) -> Table:
    t = Table(title="Drift between the inventory, the lock file and the running cluster", title_justify="left")
    for col in ("host", "field", "inventory", "lock", "live", "effect"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["host"], r["field"], *("-" if r[k] is None else str(r[k]) for k in ("inventory", "lock", "live")),
                  r["effect"])
    return t


def plan_tables(plan: Plan) -> list[Table]:
    hosts = Table(title=f"Pod {plan.name}: hosts and roles (cluster {plan.cluster_name})", title_justify="left")
    for col in ("host", "role", "model", "os", "unit", "mgmt", "ipoib", "quorum", "manager", "fg", "node classes"):
        hosts.add_column(col)
    for h in plan.hosts.values():
        hosts.add_row(
            h.name, h.role, h.hw_model, _mark(h.management, "management", h.derived), h.unit or "-", h.mgmt_address,
            _mark(f"{h.ipoib_address} ({h.ipoib_interface})", "ipoib_address", h.derived, h.locked),
            _mark("yes" if h.quorum else "no", "quorum", h.derived, h.locked),
            _mark("yes" if h.manager else "no", "manager", h.derived, h.locked),
            _mark(h.failure_group, "failure_group", h.derived, h.locked),
            _mark(",".join(h.node_classes), "node_classes", h.derived, h.locked),
        )
    units = Table(title="ESS units and NSD server pairs", title_justify="left")
    for col in ("unit", "model", "NSD server pair", "failure group", "node class"):
        units.add_column(col)
    for u in plan.units.values():
        units.add_row(u.name, u.hw_model, " + ".join(u.hosts), str(u.failure_group), u.node_class)
    for h in plan.hosts.values():
        if h.role == "nsd":
            units.add_row("-", h.hw_model, h.name, str(h.failure_group), ",".join(h.node_classes))

    cluster = Table(title="Spectrum Scale cluster", title_justify="left", show_header=False)
    cluster.add_row("quorum nodes", f"{', '.join(plan.quorum)} ({len(plan.quorum)})")
    cluster.add_row("manager nodes", ", ".join(plan.managers))
    for name, members in plan.node_classes.items():
        cluster.add_row(f"node class {name}", ", ".join(members))
    fs = plan.filesystem
    cluster.add_row("file system", f"{fs.name} at {fs.mount}, block {fs.block_size}")
    cluster.add_row("networks", f"mgmt {plan.networks.mgmt.cidr}, ipoib {plan.networks.ipoib.cidr} "
                                f"({plan.networks.ipoib.mode})")

    cabling = Table(title="InfiniBand cabling per switch (* derived, L kept from the lock)", title_justify="left")
    for col in ("switch", "port", "host", "host port", "netdev", "verbsPorts entry"):
        cabling.add_column(col)
    rows = []
    for h in plan.hosts.values():
        for c, vp in zip(h.cables, h.verbs_ports, strict=False):
            rows.append((c.switch, c.switch_port, h.name, _mark(c.port, "ib_cables", h.derived, h.locked), c.netdev,
                         vp))
    for r in sorted(rows, key=lambda r: (r[0], r[1])):
        cabling.add_row(r[0], str(r[1]), *r[2:])
    for s in plan.switches.values():
        used = sum(1 for r in rows if r[0] == s.name)
        cabling.add_row(s.name, "", f"{used} of {s.ports or '?'} ports used, rail {s.fabric}", "", "", "",
                        style="dim")

    tuning = Table(title="Spectrum Scale configuration per node class (mmchconfig; verbsPorts: Active ports only)",
                   title_justify="left")
    for col in ("scope", "attribute", "value"):
        tuning.add_column(col)
    tuning.add_column("source", overflow="fold", ratio=1)
    for c in plan.scale.config if plan.scale else []:
        tuning.add_row(c.scope or "(cluster)", c.attr, c.value, c.source)
    if plan.scale:
        for u in plan.scale.units:
            cluster.add_row(f"ESS unit {u['unit']}", f"{u['node_class']}: {u['recovery_group']}, vdisk set "
                            f"{u['vdisk_set']} ({u['code']}, {u['block_size']}, {u['set_size']})")
        for note in plan.scale.notes:
            tuning.add_row("note", "", "", note)

    sz = plan.sizing
    perf = Table(title="Expected read bandwidth", title_justify="left", show_header=False)
    perf.add_row("storage rated", _gbs(sz.storage_gbs))
    perf.add_row("client links", _gbs(sz.client_link_gbs))
    perf.add_row("GPU read demand (published)", _gbs(sz.demand_gbs) if sz.demand_gbs else "unknown")
    perf.add_row("expected aggregate", f"{_gbs(sz.expected_gbs)} (bound by {sz.bottleneck})")
    for note in sz.notes:
        perf.add_row("note", note)
    return [hosts, units, cluster, cabling, tuning, perf]


def _gbs(v: float | None) -> str:
    return "unknown" if v is None else f"{v:g} GB/s"
