# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Read-only checks of an IBM ESS canister (an appliance) against the plan.

deploy-pod never changes an appliance's OS: plugins/modules/appliance_check.py reads it and
these pure functions parse what was read and compare it with the plan. Ansible module_utils
style: stdlib only, no deploy_pod imports; unit-tested in tests/unit/test_appliance.py.

- parse_*: one command's output or one file's text -> data (chronyc -c, ip -j addr, /etc/hosts,
  chrony.conf, /proc/1/status, rpm -q --qf, dpkg-query -W, getent ahosts).
- *_mismatches: plan + parsed data -> [{field, found, planned}]; report() adds the fix hints
  and the human lines, failure_message() the task's message.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re

FACETS = ("time", "names", "mgmt", "ipoib", "level")
DEFAULT_PACKAGES = ("gpfs.gnr", "gpfs.base")
CAP_SYS_TIME = 25  # linux/capability.h
# RHEL's chronyd reads /etc/chrony.conf, Debian's /etc/chrony/chrony.conf (compiled-in defaults)
CHRONY_CONFS = ("/etc/chrony.conf", "/etc/chrony/chrony.conf")
MAX_NAME_LINES = 10  # more wrong names than this become one summary line
MAX_INCLUDE_DEPTH = 3

# Fix hints per facet. Placeholders in braces are filled from the plan; anything else in
# braces or angle brackets is left as written (the operator fills it in).
FIX = {
    "time": ("on {host}, point chrony at the pod's NTP servers ({ntp_servers}) as IBM's ESS procedure "
             "does: a `server NAME iburst` line each in the chrony configuration, then "
             "`systemctl restart chronyd` and `chronyc sources` to see one selected ('*')"),
    "names": ("add `ADDRESS NAME` lines to /etc/hosts on {host}, as the ESS Quick Deployment Guide keeps "
              "every node's management and high-speed names there (also on the EMS and in the ESS "
              "deployment container)"),
    "mgmt": ("set the management network of {host} with NetworkManager: `nmcli connection modify "
             "<connection> ipv4.method manual ipv4.addresses {mgmt_address}/{mgmt_prefix}` (and "
             "`ethernet.mtu {mgmt_mtu}` when the plan sets an MTU), then `nmcli connection up <connection>`"),
    "ipoib": ("rebuild the high-speed network from the ESS deployment container: `essrun -N {host} network "
              "--suffix=-ib` (its {host}-ib name must resolve to {ipoib_address}), or on {host}: "
              "`nmcli connection modify <connection> ipv4.addresses {ipoib_address}/{ipoib_prefix} "
              "infiniband.mtu {ipoib_mtu} infiniband.transport-mode {ipoib_mode}` and "
              "`nmcli connection up <connection>`"),
    "level": ("upgrade the ESS software with IBM's tooling from the ESS deployment container "
              "(`essrun -N {host} update --offline`), or lower the pod's Scale min_version "
              "(now {min_version})"),
}


class ReadError(Exception):
    """A read that could not be done (tool missing, unreadable output): 'unreadable: <why>'."""


# ---------------------------------------------------------------- results

def mismatch(field: str, found, planned) -> dict:
    return {"field": field, "found": str(found), "planned": str(planned)}


def render_fix(template: str, values: dict) -> str:
    """'{host}' -> values['host']; unknown or empty placeholders stay as written."""
    def sub(m):
        value = values.get(m.group(1))
        return m.group(0) if value in (None, "", []) else str(value)
    return re.sub(r"\{(\w+)\}", sub, template or "")


def report(host: str, mismatches: list, fixes: dict) -> tuple[list, list]:
    """(mismatches with their facet's fix, one human line each)."""
    out, lines = [], []
    for m in mismatches:
        fix = fixes.get(m["field"].split(".")[0]) or ""
        m = {**m, "fix": fix}
        out.append(m)
        line = f"{host}: {m['field']}: found {m['found']}; the plan says {m['planned']}."
        lines.append(f"{line} Fix: {fix}" if fix else line)
    return out, lines


def failure_message(host: str, lines: list) -> str:
    head = (f"{host} is an appliance (deploy-pod does not change it) and differs from the plan "
            f"in {len(lines)} field(s):")
    return "\n".join([head, *lines])


