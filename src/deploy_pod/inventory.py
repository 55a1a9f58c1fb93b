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
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> its own vars (inline)


# A hostile file must not hang the tool: Ansible's loader expands every alias into a copy,
# so a few lines of nested aliases ("billion laughs") would take hours and all memory.
MAX_FILE_BYTES = 2 * 1024 * 1024  # a pod of hundreds of hosts written out in full is well under 1 MiB
# YAML values (alias expansion included): Ansible reads about 15k a second, and validate must end within
# 5 s on any file; a 140-DGX SuperPOD with every cable written out has about 10k
MAX_VALUES = 40_000
MAX_DEPTH = 100  # nesting of collections
# Ansible spends about half a millisecond on each host's variables: a limit far above any pod keeps
# validate within seconds on any file
MAX_HOSTS, MAX_GROUPS = 2000, 1000

# Ansible's own YAML tags: a vaulted value stays encrypted, deploy-pod never needs to read it
ANSIBLE_TAGS = ("!vault", "!vault-encrypted", "!unsafe")


class _Tagged(str):
    """A value carrying one of Ansible's tags (kept as its text; never decrypted here)."""


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


for _tag in ANSIBLE_TAGS:
    _StrictLoader.add_constructor(_tag, lambda loader, node: _Tagged(
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else ""))

YAML_SUFFIXES = (".yml", ".yaml", ".json")


def _yaml_files(src: Path) -> list[Path]:
    if src.is_dir():
        return sorted(p for ext in ("*.yml", "*.yaml", "*.json") for p in src.rglob(ext))
    files = [src] if src.suffix in YAML_SUFFIXES else []
    for sub in ("group_vars", "host_vars"):
        d = src.parent / sub
        files += sorted(p for ext in ("*.yml", "*.yaml", "*.json") for p in d.rglob(ext)) if d.is_dir() else []
    return files


def _at(f: Path, node) -> str:
    mark = getattr(node, "start_mark", None)
    return f"{f}:{mark.line + 1}:{mark.column + 1}" if mark else str(f)


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(f: Path, root) -> None:
    """Count the values the document expands to (aliases included) without expanding it."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 if isinstance(node, yaml.ScalarNode) else sum(size[id(c)] for c in _children(node))
            if total > MAX_VALUES:
                raise InventoryError(
                    f"{_at(f, node)}: this expands to more than {MAX_VALUES:,} values (YAML aliases used "
                    "over and over, as in a 'billion laughs' file); write the values out, or use "
                    "group vars instead of aliases")
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            raise InventoryError(f"{_at(f, node)}: a YAML alias refers to a value that contains it (a loop); "
                                 "an inventory needs plain values here")
        if depth > MAX_DEPTH:
            raise InventoryError(f"{_at(f, node)}: values nested more than {MAX_DEPTH} deep; an inventory "
                                 "needs a few levels (groups, hosts, variables)")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node) if id(c) not in size)


_GROUP_KEYS = ("hosts", "vars", "children")


def _check_shape(f: Path, root) -> None:
    """The layout Ansible's YAML inventory plugin takes, said with file:line (the plugin gives none)."""
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value in ("", "~", "null")):
        raise InventoryError(f"{f}:1: the inventory is empty; it needs at least `all:` with `vars: {{pod: ...}}` "
                             "and the role groups under `children:` (see docs/inventory.md)")
    if not isinstance(root, yaml.MappingNode):
        raise InventoryError(f"{_at(f, root)}: an inventory is a mapping of groups (`all:` ...), not a "
                             f"{_kind(root)}")
    stack = [(k, v, "group") for k, v in root.value]
    counts = {"host": 0, "group": 0}
    while stack:
        key, value, what = stack.pop()
        kind = "host" if what == "host" else "group"
        counts[kind] += 1
        if counts[kind] > {"host": MAX_HOSTS, "group": MAX_GROUPS}[kind]:
            limit = MAX_HOSTS if kind == "host" else MAX_GROUPS
            raise InventoryError(f"{_at(f, key)}: more than {limit} {kind} entries; a pod has a few hundred "
                                 "hosts at most: is this the right file?")
        name = key.value if isinstance(key, yaml.ScalarNode) else "?"
        if not isinstance(key, yaml.ScalarNode):
            raise InventoryError(f"{_at(f, key)}: a {what} name must be a plain word, not a {_kind(key)}")
        if _is_null(value):
            continue
        if what in ("group", "child group"):
            if not isinstance(value, yaml.MappingNode):
                raise InventoryError(f"{_at(f, value)}: group {name!r} must be a mapping with hosts:, vars: or "
                                     f"children:, not a {_kind(value)}")
            for k, v in value.value:
                section = k.value if isinstance(k, yaml.ScalarNode) else None
                if section not in _GROUP_KEYS:
                    raise InventoryError(f"{_at(f, k)}: group {name!r} has an unknown key "
                                         f"{section if section is not None else _kind(k)!r}; a group holds "
                                         "hosts:, vars: and children: (host variables go under hosts: <host>:)")
                if _is_null(v):
                    continue
                if not isinstance(v, yaml.MappingNode):
                    example = {"hosts": "hosts: {dgx01: {hw_model: dgx-1}}", "vars": "vars: {key: value}",
                               "children": "children: {ess01: {hosts: ...}}"}[section]
                    raise InventoryError(f"{_at(f, v)}: {section} of group {name!r} must be a mapping, not a "
                                         f"{_kind(v)}; e.g. `{example}`")
                if section == "children":
                    stack.extend((ck, cv, "child group") for ck, cv in v.value)
                elif section == "hosts":
                    stack.extend((hk, hv, "host") for hk, hv in v.value)
        elif what == "host" and not isinstance(value, yaml.MappingNode):
            raise InventoryError(f"{_at(f, value)}: host {name!r} must be followed by a mapping of its variables "
                                 f"(or nothing), not a {_kind(value)}; e.g. `{name}: {{hw_model: dgx-1}}`")


