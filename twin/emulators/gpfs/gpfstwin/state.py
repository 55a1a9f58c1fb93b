"""Cluster-wide state: one JSON file on the volume every twin container shares.

Writers take an exclusive fcntl.flock on a separate lock file and replace the JSON
atomically (temp file + rename), so a reader never sees half a file and two nodes never
interleave read-modify-write. Per-node liveness lives apart, in nodes/<name>.json, written
by each node's emulated daemon every few seconds: heartbeats then never contend for the lock.
"""

import contextlib
import fcntl
import json
import os
import tempfile
import time

from . import env

STATE_FILE = "state.json"
LOCK_FILE = "state.lock"


def empty_state() -> dict:
    return {
        "cluster": None,        # name, id, uid_domain, rsh, rcp, created
        "nodes": {},            # daemon name -> node record
        "next_node_number": 1,
        "nodeclasses": {},      # name -> {"members": [...], "mmvdisk": bool}
        "config": [],           # [{"attr", "value", "scope"}] in the order set; scope "" = cluster
        "nsds": {},             # name -> NSD record
        "nsd_order": [],        # creation order, for listings
        "descriptors": {},      # "node:device" -> nsd name: disks written by mmcrnsd
        "filesystems": {},      # name -> file system record
        "desired": {},          # node -> "up" | "down", set by mmstartup / mmshutdown
        "mount_desired": {},    # fs -> [nodes] that should have it mounted
        "vdisk": {"nodeclasses": {}, "servers": {}, "recoverygroups": {}, "vdisksets": {}},
    }


def _path(name: str) -> str:
    return os.path.join(env.shared_dir(), name)


def atomic_write(path: str, data: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load() -> dict:
    """A consistent snapshot for read-only commands (no lock: the file is replaced atomically)."""
    try:
        with open(_path(STATE_FILE)) as f:
            data = json.load(f)
    except FileNotFoundError:
        return empty_state()
    base = empty_state()
    base.update(data)
    return base


@contextlib.contextmanager
def transaction():
    """Exclusive read-modify-write of the cluster state; saved only if the block succeeds."""
    os.makedirs(env.shared_dir(), exist_ok=True)
    with open(_path(LOCK_FILE), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            st = load()
            before = json.dumps(st, sort_keys=True)
            yield st
            after = json.dumps(st, sort_keys=True, indent=1)
            if json.dumps(json.loads(after), sort_keys=True) != before:
                atomic_write(_path(STATE_FILE), after + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---- per-node liveness -------------------------------------------------------------------

def node_status_path(node: str) -> str:
    return _path(os.path.join("nodes", f"{node}.json"))


def read_node_status(node: str) -> dict:
    try:
        with open(node_status_path(node)) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


def write_node_status(node: str, status: dict) -> None:
    atomic_write(node_status_path(node), json.dumps(status, sort_keys=True) + "\n")


def daemon_alive(status: dict, now: float | None = None) -> bool:
    """The node's GPFS daemon runs: it says so, and said it recently (a stopped container can't)."""
    now = time.time() if now is None else now
    return status.get("daemon") == "active" and now - float(status.get("ts", 0)) < env.heartbeat_timeout()


def agent_alive(status: dict, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return now - float(status.get("ts", 0)) < env.heartbeat_timeout()


# ---- hardware published by each node ---------------------------------------------------

def publish_hardware(node: str, hw: dict) -> None:
    path = _path(os.path.join("hardware", f"{node}.json"))
    data = json.dumps(hw, sort_keys=True) + "\n"
    try:
        with open(path) as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    atomic_write(path, data)


def peer_hardware(node: str) -> dict | None:
    try:
        with open(_path(os.path.join("hardware", f"{node}.json"))) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None
