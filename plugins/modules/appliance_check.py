#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: appliance_check
short_description: Check an IBM ESS canister's OS against the plan without changing it
description:
  - ESS canisters are IBM appliances; deploy-pod does not change their OS. This module reads
    what the pod depends on and compares it with the plan; every difference comes back as a
    mismatch with a fix hint that names IBM's tooling, and the task fails.
  - Only the facets in O(checks) are read.
  - C(time) reads the bounding set of PID 1 (C(CapBnd) in C(/proc/1/status)) to tell whether
    chronyd can run at all (it needs CAP_SYS_TIME), and the chrony configuration
    (C(/etc/chrony.conf), else C(/etc/chrony/chrony.conf), with the files its C(confdir),
    C(sourcedir) and C(include) directives pull in). None of O(ntp_servers) among its
    C(server), C(pool) and C(peer) lines is a mismatch. Where chronyd can run,
    C(chronyc -c tracking) and C(chronyc -c sources) must show a pod NTP server selected
    (C(*)), leap status C(Normal) and an offset within O(max_offset); chronyd not running is a
    mismatch. Where it cannot (a container whose clock is its host's), only the configuration
    is checked and RV(notes) says so.
  - C(names) resolves every name of O(hosts_entries) as the resolver does, from
    C(/etc/hosts) first (the first line naming it wins), else with C(getent ahostsv4) (DNS
    is fine), and compares the address with the plan. More than 10 wrong names make one line.
  - C(mgmt) reads C(ip -j addr show); the interface holding O(mgmt.address) must be one of
    O(mgmt.interfaces) (or C(bond0)) when that list is given, have the planned prefix, be up
    (C(UP), or C(UNKNOWN) with C(LOWER_UP) for virtual devices) and have O(mgmt.mtu) when set.
  - C(ipoib) reads C(ip -j addr show dev) O(ipoib.interface), which must exist, hold the planned
    address and prefix, be up and have O(ipoib.mtu) when set; on an C(infiniband) link
    C(/sys/class/net/IFACE/mode) must be O(ipoib.mode) (other link types have no IPoIB mode).
  - C(level) reads each of O(packages) with C(rpm -q --qf) where rpm answers, else with
    C(dpkg-query -W); each must be installed at O(min_version) or later (numeric components,
    the package release counted as the next one, so C(5.1.9-3) is 5.1.9.3).
  - A read that cannot be done (a tool missing, output that cannot be parsed) is a mismatch
    whose found value is C(unreadable) and the reason.
  - Reads state only; never reports a change, and runs the same in check mode.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  checks:
    description: Facets to read and compare.
    type: list
    elements: str
    choices: [time, names, mgmt, ipoib, level]
    required: true
  host:
    description:
      - The host's inventory name, used in the messages and the fix hints. Pass
        C({{ inventory_hostname }}). Defaults to the short hostname.
    type: str
  ntp_servers:
    description: The pod's NTP servers, names or addresses. Required for C(time).
    type: list
    elements: str
    default: []
  hosts_entries:
    description: Every pod name and the address it must resolve to (for C(names)).
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: The planned address.
        type: str
        required: true
      names:
        description: Names that must resolve to it.
        type: list
        elements: str
        required: true
  mgmt:
    description: The planned management network of this host. Required for C(mgmt).
    type: dict
    suboptions:
      address:
        description: Management address.
        type: str
        required: true
      prefix:
        description: Its prefix length.
        type: int
        required: true
      mtu:
        description: Planned MTU; not compared when null.
        type: int
      interfaces:
        description:
          - Interfaces that may hold the address (C(bond0) is always accepted too); empty
            accepts any interface.
        type: list
        elements: str
        default: []
  ipoib:
    description: The planned IPoIB (high-speed) interface. Required for C(ipoib).
    type: dict
    suboptions:
      interface:
        description: Interface name, for example C(ib0).
        type: str
        required: true
      address:
        description: Its address.
        type: str
        required: true
      prefix:
        description: Its prefix length.
        type: int
        required: true
      mtu:
        description: Planned MTU; not compared when null.
        type: int
      mode:
        description: IPoIB mode, compared on C(infiniband) links only.
        type: str
        choices: [datagram, connected]
        default: datagram
  min_version:
    description: Minimum Storage Scale level, for example C(5.1.9). Required for C(level).
    type: str
  packages:
    description: Packages that must be installed at O(min_version) or later.
    type: list
    elements: str
    default: [gpfs.gnr, gpfs.base]
  max_offset:
    description: Largest accepted system clock offset from NTP time, in seconds.
    type: float
    default: 1.0
  fix:
    description:
      - Fix hints per facet, replacing the module's defaults (which name IBM's tooling,
        C(essrun) in the ESS deployment container, C(nmcli) on the canister, C(/etc/hosts)
        as the ESS Quick Deployment Guide keeps it).
      - "Placeholders filled in: C({host}), C({ntp_servers}), C({mgmt_address}),
        C({mgmt_prefix}), C({mgmt_mtu}), C({ipoib_interface}), C({ipoib_address}),
        C({ipoib_prefix}), C({ipoib_mtu}), C({ipoib_mode}), C({min_version})."
    type: dict
    default: {}
    suboptions:
      time:
        description: Fix hint for C(time) mismatches.
        type: str
      names:
        description: Fix hint for C(names) mismatches.
        type: str
      mgmt:
        description: Fix hint for C(mgmt) mismatches.
        type: str
      ipoib:
        description: Fix hint for C(ipoib) mismatches.
        type: str
      level:
        description: Fix hint for C(level) mismatches.
        type: str
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
requirements:
  - iproute2 4.13 or later (C(ip -j)) for C(mgmt) and C(ipoib); chrony's C(chronyc) for C(time)
    where chronyd can run; C(rpm) or C(dpkg-query) for C(level); C(getent) for names not in
    C(/etc/hosts)
