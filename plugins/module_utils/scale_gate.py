# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""The health gate between the steps of a scale-out (plugins/modules/scale_gate.py): pure
functions over the facts (module_utils/scale_facts.py) and the health of every node.

Ansible module_utils style: stdlib only, no deploy_pod imports; unit-tested in
tests/unit/test_scale_gate.py against the real mmhealth samples in tests/fixtures and the
twin's emulated output.

One read covers the health of every node: ``mmhealth node show -N all -Y`` (IBM documents -N
with node names, node classes and 'all'). ``mmhealth cluster show -Y`` is cluster-wide too, but
its only record (Summary: component, entityname, total, failed, degraded, healthy, other) counts
entities per component: it names no node and no event, so it cannot tell which node to fix
nor which events were there before the operation started.

An unhealthy event's identifier is ``node:component:entity:event`` (``@identifier`` appended when
mmhealth gives the event one, as cluster_connections_down does per peer address), with the
node's daemon name. A component state FAILED, DEGRADED or ERROR that no event explains gives
``node:component:entity:STATUS``; a node-level roll-up (component NODE) counts only when nothing
more specific on that node does.
"""

from __future__ import annotations

from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_facts import match_node
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_y import parse

HEALTH_READ = ("mmhealth", "node", "show", "-N", "all", "-Y")
FACETS = ["state", "filesystems", "mounts"]
BAD = frozenset({"FAILED", "DEGRADED", "ERROR"})


def _key(nodes: dict, name: str | None) -> str:
    return match_node(nodes or {}, name) or (name or "")


def parse_health_all(text: str, nodes: dict | None = None) -> dict:
    """mmhealth node show [-N ...] -Y -> {node: {"status": the NODE row's status, "bad": [(component,
    entity, status)], "events": [(component, entity, event, identifier)]}}, nodes keyed by daemon
    name where `nodes` (the facts' node table) knows them. Unknown fields are ignored; the 5.2
    layout (lastcheck, message, eventtype, severity, fullidentifier) reads the same."""
    rows = parse(text or "")
    out: dict = {}
    for r in rows.get(("mmhealth", "State"), []):
        node = _key(nodes, r.get("node"))
        rec = out.setdefault(node, {"status": None, "bad": [], "events": []})
        comp, entity, status = r.get("component") or "", r.get("entityname") or "", (r.get("status") or "").upper()
        if comp == "NODE":
            rec["status"] = status
        if status in BAD:
            rec["bad"].append((comp, entity, status))
    for r in rows.get(("mmhealth", "Event"), []):
        node = _key(nodes, r.get("node"))
        rec = out.setdefault(node, {"status": None, "bad": [], "events": []})
        if r.get("event"):
            rec["events"].append((r.get("component") or "", r.get("entityname") or "", r["event"],
                                  r.get("identifier") or ""))
    return out


def unhealthy(health: dict) -> list[str]:
    """The identifiers of what is FAILED, DEGRADED or ERROR now, sorted (see the module doc)."""
    out: set[str] = set()
    for node, rec in health.items():
        bad_comps = {c for c, _, _ in rec["bad"] if c != "NODE"}
        explained = set()
        for comp, entity, event, ident in rec["events"]:
            if comp in bad_comps:
                out.add(f"{node}:{comp}:{entity}:{event}" + (f"@{ident}" if ident else ""))
                explained.add(comp)
        for comp, entity, status in rec["bad"]:
            if comp == "NODE" or comp in explained:
                continue
            out.add(f"{node}:{comp}:{entity}:{status}")
        if any(c == "NODE" for c, _, _ in rec["bad"]) and not any(i.startswith(f"{node}:") for i in out):
            status = next(s for c, _, s in rec["bad"] if c == "NODE")
            out.add(f"{node}:NODE:{node}:{status}")
    return sorted(out)


def quorum_state(nodes: dict) -> dict:
    """{'nodes': quorum nodes, 'active': those active, 'needed': a majority, 'held': bool}."""
    quorum = sorted(k for k, n in nodes.items() if n.get("quorum"))
    active = [k for k in quorum if nodes[k].get("state") == "active"]
    needed = len(quorum) // 2 + 1
    return {"nodes": quorum, "active": active, "needed": needed, "held": bool(quorum) and len(active) >= needed}


def evaluate(facts: dict, health_text: str, nodes: list[str], clients: list[str], filesystem: str | None,
             baseline: list[str], health_error: str | None = None) -> dict:
    """The gate's verdict from what was read: {ok, findings, events, new_events, nodes, quorum}.

    facts: scale_facts with the state, filesystems and mounts facets; health_text: the output of
    HEALTH_READ; nodes: daemon names that must be active; clients: daemon names that must have
    `filesystem` mounted; baseline: event identifiers present before the operation started
    (they do not fail the gate). Every finding names the node and what was seen."""
    table = facts.get("nodes") or {}
    findings: list[str] = []
    if not facts.get("member"):
        findings.append("this node is not in a Spectrum Scale cluster" if facts.get("installed")
                        else "Spectrum Scale is not installed on this node")
        return {"ok": False, "findings": findings, "events": [], "new_events": [], "nodes": {},
                "quorum": quorum_state({})}
    states = {k: n.get("state") or "unknown" for k, n in table.items()}
    for name in nodes:
        key = match_node(table, name)
        if key is None:
            findings.append(f"{name}: not a node of cluster {(facts.get('cluster') or {}).get('name')}")
        elif states[key] != "active":
            findings.append(f"{key}: GPFS daemon {states[key]}, not active")
    quorum = quorum_state(table)
    if not quorum["held"]:
        findings.append(f"quorum lost: {len(quorum['active'])} of {len(quorum['nodes'])} quorum nodes active "
                        f"({quorum['needed']} needed; active: {', '.join(quorum['active']) or 'none'})")
    if filesystem and clients:
        mounts = facts.get("mounts") or {}
        if filesystem not in (facts.get("filesystems") or {}):
            findings.append(f"file system {filesystem} does not exist")
        else:
            mounted = set(mounts.get(filesystem) or [])
            for name in clients:
                key = match_node(table, name) or name
                if key not in mounted:
                    findings.append(f"{key}: {filesystem} not mounted")
    if health_error:
        findings.append(f"mmhealth: {health_error}")
    events = unhealthy(parse_health_all(health_text, table))
    known = set(baseline or [])
    new = [e for e in events if e not in known]
    for e in new:  # the identifier is in the finding: a caller can tell which findings a baseline explains
        node, comp, entity, what = e.split(":", 3)
        findings.append(f"{node}: mmhealth {comp} {entity}: {what} ({e})")
    return {"ok": not findings, "findings": findings, "events": events, "new_events": new, "nodes": states,
            "quorum": quorum}


def failure_message(step: str, findings: list[str], pod: str = "POD") -> str:
    return (f"gate after {step} failed: {'; '.join(findings)}; the scale-out stopped here; fix it and run "
            f"`deploy-pod scale-out {pod}` again: finished steps are skipped")
