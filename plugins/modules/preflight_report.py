# Documentation stub: the work is done by the action plugin of the same name (controller side).
from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_report
short_description: One per-host table of what the live preflight checks found
description:
  - Reads the results the live checks registered on each host (for example the output of
    M(deploy_pod.pod.fabric_check) and M(deploy_pod.pod.gpu_facts)) and fails with one table,
    a row per problem, when any host has one. Unreachable hosts are reported once.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  hosts:
    description: The hosts to report on.
    type: list
    elements: str
    required: true
  checks:
    description: Names of the variables the checks registered on each host.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    description: Reads registered results only.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Stop with one table when any host has a problem
  deploy_pod.pod.preflight_report:
    hosts: "{{ groups['dgx'] + groups['ess'] }}"
    checks: [preflight_fabric, preflight_gpus]
"""

RETURN = r"""
problems:
  description: One entry per problem.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The host.
      type: str
    problem:
      description: What is wrong, as a sentence.
      type: str
"""
