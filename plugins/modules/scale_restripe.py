#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_restripe
short_description: Rebalance a Spectrum Scale file system in the background, throttled by QoS
description:
  - O(state=started) - makes sure QoS is enabled with the maintenance class limited to
    O(qos_maintenance) and everything else unlimited (C(mmlsqos FS -Y), and when that differs
    C(mmchqos FS --enable pool=*,maintenance=LIMIT,other=unlimited)), then starts
    C(mmrestripefs FS -b --qos maintenance) in the background (its own session, detached from
    the task) with its output in a log under O(log_dir) and returns at once. The run's pid, the
    command and the file system's disks are kept next to the log.
  - It starts nothing while the run it started before is still going, and nothing when its last
    run exited 0 over the same disks the file system has now (nothing to rebalance); it reports
    C(changed) only when it starts a run.
  - O(state=status) - reads the log and returns whether the run is RV(done), the RV(percent) of
    the last progress line (C(NN.NN % complete on DATE (N inodes with total N MB data
    processed))), that RV(line), and the exit status RV(exit_status) once it finished. Poll it with
    C(until) (see the example).
  - QoS throttles the rebalance so that the file system keeps serving the DGX clients while it
    runs; the allocation stays after the run (change it with C(mmchqos)).
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  filesystem:
    description: The file system to rebalance.
    type: str
    required: true
  state:
    description: C(started) starts a run (when none is needed or running, nothing); C(status) reads its progress.
    type: str
    choices: [started, status]
    default: started
  qos_maintenance:
    description:
      - The maintenance class limit, C(NNNIOPS) or C(unlimited) (C(mmchqos) syntax), for every pool.
    type: str
    default: 300IOPS
  log_dir:
    description: Where the run's log (C(deploy-pod-restripe.FS.log)) and record (C(.json)) are kept.
    type: path
    default: /var/adm/ras
attributes:
  check_mode:
    support: full
    description: O(state=started) reports the commands it would run and runs none; O(state=status) reads as usual.
seealso:
  - module: deploy_pod.pod.scale_vdisk
  - module: deploy_pod.pod.scale_gate
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Start the rebalance of fs1, throttled to 300 IOPS for maintenance
  deploy_pod.pod.scale_restripe:
    filesystem: fs1
  run_once: true
  delegate_to: ess01a

- name: Wait for it, up to 6 hours, printing progress on every retry with -v
  deploy_pod.pod.scale_restripe:
    filesystem: fs1
    state: status
  register: rebalance
  until: rebalance.done
  retries: 2160
  delay: 10
  run_once: true
  delegate_to: ess01a
"""

RETURN = r"""
started:
  description: Whether this task started a run.
  returned: always
  type: bool
running:
  description: Whether a run started here is going now.
  returned: always
  type: bool
done:
  description: The run finished (its exit status is in the log), or ended without one (RV(exit_status) null).
  returned: always
  type: bool
percent:
  description: The last progress line's percentage (0.0 before the first).
  returned: always
  type: float
  sample: 42.5
line:
  description: The last progress line, as mmrestripefs printed it.
  returned: always
  type: str
  sample: " 42.50 % complete on Fri May 17 15:53:07 2024  (     65792 inodes with total        570 MB data processed)"
exit_status:
  description: The exit status of mmrestripefs once it finished; null before, or when the run ended without one.
  returned: always
  type: int
pid:
  description: The process id of the run.
  returned: when a run was started here
  type: int
log:
  description: The run's log.
  returned: always
  type: str
  sample: /var/adm/ras/deploy-pod-restripe.fs1.log
qos:
  description: Whether QoS was enabled and C(pool=*) allocated as asked before this task.
  returned: when O(state=started)
  type: dict
  sample: {enabled: true, config: {"*": {maintenance: 300iops, other: inf}}}
commands:
  description: The mm commands run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
msg:
  description: What happened, in one line.
  returned: always
  type: str
