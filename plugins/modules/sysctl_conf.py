#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: sysctl_conf
short_description: Keep many kernel parameters in one sysctl.d file and in the running kernel
description:
  - Sets every kernel parameter given in O(values) in one task, instead of one
    M(ansible.posix.sysctl) call per parameter, so a converged run costs one round trip.
  - Reads the sysctl.d file once, rewrites only the lines whose value differs (in place, other
    lines and comments kept), appends missing parameters, and writes the file atomically.
  - With O(apply), reads each parameter from C(/proc/sys) and writes the ones that differ there
    (as C(sysctl -w) does), then reads them back and fails when the kernel kept another value.
  - Keys may be written with C(.) or C(/) separators, as sysctl.d(5) allows
    (C(net.ipv4.conf.enp3s0/200.forwarding) and C(net/ipv4/conf/enp3s0.200/forwarding) are the
    same parameter). Values are compared with runs of spaces and tabs as one space, as the kernel
    prints multi-number values with tabs.
  - A key that appears several times in the file is written once, where its last line was
    (systemd-sysctl applies the last one).
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  path:
    description:
      - The sysctl.d drop-in the task owns, such as C(/etc/sysctl.d/90-deploy-pod.conf).
      - Created (with its directory) when missing. A symbolic link is followed, so Debian's
        C(/etc/sysctl.d/99-sysctl.conf) link to C(/etc/sysctl.conf) stays a link.
    type: path
    required: true
  values:
    description:
      - Parameter name to value, the value as C(sysctl -n) prints it (several numbers separated by
        spaces). Quote values in YAML; integers are accepted, booleans are refused.
      - A value of null removes the parameter's lines from the file and leaves the running kernel
        alone.
      - A name starting with C(-) is written with that C(-) (systemd-sysctl then ignores a failure
        to set it), and an unknown parameter is not an error. A C(-) already on a file line is kept.
    type: dict
    required: true
  apply:
    description:
      - Also set the running kernel's value where C(/proc/sys) differs.
      - C(false) writes the file only; the values take effect at the next boot or
        C(sysctl --system).
    type: bool
    default: true
  proc_dir:
    description: Where the kernel parameters are read and written (a test points this elsewhere).
    type: path
    default: /proc/sys
attributes:
  check_mode:
    support: full
    description: Reads the file and C(/proc/sys), reports what would change, writes nothing.
  diff_mode:
    support: full
    description: One diff for the file and, with O(apply), one for the running values.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
notes:
  - Writing the file and C(/proc/sys) needs root (C(become)).
  - The running values are set before the file is written, so a value the kernel refuses never
    lands in the file (where it would fail at every boot).
  - A parameter that the running kernel does not have (no C(/proc/sys) file, a module not loaded)
    fails the task unless its name starts with C(-).
seealso:
  - module: ansible.posix.sysctl
"""

EXAMPLES = r"""
- name: Socket buffers for the GPFS daemon's TCP traffic, in the file and the running kernel
  deploy_pod.pod.sysctl_conf:
    path: /etc/sysctl.d/90-deploy-pod.conf
    values:
      net.core.rmem_max: "8388608"
      net.core.wmem_max: "8388608"
      net.ipv4.tcp_rmem: "4096 262144 8388608"
      net.ipv4.tcp_wmem: "4096 262144 8388608"

- name: Drop a parameter from the file (the running kernel keeps its value until reboot)
  deploy_pod.pod.sysctl_conf:
    path: /etc/sysctl.d/90-deploy-pod.conf
    values:
      net.core.netdev_max_backlog: null

- name: A parameter of an interface that may not exist yet (the '-' makes that no error)
  deploy_pod.pod.sysctl_conf:
    path: /etc/sysctl.d/90-deploy-pod.conf
    values:
      -net.ipv4.conf.ib0/100.rp_filter: "2"