# ---------------------------------------------------------------- addresses and versions

def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(str(text).strip())
    except ValueError:
        return False
    return True


def same_address(a, b) -> bool:
    if a is None or b is None:
        return False
    try:
        return ipaddress.ip_address(str(a).strip()) == ipaddress.ip_address(str(b).strip())
    except ValueError:
        return str(a).strip().lower() == str(b).strip().lower()


def family(address: str) -> int:
    return 6 if ":" in str(address) else 4


def version_key(version: str) -> tuple:
    """Digit runs as integers, the Debian epoch dropped: '1:5.1.9-3' -> (5, 1, 9, 3).
    A GPFS package's release is its PTF, so 5.1.9-3 is Scale 5.1.9.3."""
    text = str(version or "")
    if re.match(r"^\d+:", text):
        text = text.split(":", 1)[1]
    return tuple(int(d) for d in re.findall(r"\d+", text))


def version_ge(found: str, minimum: str) -> bool:
    """5.1.9-3 >= 5.0.4; 5.0.10 > 5.0.9; missing components count as 0 (5.1 == 5.1.0)."""
    a, b = version_key(found), version_key(minimum)
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) >= b + (0,) * (width - len(b))


# ---------------------------------------------------------------- time

def has_capability(status_text: str | None, bit: int = CAP_SYS_TIME) -> bool | None:
    """The bit in CapBnd of a /proc/PID/status; None when the line is not there."""
    m = re.search(r"^CapBnd:\s*([0-9a-fA-F]+)\s*$", status_text or "", re.MULTILINE)
    if not m:
        return None
    return bool(int(m.group(1), 16) >> bit & 1)


def parse_chrony_conf(text: str) -> dict:
    """Sources and the directives that pull in more files. Directives are case-insensitive; a
    comment is a whole line starting with ! ; # or % (chrony's CPS_NormalizeLine)."""
    out = {"sources": [], "confdir": [], "sourcedir": [], "include": []}
    for raw in (text or "").splitlines():
        words = raw.split()
        if not words or words[0][0] in "!;#%":
            continue
        directive = words[0].lower()
        if directive in ("server", "pool", "peer") and len(words) > 1:
            out["sources"].append({"kind": directive, "host": words[1]})
        elif directive in ("confdir", "sourcedir"):
            out[directive] += words[1:]
        elif directive == "include" and len(words) > 1:
            out["include"].append(words[1])
    return out


def chrony_config(read, glob, paths=CHRONY_CONFS) -> dict:
    """The sources chronyd would use: the first config file of paths that exists, followed
    through confdir (*.conf), sourcedir (*.sources) and include (a glob) as chronyd does.
    read(path) -> text or None; glob(pattern) -> paths. {files, sources: [{kind, host, file}]}."""
    main = next((p for p in paths if read(p) is not None), None)
    files, sources, seen = [], [], set()

    def visit(path, depth):
        if path in seen:
            return
        text = read(path)
        if text is None:
            return
        seen.add(path)
        files.append(path)
        parsed = parse_chrony_conf(text)
        sources.extend({**s, "file": path} for s in parsed["sources"])
        if depth >= MAX_INCLUDE_DEPTH:
            return
        for pattern in parsed["include"]:
            for p in sorted(glob(pattern)):
                visit(p, depth + 1)
        for directive, suffix in (("confdir", ".conf"), ("sourcedir", ".sources")):
            # with several directories one name is taken from the first that has it
            by_name = {}
            for d in parsed[directive]:
                for p in glob(posixpath.join(d, "*" + suffix)):
                    by_name.setdefault(posixpath.basename(p), p)
            for name in sorted(by_name):
                visit(by_name[name], depth + 1)

    if main is not None:
        visit(main, 0)
    return {"files": files, "sources": sources}


def parse_chronyc_sources(text: str) -> list:
    """chronyc -c sources: mode (^ server, = peer, # refclock), state (* selected, + combined,
    - not combined, x falseticker, ~ jittery, ? unusable), address (CSV mode prints addresses,
    never DNS names), stratum, poll, reach (octal), last rx, offsets."""
    rows = []
    for line in (text or "").splitlines():
        f = line.strip().split(",")
        if len(f) < 3 or len(f[0]) != 1:
            continue
        row = {"mode": f[0], "state": f[1], "address": f[2],
               "stratum": _int(f[3]) if len(f) > 3 else None,
               "reach": _int(f[5], 8) if len(f) > 5 else None,
               "offset": _float(f[7]) if len(f) > 7 else None}
        rows.append(row)
    return rows


