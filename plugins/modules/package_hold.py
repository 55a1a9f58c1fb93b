#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: package_hold
short_description: Hold (or release) installed Debian packages by name and pattern in one command
description:
  - Reads the dpkg database once (C(dpkg-query -W -f '${binary:Package}\t${Version}\t${db:Status-Abbrev}\n')),
    picks the installed packages named in O(names) or matching a pattern of O(patterns), and runs one
    C(apt-mark hold PACKAGE...) (C(apt-mark unhold) for O(state=install)) for those whose selection is
    not the wanted one yet. A converged host runs no command after the query.
  - Without C(apt-mark) the selections are fed to C(dpkg --set-selections) instead.
  - After the change it reads the database again and fails when a package is still not in the wanted
    selection.
  - Packages dpkg does not call installed (only configuration files left, C(rc)) are never held; names
    that are not installed are returned in RV(not_installed), not an error.
  - The arches of a Multi-Arch package (C(libc6:amd64), C(libc6:i386)) are one package; each installed
    arch is held.
  - Debian-family hosts only (dpkg). Unlike a loop of M(ansible.builtin.dpkg_selections), one task
    with one query, whatever the number of packages.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  names:
    description:
      - Package names to hold when they are installed (C(linux-image-5.15.0-91-generic)). An arch
        qualifier (C(:amd64)) is ignored.
    type: list
    elements: str
    default: []
  patterns:
    description:
      - Shell-style patterns (C(gpfs.*), C(nvidia-*), C(linux-image-*)); every installed package whose
        name matches one is held. Matched case-sensitively against the name without its arch.
    type: list
    elements: str
    default: []
  state:
    description:
      - C(hold) puts the packages on hold.
      - C(install) releases the hold (C(apt-mark unhold)); packages not on hold are left alone.
    type: str
    choices: [hold, install]
    default: hold
attributes:
  check_mode:
    support: full
    description: Reads the dpkg database, reports the packages it would change; runs no apt-mark.
  diff_mode:
    support: full
    description: The selections (C(name<TAB>selection), as C(dpkg --get-selections)) of the changed packages.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - dpkg (C(dpkg-query)); apt (C(apt-mark)) or dpkg (C(dpkg --set-selections)) to change a selection
notes:
  - Changing a selection needs root (C(become)).
  - For RPM hosts use M(community.general.yum_versionlock).
seealso:
  - module: ansible.builtin.dpkg_selections
  - module: deploy_pod.pod.package_state
"""

EXAMPLES = r"""
- name: Hold the running kernel and the installed vendor packages
  deploy_pod.pod.package_hold:
    names:
      - "linux-image-{{ ansible_facts.kernel }}"
      - "linux-headers-{{ ansible_facts.kernel }}"
    patterns: [gpfs.*, nvidia-*, libnvidia-*, mlnx-*]

- name: Release the Scale packages for an upgrade
  deploy_pod.pod.package_hold:
    patterns: [gpfs.*]
    state: install
"""

RETURN = r"""
held:
  description:
    - The packages of the task on hold after it (in check mode, what would be); with O(state=hold) every
      installed package named or matched.
  returned: always
  type: list
  elements: str
  sample: [gpfs.base, gpfs.gpl, linux-image-5.15.0-91-generic]
packages:
  description: Every installed package named or matched, sorted; all in the wanted selection after the task.
  returned: always
  type: list
  elements: str
  sample: [gpfs.base, gpfs.gpl, linux-image-5.15.0-91-generic]
changed_packages:
  description: The packages whose selection the task changed (in check mode, would change), sorted.
  returned: always
  type: list
  elements: str
  sample: [gpfs.gpl]
not_installed:
  description: The O(names) that are not installed (never installed, or only configuration files left).
  returned: always
  type: list
  elements: str
  sample: [linux-headers-5.15.0-91-generic]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.pkgdb import (
    DPKG_QUERY_FORMAT,
    PkgdbParseError,
    hold_candidates,
    installed_names,
    parse_dpkg_query,
    selection_targets,
    selections_text,
    to_select,
)

C_LOCALE = {"LC_ALL": "C", "LANG": "C"}


def read_selections(module: AnsibleModule, dpkg_query: str) -> dict:
    rc, out, err = module.run_command([dpkg_query, "-W", "-f", DPKG_QUERY_FORMAT], environ_update=C_LOCALE)
    if rc != 0:
        module.fail_json(msg=f"dpkg-query -W failed (exit {rc}): {(err or out).strip()}", rc=rc, stdout=out, stderr=err)
    try:
        return parse_dpkg_query(out or "")
    except PkgdbParseError as exc:
        module.fail_json(msg=f"cannot read the dpkg-query output: {exc}", stdout=out)
    return {}  # not reached


def set_selections(module: AnsibleModule, targets: list[str], selection: str) -> str:
    """One command for all targets; returns its name for messages."""
    apt_mark = module.get_bin_path("apt-mark")
    if apt_mark:
        verb = "hold" if selection == "hold" else "unhold"
        cmd, data, label = [apt_mark, verb, *targets], None, f"apt-mark {verb}"
    else:
        dpkg = module.get_bin_path("dpkg")
        if not dpkg:
            module.fail_json(msg="neither apt-mark nor dpkg is on the PATH: cannot change a selection")
        cmd, label = [dpkg, "--set-selections"], "dpkg --set-selections"
        data = "".join(f"{t} {selection}\n" for t in targets)
    rc, out, err = module.run_command(cmd, data=data, binary_data=True, environ_update=C_LOCALE)
    if rc != 0:
        module.fail_json(msg=f"{label} {' '.join(targets)} failed (exit {rc}): {(err or out).strip()}",
                         rc=rc, stdout=out, stderr=err)
    return label


def main():
    module = AnsibleModule(
        argument_spec={
            "names": {"type": "list", "elements": "str", "default": []},
            "patterns": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["hold", "install"], "default": "hold"},
        },
        supports_check_mode=True,
    )
    p = module.params
    selection = p["state"]
    dpkg_query = module.get_bin_path("dpkg-query")
    if not dpkg_query:
        module.fail_json(msg="dpkg-query is not on the PATH: package_hold is for Debian-family hosts "
                             "(community.general.yum_versionlock on RPM hosts)")

    packages = read_selections(module, dpkg_query)
    installed = installed_names(packages)
    candidates = hold_candidates(installed, p["patterns"], p["names"])
    change = to_select(candidates, packages, selection)
    not_installed = sorted({n.split(":", 1)[0] for n in p["names"]} - set(installed))

    result = {
        "changed": bool(change),
        "packages": candidates,
        "changed_packages": change,
        "not_installed": not_installed,
        # once every candidate has the wanted selection: all held, or none
        "held": list(candidates) if selection == "hold" else [],
    }
    if module._diff:
        result["diff"] = {"before_header": "dpkg selections", "after_header": "dpkg selections",
                          "before": selections_text(change, packages),
                          "after": selections_text(change, packages, selection)}

    if module.check_mode or not change:
        module.exit_json(**result)

    label = set_selections(module, selection_targets(change, packages, selection), selection)
    # read back as kernel_module does after modprobe: a selection dpkg refused is not silent
    after = read_selections(module, dpkg_query)
    stuck = [n for n in change if n not in after or to_select([n], after, selection)]
    if stuck:
        module.fail_json(msg=f"{label} exited 0 but dpkg still has {', '.join(stuck)} "
                             f"{'not on hold' if selection == 'hold' else 'on hold'}", **result)
    result["held"] = [n for n in candidates if n in after and after[n]["want"] == "hold"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
