"""Shared helpers: node lookup, node specs (-N), daemon state and quorum."""

import os
import socket
import time

from . import env, state
from .errors import COMMAND_FAILED, MMError

BUILTIN_CLASSES = ("all", "quorumnodes", "nonquorumnodes", "managernodes", "clientnodes",
                   "nsdnodes")


def failed(command: str) -> tuple[str, ...]:
    """The closing line most failing mm commands print."""
    return (f"{command}: {COMMAND_FAILED}",)


def short(name: str) -> str:
    return name.split(".")[0]


def find_node(st: dict, name: str) -> str | None:
    """Cluster key of a node given by daemon name, admin name, short name or node number."""
    nodes = st["nodes"]
    if name in nodes:
        return name
    for key, n in nodes.items():
        if name in (n["admin"], str(n["number"])) or short(name) == short(key):
            return key
    return None


def local_node(st: dict) -> str | None:
    return find_node(st, env.node_name())


def require_cluster(st: dict, command: str) -> dict:
    if not st["cluster"]:
        raise MMError(f"{command}: This node does not belong to a GPFS cluster.",
                      extra=failed(command))
    return st["cluster"]


def read_node_file(path: str) -> list[str]:
    with open(path) as f:
        return [ln.split("#", 1)[0].strip() for ln in f if ln.split("#", 1)[0].strip()]


def class_members(st: dict, cls: str) -> list[str] | None:
    nodes = st["nodes"]
    order = sorted(nodes, key=lambda k: nodes[k]["number"])
    builtin = {
        "all": order,
        "quorumnodes": [k for k in order if nodes[k]["quorum"]],
        "nonquorumnodes": [k for k in order if not nodes[k]["quorum"]],
        "managernodes": [k for k in order if nodes[k]["manager"]],
        "clientnodes": [k for k in order if not nodes[k]["manager"]],
        "nsdnodes": sorted({s for n in st["nsds"].values() for s in n["servers"]},
                           key=lambda k: nodes.get(k, {}).get("number", 0)),
    }
    if cls.lower() in builtin:
        return builtin[cls.lower()]
    if cls in st["nodeclasses"]:
        return list(st["nodeclasses"][cls]["members"])
    return None


def resolve_nodes(st: dict, spec: str, command: str) -> list[str]:
    """-N argument: 'all', node names/numbers, node classes, or a node file; in cluster order."""
    if os.path.isfile(spec):
        items = [ln.split(":")[0] for ln in read_node_file(spec)]
    else:
        items = [p for p in spec.replace(" ", ",").split(",") if p]
    out: list[str] = []
    for item in items:
        members = class_members(st, item)
        if members is None:
            key = find_node(st, item)
            if key is None:
                raise MMError(f"{command}: Incorrect node {item} specified for command.",
                              extra=failed(command))
            members = [key]
        out.extend(m for m in members if m not in out)
    return out


def target_nodes(st: dict, opts: dict, command: str, default_local: bool = True) -> list[str]:
    if opts.get("-a"):
        return class_members(st, "all")
    if "-N" in opts:
        return resolve_nodes(st, opts["-N"], command)
    if default_local:
        me = local_node(st)
        if me is None:
            raise MMError(f"{command}: This node does not belong to a GPFS cluster.")
        return [me]
    return []


# ---- daemon state and quorum -----------------------------------------------------------

def alive_nodes(st: dict, now: float | None = None) -> set[str]:
    now = time.time() if now is None else now
    return {n for n in st["nodes"] if state.daemon_alive(state.read_node_status(n), now)}


def quorum_numbers(st: dict, alive: set[str]) -> tuple[int, int, int]:
    """(quorum nodes needed, quorum nodes up, quorum nodes defined)."""
    qn = [n for n, r in st["nodes"].items() if r["quorum"]]
    return len(qn) // 2 + 1, len([n for n in qn if n in alive]), len(qn)


def has_quorum(st: dict, alive: set[str]) -> bool:
    need, up, total = quorum_numbers(st, alive)
    return total > 0 and up >= need


def node_state(st: dict, node: str, alive: set[str]) -> str:
    """GPFS state as mmgetstate names it: a live daemon without quorum is still arbitrating."""
    if node not in alive:
        return "down"
    return "active" if has_quorum(st, alive) else "arbitrating"


def require_quorum(st: dict, command: str) -> None:
    """Commands that need the file system manager: a live local daemon and a quorum majority."""
    alive = alive_nodes(st)
    me = local_node(st)
    if me not in alive:
        raise MMError(f"{command}: The GPFS daemon is not running on this node "
                      f"({env.node_name()}).", extra=failed(command))
    if not has_quorum(st, alive):
        need, up, _ = quorum_numbers(st, alive)
        raise MMError(f"{command}: GPFS is waiting for quorum: {up} of the {need} quorum nodes "
                      "needed are active.",
                      extra=failed(command))


def resolve_ip(name: str) -> str | None:
    hw = state.peer_hardware(short(name)) or state.peer_hardware(name) or {}
    if hw.get("ip"):
        return hw["ip"]
    try:
        return socket.gethostbyname(name)
    except OSError:
        return None
