#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Gather NVIDIA GPU facts and check them against the plan
description:
  - Runs C(nvidia-smi --query-gpu=index,name,uuid,memory.total,pci.bus_id,serial
    --format=csv,noheader,nounits) and C(nvidia-smi topo -m), reads C(/etc/dgx-release) when it
    exists, and returns C(ansible_facts.gpus) with the GPU count, models, memory, the NVLink
    topology and the DGX OS release.
  - >-
    With O(expected_count) or O(expected_model) it also returns RV(problems), one plain sentence
    each, such as C(dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)). Problems fail the
    task only with O(fail_on_problems=true).
  - >-
    O(expected_platform) checks the DGX platform named in C(/etc/dgx-release), for example
    C(dgx01: DGX platform is DGX Server for DGX A100 in /etc/dgx-release, dgx-1 is a DGX-1).
  - Model names are compared without regard to case, spacing or a leading C(NVIDIA).
  - A failing C(nvidia-smi topo -m) is a warning (topology is then null), not a failure.
  - Reads state only; never reports a change.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  expected_count:
    description: GPUs the host should have (the catalog's C(gpus.count) for its C(hw_model)).
    type: int
  expected_model:
    description: GPU name as nvidia-smi prints it, for example C(Tesla V100-SXM2-32GB).
    type: str
  expected_platform:
    description:
      - DGX platform the host should be (the catalog's C(dgx_platform), for example C(DGX-1)), compared
        with C(DGX_PLATFORM) in O(dgx_release_path) (C(DGX Server for DGX-1)). A missing file is a problem.
    type: str
  hw_model:
    description:
      - Hardware model of the host in the inventory (C(dgx-1)), used in the problem sentences
        (C(dgx-1 has 8)). Without it the sentences say C(expected 8).
    type: str
  host:
    description:
      - Name of the host in the problem sentences; pass C({{ inventory_hostname }}).
      - Defaults to the host's short hostname.
    type: str
  fail_on_problems:
    description: Fail the task when there are problems (the facts are still returned).
    type: bool
    default: false
  nvidia_smi_path:
    description: The C(nvidia-smi) command; found on the PATH when not given.
    type: path
  dgx_release_path:
    description: Where DGX OS keeps its release file.
    type: path
    default: /etc/dgx-release
extends_documentation_fragment:
  - deploy_pod.pod.attributes
  - deploy_pod.pod.attributes.read_only
  - deploy_pod.pod.attributes.facts
requirements:
  - the NVIDIA driver utilities (C(nvidia-smi))
seealso:
  - module: deploy_pod.pod.ib_facts
"""

EXAMPLES = r"""
- name: Gather GPU facts and compare them with the catalog entry of the host's model
  deploy_pod.pod.gpu_facts:
    host: "{{ inventory_hostname }}"
    hw_model: "{{ hw_model }}"
    expected_count: 8
    expected_model: Tesla V100-SXM2-32GB
  register: gpu_check

- name: Stop on a missing GPU
  deploy_pod.pod.gpu_facts:
    host: "{{ inventory_hostname }}"
    expected_count: 8
    fail_on_problems: true

- name: Show the NVLink bonds between GPU pairs
  ansible.builtin.debug:
    var: ansible_facts.gpus.topology.nvlink.by_count
"""

RETURN = r"""
problems:
  description:
    - What differs from O(expected_count), O(expected_model) and O(expected_platform), one sentence
      each; empty when all is well.
  returned: always
  type: list
  elements: str
  sample: ["dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)"]
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    gpus:
      description: GPUs as nvidia-smi reports them.
      returned: always
      type: complex
      contains:
        count:
          description: GPUs the driver sees.
          type: int
          sample: 8
        models:
          description: Distinct GPU names, in index order.
          type: list
          elements: str
          sample: [Tesla V100-SXM2-32GB]
        model:
          description: The GPU name when all GPUs are the same model, else null.
          type: str
          sample: Tesla V100-SXM2-32GB
        memory_mib:
          description: Memory per GPU in MiB when all GPUs have the same, else null.
          type: int
          sample: 32768
        memory_mib_total:
          description: Memory of all GPUs together in MiB.
          type: int
          sample: 262144
        devices:
          description: One record per GPU (C(index), C(name), C(uuid), C(memory_mib), C(pci_bus_id), C(serial)).
          type: list
          elements: dict
          sample:
            - index: 0
              name: Tesla V100-SXM2-32GB
              uuid: GPU-b52c5af0-bbc2-af0c-6130-965c1aceede6
              memory_mib: 32768
              pci_bus_id: "00000000:06:00.0"
              serial: "6785472792512"
        topology:
          description:
            - C(nvidia-smi topo -m) as data, null when it failed. NICs are named by device
              (C(mlx5_0)) even where the driver prints C(NIC0) and a legend.
            - C(nvlink) summarises the GPU-to-GPU cells, C(pairs) (bonded NVLinks per GPU pair),
              C(link_counts) (the distinct C(NV#) values, C([1, 2]) on a DGX-1 hybrid cube-mesh,
              C([6]) on a DGX-2), C(by_count) (GPU pairs per C(NV#)), C(per_gpu) (NVLinks per GPU)
              and C(gpus_without_nvlink).
          type: dict
          sample:
            devices: [GPU0, GPU1, mlx5_0]
            gpus: [GPU0, GPU1]
            nics: [mlx5_0]
            matrix: {GPU0: {GPU0: X, GPU1: NV1, mlx5_0: PIX}}
            cpu_affinity: {GPU0: "0-19,40-59"}
            numa_affinity: {GPU0: "0"}
            nvlink:
              pairs: {GPU0-GPU1: 1}
              link_counts: [1, 2]
              by_count: {NV1: 8, NV2: 8}
              per_gpu: {GPU0: 6}
              gpus_without_nvlink: []
        dgx_release:
          description:
            - The DGX OS release from C(/etc/dgx-release), null when the file does not exist.
              C(version) is the last OTA upgrade, or the installed base version.
          type: dict
          sample:
            name: DGX Server
            pretty_name: NVIDIA DGX Server
            platform: DGX Server for DGX-1
            version: 5.5.1
            base_version: 5.0.0
            major: 5
            serial_number: QTFC031860881
            ota: [{version: 5.5.1, date: 2024-03-12-10-41-07}]
"""

import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.dgx_release import parse_dgx_release
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import (
    QUERY_FIELDS,
    gpu_facts,
    gpu_problems,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.nvidia_parsers import (
    parse_query_gpu_csv,
    parse_topo_matrix,
)

MISSING = ("nvidia-smi not found on the PATH: install the NVIDIA driver utilities (nvidia-utils-<driver> "
           "on Ubuntu/DGX OS), or give nvidia_smi_path")


def gather(module: AnsibleModule) -> tuple[dict, list[str]]:
    """(gpu facts, warnings)."""
    smi = module.params.get("nvidia_smi_path")
    if smi and not os.access(smi, os.X_OK):
        module.fail_json(msg=f"nvidia_smi_path {smi} is not an executable file")
    smi = smi or module.get_bin_path("nvidia-smi", opt_dirs=["/usr/bin", "/usr/local/bin"])
    if not smi:
        module.fail_json(msg=MISSING)
    warnings = []
    rc, out, err = module.run_command([smi, "--query-gpu=" + ",".join(QUERY_FIELDS),
                                       "--format=csv,noheader,nounits"])
    if rc != 0:
        module.fail_json(msg=f"nvidia-smi --query-gpu failed (exit {rc}): {(err or out).strip()}",
                         rc=rc, stdout=out, stderr=err)
    rows = parse_query_gpu_csv(out or "", fields=QUERY_FIELDS)
    topo = None
    rc, tout, terr = module.run_command([smi, "topo", "-m"])
    if rc == 0:
        topo = parse_topo_matrix(tout or "")
    else:
        warnings.append(f"nvidia-smi topo -m failed (exit {rc}): {(terr or tout).strip()}; topology is null")
    release = None
    path = module.params.get("dgx_release_path") or "/etc/dgx-release"
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                release = parse_dgx_release(fh.read())
        except OSError as exc:
            warnings.append(f"{path} unreadable: {exc}; dgx_release is null")
    return gpu_facts(rows, topo, release), warnings


def main():
    module = AnsibleModule(
        argument_spec={
            "expected_count": {"type": "int"},
            "expected_model": {"type": "str"},
            "expected_platform": {"type": "str"},
            "hw_model": {"type": "str"},
            "host": {"type": "str"},
            "fail_on_problems": {"type": "bool", "default": False},
            "nvidia_smi_path": {"type": "path"},
            "dgx_release_path": {"type": "path", "default": "/etc/dgx-release"},
        },
        supports_check_mode=True,
    )
    p = module.params
    facts, warnings = gather(module)
    for w in warnings:
        module.warn(w)
    host = p.get("host") or socket.gethostname().split(".")[0]
    problems = gpu_problems(host, facts, p.get("expected_count"), p.get("expected_model"), p.get("hw_model"),
                            p.get("expected_platform"), p.get("dgx_release_path") or "/etc/dgx-release")
    result = {"changed": False, "problems": problems, "ansible_facts": {"gpus": facts}}
    if problems and p.get("fail_on_problems"):
        module.fail_json(msg="; ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
