#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_daemon
short_description: Start the Spectrum Scale daemon on nodes and wait, bounded, until they are active
description:
  - Reads C(mmgetstate -a -Y), runs C(mmstartup -N) for the wanted nodes whose daemon is down
    (nodes already active or arbitrating are left alone), then polls C(mmgetstate) until every
    wanted node is C(active).
  - The wait is bounded by I(timeout). When it runs out the module fails with one line per node
    that is not active and its state - no silent minutes of retries.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  nodes:
    description: Daemon node names that must be active.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for every node to become active.
    type: int
    default: 300
  interval:
    description: Seconds between two reads of C(mmgetstate).
    type: int
    default: 2
attributes:
  check_mode:
    support: full
    description: Reports which nodes would be started; waits for nothing.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Every node active within five minutes
  deploy_pod.pod.scale_daemon:
    nodes: [ess01a-ib, ess01b-ib, dgx01-ib]
    timeout: 300
  run_once: true
"""

RETURN = r"""
started:
  description: Nodes C(mmstartup) was run for.
  returned: always
  type: list
  elements: str
states:
  description: Node -> state after the wait.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    MM,
    ScaleError,
    find_current,
    not_active,
    not_active_message,
    wait_active,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "nodes": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "int", "default": 300},
            "interval": {"type": "int", "default": 2},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(["cluster", "state"], "the daemons")
    nodes = facts.get("nodes") or {}
    wanted = []
    for n in p["nodes"]:
        key = find_current(nodes, n, n)
        if key is None:
            module.fail_json(msg=f"{n} is not a node of cluster {facts['cluster']['name']}")
        wanted.append(key)
    down = [n for n, s in not_active(nodes, wanted).items() if s in ("down", "unknown")]
    result = {"changed": bool(down), "started": down, "states": {n: nodes[n].get("state") for n in wanted}}
    if module.check_mode:
        module.exit_json(**result)
    try:
        if down:
            runner.run("mmstartup", "-N", ",".join(down))
        missing = wait_active(lambda: runner.facts(["cluster", "state"]).get("nodes") or {}, wanted,
                              p["timeout"], p["interval"])
    except ScaleError as exc:
        runner.fail(exc, **result)
    final = runner.facts(["cluster", "state"]).get("nodes") or {}
    result["states"] = {n: (final.get(n) or {}).get("state") for n in wanted}
    if missing:
        module.fail_json(msg=not_active_message(missing, p["timeout"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