def parse_chronyc_tracking(text: str) -> dict | None:
    """chronyc -c tracking: one line of 14 fields (chrony 2.2 and later): reference ID (hex),
    reference address or name, stratum, ref time, system time offset (s), last offset, RMS
    offset, frequency, residual frequency, skew, root delay, root dispersion, update interval,
    leap status (Normal, Insert second, Delete second, Not synchronised)."""
    for line in (text or "").splitlines():
        f = line.strip().split(",")
        if len(f) >= 14:
            return {"ref_id": f[0], "reference": f[1], "stratum": _int(f[2]),
                    "system_time": _float(f[4]), "last_offset": _float(f[5]),
                    "leap": f[13].strip()}
    return None


def server_ids(ntp_servers: list, resolved: dict) -> set:
    """Every name and address the pod's NTP servers go by, lower case."""
    return {x.lower() for server in ntp_servers for x in [server, *(resolved.get(server) or [])]}


def time_mismatches(ntp_servers: list, resolved: dict, config: dict, can_run: bool | None,
                    tracking: dict | None, sources: list | None, max_offset: float,
                    chronyd_error: str | None = None) -> tuple[list, list]:
    """(mismatches, notes). resolved: name -> its addresses, for the planned and the configured
    servers (a server written as a name in one place and as an address in the other matches).
    tracking None with can_run not False means chronyd is not running (chronyd_error says why)."""
    out, notes = [], []
    planned = ", ".join(ntp_servers) or "(none)"
    pod_ids = server_ids(ntp_servers, resolved)

    configured = [s["host"] for s in config.get("sources") or []]
    hit = [h for h in configured
           if h.lower() in pod_ids or any(a.lower() in pod_ids for a in resolved.get(h) or [])]
    if not hit:
        if not config.get("files"):
            found = f"no chrony configuration ({' or '.join(CHRONY_CONFS)})"
        else:
            found = (", ".join(f"{s['kind']} {s['host']}" for s in config["sources"])
                     or f"no server, pool or peer in {', '.join(config['files'])}")
        out.append(mismatch("time.ntp_servers", found, planned))

    if can_run is False:
        notes.append("chronyd cannot set the clock here (no CAP_SYS_TIME in PID 1's bounding set: a "
                     "container whose clock is its host's), so only chrony's configuration was checked")
        return out, notes
    if can_run is None:
        notes.append("CapBnd of PID 1 was not readable; chronyd is assumed able to run")
    if tracking is None:
        out.append(mismatch("time.chronyd", f"chronyd not running ({chronyd_error or 'no tracking data'})",
                            f"chronyd running, synchronised to one of {planned}"))
        return out, notes

    selected = [s for s in sources or [] if s["state"] == "*"]
    if not selected:
        seen = ", ".join(f"{s['address']} ({s['state'].strip() or ' '})" for s in sources or []) or "none"
        out.append(mismatch("time.source", f"no selected source (sources: {seen})", f"one of {planned}"))
    elif selected[0]["address"].lower() not in pod_ids:
        out.append(mismatch("time.source", f"{selected[0]['address']} selected", f"one of {planned}"))
    if tracking.get("leap") != "Normal":
        out.append(mismatch("time.leap", tracking.get("leap") or "unknown", "Normal"))
    offset = tracking.get("system_time")
    if offset is None:
        out.append(mismatch("time.offset", "unreadable", f"within {max_offset:g} s"))
    elif abs(offset) > max_offset:
        out.append(mismatch("time.offset", f"{offset:+.6f} s", f"within {max_offset:g} s"))
    return out, notes


# ---------------------------------------------------------------- names

def parse_hosts(text: str) -> list:
    """/etc/hosts -> [(address, [canonical name, aliases...])] in file order; '#' starts a
    comment anywhere on a line."""
    entries = []
    for raw in (text or "").splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) >= 2 and is_ip(words[0]):
            entries.append((words[0], words[1:]))
    return entries


