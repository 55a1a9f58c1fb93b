#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: fabric_check
short_description: Check this host's InfiniBand links against the planned cabling
description:
  - Runs on a pod host. Reads the local ports with C(ibstat) (state, rate, port GUID) and
    discovers the far end of every cable with C(iblinkinfo) (or C(ibnetdiscover -p) when
    iblinkinfo is not installed), then compares each planned cable in O(expected) with what
    was found.
  - A port is found in the discovery by the port GUID ibstat reports; when that fails, by the
    node description C(<host> <ca>) the adapter advertises (which is why O(host) must be the
    name the pod uses). Switch names come from the managed switches' node description
    C(MF0;<switch name>:<part>/U1), or from O(switch_guids).
  - When two switches have no link between them they are two subnets, so C(iblinkinfo) runs
    once more from each Active InfiniBand port the first run did not reach (C(-C ca -P port)).
  - >-
    Ports whose link layer is Ethernet (RoCE) are never used to query the fabric; a planned cable on
    such a port is a problem (C(dgx03 mlx5_4/1: link layer is Ethernet, not InfiniBand ...)).
  - Node descriptions are compared with their padding removed (real switches pad them).
  - >-
    Returns RV(problems), one sentence per port that differs from the plan, for example
    C(dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7),
    C(dgx03 mlx5_1/1: link is Down (expected Active at 100 Gb/s)),
    C(dgx03 mlx5_0/1: rate 56 Gb/s is below the planned 100 Gb/s) and
    C(dgx03 mlx5_3/1: port not found on this host). Problems fail the task only with
    O(fail_on_problems=true).
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  expected:
    description:
      - This host's planned cables, as C(deploy-pod plan) lists them (the plan's C(hosts[host].cables)).
    type: list
    elements: dict
    required: true
    suboptions:
      port:
        description: HCA port, C(<ca>/<port number>), for example C(mlx5_2/1).
        type: str
        required: true
      switch:
        description:
          - Switch the cable goes to, as named in the inventory.
          - Leave it out (with O(expected[].switch_port)) to check state and rate only.
        type: str
      switch_port:
        description: Port on that switch.
        type: int
      rate_gbps:
        description: Planned link rate in Gb/s (100 for EDR). Left out, the rate is not checked.
        type: float
      netdev:
        description: The port's planned IPoIB interface, as C(deploy-pod plan) lists it. Accepted, not checked here.
        type: str
  host:
    description:
      - The host's name in the pod (its inventory name); the problem sentences and the node
        description fallback use it. Pass C({{ inventory_hostname }}).
      - Defaults to the host's short hostname.
    type: str
  switch_guids:
    description:
      - Switch name to node GUID, for switches whose node description does not carry their
        name (unmanaged switches). Managed Mellanox switches need no entry.
    type: dict
    default: {}
  fail_on_problems:
    description: Fail the task when there are problems (links and problems are still returned).
    type: bool
    default: false
  discovery:
    description: Which discovery tool to use; C(auto) prefers iblinkinfo and falls back to ibnetdiscover.
    type: str
    choices: [auto, iblinkinfo, ibnetdiscover]
    default: auto
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
requirements:
  - infiniband-diags (C(ibstat), C(iblinkinfo), C(ibnetdiscover)) and access to the C(umad) device (root)
seealso:
  - module: deploy_pod.pod.ib_facts
"""

EXAMPLES = r"""
- name: Check the cables of this host against the plan
  deploy_pod.pod.fabric_check:
    host: "{{ inventory_hostname }}"
    expected:
      - {port: mlx5_0/1, switch: ib-sw1, switch_port: 5, rate_gbps: 100}
      - {port: mlx5_1/1, switch: ib-sw2, switch_port: 5, rate_gbps: 100}
  register: fabric

- name: Stop when a cable differs from the plan
  deploy_pod.pod.fabric_check:
    host: "{{ inventory_hostname }}"
    expected: "{{ planned_cables }}"
    fail_on_problems: true
"""

RETURN = r"""
problems:
  description: One sentence per planned port that differs from the plan; empty when all is well.
  returned: always
  type: list
  elements: str
  sample:
    - "dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7"
    - "dgx03 mlx5_1/1: link is Down (expected Active at 100 Gb/s)"
links:
  description:
    - Every port of this host, as found (planned or not). C(state), C(rate_gbps) and C(port_guid)
      come from ibstat; C(switch) and C(switch_port) from the discovery, null when nothing was found
      at the far end. C(switch) is the far end's description when it is not a managed switch.
    - C(matched_by) says how the port was found in the discovery, C(port_guid) or C(node_description).
  returned: always
  type: list
  elements: dict
  sample:
    - port: mlx5_0/1
      ca: mlx5_0
      num: 1
      state: Active
      physical_state: LinkUp
      rate_gbps: 100
      port_guid: "0x248a0703af90e700"
      lid: 3
      netdev: null
      switch: ib-sw1
      switch_port: 5
      switch_guid: "0x7cfe9003db82bb00"
      remote_description: "MF0;ib-sw1:MSB7800/U1"
      remote_type: Switch
      seen_by: [ibstat, discovery]
      matched_by: port_guid
