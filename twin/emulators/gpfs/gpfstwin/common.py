"""Shared helpers: node lookup, node specs (-N), daemon state and quorum, twin faults."""

import json
import os
import socket
import time

from . import env, state
from .errors import COMMAND_FAILED, MMError

# the system node classes the twin knows, spelled as mmlsnodeclass --system lists them;
# -N matches them case-insensitively, as the real commands do
SYSTEM_CLASSES = ("all", "clientLicense", "clientNodes", "managerNodes", "nonQuorumNodes", "nsdNodes",
                  "quorumNodes", "serverLicense")
BUILTIN_CLASSES = tuple(c.lower() for c in SYSTEM_CLASSES)


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


def system_class(cls: str) -> str | None:
    """The system node class named `cls` (any case), spelled as IBM lists it, or None."""
    for name in SYSTEM_CLASSES:
        if name.lower() == cls.lower():
            return name
    return None


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
        "serverlicense": [k for k in order if nodes[k].get("license") == "server"],
        "clientlicense": [k for k in order if nodes[k].get("license") == "client"],
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
    """GPFS state as mmgetstate names it: a live daemon without quorum is still arbitrating, and
    so is a live daemon that cannot join the cluster (it says 'arbitrating' in its heartbeat)."""
    if node not in alive:
        status = state.read_node_status(node)
        if status.get("daemon") == "arbitrating" and state.agent_alive(status):
            return "arbitrating"
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


def hosts_file_ip(name: str) -> str | None:
    """The address /etc/hosts gives `name` (first match, IPv4), as the resolver's 'files' source."""
    try:
        with open(env.sysroot_path("/etc/hosts")) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and name in fields[1:] and ":" not in fields[0]:
            return fields[0]
    return None


def resolve_ip(name: str) -> str | None:
    """A node name's address: /etc/hosts first (the IPoIB names `<host>-ib` the roles write there),
    then the address in the host's published hardware, then DNS."""
    ip = hosts_file_ip(name)
    if ip:
        return ip
    hw = state.peer_hardware(short(name)) or state.peer_hardware(name) or {}
    if hw.get("ip"):
        return hw["ip"]
    try:
        return socket.gethostbyname(name)
    except OSError:
        return None


def node_hardware(st: dict, node: str | None) -> dict | None:
    """The published hardware of a cluster node, found by its admin name (the host name the
    hardware is published under) or its daemon name."""
    if node is None:
        return None
    rec = st["nodes"].get(node) or {}
    for name in (rec.get("admin"), node):
        if name:
            hw = state.peer_hardware(short(name)) or state.peer_hardware(name)
            if hw is not None:
                return hw
    return None


# ---- twin faults ------------------------------------------------------------------------
# `deploy-pod sim fault` writes the active emulator faults (daemon-stuck, vdiskset-fail) to
# <shared>/twin-faults.json: [{"host": <inventory host>, "kind": ...}]. The file is replaced
# atomically; a torn read is retried, never taken for "no faults".

FAULTS_FILE = "twin-faults.json"


def twin_faults() -> list[dict]:
    path = os.path.join(env.shared_dir(), FAULTS_FILE)
    for _ in range(10):
        try:
            with open(path) as f:
                data = json.load(f)
            return [x for x in data if isinstance(x, dict)] if isinstance(data, list) else []
        except FileNotFoundError:
            return []
        except (ValueError, OSError):
            time.sleep(0.05)
    return []


def fault_hits(st: dict, kind: str, node: str | None, faults: list[dict] | None = None) -> bool:
    """Whether a twin fault of `kind` is active on `node` (a cluster key, daemon or host name)."""
    if node is None:
        return False
    names = {node, short(node)}
    rec = st["nodes"].get(node)
    if rec:
        names |= {rec["admin"], short(rec["admin"]), rec["daemon"]}
    for f in twin_faults() if faults is None else faults:
        if f.get("kind") == kind and (f.get("host") in names or find_node(st, str(f.get("host"))) == node):
            return True
    return False
