"""mmhealth node show: component states derived from the daemon's heartbeat and mounts."""

import time

from . import state, yfmt
from .args import parse
from .common import alive_nodes, failed, local_node, node_hardware, require_cluster, resolve_nodes
from .errors import MMError, UsageError


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) + f".{int(ts * 1e6) % 1000000:06d} " + \
        time.strftime("%Z", time.localtime(ts))


def mmhealth(argv: list[str]) -> int:
    usage = "mmhealth node show [ComponentName] [-N {Node[,Node...] | NodeFile | NodeClass}] [-Y]"
    if argv[:2] != ["node", "show"]:
        raise UsageError("mmhealth: only 'mmhealth node show' is emulated.", usage)
    opts, pos = parse(argv[2:], {"-N"}, {"-Y", "-v", "--verbose", "--unhealthy"}, usage, "mmhealth")
    st = state.load()
    require_cluster(st, "mmhealth")
    nodes = resolve_nodes(st, opts["-N"], "mmhealth") if "-N" in opts else [local_node(st)]
    if nodes == [None]:
        raise MMError("mmhealth: This node does not belong to a GPFS cluster.", extra=failed("mmhealth"))
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
    # plain layout from IBM's documentation examples (no captured sample in fixtures)
    for n in nodes:
        rows = [r for r in states if r[0] == n and r[3] == "NODE"]
        print(f"\nNode name:      {n}\nNode status:    {rows[0][4]}\nStatus Change:  {rows[0][5]}\n")
        print(f"{'Component':<15}{'Status':<14}{'Status Change':<35}Reasons & Notices")
        print("-" * 90)
        for r in rows[1:]:
            note = "gpfs_down" if r[4] == "FAILED" else "-"
            print(f"{r[1]:<15}{r[4]:<14}{r[5]:<35}{note}")
    return 0
