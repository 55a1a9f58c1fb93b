"""mmhealth node show: component states derived from the daemon's heartbeat and mounts."""

import time

from . import state, yfmt
from .args import parse
from .common import alive_nodes, failed, local_node, node_hardware, require_cluster, resolve_nodes
from .errors import MMError, UsageError


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) + f".{int(ts * 1e6) % 1000000:06d} " + \
        time.strftime("%Z", time.localtime(ts))


def _ago(ts: float, now: float | None = None) -> str:
    """'Status Change' as the plain mmhealth tables print it: Now, 13 min. ago, 2 hours ago, 2 days ago."""
    secs = max(0, int((time.time() if now is None else now) - ts))
    if secs < 60:
        return "Now"
    if secs < 3600:
        return f"{secs // 60} min. ago"
    if secs < 86400:
        return f"{secs // 3600} hour{'s' if secs >= 7200 else ''} ago"
    return f"{secs // 86400} day{'s' if secs >= 172800 else ''} ago"


USAGE = ("mmhealth node show [ComponentName] [-N {Node[,Node...] | NodeFile | NodeClass}] [-Y] [--verbose]\n"
         "   or: mmhealth cluster show [ComponentName] [-Y]")


def mmhealth(argv: list[str]) -> int:
    if argv and argv[0].startswith("-"):
        raise UsageError(f"mmhealth: Incorrect option: {argv[0]}", USAGE)
    if argv[:2] == ["cluster", "show"]:
        return _cluster_show(argv[2:])
    if argv[:2] != ["node", "show"]:
        raise UsageError("mmhealth: Incorrect or missing arguments (the twin emulates 'node show' and "
                         "'cluster show').", USAGE)
    opts, pos = parse(argv[2:], {"-N"}, {"-Y", "-v", "--verbose", "--unhealthy"}, USAGE, "mmhealth")
    st = state.load()
    require_cluster(st, "mmhealth")
    nodes = resolve_nodes(st, opts["-N"], "mmhealth") if "-N" in opts else [local_node(st)]
    if nodes == [None]:
        raise MMError("mmhealth: This node does not belong to a GPFS cluster.", extra=failed("mmhealth"))
    states, events = _states(st, nodes)
    if pos:
        states = [r for r in states if r[1] in ("NODE", pos[0].upper())]
    return _print_node_show(opts, nodes, states, events)


def _states(st: dict, nodes: list[str]) -> tuple[list, list]:
    """State rows [node, component, entity, entitytype, status, since] and Event rows."""
    alive = alive_nodes(st)
    states, events = [], []
    for n in nodes:
        status = state.read_node_status(n)
        since = _when(float(status.get("started", status.get("ts", time.time()))))
        up = n in alive
        gpfs = "HEALTHY" if up else "FAILED"
        states.append([n, "NODE", n, "NODE", gpfs, since])
        states.append([n, "GPFS", n, "NODE", gpfs, since])
        if not up:
            events.append([n, "GPFS", n, "NODE", "gpfs_down", "", since, "", "no"])
        states.append([n, "NETWORK", n, "NODE", "HEALTHY", since])
        hw = node_hardware(st, n) or {}
        for port in (hw.get("ib") or {}).get("verbs_ports", []):
            states.append([n, "NETWORK", port, "IB_RDMA", "HEALTHY", since])
        mounted = status.get("mounted", []) if up else []
        if mounted:
            states.append([n, "FILESYSTEM", n, "NODE", "HEALTHY", since])
            states += [[n, "FILESYSTEM", fs, "FILESYSTEM", "HEALTHY", since] for fs in mounted]
    return states, events


def _print_node_show(opts: dict, nodes: list[str], states: list, events: list) -> int:
    if opts.get("-Y"):
        # records and fields as in tests/fixtures/mmhealth_node_show_Y.1.txt
        out = [yfmt.header("mmhealth", "Event", ["node", "component", "entityname", "entitytype", "event",
                                                 "arguments", "activesince", "identifier", "ishidden"]),
               yfmt.header("mmhealth", "State", ["node", "component", "entityname", "entitytype", "status",
                                                 "laststatuschange"])]
        out += [yfmt.row("mmhealth", "State", r) for r in states]
        out += [yfmt.row("mmhealth", "Event", r) for r in events]
        print("\n".join(out))
        return 0
    # plain layout as tests/fixtures/real/mmhealth_node_show.1.txt (a 5.1 capture): blank line,
    # three header lines, a blank line, then Component/Status/Status Change/Reasons & Notices
    for n in nodes:
        rows = [r for r in states if r[0] == n and r[3] == "NODE"]
        since = _ago(_parse_when(rows[0][5]))
        print(f"\nNode name:      {n}\nNode status:    {rows[0][4]}\nStatus Change:  {since}\n")
        head = f"{'Component':<15}{'Status':<14}{'Status Change':<18}Reasons & Notices"
        print(head)
        print("-" * len(head))
        for r in rows[1:]:
            note = "gpfs_down" if r[4] == "FAILED" else "-"
            print(f"{r[1]:<15}{r[4]:<14}{_ago(_parse_when(r[5])):<18}{note}")
    return 0


def _parse_when(text: str) -> float:
    try:
        return time.mktime(time.strptime(text.split(".")[0], "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return time.time()


def _cluster_show(argv: list[str]) -> int:
    """Per component: how many nodes (entities) are failed, degraded, healthy or other."""
    opts, pos = parse(argv, set(), {"-Y", "-v", "--verbose", "--unhealthy"}, USAGE, "mmhealth")
    st = state.load()
    require_cluster(st, "mmhealth")
    nodes = sorted(st["nodes"], key=lambda k: st["nodes"][k]["number"])
    states, _ = _states(st, nodes)
    comps: dict[str, list[int]] = {}
    for r in states:
        if r[3] != "NODE" and r[1] != "FILESYSTEM":
            continue
        if r[1] == "FILESYSTEM" and r[3] == "NODE":
            continue
        c = comps.setdefault(r[1], [0, 0, 0, 0])
        c[{"FAILED": 0, "DEGRADED": 1, "HEALTHY": 2}.get(r[4], 3)] += 1
    if "FILESYSTEM" in comps:  # a file system counts once for the cluster, as IBM's table shows it
        fs_names = {r[2] for r in states if r[1] == "FILESYSTEM" and r[3] == "FILESYSTEM"}
        comps["FILESYSTEM"] = [0, 0, len(fs_names), 0]
    order = [c for c in ("NODE", "GPFS", "NETWORK", "FILESYSTEM", "DISK") if c in comps]
    if pos:
        order = [c for c in order if c == pos[0].upper()]
    if opts.get("-Y"):
        # record and fields as in tests/fixtures/mmhealth_cluster_show_Y.1.txt (entityname repeats
        # the component in the summary)
        fields = ["component", "entityname", "total", "failed", "degraded", "healthy", "other"]
        print("\n".join(yfmt.table("mmhealth", "Summary", fields,
                                   [[c, c, sum(comps[c]), *comps[c]] for c in order])))
        return 0
    # plain layout as tests/fixtures/real/mmhealth_cluster_show.1.txt (IBM Cloud HPC docs, 5.x)
    head = f"{'Component':<20}{'Total':>5}{'Failed':>15}{'Degraded':>15}{'Healthy':>15}{'Other':>15}"
    print(f"\n{head}\n{'-' * len(head)}")
    for c in order:
        f, d, h, o = comps[c]
        print(f"{c:<20}{f + d + h + o:>5}{f:>15}{d:>15}{h:>15}{o:>15}")
    return 0
