# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""A pam_limits drop-in (limits.conf(5)) parsed, compared with the wanted entries and rewritten.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/limits_conf.py and the unit tests (tests/unit/test_limits_conf.py).

pam_limits reads one ``<domain> <type> <item> <value>`` per line, fields separated by spaces or
tabs; everything from a ``#`` to the end of the line is a comment. An entry is known by its
(domain, type, item); for the same one the last line read wins.
"""

from __future__ import annotations

import re

__all__ = [
    "LIMIT_ITEMS",
    "LIMIT_TYPES",
    "LimitsInputError",
    "entry_text",
    "check_entries",
    "parse_limits_conf",
    "plan_file",
]

# limits.conf(5), Linux-PAM 1.5
LIMIT_ITEMS = ("core", "data", "fsize", "memlock", "nofile", "rss", "stack", "cpu", "nproc", "as",
               "maxlogins", "maxsyslogins", "nonewprivs", "priority", "locks", "sigpending", "msgqueue",
               "nice", "rtprio", "chroot")
LIMIT_TYPES = ("soft", "hard", "-")

# the four fields of an entry line and where its value sits, so a rewrite keeps the separators
# and a trailing comment
_ENTRY = re.compile(r"^(?P<lead>\s*(?P<domain>[^\s#]+)\s+(?P<type>[^\s#]+)\s+(?P<item>[^\s#]+)\s+)"
                    r"(?P<value>[^\s#]+)(?P<tail>\s*(?:#.*)?)$")
_NUMBER = re.compile(r"^-?\d+$")


class LimitsInputError(ValueError):
    """An entry given to the module that pam_limits would not read as meant."""


def entry_text(entry: dict) -> str:
    """'domain type item value', as the module reports a changed entry."""
    return f"{entry['domain']} {entry['limit_type']} {entry['limit_item']} {entry['value']}"


def _field(entry: dict, name: str, index: int) -> str:
    value = entry.get(name)
    if value is None:
        raise LimitsInputError(f"entries[{index}].{name} is missing")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LimitsInputError(f"entries[{index}].{name} is a {type(value).__name__} ({value!r}), not a string")
    text = str(value).strip()
    if not text or re.search(r"\s|#", text):
        raise LimitsInputError(f"entries[{index}].{name} {value!r} is empty or has whitespace or '#' "
                               "(pam_limits splits fields at whitespace and drops what follows '#')")
    return text


def check_entries(entries: list) -> list[dict]:
    """The module's ``entries`` checked and normalized to {domain, limit_type, limit_item, value}
    strings. Raises LimitsInputError naming the entry index and field; two entries for the same
    (domain, type, item) are refused (which one was meant?)."""
    out: list[dict] = []
    seen: dict = {}
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            raise LimitsInputError(f"entries[{index}] is a {type(entry).__name__}, not a dict")
        unknown = sorted(set(entry) - {"domain", "limit_type", "limit_item", "value"})
        if unknown:
            raise LimitsInputError(f"entries[{index}] has unknown keys: {', '.join(map(str, unknown))}")
        domain = _field(entry, "domain", index)
        limit_type = _field(entry, "limit_type", index)
        if limit_type not in LIMIT_TYPES:
            raise LimitsInputError(f"entries[{index}].limit_type {limit_type!r} is not one of {', '.join(LIMIT_TYPES)}")
        item = _field(entry, "limit_item", index)
        if item not in LIMIT_ITEMS:
            raise LimitsInputError(f"entries[{index}].limit_item {item!r} is not a limits.conf item "
                                   f"({', '.join(LIMIT_ITEMS)})")
        value = _field(entry, "value", index)
        # pam_limits ignores a line whose value it cannot read; chroot takes a directory
        if item != "chroot" and not _NUMBER.match(value) and value.lower() not in ("unlimited", "infinity"):
            raise LimitsInputError(f"entries[{index}].value {value!r} is not an integer, unlimited or infinity")
        key = (domain, limit_type, item)
        if key in seen:
            raise LimitsInputError(f"entries[{seen[key]}] and entries[{index}] are both for "
                                   f"{domain} {limit_type} {item}")
        seen[key] = index
        out.append({"domain": domain, "limit_type": limit_type, "limit_item": item, "value": value})
    return out


def parse_limits_conf(text: str | None) -> list[dict]:
    """A limits.conf file -> one dict per line, in order: {'line': the line without its newline,
    'key': (domain, type, item) or None (comment, blank, not four fields), 'value': str or None,
    'match': the regex match of an entry line}."""
    lines = []
    for raw in (text or "").splitlines():
        m = _ENTRY.match(raw)
        if m:
            lines.append({"line": raw, "key": (m["domain"], m["type"], m["item"]), "value": m["value"], "match": m})
        else:
            lines.append({"line": raw, "key": None, "value": None, "match": None})
    return lines


def plan_file(text: str | None, entries: list[dict], comment: str = "") -> tuple[str | None, list[str]]:
    """The file with ``entries`` (from check_entries) in it.

    Returns (new text, 'domain type item value' of each entry added or changed, in the order
    given). The new text is None when the file does not exist and there is nothing to write, and
    ``text`` itself when nothing changes.

    Lines are kept in order; an entry whose value differs has the value of its last line replaced
    in place (separators and a trailing comment kept) and its earlier lines dropped; missing
    entries are appended, tab separated. A new file starts with ``comment`` as a comment line.
    """
    lines = parse_limits_conf(text)
    out: list[str | None] = [e["line"] for e in lines]
    appended: list[str] = []
    changed: list[str] = []
    for entry in entries:
        key = (entry["domain"], entry["limit_type"], entry["limit_item"])
        at = [i for i, e in enumerate(lines) if e["key"] == key]
        if not at:
            appended.append("\t".join((*key, entry["value"])))
            changed.append(entry_text(entry))
            continue
        last = lines[at[-1]]
        if last["value"] != entry["value"]:
            out[at[-1]] = last["match"]["lead"] + entry["value"] + last["match"]["tail"]
        for i in at[:-1]:
            out[i] = None
        if last["value"] != entry["value"] or len(at) > 1:
            changed.append(entry_text(entry))
    if not changed:
        return text, []
    kept = [line for line in out if line is not None]
    if text is None and comment:
        kept = [f"# {line}" if line else "#" for line in comment.splitlines()] + kept
    return "\n".join(kept + appended) + "\n", changed