def hosts_addresses(entries: list, name: str, fam: int = 4) -> list:
    """Addresses of the lines naming name (case-insensitive, canonical or alias), of one
    address family, in file order: the first is what the resolver answers."""
    want = name.lower()
    out = []
    for address, names in entries:
        if family(address) == fam and want in (n.lower() for n in names) and address not in out:
            out.append(address)
    return out


def parse_getent_ahosts(text: str) -> list:
    """getent ahostsv4 NAME: 'ADDRESS  STREAM name' / 'ADDRESS  DGRAM' / 'ADDRESS  RAW' per
    address -> addresses in order, once each."""
    out = []
    for line in (text or "").splitlines():
        words = line.split()
        if words and is_ip(words[0]) and words[0] not in out:
            out.append(words[0])
    return out


def names_mismatches(hosts_entries: list, resolved: dict) -> list:
    """resolved: name -> (address or None, where it came from). One mismatch per wrong name;
    more than MAX_NAME_LINES become one."""
    wrong = []
    for entry in hosts_entries:
        for name in entry.get("names") or []:
            address, _ = resolved.get(name) or (None, None)
            if not same_address(address, entry["address"]):
                wrong.append((name, address, entry["address"]))
    if len(wrong) > MAX_NAME_LINES:
        listed = ", ".join(f"{n} -> {a or 'unresolved'} (not {p})" for n, a, p in wrong)
        return [mismatch("names", f"{len(wrong)} names resolve elsewhere or not at all: {listed}",
                         "every pod name resolves to its planned address")]
    return [mismatch(f"names.{n}", a or "no address (not in /etc/hosts, not resolvable)", p)
            for n, a, p in wrong]


# ---------------------------------------------------------------- interfaces

def parse_ip_addr(text: str) -> list:
    """ip -j addr show [dev IFACE] -> [{name, flags, mtu, operstate, link_type, kind, master,
    inet: [(address, prefix)]}]. Entries without ifname (iproute2 prints {} for filtered-out
    links) are skipped. Raises ReadError when the text is not ip's JSON."""
    try:
        data = json.loads(text or "[]")
    except ValueError as exc:
        raise ReadError(f"ip -j addr: not JSON ({exc}); iproute2 4.13 or later is needed") from exc
    out = []
    for link in data if isinstance(data, list) else []:
        if not isinstance(link, dict) or not link.get("ifname"):
            continue
        inet = [(a.get("local"), a.get("prefixlen")) for a in link.get("addr_info") or []
                if a.get("family") in ("inet", "inet6") and a.get("local")]
        out.append({"name": link["ifname"], "flags": link.get("flags") or [], "mtu": link.get("mtu"),
                    "operstate": link.get("operstate"), "link_type": link.get("link_type"),
                    "kind": (link.get("linkinfo") or {}).get("info_kind"), "master": link.get("master"),
                    "inet": inet})
    return out


def link_up(iface: dict) -> bool:
    """operstate UP, or UNKNOWN with LOWER_UP (virtual devices that do not report a state)."""
    state = iface.get("operstate")
    return state == "UP" or (state == "UNKNOWN" and "LOWER_UP" in iface.get("flags", []))


def _state(iface: dict) -> str:
    return f"{iface.get('operstate')} ({','.join(iface.get('flags') or [])}) on {iface['name']}"


def _addresses(iface: dict, fam: int = 4) -> list:
    return [f"{a}/{p}" for a, p in iface["inet"] if family(a) == fam]


