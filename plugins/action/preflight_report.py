# Controller-side action: one readable per-host table of what the live preflight checks found.
from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import validate_args


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = validate_args("preflight_report", self._task.args)
        hosts, checks = args["hosts"], args["checks"]
        from deploy_pod.preflight import verdict

        hostvars = task_vars.get("hostvars", {})
        rows, text = verdict(hosts, {h: hostvars[h] for h in hosts if h in hostvars}, checks)
        result.update(changed=False, problems=[{"host": h, "problem": p} for h, p in rows])
        if rows:
            result["failed"] = True
            result["msg"] = (f"preflight found {len(rows)} problem(s) on "
                             f"{len({h for h, _ in rows})} host(s); nothing was changed:\n{text}")
        else:
            result["msg"] = f"preflight OK on {len(hosts)} host(s)"
        return result
