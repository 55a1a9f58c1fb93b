#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_cluster
short_description: Spectrum Scale cluster membership, designations and licences
description:
  - Reads the cluster (C(mmlscluster -Y), C(mmgetstate -a -Y), C(mmlslicense -L -Y)) on the node it
    runs on, compares it with I(nodes), and changes only the difference.
  - No cluster yet - C(mmcrcluster -N nodefile -C NAME -r ssh -R scp) with every node and its
    designation (node file lines C(daemonName:designation:adminName)).
  - Nodes missing from the cluster - C(mmaddnode -N nodefile --accept).
  - Designations that differ - C(mmchnode --quorum/--nonquorum/--manager/--nonmanager), one
    C(mmchnode) per node. New quorum nodes are added before any is removed, so quorum never
    shrinks below a majority of what it was.
  - Licences that differ - C(mmchlicense server|client --accept -N ...).
  - Nodes the cluster has and I(nodes) lacks are reported in C(extra_nodes), never deleted.
  - Reads the cluster back afterwards and fails when it does not match.
version_added: "0.2.0"
author:
  - deploy-pod developers
options:
  cluster_name:
    description: Cluster name (C(mmcrcluster -C)); compared with an existing cluster's name.
    type: str
    required: true
  nodes:
    description: The nodes the cluster must hold, in order (the first is the primary configuration server).
    type: list
    elements: dict
    required: true
    suboptions:
      daemon:
        description: Daemon node name (the IPoIB name on a pod, so daemon traffic uses the fabric).
        type: str
        required: true
      admin:
        description: Admin node name (the management name; what C(ssh) reaches).
        type: str
        required: true
      quorum:
        description: Quorum node.
        type: bool
        default: false
      manager:
        description: Manager node (file system and token manager candidate).
        type: bool
        default: false
      license:
        description: Licence the node needs.
        type: str
        choices: [server, client, fpo]
        default: client
      host:
        description: Inventory host name (for messages; the plan's scale.nodes carry it).
        type: str
      role:
        description: Inventory role (dgx, ess, nsd); informational.
        type: str
  autoload:
    description: Start GPFS when a node boots (C(mmcrcluster -A)); only used when the cluster is created.
    type: bool
    default: true
  remote_shell:
    description: C(mmcrcluster -r).
    type: path
    default: /usr/bin/ssh
  remote_copy:
    description: C(mmcrcluster -R).
    type: path
    default: /usr/bin/scp
  node_file_dir:
    description: Where the node file is written (IBM's C(/var/mmfs/tmp)); removed afterwards.
    type: path
    default: /var/mmfs/tmp
attributes:
  check_mode:
    support: full
    description: Reads the cluster and reports the commands it would run.
  diff_mode:
    support: full
    description: The node table (daemon name, designation, licence) before and after.
seealso:
  - module: deploy_pod.pod.scale_facts
notes:
  - mmcrcluster and mmaddnode need passwordless root SSH between the admin names (the scale_cluster role sets it up).
extends_documentation_fragment:
  - deploy_pod.pod.scale
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: Cluster with the planned nodes
  deploy_pod.pod.scale_cluster:
    cluster_name: pod1.gpfs
    nodes:
      - {daemon: ess01a-ib, admin: ess01a, quorum: true, manager: true, license: server}
      - {daemon: dgx01-ib, admin: dgx01, license: client}
  run_once: true
"""

RETURN = r"""
created:
  description: Whether C(mmcrcluster) ran.
  returned: always
  type: bool
added:
  description: Daemon names added with C(mmaddnode).
  returned: always
  type: list
  elements: str
designated:
  description: "C(mmchnode) changes, as C(node: --quorum)."
  returned: always
  type: list
  elements: str
licensed:
  description: "Licence changes, as C(node: server)."
  returned: always
  type: list
  elements: str
extra_nodes:
  description: Cluster nodes not in I(nodes) (left alone).
  returned: always
  type: list
  elements: str
commands:
  description: The mm commands run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import (
    MM,
    ScaleError,
    designation,
    node_changes,
    node_file,
    quorum_after,
)

FACETS = ["cluster", "state", "license"]


def table(facts: dict) -> str:
    nodes = facts.get("nodes") or {}
    return "".join(f"{k} {designation(n.get('quorum'), n.get('manager'))} {n.get('license') or '?'}\n"
                   for k, n in sorted(nodes.items()))


def desired_table(nodes: list[dict]) -> str:
    return "".join(f"{n['daemon']} {designation(n['quorum'], n['manager'])} {n['license']}\n"
                   for n in sorted(nodes, key=lambda n: n["daemon"]))


def write_node_file(directory: str, nodes: list[dict]) -> str:
    os.makedirs(directory, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="deploy-pod-nodes.", dir=directory)
    with os.fdopen(fd, "w") as fh:
        fh.write(node_file(nodes))
    return path


def plan_commands(facts: dict, p: dict) -> tuple[list[tuple], dict]:
    """[(command, args, node file nodes or None)] that bring the cluster to p['nodes']."""
    nodes = p["nodes"]
    if not facts.get("member"):
        cmds = [("mmcrcluster", ["-C", p["cluster_name"], "-r", p["remote_shell"], "-R", p["remote_copy"],
                                 *(["-A"] if p["autoload"] else []), "--ccr-enable"], nodes)]
        for lic in ("server", "client", "fpo"):
            names = [n["daemon"] for n in nodes if n["license"] == lic]
            if names:
                cmds.append(("mmchlicense", [lic, "--accept", "-N", ",".join(names)], None))
        changes = {"add": nodes, "quorum_on": [], "quorum_off": [], "manager_on": [], "manager_off": [],
                   "licences": {}, "extra": [], "create": True}
        return cmds, changes
    changes = node_changes(facts.get("nodes") or {}, nodes)
    changes["create"] = False
    cmds = []
    if changes["add"]:
        cmds.append(("mmaddnode", ["--accept"], changes["add"]))
    # node_changes lists the added nodes under their licence too
    for kind in ("server", "client", "fpo"):
        names = sorted(set(changes["licences"].get(kind, [])))
        if names:
            cmds.append(("mmchlicense", [kind, "--accept", "-N", ",".join(names)], None))
    # quorum grows first, then shrinks: never fewer quorum nodes than before in between; one node
    # per mmchnode, so the cluster takes each quorum change (a CCR update) before the next one
    for key, flag in (("quorum_on", "--quorum"), ("manager_on", "--manager"), ("manager_off", "--nonmanager"),
                      ("quorum_off", "--nonquorum")):
        for name in changes[key]:
            cmds.append(("mmchnode", [flag, "-N", name], None))
    return cmds, changes


def main():
    module = AnsibleModule(
        argument_spec={
            "cluster_name": {"type": "str", "required": True},
            "nodes": {"type": "list", "elements": "dict", "required": True, "options": {
                "daemon": {"type": "str", "required": True},
                "admin": {"type": "str", "required": True},
                "quorum": {"type": "bool", "default": False},
                "manager": {"type": "bool", "default": False},
                "license": {"type": "str", "choices": ["server", "client", "fpo"], "default": "client"},
                "host": {"type": "str"},
                "role": {"type": "str"},
            }},
            "autoload": {"type": "bool", "default": True},
            "remote_shell": {"type": "path", "default": "/usr/bin/ssh"},
            "remote_copy": {"type": "path", "default": "/usr/bin/scp"},
            "node_file_dir": {"type": "path", "default": "/var/mmfs/tmp"},
        },
        supports_check_mode=True,
    )
    p = module.params
    if not any(n["quorum"] for n in p["nodes"]):
        module.fail_json(msg="nodes: no quorum node; Spectrum Scale needs at least one (an odd number, at most 7)")
    runner = MM(module)
    try:
        before = runner.facts(FACETS)
    except ScaleError as exc:
        runner.fail(exc)
    if not before.get("installed"):
        module.fail_json(msg=f"{runner.node}: Spectrum Scale is not installed (no /usr/lpp/mmfs/bin/mmlscluster); "
                             "run the scale_install phase first")
    if before.get("member") and before["cluster"]["name"] != p["cluster_name"]:
        module.fail_json(msg=f"{runner.node} belongs to cluster {before['cluster']['name']}, the plan says "
                             f"{p['cluster_name']}; deploy-pod never re-creates a cluster. Fix pod.cluster_name or "
                             "remove the node from the other cluster (mmdelnode) by hand")
    cmds, changes = plan_commands(before, p)
    if before.get("member") and quorum_after(before["nodes"], changes) < 1:
        module.fail_json(msg="the change would leave the cluster without a quorum node")
    result = {
        "changed": bool(cmds), "created": changes["create"], "added": [d["daemon"] for d in changes["add"]],
        "designated": [f"{n}: {f}" for k, f in (("quorum_on", "--quorum"), ("quorum_off", "--nonquorum"),
                                                 ("manager_on", "--manager"), ("manager_off", "--nonmanager"))
                       for n in changes[k]],
        "licensed": [f"{n}: {k}" for k, names in changes["licences"].items() for n in names],
        "extra_nodes": changes["extra"],
        "commands": [" ".join([c, *a] + (["-N", "<node file>"] if f else [])) for c, a, f in cmds],
    }
    if module._diff:
        result["diff"] = {"before": table(before), "after": desired_table(p["nodes"]) if cmds else table(before),
                          "before_header": "cluster nodes", "after_header": "cluster nodes"}
    if module.check_mode or not cmds:
        module.exit_json(**result)
    for command, args, file_nodes in cmds:
        path = write_node_file(p["node_file_dir"], file_nodes) if file_nodes else None
        try:
            runner.run(command, *(["-N", path] if path else []), *args)
        except ScaleError as exc:
            runner.fail(exc, **{k: v for k, v in result.items() if k != "commands"})
        finally:
            if path:
                os.unlink(path)
    after = runner.facts(FACETS)
    left, _ = plan_commands(after, p)
    if left:
        module.fail_json(msg=f"{runner.node}: the cluster still differs from the plan after "
                             f"{', '.join(c for c, _, _ in cmds)}: would still run "
                             + "; ".join(" ".join([c, *a]) for c, a, _ in left), **result)
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
