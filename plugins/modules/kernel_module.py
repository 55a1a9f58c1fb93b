#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_module
short_description: Load a kernel module now and at every boot
description:
  - Reads the loaded modules with C(lsmod), runs C(modprobe NAME) only when the module is not
    loaded (C(modprobe -r NAME) for I(state=absent) only when it is), and keeps
    C(/etc/modules-load.d/NAME.conf) so that systemd-modules-load loads it at boot.
  - Module names are compared the way the kernel compares them (C(nvidia-peermem) and
    C(nvidia_peermem) are the same module).
  - After C(modprobe) the module reads C(lsmod) again and fails when the module is still not
    listed, so a silent C(modprobe) (an C(install /bin/true) rule, a blacklist) is caught.
  - C(lsmod) and C(modprobe) are looked up on the PATH first, then in /sbin, /usr/sbin and
    /usr/local/sbin.
  - Unlike M(community.general.modprobe), it keeps the boot-time file in the same task, shows a
    diff of both, and never passes module parameters (use a modprobe.d C(options) file).
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  name:
    description: The module name, as C(modprobe) takes it (C(nvidia_peermem), C(ib_ipoib)).
    type: str
    required: true
  state:
    description:
      - C(present) loads the module when it is not loaded.
      - C(absent) unloads it when it is loaded (C(modprobe -r)); a module in use makes the task
        fail with modprobe's message.
    type: str
    choices: [present, absent]
    default: present
  persistent:
    description:
      - With C(present), write C(/etc/modules-load.d/NAME.conf) so the module is loaded at boot;
        with C(absent), remove that file.
      - C(false) leaves the file alone.
    type: bool
    default: true
  modules_load_dir:
    description: The modules-load.d directory systemd-modules-load reads.
    type: path
    default: /etc/modules-load.d
attributes:
  check_mode:
    support: full
    description: Reads C(lsmod) and the file, reports what would change, loads and writes nothing.
  diff_mode:
    support: full
    description: One diff for the loaded state (C(lsmod) membership) and one for the file.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - kmod (C(lsmod), C(modprobe)); systemd-modules-load for the boot-time file
notes:
  - Loading needs root (C(become)).
seealso:
  - module: community.general.modprobe
"""

EXAMPLES = r"""
- name: Load nvidia-peermem (GPUDirect RDMA) now and at boot
  deploy_pod.pod.kernel_module:
    name: nvidia_peermem

- name: Load ib_ipoib now only
  deploy_pod.pod.kernel_module:
    name: ib_ipoib
    persistent: false

- name: Unload a module and stop loading it at boot
  deploy_pod.pod.kernel_module:
    name: rdma_rxe
    state: absent
"""

RETURN = r"""
name:
  description: The module name as the kernel spells it (dashes become underscores).
  returned: always
  type: str
  sample: nvidia_peermem
loaded:
  description: Whether C(lsmod) lists the module after the task (in check mode, what it would be).
  returned: always
  type: bool
  sample: true
loaded_before:
  description: Whether C(lsmod) listed the module before the task.
  returned: always
  type: bool
  sample: false
persistent_file:
  description: The modules-load.d file the task manages; null when I(persistent=false).
  returned: always
  type: str
  sample: /etc/modules-load.d/nvidia_peermem.conf
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.kmod import (
    LsmodParseError,
    is_loaded,
    modules_load_content,
    normalize_name,
    parse_lsmod,
    valid_name,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.textfile import read_text, write_text

FILE_HEADER = "Managed by Ansible (deploy_pod.pod.kernel_module): loaded at boot by systemd-modules-load"


def find_tool(module: AnsibleModule, name: str) -> str:
    path = module.get_bin_path(name)
    if not path:
        module.fail_json(msg=f"{name} not found on the PATH or in /sbin, /usr/sbin, /usr/local/sbin: "
                             "install the kmod package")
    return path


def read_loaded(module: AnsibleModule, lsmod: str) -> dict:
    rc, out, err = module.run_command([lsmod])
    if rc != 0:
        module.fail_json(msg=f"lsmod failed (exit {rc}): {(err or out).strip()}", rc=rc, stdout=out, stderr=err)
    try:
        return parse_lsmod(out)
    except LsmodParseError as exc:
        module.fail_json(msg=f"cannot read lsmod output: {exc}", stdout=out)
    return {}  # not reached






def run_modprobe(module: AnsibleModule, modprobe: str, name: str, remove: bool) -> None:
    cmd = [modprobe, "-r", name] if remove else [modprobe, name]
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        detail = (err or out).strip() or f"exit status {rc}"
        module.fail_json(msg=f"{' '.join(['modprobe'] + cmd[1:])} failed: {detail}", rc=rc, stdout=out, stderr=err)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "persistent": {"type": "bool", "default": True},
            "modules_load_dir": {"type": "path", "default": "/etc/modules-load.d"},
        },
        supports_check_mode=True,
    )
    p = module.params
    if not valid_name(p["name"]):
        module.fail_json(msg=f"name {p['name']!r} is not a kernel module name (letters, digits, '_' "
                             "and '-' only; no path, no .ko, no parameters)")
    name = normalize_name(p["name"])
    want_loaded = p["state"] == "present"
    lsmod = find_tool(module, "lsmod")
    modprobe = find_tool(module, "modprobe")

    loaded_before = is_loaded(read_loaded(module, lsmod), name)
    load_change = loaded_before != want_loaded

    conf = os.path.join(p["modules_load_dir"], f"{name}.conf") if p["persistent"] else None
    file_before = read_text(conf) if conf else None
    file_after = (modules_load_content(name, FILE_HEADER) if want_loaded else None) if conf else file_before
    file_change = bool(conf) and file_before != file_after

    result = {
        "changed": load_change or file_change,
        "name": name,
        "loaded_before": loaded_before,
        "loaded": want_loaded if load_change else loaded_before,
        "persistent_file": conf,
    }
    if module._diff:
        diffs = [{
            "before_header": f"lsmod ({name})", "after_header": f"lsmod ({name})",
            "before": f"{name}\n" if loaded_before else "",
            "after": f"{name}\n" if result["loaded"] else "",
        }]
        if conf:
            diffs.append({"before_header": conf if file_before is not None else f"{conf} (absent)",
                          "after_header": conf if file_after is not None else f"{conf} (absent)",
                          "before": file_before or "", "after": file_after or ""})
        result["diff"] = diffs

    if module.check_mode:
        module.exit_json(**result)

    if load_change:
        run_modprobe(module, modprobe, name, remove=not want_loaded)
        now = is_loaded(read_loaded(module, lsmod), name)
        if now != want_loaded:
            module.fail_json(msg=f"modprobe {'-r ' if not want_loaded else ''}{name} exited 0 but lsmod "
                                 f"{'still lists' if now else 'does not list'} {name} (an install/remove rule "
                                 "in /etc/modprobe.d, or a blacklist?)", **result)
        result["loaded"] = now
    if file_change:
        if file_after is None:
            os.unlink(conf)
        else:
            write_text(module, conf, file_after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
