# Documentation stub: the work is done by the action plugin of the same name (controller side).
from __future__ import annotations

DOCUMENTATION = r"""
---
module: topology_check
short_description: Check a deploy-pod inventory against the static topology rules
description:
  - Runs the same rules as C(deploy-pod validate) on the inventory of the current play, on the
    controller, before any host is touched.
  - Checks hardware models against the catalog, management and IPoIB addresses, overlapping
    networks, InfiniBand port counts and cabling (undeclared switches, port ranges, two cables on
    one port, single-switch hosts, fabric capacity with the fat tree needed), ESS unit groups,
    storage presence, quorum counts and storage sizing.
  - Warnings are returned as Ansible warnings; errors fail the task with one line per finding
    naming the file, host and field.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  fail_on_warnings:
    description: Fail on warnings too (for example the storage sizing warning).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the inventory only; check mode changes nothing because nothing is changed.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - the deploy-pod Python package in the controller's Python environment
"""

EXAMPLES = r"""
- name: Check the pod inventory before changing any host
  deploy_pod.pod.topology_check:

- name: Treat sizing warnings as failures
  deploy_pod.pod.topology_check:
    fail_on_warnings: true
"""

RETURN = r"""
findings:
  description: Every finding, errors and warnings.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: Rule id, for example C(cable-port-conflict).
      type: str
    severity:
      description: C(error) or C(warning).
      type: str
    message:
      description: What is wrong and what would be right.
      type: str
    host:
      description: The host concerned, when there is one.
      type: str
    field:
      description: The inventory field concerned.
      type: str
    file:
      description: File (and line) the host or value was read from.
      type: str
error_count:
  description: Number of errors.
  returned: always
  type: int
warning_count:
  description: Number of warnings.
  returned: always
  type: int
"""
