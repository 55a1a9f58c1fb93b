# Controller-side action: put the acceptance measurements together as results.json (schema 1)
# in the run's directory, the file `deploy-pod report` and deploy_pod.acceptance read. The file
# is the phase's output on the controller, not a change to the pod: never reports changed.
from __future__ import annotations

import json
import os
import tempfile
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import validate_args


def registered(task_vars: dict, clients: list[str]) -> tuple[list[dict], dict[str, list[dict]]]:
    """What the acceptance role registered: the fio loop (run once, so on every client that ran;
    taken from the first) and each client's tf loop. Clients that did not run give nothing."""
    hostvars = task_vars.get("hostvars") or {}
    fio: list[dict] = []
    tf: dict[str, list[dict]] = {}
    for host in clients:
        hv = hostvars.get(host) or {}
        if not fio:
            fio = list((hv.get("__acceptance_fio") or {}).get("results") or [])
        runs = (hv.get("__acceptance_tf") or {}).get("results")
        if runs:
            tf[host] = list(runs)
    return fio, tf


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # the options of plugins/modules/acceptance_results.py: types, required, defaults
        args = validate_args("acceptance_results", self._task.args)
        try:
            from deploy_pod.acceptplan import assemble_results
        except ImportError as exc:
            raise AnsibleActionFail(
                f"the deploy-pod Python package is not importable by the controller's Python ({exc})") from exc
        fio, tf = registered(task_vars or {}, list(args["acceptance"].get("clients") or []))
        results = assemble_results(
            args["acceptance"], fio, tf, pod=str(args["pod"]),
            run=str(args["run"]), started=str(args["started"]),
            finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), judge=args["judge"],
            judge_note=str(args.get("judge_note") or ""))
        if self._task.check_mode:
            result.update(changed=False, skipped=True, msg="check mode: no measurements, no results file")
            return result
        dest = os.path.abspath(os.path.expanduser(str(args["dest"])))
        os.makedirs(dest, exist_ok=True)
        path = os.path.join(dest, "results.json")
        fd, tmp_path = tempfile.mkstemp(dir=dest, prefix=".results.")
        with os.fdopen(fd, "w") as fh:
            json.dump(results, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp_path, path)
        result.update(changed=False, path=path, fio_runs=len(results["fio"]), tf_runs=len(results["tf"]),
                      msg=f"acceptance results: {path}")
        return result
