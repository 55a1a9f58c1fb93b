# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Kernel module state: ``lsmod`` parsing and the modules-load.d file of one module.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/kernel_module.py and the unit tests (tests/unit/test_kmod.py).

``lsmod`` (kmod) prints a header and one line per loaded module, most recently loaded
first::

    Module                  Size  Used by
    nvidia_peermem         16384  0
    ib_uverbs             163840  2 nvidia_peermem,mlx5_ib
    nvidia              56463360  131 nvidia_uvm,nvidia_peermem,nvidia_modeset
    zfs                  3960832  6 [permanent]
    mlx_compat             16384  11 ib_core,mlx5_core,

The use count can exceed the holders listed (open file handles hold a module too), old
lsmod versions end the holder list with a comma, built-in-only and permanent modules show
``-`` or ``[permanent]``, and a module being loaded or unloaded shows ``[unsafe]`` or the
state in parentheses. Module names never contain a dash in ``lsmod`` output: the kernel
(and modprobe) treat ``-`` and ``_`` in module names as the same character.
"""

from __future__ import annotations

import re

__all__ = [
    "LsmodParseError",
    "normalize_name",
    "valid_name",
    "parse_lsmod",
    "is_loaded",
    "modules_load_content",
    "modules_load_lists",
]

_HEADER = re.compile(r"^\s*Module\s+Size\s+Used\s+by\s*$")
_LINE = re.compile(r"^(?P<name>\S+)\s+(?P<size>\d+)\s+(?P<count>-?\d+|-)(?:\s+(?P<rest>.*))?$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,55}$")  # MODULE_NAME_LEN is 56 including the NUL


class LsmodParseError(ValueError):
    """The text is not lsmod output."""


def normalize_name(name: str) -> str:
    """The kernel's spelling of a module name: ``nvidia-peermem`` -> ``nvidia_peermem``."""
    return str(name).strip().replace("-", "_")


def valid_name(name: str) -> bool:
    """True for a plain module name (no path, no .ko, no whitespace, no options)."""
    return bool(_NAME.match(str(name)))


def parse_lsmod(text: str) -> dict:
    """lsmod output -> {name: {"size": int, "use_count": int|None, "used_by": [names],
    "flags": [strings]}} in the order lsmod printed them.

    Raises LsmodParseError when a non-empty text has neither the header nor any module
    line, or a line is not a module line.
    """
    modules: dict = {}
    saw_header = False
    for lineno, raw in enumerate(str(text).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("# "):
            continue
        if _HEADER.match(line):
            saw_header = True
            continue
        m = _LINE.match(line)
        if not m:
            raise LsmodParseError(f"line {lineno} is not an lsmod line: {raw!r}")
        count = m.group("count")
        used_by: list[str] = []
        flags: list[str] = []
        for token in (m.group("rest") or "").split():
            if token.startswith("[") or token.startswith("("):
                flags.append(token.strip("[]()"))
                continue
            used_by.extend(h for h in token.split(",") if h and h != "-")
        modules[normalize_name(m.group("name"))] = {
            "size": int(m.group("size")),
            "use_count": None if count == "-" else int(count),
            "used_by": used_by,
            "flags": flags,
        }
    if not saw_header and not modules and str(text).strip():
        raise LsmodParseError("no lsmod header and no module lines")
    return modules


def is_loaded(modules: dict, name: str) -> bool:
    """True when ``name`` (any spelling) is among the parsed modules."""
    return normalize_name(name) in modules


def modules_load_content(name: str, header: str = "") -> str:
    """What /etc/modules-load.d/NAME.conf holds for one module: optional comment lines,
    then the module name (systemd-modules-load reads one name per line)."""
    lines = [f"# {line}" if line else "#" for line in str(header).splitlines()] if header else []
    lines.append(normalize_name(name))
    return "\n".join(lines) + "\n"


def modules_load_lists(text: str) -> list[str]:
    """Module names listed in a modules-load.d file (comments ``#``/``;`` and blanks skipped)."""
    out = []
    for raw in str(text).splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        out.append(normalize_name(line.split()[0]))
    return out
