# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""The package database in one query: ``dpkg-query`` and ``rpm -qa`` parsing, and which packages
a hold touches.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions, shared by
plugins/modules/package_state.py, plugins/modules/package_hold.py and the unit tests
(tests/unit/test_pkgdb.py).

``dpkg-query -W -f '${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n'`` prints one line
per package dpkg knows (installed, half-installed or only its configuration files left)::

    gpfs.base       5.1.9-2 hi
    libc6:amd64     2.35-0ubuntu3.6 ii
    libc6:i386      2.35-0ubuntu3.6 ii
    linux-image-5.15.0-91-generic   5.15.0-91.101   rc

``${binary:Package}`` carries ``:ARCH`` for Multi-Arch: same packages. ``${db:Status-Abbrev}`` is
three characters (dpkg's lib/dpkg/pkg-show.c): the selection (want) from ``uihrp``, the status
from ``ncHUFWti`` (upper case for the interrupted states) and the error flag from `` R``.

``rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'`` prints one line per installed
package; a name can be installed in several versions (kernels) or arches (glibc x86_64 + i686).
"""

from __future__ import annotations

import fnmatch
import re

__all__ = [
    "DPKG_QUERY_FORMAT",
    "RPM_QUERY_FORMAT",
    "PkgdbParseError",
    "parse_dpkg_query",
    "parse_rpm_qa",
    "installed_names",
    "installed_versions",
    "rpm_version_key",
    "hold_candidates",
    "to_select",
    "to_hold",
    "selection_targets",
    "selections_text",
]

DPKG_QUERY_FORMAT = "${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n"
RPM_QUERY_FORMAT = "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"

# dpkg's names: the selections as dpkg --get-selections prints them, the statuses as dpkg -s does
WANT = {"u": "unknown", "i": "install", "h": "hold", "r": "deinstall", "p": "purge"}
STATUS = {"n": "not-installed", "c": "config-files", "h": "half-installed", "u": "unpacked",
          "f": "half-configured", "w": "triggers-awaited", "t": "triggers-pending", "i": "installed"}
# triggers only wait for another package's postinst: the files are there and configured
INSTALLED = frozenset({"installed", "triggers-pending", "triggers-awaited"})


class PkgdbParseError(ValueError):
    """The text is not the query output the module asked for."""


def _strip_arch(binary: str) -> str:
    return binary.split(":", 1)[0]


def parse_dpkg_query(text: str) -> dict:
    """dpkg-query output (DPKG_QUERY_FORMAT) -> {name: {"version", "want", "status", "installed",
    "binaries": {binary:Package: want}}}, names without ``:arch``.

    Arch instances of one name are merged: the record describes an installed instance when there
    is one, ``want`` is ``hold`` only when every instance counted is held, and ``binaries`` holds
    the installed instances (all instances when none is installed) with their own selection, so a
    caller can change exactly those.

    Raises PkgdbParseError on a line that is not three tab-separated fields with a known status.
    """
    instances: dict[str, list[dict]] = {}
    for lineno, raw in enumerate(str(text).splitlines(), 1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) != 3 or not fields[0].strip():
            raise PkgdbParseError(f"line {lineno} is not 'package<TAB>version<TAB>status': {raw!r}")
        binary, version, abbrev = fields[0].strip(), fields[1].strip(), fields[2]
        abbrev = abbrev.ljust(3)  # the error flag is a space: gone when someone stripped the text
        want, status = WANT.get(abbrev[0]), STATUS.get(abbrev[1].lower())
        if want is None or status is None or abbrev[2] not in " R":
            raise PkgdbParseError(f"line {lineno}: {abbrev.strip()!r} is not a dpkg status abbreviation: {raw!r}")
        instances.setdefault(_strip_arch(binary), []).append({
            "binary": binary, "version": version, "want": want, "status": status,
            "installed": status in INSTALLED,
        })
    packages = {}
    for name, rows in instances.items():
        counted = [r for r in rows if r["installed"]] or rows
        first = counted[0]
        wants = [r["want"] for r in counted]
        packages[name] = {
            "version": first["version"],
            "want": "hold" if all(w == "hold" for w in wants) else next(w for w in wants if w != "hold"),
            "status": first["status"],
            "installed": first["installed"],
            "binaries": {r["binary"]: r["want"] for r in counted},
        }
    return packages


_RPM_SEGMENT = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")


def _rpm_segments(text: str) -> list:
    # rpmvercmp as a sort key: ~ sorts below the end of the string, ^ above it but below any
    # further segment, letters below digits; numbers compare as numbers
    key: list = []
    for seg in _RPM_SEGMENT.findall(text):
        if seg == "~":
            key.append((0,))
        elif seg == "^":
            key.append((2,))
        elif seg.isdigit():
            key.append((4, int(seg)))
        else:
            key.append((3, seg))
    key.append((1,))
    return key


def rpm_version_key(version_release: str) -> tuple:
    """Sort key for ``VERSION-RELEASE`` in rpm's order (rpmvercmp on the version, then on the
    release); enough for the versions of one name, epochs aside."""
    version, _, release = str(version_release).rpartition("-")
    if not version:
        version, release = release, ""
    return (_rpm_segments(version), _rpm_segments(release))


def parse_rpm_qa(text: str) -> dict:
    """rpm -qa output (RPM_QUERY_FORMAT) -> {name: {"versions": [VERSION-RELEASE, oldest first,
    unique], "arches": [sorted unique]}}.

    Raises PkgdbParseError on a line that is not three tab-separated fields.
    """
    seen: dict[str, tuple[set, set]] = {}
    for lineno, raw in enumerate(str(text).splitlines(), 1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) != 3 or not fields[0].strip() or not fields[1].strip():
            raise PkgdbParseError(f"line {lineno} is not 'name<TAB>version-release<TAB>arch': {raw!r}")
        versions, arches = seen.setdefault(fields[0].strip(), (set(), set()))
        versions.add(fields[1].strip())
        arches.add(fields[2].strip())
    return {name: {"versions": sorted(v, key=rpm_version_key), "arches": sorted(a)}
            for name, (v, a) in seen.items()}


def installed_names(packages: dict) -> list[str]:
    """Names of the installed packages of a parse_dpkg_query/parse_rpm_qa result, sorted."""
    return sorted(n for n, p in packages.items() if p.get("installed", True))


def installed_versions(packages: dict) -> dict:
    """{name: version} of the installed packages; for rpm the highest installed version."""
    out = {}
    for name in installed_names(packages):
        p = packages[name]
        out[name] = p["versions"][-1] if "versions" in p else p["version"]
    return out


def hold_candidates(installed, patterns, names) -> list[str]:
    """Installed names matching any fnmatch pattern (``gpfs.*``, ``linux-image-*``), plus the exact
    ``names`` that are installed; sorted, unique. Package names are lower case: the match is
    case-sensitive, as dpkg's own patterns."""
    installed = set(installed)
    out = {n for n in installed if any(fnmatch.fnmatchcase(n, p) for p in patterns or [])}
    out.update(_strip_arch(n) for n in names or [] if _strip_arch(n) in installed)
    return sorted(out)


