#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# Documentation stub: the work is done on the controller by plugins/action/acceptance_results.py.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: acceptance_results
short_description: Write the acceptance measurements as results.json on the controller
description:
  - Reads what the acceptance role registered on the clients of O(acceptance) (C(__acceptance_fio),
    the coordinator's fio loop, and each client's C(__acceptance_tf)) from C(hostvars).
  - Puts the registered results of the C(fio_bench) and C(tf_bench) loops together with the
    plan's expectations (schema 1, docs/acceptance.md) and writes O(dest)/results.json, which
    C(deploy-pod report) turns into the report. Runs on the controller.
  - The file is the phase's output, not a change to the pod; the task never reports a change.
    Check mode measures nothing and writes nothing.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  acceptance:
    description: The plan's C(acceptance) section.
    type: dict
    required: true
  pod:
    description: Pod name.
    type: str
    required: true
  run:
    description: Run id.
    type: str
    required: true
  started:
    description: When the phase started (ISO 8601).
    type: str
    required: true
  judge:
    description: Hold the figures against the expectations (false on the twin).
    type: bool
    default: true
  judge_note:
    description: Why figures are not judged.
    type: str
    default: ""
  dest:
    description: Directory on the controller.
    type: path
    required: true
extends_documentation_fragment:
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Results file
  deploy_pod.pod.acceptance_results:
    acceptance: "{{ dp_plan.acceptance }}"
    pod: pod1
    run: "20261129-070000"
    started: "2026-11-29T07:00:00+0000"
    dest: artifacts/pod1/acceptance
"""

RETURN = r"""
path:
  description: The results file.
  returned: success, not in check mode
  type: str
"""
