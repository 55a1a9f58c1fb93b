#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: fio_bench
short_description: One coordinated fio run over several clients (fio client/server), parsed
description:
  - Runs on one host, the coordinator, with C(fio --server) already running on every client in
    O(clients). Each client gets a job file of its own whose directory is
    O(directory)/<client>; C(fio --client=HOST,PORT JOBFILE ... --output-format=json) runs them
    at once and the JSON (with whatever fio printed before it) is parsed in module_utils.
  - O(workload=layout) writes each client's test files once; files already there with the right
    size are reused, so only a first run (or a new size) writes anything and reports a change.
    The coordinator sees every client's files because O(directory) is on the shared file system.
  - C(seqread) and C(randread) measure for O(runtime) seconds and change nothing; in check
    mode they do not run.
  - Nothing outside O(directory) is touched.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  clients:
    description: Hosts that run the jobs (their fio servers must listen on O(port)).
    type: list
    elements: str
    required: true
  directory:
    description: Test directory on the shared file system.
    type: path
    required: true
  workload:
    description: What to run.
    type: str
    choices: [layout, seqread, randread]
    required: true
  bs:
    description: Block size.
    type: str
    default: 1m
  numjobs:
    description: Jobs per client.
    type: int
    default: 4
  iodepth:
    description: I/O depth per job.
    type: int
    default: 16
  size:
    description: File size per job.
    type: str
    default: 1g
  runtime:
    description: Seconds a read run lasts.
    type: int
    default: 10
  direct:
    description: O_DIRECT, past the page cache.
    type: bool
    default: true
  port:
    description: Port the fio servers listen on.
    type: int
    default: 8765
attributes:
  check_mode:
    support: full
    description: The layout reports which clients lack files; reads do not run.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - fio on the coordinator and the clients
"""

EXAMPLES = r"""
- name: Sequential read from two clients
  deploy_pod.pod.fio_bench:
    clients: [dgx01, dgx02]
    directory: /gpfs/fs1/.deploy-pod-acceptance/fio
    workload: seqread
"""

RETURN = r"""
result:
  description: The parsed run (module_utils/fio.py parse_fio_json) - hosts, aggregate, errors, version.
  returned: when a run took place
  type: dict
output:
  description: fio's complete output, as printed.
  returned: when a run took place
  type: str
written:
  description: Clients whose test files were (or in check mode would be) written.
  returned: workload layout
  type: list
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.fio import parse_fio_json
from ansible_collections.deploy_pod.pod.plugins.module_utils.fiojob import (
    client_argv,
    data_files,
    job_file,
    missing_layout,
)


def file_sizes(paths):
    out = {}
    for f in paths:
        try:
            out[f] = os.stat(f).st_size
        except FileNotFoundError:
            out[f] = None
    return out


def run_fio(module, p, clients):
    fio = module.get_bin_path("fio", required=True)
    tmp = tempfile.mkdtemp(prefix="deploy-pod-fio.")
    try:
        jobs = {}
        for c in clients:
            jobs[c] = os.path.join(tmp, f"{c}.fio")
            with open(jobs[c], "w") as fh:
                fh.write(job_file(p["workload"], p["directory"], c, p["bs"], p["numjobs"], p["iodepth"],
                                  p["size"], p["runtime"], p["direct"]))
        rc, out, err = module.run_command(client_argv(fio, clients, jobs, p["port"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        module.fail_json(msg=f"fio {p['workload']} on {', '.join(clients)} failed (exit {rc}): "
                             f"{(err or out).strip()[-2000:]}")
    try:
        return parse_fio_json(out), out
    except ValueError as exc:
        module.fail_json(msg="fio {}: cannot read its output: {}".format(p["workload"], exc), output=out[-4000:])


def main():
    module = AnsibleModule(
        argument_spec={
            "clients": {"type": "list", "elements": "str", "required": True},
            "directory": {"type": "path", "required": True},
            "workload": {"type": "str", "choices": ["layout", "seqread", "randread"], "required": True},
            "bs": {"type": "str", "default": "1m"},
            "numjobs": {"type": "int", "default": 4},
            "iodepth": {"type": "int", "default": 16},
            "size": {"type": "str", "default": "1g"},
            "runtime": {"type": "int", "default": 10},
            "direct": {"type": "bool", "default": True},
            "port": {"type": "int", "default": 8765},
        },
        supports_check_mode=True,
    )
    p = module.params
    clients = p["clients"]
    if p["workload"] == "layout":
        paths = [f for c in clients for f in data_files(p["directory"], c, p["numjobs"])]
        missing = missing_layout(file_sizes(paths), p["directory"], clients, p["numjobs"], p["size"])
        if not missing or module.check_mode:
            module.exit_json(changed=bool(missing), written=missing)
        for c in missing:
            os.makedirs(os.path.join(p["directory"], c), exist_ok=True)
        result, out = run_fio(module, p, missing)
        module.exit_json(changed=True, written=missing, result=result, output=out)
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, msg="check mode: no measurement")
    result, out = run_fio(module, p, clients)
    module.exit_json(changed=False, result=result, output=out)


if __name__ == "__main__":
    main()
