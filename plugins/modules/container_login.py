#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: container_login
short_description: Log the host's container engine in to a registry, only when its stored login differs
description:
  - Reads the engine's client configuration (C(~/.docker/config.json) of the user the module runs
    as) and compares the stored C(auth) of O(registry) with O(username) and O(password). Logs in
    with C(docker login --password-stdin) only when they differ or are missing, so the password
    never appears on a command line or in the process table.
  - Where a credential store or helper keeps the credentials (C(credsStore), C(credHelpers)) the
    stored login cannot be read, so the module logs in again and reports no change.
  - NGC (C(nvcr.io)) takes the user C($oauthtoken) and an API key as password.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  registry:
    description: Registry host[:port], as C(docker login) takes it.
    type: str
    required: true
  username:
    description: Registry user.
    type: str
    required: true
  password:
    description: Password or API key. Give it from Ansible Vault or the environment, never in plain text.
    type: str
    required: true
    no_log: true
  engine:
    description: Container engine CLI.
    type: str
    default: docker
  config:
    description: Client configuration file; default C(~/.docker/config.json).
    type: path
attributes:
  check_mode:
    support: full
    description: Reports whether it would log in; does not.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - Docker CLI 17.07 or later (C(--password-stdin))
"""

EXAMPLES = r"""
- name: Log in to NGC
  deploy_pod.pod.container_login:
    registry: nvcr.io
    username: "$oauthtoken"
    password: "{{ ngc_api_key }}"
  no_log: true
"""

RETURN = r"""
state:
  description: What the stored login was before (current, differs, absent, helper).
  returned: always
  type: str
  sample: current
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.containers import login_state


def main():
    module = AnsibleModule(
        argument_spec={
            "registry": {"type": "str", "required": True},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "engine": {"type": "str", "default": "docker"},
            "config": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    path = p["config"] or os.path.expanduser("~/.docker/config.json")
    try:
        with open(path) as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    state = login_state(text, p["registry"], p["username"], p["password"])
    if state == "current":
        module.exit_json(changed=False, state=state)
    changed = state != "helper"
    if module.check_mode:
        module.exit_json(changed=changed, state=state)
    engine = module.get_bin_path(p["engine"], required=True)
    rc, out, err = module.run_command([engine, "login", "--username", p["username"], "--password-stdin",
                                       p["registry"]], data=p["password"])
    if rc != 0:
        module.fail_json(msg=f"{p['engine']} login {p['registry']} failed (exit {rc}): {(err or out).strip()}",
                         state=state)
    module.exit_json(changed=changed, state=state)


if __name__ == "__main__":
    main()
