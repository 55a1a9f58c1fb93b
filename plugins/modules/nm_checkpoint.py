#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: nm_checkpoint
short_description: Create, commit or roll back a NetworkManager checkpoint
description:
  - A NetworkManager checkpoint saves the state of some devices and their connection profiles. Unless it is
    destroyed (committed) within O(rollback_timeout) seconds, NetworkManager itself restores that state -
    the profiles, the devices' active connections and their addresses. The rollback happens on the host,
    so it also works after the change cut the connection Ansible uses.
  - O(state=present) creates a checkpoint over O(devices) and returns its D-Bus path in RV(checkpoint).
  - O(state=absent) destroys the checkpoint O(checkpoint), and the changes made since are kept (commit).
  - O(state=rolled_back) rolls back to the checkpoint O(checkpoint) now, without waiting for its timeout.
  - A checkpoint that no longer exists when O(state=absent) or O(state=rolled_back) asks for it is
    reported with RV(found=false) and no change, not as an error. For a checkpoint this play created it
    means that NetworkManager already rolled it back when its timeout expired; the caller must treat it so.
  - Talks to NetworkManager's D-Bus API through C(busctl) (systemd); needs no Python D-Bus bindings.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  state:
    description: What to do with the checkpoint.
    type: str
    choices: [present, absent, rolled_back]
    default: present
  devices:
    description:
      - Interface names (C(eth0), C(bond0)) whose state the checkpoint saves; each must be a device
        NetworkManager knows. Empty saves every device.
      - Used with O(state=present) only.
    type: list
    elements: str
    default: []
  rollback_timeout:
    description:
      - Seconds after which NetworkManager rolls back by itself unless the checkpoint was destroyed.
        C(0) means never (the checkpoint waits for O(state=absent) or O(state=rolled_back)).
      - Used with O(state=present) only.
    type: int
    default: 120
  flags:
    description:
      - C(CheckpointCreate) flags. C(delete_new_connections) deletes, on rollback, the profiles created after
        the checkpoint; C(disconnect_new_devices) disconnects devices that appeared after it (NetworkManager
        accepts it only with an empty O(devices)); C(destroy_all) destroys every older checkpoint first
        (their rollbacks are lost); C(allow_overlapping) lets the checkpoint share devices with an older one.
      - Used with O(state=present) only.
    type: list
    elements: str
    choices: [destroy_all, delete_new_connections, disconnect_new_devices, allow_overlapping]
    default: [delete_new_connections]
  checkpoint:
    description:
      - D-Bus path of the checkpoint, as RV(checkpoint) returned it. Required with O(state=absent) and
        O(state=rolled_back).
    type: str
attributes:
  check_mode:
    support: full
    description: >-
      O(state=present) reports a change and creates nothing (RV(checkpoint) is null); the other states
      only look whether the checkpoint exists.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - NetworkManager running, C(busctl) (systemd)
"""

EXAMPLES = r"""
- name: Arm a checkpoint over eth0, rolled back in 120 s unless committed
  deploy_pod.pod.nm_checkpoint:
    devices: [eth0]
    rollback_timeout: 120
  register: checkpoint

- name: Commit (the new configuration works)
  deploy_pod.pod.nm_checkpoint:
    state: absent
    checkpoint: "{{ checkpoint.checkpoint }}"
  register: commit

- name: NetworkManager rolled back before the commit
  ansible.builtin.fail:
    msg: the checkpoint expired before the checks finished; NetworkManager restored the previous state
  when: not commit.found

- name: Roll back now
  deploy_pod.pod.nm_checkpoint:
    state: rolled_back
    checkpoint: "{{ checkpoint.checkpoint }}"
"""

RETURN = r"""
checkpoint:
  description: D-Bus path of the checkpoint (null in check mode for O(state=present)).
  returned: always
  type: str
  sample: /org/freedesktop/NetworkManager/Checkpoint/1
found:
  description:
    - O(state=absent) and O(state=rolled_back) - whether the checkpoint still existed. V(false) means
      NetworkManager had already rolled it back at its timeout (or someone destroyed it).
    - O(state=present) - always V(true).
  returned: always
  type: bool
devices:
  description: O(state=present) - the interface names with their NetworkManager device paths.
  returned: when state is present and not in check mode
  type: dict
  sample: {eth0: /org/freedesktop/NetworkManager/Devices/2}
rollback:
  description: O(state=rolled_back) - NetworkManager's result per device path (C(ok) or why it failed).
  returned: when a rollback ran
  type: dict
  sample: {/org/freedesktop/NetworkManager/Devices/2: ok}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.nmcheckpoint import (
    FLAGS,
    ROLLBACK_RESULTS,
    BusctlParseError,
    call_argv,
    check_flags,
    checkpoints_argv,
    create_argv,
    failed_devices,
    flags_value,
    is_checkpoint_path,
    parse_object_path,
    parse_object_paths,
    parse_rollback_result,
)

SBIN = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]


