# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Directories and files a task owns, checked, compared with what is on the host, and described.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/managed_files.py and the unit tests (tests/unit/test_managed_files.py).

The module replaces a role's run of ansible.builtin.file/template/copy/stat tasks with one call;
what it must decide without touching the host lives here: the input (absolute paths, each path
once, octal modes as strings, a validate command with %s), which parent directories are missing,
what differs in content and attributes, and the diffs in the shapes Ansible's callbacks print
(the template module's before/after text, the file module's before/after dicts).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex

__all__ = [
    "ManagedFilesInputError",
    "parse_mode",
    "mode_text",
    "check_input",
    "validate_argv",
    "missing_dirs",
    "sha256_hex",
    "attribute_changes",
    "attribute_diff",
    "content_diff",
    "created_dir_diff",
]

_MODE = re.compile(r"^[0-7]{3,4}$")
# Python %-formatting as the template module applies it to validate: %% is a literal %, %s the path
_PERCENT = re.compile(r"%([%s])")


class ManagedFilesInputError(ValueError):
    """An entry the module cannot act on as meant; the message names the list, index and field."""


def parse_mode(value, where: str) -> int:
    """'0755' or '755' -> 0o755. Only a string: YAML reads an unquoted 0755 as the number 493 and
    755 as 755 (which is 0o1363), so a number is refused rather than guessed at."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ManagedFilesInputError(f"{where} {value!r} is a {type(value).__name__}: give the mode as a quoted "
                                     "octal string, such as '0755' (YAML reads 0755 unquoted as the number 493)")
    if not _MODE.match(value.strip()):
        raise ManagedFilesInputError(f"{where} {value!r} is not an octal mode of 3 or 4 digits, such as '0755'")
    return int(value.strip(), 8)


def mode_text(mode: int) -> str:
    """0o644 -> '0644', as the file module's diff prints a mode."""
    return f"0{mode:03o}"


