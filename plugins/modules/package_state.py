#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: package_state
short_description: Read the installed packages and their versions in one query
description:
  - Runs one query of the package database, C(dpkg-query -W -f '${binary:Package}\t${Version}\t${db:Status-Abbrev}\n')
    on Debian-family hosts or C(rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n') on RPM hosts
    (both with C(LC_ALL=C)), and returns the installed packages as C(ansible_facts.deploy_pod_packages),
    a flat map of name to version.
  - A fraction of the time M(ansible.builtin.package_facts) takes, which loads the package manager's
    Python bindings and builds a record per package and arch.
  - C(dpkg-query) lists packages of which only the configuration files are left (C(rc)) or whose
    installation was interrupted; only those dpkg calls installed (status C(ii), or C(it)/C(iW) with
    triggers pending) are returned. An arch suffix (C(libc6:amd64)) is dropped; the arches of a
    Multi-Arch package are one entry.
  - rpm can have several versions of one name installed (kernels); the entry holds the highest in
    rpm's order and C(deploy_pod_package_versions) lists them all.
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  manager:
    description:
      - The package database to read.
      - C(auto) reads dpkg's when C(dpkg-query) is on the PATH, else rpm's.
    type: str
    choices: [auto, dpkg, rpm]
    default: auto
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
  - deploy_pod.pod.attributes.facts
requirements:
  - dpkg (C(dpkg-query)) or rpm
seealso:
  - module: ansible.builtin.package_facts
  - module: deploy_pod.pod.package_hold
"""

EXAMPLES = r"""
- name: Read the installed packages
  deploy_pod.pod.package_state:

- name: Scale is installed at 5.1.9 or later
  ansible.builtin.assert:
    that:
      - "'gpfs.base' in ansible_facts.deploy_pod_packages"
      - ansible_facts.deploy_pod_packages['gpfs.base'] is ansible.builtin.version('5.1.9', '>=')

- name: Every installed kernel of an RPM host
  ansible.builtin.debug:
    msg: "{{ ansible_facts.deploy_pod_package_versions['kernel-core']
             | default([ansible_facts.deploy_pod_packages['kernel-core']]) }}"
"""

RETURN = r"""
manager:
  description: The package database read.
  returned: always
  type: str
  sample: dpkg
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    deploy_pod_packages:
      description:
        - "The installed packages: C({name: version}), the version as the package manager prints it
          (dpkg: with its epoch, C(1:2.38.1-5); rpm: C(VERSION-RELEASE), the highest installed)."
      returned: always
      type: dict
      sample: {gpfs.base: 5.1.9-2, libc6: 2.35-0ubuntu3.6, linux-image-5.15.0-91-generic: 5.15.0-91.101}
    deploy_pod_package_versions:
      description:
        - The rpm names installed in several versions, each with all of them, oldest first. Empty on
          dpkg hosts (dpkg installs one version of a name).
      returned: always
      type: dict
      sample: {kernel-core: [5.14.0-362.8.1.el9_3, 5.14.0-362.13.1.el9_3]}
    deploy_pod_package_holds:
      description:
        - The installed packages on hold (dpkg selection C(hold), what C(apt-mark showhold) lists),
          sorted. Empty on rpm hosts (DNF versionlock is not read).
      returned: always
      type: list
      elements: str
      sample: [gpfs.base, gpfs.gpl, linux-image-5.15.0-91-generic]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.pkgdb import (
    DPKG_QUERY_FORMAT,
    RPM_QUERY_FORMAT,
    PkgdbParseError,
    installed_names,
    installed_versions,
    parse_dpkg_query,
    parse_rpm_qa,
)

# dpkg-query and rpm translate nothing we parse, but a locale's warnings on stderr would end in msg
C_LOCALE = {"LC_ALL": "C", "LANG": "C"}


def pick_manager(module: AnsibleModule, choice: str) -> tuple[str, str]:
    """(manager, path of its query tool)."""
    tools = {"dpkg": "dpkg-query", "rpm": "rpm"}
    for manager in (["dpkg", "rpm"] if choice == "auto" else [choice]):
        path = module.get_bin_path(tools[manager])
        if path:
            return manager, path
    if choice == "auto":
        module.fail_json(msg="neither dpkg-query nor rpm is on the PATH: no package database to read")
    module.fail_json(msg=f"manager={choice}: {tools[choice]} is not on the PATH")
    return "", ""  # not reached


def read_packages(module: AnsibleModule, manager: str, tool: str) -> dict:
    if manager == "dpkg":
        cmd, parse = [tool, "-W", "-f", DPKG_QUERY_FORMAT], parse_dpkg_query
    else:
        cmd, parse = [tool, "-qa", "--qf", RPM_QUERY_FORMAT], parse_rpm_qa
    rc, out, err = module.run_command(cmd, environ_update=C_LOCALE)
    if rc != 0:
        label = "dpkg-query -W" if manager == "dpkg" else "rpm -qa"
        module.fail_json(msg=f"{label} failed (exit {rc}): {(err or out).strip()}", rc=rc, stdout=out, stderr=err)
    try:
        return parse(out or "")
    except PkgdbParseError as exc:
        module.fail_json(msg=f"cannot read the {manager} query output: {exc}", stdout=out)
    return {}  # not reached


def main():
    module = AnsibleModule(
        argument_spec={
            "manager": {"type": "str", "choices": ["auto", "dpkg", "rpm"], "default": "auto"},
        },
        supports_check_mode=True,
    )
    manager, tool = pick_manager(module, module.params["manager"])
    packages = read_packages(module, manager, tool)
    facts = {
        "deploy_pod_packages": installed_versions(packages),
        "deploy_pod_package_versions": {n: p["versions"] for n, p in sorted(packages.items())
                                        if len(p.get("versions", [])) > 1},
        "deploy_pod_package_holds": [n for n in installed_names(packages) if packages[n].get("want") == "hold"],
    }
    module.exit_json(changed=False, manager=manager, ansible_facts=facts)


if __name__ == "__main__":
    main()
