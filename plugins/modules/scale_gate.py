#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_gate
short_description: Health gate between the steps of a Spectrum Scale scale-out
description:
  - Reads the cluster as the node it runs on sees it - C(mmlscluster -Y), C(mmgetstate -a -Y),
    C(mmlsfs all -Y), C(mmlsmount all -L -Y) and the health of every node in one read,
    C(mmhealth node show -N all -Y) - and checks that the cluster is fit for the next step.
  - Every node in O(nodes) is C(active); quorum is held (more than half of the quorum nodes
    active); O(filesystem) is mounted on every node in O(clients); no component is FAILED,
    DEGRADED or ERROR because of an mmhealth event that is not in O(baseline).
  - C(mmhealth cluster show -Y) is not used - its only record counts entities per component and
    names neither the node nor the event.
  - Returns the findings, the unhealthy events now (to keep as the baseline of a later gate) and
    every node's daemon state. Fails with the findings and how to resume when
    O(fail_on_findings) is set.
  - Reads state only; never reports a change.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  nodes:
    description: Daemon names of the nodes whose GPFS daemon must be C(active).
    type: list
    elements: str
    default: []
  clients:
    description: Daemon names of the nodes that must have O(filesystem) mounted.
    type: list
    elements: str
    default: []
  filesystem:
    description: The file system the O(clients) must have mounted; without it mounts are not checked.
    type: str
  baseline:
    description:
      - Unhealthy event identifiers that were present before the operation started (the
        RV(events) of an earlier gate); they do not fail the gate.
    type: list
    elements: str
    default: []
  step:
    description: The step that just finished, named in the messages.
    type: str
    default: check
  fail_on_findings:
    description: Fail the task when there is any finding; when false the result tells (RV(ok)).
    type: bool
    default: true
  pod:
    description: The pod's name, for the resume command in the failure message.
    type: str
    default: POD
attributes:
  check_mode:
    support: full
    description: Reads state only; runs and reports the same in check mode.
seealso:
  - module: deploy_pod.pod.scale_facts
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Gate after adding the second ESS unit
  deploy_pod.pod.scale_gate:
    nodes: [ess01a-ib, ess01b-ib, ess02a-ib, ess02b-ib, dgx01-ib, dgx02-ib]
    clients: [dgx01-ib, dgx02-ib]
    filesystem: fs1
    baseline: "{{ scaleout_baseline }}"
    step: ess02
  run_once: true
  delegate_to: ess01a

- name: Capture the baseline before the scale-out starts
  deploy_pod.pod.scale_gate:
    fail_on_findings: false
  register: before
"""

RETURN = r"""
ok:
  description: No finding.
  returned: always
  type: bool
  sample: false
findings:
  description:
    - What failed the gate, each naming the node and what was seen; a health event's finding ends
      with its identifier in parentheses.
  returned: always
  type: list
  elements: str
  sample: ["dgx03-ib: GPFS daemon arbitrating, not active", "dgx03-ib: fs1 not mounted",
           "dgx03-ib: mmhealth GPFS dgx03-ib: gpfs_down (dgx03-ib:GPFS:dgx03-ib:gpfs_down)"]
events:
  description:
    - Identifiers of the unhealthy mmhealth events now, C(node:component:entity:event), or
      C(node:component:entity:STATUS) for a FAILED, DEGRADED or ERROR state no event explains.
      Pass them as O(baseline) to a later gate.
  returned: always
  type: list
  elements: str
  sample: ["dgx03-ib:GPFS:dgx03-ib:gpfs_down"]
new_events:
  description: RV(events) not in O(baseline) (those are findings).
  returned: always
  type: list
  elements: str
nodes:
  description: Every cluster node's daemon state (C(mmgetstate)), by daemon name.
  returned: always
  type: dict
  sample: {ess01a-ib: active, dgx03-ib: arbitrating}
quorum:
  description: Quorum nodes, those active, how many are needed and whether quorum is held.
  returned: always
  type: dict
  sample: {nodes: [ess01a-ib, ess01b-ib, ess02a-ib], active: [ess01a-ib, ess01b-ib, ess02a-ib], needed: 2, held: true}
step:
  description: O(step).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_facts import mm
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_gate import (
    FACETS,
    HEALTH_READ,
    evaluate,
    failure_message,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import MM, ScaleError


def main():
    module = AnsibleModule(
        argument_spec={
            "nodes": {"type": "list", "elements": "str", "default": []},
            "clients": {"type": "list", "elements": "str", "default": []},
            "filesystem": {"type": "str"},
            "baseline": {"type": "list", "elements": "str", "default": []},
            "step": {"type": "str", "default": "check"},
            "fail_on_findings": {"type": "bool", "default": True},
            "pod": {"type": "str", "default": "POD"},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    try:
        facts = runner.facts(FACETS)
    except ScaleError as exc:
        facts = None
        result = {"ok": False, "findings": [str(exc)], "events": [], "new_events": [], "nodes": {},
                  "quorum": {}}
    if facts is not None:
        health, error = "", None
        if facts.get("member"):
            rc, health, err = runner.run_raw(mm(*HEALTH_READ))
            if rc != 0:  # a node it cannot reach: what it printed still counts, the failure is a finding
                error = f"{' '.join(HEALTH_READ)} failed (exit {rc}): {(err or '').strip() or 'no message'}"
        result = evaluate(facts, health or "", p["nodes"], p["clients"], p["filesystem"], p["baseline"], error)
    result.update(changed=False, step=p["step"])
    if p["fail_on_findings"] and not result["ok"]:
        module.fail_json(msg=failure_message(p["step"], result["findings"], p["pod"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
