# Controller-side action: runs deploy-pod's static topology rules on the play's inventory.
# The logic lives in the deploy_pod package (unit-tested there); this is only the adapter.
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import validate_args


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False  # touches no host, not even localhost

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        fail_on_warnings = validate_args("topology_check", self._task.args)["fail_on_warnings"]
        try:
            from deploy_pod.findings import errors
            from deploy_pod.inventory import check_play_inventory
        except ImportError as exc:
            raise AnsibleActionFail(
                "the deploy-pod Python package is not importable by the controller's Python "
                f"({exc}); install it into the same environment as ansible-core: pip install deploy-pod"
            ) from exc

        sources = [str(s) for s in task_vars.get("ansible_inventory_sources", [])]
        # the live inventory of this run: the same groups and vars ansible-playbook sees
        pod, findings = check_play_inventory(self._task.get_variable_manager(), sources)
        bad = errors(findings)
        warned = [f for f in findings if f.severity == "warning"]
        result.update(
            changed=False,
            findings=[f.as_dict() for f in findings],
            error_count=len(bad),
            warning_count=len(warned),
        )
        if warned:
            result["warnings"] = [f.text() for f in warned]
        if bad or (fail_on_warnings and warned):
            shown = bad + (warned if fail_on_warnings else [])
            result["failed"] = True
            result["msg"] = (f"{len(bad)} topology error(s), {len(warned)} warning(s); nothing was changed:\n"
                             + "\n".join(f.text() for f in shown))
        else:
            result["msg"] = f"topology OK: {len(pod.hosts)} hosts, {len(warned)} warning(s)"
        return result
