#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_mount
short_description: A Spectrum Scale file system mounted on nodes now and at every daemon start
description:
  - Reads C(mmlsfs all -Y) and C(mmlsmount all -L -Y). Sets automatic mount (C(mmchfs NAME -A yes))
    when the file system has another setting, so the daemon mounts it at every start (with
    C(autoload=yes), at every boot).
  - Runs C(mmmount NAME -N nodes) for the nodes of I(nodes) that do not have it mounted, then reads
    C(mmlsmount -L -Y) again until every node lists it, bounded by I(timeout); on time-out it
    fails naming the nodes.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  name: {description: File system device name., type: str, required: true}
  nodes: {description: Daemon node names that must have it mounted., type: list, elements: str, required: true}
  automount: {description: Mount at every daemon start (C(mmchfs -A yes))., type: bool, default: true}
  timeout: {description: Seconds to wait for the mounts., type: int, default: 120}
attributes:
  check_mode:
    support: full
    description: Reports what it would mount or change.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: fs1 on every DGX
  deploy_pod.pod.scale_mount:
    name: fs1
    nodes: [dgx01-ib, dgx02-ib]
  run_once: true
"""

RETURN = r"""
mounted:
  description: Nodes mmmount was run for.
  returned: always
  type: list
  elements: str
mounted_on:
  description: Nodes that have it mounted afterwards (mmlsmount -L -Y).
  returned: always
  type: list
  elements: str
commands:
  description: The mm commands run.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    MM,
    ScaleError,
    find_current,
)

FACETS = ["cluster", "filesystems", "mounts"]


def unmounted(facts: dict, name: str, wanted: list[str]) -> list[str]:
    have = {m.split(".")[0] for m in (facts.get("mounts") or {}).get(name, [])}
    nodes = facts.get("nodes") or {}
    out = []
    for w in wanted:
        key = find_current(nodes, w, w) or w
        if key.split(".")[0] not in have and w.split(".")[0] not in have:
            out.append(w)
    return out


def automount_value(fs: dict) -> str:
    return str(fs.get("automount") or "").lower()


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "nodes": {"type": "list", "elements": "str", "required": True},
            "automount": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(FACETS, "the mounts")
    fs = (facts.get("filesystems") or {}).get(p["name"])
    if fs is None:
        if module.check_mode:
            module.exit_json(changed=True, mounted=p["nodes"], mounted_on=[], commands=[],
                             msg=f"{p['name']} does not exist yet; it would be mounted once made")
        module.fail_json(msg=f"file system {p['name']} does not exist; run the storage phase first")
    want_auto = "yes" if p["automount"] else "no"
    set_auto = automount_value(fs) != want_auto
    todo = unmounted(facts, p["name"], p["nodes"])
    result = {"changed": set_auto or bool(todo), "mounted": todo,
              "mounted_on": sorted((facts.get("mounts") or {}).get(p["name"], [])), "commands": []}
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    try:
        if set_auto:
            runner.run("mmchfs", p["name"], "-A", want_auto)
        if todo:
            runner.run("mmmount", p["name"], "-N", ",".join(todo))
        deadline = time.monotonic() + p["timeout"]
        while True:
            after = runner.facts(FACETS)
            left = unmounted(after, p["name"], p["nodes"])
            if not left or time.monotonic() >= deadline:
                break
            time.sleep(2)
    except ScaleError as exc:
        runner.fail(exc, **result)
    result["mounted_on"] = sorted((after.get("mounts") or {}).get(p["name"], []))
    if left:
        module.fail_json(msg=f"{p['name']} is not mounted on {', '.join(left)} after {p['timeout']} s "
                             "(mmlsmount -L); look at mmhealth node show and /var/adm/ras/mmfs.log.latest there",
                         **result)
    if automount_value((after.get("filesystems") or {}).get(p["name"]) or {}) != want_auto:
        module.fail_json(msg=f"{p['name']}: mmchfs -A {want_auto} ran but mmlsfs does not show it", **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
