"""The lock file: what the planner derived for a pod and `up` applied, kept beside the inventory.

`<pod>.lock.yml` (for `pod.yml`) is meant to be committed with the inventory, like a Terraform
state or kolla's passwords.yml. The planner reads it: a host in the lock keeps its cables,
addresses, quorum and manager designation, failure group, node classes, verbs ports and OpenSM
priority, whatever hosts are added to the inventory, so a grown pod never re-plans a running
one. A value set in the inventory still wins (and `plan` shows it as drift). Once the cluster
runs, what is live wins: `up` reads quorum, designations and failure groups back from it.

Precedence, highest first: inventory > live (merged into the lock) > lock > derived.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from deploy_pod.content import module_utils

VERSION = 1
# HostPlan attribute -> HostVars field it pins (the lock stores the plan's values under these names)
PINNED = {"cables": "ib_cables", "ipoib_address": "ipoib_address", "quorum": "quorum", "manager": "manager",
          "failure_group": "failure_group", "node_classes": "node_classes", "verbs_ports": "verbs_ports",
          "opensm_priority": "opensm_priority"}
LIVE_FIELDS = ("quorum", "manager", "failure_group")

HEADER = """\
# deploy-pod lock file of {pod_file}: what the planner derived and `deploy-pod up` applied.
# Commit it with the inventory. Hosts listed here keep these values when hosts are added;
# a value set in the inventory wins (`deploy-pod plan` shows the drift). Do not edit by hand:
# set the value in the inventory instead.
"""


class LockError(Exception):
    """The lock file cannot be read."""


def lock_path(pod_file: str | Path) -> Path:
    """pod.yml -> pod.lock.yml, beside it."""
    p = Path(pod_file)
    stem = p.name[: -len(p.suffix)] if p.suffix in (".yml", ".yaml") else p.name
    return p.with_name(f"{stem}.lock.yml")


def load_lock(pod_file: str | Path) -> dict | None:
    """The lock beside pod_file, None when there is none."""
    path = lock_path(pod_file)
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise LockError(f"{path}: cannot read the lock file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), dict):
        raise LockError(f"{path}: not a deploy-pod lock file (no 'hosts' mapping); move it away to re-plan")
    if data.get("version") != VERSION:
        raise LockError(f"{path}: lock version {data.get('version')!r}, this deploy-pod reads {VERSION}")
    return data


def find_lock(sources: list[str]) -> dict | None:
    """The lock of the first inventory source that has one (the pod file comes first)."""
    for src in sources:
        lock = load_lock(src)
        if lock is not None:
            return lock
    return None


def lock_from_plan(plan, previous: dict | None = None) -> dict:
    """The lock a plan leaves: every server's pinned values; hosts only in the previous lock stay
    (removing a host from the inventory does not remove it from the cluster)."""
    hosts = dict((previous or {}).get("hosts") or {})
    for h in plan.hosts.values():
        hosts[h.name] = {
            "role": h.role, "unit": h.unit,
            "cables": [c.placement() for c in h.cables],
            "ipoib_address": h.ipoib_address, "quorum": h.quorum, "manager": h.manager,
            "failure_group": h.failure_group, "node_classes": list(h.node_classes),
            "verbs_ports": list(h.verbs_ports), "opensm_priority": h.opensm_priority,
        }
    units = dict((previous or {}).get("units") or {})
    units.update({u.name: {"failure_group": u.failure_group, "hosts": list(u.hosts)} for u in plan.units.values()})
    switches = dict((previous or {}).get("switches") or {})
    switches.update({s.name: {"fabric": s.fabric} for s in plan.switches.values()})
    out = {"version": VERSION, "pod": plan.name, "cluster": plan.cluster_name,
           "primary": plan.scale.primary if plan.scale else None,
           "hosts": dict(sorted(hosts.items())), "units": dict(sorted(units.items())),
           "switches": dict(sorted(switches.items()))}
    if previous and previous.get("live"):
        out["live"] = previous["live"]
    return out


def write_lock(pod_file: str | Path, lock: dict) -> Path:
    path = lock_path(pod_file)
    # plain types only (the inventory loader hands out str subclasses YAML cannot write)
    lock = json.loads(json.dumps(lock, default=str))
    text = HEADER.format(pod_file=Path(pod_file).name) + yaml.safe_dump(lock, sort_keys=False, width=120)
    if path.is_file() and path.read_text() == text:
        return path
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def live_values(facts: dict, plan) -> dict[str, dict]:
    """{host: {quorum, manager, failure_group}} read back from the cluster's facts (scale_facts with
    the nsds and disks facets): designations from the node table, the failure group from the disks
    the host serves. Hosts not in the cluster are left out."""
    nodes = facts.get("nodes") or {}
    fg_by_server: dict[str, set[int]] = {}
    disks = facts.get("disks") or {}
    for nsd, info in (facts.get("nsds") or {}).items():
        for fs_disks in disks.values():
            d = fs_disks.get(nsd)
            if d and d.get("failure_group") is not None:
                for server in info.get("servers") or []:
                    fg_by_server.setdefault(server.split(".")[0], set()).add(int(d["failure_group"]))
    out = {}
    for h in plan.hosts.values():
        key = node_key(nodes, h.daemon_name, h.name)
        if key is None:
            continue
        n = nodes[key]
        values = {"quorum": bool(n.get("quorum")), "manager": bool(n.get("manager"))}
        fgs = fg_by_server.get(h.daemon_name.split(".")[0]) or fg_by_server.get(h.name)
        if fgs and len(fgs) == 1:
            values["failure_group"] = next(iter(fgs))
        out[h.name] = values
    return out


def merge_live(lock: dict, live: dict[str, dict], source: str) -> tuple[dict, list[str]]:
    """The lock with live values written over it, and a line per value that differed."""
    changes = []
    for host, values in sorted(live.items()):
        entry = lock["hosts"].setdefault(host, {})
        for f in LIVE_FIELDS:
            if f in values and entry.get(f) != values[f]:
                if f in entry:
                    changes.append(f"{host}.{f}: lock {entry.get(f)!r} -> live {values[f]!r}")
                entry[f] = values[f]
    lock["live"] = {"read": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "source": source, "hosts": sorted(live)}
    return lock, changes


def drift(pod, lock: dict | None, live: dict[str, dict] | None = None) -> list[dict]:
    """Differences between the inventory, the lock and (when read) the live cluster.

    {host, field, inventory, lock, live, effect} per difference: a value the inventory sets that
    differs from the lock (the inventory wins: `up` changes it), a host in the lock that is gone
    from the inventory (deploy-pod never removes it), and a live value that differs from the lock."""
    out = []
    if not lock:
        return out
    for host, entry in sorted((lock.get("hosts") or {}).items()):
        h = pod.hosts.get(host)
        if h is None:
            out.append({"host": host, "field": "host", "inventory": None, "lock": "present", "live": None,
                        "effect": "in the lock, not in the inventory: deploy-pod leaves the node in the cluster "
                                  "(remove it with mmdelnode by hand, then from the lock)"})
            continue
        for attr, var in PINNED.items():
            declared = getattr(h.vars, var)
            if declared is None or attr not in entry:
                continue
            value = _plain(declared)
            if value != entry[attr]:
                out.append({"host": host, "field": var, "inventory": value, "lock": entry[attr], "live": None,
                            "effect": "the inventory wins: up applies it"})
    for host, values in sorted((live or {}).items()):
        entry = (lock.get("hosts") or {}).get(host) or {}
        for f in LIVE_FIELDS:
            if f in values and f in entry and values[f] != entry[f]:
                out.append({"host": host, "field": f, "inventory": None, "lock": entry[f], "live": values[f],
                            "effect": "live wins: up records it in the lock"})
    return out


def node_key(nodes: dict, daemon: str, admin: str) -> str | None:
    """The cluster's key of a host: by daemon or admin name, full or short."""
    short = {daemon.split(".")[0], admin.split(".")[0]}
    for key, n in nodes.items():
        names = {key, n.get("daemon") or "", n.get("admin") or ""}
        if {x.split(".")[0] for x in names if x} & short:
            return key
    return None


def _plain(value):
    """A HostVars value as the lock stores it."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "model_dump"):
        d = value.model_dump()  # an inventory cable: the fields the lock keeps of a plan's Cable
        return {k: d[k] for k in module_utils("plan_types").PLACEMENT}
    if value is not None and not isinstance(value, (bool, int, str)):
        return str(value)
    return value
