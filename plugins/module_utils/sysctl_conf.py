# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""A sysctl.d(5) drop-in parsed, compared with the wanted kernel parameters and rewritten.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/sysctl_conf.py and the unit tests (tests/unit/test_sysctl_conf.py).

systemd-sysctl reads a file line by line: leading and trailing whitespace is stripped, blank
lines and lines starting with ``#`` or ``;`` are comments, the rest is ``key = value`` split at
the first ``=``. A key starting with ``-`` means: ignore a failure to set it (an unknown key).
When a key appears several times, the last line wins.

Keys name a file under /proc/sys. sysctl.d(5): "If the first separator is a slash, remaining
slashes and dots are left intact. If the first separator is a dot, dots and slashes are
interchanged", so ``net.ipv4.conf.enp3s0/200.forwarding`` and
``net/ipv4/conf/enp3s0.200/forwarding`` both mean /proc/sys/net/ipv4/conf/enp3s0.200/forwarding.
Keys are compared in the dotted form sysctl(8) prints (the first one).

Values are compared with runs of whitespace as one space: the kernel prints multi-number values
with tabs (/proc/sys/net/ipv4/tcp_rmem reads ``4096\\t131072\\t6291456``).
"""

from __future__ import annotations

import re

__all__ = [
    "SysctlInputError",
    "normalize_value",
    "key_parts",
    "canonical_key",
    "split_flag",
    "parse_sysctl_conf",
    "file_values",
    "check_values",
    "plan_file",
]

_WS = re.compile(r"[ \t]+")
_GLOB = re.compile(r"[*?\[\]]")


class SysctlInputError(ValueError):
    """A key or value the module cannot write or read back."""


def normalize_value(value) -> str:
    """A value as compared: stripped, runs of spaces and tabs as one space."""
    return _WS.sub(" ", str(value).strip())


def split_flag(key: str) -> tuple[bool, str]:
    """``-net.foo`` -> (True, 'net.foo'): the leading dash tells systemd-sysctl to ignore failures."""
    key = str(key).strip()
    if key.startswith("-"):
        return True, key[1:].strip()
    return False, key


def key_parts(key: str) -> list[str]:
    """The /proc/sys path components of a key (without its ``-`` flag), per sysctl.d(5)."""
    key = split_flag(key)[1]
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        return key.split("/")
    return [part.replace("/", ".") for part in key.split(".")]


def canonical_key(key: str) -> str:
    """The dotted form sysctl(8) prints: a dot inside a component (a VLAN interface) becomes '/'."""
    return ".".join(part.replace(".", "/") for part in key_parts(key))


def _check_key(key) -> str | None:
    """Why a key given to the module cannot be used, or None."""
    if not isinstance(key, str):
        return f"key {key!r} is not a string"
    if not split_flag(key)[1]:
        return f"key {key!r} is empty"
    if re.search(r"\s|=", key) or split_flag(key)[1].startswith("-"):
        return f"key {key!r} has whitespace, '=' or a second '-' in it"
    flag_less = split_flag(key)[1]
    if _GLOB.search(flag_less):
        return f"key {key!r} is a glob: give each parameter by its full name"
    if any(part in ("", ".", "..") for part in key_parts(flag_less)):
        return f"key {key!r} has an empty, '.' or '..' component"
    return None


def check_values(values: dict) -> dict:
    """The module's ``values`` checked and normalized: {key as given: value str or None}, in order.

    Raises SysctlInputError naming the key: a key that is not a plain parameter name, two keys
    for the same parameter (``net.a.b`` and ``net/a/b``), a value that is not a string or an
    integer (YAML ``yes`` is a bool: quote it), an empty value or one with a line break.
    """
    out: dict = {}
    seen: dict = {}
    for key, value in values.items():
        problem = _check_key(key)
        if problem:
            raise SysctlInputError(problem)
        canon = canonical_key(key)
        if canon in seen:
            raise SysctlInputError(f"keys {seen[canon]!r} and {key!r} are the same parameter {canon}")
        seen[canon] = key
        if value is None:
            out[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise SysctlInputError(f"value of {key!r} is a {type(value).__name__} ({value!r}): "
                                   "give a string, such as '1' or '4096 87380 6291456'")
        text = normalize_value(value)
        if not text:
            raise SysctlInputError(f"value of {key!r} is empty (null removes the key from the file)")
        if "\n" in text or "\r" in text:
            raise SysctlInputError(f"value of {key!r} has a line break")
        out[key] = text
    return out


def parse_sysctl_conf(text: str | None) -> list[dict]:
    """A sysctl.d file -> one dict per line, in order: {'line': the line without its newline,
    'key': canonical key or None (comment, blank, not an assignment), 'ignore': the ``-`` flag,
    'value': normalized value or None}. Lines without '=' are kept as they are (systemd-sysctl
    does not set anything for them)."""
    lines = []
    for raw in (text or "").splitlines():
        entry = {"line": raw, "key": None, "ignore": False, "value": None}
        stripped = raw.strip()
        if stripped and stripped[0] not in "#;" and "=" in stripped:
            key, _, value = stripped.partition("=")
            ignore, key = split_flag(key)
            if key:
                entry.update(key=canonical_key(key), ignore=ignore, value=normalize_value(value))
        lines.append(entry)
    return lines


def file_values(text: str | None) -> dict:
    """{canonical key: value} as systemd-sysctl would apply the file (the last line of a key wins)."""
    return {e["key"]: e["value"] for e in parse_sysctl_conf(text) if e["key"]}


def _render(key: str, value: str, ignore: bool) -> str:
    return f"{'-' if ignore else ''}{split_flag(key)[1]} = {value}"


def plan_file(text: str | None, values: dict, header: str = "") -> tuple[str | None, list[str], dict]:
    """The file with ``values`` (from check_values) applied.

    Returns (new text, keys changed in the file as given in ``values``, {key as given: whether
    its ``-`` flag is on in the new file}). The new text is None when the file does not exist
    and nothing is to be written, and ``text`` itself when nothing changes.

    Lines are kept in order; a key whose value or flag differs has its last line rewritten in
    place and its earlier lines (which systemd-sysctl overrides anyway) dropped; a null value
    drops every line of the key; missing keys are appended in the order given. A new file
    starts with ``header`` as a comment. The ``-`` flag of a line is kept unless the key given
    has one.
    """
    lines = parse_sysctl_conf(text)
    out: list[str | None] = [e["line"] for e in lines]
    appended: list[str] = []
    changed: list[str] = []
    ignore_flags: dict = {}
    for key, value in values.items():
        canon = canonical_key(key)
        flag = split_flag(key)[0]
        at = [i for i, e in enumerate(lines) if e["key"] == canon]
        if value is None:
            for i in at:
                out[i] = None
            if at:
                changed.append(key)
            continue
        if not at:
            ignore_flags[key] = flag
            appended.append(_render(key, value, flag))
            changed.append(key)
            continue
        last = lines[at[-1]]
        ignore_flags[key] = flag or last["ignore"]
        differs = last["value"] != value or last["ignore"] != ignore_flags[key]
        if differs:
            out[at[-1]] = _render(key, value, ignore_flags[key])
        for i in at[:-1]:
            out[i] = None
        if differs or len(at) > 1:
            changed.append(key)
    if not changed:
        return text, [], ignore_flags
    kept = [line for line in out if line is not None]
    if text is None and header:
        kept = [f"# {line}" if line else "#" for line in header.splitlines()] + kept
    kept += appended
    return "\n".join(kept) + "\n", changed, ignore_flags
