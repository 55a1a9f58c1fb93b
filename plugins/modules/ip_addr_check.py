#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: ip_addr_check
short_description: Read a network interface's live address and MTU and compare them with the plan
description:
  - Runs C(ip -j addr show dev IFACE) and returns the interface's link type, MTU, operational
    state and addresses, and whether they are the planned O(address) and O(mtu).
  - A missing interface is not a failure; RV(exists) is then false and RV(error) says why, so
    the caller decides (an assert with its own message, an C(until) loop that waits for it).
  - Reads state only; never reports a change.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  interface:
    description: The network interface (C(ib0), C(bond0)).
    type: str
    required: true
  address:
    description:
      - The planned IPv4 address with its prefix length (C(10.78.0.11/16)); without a prefix only
        the address is compared.
      - Not given, RV(address_ok) is true whenever the interface exists.
    type: str
  mtu:
    description: The planned MTU; not given, RV(mtu_ok) is true whenever the interface exists.
    type: int
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
requirements:
  - iproute2 with JSON output (C(ip -j))
seealso:
  - module: deploy_pod.pod.network_backend
"""

EXAMPLES = r"""
- name: Read the IPoIB interface and compare it with the plan
  deploy_pod.pod.ip_addr_check:
    interface: ib0
    address: 10.78.0.11/16
    mtu: 65520
  register: ipoib_live

- name: Wait until the interface has the planned address
  deploy_pod.pod.ip_addr_check:
    interface: ib0
    address: 10.78.0.11/16
  register: ipoib_after
  until: ipoib_after.address_ok
  retries: 10
  delay: 1
"""

RETURN = r"""
exists:
  description: The interface exists.
  returned: always
  type: bool
  sample: true
error:
  description: What C(ip) said when the interface could not be read; empty otherwise.
  returned: always
  type: str
  sample: Device "ib1" does not exist.
link_type:
  description: C(infiniband), C(ether), C(loopback) as C(ip) names it; null when it does not exist.
  returned: always
  type: str
  sample: infiniband
mtu:
  description: The live MTU; null when the interface does not exist.
  returned: always
  type: int
  sample: 65520
operstate:
  description: The operational state (C(UP), C(DOWN), C(UNKNOWN)).
  returned: always
  type: str
  sample: UP
addresses:
  description: IPv4 addresses with their prefix length, in the order C(ip) lists them.
  returned: always
  type: list
  elements: str
  sample: [10.78.0.11/16]
has_ip:
  description: The planned address is on the interface, whatever its prefix.
  returned: always
  type: bool
address_ok:
  description: The planned address and prefix are on the interface (true when O(address) is not given and it exists).
  returned: always
  type: bool
mtu_ok:
  description: The live MTU is O(mtu) (true when O(mtu) is not given and the interface exists).
  returned: always
  type: bool
in_sync:
  description: The interface exists, with the planned address and MTU.
  returned: always
  type: bool
differences:
  description: What differs from the plan, one plain sentence each.
  returned: always
  type: list
  elements: str
  sample: ["ib0 has MTU 2044, the plan says 65520"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.iplink import compare_link, link_state, parse_ip_addr


def main():
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "required": True},
            "address": {"type": "str"},
            "mtu": {"type": "int"},
        },
        supports_check_mode=True,
    )
    p = module.params
    ip = module.get_bin_path("ip", required=True)
    rc, out, err = module.run_command([ip, "-j", "addr", "show", "dev", p["interface"]])
    iface = None
    error = ""
    if rc == 0:
        try:
            links = parse_ip_addr(out)
        except ValueError as exc:
            module.fail_json(msg=f"cannot read `ip -j addr show dev {p['interface']}`: {exc}", stdout=out)
        iface = next((i for i in links if i.get("ifname") == p["interface"]), links[0] if links else None)
        if iface is None:
            error = f"ip lists no interface {p['interface']}"
    else:
        error = (err or out).strip() or f"ip exited {rc}"
    state = link_state(iface)
    verdict = compare_link(state, p.get("address"), p.get("mtu"))
    module.exit_json(changed=False, error=error, **{k: state[k] for k in (
        "exists", "link_type", "mtu", "operstate", "addresses")}, **verdict)


if __name__ == "__main__":
    main()
