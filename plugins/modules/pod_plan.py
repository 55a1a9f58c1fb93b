# Documentation stub: the work is done by the action plugin of the same name (controller side).
from __future__ import annotations

DOCUMENTATION = r"""
---
module: pod_plan
short_description: Publish the deploy-pod plan of the inventory as facts
description:
  - Runs the static topology rules on the play's inventory (failing on errors, like
    M(deploy_pod.pod.topology_check)) and computes the plan that C(deploy-pod plan) shows.
  - The plan is returned as the fact C(deploy_pod_plan) of the host the task runs on; run it once on
    C(localhost) and read C(hostvars['localhost'].deploy_pod_plan) in later plays.
  - C(deploy-pod up) computes the plan once per run and names it in the extra var
    C(deploy_pod_plan_file); the plan in that file is published instead of a new one only when the file
    was made from the same inventory sources, lock file and extra vars as the running play's.
version_added: "0.1.0"
author:
  - deploy-pod developers
options: {}
attributes:
  check_mode:
    support: full
    description: Computes only; nothing is changed.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - the deploy-pod Python package in the controller's Python environment
"""

EXAMPLES = r"""
- name: Plan the pod once, on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Publish the plan as hostvars['localhost'].deploy_pod_plan
      deploy_pod.pod.pod_plan:

- name: Use it on every server
  hosts: dgx:ess:nsd_servers
  vars:
    dp_host: "{{ hostvars['localhost'].deploy_pod_plan.hosts[inventory_hostname] }}"
  tasks:
    - name: Show this host's IPoIB address
      ansible.builtin.debug:
        msg: "{{ dp_host.ipoib_address }} on {{ dp_host.ipoib_interface }}"
"""

RETURN = r"""
ansible_facts:
  description: The plan.
  returned: success
  type: dict
  contains:
    deploy_pod_plan:
      description: >-
        The output of C(deploy-pod plan --json): name, cluster_name, filesystem, networks, hosts
        (per server: role, unit, hw_model, mgmt_address, ipoib_address, ipoib_interface, cables,
        quorum, manager, failure_group, node_classes, verbs_ports, derived), switches, units,
        node_classes, quorum, managers, sizing.
      type: dict
"""
