"""The action plugins validate their arguments against their documentation stubs
(plugins/modules/<name>.py OPTIONS) through plugins/plugin_utils/argspec.py, as a module does
through AnsibleModule: an unknown, missing or mistyped argument fails with its name."""

from __future__ import annotations

import importlib
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import doc_argument_spec, validate_args

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted(p.stem for p in (ROOT / "plugins" / "action").glob("*.py") if p.stem != "__init__")


def action(name: str, args: dict, check_mode: bool = False):
    module = importlib.import_module(f"ansible_collections.deploy_pod.pod.plugins.action.{name}")
    task = MagicMock(args=args, check_mode=check_mode, async_val=0, action=f"deploy_pod.pod.{name}")
    return module.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_has_a_stub_and_uses_it(name):
    assert (ROOT / "plugins" / "modules" / f"{name}.py").is_file()
    assert f'validate_args("{name}"' in (ROOT / "plugins" / "action" / f"{name}.py").read_text()


def test_spec_from_the_stub():
    assert doc_argument_spec("topology_check") == {"fail_on_warnings": {"type": "bool", "default": False}}
    assert doc_argument_spec("pod_plan") == {}
    spec = doc_argument_spec("acceptance_results")
    assert spec["dest"] == {"type": "path", "required": True}
    assert spec["judge"] == {"type": "bool", "default": True}
    assert doc_argument_spec("preflight_report")["hosts"] == {"type": "list", "elements": "str", "required": True}
    assert doc_argument_spec("topology_check") is doc_argument_spec("topology_check")  # built once


def test_valid_arguments_get_defaults_and_types():
    assert validate_args("topology_check", {}) == {"fail_on_warnings": False}
    assert validate_args("topology_check", {"fail_on_warnings": "yes"}) == {"fail_on_warnings": True}
    args = validate_args("acceptance_results", {"acceptance": {}, "pod": "p", "run": 1, "started": "t", "dest": "d"})
    assert args["run"] == "1" and args["judge"] is True and args["judge_note"] == ""


@pytest.mark.parametrize("name, args, message", [
    ("topology_check", {"fail_on_warning": True},
     "deploy_pod.pod.topology_check: unsupported parameters: fail_on_warning. "
     "Supported parameters include: fail_on_warnings."),
    ("topology_check", {"fail_on_warnings": "maybe"}, "argument 'fail_on_warnings' is of type str"),
    ("pod_plan", {"pod": "x"}, "deploy_pod.pod.pod_plan: takes no parameters, got pod"),
    ("preflight_report", {"hosts": ["dgx01"]}, "deploy_pod.pod.preflight_report: missing required arguments: checks"),
    ("preflight_report", {"hosts": ["dgx01"], "checks": {"a": 1}}, "argument 'checks' is of type dict"),
    ("acceptance_results", {"pod": "p"}, "missing required arguments: acceptance, dest, run, started"),
])
def test_bad_arguments_are_named(name, args, message):
    with pytest.raises(AnsibleActionFail, match=None) as exc:
        validate_args(name, args)
    assert message in str(exc.value)
    # the action plugin itself refuses them before it does anything
    with pytest.raises(AnsibleActionFail) as exc:
        action(name, args).run(task_vars={})
    assert message in str(exc.value)