- name: Write the file only; the values take effect at the next boot
  deploy_pod.pod.sysctl_conf:
    path: /etc/sysctl.d/90-deploy-pod.conf
    apply: false
    values:
      vm.swappiness: "10"
"""

RETURN = r"""
file_changed:
  description: Whether the file was (in check mode, would be) written.
  returned: always
  type: bool
  sample: true
keys_changed_in_file:
  description: The keys of O(values) whose lines were added, rewritten or removed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [net.ipv4.tcp_rmem]
keys_set_running:
  description: The keys written to C(/proc/sys) (in check mode, that would be); empty when O(apply=false).
  returned: always
  type: list
  elements: str
  sample: [net.core.rmem_max, net.ipv4.tcp_rmem]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.sysctl_conf import (
    SysctlInputError,
    check_values,
    key_parts,
    normalize_value,
    plan_file,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.textfile import read_text, write_text

FILE_HEADER = "Managed by Ansible (deploy_pod.pod.sysctl_conf)"






def read_running(module: AnsibleModule, proc: str, key: str, ignore: bool) -> str | None:
    """The kernel's value, normalized; None for an unknown parameter whose line has '-'."""
    try:
        with open(proc, encoding="utf-8") as fh:
            return normalize_value(fh.read())
    except FileNotFoundError:
        if ignore:
            return None
        module.fail_json(msg=f"{key}: this kernel has no such parameter ({proc} does not exist; a module "
                             "not loaded? start the key with '-' to allow that)")
    except OSError as exc:
        module.fail_json(msg=f"{key}: cannot read {proc}: {exc.strerror or exc}")
    return None  # not reached


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "values": {"type": "dict", "required": True},
            "apply": {"type": "bool", "default": True},
            "proc_dir": {"type": "path", "default": "/proc/sys"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        values = check_values(p["values"])
    except SysctlInputError as exc:
        module.fail_json(msg=f"values: {exc}")
    path = os.path.realpath(p["path"])  # keep a symbolic link a link

    before = read_text(path)
    after, keys_in_file, ignore = plan_file(before, values, FILE_HEADER)
    file_change = after != before

    running_before: dict = {}
    to_set: list[str] = []
    if p["apply"]:
        for key, value in values.items():
            if value is None:
                continue
            proc = os.path.join(p["proc_dir"], *key_parts(key))
            current = read_running(module, proc, key, ignore[key])
            if current is None:
                continue
            running_before[key] = current
            if current != value:
                to_set.append(key)

    result = {
        "changed": file_change or bool(to_set),
        "file_changed": file_change,
        "keys_changed_in_file": keys_in_file,
        "keys_set_running": to_set,
    }
    if module._diff:
        result["diff"] = [{"before_header": path if before is not None else f"{path} (absent)",
                           "after_header": path, "before": before or "", "after": after or ""}]
        if p["apply"]:
            result["diff"].append({
                "before_header": f"{p['proc_dir']} (running)", "after_header": f"{p['proc_dir']} (running)",
                "before": "".join(f"{k} = {v}\n" for k, v in running_before.items()),
                "after": "".join(f"{k} = {values[k]}\n" for k in running_before)})

    if module.check_mode:
        module.exit_json(**result)

    # the kernel first: a value it refuses must not land in the file and fail every boot
    done: list[str] = []
    for key in to_set:
        proc = os.path.join(p["proc_dir"], *key_parts(key))
        try:
            with open(proc, "w", encoding="utf-8") as fh:
                fh.write(values[key])
        except OSError as exc:
            module.fail_json(msg=f"{key}: the kernel refused {values[key]!r} ({exc.strerror or exc})",
                             **{**result, "changed": bool(done), "file_changed": False, "keys_set_running": done})
        done.append(key)
        got = read_running(module, proc, key, False)
        if got != values[key]:
            module.fail_json(msg=f"{key}: wrote {values[key]!r} to {proc} but read back {got!r}",
                             **{**result, "file_changed": False, "keys_set_running": done})
    if file_change:
        write_text(module, path, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
