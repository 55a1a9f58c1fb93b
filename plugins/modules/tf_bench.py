#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: tf_bench
short_description: tf_cnn_benchmarks in an NGC container, one container per GPU, all GPUs at once
description:
  - Starts one container per GPU in O(gpus) (C(docker run --gpus device=N), host IPC and
    network, as NVIDIA runs NGC benchmarks), all at the same time, each running
    C(tf_cnn_benchmarks.py) for O(model) on one GPU; parses C(total images/sec) of each
    (module_utils/tfbench.py) and returns them with their sum.
  - O(data_dir) unset is synthetic data. With O(stage_dir) the data set is first copied there
    (a RAM disk, C(/dev/shm)), the runs read the copy, and the copy is removed afterwards, also
    when a run fails; the module refuses when the RAM disk lacks the room.
  - Leftover containers of an interrupted run (same names) are removed first. Nothing on the
    host is left changed, so the module never reports a change; check mode runs nothing.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  image:
    description: The NGC TensorFlow image (pulled by the ngc phase).
    type: str
    required: true
  gpus:
    description: GPU indices, one container each.
    type: list
    elements: int
    required: true
  model:
    description: tf_cnn_benchmarks model.
    type: str
    default: resnet50
  batch_size:
    description: Batch size per GPU.
    type: int
    default: 64
  num_batches:
    description: Batches measured.
    type: int
    default: 100
  mode:
    description: C(inference) adds C(--forward_only).
    type: str
    choices: [training, inference]
    default: training
  data_dir:
    description: TFRecord data set on the host (mounted read-only at C(/data)); unset for synthetic data.
    type: path
  stage_dir:
    description: Copy O(data_dir) here first and read the copy (removed after).
    type: path
  benchmarks_dir:
    description: A tensorflow/benchmarks checkout on the host, mounted at C(/workspace/benchmarks).
    type: path
  script:
    description: tf_cnn_benchmarks.py inside the container.
    type: str
    default: /workspace/benchmarks/scripts/tf_cnn_benchmarks/tf_cnn_benchmarks.py
  engine:
    description: Container engine CLI.
    type: str
    default: docker
  timeout:
    description: Seconds all containers together may take.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    description: Runs nothing.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
"""

EXAMPLES = r"""
- name: ResNet-50 training from the Scale mount on 8 GPUs
  deploy_pod.pod.tf_bench:
    image: nvcr.io/nvidia/tensorflow:24.03-tf2-py3
    gpus: [0, 1, 2, 3, 4, 5, 6, 7]
    data_dir: /gpfs/fs1/.deploy-pod-acceptance/tfrecords
"""

RETURN = r"""
gpus:
  description: Per GPU, its images/s.
  returned: success
  type: list
  sample: [{"gpu": 0, "images_per_sec": 51.66}]
images_per_sec:
  description: Sum over the GPUs.
  returned: success
  type: float
"""

import os
import shutil
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.containers import (
    gpu_container_argv,
    tf_cnn_benchmarks_args,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.tfbench import parse_tf_cnn_benchmarks

SCRIPT = "/workspace/benchmarks/scripts/tf_cnn_benchmarks/tf_cnn_benchmarks.py"


def tree_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def stage(module, src, dest):
    need = tree_bytes(src)
    parent = os.path.dirname(dest.rstrip("/")) or "/"
    free = shutil.disk_usage(parent).free
    if need * 1.05 > free:
        module.fail_json(msg=f"the RAM disk {parent} has {free / 2 ** 30:.1f} GiB free; the data set {src} needs "
                         f"{need / 2 ** 30:.1f} GiB: give the data set a smaller copy or the RAM disk more room")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)


def run_all(module, engine, p, data_dir):
    names = [f"deploy-pod-acceptance-gpu{int(g)}" for g in p["gpus"]]
    subprocess.run([engine, "rm", "-f"] + names, capture_output=True)
    mounts = []
    if data_dir:
        mounts.append((data_dir, "/data", True))
    if p["benchmarks_dir"]:
        mounts.append((p["benchmarks_dir"], "/workspace/benchmarks", True))
    cmd = tf_cnn_benchmarks_args(p["script"], p["model"], p["batch_size"], p["num_batches"],
                                 "/data" if data_dir else None, p["mode"] == "inference")
    procs = {}
    for gpu, name in zip(p["gpus"], names, strict=False):
        argv = gpu_container_argv(engine, name, p["image"], gpu, mounts, cmd)
        procs[gpu] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + p["timeout"]
    outputs, failed = {}, []
    for gpu, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            subprocess.run([engine, "rm", "-f"] + names, capture_output=True)
            out, _ = proc.communicate()
            failed.append(f"GPU {gpu}: no result within {p['timeout']} s")
        outputs[gpu] = out
        if proc.returncode != 0 and not failed:
            failed.append(f"GPU {gpu}: exit {proc.returncode}: " + " | ".join(out.strip().splitlines()[-5:]))
    return outputs, failed


def main():
    module = AnsibleModule(
        argument_spec={
            "image": {"type": "str", "required": True},
            "gpus": {"type": "list", "elements": "int", "required": True},
            "model": {"type": "str", "default": "resnet50"},
            "batch_size": {"type": "int", "default": 64},
            "num_batches": {"type": "int", "default": 100},
            "mode": {"type": "str", "choices": ["training", "inference"], "default": "training"},
            "data_dir": {"type": "path"},
            "stage_dir": {"type": "path"},
            "benchmarks_dir": {"type": "path"},
            "script": {"type": "str", "default": SCRIPT},
            "engine": {"type": "str", "default": "docker"},
            "timeout": {"type": "int", "default": 3600},
        },
        required_by={"stage_dir": "data_dir"},
        supports_check_mode=True,
    )
    p = module.params
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, msg="check mode: no measurement")
    if not p["gpus"]:
        module.fail_json(msg="no GPU to run on")
    engine = module.get_bin_path(p["engine"], required=True)
    data_dir = p["data_dir"]
    if data_dir and not os.path.isdir(data_dir):
        module.fail_json(msg=f"data set {data_dir} is not there")
    try:
        if p["stage_dir"]:
            stage(module, data_dir, p["stage_dir"])
            data_dir = p["stage_dir"]
        outputs, failed = run_all(module, engine, p, data_dir)
    finally:
        if p["stage_dir"]:
            shutil.rmtree(p["stage_dir"], ignore_errors=True)
    if failed:
        module.fail_json(msg="{} {} on {}: {}".format(p["model"], p["mode"], p["image"], "; ".join(failed)))
    per_gpu = []
    for gpu in p["gpus"]:
        try:
            parsed = parse_tf_cnn_benchmarks(outputs[gpu])
        except ValueError as exc:
            module.fail_json(msg=f"GPU {gpu}: {exc}", output=outputs[gpu][-3000:])
        per_gpu.append({"gpu": gpu, "images_per_sec": parsed["images_per_sec"]})
    module.exit_json(changed=False, gpus=per_gpu,
                     images_per_sec=round(sum(g["images_per_sec"] for g in per_gpu), 2))


if __name__ == "__main__":
    main()