def to_select(candidates, packages: dict, selection: str = "hold") -> list[str]:
    """The candidates whose selection a task must change: for ``hold`` those not on hold yet, for
    ``install`` (un-hold) those on hold. A deinstall/purge selection is not a hold: left alone."""
    if selection == "hold":
        return [n for n in candidates if packages[n]["want"] != "hold"]
    return [n for n in candidates if any(w == "hold" for w in packages[n]["binaries"].values())]


def to_hold(candidates, packages: dict) -> list[str]:
    """The candidates not on hold yet."""
    return to_select(candidates, packages, "hold")


def selection_targets(names, packages: dict, selection: str = "hold") -> list[str]:
    """The binary packages (``libc6:i386`` where dpkg qualifies them) of ``names`` whose own
    selection differs from ``selection``: what apt-mark or dpkg --set-selections is given."""
    out = []
    for name in names:
        for binary, want in packages[name]["binaries"].items():
            if (want != "hold") if selection == "hold" else (want == "hold"):
                out.append(binary)
    return out


def selections_text(names, packages: dict, selection: str | None = None) -> str:
    """dpkg --get-selections style lines (``name<TAB>want``) for a diff; ``selection`` replaces
    every want (the state after the task)."""
    return "".join(f"{n}\t{selection or packages[n]['want']}\n" for n in names)