def _busctl(module: AnsibleModule, argv: list[str], what: str) -> str:
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg=f"{what} failed: {(err or out).strip() or f'busctl rc {rc}'}", rc=rc,
                         stdout=out, stderr=err, cmd=argv)
    return out


def _parse(module: AnsibleModule, parser, out: str, what: str):
    try:
        return parser(out)
    except BusctlParseError as exc:
        module.fail_json(msg=f"{what}: cannot read busctl's reply: {exc}", stdout=out)
    return None  # unreachable: fail_json exits


def existing_checkpoints(module: AnsibleModule, busctl: str) -> list[str]:
    out = _busctl(module, checkpoints_argv(busctl), "Reading NetworkManager's checkpoints")
    return _parse(module, parse_object_paths, out, "NetworkManager's checkpoints")


def create(module: AnsibleModule, busctl: str) -> None:
    p = module.params
    problem = check_flags(p["flags"], p["devices"])
    if problem:
        module.fail_json(msg=problem)
    if module.check_mode:
        module.exit_json(changed=True, checkpoint=None, found=True)
    devices: dict[str, str] = {}
    for name in p["devices"]:
        rc, out, err = module.run_command(call_argv(busctl, "GetDeviceByIpIface", "s", name))
        if rc != 0:
            module.fail_json(msg=f"NetworkManager has no device {name!r} for the checkpoint: "
                                 f"{(err or out).strip()}", stderr=err)
        devices[name] = _parse(module, parse_object_path, out, f"device {name}")
    rc, out, err = module.run_command(create_argv(busctl, list(devices.values()), p["rollback_timeout"],
                                                  flags_value(p["flags"])))
    if rc != 0:
        hint = ""
        if "checkpoint" in (err or "").lower():
            hint = (" An older checkpoint holds these devices (an interrupted run?): wait for its rollback "
                    "timeout, or destroy it (busctl get-property org.freedesktop.NetworkManager "
                    "/org/freedesktop/NetworkManager org.freedesktop.NetworkManager Checkpoints lists them).")
        module.fail_json(msg=f"CheckpointCreate failed: {(err or out).strip()}.{hint}", stderr=err, devices=devices)
    path = _parse(module, parse_object_path, out, "CheckpointCreate")
    module.exit_json(changed=True, checkpoint=path, found=True, devices=devices,
                     rollback_timeout=p["rollback_timeout"])


def finish(module: AnsibleModule, busctl: str) -> None:
    p = module.params
    path = p["checkpoint"]
    if not path or not is_checkpoint_path(path):
        module.fail_json(msg=f"checkpoint must be a NetworkManager checkpoint path like "
                             f"/org/freedesktop/NetworkManager/Checkpoint/1, got {path!r}")
    rolling_back = p["state"] == "rolled_back"
    gone = dict(changed=False, checkpoint=path, found=False,
                msg=f"{path} does not exist: NetworkManager already rolled it back at its timeout "
                    "(or it was destroyed)")
    if path not in existing_checkpoints(module, busctl):
        module.exit_json(**gone)
    if module.check_mode:
        module.exit_json(changed=True, checkpoint=path, found=True)
    method = "CheckpointRollback" if rolling_back else "CheckpointDestroy"
    rc, out, err = module.run_command(call_argv(busctl, method, "o", path))
    if rc != 0:
        if "does not exist" in (err or ""):
            # its timeout expired between the listing and the call
            module.exit_json(**gone)
        module.fail_json(msg=f"{method} {path} failed: {(err or out).strip()}", stderr=err)
    if not rolling_back:
        module.exit_json(changed=True, checkpoint=path, found=True)
    result = _parse(module, parse_rollback_result, out, method)
    failed = failed_devices(result)
    for dev, why in failed.items():
        module.warn(f"NetworkManager could not roll back {dev}: {why}")
    module.exit_json(changed=True, checkpoint=path, found=True,
                     rollback={dev: ROLLBACK_RESULTS.get(code, f"result {code}") for dev, code in result.items()},
                     failed_devices=failed)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["present", "absent", "rolled_back"], "default": "present"},
            "devices": {"type": "list", "elements": "str", "default": []},
            "rollback_timeout": {"type": "int", "default": 120},
            "flags": {"type": "list", "elements": "str", "choices": list(FLAGS), "default": ["delete_new_connections"]},
            "checkpoint": {"type": "str"},
        },
        required_if=[("state", "absent", ["checkpoint"]), ("state", "rolled_back", ["checkpoint"])],
        supports_check_mode=True,
    )
    if module.params["rollback_timeout"] < 0:
        module.fail_json(msg="rollback_timeout must be 0 (never) or a number of seconds")
    busctl = module.get_bin_path("busctl", opt_dirs=SBIN)
    if not busctl:
        module.fail_json(msg="busctl (systemd) is needed to talk to NetworkManager and was not found")
    if module.params["state"] == "present":
        create(module, busctl)
    finish(module, busctl)


if __name__ == "__main__":
    main()