"""

import json
import os
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_facts import mm
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import MM, ScaleError
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_restripe import (
    decide_start,
    parse_progress,
    parse_qos,
    paths,
    qos_needed,
    qos_spec,
    read_record,
    running,
    script,
)


def read_text(path: str) -> str:
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def status(record: dict | None, where: dict) -> dict:
    # alive first, then the log: a run that ends between the two reads is then seen with its exit
    # status, not as one that "ended without an exit status"
    alive = bool(record) and running(record.get("pid"))
    prog = parse_progress(read_text(where["log"]))
    done = bool(record) and (prog["done"] or not alive)
    return {"running": alive, "done": done, "percent": prog["percent"], "line": prog["line"],
            "exit_status": prog["rc"],
            "phase": prog["phase"], "log": where["log"], "pid": (record or {}).get("pid")}


def describe(fs: str, st: dict) -> str:
    if st["running"]:
        return f"{fs}: rebalance running (pid {st['pid']}): {st['line'] or st['phase'] or 'starting'}"
    if st["exit_status"] is None:
        return f"{fs}: the rebalance (pid {st['pid']}) ended without an exit status (killed, or the node " \
               f"restarted); see {st['log']} and start it again"
    return f"{fs}: rebalance finished with exit status {st['exit_status']}: {st['line'] or 'no progress line'}"


def main():
    module = AnsibleModule(
        argument_spec={
            "filesystem": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "status"], "default": "started"},
            "qos_maintenance": {"type": "str", "default": "300IOPS"},
            "log_dir": {"type": "path", "default": "/var/adm/ras"},
        },
        supports_check_mode=True,
    )
    p = module.params
    fs = p["filesystem"]
    where = paths(fs, p["log_dir"])
    record = read_record(where["record"])

    if p["state"] == "status":
        if record is None:
            module.fail_json(msg=f"no rebalance of {fs} was started here ({where['record']} is missing); start one "
                                 "with state=started", log=where["log"], done=False, running=False, percent=0.0,
                             exit_status=None, line=None, commands=[])
        st = status(record, where)
        module.exit_json(changed=False, started=False, commands=[], msg=describe(fs, st), **st)

    runner = MM(module)
    facts = runner.read_member(["disks"], f"the rebalance of {fs}")
    if fs not in (facts.get("filesystems") or {}):
        module.fail_json(msg=f"file system {fs} does not exist in cluster {facts['cluster']['name']}")
    disks = sorted((facts.get("disks") or {}).get(fs) or {})
    st = status(record, where)
    decision = decide_start(record, {"done": st["done"], "rc": st["exit_status"]}, st["running"], disks)
    if decision != "start":
        msg = describe(fs, st) if decision == "running" else \
            f"{fs}: already rebalanced over its {len(disks)} disks (the last run exited 0); nothing to start"
        module.exit_json(changed=False, started=False, commands=[], msg=msg, **st)
    try:
        qos = parse_qos(runner.run("mmlsqos", fs, "-Y", log=False))
    except ScaleError as exc:
        runner.fail(exc)
    commands = []
    if qos_needed(qos, p["qos_maintenance"]):
        commands.append(["mmchqos", fs, "--enable", qos_spec(p["qos_maintenance"])])
    restripe = ["mmrestripefs", fs, "-b", "--qos", "maintenance"]
    commands.append(restripe)
    shown = [" ".join(c) for c in commands]
    if module.check_mode:
        module.exit_json(changed=True, started=False, running=False, done=False, percent=0.0, line=None,
                         exit_status=None, log=where["log"], qos=qos, commands=shown,
                         msg=f"{fs}: would run {'; '.join(shown)} (in the background)")
    try:
        for c in commands[:-1]:
            runner.run(*c)
    except ScaleError as exc:
        runner.fail(exc, qos=qos)
    argv = mm(*restripe)
    os.makedirs(p["log_dir"], exist_ok=True)
    with open(where["log"], "w") as fh:
        fh.write(f"deploy-pod: {time.strftime('%Y-%m-%d %H:%M:%S')} started {' '.join(argv)}\n")
    proc = subprocess.Popen(["/bin/sh", "-c", script(argv, where["log"])], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                            start_new_session=True, cwd="/")
    runner.commands.append(" ".join(restripe))
    rec = {"pid": proc.pid, "filesystem": fs, "command": argv, "log": where["log"], "started": time.time(),
           "disks": disks}
    tmp = where["record"] + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(rec, fh)
    os.replace(tmp, where["record"])
    module.exit_json(changed=True, started=True, running=True, done=False, percent=0.0, line=None, exit_status=None,
                     pid=proc.pid, log=where["log"], qos=qos, commands=runner.commands,
                     msg=f"{fs}: rebalance started in the background (pid {proc.pid}), log {where['log']}")


if __name__ == "__main__":
    main()
