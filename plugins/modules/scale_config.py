#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_config
short_description: Spectrum Scale configuration attributes per node class or node, with every key applied
description:
  - Reads C(mmlsconfig -Y) once, compares every entry of I(settings) with the value set for its
    scope, and runs one C(mmchconfig attr=value[,attr=value...] [-N scope]) per scope that differs.
  - Values are compared normalised - C(16M) equals C(16777216), C(enable) equals C(yes), verbsPorts
    lists compare as sets.
  - While daemons run, attributes that take effect at once get C(-i); the others take effect at
    the next daemon start, and the nodes concerned are returned in C(restart_required). The
    module restarts them only with I(restart=rolling) - one node at a time, each back to active
    before the next, and never a quorum node whose stop would lose quorum.
  - C(maxblocksize) changes only while every daemon is down; with daemons up it fails and says so.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  settings:
    description: The wanted configuration.
    type: list
    elements: dict
    required: true
    suboptions:
      attr:
        description: mmchconfig attribute.
        type: str
        required: true
      value:
        description: Its value.
        type: str
        required: true
      scope:
        description: Empty for cluster-wide, else a node class or a daemon node name (C(mmchconfig -N)).
        type: str
        default: ""
  restart:
    description: C(none) reports nodes that need a restart; C(rolling) restarts them one at a time.
    type: str
    choices: [none, rolling]
    default: none
  timeout:
    description: Seconds each restarted node may take to become active again.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reports what would change and which nodes would need a restart.
  diff_mode:
    support: full
    description: C(scope attr=value) lines before and after.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Client tuning
  deploy_pod.pod.scale_config:
    settings:
      - {attr: pagepool, value: 16G, scope: dgx_clients}
      - {attr: verbsPorts, value: "mlx5_0/1/1 mlx5_1/1/2", scope: dgx01-ib}
  run_once: true
"""

RETURN = r"""
changes:
  description: Settings changed (or that would change) - attr, scope, before, after.
  returned: always
  type: list
  elements: dict
restart_required:
  description: Nodes whose daemon must restart for a change to take effect (empty after a rolling restart).
  returned: always
  type: list
  elements: str
restarted:
  description: Nodes restarted (I(restart=rolling)).
  returned: always
  type: list
  elements: str
commands:
  description: The mm commands run.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    ALL_DOWN,
    IMMEDIATE,
    MM,
    ScaleError,
    assignment,
    config_changes,
    group_by_scope,
    not_active_message,
    quorum_safe_to_stop,
    scope_members,
    wait_active,
)

FACETS = ["cluster", "state", "config", "nodeclasses"]


def lines(settings) -> str:
    return "".join(f"{s.get('scope') or '(cluster)'} {s['attr']}={s['value']}\n" for s in settings)


def main():
    module = AnsibleModule(
        argument_spec={
            "settings": {"type": "list", "elements": "dict", "required": True, "options": {
                "attr": {"type": "str", "required": True},
                "value": {"type": "str", "required": True},
                "scope": {"type": "str", "default": ""},
            }},
            "restart": {"type": "str", "choices": ["none", "rolling"], "default": "none"},
            "timeout": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(FACETS, "the configuration")
    nodes, classes = facts.get("nodes") or {}, facts.get("nodeclasses") or {}
    for s in p["settings"]:
        if s["scope"] and s["scope"] not in classes and not all(
                any(n == k or n.split(".")[0] == k.split(".")[0] for k in nodes) for n in s["scope"].split(",")):
            module.fail_json(msg=f"{s['attr']}: scope {s['scope']!r} is neither a node class nor a cluster node")
    changes = config_changes(p["settings"], facts.get("config") or {})
    active = {k for k, n in nodes.items() if n.get("state") == "active"}
    restart: list[str] = []
    for c in changes:
        if c["attr"] in ALL_DOWN and active:
            module.fail_json(msg=f"{c['attr']}={c['after']} can only change while GPFS is down on every node "
                                 f"(now active on {', '.join(sorted(active))}); stop the cluster (mmshutdown -a) "
                                 "in a maintenance window and run again", changes=changes)
        if c["attr"] not in IMMEDIATE:
            restart += [m for m in scope_members(c["scope"], classes, nodes) if m in active and m not in restart]
    result = {"changed": bool(changes), "changes": changes, "restart_required": restart, "restarted": [],
              "commands": []}
    if module._diff:
        before = [{"attr": c["attr"], "scope": c["scope"], "value": c["before"]} for c in changes]
        result["diff"] = {"before": lines(before), "after": lines([{**c, "value": c["after"]} for c in changes])}
    if module.check_mode or not changes:
        if restart:
            result["warnings"] = [f"would need a daemon restart on {', '.join(restart)}"]
        module.exit_json(**result)
    try:
        for scope, group in group_by_scope(changes):
            now = [c for c in group if c["attr"] in IMMEDIATE and active]
            later = [c for c in group if c not in now]
            for batch, flag in ((now, ["-i"]), (later, [])):
                if batch:
                    args = [",".join(assignment(c["attr"], c["after"]) for c in batch), *flag]
                    runner.run("mmchconfig", *args, *(["-N", scope] if scope else []))
        if restart and p["restart"] == "rolling":
            for node in restart:
                state = runner.facts(["cluster", "state"]).get("nodes") or {}
                if state.get(node, {}).get("quorum") and not quorum_safe_to_stop(state, node):
                    module.fail_json(msg=f"not restarting {node}: stopping it would lose quorum (restarted so far: "
                                         f"{', '.join(result['restarted']) or 'none'})", **result)
                runner.run("mmshutdown", "-N", node)
                runner.run("mmstartup", "-N", node)
                missing = wait_active(lambda: runner.facts(["cluster", "state"]).get("nodes") or {}, [node],
                                      p["timeout"])
                if missing:
                    module.fail_json(msg=not_active_message(missing, p["timeout"]), **result)
                result["restarted"].append(node)
            result["restart_required"] = []
    except ScaleError as exc:
        runner.fail(exc, changes=changes)
    left = config_changes(p["settings"], runner.facts(["cluster", "config"]).get("config") or {})
    if left:
        module.fail_json(msg=f"{runner.node}: mmlsconfig still differs after mmchconfig: "
                             + "; ".join(f"{c['scope'] or 'cluster'} {c['attr']}={c['before']} (want {c['after']})"
                                         for c in left), **result)
    if result["restart_required"]:
        result["warnings"] = [f"the new values take effect after a daemon restart on "
                              f"{', '.join(result['restart_required'])} (rerun with restart allowed, or restart "
                              "them one at a time with mmshutdown/mmstartup -N)"]
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
