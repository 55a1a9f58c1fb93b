"""Read pod.yml through Ansible's own inventory loader and turn it into a Pod.

Going through Ansible (not our own YAML reader) means INI, YAML, group_vars/ and
host_vars/ behave exactly as in ansible-playbook, so what we validate is what runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from deploy_pod.findings import Finding
from deploy_pod.model import GROUP_ROLE, HOST_FIELDS, HostVars, Pod, PodHost, PodSettings

# Fail loudly instead of Ansible's default of warning and carrying on with an empty
# inventory; must be set before ansible.constants is first imported.
_ANSIBLE_ENV = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
    "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true",
    "ANSIBLE_INVENTORY_ENABLED": "yaml,ini",
    "ANSIBLE_DUPLICATE_YAML_DICT_KEY": "error",
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
}


class InventoryError(Exception):
    """The inventory cannot be read or parsed (exit code 2)."""


@dataclass
class RawInventory:
    """What Ansible made of the sources, as plain data."""

    sources: list[str]
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> merged vars
    children: dict[str, list[str]] = field(default_factory=dict)  # group -> child groups
    members: dict[str, list[str]] = field(default_factory=dict)  # group -> direct hosts


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present: 5x faster
    """PyYAML silently keeps the last of two equal keys; an inventory must not."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _yaml_files(src: Path) -> list[Path]:
    if src.is_dir():
        return sorted(p for ext in ("*.yml", "*.yaml") for p in src.rglob(ext))
    files = [src] if src.suffix in (".yml", ".yaml") else []
    for sub in ("group_vars", "host_vars"):
        d = src.parent / sub
        files += sorted(p for ext in ("*.yml", "*.yaml") for p in d.rglob(ext)) if d.is_dir() else []
    return files


