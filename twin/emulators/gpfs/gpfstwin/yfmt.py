"""The -Y (machine readable) output of mm commands.

Layout learned from the captured samples in tests/fixtures/mm*_Y.*.txt:
  command:record:HEADER:version:reserved:reserved:field...:
  command:record:0:1:::value...:
Every line ends in ':'; values are percent-encoded so ':' never appears inside a field.
"""

from urllib.parse import quote

# characters IBM leaves alone in -Y values: letters, digits and the usual punctuation
_SAFE = " .,-_@()=+*;!#$&'[]{}<>?|~^`\"\\"


def encode(value) -> str:
    if value is None:
        return ""
    return quote(str(value), safe=_SAFE)


def header(command: str, record: str, fields: list[str]) -> str:
    return ":".join([command, record, "HEADER", "version", "reserved", "reserved", *fields]) + ":"


def row(command: str, record: str, values: list, version: int = 1) -> str:
    return ":".join([command, record, "0", str(version), "", "", *(encode(v) for v in values)]) + ":"


def table(command: str, record: str, fields: list[str], rows: list[list]) -> list[str]:
    return [header(command, record, fields)] + [row(command, record, r) for r in rows]
