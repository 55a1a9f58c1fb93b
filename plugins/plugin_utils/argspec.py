# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Validate an action plugin's arguments against its documentation stub, as AnsibleModule does for a
module (and ansible.utils' validate with ArgumentSpecValidator): the argument spec is built once
from the OPTIONS of plugins/modules/<name>.py, the one place the arguments are declared.

    from ansible_collections.deploy_pod.pod.plugins.plugin_utils.argspec import validate_args
    args = validate_args("topology_check", self._task.args)   # defaults filled in, types converted
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

__all__ = ["doc_argument_spec", "validate_args"]

MODULES = Path(__file__).resolve().parents[1] / "modules"
# DOCUMENTATION option keys that are argument spec keys too
SPEC_KEYS = ("type", "required", "default", "choices", "elements", "aliases", "no_log")


def _documentation(name: str) -> dict:
    """The stub's DOCUMENTATION, read without importing it."""
    tree = ast.parse((MODULES / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets)
                and isinstance(node.value, ast.Constant)):
            return yaml.safe_load(node.value.value) or {}
    raise ValueError(f"{MODULES / name}.py has no DOCUMENTATION")


def _spec(options: dict) -> dict:
    spec = {}
    for opt, doc in (options or {}).items():
        entry = {k: doc[k] for k in SPEC_KEYS if k in doc}
        entry.setdefault("type", "str")
        if doc.get("suboptions"):
            entry["options"] = _spec(doc["suboptions"])
        spec[opt] = entry
    return spec


@functools.cache
def doc_argument_spec(name: str) -> dict:
    """{option: {type, required, default, choices, elements, aliases, no_log, options}} of the stub
    plugins/modules/<name>.py; built once per name."""
    return _spec(_documentation(name).get("options") or {})


def validate_args(name: str, args: dict) -> dict:
    """The validated arguments (defaults filled in, values converted to their types); otherwise
    AnsibleActionFail naming the plugin and each bad argument, e.g. 'deploy_pod.pod.topology_check:
    unsupported parameters: fail_on_warning. Supported parameters include: fail_on_warnings.'"""
    spec = doc_argument_spec(name)
    result = ArgumentSpecValidator(spec).validate(dict(args or {}))
    if result.error_messages:
        messages = []
        for err in result.errors.errors:
            msg = str(err.msg if hasattr(err, "msg") else err)
            if isinstance(err, UnsupportedError):
                msg = (f"unsupported parameters: {msg}" if spec
                       else f"takes no parameters, got {', '.join(sorted(args))}")
            messages.append(msg)
        raise AnsibleActionFail(f"deploy_pod.pod.{name}: " + "; ".join(messages))
    return result.validated_parameters