def _is_null(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def _kind(node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    return f"plain value ({node.value!r})"


def _count_events(f: Path, data: bytes) -> None:
    """Refuse a file of too many values before building it (the parser alone is fast)."""
    n = 0
    for event in yaml.parse(data, Loader=_StrictLoader):
        n += isinstance(event, yaml.ScalarEvent | yaml.AliasEvent)
        if n > MAX_VALUES:
            raise InventoryError(f"{_at(f, event)}: more than {MAX_VALUES:,} values; a pod of hundreds of "
                                 "hosts has far fewer: is this the right file?")


def _load_yaml(f: Path, inventory: bool) -> None:
    try:
        if f.stat().st_size > MAX_FILE_BYTES:
            raise InventoryError(f"{f}: {f.stat().st_size:,} bytes; an inventory file is at most "
                                 f"{MAX_FILE_BYTES // 2**20} MiB")
        data = f.read_bytes()
        _count_events(f, data)
        loader = _StrictLoader(data)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_expansion(f, node)
            if inventory:
                _check_shape(f, node)
            if node is not None:
                loader.construct_document(node)  # duplicate keys, unknown tags
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{f}:{mark.line + 1}:{mark.column + 1}" if mark else str(f)
        raise InventoryError(f"{where}: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:  # e.g. a byte that is not allowed in YAML
        raise InventoryError(f"{f}: {exc}") from exc
    except RecursionError as exc:
        raise InventoryError(f"{f}: values nested too deep for an inventory") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{f}: {exc}") from exc


def precheck_yaml(sources: list[str]) -> None:
    """Syntax errors with file, line and column, before Ansible turns them into a vaguer message;
    files too large or expanding too far refused before Ansible's loader spends minutes on them."""
    for src in sources:
        for f in _yaml_files(Path(src)):
            _load_yaml(f, inventory=Path(src).is_file() and f == Path(src))
        if Path(src).is_file() and Path(src).suffix not in YAML_SUFFIXES:
            _precheck_ini(Path(src))


def _precheck_ini(f: Path) -> None:
    try:
        if f.stat().st_size > MAX_FILE_BYTES:
            raise InventoryError(f"{f}: {f.stat().st_size:,} bytes; an inventory file is at most "
                                 f"{MAX_FILE_BYTES // 2**20} MiB")
        text = f.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InventoryError(f"{f}: {exc}") from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.strip().startswith((";", "#"))]
    if len(lines) > MAX_HOSTS + MAX_GROUPS:
        raise InventoryError(f"{f}: {len(lines)} entries; a pod has a few hundred hosts at most: is this the "
                             "right file?")
    if not lines:
        raise InventoryError(f"{f}:1: the inventory is empty; it needs the role groups ([dgx], [ess01], "
                             "[ess:children], ...) and [all:vars] with pod=... (see docs/inventory.md)")


def _ini_error(path: str) -> str | None:
    """file:line and the reason of an INI inventory Ansible could not parse (Ansible's message has no line)."""
    try:
        from ansible._internal._datatag._tags import Origin
        from ansible.inventory.data import InventoryData
        from ansible.plugins.inventory.ini import InventoryModule
    except ImportError:
        return None
    try:
        plugin = InventoryModule()
        plugin.inventory = InventoryData()
        plugin._origin = Origin(path=os.path.abspath(path), line_num=0)
        lines = Path(path).read_text(errors="replace").splitlines()
    except Exception:  # noqa: BLE001 - Ansible internals changed: keep Ansible's own message
        return None
    try:
        plugin._parse(lines)
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported, with its line
        line = plugin._origin.line_num or 0
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        reason = getattr(exc, "message", None) or str(exc)
        if isinstance(exc, ValueError | IndexError | KeyError):
            reason = "not a host line (host var=value ...), a [group], [group:vars] or [group:children] header"
        return f"{path}:{line}: {reason}" + (f": {text!r}" if text and text not in reason else "")
    return None


class _Restore:
    def __init__(self, module, saved: dict):
        self.module, self.saved = module, saved

    def restore(self) -> None:
        for key, value in self.saved.items():
            setattr(self.module, key, value)


def _strict_inventory_constants() -> _Restore:
    """The environment above only counts when Ansible is imported after it; in a process that
    imported Ansible earlier (an embedding tool, a test session) set the constants the inventory
    manager reads for this one load, so an unparsable source is an error either way."""
    from ansible import constants as C

    wanted = {"INVENTORY_UNPARSED_IS_FAILED": True, "INVENTORY_ANY_UNPARSED_IS_FAILED": True,
              "INVENTORY_UNPARSED_WARNING": False, "INVENTORY_ENABLED": ["yaml", "ini"]}
    saved = {k: getattr(C, k) for k in wanted if hasattr(C, k)}
    for key, value in wanted.items():
        setattr(C, key, value)
    return _Restore(C, saved)


def read_inventory(paths: list[str | os.PathLike]) -> RawInventory:
    sources = [str(p) for p in paths]
    for src in sources:
        if not Path(src).exists():
            raise InventoryError(f"{src}: no such file or directory")
    precheck_yaml(sources)
    for key, value in _ANSIBLE_ENV.items():
        os.environ.setdefault(key, value)
    from ansible.errors import AnsibleError
    from ansible.inventory import manager as ansible_manager
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    display = ansible_manager.display
    quiet = display.error_as_warning
    display.error_as_warning = lambda *args, **kwargs: None  # the reason comes below, with its line
    strict = _strict_inventory_constants()
    try:
        inventory = InventoryManager(loader=loader, sources=sources)
        return raw_from_inventory(inventory, VariableManager(loader=loader, inventory=inventory), sources)
    except AnsibleError as exc:
        text = str(exc)
        failed = next((s for s in sources if text.endswith(s)), None)
        if failed and Path(failed).is_file() and Path(failed).suffix not in YAML_SUFFIXES:
            text = _ini_error(failed) or text
        raise InventoryError(text.splitlines()[0] if text else "cannot be parsed") from exc
    except (OSError, ValueError, TypeError, RecursionError) as exc:  # Ansible's loader on odd input
        raise InventoryError(f"{sources[0]}: {type(exc).__name__}: {exc}") from exc
    finally:
        display.error_as_warning = quiet
        strict.restore()


def raw_from_data(data: dict, source: str = "pod.yml") -> RawInventory:
    """A YAML inventory already in memory, read the way Ansible reads it (group vars inherited, host
    vars last), without Ansible: for the generated docs, which show what each mistake is told."""
    raw = RawInventory(sources=[source])

    def walk(name: str, node: dict | None, inherited: dict) -> None:
        node = node or {}
        own = dict(node.get("vars") or {})
        raw.group_vars[name] = own
        raw.members.setdefault(name, [])
        raw.children.setdefault(name, [])
        here = {**inherited, **own}
        for host, hv in (node.get("hosts") or {}).items():
            raw.members[name].append(host)
            raw.hosts[host] = {**here, **raw.hosts.get(host, {}), **(hv or {})}
        for child, sub in (node.get("children") or {}).items():
            raw.children[name].append(child)
            walk(child, sub, here)

    walk("all", data.get("all"), {})
    return raw


def raw_from_inventory(inventory, variable_manager, sources: list[str]) -> RawInventory:
    """Shared by the CLI and the action plugin (which gets Ansible's live inventory)."""
    raw = RawInventory(sources=sources)
    for name, group in inventory.groups.items():
        raw.children[name] = [g.name for g in group.child_groups]
        raw.members[name] = [h.name for h in group.hosts]
        raw.group_vars[name] = dict(group.get_vars())
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


def _field_info(model: Any, loc: tuple):
    """The pydantic FieldInfo a validation error's location points at (None when not a model field)."""
    import typing

    from pydantic import BaseModel

    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return info  # a dict key or a validator's name: the field above it
        info = model.model_fields[part]
        model = None
        stack = [info.annotation]
        while stack:  # the model inside list[...] | None, dict[..., ...]
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                model = ann
                break
            stack.extend(typing.get_args(ann))
    return info


def _example(info, loc: tuple) -> Any:
    if info is None or not info.examples:
        return None
    ex = info.examples[0]
    if loc and isinstance(loc[-1], int) and isinstance(ex, list) and ex:
        return ex[0]
    return ex


def _schema_findings(exc: ValidationError, data: dict, prefix: str, host: str | None, default_file: str,
                     model: Any = None):
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = origin_of(_value_at(data, loc), default_file)
        got = err.get("input")
        msg = err["msg"]
        if err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        example = _example(_field_info(model, loc), loc) if model is not None else None
        if err["type"] == "string_pattern_mismatch":
            msg = f"{got!r} is not a valid value here" + (f"; write it like {example!r}" if example is not None
                                                         else "")
        else:
            if err["type"] not in ("missing", "value_error") and not isinstance(got, dict | list):
                msg += f" (got {got!r})"
            if example is not None and err["type"] not in ("literal_error", "value_error", "extra_forbidden"):
                msg += f"; e.g. {example!r}"
        yield Finding("schema", "error", msg, host=host, field=_loc((prefix, *loc)) if prefix else _loc(loc),
                      file=where)


def _validate_keeping_the_rest(model: Any, data: dict) -> tuple[Any, ValidationError | None]:
    """Validate; on errors, validate again without the top-level keys at fault, so one bad field does not
    throw away the others (the rules then see every good value and say nothing false)."""
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        first = exc
    bad = {e["loc"][0] for e in first.errors() if e["loc"]}
    rest = {k: v for k, v in data.items() if k not in bad}
    try:
        return model.model_validate(rest), first
    except ValidationError:
        return None, first


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
    findings.extend(_pod_placement(raw, roles, pod_vars, src))
    if pod_vars is None:
        findings.append(Finding("pod-settings", "error",
                                "no 'pod' variable: set the pod-wide settings under all.vars.pod "
                                "(see docs/inventory.md)", field="pod", file=src))
    elif not isinstance(pod_vars, dict):
        findings.append(Finding("pod-settings", "error",
                                f"'pod' must be a mapping of the pod-wide settings, not {type(pod_vars).__name__} "
                                "(see docs/inventory.md); e.g. pod: {name: pod1, networks: {...}}",
                                field="pod", file=origin_of(pod_vars, src)))
    else:
        settings, exc = _validate_keeping_the_rest(PodSettings, pod_vars)
        if exc is not None:
            findings.extend(_schema_findings(exc, pod_vars, "pod", None, origin_of(pod_vars, src), PodSettings))

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
        hvars, exc = _validate_keeping_the_rest(HostVars, {k: v for k, v in hv.items() if k in HOST_FIELDS})
        if exc is not None:
            findings.extend(_schema_findings(exc, hv, "", host, origin, HostVars))
        if hvars is None:
            hvars = HostVars.model_construct()  # keep the host so other rules still see it
        findings.extend(_typo_findings(host, hv, origin))
        role, unit = where[0]
        pod.hosts[host] = PodHost(name=host, role=role, unit=unit, vars=hvars, origin=origin)
    findings.extend(_group_findings(raw, roles, settings, src))
    return pod, findings


def _pod_placement(raw: RawInventory, roles: dict, pod_vars: Any, src: str):
    """`pod` belongs in group all: set in another group's vars, part of the pod would run without it."""
    misplaced = False
    for group, gvars in raw.group_vars.items():
        if group != "all" and "pod" in gvars:
            misplaced = True
            yield Finding("pod-settings", "error",
                          f"'pod' is set in the vars of group {group!r}, so hosts outside it do not see it; "
                          "move it to all.vars.pod", host=None, field=f"groups.{group}.vars.pod",
                          file=origin_of(gvars["pod"], src))
    if pod_vars is None or misplaced:
        return
    blind = [h for h in roles if raw.hosts.get(h, {}).get("pod") is None]
    if blind:
        shown = ", ".join(blind[:6]) + (f" and {len(blind) - 6} more" if len(blind) > 6 else "")
        yield Finding("pod-settings", "error",
                      f"{len(blind)} host(s) do not see the 'pod' settings ({shown}): they are set on a group or "
                      "host, not in group all; move them to all.vars.pod",
                      host=blind[0], field="pod", file=origin_of(pod_vars, src))


def _group_findings(raw: RawInventory, roles: dict, settings: PodSettings | None, src: str):
    """Hosts in no role group drop out of the pod unnoticed (a misspelt `dgxs:`): say so per group."""
    import difflib

    declared = set(settings.extra_groups) if settings else set()
    known = set(GROUP_ROLE) | {"all", "ungrouped"} | set(raw.children.get("ess", []))
    extra_hosts: set[str] = set()
    for g in declared:
        extra_hosts.update(_hosts_under(raw, g))
    # parents before children, so a misspelt `es:` is reported once, not again for its ess01
    order, seen, queue = [], set(), list(raw.children.get("all", []))
    while queue:
        g = queue.pop(0)
        if g not in seen:
            seen.add(g)
            order.append(g)
            queue.extend(raw.children.get(g, []))
    order += [g for g in raw.members if g not in seen]
    told: set[str] = set()
    for group in order:
        if group in known or group in declared:
            continue
        lost = [h for h in _hosts_under(raw, group) if h not in roles and h not in extra_hosts and h not in told]
        if not lost:
            continue  # a rack or site group over pod hosts: fine
        told.update(lost)
        close = difflib.get_close_matches(group, list(GROUP_ROLE), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield Finding("group-unknown", "error",
                      f"group {group!r} is not a role group ({', '.join(GROUP_ROLE)}) and its host(s) "
                      f"{', '.join(lost[:6])}{' ...' if len(lost) > 6 else ''} are in no role group, so they "
                      f"would drop out of the pod; {hint}(hosts outside the pod: list the group in "
                      "pod.extra_groups)", host=lost[0], field=f"groups.{group}", file=origin_of(lost[0], src))
    lone = [h for h in raw.members.get("ungrouped", []) if h not in roles and h not in extra_hosts and h not in told]
    if lone:
        yield Finding("group-unknown", "error",
                      f"host(s) {', '.join(lone[:6])} are in no role group, so they would drop out of the pod; "
                      f"put each under one of {', '.join(GROUP_ROLE)} (hosts outside the pod: a group listed in "
                      "pod.extra_groups)", host=lone[0], field="groups", file=origin_of(lone[0], src))


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
