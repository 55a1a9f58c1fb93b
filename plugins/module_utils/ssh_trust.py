# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""A user's SSH key pair, the public keys they trust and a managed known-hosts block, checked and
compared with what is on the host, and described.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/ssh_trust.py and the unit tests (tests/unit/test_ssh_trust.py).

The module replaces community.crypto.openssh_keypair, ansible.posix.authorized_key (exclusive=false)
and ansible.builtin.blockinfile with one call; what it must decide without touching the host lives
here: the key files and the ssh-keygen command lines, authorized_keys(5) lines (options, key type,
base64 blob, comment), which wanted keys are missing, the known-hosts file with the block put in
byte for byte as blockinfile puts it, and the diffs in the shapes Ansible's callbacks print.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

__all__ = [
    "SshTrustInputError",
    "KEY_TYPES",
    "key_paths",
    "keygen_argv",
    "pubkey_argv",
    "parse_key_line",
    "public_key_of",
    "check_keys",
    "missing_keys",
    "append_keys",
    "marker_lines",
    "replace_block",
    "text_diff",
    "created_dir_diff",
]

# option value -> ssh-keygen -t value; the file is id_<value>, as ssh(1) looks for it
KEY_TYPES = {"ed25519": "ed25519", "rsa": "rsa", "ecdsa": "ecdsa"}

# a key type is one word with a dash (ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com,
# ssh-rsa-cert-v01@openssh.com); no authorized_keys option is followed by a base64 word, so a line
# that starts "TYPE BLOB" has no options, as sshd decides by trying to read a key first
_KEY_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+]*-[A-Za-z0-9@._+-]*$")
_BLOB = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


class SshTrustInputError(ValueError):
    """Input the module cannot act on as meant; the message names the option (and index)."""


def key_paths(home: str, key_type: str) -> tuple[str, str]:
    """(private, public) key file of ``key_type`` under ``home``/.ssh."""
    private = os.path.join(home, ".ssh", f"id_{KEY_TYPES[key_type]}")
    return private, private + ".pub"


def keygen_argv(ssh_keygen: str, key_type: str, comment: str, path: str) -> list[str]:
    """A new key pair without a passphrase; -q: no randomart on stdout."""
    return [ssh_keygen, "-q", "-t", KEY_TYPES[key_type], "-N", "", "-C", comment, "-f", path]


def pubkey_argv(ssh_keygen: str, path: str) -> list[str]:
    """The public key of an existing private key. -P '': a key with a passphrase fails at once
    instead of waiting for one on a terminal."""
    return [ssh_keygen, "-y", "-P", "", "-f", path]


def _split_options(line: str) -> tuple[str, str] | None:
    """(options, rest) as sshd's sshkey_advance_past_options splits them: up to the first blank
    outside double quotes, \\" inside quotes being a literal quote. None for an unclosed quote."""
    quoted = False
    i = 0
    while i < len(line) and (quoted or line[i] not in " \t"):
        if line[i] == "\\" and line[i + 1:i + 2] == '"':
            i += 1
        elif line[i] == '"':
            quoted = not quoted
        i += 1
    if quoted:
        return None
    return line[:i], line[i:].lstrip(" \t")


def _type_blob_comment(text: str) -> tuple[str, str, str] | None:
    words = text.split(None, 2)
    if len(words) < 2 or not _KEY_TYPE.match(words[0]) or not _BLOB.match(words[1]):
        return None
    return words[0], words[1], words[2].strip() if len(words) == 3 else ""


def parse_key_line(line: str) -> dict | None:
    """One authorized_keys(5) or .pub line as {options, type, blob, comment}; None for a blank
    line, a comment or anything that is not a key (kept as it is by the module)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    found = _type_blob_comment(text)
    if found:
        return {"options": "", "type": found[0], "blob": found[1], "comment": found[2]}
    split = _split_options(text)
    if split is None or not split[0] or not split[1]:
        return None
    found = _type_blob_comment(split[1])
    if not found:
        return None
    return {"options": split[0], "type": found[0], "blob": found[1], "comment": found[2]}


def public_key_of(text: str) -> str | None:
    """'type blob' of the first key in a .pub file's text, without its comment (what
    community.crypto.openssh_keypair returns as public_key); None when there is none."""
    for line in text.splitlines():
        key = parse_key_line(line)
        if key and not key["options"]:
            return f"{key['type']} {key['blob']}"
    return None


def _blob_problem(key_type: str, blob: str) -> str | None:
    """Why the blob is not a key of its type (None when it is one), as far as can be told without
    knowing every type's layout: it is base64, its first field names the type, and (a plain key,
    not a certificate) it is wholly length-prefixed fields, so a paste cut short is caught."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "not base64"
    fields = []
    at = 0
    while at + 4 <= len(raw):
        size = int.from_bytes(raw[at:at + 4], "big")
        if at + 4 + size > len(raw):
            break
        fields.append(raw[at + 4:at + 4 + size])
        at += 4 + size
    if not fields:
        return "not a key"
    named = fields[0].decode("ascii", "replace")
    if named != key_type:
        return f"it names {named!r}"
    if "-cert-" in key_type:  # a certificate's later fields are not all length-prefixed
        return None
    if at != len(raw) or len(fields) < 2:
        return "it is cut short"
    return None


