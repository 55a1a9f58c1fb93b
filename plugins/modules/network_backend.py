#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: network_backend
short_description: Tell which tool manages a host's network (netplan or NetworkManager)
description:
  - Looks at what the host runs, not at its OS name, and returns
    C(ansible_facts.deploy_pod_network_backend) - C(netplan) or C(networkmanager).
  - netplan wins where it is installed (DGX OS renders it for systemd-networkd); without it a
    running NetworkManager owns the network (RHEL, Rocky, ESS canisters); a host that runs only
    systemd-networkd gets C(netplan).
  - Fails, saying what to do, on a host where none of them manages the network, or when
    O(backend) asks for NetworkManager on a host where it does not run.
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  backend:
    description: C(auto) decides from the host; C(netplan) or C(networkmanager) force one.
    type: str
    choices: [auto, netplan, networkmanager]
    default: auto
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
  - deploy_pod.pod.attributes.facts
requirements:
  - systemd (C(systemctl is-active))
"""

EXAMPLES = r"""
- name: Find out what manages the network here
  deploy_pod.pod.network_backend:

- name: Use NetworkManager even where netplan is installed
  deploy_pod.pod.network_backend:
    backend: networkmanager
"""

RETURN = r"""
ansible_facts:
  description: Facts set on the host.
  returned: success
  type: dict
  contains:
    deploy_pod_network_backend:
      description: C(netplan) or C(networkmanager).
      type: str
      sample: networkmanager
    deploy_pod_network_backend_asked:
      description:
        - The O(backend) this decision answered; a role that asks the same again can use the fact
          instead of another round trip (the infiniband and mgmt_network roles of one run do).
      type: str
      sample: auto
why:
  description: What the decision rests on.
  returned: always
  type: str
  sample: NetworkManager is running and netplan is not installed
observed:
  description: What was found on the host.
  returned: always
  type: dict
  sample: {netplan: false, networkmanager: true, networkd: false}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.netbackend import decide


def active(module: AnsibleModule, unit: str) -> bool:
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return False
    rc, _out, _err = module.run_command([systemctl, "is-active", "--quiet", unit])
    return rc == 0


def main() -> None:
    module = AnsibleModule(
        argument_spec={"backend": {"type": "str", "choices": ["auto", "netplan", "networkmanager"], "default": "auto"}},
        supports_check_mode=True,
    )
    observed = {
        "netplan": module.get_bin_path("netplan") is not None,
        "networkmanager": active(module, "NetworkManager.service"),
        "networkd": active(module, "systemd-networkd.service"),
    }
    backend, why = decide(observed["netplan"], observed["networkmanager"], observed["networkd"],
                          module.params["backend"])
    if backend is None:
        module.fail_json(msg=why, why=why, observed=observed)
    module.exit_json(changed=False, why=why, observed=observed,
                     ansible_facts={"deploy_pod_network_backend": backend,
                                    "deploy_pod_network_backend_asked": module.params["backend"]})


if __name__ == "__main__":
    main()
