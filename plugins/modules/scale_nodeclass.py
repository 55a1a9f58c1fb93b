#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_nodeclass
short_description: Spectrum Scale user and mmvdisk node classes
description:
  - Reads the node classes (C(mmlsnodeclass --all -Y), C(mmvdisk nodeclass list -Y)) and makes each
    class of I(classes) hold exactly its members.
  - A missing user class - C(mmcrnodeclass NAME -N members); different members -
    C(mmchnodeclass NAME add|delete -N ...).
  - A missing mmvdisk class (one per ESS unit, served by its two canisters) -
    C(mmvdisk nodeclass create --node-class NAME -N members). mmvdisk classes cannot change
    members through deploy-pod (their recovery group depends on them) - a difference fails.
  - Classes not in I(classes) are left alone.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  classes:
    description: Node class name -> C(members) (daemon names) and C(mmvdisk) (bool).
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: Reports the commands it would run.
  diff_mode:
    support: full
    description: Members per class before and after.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Node classes of the plan
  deploy_pod.pod.scale_nodeclass:
    classes:
      dgx_clients: {members: [dgx01-ib, dgx02-ib], mmvdisk: false}
      nc_ess01: {members: [ess01a-ib, ess01b-ib], mmvdisk: true}
  run_once: true
"""

RETURN = r"""
created:
  description: Classes created.
  returned: always
  type: list
  elements: str
changed_members:
  description: User classes whose members changed.
  returned: always
  type: list
  elements: str
commands:
  description: The mm commands run (or that would run).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import MM, ScaleError


def short(name: str) -> str:
    return name.split(".")[0]


def class_commands(current: dict, vdisk_classes: dict, classes: dict) -> tuple[list[list[str]], list[str]]:
    """([[command, args...]], conflicts) for the wanted classes; pure."""
    cmds, conflicts = [], []
    for name, want in classes.items():
        members = list(want.get("members") or [])
        have = current.get(name) or vdisk_classes.get(name)
        if have is None:
            if want.get("mmvdisk"):
                cmds.append(["mmvdisk", "nodeclass", "create", "--node-class", name, "-N", ",".join(members)])
            else:
                cmds.append(["mmcrnodeclass", name, "-N", ",".join(members)])
            continue
        have_members = {short(m) for m in have.get("members") or []}
        want_members = {short(m) for m in members}
        if have_members == want_members:
            continue
        if want.get("mmvdisk"):
            conflicts.append(f"mmvdisk node class {name} has {', '.join(sorted(have_members))}, the plan says "
                             f"{', '.join(sorted(want_members))}; change it with mmvdisk by hand")
            continue
        add = [m for m in members if short(m) not in have_members]
        delete = sorted(have_members - want_members)
        if add:
            cmds.append(["mmchnodeclass", name, "add", "-N", ",".join(add)])
        if delete:
            cmds.append(["mmchnodeclass", name, "delete", "-N", ",".join(delete)])
    return cmds, conflicts


def main():
    module = AnsibleModule(argument_spec={"classes": {"type": "dict", "required": True}}, supports_check_mode=True)
    runner = MM(module)
    facts = runner.read_member(["cluster", "nodeclasses", "vdisk"], "the node classes")
    current = {n: c for n, c in (facts.get("nodeclasses") or {}).items() if c.get("type", "user") == "user"}
    vdisk = (facts.get("vdisk") or {}).get("nodeclasses") or {}
    cmds, conflicts = class_commands(current, vdisk, module.params["classes"])
    if conflicts:
        module.fail_json(msg="; ".join(conflicts))
    result = {"changed": bool(cmds), "commands": [" ".join(c) for c in cmds],
              "created": [c[4] if c[0] == "mmvdisk" else c[1] for c in cmds if c[0] == "mmcrnodeclass" or
                          c[:3] == ["mmvdisk", "nodeclass", "create"]],
              "changed_members": sorted({c[1] for c in cmds if c[0] == "mmchnodeclass"})}
    if module._diff:
        def show(d):
            return "".join(f"{n}: {','.join(sorted(short(m) for m in c.get('members') or []))}\n"
                           for n, c in sorted(d.items()) if n in module.params["classes"])
        result["diff"] = {"before": show({**current, **vdisk}), "after": show(module.params["classes"])}
    if module.check_mode or not cmds:
        module.exit_json(**result)
    for c in cmds:
        try:
            runner.run(c[0], *c[1:])
        except ScaleError as exc:
            runner.fail(exc, **result)
    after = runner.facts(["cluster", "nodeclasses", "vdisk"])
    left, _ = class_commands({n: c for n, c in (after.get("nodeclasses") or {}).items()
                              if c.get("type", "user") == "user"},
                             (after.get("vdisk") or {}).get("nodeclasses") or {}, module.params["classes"])
    if left:
        module.fail_json(msg=f"{runner.node}: node classes still differ after the change: "
                             + "; ".join(" ".join(c) for c in left), **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