def _path(value, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ManagedFilesInputError(f"{where} {value!r} is not a path")
    if not os.path.isabs(value):
        raise ManagedFilesInputError(f"{where} {value!r} is not an absolute path")
    if "\0" in value:
        raise ManagedFilesInputError(f"{where} {value!r} has a NUL character")
    return value


def _owner(value, where: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or re.search(r"\s|:", text):
        raise ManagedFilesInputError(f"{where} {value!r} is empty or has whitespace or ':' (one name or number)")
    return text


def _validate(value, where: str) -> str | None:
    if value is None:
        return None
    try:
        tokens = shlex.split(value)
    except ValueError as exc:
        raise ManagedFilesInputError(f"{where} {value!r} cannot be split as a command line: {exc}") from None
    if not tokens:
        raise ManagedFilesInputError(f"{where} is empty (leave it out to write without validating)")
    if not any(m.group(1) == "s" for t in tokens for m in _PERCENT.finditer(t)):
        raise ManagedFilesInputError(f"{where} {value!r} has no %s (where the temporary file's path goes)")
    return value


def check_input(directories: list | None, files: list | None, checksums_of: list | None) -> tuple[list, list, list]:
    """The module's lists checked and normalized.

    Returns (directories, files, checksums_of): directories as {path, mode (int), owner, group},
    files as {path, content (bytes, UTF-8), mode (int), owner, group, validate}, checksums_of as
    paths. Paths are kept as given (the result is keyed by them) but compared normalized: a path
    given twice across directories and files is refused. Raises ManagedFilesInputError naming the
    list, index and field (``files[2].mode '755x' ...``).
    """
    seen: dict = {}

    def claim(path: str, where: str) -> None:
        key = os.path.normpath(path)
        if key in seen:
            raise ManagedFilesInputError(f"{where} {path!r} is also {seen[key]}: give each path once")
        seen[key] = where

    dirs_out = []
    for index, entry in enumerate(directories or []):
        at = f"directories[{index}]"
        if not isinstance(entry, dict):
            raise ManagedFilesInputError(f"{at} is a {type(entry).__name__}, not a dict")
        path = _path(entry.get("path"), f"{at}.path")
        claim(path, f"{at}.path")
        dirs_out.append({"path": path, "mode": parse_mode(entry.get("mode"), f"{at}.mode"),
                         "owner": _owner(entry.get("owner"), f"{at}.owner"),
                         "group": _owner(entry.get("group"), f"{at}.group")})

    files_out = []
    for index, entry in enumerate(files or []):
        at = f"files[{index}]"
        if not isinstance(entry, dict):
            raise ManagedFilesInputError(f"{at} is a {type(entry).__name__}, not a dict")
        path = _path(entry.get("path"), f"{at}.path")
        claim(path, f"{at}.path")
        content = entry.get("content")
        if not isinstance(content, str):
            raise ManagedFilesInputError(f"{at}.content is a {type(content).__name__}, not a string")
        try:
            # surrogateescape: the bytes Ansible could not decode come back as they were
            data = content.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise ManagedFilesInputError(f"{at}.content cannot be written as UTF-8: {exc.reason} "
                                         f"at character {exc.start}") from None
        files_out.append({"path": path, "content": data, "mode": parse_mode(entry.get("mode"), f"{at}.mode"),
                          "owner": _owner(entry.get("owner"), f"{at}.owner"),
                          "group": _owner(entry.get("group"), f"{at}.group"),
                          "validate": _validate(entry.get("validate"), f"{at}.validate")})

    sums_out = [_path(path, f"checksums_of[{index}]") for index, path in enumerate(checksums_of or [])]
    return dirs_out, files_out, sums_out


def validate_argv(validate: str, path: str) -> list[str]:
    """The validate command as an argument vector with the temporary file's path for %s.

    Split first and substituted per word, so a path with spaces stays one argument (the template
    module substitutes into the string, then splits); %% is a literal %, other % sequences are
    left as they are.
    """
    return [_PERCENT.sub(lambda m: path if m.group(1) == "s" else "%", token) for token in shlex.split(validate)]


def missing_dirs(path: str, kind) -> list[str]:
    """The directories to create, top-down, for ``path`` to be a directory (mkdir -p).

    ``kind(p)`` says what is at p: 'dir', 'missing' or anything else (a file, a dangling link).
    Raises ManagedFilesInputError when something other than a directory is in the way.
    """
    path = os.path.normpath(path)
    out: list[str] = []
    while True:
        what = kind(path)
        if what == "dir":
            break
        if what != "missing":
            raise ManagedFilesInputError(f"{path} exists and is not a directory")
        out.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return out[::-1]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attribute_changes(current: dict, mode: int, uid: int | None, gid: int | None) -> dict:
    """What differs between ``current`` ({mode, uid, gid} of what is there) and the wanted
    attributes: {'mode': (before, after), 'owner': ..., 'group': ...}, modes as '0644' and owners
    as numbers, the way AnsibleModule.set_mode_if_different and its siblings report them.
    A uid or gid of None is left as it is."""
    out: dict = {}
    if current["mode"] != mode:
        out["mode"] = (mode_text(current["mode"]), mode_text(mode))
    if uid is not None and current["uid"] != uid:
        out["owner"] = (current["uid"], uid)
    if gid is not None and current["gid"] != gid:
        out["group"] = (current["gid"], gid)
    return out


def attribute_diff(path: str, changes: dict) -> dict:
    """The file module's diff entry for attribute changes (from attribute_changes)."""
    before = {"path": path, **{k: v[0] for k, v in changes.items()}}
    after = {"path": path, **{k: v[1] for k, v in changes.items()}}
    return {"before_header": path, "after_header": path, "before": before, "after": after}


def created_dir_diff(path: str) -> dict:
    """The file module's diff entry for a directory it creates."""
    return {"before_header": path, "after_header": path,
            "before": {"path": path, "state": "absent"}, "after": {"path": path, "state": "directory"}}


def _text(data: bytes | None) -> str | None:
    """The content as diff text; None for what a text diff would mangle (a NUL, not UTF-8)."""
    if data is None:
        return ""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def content_diff(path: str, before: bytes | None, after: bytes) -> dict:
    """The template module's diff entry for a file whose content changes (``before`` None: the
    file is created). Binary content is not shown: dst_binary/src_binary make the callback say
    'diff skipped', as it does for template and copy."""
    entry: dict = {"before_header": path, "after_header": path}
    old, new = _text(before), _text(after)
    if old is None:
        entry["dst_binary"] = 1
    if new is None:
        entry["src_binary"] = 1
    if old is not None and new is not None:
        entry.update(before=old, after=new)
    return entry
