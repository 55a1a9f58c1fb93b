#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: scale_facts
short_description: Gather IBM Storage Scale (GPFS) cluster facts on a node
description:
  - Reads the state of the Storage Scale cluster this node belongs to with the C(-Y)
    (machine readable) output of the C(/usr/lpp/mmfs/bin) commands and returns it as
    C(ansible_facts.deploy_pod_scale) - cluster, nodes with their designation, daemon state
    and licence, configuration per scope, node classes, NSDs, file systems with their disks and
    capacity, mounts, mmvdisk objects and the node's health. Tasks use these facts; they do not call mm commands to
    read state.
  - C(mmlscluster -Y) is always read. A node where it is not installed or that does not
    belong to a cluster gets RV(ansible_facts.deploy_pod_scale.installed) and
    RV(ansible_facts.deploy_pod_scale.member) only; that is not a failure.
  - Only the commands of the facets in O(gather) run; the facts count them in C(reads).
    Facets not gathered are null in the facts.
  - C(mmlslicense) missing or failing leaves the licences null; C(mmvdisk) missing (a node
    without Storage Scale RAID) leaves the vdisk facet empty; C(mmlsnsd -X -Y) failing is
    retried as C(mmlsnsd -Y). Any other failing read fails the task with the node's name,
    the command and IBM's own message.
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  gather:
    description:
      - Facets to read. C(cluster) is always read (it tells membership and names the nodes).
      - C(cluster) C(mmlscluster -Y); C(state) C(mmgetstate -a -Y); C(license)
        C(mmlslicense -L -Y); C(config) C(mmlsconfig -Y); C(nodeclasses)
        C(mmlsnodeclass --all -Y); C(nsds) C(mmlsnsd -X -Y); C(filesystems) C(mmlsfs all -Y);
        C(mounts) C(mmlsmount all -L -Y); C(vdisk) C(mmvdisk nodeclass|server|recoverygroup|vdiskset
        list -Y); C(health) C(mmhealth node show -Y).
      - C(disks) C(mmlsdisk FS -Y) and C(capacity) C(mmdf FS -Y) run once per file system that
        C(mmlsfs all -Y) lists (C(filesystems) is read with them). They need the file system
        manager, so an active quorum, and are not in the default.
    type: list
    elements: str
    choices: [cluster, state, license, config, nodeclasses, nsds, filesystems, disks, capacity, mounts, vdisk, health]
    default: [cluster, state, license, config, nodeclasses, nsds, filesystems, mounts, vdisk, health]
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
  - deploy_pod.pod.attributes.facts
requirements:
  - IBM Storage Scale (gpfs.base) installed in C(/usr/lpp/mmfs); root, as the mm commands need
seealso:
  - module: deploy_pod.pod.kernel_module
"""

EXAMPLES = r"""
- name: Read the Storage Scale cluster as this node sees it
  deploy_pod.pod.scale_facts:

- name: Read only what the mount step needs
  deploy_pod.pod.scale_facts:
    gather: [state, filesystems, mounts]

- name: Disks and free space of every file system (needs an active quorum)
  deploy_pod.pod.scale_facts:
    gather: [disks, capacity]

- name: Stop when this node has not joined the cluster
  ansible.builtin.assert:
    that: ansible_facts.deploy_pod_scale.member
    fail_msg: "{{ inventory_hostname }} is not a member of a Storage Scale cluster"

