"""Names and labels of everything `sim up` creates (pure)."""

from __future__ import annotations

import hashlib
import re

LABEL_TWIN = "org.deploy-pod.twin"
LABEL_POD = "org.deploy-pod.pod"
LABEL_HOST = "org.deploy-pod.host"
LABEL_ROLE = "org.deploy-pod.role"
LABEL_SWITCH = "org.deploy-pod.switch"
LABEL_SERVICE = "org.deploy-pod.service"  # a twin service container (the registry), not a host

SHARED_MOUNT = "/var/lib/deploy-pod-twin"
REPO_MOUNT = "/srv/deploy-pod-twin-repo"
HARDWARE_PATH = "/etc/deploy-pod-twin/hardware.json"
FABRIC_PATH = f"{SHARED_MOUNT}/fabric.json"
# active emulator faults (daemon-stuck, vdiskset-fail), read by the gpfs emulator from its shared dir
TWIN_FAULTS_PATH = f"{SHARED_MOUNT}/cluster/twin-faults.json"
APT_SOURCE_PATH = "/etc/apt/sources.list.d/deploy-pod-twin.list"
APT_PREF_PATH = "/etc/apt/preferences.d/99deploy-pod-twin.pref"
APT_SOURCE_LINE = f"deb [trusted=yes] file:{REPO_MOUNT} ./\n"

_BAD = re.compile(r"[^a-zA-Z0-9_.-]+")


def slug(text: str) -> str:
    """A Docker-safe name part: letters, digits, '_', '.', '-' (others become '-')."""
    s = _BAD.sub("-", text).strip("-.")
    if not s:
        raise ValueError(f"cannot make a Docker name from {text!r}")
    return s


def container_name(pod: str, host: str) -> str:
    return f"dp-{slug(pod)}-{slug(host)}"


def registry_container_name(pod: str) -> str:
    """The pod's NGC mirror registry (no inventory host: it carries no host label)."""
    return f"dp-{slug(pod)}-registry"


def mgmt_network_name(pod: str) -> str:
    return f"dp-{slug(pod)}-mgmt"


def switch_network_name(pod: str, switch: str) -> str:
    return f"dp-{slug(pod)}-{slug(switch)}"


def volume_name(pod: str) -> str:
    return f"dp-{slug(pod)}-shared"


def _short(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:10]


def bridge_name(pod: str, switch: str) -> str:
    """Linux bridge behind a switch's Docker network (at most 15 characters)."""
    return f"dpb{_short(pod, switch)}"


def veth_name(pod: str, host: str, netdev: str) -> str:
    """Host end of the veth pair that is one cable (at most 15 characters)."""
    return f"dpv{_short(pod, host, netdev)}"


def labels(pod: str, **extra: str) -> dict[str, str]:
    out = {LABEL_TWIN: "1", LABEL_POD: pod}
    for key, value in extra.items():
        out[f"org.deploy-pod.{key}"] = value
    return out