seealso:
  - module: deploy_pod.pod.scale_facts
"""

EXAMPLES = r"""
- name: Check the ESS canister against the plan (it is never changed)
  deploy_pod.pod.appliance_check:
    host: "{{ inventory_hostname }}"
    checks: [time, names, mgmt, ipoib, level]
    ntp_servers: [ntp1.example.com, 10.0.0.2]
    hosts_entries:
      - {address: 10.0.0.21, names: [ess01a]}
      - {address: 10.78.0.21, names: [ess01a-ib]}
    mgmt: {address: 10.0.0.21, prefix: 24, mtu: 1500, interfaces: [enP1p8s0f0]}
    ipoib: {interface: ib0, address: 10.78.0.21, prefix: 16, mtu: 2044, mode: datagram}
    min_version: "5.1.9"

- name: Only the software level, with the site's own upgrade instructions
  deploy_pod.pod.appliance_check:
    host: "{{ inventory_hostname }}"
    checks: [level]
    min_version: "{{ pod_scale_min_version }}"
    fix:
      level: "open a ticket with the storage team to upgrade {host} to Scale {min_version}"
"""

RETURN = r"""
mismatches:
  description: One entry per field that differs from the plan; empty when all is well.
  returned: always
  type: list
  elements: dict
  contains:
    field:
      description:
        - C(<facet>.<what>), for example C(time.ntp_servers), C(time.chronyd), C(time.source),
          C(time.leap), C(time.offset), C(names.ess01a-ib) (or C(names) for the summary of more
          than 10), C(mgmt.address), C(mgmt.interface), C(mgmt.prefix), C(mgmt.state),
          C(mgmt.mtu), C(ipoib.interface), C(ipoib.address), C(ipoib.prefix), C(ipoib.mtu),
          C(ipoib.state), C(ipoib.mode), C(level.gpfs.gnr).
      type: str
    found:
      description: What was read; C(unreadable) and the reason when it could not be read.
      type: str
    planned:
      description: What the plan says.
      type: str
    fix:
      description: How to fix it with IBM's tooling (O(fix) or the default hint).
      type: str
  sample:
    - field: ipoib.mtu
      found: 2044 on ib0
      planned: "4092"
      fix: "rebuild the high-speed network from the ESS deployment container: `essrun -N ess01a network
        --suffix=-ib` ..."
lines:
  description: "The mismatches as sentences, C(<host>: <field>: found <found>; the plan says <planned>. Fix: <fix>)."
  returned: always
  type: list
  elements: str
  sample:
    - "ess01a: level.gpfs.gnr: found gpfs.gnr 5.0.3-2; the plan says gpfs.gnr 5.1.9 or later. Fix: upgrade ..."
notes:
  description: What was not compared and why (for example chronyd unable to run in a container).
  returned: always
  type: list
  elements: str
observed:
  description: What was read, per facet checked.
  returned: always
  type: dict
  sample:
    time: {can_run_chronyd: true, config_files: [/etc/chrony.conf], configured: [server 10.0.0.2],
           running: true, selected: 10.0.0.2, leap: Normal, offset: 0.000012}
    names: {resolved: {ess01a-ib: 10.78.0.21}, via_getent: []}
    mgmt: {interface: bond0, addresses: [10.0.0.21/24], mtu: 1500, operstate: UP}
    ipoib: {interface: ib0, link_type: infiniband, addresses: [10.78.0.21/16], mtu: 2044, operstate: UP,
            mode: datagram}
    level: {tool: rpm, versions: {gpfs.gnr: 5.1.9-3, gpfs.base: 5.1.9-3}}
"""

import copy
import glob as globlib
import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.appliance import (
    CHRONY_CONFS,
    DEFAULT_PACKAGES,
    FACETS,
    FIX,
    ReadError,
    chrony_config,
    failure_message,
    family,
    has_capability,
    hosts_addresses,
    ipoib_mismatches,
    is_ip,
    level_mismatches,
    mgmt_mismatches,
    mismatch,
    names_mismatches,
    newest,
    parse_chronyc_sources,
    parse_chronyc_tracking,
    parse_dpkg_versions,
    parse_getent_ahosts,
    parse_hosts,
    parse_ip_addr,
    parse_rpm_versions,
    render_fix,
    report,
    server_ids,
    time_mismatches,
)

ROOT = "/"  # where the files are read from (tests point it at a temporary tree)
SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"]
# the field a facet reports when it cannot be read at all
UNREADABLE_FIELD = {"time": "time.ntp_servers", "names": "names", "mgmt": "mgmt.address",
                    "ipoib": "ipoib.interface", "level": "level"}


def _path(path: str) -> str:
    return os.path.join(ROOT, path.lstrip("/"))


def read_text(path: str) -> str | None:
    try:
        with open(_path(path), encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:  # missing, a directory, no permission: not there for this check
        return None


def glob_paths(pattern: str) -> list[str]:
    root = _path("")
    return [("/" + p[len(root):].lstrip("/")) if p.startswith(root) else p
            for p in globlib.glob(_path(pattern))]


class Reader:
    """The module's reads: commands by argv (never a shell), files under ROOT, name lookups."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self._hosts = None
        self._resolved = {}
        self.via_getent = []

    def tool(self, name: str) -> str | None:
        return self.module.get_bin_path(name, opt_dirs=SBIN)

    def run(self, argv: list) -> tuple[int, str, str]:
        rc, out, err = self.module.run_command(argv)
        return rc, out or "", err or ""

    def hosts(self) -> list:
        if self._hosts is None:
            self._hosts = parse_hosts(read_text("/etc/hosts") or "")
        return self._hosts

    def resolve(self, name: str, fam: int = 4) -> list[str]:
        """Addresses of name: itself when it is one, /etc/hosts first, else getent ahostsv4/6."""
        key = (name, fam)
        if key not in self._resolved:
            if is_ip(name):
                found = [name]
            else:
                found = hosts_addresses(self.hosts(), name, fam)
                if not found:
                    getent = self.tool("getent")
                    if getent:
                        rc, out, _ = self.run([getent, f"ahostsv{fam}", name])
                        found = parse_getent_ahosts(out) if rc == 0 else []
                        if found:
                            self.via_getent.append(name)
            self._resolved[key] = found
        return self._resolved[key]

    def ip_addr(self, dev: str | None = None) -> list | None:
        """ip -j addr show [dev DEV]; None when DEV does not exist."""
        ip = self.tool("ip")
        if not ip:
            raise ReadError("ip not found (install iproute2)")
        rc, out, err = self.run([ip, "-j", "addr", "show"] + (["dev", dev] if dev else []))
        if rc != 0:
            if dev and "does not exist" in err:
                return None
            raise ReadError(f"ip -j addr show failed (exit {rc}): {(err or out).strip()}")
        return parse_ip_addr(out)


# ---------------------------------------------------------------- facets

def check_time(r: Reader, p: dict) -> tuple[list, list, dict]:
    status = read_text("/proc/1/status") or read_text("/proc/self/status")
    can_run = has_capability(status)
    config = chrony_config(read_text, glob_paths, CHRONY_CONFS)
    resolved = {h: r.resolve(h) for h in p["ntp_servers"]}
    configured = [s["host"] for s in config["sources"]]
    if not set(h.lower() for h in configured) & server_ids(p["ntp_servers"], resolved):
        # look configured names up only when no line names a pod server as planned: a pool
        # name without DNS would wait for the resolver's timeouts
        resolved.update({h: r.resolve(h) for h in configured if h not in resolved})
    tracking = sources = error = None
    if can_run is not False:
        chronyc = r.tool("chronyc")
        if not chronyc:
            error = "chronyc not installed"
        else:
            rc, out, err = r.run([chronyc, "-c", "tracking"])
            if rc == 0:
                tracking = parse_chronyc_tracking(out)
                if tracking is None:
                    raise ReadError(f"chronyc -c tracking printed no tracking line: {out.strip()[:200]}")
                rc, out, err = r.run([chronyc, "-c", "sources"])
                sources = parse_chronyc_sources(out) if rc == 0 else []
            else:
                error = (err or out).strip() or f"chronyc -c tracking exit {rc}"
    mismatches, notes = time_mismatches(p["ntp_servers"], resolved, config, can_run, tracking, sources,
                                        p["max_offset"], error)
    selected = next((s["address"] for s in sources or [] if s["state"] == "*"), None)
    observed = {"can_run_chronyd": can_run, "config_files": config["files"],
                "configured": [f"{s['kind']} {s['host']}" for s in config["sources"]],
                "running": tracking is not None, "selected": selected,
                "leap": (tracking or {}).get("leap"), "offset": (tracking or {}).get("system_time")}
    return mismatches, notes, observed


def check_names(r: Reader, p: dict) -> tuple[list, list, dict]:
    resolved = {}
    for entry in p["hosts_entries"]:
        for name in entry["names"]:
            found = r.resolve(name, family(entry["address"]))
            resolved[name] = (found[0] if found else None, None)
    observed = {"resolved": {n: a for n, (a, _) in resolved.items()}, "via_getent": list(r.via_getent)}
    return names_mismatches(p["hosts_entries"], resolved), [], observed


def check_mgmt(r: Reader, p: dict) -> tuple[list, list, dict]:
    ifaces = r.ip_addr()
    plan = p["mgmt"]
    holder = next((i for i in ifaces for a, _ in i["inet"] if a == plan["address"]), None)
    observed = ({"interface": holder["name"], "addresses": [f"{a}/{n}" for a, n in holder["inet"]],
                 "mtu": holder["mtu"], "operstate": holder["operstate"]} if holder else
                {"interface": None, "interfaces": [i["name"] for i in ifaces]})
    return mgmt_mismatches(plan, ifaces), [], observed


def check_ipoib(r: Reader, p: dict) -> tuple[list, list, dict]:
    plan = p["ipoib"]
    found = r.ip_addr(plan["interface"])
    iface = next((i for i in found or [] if i["name"] == plan["interface"]), None)
    mode = None
    if iface and iface["link_type"] == "infiniband":
        mode = read_text(f"/sys/class/net/{plan['interface']}/mode")
    observed = {"interface": plan["interface"], "exists": iface is not None}
    if iface:
        observed.update({"link_type": iface["link_type"], "addresses": [f"{a}/{n}" for a, n in iface["inet"]],
                         "mtu": iface["mtu"], "operstate": iface["operstate"],
                         "mode": mode.strip() if mode else None})
    return ipoib_mismatches(plan, iface, mode), [], observed


def package_version(r: Reader, pkg: str, tools: list) -> str | None:
    """The newest installed version by the first tool that knows the package."""
    for name, path in tools:
        if name == "rpm":
            rc, out, _ = r.run([path, "-q", "--qf", r"%{VERSION}-%{RELEASE}\n", pkg])
            versions = parse_rpm_versions(out) if rc == 0 else []
        else:
            rc, out, _ = r.run([path, "-W", "-f", r"${Status}\t${Version}\n", pkg])
            versions = parse_dpkg_versions(out) if rc == 0 else []
        if versions:
            return newest(versions)
    return None


def check_level(r: Reader, p: dict) -> tuple[list, list, dict]:
    tools = [(n, r.tool(n)) for n in ("rpm", "dpkg-query")]
    tools = [(n, path) for n, path in tools if path]
    if not tools:
        raise ReadError("neither rpm nor dpkg-query is installed")
    packages = p["packages"]
    versions = {pkg: package_version(r, pkg, tools) for pkg in packages}
    observed = {"tools": [n for n, _ in tools], "versions": versions}
    return level_mismatches(packages, versions, p["min_version"]), [], observed


ARGUMENT_SPEC = {
    "checks": {"type": "list", "elements": "str", "choices": list(FACETS), "required": True},
    "host": {"type": "str"},
    "ntp_servers": {"type": "list", "elements": "str", "default": []},
    "hosts_entries": {"type": "list", "elements": "dict", "default": [], "options": {
        "address": {"type": "str", "required": True},
        "names": {"type": "list", "elements": "str", "required": True},
    }},
    "mgmt": {"type": "dict", "options": {
        "address": {"type": "str", "required": True},
        "prefix": {"type": "int", "required": True},
        "mtu": {"type": "int"},
        "interfaces": {"type": "list", "elements": "str", "default": []},
    }},
    "ipoib": {"type": "dict", "options": {
        "interface": {"type": "str", "required": True},
        "address": {"type": "str", "required": True},
        "prefix": {"type": "int", "required": True},
        "mtu": {"type": "int"},
        "mode": {"type": "str", "choices": ["datagram", "connected"], "default": "datagram"},
    }},
    "min_version": {"type": "str"},
    "packages": {"type": "list", "elements": "str", "default": list(DEFAULT_PACKAGES)},
    "max_offset": {"type": "float", "default": 1.0},
    "fix": {"type": "dict", "default": {}, "options": {f: {"type": "str"} for f in FACETS}},
}


CHECKS = {"time": check_time, "names": check_names, "mgmt": check_mgmt, "ipoib": check_ipoib,
          "level": check_level}


def planned_summary(facet: str, p: dict) -> str:
    """What the plan says for a whole facet (the planned value of an unreadable one)."""
    mgmt, ipoib = p.get("mgmt") or {}, p.get("ipoib") or {}
    return {"time": f"chrony synchronised to one of {', '.join(p['ntp_servers'])}",
            "names": f"{sum(len(e['names']) for e in p['hosts_entries'])} pod names resolving to their addresses",
            "mgmt": f"{mgmt.get('address')}/{mgmt.get('prefix')}",
            "ipoib": f"{ipoib.get('interface')} with {ipoib.get('address')}/{ipoib.get('prefix')}",
            "level": f"{', '.join(p['packages'])} {p.get('min_version')} or later"}[facet]


def fix_values(host: str, p: dict) -> dict:
    mgmt, ipoib = p.get("mgmt") or {}, p.get("ipoib") or {}
    values = {"host": host, "ntp_servers": ", ".join(p["ntp_servers"]), "min_version": p.get("min_version"),
              **{f"mgmt_{k}": mgmt.get(k) for k in ("address", "prefix", "mtu")},
              **{f"ipoib_{k}": ipoib.get(k) for k in ("interface", "address", "prefix", "mtu", "mode")}}
    for key in ("mgmt_mtu", "ipoib_mtu"):  # no planned MTU: the hint shows where one goes
        values[key] = values[key] if values[key] is not None else "<MTU>"
    return values


def main():
    # a copy: AnsibleModule fills suboption defaults into the spec's own default dicts
    module = AnsibleModule(argument_spec=copy.deepcopy(ARGUMENT_SPEC), supports_check_mode=True)
    p = module.params
    checks = list(dict.fromkeys(p["checks"]))
    needs = {"time": ("ntp_servers", p["ntp_servers"]), "mgmt": ("mgmt", p["mgmt"]),
             "ipoib": ("ipoib", p["ipoib"]), "level": ("min_version", p["min_version"])}
    missing = [needs[c][0] for c in checks if c in needs and not needs[c][1]]
    if missing:
        module.fail_json(msg=f"checks {', '.join(checks)} need {', '.join(missing)}")
    host = p.get("host") or socket.gethostname().split(".")[0]
    values = fix_values(host, p)
    fixes = {f: render_fix((p["fix"] or {}).get(f) or FIX[f], values) for f in FACETS}

    reader = Reader(module)
    found, notes, observed = [], [], {}
    for facet in checks:
        try:
            m, n, o = CHECKS[facet](reader, p)
        except ReadError as exc:
            m, n, o = [mismatch(UNREADABLE_FIELD[facet], f"unreadable: {exc}", planned_summary(facet, p))], [], {}
        except Exception as exc:  # a surprise in one facet must not hide the others' results
            m, n, o = [mismatch(UNREADABLE_FIELD[facet], f"unreadable: {type(exc).__name__}: {exc}",
                                planned_summary(facet, p))], [], {}
        found += m
        notes += n
        observed[facet] = o

    mismatches, lines = report(host, found, fixes)
    result = {"changed": False, "mismatches": mismatches, "lines": lines, "notes": notes, "observed": observed}
    if mismatches:
        module.fail_json(msg=failure_message(host, lines), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
