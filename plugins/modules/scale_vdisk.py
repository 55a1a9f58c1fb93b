#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_vdisk
short_description: ESS units through mmvdisk - servers, recovery groups, vdisk sets and the file system on them
description:
  - Reads the mmvdisk objects (C(mmvdisk server|recoverygroup|vdiskset list -Y)) and the file systems
    (C(mmlsfs all -Y)), and runs only the steps still missing, unit by unit, in IBM's order -
    C(mmvdisk server configure --node-class NC --recycle one),
    C(mmvdisk recoverygroup create), C(mmvdisk vdiskset define --code --block-size --set-size),
    C(mmvdisk vdiskset create), then C(mmvdisk filesystem create --mmcrfs -T MOUNT -A yes) for the
    first unit or C(mmvdisk filesystem add) for a unit whose vdisk set is not in the file system yet.
  - Never deletes. A vdisk set defined differently from the plan (RAID code, block size, set size),
    or one that belongs to another file system, fails with what was found and what the plan says.
  - The mmvdisk node class of each unit must exist (M(deploy_pod.pod.scale_nodeclass)).
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  units:
    description: One entry per ESS unit.
    type: list
    elements: dict
    required: true
    suboptions:
      unit: {description: Unit name (the inventory group)., type: str, required: true}
      node_class: {description: Its mmvdisk node class., type: str, required: true}
      servers: {description: Daemon names of its two canisters., type: list, elements: str, required: true}
      recovery_group: {description: Recovery group name., type: str, required: true}
      vdisk_set: {description: Vdisk set name., type: str, required: true}
      code: {description: RAID code (C(8+2p))., type: str, default: 8+2p}
      block_size: {description: Block size (C(16m))., type: str, default: 16m}
      set_size: {description: Share of the recovery group (C(80%))., type: str, default: 80%}
  filesystem:
    description: C(name), C(mount_point), C(data_replicas), C(metadata_replicas) of the file system.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: Lists the mmvdisk steps it would run.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: ESS units serve the file system
  deploy_pod.pod.scale_vdisk:
    units:
      - {unit: ess01, node_class: nc_ess01, servers: [ess01a-ib, ess01b-ib], recovery_group: rg_ess01,
         vdisk_set: vs_fs1_ess01, code: 8+2p, block_size: 16m, set_size: 80%}
    filesystem: {name: fs1, mount_point: /gpfs/fs1}
  run_once: true
"""

RETURN = r"""
steps:
  description: "Steps run (or that would run), as C(unit: step)."
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
    MM,
    ScaleError,
    vdisk_steps,
)

FACETS = ["cluster", "vdisk", "filesystems"]


def main():
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "dict", "required": True, "options": {
                "unit": {"type": "str", "required": True},
                "node_class": {"type": "str", "required": True},
                "servers": {"type": "list", "elements": "str", "required": True},
                "recovery_group": {"type": "str", "required": True},
                "vdisk_set": {"type": "str", "required": True},
                "code": {"type": "str", "default": "8+2p"},
                "block_size": {"type": "str", "default": "16m"},
                "set_size": {"type": "str", "default": "80%"},
            }},
            "filesystem": {"type": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(FACETS, "the ESS storage")
    vd = facts.get("vdisk") or {}
    missing = [u["node_class"] for u in p["units"] if u["node_class"] not in (vd.get("nodeclasses") or {})]
    if missing and not module.check_mode:
        module.fail_json(msg=f"mmvdisk node class(es) {', '.join(missing)} missing; the scale_cluster phase "
                             "creates them")
    steps, conflicts = vdisk_steps(vd, facts.get("filesystems") or {}, p["units"], p["filesystem"])
    if conflicts:
        module.fail_json(msg="the ESS storage differs from the plan, and deploy-pod never deletes or redefines "
                             "vdisk sets: " + "; ".join(conflicts))
    result = {"changed": bool(steps), "steps": [f"{s['unit']}: {s['step']}" for s in steps],
              "commands": ["mmvdisk " + " ".join(s["args"]) for s in steps]}
    if module.check_mode or not steps:
        module.exit_json(**result)
    done = []
    for s in steps:
        try:
            runner.run("mmvdisk", *s["args"])
        except ScaleError as exc:
            module.fail_json(msg=f"{s['unit']}: {s['step']} failed: {exc} (done before it: "
                                 f"{', '.join(done) or 'nothing'}; rerun after fixing: finished steps are skipped)",
                             **result)
        done.append(f"{s['unit']}: {s['step']}")
    after = runner.facts(FACETS)
    left, _ = vdisk_steps(after.get("vdisk") or {}, after.get("filesystems") or {}, p["units"], p["filesystem"])
    if left:
        module.fail_json(msg="mmvdisk reported success but still missing: "
                             + ", ".join(f"{s['unit']}: {s['step']}" for s in left), **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
