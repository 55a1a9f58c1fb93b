#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_nsd
short_description: Plain NSDs from a stanza file, never over another file system's disk
description:
  - Reads the NSDs (C(mmlsnsd -X -Y)) and creates the missing ones of I(nsds) with one
    C(mmcrnsd -F stanza) (C(%nsd device= nsd= servers= usage= failureGroup= pool=)).
  - C(mmcrnsd) runs with its own descriptor check (C(-v yes)). A disk that already holds a GPFS
    descriptor, of another file system or of an earlier cluster, is refused with the host, the
    device and what to do; nothing is written. Only I(force=true) passes C(-v no), which lets
    mmcrnsd overwrite that descriptor - the data on the disk is lost.
  - An NSD name that exists on another device fails; existing NSDs are never deleted or re-created.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  nsds:
    description: The NSDs.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: NSD name., type: str, required: true}
      device: {description: Block device on the server (C(/dev/nvme0n1))., type: str, required: true}
      server: {description: Inventory host the device is on (for messages)., type: str}
      servers: {description: NSD servers (daemon names) in order., type: list, elements: str, required: true}
      usage: {description: C(dataAndMetadata), C(dataOnly), C(metadataOnly)., type: str, default: dataAndMetadata}
      failure_group: {description: Failure group., type: int}
      pool: {description: Storage pool., type: str, default: system}
  force:
    description: Overwrite disks that hold a GPFS descriptor (C(mmcrnsd -v no)). Destroys what is on them.
    type: bool
    default: false
  stanza_dir:
    description: Where the stanza file is written; removed afterwards.
    type: path
    default: /var/mmfs/tmp
attributes:
  check_mode:
    support: full
    description: Shows the stanza it would pass to mmcrnsd.
  diff_mode:
    support: full
    description: The NSD names before and after.
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: NSDs of the plain NSD servers
  deploy_pod.pod.scale_nsd:
    nsds:
      - {name: nsd_nsd01_nvme0n1, device: /dev/nvme0n1, server: nsd01, servers: [nsd01-ib], failure_group: 2}
  run_once: true
"""

RETURN = r"""
created:
  description: NSDs created (or that would be).
  returned: always
  type: list
  elements: str
stanza:
  description: The stanza file given to mmcrnsd.
  returned: always
  type: str
commands:
  description: The mm commands run.
  returned: always
  type: list
  elements: str
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    MM,
    ScaleError,
    nsd_changes,
    nsd_stanza,
)

_DEVICE = re.compile(r"(/dev/\S+)")


def descriptor_message(exc: ScaleError, nsds: list[dict]) -> str | None:
    """The refusal of a disk holding a descriptor, told as host, device and what to do."""
    # the twin's wording, and IBM's 6027-1662 "refers to an existing NSD" for a disk of another cluster
    if not any(k in exc.ibm.lower() for k in ("descriptor", "existing nsd", "-v no")):
        return None
    m = _DEVICE.search(exc.ibm)
    device = m.group(1) if m else "a disk"
    same = [n for n in nsds if n["device"] == device]
    # several servers may have a disk of that name: keep those the message names
    named = [n for n in same if any(s in exc.ibm for s in n["servers"])] or same
    hosts = sorted({n.get("server") or n["servers"][0] for n in named}) or ["?"]
    return (f"{', '.join(hosts)}: {device} already holds a GPFS disk descriptor (it belonged to a file system, "
            "perhaps of another cluster). Nothing was written. If the disk is really free, wipe it on purpose "
            "or rerun with the force variable (deploy-pod up POD --resume -e scale_force=true: mmcrnsd -v no "
            f"overwrites it and its data is lost); otherwise take it out of nsd_devices. IBM says: {exc.ibm}")


def main():
    module = AnsibleModule(
        argument_spec={
            "nsds": {"type": "list", "elements": "dict", "required": True, "options": {
                "name": {"type": "str", "required": True},
                "device": {"type": "str", "required": True},
                "server": {"type": "str"},
                "servers": {"type": "list", "elements": "str", "required": True},
                "usage": {"type": "str", "default": "dataAndMetadata"},
                "failure_group": {"type": "int"},
                "pool": {"type": "str", "default": "system"},
            }},
            "force": {"type": "bool", "default": False},
            "stanza_dir": {"type": "path", "default": "/var/mmfs/tmp"},
        },
        supports_check_mode=True,
    )
    p = module.params
    runner = MM(module)
    facts = runner.read_member(["cluster", "nsds"], "the NSDs")
    changes = nsd_changes(facts.get("nsds") or {}, p["nsds"])
    if changes["conflicts"]:
        module.fail_json(msg="; ".join(changes["conflicts"]) + " (deploy-pod never re-creates an NSD)")
    stanza = nsd_stanza(changes["create"]) if changes["create"] else ""
    result = {"changed": bool(changes["create"]), "created": [n["name"] for n in changes["create"]],
              "stanza": stanza, "commands": []}
    if module._diff:
        have = sorted(facts.get("nsds") or {})
        result["diff"] = {"before": "\n".join(have) + "\n",
                          "after": "\n".join(sorted(have + result["created"])) + "\n"}
    if module.check_mode or not changes["create"]:
        module.exit_json(**result)
    os.makedirs(p["stanza_dir"], exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="deploy-pod-nsd.", dir=p["stanza_dir"])
    with os.fdopen(fd, "w") as fh:
        fh.write(stanza)
    try:
        runner.run("mmcrnsd", "-F", path, "-v", "no" if p["force"] else "yes")
    except ScaleError as exc:
        module.fail_json(msg=descriptor_message(exc, p["nsds"]) or str(exc), **result)
    finally:
        os.unlink(path)
    left = nsd_changes(runner.facts(["cluster", "nsds"]).get("nsds") or {}, p["nsds"])["create"]
    if left:
        module.fail_json(msg=f"mmcrnsd succeeded but mmlsnsd lacks {', '.join(n['name'] for n in left)}", **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
