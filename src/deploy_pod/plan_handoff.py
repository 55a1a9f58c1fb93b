"""The plan computed once per `deploy-pod up` and handed to every phase playbook.

The runner reads the inventory and computes the plan (deploy_pod.planner.make_plan with the lock)
once, writes it to a private JSON file and passes its path to each phase as the extra var
PLAN_VAR. The pod_plan action plugin uses that plan instead of computing its own only when the
file's fingerprint matches the run it is in: the same inventory sources with the same contents,
the same lock files and the same extra vars (which Ansible lays over every host's variables).
Otherwise (a stale or foreign file, ansible-playbook or AWX run alone) it computes the plan as
before. Light to import (the action plugin imports it in every phase): only the lock file's naming
comes from deploy_pod.lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

PLAN_VAR = "deploy_pod_plan_file"
VERSION = 1


def _digest_path(h, path: Path) -> None:
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(sub.relative_to(path)).encode() + b"\0")
            h.update(hashlib.sha256(sub.read_bytes()).digest())
    elif path.is_file():
        h.update(hashlib.sha256(path.read_bytes()).digest())


def fingerprint(sources: list[str], extra_vars: dict | None) -> str | None:
    """What the plan was made from: the inventory sources (by real path, with their contents and the
    lock file beside each), and the extra vars, the plan's own variable left out. None when the extra
    vars cannot be written as JSON (the plan is then never handed over)."""
    from deploy_pod.lock import lock_path  # the lock's name beside each source, as `up` writes it

    h = hashlib.sha256(f"deploy-pod plan handoff {VERSION}\0".encode())
    for src in sources:
        path = Path(src)
        if path.exists():
            path = Path(os.path.realpath(path))
            h.update(b"path\0" + str(path).encode() + b"\0")
            _digest_path(h, path)
            lock = lock_path(path)
            if path.is_file() and lock.is_file():
                h.update(b"lock\0")
                _digest_path(h, lock)
        else:  # a host list or a plugin's source string
            h.update(b"source\0" + src.encode() + b"\0")
    extra = {k: v for k, v in (extra_vars or {}).items() if k != PLAN_VAR}
    try:
        h.update(json.dumps(extra, sort_keys=True).encode())
    except (TypeError, ValueError):  # vault values, tagged types: not comparable
        return None
    return h.hexdigest()


def write(path: Path, plan: dict, fp: str) -> Path:
    """A 0600 JSON file holding the plan and its fingerprint."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"version": VERSION, "fingerprint": fp, "plan": plan}, fh)
    return path


def read(path: str | None, sources: list[str], extra_vars: dict | None) -> dict | None:
    """The handed plan when `path` holds one made from these sources and extra vars; None otherwise
    (no file, unreadable, another version, another inventory or lock or extra vars)."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("plan"), dict):
        return None
    fp = fingerprint(sources, extra_vars)
    if fp is None or data.get("fingerprint") != fp:
        return None
    return data["plan"]
