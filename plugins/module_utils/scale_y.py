"""Parser for IBM Storage Scale `-Y` (machine readable) output.

Ansible module_utils style: stdlib only, pure functions, no deploy_pod imports.

Line shapes (see tests/fixtures/mm*_Y.*.txt):
  command:record:HEADER:version:reserved:reserved:field...:
  command:record:0:1:::value...:
Headers are keyed by (command, record); record may be empty (mmlsfs::, mmgetstate::).
Data lines are zipped with their header tolerantly: field counts drift between releases, so
missing trailing values become None-free empty strings and extra values are kept under
'_extra'. Values are percent-decoded (%3A -> ':', %2F -> '/'); '(undefined)' becomes None.
"""

from urllib.parse import unquote

UNDEFINED = "(undefined)"
_PREFIX_FIELDS = 6  # command, record, HEADER|0, version, reserved, reserved


def decode(value: str):
    """One -Y value: percent-decoded, '(undefined)' as None."""
    if value == UNDEFINED:
        return None
    return unquote(value)


def _split(line: str) -> list[str]:
    parts = line.rstrip("\r\n").split(":")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # every -Y line ends in ':'
    return parts


def parse(text: str) -> dict:
    """All records of a -Y output: {(command, record): [row dict, ...]} in output order.

    Lines that are not -Y lines (blank, warnings, truncated lines like 'mmlsdisk:invalid')
    are skipped; rows whose header has not been seen are skipped too.
    """
    headers: dict = {}
    out: dict = {}
    for line in text.splitlines():
        parts = _split(line)
        if len(parts) < 3 or not parts[0].startswith("mm"):
            continue
        key = (parts[0], parts[1])
        if parts[2] == "HEADER":
            headers[key] = parts[_PREFIX_FIELDS:]
            out.setdefault(key, [])
            continue
        fields = headers.get(key)
        if fields is None:
            continue
        out[key].append(zip_row(fields, parts[_PREFIX_FIELDS:]))
    return out


def zip_row(fields: list[str], values: list[str]) -> dict:
    row = {}
    for i, name in enumerate(fields):
        row[name] = decode(values[i]) if i < len(values) else ""
    if len(values) > len(fields):
        row["_extra"] = [decode(v) for v in values[len(fields):]]
    return row


def headers(text: str) -> dict:
    """{(command, record): [field names]} of every HEADER line, in order."""
    out = {}
    for line in text.splitlines():
        parts = _split(line)
        if len(parts) >= _PREFIX_FIELDS and parts[2] == "HEADER":
            out[(parts[0], parts[1])] = parts[_PREFIX_FIELDS:]
    return out


def records(text: str, command: str, record: str = "") -> list:
    """Rows of one record type, e.g. records(out, 'mmlscluster', 'clusterNode')."""
    return parse(text).get((command, record), [])
