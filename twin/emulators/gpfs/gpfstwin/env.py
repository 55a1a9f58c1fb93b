"""Where the emulator keeps things, with the test overrides documented in __init__."""

import os
import socket


def shared_dir() -> str:
    return os.environ.get("DEPLOY_POD_TWIN_SHARED", "/var/lib/deploy-pod-twin/cluster")


def node_root() -> str:
    return os.environ.get("DEPLOY_POD_TWIN_NODE_ROOT", "/var/mmfs")


def node_name() -> str:
    return os.environ.get("DEPLOY_POD_TWIN_NODE") or socket.gethostname().split(".")[0]


def hardware_path() -> str:
    return os.environ.get("DEPLOY_POD_TWIN_HARDWARE", "/etc/deploy-pod-twin/hardware.json")


def sysroot_path(path: str) -> str:
    """Real path for an absolute system path; unit tests redirect / to a temp dir."""
    root = os.environ.get("DEPLOY_POD_TWIN_SYSROOT", "")
    return os.path.join(root, path.lstrip("/")) if root else path


def heartbeat_interval() -> float:
    return float(os.environ.get("DEPLOY_POD_TWIN_HEARTBEAT", "2"))


def heartbeat_timeout() -> float:
    # a daemon that missed about five beats is taken for dead, like a lost lease
    return 5 * heartbeat_interval()


def symlink_mounts() -> bool:
    """Test-only fallback: symlinks instead of bind mounts, never in a real container."""
    return (os.environ.get("DEPLOY_POD_TWIN_MOUNT_MODE") == "symlink"
            and bool(os.environ.get("DEPLOY_POD_TWIN_SYSROOT")))
