"""The one place that talks to the Docker engine and the host's network stack.

Everything goes through the `docker` CLI and `ip`/`nsenter` via subprocess; no SDK.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence

SYSTEMD_FLAGS = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
]


# DGX hosts run a real Docker engine (DGX OS ships one): runc inside the twin needs these, or it
# fails with "unable to join session keyring"
ENGINE_FLAGS = ["--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"]


class DockerError(RuntimeError):
    pass


def _sudo() -> list[str]:
    if os.geteuid() == 0 or not shutil.which("sudo"):
        return []
    return ["sudo", "-n"]


def run(args: Sequence[str], *, check: bool = True, input: bytes | str | None = None,
        timeout: float | None = 300) -> subprocess.CompletedProcess:
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(list(args), input=data, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or proc.stdout.decode(errors="replace").strip()
        raise DockerError(f"{' '.join(args[:4])} ... failed (exit {proc.returncode}): {err}")
    return proc


def docker(*args: str, check: bool = True, input: bytes | str | None = None,
           timeout: float | None = 300) -> str:
    return run(["docker", *args], check=check, input=input, timeout=timeout).stdout.decode()


def engine_ok() -> bool:
    try:
        return run(["docker", "info"], check=False, timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def image_exists(ref: str) -> bool:
    return run(["docker", "image", "inspect", ref], check=False).returncode == 0


def _label_args(labels: dict[str, str]) -> list[str]:
    out: list[str] = []
    for k, v in labels.items():
        out += ["--label", f"{k}={v}"]
    return out


def ls(kind: str, label: str) -> list[str]:
    """Names of containers / networks / volumes carrying `label` (key=value)."""
    if kind == "container":
        out = docker("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
    elif kind == "network":
        out = docker("network", "ls", "--filter", f"label={label}", "--format", "{{.Name}}")
    elif kind == "volume":
        out = docker("volume", "ls", "--filter", f"label={label}", "--format", "{{.Name}}")
    else:
        raise ValueError(kind)
    return sorted(line for line in out.splitlines() if line.strip())


def exists(kind: str, name: str) -> bool:
    return run(["docker", kind, "inspect", name], check=False).returncode == 0


def inspect(kind: str, name: str) -> dict | None:
    proc = run(["docker", kind, "inspect", name], check=False)
    if proc.returncode != 0:
        return None
    data = json.loads(proc.stdout)
    return data[0] if data else None


def network_create(name: str, labels: dict[str, str], *, subnet: str | None = None,
                   gateway: str | None = None, bridge: str | None = None, masquerade: bool = True) -> None:
    args = ["network", "create", "--driver", "bridge", *_label_args(labels)]
    if subnet:
        args += ["--subnet", subnet]
    if gateway:
        args += ["--gateway", gateway]
    if not masquerade:
        args += ["-o", "com.docker.network.bridge.enable_ip_masquerade=false"]
    if bridge:
        args += ["-o", f"com.docker.network.bridge.name={bridge}"]
    docker(*args, name)


def volume_create(name: str, labels: dict[str, str]) -> None:
    docker("volume", "create", *_label_args(labels), name)


def container_create(name: str, image: str, *, hostname: str, labels: dict[str, str], network: str,
                     ip: str, ssh_port: int, volumes: list[str], add_hosts: dict[str, str],
                     engine: bool = False) -> None:
    """A twin host; `engine`: it runs a Docker engine of its own (DGX OS)."""
    args = ["create", "--name", name, "--hostname", hostname, *_label_args(labels), *SYSTEMD_FLAGS,
            *(ENGINE_FLAGS if engine else []), "--network", network, "--ip", ip, "-p", f"127.0.0.1:{ssh_port}:22",
            "--stop-timeout", "20"]
    for v in volumes:
        args += ["-v", v]
    for host, addr in sorted(add_hosts.items()):
        args += ["--add-host", f"{host}:{addr}"]
    docker(*args, image, "/lib/systemd/systemd")


def has_engine_flags(name: str) -> bool:
    """Whether a container was made to run a Docker engine inside (ENGINE_FLAGS)."""
    opts = ((inspect("container", name) or {}).get("HostConfig") or {}).get("SecurityOpt") or []
    return "seccomp=unconfined" in opts and "apparmor=unconfined" in opts


def container_create_service(name: str, image: str, *, hostname: str, labels: dict[str, str], network: str,
                             ip: str) -> None:
    """A twin service container (systemd, on the management network, no SSH port, no volumes)."""
    docker("create", "--name", name, "--hostname", hostname, *_label_args(labels), *SYSTEMD_FLAGS,
           "--network", network, "--ip", ip, "--stop-timeout", "20", image, "/lib/systemd/systemd")


def copy_tar(name: str, tar_bytes: bytes, dest: str = "/") -> None:
    docker("cp", "-", f"{name}:{dest}", input=tar_bytes)


def start(name: str) -> None:
    docker("start", name)


def stop(name: str) -> None:
    docker("stop", "-t", "20", name)


def remove(kind: str, names: Sequence[str]) -> None:
    if not names:
        return
    if kind == "container":
        docker("rm", "-f", "-v", *names)
    else:
        docker(kind, "rm", *names)


def exec_(name: str, *cmd: str, check: bool = True, input: bytes | str | None = None,
          timeout: float | None = 300) -> subprocess.CompletedProcess:
    stdin = ["-i"] if input is not None else []
    return run(["docker", "exec", *stdin, name, *cmd], check=check, input=input, timeout=timeout)


def pid(name: str) -> int:
    return int(docker("inspect", "-f", "{{.State.Pid}}", name).strip())


def state(name: str) -> str:
    proc = run(["docker", "inspect", "-f", "{{.State.Status}}", name], check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else "absent"


# ---------------------------------------------------------------- host network (cables)

def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([*_sudo(), "ip", *args], check=check)


def link_exists(name: str) -> bool:
    return ip("link", "show", "dev", name, check=False).returncode == 0


def plug_cable(container_pid: int, host_end: str, netdev: str, bridge: str, *, up: bool = True) -> None:
    """One cable: a veth pair, host end on the switch's bridge, the other end `netdev` in the container."""
    if link_exists(host_end):
        ip("link", "del", host_end)
    ip("link", "add", host_end, "type", "veth", "peer", "name", netdev, "netns", str(container_pid))
    ip("link", "set", host_end, "master", bridge)
    ip("link", "set", host_end, "up" if up else "down")
    run([*_sudo(), "nsenter", "-t", str(container_pid), "-n", "ip", "link", "set", netdev, "up"])


def set_link(host_end: str, up: bool) -> None:
    ip("link", "set", host_end, "up" if up else "down")


def move_cable(host_end: str, bridge: str) -> None:
    ip("link", "set", host_end, "nomaster")
    ip("link", "set", host_end, "master", bridge)
