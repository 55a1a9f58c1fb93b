#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: container_image
short_description: Pull a container image; changed only when the tag now points at another image
description:
  - Reads the local image with C(docker image inspect), pulls it (C(docker pull), which asks the
    registry for the tag's current manifest and downloads only layers it lacks), reads it again.
    It reports a change when the image was missing or the tag moved to another image; an image
    already at the registry's digest is not downloaded again.
  - With O(pull=missing) a present image is left alone, without asking the registry.
  - Check mode reports a change for a missing image; for a present one it cannot know whether
    the registry moved the tag without pulling, and says so in RV(msg).
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  name:
    description: Image reference, registry/path:tag.
    type: str
    required: true
  pull:
    description: C(always) asks the registry each run; C(missing) only pulls an absent image.
    type: str
    choices: [always, missing]
    default: always
  engine:
    description: Container engine CLI.
    type: str
    default: docker
extends_documentation_fragment:
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: The NGC TensorFlow image
  deploy_pod.pod.container_image:
    name: nvcr.io/nvidia/tensorflow:24.03-tf2-py3
"""

RETURN = r"""
image:
  description: The image after the run (id, repo_digests, repo_tags); null when absent in check mode.
  returned: always
  type: dict
before:
  description: The image before the run, or null.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.containers import parse_inspect, pull_changed


def inspect(module, engine, name):
    rc, out, err = module.run_command([engine, "image", "inspect", name])
    if rc != 0:
        if "No such image" in err or "no such image" in err.lower():
            return None
        module.fail_json(msg=f"{engine} image inspect {name} failed (exit {rc}): {err.strip()}")
    return parse_inspect(out)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "pull": {"type": "str", "choices": ["always", "missing"], "default": "always"},
            "engine": {"type": "str", "default": "docker"},
        },
        supports_check_mode=True,
    )
    p = module.params
    engine = module.get_bin_path(p["engine"], required=True)
    before = inspect(module, engine, p["name"])
    if before is not None and p["pull"] == "missing":
        module.exit_json(changed=False, image=before, before=before)
    if module.check_mode:
        msg = "" if before is None else "present; check mode does not ask the registry whether the tag moved"
        module.exit_json(changed=before is None, image=before, before=before, msg=msg)
    rc, out, err = module.run_command([engine, "pull", "--quiet", p["name"]])
    if rc != 0:
        module.fail_json(msg=f"{p['engine']} pull {p['name']} failed (exit {rc}): {(err or out).strip()}",
                         before=before)
    after = inspect(module, engine, p["name"])
    module.exit_json(changed=pull_changed(before, after), image=after, before=before)


if __name__ == "__main__":
    main()