- name: Nodes whose daemon is not active
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.deploy_pod_scale.nodes | dict2items
         | rejectattr('value.state', 'equalto', 'active') | map(attribute='key') | list }}
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    deploy_pod_scale:
      description: The Storage Scale cluster as this node reads it.
      returned: always
      type: complex
      contains:
        installed:
          description: C(/usr/lpp/mmfs/bin/mmlscluster) exists.
          type: bool
          sample: true
        member:
          description: This node belongs to a Storage Scale cluster.
          type: bool
          sample: true
        local_node:
          description:
            - This node's daemon node name in the cluster (its host name, FQDN or short name
              matched), null when not found.
          type: str
          sample: dgx01
        cluster:
          description: C(mmlscluster) summary; null when not a member.
          type: dict
          sample: {name: pod1, id: "2936932203756487754", uid_domain: pod1, rsh: /usr/bin/ssh,
                   rcp: /usr/bin/scp, repository: CCR, primary_server: ess01a, secondary_server: null}
        nodes:
          description:
            - Cluster nodes by daemon node name. C(designation) as C(mmlscluster -Y) prints it
              (C(quorum), C(quorumManager), C(manager), empty for a client); C(state) from
              C(mmgetstate) (null when not gathered); C(license) the designated licence from
              C(mmlslicense) (null when not read).
          type: dict
          sample:
            ess01a: {number: 1, daemon: ess01a, admin: ess01a, ip: 10.0.1.1, quorum: true, manager: true,
                     designation: quorumManager, roles: [], state: active, license: server}
        quorum:
          description: From C(mmgetstate), quorum nodes needed, nodes up and total nodes.
          type: dict
          sample: {needed: 2, up: 3, total: 3}
        licenses:
          description: C(mmlslicense) per node (C(designated), C(required)); null when not read.
          type: dict
          sample: {dgx01: {designated: client, required: client}}
        config:
          description:
            - C(mmlsconfig) as attribute -> scope -> value; scope C('') is cluster-wide, else
              the node class or node list.
          type: dict
          sample: {pagepool: {"": 4G, ess01: 307G}, maxblocksize: {"": 16M}}
        nodeclasses:
          description: Node classes with their member daemon names and C(type) C(user) or C(system).
          type: dict
          sample: {storage: {members: [ess01a, ess01b], member_classes: [], type: user}}
        nsds:
          description:
            - NSDs by name. C(fs) null for a free disk; C(device) the local device on the first
              server (C(devices) per server) where the layout prints it; C(usage),
              C(failure_group), C(pool) only where the layout prints them.
          type: dict
          sample:
            nsd1: {fs: fs1, servers: [ess01a, ess01b], volume_id: 0A0A26E767DE8191, device: /dev/sdb,
                   devices: {ess01a: /dev/sdb}, device_type: generic, remarks: server node, size_mb: null,
                   thin: null, usage: null, failure_group: null, pool: null}
        filesystems:
          description:
            - File systems with C(block_size) in bytes, mount point, automount, replicas, disks
              and every C(mmlsfs) attribute.
          type: dict
          sample:
            fs1: {mount_point: /gpfs/fs1, block_size: 16777216, automount: "yes", default_data_replicas: 1,
                  max_data_replicas: 2, default_metadata_replicas: 1, max_metadata_replicas: 2,
                  disks: [RG001LG001VS001, RG001LG002VS001], storage_pools: [system], attributes: {}}
        disks:
          description:
            - "C(mmlsdisk) per file system: file system -> NSD -> failure group (int), C(status)
              (C(ready), C(suspended), C(to be emptied), ...), C(availability) (C(up), C(down),
              C(recovering), ...), storage pool, size in KiB and whether it holds metadata and data.
              Null when not gathered."
          type: dict
          sample:
            fs1: {RG001LG001VS001: {failure_group: 1, status: ready, availability: up, pool: system,
                                    size_kb: 130518089728, metadata: true, data: true}}
        capacity:
          description:
            - "C(mmdf) per file system, sizes in KiB (mmdf's unit): C(total_kb), C(free_kb) (free in
              full blocks), C(free_fragments_kb), C(data_kb), C(metadata_kb), per storage pool
              C(total_kb), C(free_kb) and C(free_pct), per NSD C(size_kb), C(failure_group),
              C(free_kb), C(pool), C(metadata), C(data), and the inode counts. Null when not
              gathered."
          type: dict
          sample:
            fs1: {total_kb: 3661677723648, free_kb: 481202021888, free_fragments_kb: 12117655064,
                  data_kb: 3647786188800, metadata_kb: 13891534848,
                  pools: {system: {total_kb: 783308292096, free_kb: 380564840448, free_pct: 49}},
                  disks: {P_META_VD102: {size_kb: 771751936, failure_group: 300, free_kb: 320274944,
                                         pool: system, metadata: true, data: false}},
                  inodes: {used: 430741822, free: 484301506, allocated: 915043328, max: 1332164000}}
        mounts:
          description:
            - File system -> daemon names of the nodes that have it mounted (every known file
              system, empty when unmounted).
          type: dict
          sample: {fs1: [ess01a, ess01b, dgx01]}
        vdisk:
          description:
            - mmvdisk node classes, servers, recovery groups and vdisk sets; all empty where
              mmvdisk is not installed.
          type: dict
          sample:
            nodeclasses: {ess01: {members: [ess01a, ess01b], recoverygroups: [rg1]}}
            servers: {ess01a: {number: 1, active: true, remarks: serving rg1, nodeclass: null}}
            recoverygroups: {rg1: {nodeclass: ess01, active: true, current_server: ess01a, user_vdisks: 2}}
            vdisksets: {vs1: {created: true, fs: fs1, recoverygroups: [rg1], code: 8+2p, block_size: 16m,
                              set_size: 80%, nsd_usage: dataAndMetadata, storage_pool: system}}
        health:
          description: This node's C(mmhealth) component -> status (node-level state of each component).
          type: dict
          sample: {NODE: HEALTHY, GPFS: HEALTHY, NETWORK: HEALTHY, FILESYSTEM: HEALTHY}
        health_entities:
          description: Component -> entity -> status (ports, file systems).
          type: dict
          sample: {NETWORK: {dgx01: HEALTHY, mlx5_0/1: HEALTHY}}
        facets:
          description: The facets read.
          type: list
          elements: str
          sample: [cluster, state, mounts]
        reads:
          description: mm commands run.
          type: int
          sample: 12
"""

import contextlib
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_facts import (
    DEFAULT_FACETS,
    FACETS,
    ScaleReadError,
    read_facts,
)


def hostnames() -> list[str]:
    names = [socket.gethostname()]
    with contextlib.suppress(OSError):
        names.append(socket.getfqdn())
    return names + [n.split(".")[0] for n in names]


def main():
    module = AnsibleModule(
        argument_spec={
            "gather": {"type": "list", "elements": "str", "choices": list(FACETS),
                       "default": list(DEFAULT_FACETS)},
        },
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv)

    names = hostnames()
    try:
        facts = read_facts(run, module.params["gather"], names)
    except ScaleReadError as exc:
        module.fail_json(msg=f"{names[0]}: {exc.command} failed (exit {exc.rc}): {exc.detail}",
                         cmd=exc.command, rc=exc.rc, stdout=exc.out, stderr=exc.err)
    module.exit_json(changed=False, ansible_facts={"deploy_pod_scale": facts})


if __name__ == "__main__":
    main()
