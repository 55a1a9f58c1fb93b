#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: ib_facts
short_description: Gather InfiniBand HCA and port facts
description:
  - Runs C(ibstat) and, when it is installed, C(ibdev2netdev), and returns the host adapters
    (HCAs), their ports and the IPoIB interface of each port as C(ansible_facts.infiniband).
  - C(ibdev2netdev) ships with MLNX/DOCA OFED, not with inbox rdma-core; without it the
    C(netdev) of every port is null and the module says so in a warning.
  - C(ibstat) can print the adapters it could read and then end with an C(ibpanic:) line and
    exit status 255 (a device it could not open). The module returns what was printed and a
    warning with the panic message; it fails only when no adapter could be read at all.
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  ibstat_path:
    description: The C(ibstat) command; found on the PATH (and in /usr/sbin, /sbin) when not given.
    type: path
  netdev_mapping:
    description: Run C(ibdev2netdev) to map ports to IPoIB interfaces, when it is installed.
    type: bool
    default: true
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
  - deploy_pod.pod.attributes.facts
requirements:
  - infiniband-diags (C(ibstat)); optionally MLNX/DOCA OFED for C(ibdev2netdev)
seealso:
  - module: deploy_pod.pod.fabric_check
"""

EXAMPLES = r"""
- name: Gather InfiniBand facts
  deploy_pod.pod.ib_facts:

- name: Every planned port is Active
  ansible.builtin.assert:
    that: item in ansible_facts.infiniband.active_ports
    fail_msg: "{{ inventory_hostname }} {{ item }} is not Active"
    quiet: true
  loop: "{{ ['mlx5_0/1', 'mlx5_1/1'] }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    infiniband:
      description: HCAs and ports as C(ibstat) and C(ibdev2netdev) report them.
      returned: always
      type: complex
      contains:
        hcas:
          description: HCAs by name (C(mlx5_0)).
          type: dict
          sample:
            mlx5_0:
              name: mlx5_0
              type: MT4115
              ports_count: 1
              firmware: 12.28.2006
              hardware_version: "0"
              node_guid: "0x248a070300928186"
              system_guid: "0x248a070300928186"
              ports: [{name: mlx5_0/1, num: 1, state: Active}]
        ports:
          description:
            - Every port of every HCA, in ibstat order. C(rate_gbps) is the 4X rate in Gb/s as a
              number (100 for EDR; a Down port reports 10). GUIDs are C(0x) and 16 lower-case hex digits.
            - C(netdev) and C(netdev_up) are null without C(ibdev2netdev). C(netdev_up) is the netdev's own
              state (operstate) as ibdev2netdev prints it, not the port's; an Active port can have a Down netdev.
            - C(link_layer) is C(InfiniBand) or C(Ethernet).
          type: list
          elements: dict
          sample:
            - name: mlx5_0/1
              ca: mlx5_0
              num: 1
              state: Active
              physical_state: LinkUp
              rate_gbps: 100
              rate: "100"
              lid: 3
              sm_lid: 1
              lmc: 0
              port_guid: "0x248a070300928186"
              link_layer: InfiniBand
              capability_mask: "0x2651e848"
              netdev: ib0
              netdev_up: true
        hca_count:
          description: Number of HCAs.
          type: int
          sample: 4
        port_count:
          description: Number of ports over all HCAs.
          type: int
          sample: 4
        active_ports:
          description:
            - Names (C(mlx5_0/1)) of the InfiniBand ports in state Active. A port whose link layer is
              Ethernet (RoCE; the Ethernet ports of a DGX H100, a VPI port set to ETH) is never listed here.
          type: list
          elements: str
          sample: [mlx5_0/1, mlx5_1/1]
        ethernet_ports:
          description: Names of the ports whose link layer is Ethernet, Active or not (they stay in C(ports)).
          type: list
          elements: str
          sample: [mlx5_4/1, mlx5_5/1]
        netdevs:
          description:
            - Netdev (IPoIB, or the netdev of an Ethernet port; any name, C(ib0), C(ibp26s0), C(enp27s0f0np0))
              -> port name, from C(ibdev2netdev).
          type: dict
          sample: {ib0: mlx5_0/1}
        ibstat_panic:
          description: The C(ibpanic:) message when ibstat ended with one, else null.
          type: str
          sample: "[1234] main: stat of IB device 'mlx5_4' failed: No such file or directory"
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import infiniband_facts
from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import parse_ibdev2netdev, parse_ibstat

SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"]
MISSING = ("ibstat not found on the PATH or in /usr/sbin and /sbin: install the infiniband-diags "
           "package (Debian/Ubuntu and RHEL), or give ibstat_path")


def run_ibstat(module: AnsibleModule, ibstat: str) -> tuple[dict, list[str]]:
    """(parsed ibstat, warnings); fails the module when nothing could be read."""
    rc, out, err = module.run_command([ibstat])
    parsed = parse_ibstat(out or "")
    panic = parsed.get("panic") or parse_ibstat(err or "").get("panic")
    parsed["panic"] = panic
    warnings = []
    if rc != 0 or panic:
        detail = panic or (err or "").strip() or f"exit status {rc}"
        if not parsed.get("cas"):
            module.fail_json(msg=f"ibstat failed and listed no HCA: {detail}", rc=rc, stdout=out, stderr=err)
        warnings.append(f"ibstat exited {rc} after listing {len(parsed['cas'])} HCA(s) "
                        f"({', '.join(parsed['cas'])}): {detail}; facts hold what it listed")
    return parsed, warnings


def run_ibdev2netdev(module: AnsibleModule) -> tuple[list[dict] | None, list[str]]:
    tool = module.get_bin_path("ibdev2netdev", opt_dirs=SBIN)
    if not tool:
        return None, ["ibdev2netdev is not installed (it comes with MLNX/DOCA OFED): netdev of each port is null"]
    rc, out, err = module.run_command([tool])
    if rc != 0:
        return None, [f"ibdev2netdev failed (exit {rc}): {(err or out).strip()}; netdev of each port is null"]
    return parse_ibdev2netdev(out or ""), []


def gather(module: AnsibleModule) -> tuple[dict, list[str]]:
    """(infiniband facts, warnings)."""
    ibstat = module.params.get("ibstat_path")
    if ibstat and not os.access(ibstat, os.X_OK):
        module.fail_json(msg=f"ibstat_path {ibstat} is not an executable file")
    ibstat = ibstat or module.get_bin_path("ibstat", opt_dirs=SBIN)
    if not ibstat:
        module.fail_json(msg=MISSING)
    parsed, warnings = run_ibstat(module, ibstat)
    netdevs = None
    if module.params.get("netdev_mapping", True):
        netdevs, more = run_ibdev2netdev(module)
        warnings += more
    facts = infiniband_facts(parsed, netdevs)
    facts["ibstat_panic"] = parsed.get("panic")
    return facts, warnings


def main():
    module = AnsibleModule(
        argument_spec={
            "ibstat_path": {"type": "path"},
            "netdev_mapping": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    facts, warnings = gather(module)
    for w in warnings:
        module.warn(w)
    module.exit_json(changed=False, ansible_facts={"infiniband": facts})


if __name__ == "__main__":
    main()