discovery:
  description: The discovery commands that ran.
  returned: always
  type: list
  elements: str
  sample: [iblinkinfo, iblinkinfo -C mlx5_1 -P 1]
"""

import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.fabric import (
    compare,
    discovered_links,
    entries_from_ibnetdiscover,
    normalize_expected,
    uncovered_ports,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import infiniband_facts
from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import (
    parse_iblinkinfo,
    parse_ibnetdiscover_ports,
    parse_ibstat,
)

SBIN = ["/usr/sbin", "/sbin", "/usr/local/sbin"]


def local_ports(module: AnsibleModule, warnings: list[str]) -> list[dict]:
    ibstat = module.get_bin_path("ibstat", opt_dirs=SBIN)
    if not ibstat:
        module.fail_json(msg="ibstat not found on the PATH or in /usr/sbin and /sbin: install the "
                             "infiniband-diags package")
    rc, out, err = module.run_command([ibstat])
    parsed = parse_ibstat(out or "")
    panic = parsed.get("panic") or parse_ibstat(err or "").get("panic")
    if rc != 0 or panic:
        detail = panic or (err or "").strip() or f"exit status {rc}"
        if not parsed.get("cas"):
            module.fail_json(msg=f"ibstat failed and listed no HCA: {detail}", rc=rc, stdout=out, stderr=err)
        warnings.append(f"ibstat exited {rc} after listing {', '.join(parsed['cas'])}: {detail}; "
                        "other ports are looked up by node description")
    return infiniband_facts(parsed)["ports"]


def discover(module: AnsibleModule, ports: list[dict], warnings: list[str]) -> tuple[list[dict], list[str]]:
    """(discovery entries, commands run)."""
    choice = module.params["discovery"]
    linkinfo = module.get_bin_path("iblinkinfo", opt_dirs=SBIN) if choice in ("auto", "iblinkinfo") else None
    netdisc = None
    if not linkinfo:
        netdisc = module.get_bin_path("ibnetdiscover", opt_dirs=SBIN) if choice in ("auto", "ibnetdiscover") else None
    if not linkinfo and not netdisc:
        wanted = {"auto": "iblinkinfo or ibnetdiscover", "iblinkinfo": "iblinkinfo",
                  "ibnetdiscover": "ibnetdiscover"}[choice]
        module.fail_json(msg=f"{wanted} not found on the PATH or in /usr/sbin and /sbin: install the "
                             "infiniband-diags package")
    tool, name = (linkinfo, "iblinkinfo") if linkinfo else (netdisc, "ibnetdiscover")
    base = [tool] if linkinfo else [tool, "-p"]

    def run(extra: list[str]) -> list[dict]:
        rc, out, err = module.run_command(base + extra)
        label = " ".join([name] + base[1:] + extra)
        ran.append(label)
        if rc != 0:
            warnings.append(f"{label} failed (exit {rc}): {(err or out).strip()}")
        text = out or ""
        return parse_iblinkinfo(text) if linkinfo else entries_from_ibnetdiscover(parse_ibnetdiscover_ports(text))

    ran: list[str] = []
    entries = run([])
    tried: set[str] = set()
    while True:
        todo = [q for q in uncovered_ports(ports, entries) if q["name"] not in tried]
        if not todo:
            return entries, ran
        tried.add(todo[0]["name"])
        entries += run(["-C", todo[0]["ca"], "-P", str(todo[0]["num"])])


def main():
    module = AnsibleModule(
        argument_spec={
            "expected": {"type": "list", "elements": "dict", "required": True, "options": {
                "port": {"type": "str", "required": True},
                "switch": {"type": "str"},
                "switch_port": {"type": "int"},
                "rate_gbps": {"type": "float"},
                "netdev": {"type": "str"},
            }},
            "host": {"type": "str"},
            "switch_guids": {"type": "dict", "default": {}},
            "fail_on_problems": {"type": "bool", "default": False},
            "discovery": {"type": "str", "default": "auto", "choices": ["auto", "iblinkinfo", "ibnetdiscover"]},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        expected = normalize_expected(p["expected"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    host = p.get("host") or socket.gethostname().split(".")[0]
    warnings: list[str] = []
    ports = local_ports(module, warnings)
    entries, ran = discover(module, ports, warnings)
    links = discovered_links(host, ports, entries, p.get("switch_guids") or {})
    problems = compare(host, expected, links)
    for w in warnings:
        module.warn(w)
    result = {"changed": False, "problems": problems, "discovery": ran,
              "links": [links[k] for k in sorted(links, key=_port_key)]}
    if problems and p.get("fail_on_problems"):
        module.fail_json(msg="; ".join(problems), **result)
    module.exit_json(**result)


def _port_key(name: str):
    ca, _, num = name.partition("/")
    digits = "".join(c for c in ca if c.isdigit())
    return (ca.rstrip("0123456789"), int(digits or 0), ca, int(num or 0))


if __name__ == "__main__":
    main()
