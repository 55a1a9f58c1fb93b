# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Pure helpers for the container engine modules (container_login, container_image, tf_bench):
reading `docker image inspect` and ~/.docker/config.json, deciding what to do, building argv."""

from __future__ import annotations

import base64
import json


def parse_inspect(text):
    """`docker image inspect REF` output -> {"id", "repo_digests", "repo_tags"}, or None when the
    engine answered with an empty list (the image is not there)."""
    data = json.loads(text or "[]")
    if not data:
        return None
    img = data[0]
    return {"id": img.get("Id", ""), "repo_digests": sorted(img.get("RepoDigests") or []),
            "repo_tags": sorted(img.get("RepoTags") or [])}


def auth_value(username, password):
    """The `auth` field docker login writes for a registry: base64 of user:password."""
    return base64.b64encode((f"{username}:{password}").encode()).decode()


def login_state(config_text, registry, username, password):
    """'current' (config.json already holds exactly these credentials), 'differs', 'absent', or
    'helper' (a credential store or helper keeps them: unreadable here, so log in again)."""
    try:
        cfg = json.loads(config_text) if config_text and config_text.strip() else {}
    except ValueError:
        return "differs"
    if registry in (cfg.get("credHelpers") or {}) or cfg.get("credsStore"):
        return "helper"
    entry = (cfg.get("auths") or {}).get(registry)
    if entry is None:
        entry = (cfg.get("auths") or {}).get("https://" + registry)
    if not entry:
        return "absent"
    return "current" if entry.get("auth") == auth_value(username, password) else "differs"


def pull_changed(before, after):
    """A pull changed the host when the image was missing or the tag now points at another image."""
    if after is None:
        return False
    return before is None or before["id"] != after["id"]


def gpu_container_argv(engine, name, image, gpu, mounts, command, extra_args=()):
    """`docker run` for one benchmark container pinned to one GPU, as NVIDIA's NGC guides run
    them: --gpus device=N, host IPC (shared memory for the input pipeline), host network, no
    memlock limit. mounts: (host path, container path, read_only) triples."""
    argv = [engine, "run", "--rm", "--name", name, "--gpus", f"device={int(gpu)}", "--ipc=host",
            "--network=host", "--ulimit", "memlock=-1", "--ulimit", "stack=67108864"]
    for src, dest, ro in mounts:
        argv += ["-v", "{}:{}{}".format(src, dest, ":ro" if ro else "")]
    return argv + list(extra_args) + [image] + list(command)


def tf_cnn_benchmarks_args(script, model, batch_size, num_batches, data_dir=None, forward_only=False):
    """The tf_cnn_benchmarks command line for one GPU; data_dir None: synthetic data."""
    cmd = ["python3", script, f"--model={model}", f"--batch_size={int(batch_size)}",
           f"--num_batches={int(num_batches)}", "--num_gpus=1"]
    if data_dir:
        cmd += [f"--data_dir={data_dir}", "--data_name=imagenet"]
    if forward_only:
        cmd.append("--forward_only")
    return cmd
