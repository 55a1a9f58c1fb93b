#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_filesystem
short_description: A Spectrum Scale file system on plain NSDs - created once, grown with new disks
description:
  - Reads C(mmlsfs all -Y) and C(mmlsnsd -X -Y). A missing file system is made with
    C(mmcrfs NAME -F stanza -B BLOCK -T MOUNT -A yes -m M -r R); NSDs of I(disks) not in it yet are
    added with C(mmadddisk NAME -F stanza).
  - An existing file system with another block size or mount point is reported, never re-created.
  - File systems on ESS units are made through mmvdisk (M(deploy_pod.pod.scale_vdisk)).
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  name: {description: Device name (C(fs1))., type: str, required: true}
  mount_point: {description: C(-T)., type: path, required: true}
  block_size: {description: C(-B) (C(16M))., type: str, default: 16M}
  data_replicas: {description: C(-r)., type: int, default: 1}
  metadata_replicas: {description: C(-m)., type: int, default: 1}
  disks: {description: NSD names the file system holds., type: list, elements: str, required: true}
  stanza_dir: {description: Where the stanza file is written; removed afterwards., type: path, default: /var/mmfs/tmp}
attributes:
  check_mode:
    support: full
    description: Reports the command it would run.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: fs1 on the NSDs of the plain NSD servers
  deploy_pod.pod.scale_filesystem:
    name: fs1
    mount_point: /gpfs/fs1
    disks: [nsd_nsd01_nvme0n1, nsd_nsd02_nvme0n1]
  run_once: true
"""

RETURN = r"""
created:
  description: Whether mmcrfs ran.
  returned: always
  type: bool
added:
  description: NSDs added with mmadddisk.
  returned: always
  type: list
  elements: str
commands:
  description: The mm commands run.
  returned: always
  type: list
  elements: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    MM,
    ScaleError,
    normalise,
)


def fs_changes(filesystems: dict, nsds: dict, p: dict) -> tuple[bool, list[str], list[str]]:
    """(create, disks to add, conflicts); pure."""
    fs = filesystems.get(p["name"])
    missing = [d for d in p["disks"] if d not in nsds]
    conflicts = [f"NSD {d} does not exist (run the NSD step first)" for d in missing]
    conflicts += [f"NSD {d} belongs to file system {nsds[d]['fs']}" for d in p["disks"]
                  if d in nsds and nsds[d].get("fs") not in (None, "", p["name"])]
    if fs is None:
        return True, [], conflicts
    if fs.get("block_size") and normalise("", fs["block_size"]) != normalise("", p["block_size"]):
        conflicts.append(f"{p['name']} has block size {fs['block_size']}, the plan says {p['block_size']} "
                         "(a block size cannot change; deploy-pod never re-creates a file system)")
    if fs.get("mount_point") and fs["mount_point"] != p["mount_point"]:
        conflicts.append(f"{p['name']} mounts at {fs['mount_point']}, the plan says {p['mount_point']} "
                         "(change it with mmchfs -T while it is unmounted everywhere)")
    add = [d for d in p["disks"] if d in nsds and not nsds[d].get("fs")]
    return False, add, conflicts


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "mount_point": {"type": "path", "required": True},
            "block_size": {"type": "str", "default": "16M"},
            "data_replicas": {"type": "int", "default": 1},
            "metadata_replicas": {"type": "int", "default": 1},
            "disks": {"type": "list", "elements": "str", "required": True},
            "stanza_dir": {"type": "path", "default": "/var/mmfs/tmp"},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(["cluster", "nsds", "filesystems"], "the file system")
    create, add, conflicts = fs_changes(facts.get("filesystems") or {}, facts.get("nsds") or {}, p)
    if conflicts and not (module.check_mode and create):
        module.fail_json(msg="; ".join(conflicts))
    todo = p["disks"] if create else add
    result = {"changed": create or bool(add), "created": create, "added": add, "commands": []}
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    os.makedirs(p["stanza_dir"], exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="deploy-pod-fs.", dir=p["stanza_dir"])
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"%nsd: nsd={d}\n" for d in todo))
    try:
        if create:
            runner.run("mmcrfs", p["name"], "-F", path, "-B", p["block_size"], "-T", p["mount_point"], "-A", "yes",
                       "-m", str(p["metadata_replicas"]), "-r", str(p["data_replicas"]))
        else:
            runner.run("mmadddisk", p["name"], "-F", path)
    except ScaleError as exc:
        runner.fail(exc, **result)
    finally:
        os.unlink(path)
    after = runner.facts(["cluster", "nsds", "filesystems"])
    c2, a2, _ = fs_changes(after.get("filesystems") or {}, after.get("nsds") or {}, p)
    if c2 or a2:
        module.fail_json(msg=f"{p['name']}: still missing after the change: "
                             f"{'the file system' if c2 else ', '.join(a2)}", **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