def mgmt_mismatches(plan: dict, ifaces: list) -> list:
    """The interface holding plan.address: allowed (one of plan.interfaces, or bond0, when
    that list is not empty), the planned prefix, link up, the planned MTU (when set)."""
    address, prefix, mtu = plan["address"], plan["prefix"], plan.get("mtu")
    allowed = list(plan.get("interfaces") or [])
    if allowed and "bond0" not in allowed:
        allowed.append("bond0")
    where = f"{address}/{prefix}" + (f" on {' or '.join(allowed)}" if allowed else "")
    holders = [i for i in ifaces if any(same_address(a, address) for a, _ in i["inet"])]
    if not holders:
        here = ", ".join(f"{a} on {i['name']}" for i in ifaces if i["name"] != "lo"
                         for a in _addresses(i, family(address))) or "no address"
        return [mismatch("mgmt.address", f"not on any interface ({here})", where)]
    fits = [i for i in holders if not allowed or i["name"] in allowed]
    iface = (fits or holders)[0]
    out = []
    if not fits:
        out.append(mismatch("mgmt.interface", f"{address} on {iface['name']}", f"on {' or '.join(allowed)}"))
    found_prefix = next(p for a, p in iface["inet"] if same_address(a, address))
    if found_prefix != prefix:
        out.append(mismatch("mgmt.prefix", f"{address}/{found_prefix} on {iface['name']}", f"{address}/{prefix}"))
    if not link_up(iface):
        out.append(mismatch("mgmt.state", _state(iface), "UP"))
    if mtu is not None and iface.get("mtu") != mtu:
        out.append(mismatch("mgmt.mtu", f"{iface.get('mtu')} on {iface['name']}", mtu))
    return out


def ipoib_mismatches(plan: dict, iface: dict | None, mode: str | None) -> list:
    """plan.interface exists, holds plan.address/prefix, is up, has the planned MTU (when set);
    on an infiniband link its /sys/class/net/IFACE/mode (mode, None when unreadable) is the
    planned one. Other link types (a twin's Ethernet stand-in) have no IPoIB mode."""
    name, address, prefix = plan["interface"], plan["address"], plan["prefix"]
    if iface is None:
        return [mismatch("ipoib.interface", f"no interface {name}", f"{name} with {address}/{prefix}")]
    out = []
    found = next((p for a, p in iface["inet"] if same_address(a, address)), None)
    if found is None:
        here = ", ".join(_addresses(iface, family(address))) or "no address"
        out.append(mismatch("ipoib.address", f"{here} on {name}", f"{address}/{prefix} on {name}"))
    elif found != prefix:
        out.append(mismatch("ipoib.prefix", f"{address}/{found} on {name}", f"{address}/{prefix}"))
    if plan.get("mtu") is not None and iface.get("mtu") != plan["mtu"]:
        out.append(mismatch("ipoib.mtu", f"{iface.get('mtu')} on {name}", plan["mtu"]))
    if not link_up(iface):
        out.append(mismatch("ipoib.state", _state(iface), "UP"))
    if iface.get("link_type") == "infiniband":
        want = plan.get("mode") or "datagram"
        if mode is None:
            out.append(mismatch("ipoib.mode", f"unreadable (/sys/class/net/{name}/mode)", want))
        elif mode.strip() != want:
            out.append(mismatch("ipoib.mode", f"{mode.strip()} on {name}", want))
    return out


# ---------------------------------------------------------------- level

def parse_rpm_versions(text: str) -> list:
    """rpm -q --qf '%{VERSION}-%{RELEASE}\\n' PKG: one line per installed version; 'package PKG
    is not installed' is none."""
    return [line.strip() for line in (text or "").splitlines()
            if line.strip() and " " not in line.strip() and re.match(r"^\d", line.strip())]


def parse_dpkg_versions(text: str) -> list:
    """dpkg-query -W -f='${Status}\\t${Version}\\n' PKG: versions whose status is installed
    (a removed package that kept its config files is listed, not installed)."""
    out = []
    for line in (text or "").splitlines():
        status, _, version = line.partition("\t")
        if status.split()[-1:] == ["installed"] and version.strip():
            out.append(version.strip())
    return out


def newest(versions: list) -> str | None:
    return max(versions, key=version_key) if versions else None


def level_mismatches(packages: list, versions: dict, min_version: str) -> list:
    """versions: package -> installed version or None (not installed)."""
    out = []
    for pkg in packages:
        found = versions.get(pkg)
        if found is None:
            out.append(mismatch(f"level.{pkg}", "not installed", f"{pkg} {min_version} or later"))
        elif not version_ge(found, min_version):
            out.append(mismatch(f"level.{pkg}", f"{pkg} {found}", f"{pkg} {min_version} or later"))
    return out


# ---------------------------------------------------------------- helpers

def _int(text, base: int = 10):
    try:
        return int(str(text).strip(), base)
    except (TypeError, ValueError):
        return None


def _float(text):
    try:
        return float(str(text).strip())
    except (TypeError, ValueError):
        return None