def precheck_yaml(sources: list[str]) -> None:
    """Syntax errors with file, line and column, before Ansible turns them into a vaguer message."""
    for src in sources:
        for f in _yaml_files(Path(src)):
            try:
                yaml.load(f.read_text(), Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                where = f"{f}:{mark.line + 1}:{mark.column + 1}" if mark else str(f)
                raise InventoryError(f"{where}: {exc.problem or exc.context}") from exc
            except (OSError, UnicodeDecodeError) as exc:
                raise InventoryError(f"{f}: {exc}") from exc


def read_inventory(paths: list[str | os.PathLike]) -> RawInventory:
    sources = [str(p) for p in paths]
    for src in sources:
        if not Path(src).exists():
            raise InventoryError(f"{src}: no such file or directory")
    precheck_yaml(sources)
    for key, value in _ANSIBLE_ENV.items():
        os.environ.setdefault(key, value)
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    try:
        inventory = InventoryManager(loader=loader, sources=sources)
        return raw_from_inventory(inventory, VariableManager(loader=loader, inventory=inventory), sources)
    except AnsibleError as exc:
        raise InventoryError(str(exc)) from exc


def raw_from_inventory(inventory, variable_manager, sources: list[str]) -> RawInventory:
    """Shared by the CLI and the action plugin (which gets Ansible's live inventory)."""
    raw = RawInventory(sources=sources)
    for name, group in inventory.groups.items():
        raw.children[name] = [g.name for g in group.child_groups]
        raw.members[name] = [h.name for h in group.hosts]
    # .hosts, not get_hosts("all"): inside a play the latter is restricted to the play's batch
    for host in inventory.hosts.values():
        hv = variable_manager.get_vars(host=host, include_hostvars=False)
        raw.hosts[host.name] = {k: v for k, v in hv.items() if not _magic(k)}
    return raw


_MAGIC = {"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "omit", "playbook_dir",
          "ansible_playbook_python", "ansible_config_file", "ansible_facts", "inventory_dir", "inventory_file",
          "ansible_version", "ansible_check_mode", "ansible_diff_mode", "ansible_forks", "ansible_verbosity",
          "ansible_run_tags", "ansible_skip_tags", "ansible_inventory_sources", "role_names"}


def _magic(key: str) -> bool:
    return key in _MAGIC


def origin_of(value: Any, default: str) -> str:
    """'file:line' where Ansible read this value, else the default."""
    try:
        from ansible._internal._datatag._tags import Origin
    except ImportError:  # older ansible-core: no data tagging
        return default
    tag = Origin.get_tag(value)
    if tag is None or not tag.path:
        return default
    return f"{tag.path}:{tag.line_num}" if tag.line_num else str(tag.path)


def _descendants(raw: RawInventory, group: str) -> list[str]:
    out, stack = [], list(raw.children.get(group, []))
    while stack:
        g = stack.pop()
        out.append(g)
        stack.extend(raw.children.get(g, []))
    return out


def _hosts_under(raw: RawInventory, group: str) -> list[str]:
    hosts = list(raw.members.get(group, []))
    for g in _descendants(raw, group):
        hosts.extend(raw.members.get(g, []))
    return list(dict.fromkeys(hosts))


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _schema_findings(exc: ValidationError, data: dict, prefix: str, host: str | None, default_file: str):
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = origin_of(_value_at(data, loc), default_file)
        got = err.get("input")
        msg = err["msg"]
        if err["type"] != "missing" and not isinstance(got, dict | list):
            msg += f" (got {got!r})"
        yield Finding("schema", "error", msg, host=host, field=_loc((prefix, *loc)) if prefix else _loc(loc),
                      file=where)


def build_pod(raw: RawInventory) -> tuple[Pod, list[Finding]]:
    """Sort hosts into roles and validate their variables against the model."""
    src = raw.sources[0] if raw.sources else "inventory"
    findings: list[Finding] = []
    roles: dict[str, list[tuple[str, str | None]]] = {}
    units: dict[str, list[str]] = {}
    for group, role in GROUP_ROLE.items():
        if role == "ess":
            direct = raw.members.get("ess", [])
            for host in direct:
                findings.append(Finding(
                    "ess-unit-size", "error",
                    "ESS hosts belong to a child group of 'ess', one per unit (two canisters each), "
                    "not to 'ess' directly", host=host, field="groups", file=src))
            for unit in raw.children.get("ess", []):
                members = _hosts_under(raw, unit)
                units[unit] = members
                for host in members:
                    roles.setdefault(host, []).append((role, unit))
        else:
            for host in _hosts_under(raw, group):
                roles.setdefault(host, []).append((role, None))

    settings = None
    pod_vars = None
    pod_owner = None
    for host in roles:
        value = raw.hosts.get(host, {}).get("pod")
        if pod_vars is None and value is not None:
            pod_vars, pod_owner = value, host
        elif value is not None and value != pod_vars:
            findings.append(Finding(
                "pod-settings", "error",
                f"the 'pod' settings differ from those host {pod_owner} sees; set them once, in group 'all'",
                host=host, field="pod", file=origin_of(value, src)))
    if pod_vars is None:
        findings.append(Finding("pod-settings", "error",
                                "no 'pod' variable: set the pod-wide settings under all.vars.pod "
                                "(see docs/inventory.md)", field="pod", file=src))
    else:
        try:
            settings = PodSettings.model_validate(pod_vars)
        except ValidationError as exc:
            findings.extend(_schema_findings(exc, pod_vars, "pod", None, src))

    pod = Pod(source=src, settings=settings, units=units,
              settings_origin=origin_of(pod_vars, src) if pod_vars is not None else src)
    for host, where in roles.items():
        hv = raw.hosts.get(host, {})
        origin = origin_of(host, src)
        if len(where) > 1:
            groups = ", ".join(sorted({w[1] or w[0] for w in where}))
            findings.append(Finding("host-duplicate", "error",
                                    f"host is listed in several role groups ({groups}); a host has one role",
                                    host=host, field="groups", file=origin))
        try:
            hvars = HostVars.model_validate({k: v for k, v in hv.items() if k in HOST_FIELDS})
        except ValidationError as exc:
            findings.extend(_schema_findings(exc, hv, "", host, origin))
            hvars = HostVars.model_construct()  # keep the host so other rules still see it
        findings.extend(_typo_findings(host, hv, origin))
        role, unit = where[0]
        pod.hosts[host] = PodHost(name=host, role=role, unit=unit, vars=hvars, origin=origin)
    return pod, findings


def _typo_findings(host: str, hv: dict, origin: str):
    """Unknown keys that look like a misspelt deploy-pod field (a silent no-op otherwise)."""
    import difflib

    for key in hv:
        if key in HOST_FIELDS or key.startswith("ansible_"):
            continue
        close = difflib.get_close_matches(key, HOST_FIELDS, n=1, cutoff=0.85)
        if close:
            yield Finding("unknown-field", "warning", f"unknown variable; did you mean {close[0]!r}?",
                          host=host, field=key, file=origin_of(hv[key], origin))


def check_play_inventory(variable_manager, sources: list[str]) -> tuple[Pod, list[Finding]]:
    """The running play's inventory (as ansible-playbook sees it) through the loader and the rules:
    what the action plugins run."""
    from deploy_pod.rules import check

    pod, findings = build_pod(raw_from_inventory(variable_manager._inventory, variable_manager, sources))
    return pod, check(pod, findings)


@dataclass
class LoadResult:
    pod: Pod
    findings: list[Finding]


def load_pod(path: str | os.PathLike, *more: str | os.PathLike) -> LoadResult:
    pod, findings = build_pod(read_inventory([path, *more]))
    return LoadResult(pod, findings)
