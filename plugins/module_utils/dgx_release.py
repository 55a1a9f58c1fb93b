# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Parser for /etc/dgx-release (DGX OS).

The file is KEY="value" lines written at install time; every OTA upgrade appends a
blank-line-separated block of DGX_OTA_VERSION / DGX_OTA_DATE, so the last OTA version is
the one running. Ansible module_utils style: stdlib only, pure functions.
"""

from __future__ import annotations

import re

__all__ = ["parse_dgx_release"]

_LINE = re.compile(r"""^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$""")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_dgx_release(text: str) -> dict:
    """-> {'fields': {KEY: value} of the install block (first value wins),
           'ota': [{'version', 'date'}] in file order,
           'name', 'pretty_name', 'platform', 'serial_number', 'commit_id',
           'swbuild_date', 'base_version' (DGX_SWBUILD_VERSION),
           'version' (last DGX_OTA_VERSION, else the base version),
           'major' (int of 'version', or None)}.
    Comments and blank lines are ignored; unknown keys stay in 'fields'."""
    fields: dict = {}
    ota: list[dict] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            continue
        key, value = m.group(1), _unquote(m.group(2))
        if key == "DGX_OTA_VERSION":
            ota.append({"version": value, "date": None})
        elif key == "DGX_OTA_DATE":
            if ota and ota[-1]["date"] is None:
                ota[-1]["date"] = value
            else:
                ota.append({"version": None, "date": value})
        else:
            fields.setdefault(key, value)
    base = fields.get("DGX_SWBUILD_VERSION")
    versions = [o["version"] for o in ota if o.get("version")]
    version = versions[-1] if versions else base
    major = None
    if version:
        m = re.match(r"^(\d+)", version)
        major = int(m.group(1)) if m else None
    return {
        "fields": fields,
        "ota": ota,
        "name": fields.get("DGX_NAME"),
        "pretty_name": fields.get("DGX_PRETTY_NAME"),
        "platform": fields.get("DGX_PLATFORM"),
        "serial_number": fields.get("DGX_SERIAL_NUMBER"),
        "commit_id": fields.get("DGX_COMMIT_ID"),
        "swbuild_date": fields.get("DGX_SWBUILD_DATE"),
        "base_version": base,
        "version": version,
        "major": major,
    }