def check_keys(items: list | None) -> list[tuple[str, tuple[str, str]]]:
    """The wanted public keys as (line, (type, blob)), in order, each key once.

    An item is one key line ("type blob [comment]", options before the type allowed); an item of
    several lines (a joined list, a pasted authorized_keys) gives each of its keys, blank and #
    lines skipped. An item without a key, or a line that is not one (a blob that does not decode
    to its own type: a truncated paste), raises SshTrustInputError naming the index.
    """
    out: list[tuple[str, tuple[str, str]]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(items or []):
        where = f"authorized_keys[{index}]"
        if not isinstance(item, str):
            raise SshTrustInputError(f"{where} is a {type(item).__name__}, not a string")
        found = 0
        for raw in item.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key = parse_key_line(line)
            if key is None:
                raise SshTrustInputError(f"{where} {_short(line)!r} is not a public key line "
                                         "([options] type base64 [comment])")
            problem = _blob_problem(key["type"], key["blob"])
            if problem:
                raise SshTrustInputError(f"{where}: the {key['type']} key's base64 does not decode to a "
                                         f"{key['type']} key ({problem}; a truncated or mangled copy?)")
            found += 1
            ident = (key["type"], key["blob"])
            if ident not in seen:
                seen.add(ident)
                out.append((line, ident))
        if not found:
            raise SshTrustInputError(f"{where} has no key (leave it out of the list instead)")
    return out


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def missing_keys(existing: str | None, wanted: list[tuple[str, tuple[str, str]]]) -> list[str]:
    """The lines of ``wanted`` (from check_keys) whose type and blob no line of ``existing`` (the
    authorized_keys text, None when absent) has; options and comments are not compared, as
    ansible.posix.authorized_key does not compare them for exclusive=false."""
    have = set()
    for line in (existing or "").splitlines():
        key = parse_key_line(line)
        if key:
            have.add((key["type"], key["blob"]))
    return [line for line, ident in wanted if ident not in have]


def append_keys(existing: str | None, lines: list[str]) -> str:
    """``existing`` with ``lines`` appended one per line; a last line without its newline gets one
    first, so the first new key does not join it."""
    text = existing or ""
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(line + "\n" for line in lines)


def marker_lines(marker: str) -> tuple[bytes, bytes]:
    """The BEGIN and END marker lines (with their newline) as ansible.builtin.blockinfile makes
    them with marker_begin BEGIN and marker_end END."""
    if not isinstance(marker, str) or "{mark}" not in marker:
        raise SshTrustInputError(f"marker {marker!r} has no {{mark}} (where BEGIN and END go): the two "
                                 "marker lines would be the same")
    if "\n" in marker or "\r" in marker:
        raise SshTrustInputError(f"marker {marker!r} is more than one line")
    # blockinfile: re.sub(b'{mark}', b'BEGIN', marker); '{mark}' is no regex quantifier, a literal
    b_marker = marker.encode("utf-8", "surrogateescape")
    return b_marker.replace(b"{mark}", b"BEGIN") + b"\n", b_marker.replace(b"{mark}", b"END") + b"\n"


def replace_block(original: bytes | None, block: str, marker: str) -> bytes | None:
    """The file's content with the block between the marker lines, as ansible.builtin.blockinfile
    (insertafter EOF, no prepend/append_newline) writes it; an empty ``block`` removes it.

    Line for line blockinfile's algorithm on bytes, so a file it wrote is recognised: the last
    BEGIN and the last END line delimit the old block (only whole lines ending in a newline
    match), the new one takes its place or goes at the end, a block without a trailing newline
    gets one (one there is not doubled), and the line before the block gets a newline when it has
    none. ``original`` None: the file is missing; the result is None (stays missing) for an empty
    block, where blockinfile with create=true would make an empty file.
    """
    begin, end = marker_lines(marker)
    body = block.encode("utf-8", "surrogateescape")
    if original is None and not body:
        return None
    lines = original.splitlines(True) if original else []
    if body:
        if not body.endswith(b"\n"):
            body += b"\n"
        blocklines = [begin] + body.splitlines(True) + [end]
    else:
        blocklines = []
    n0 = n1 = None
    for i, line in enumerate(lines):
        if line == begin:
            n0 = i
        if line == end:
            n1 = i
    if n0 is None or n1 is None:
        n0 = len(lines)
    elif n0 < n1:
        del lines[n0:n1 + 1]
    else:
        del lines[n1:n0 + 1]
        n0 = n1
    if n0 > 0 and not lines[n0 - 1].endswith(b"\n"):
        lines[n0 - 1] += b"\n"
    lines[n0:n0] = blocklines
    return b"".join(lines)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "replace")  # a diff only shows it: no surrogates in the JSON


def text_diff(path: str, before: bytes | str | None, after: bytes | str | None) -> dict:
    """The before/after text diff of one file; None stands for a missing file (its header says so)."""
    return {"before_header": path if before is not None else f"{path} (absent)",
            "after_header": path if after is not None else f"{path} (absent)",
            "before": _text(before), "after": _text(after)}


def created_dir_diff(path: str) -> dict:
    """The file module's diff entry for a directory it creates."""
    return {"before_header": path, "after_header": path,
            "before": {"path": path, "state": "absent"}, "after": {"path": path, "state": "directory"}}
