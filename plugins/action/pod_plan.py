# Controller-side action: validate the inventory and publish the deploy-pod plan as facts
# of the host it runs on (localhost), so every later play reads
# hostvars['localhost'].deploy_pod_plan. Computed once per playbook, not per host.
from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import validate_args


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        validate_args("pod_plan", self._task.args)  # it takes none
        sources = [str(s) for s in task_vars.get("ansible_inventory_sources", [])]
        handed = self._handed_plan(task_vars, sources)
        if handed is not None:
            result.update(changed=False, ansible_facts={"deploy_pod_plan": handed},
                          msg=f"plan for pod {handed.get('name')}: {len(handed.get('hosts') or {})} servers, quorum "
                              f"{', '.join(handed.get('quorum') or [])} (computed once for the run by deploy-pod up)")
            return result
        try:
            from deploy_pod.findings import errors
            from deploy_pod.inventory import check_play_inventory
            from deploy_pod.lock import LockError, find_lock
            from deploy_pod.planner import make_plan
        except ImportError as exc:
            raise AnsibleActionFail(
                f"the deploy-pod Python package is not importable by the controller's Python ({exc})") from exc

        # the live inventory of this run: the same groups and vars ansible-playbook sees
        pod, findings = check_play_inventory(self._task.get_variable_manager(), sources)
        bad = errors(findings)
        if bad:
            result["failed"] = True
            result["msg"] = (f"{len(bad)} topology error(s); run `deploy-pod validate` for details:\n"
                             + "\n".join(f.text() for f in bad))
            return result
        try:
            # the lock beside the inventory: a deployed pod's hosts keep what they were given
            lock = find_lock([s for s in sources if os.path.isfile(s)])
        except LockError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        plan = make_plan(pod, lock=lock)
        # JSON round trip: plain types only in facts (no dataclasses, IP objects)
        facts = json.loads(json.dumps(plan.as_dict(), default=str))
        result.update(changed=False, ansible_facts={"deploy_pod_plan": facts},
                      msg=f"plan for pod {plan.name}: {len(plan.hosts)} servers, quorum {', '.join(plan.quorum)}")
        return result

    def _handed_plan(self, task_vars, sources):
        """The plan `deploy-pod up` computed once for the run (deploy_pod.plan_handoff), when the file it
        names was made from this run's inventory sources, lock and extra vars; None otherwise."""
        try:
            from deploy_pod.plan_handoff import PLAN_VAR, read
        except ImportError:
            return None
        path = task_vars.get(PLAN_VAR)
        if not path:
            return None
        return read(str(path), sources, self._task.get_variable_manager().extra_vars)
