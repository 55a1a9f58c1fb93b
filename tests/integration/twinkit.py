"""Helpers for tests that drive a twin pod: sim up/down, real SSH into its hosts."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def sim(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "deploy_pod.sim.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    if check and proc.returncode != 0:
        pytest.fail(f"sim {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


def residue(pod: str) -> dict[str, list[str]]:
    out = {}
    for kind, cmd, fmt in (("containers", ["docker", "ps", "-a"], "{{.Names}}"),
                           ("networks", ["docker", "network", "ls"], "{{.Name}}"),
                           ("volumes", ["docker", "volume", "ls"], "{{.Name}}")):
        res = subprocess.run([*cmd, "--filter", f"label=org.deploy-pod.pod={pod}", "--format", fmt],
                             capture_output=True, text=True, check=True)
        out[kind] = res.stdout.split()
    return out


def overlay_hosts(pod: str) -> dict:
    return yaml.safe_load((ROOT / ".sim" / pod / "overlay.yml").read_text())["all"]["hosts"]


def ssh(pod: str, host: str, command: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    h = overlay_hosts(pod)[host]
    cmd = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *h["ansible_ssh_common_args"].split(),
           "-i", h["ansible_ssh_private_key_file"], "-p", str(h["ansible_port"]), f"{h['ansible_user']}@127.0.0.1",
           command]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{host}: {command}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def wait_for(predicate, timeout: float, what: str, step: float = 1.0):
    """Poll until predicate() is truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(step)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)


def example_pod_as(name: str, octet: int, directory: Path, example: str = "twin.yml") -> Path:
    """An example pod (the twin's by default) under another name and networks (10.<octet>,
    10.<octet+1>), so test pods never collide with each other or with a developer's own."""
    text = (ROOT / "inventories" / "examples" / example).read_text()
    nets = yaml.safe_load(text)["all"]["vars"]["pod"]["networks"]
    for key, new in (("mgmt", octet), ("ipoib", octet + 1)):
        old = ".".join(nets[key]["cidr"].split(".")[:2]) + "."
        text = text.replace(old, f"10.{new}.")
    data = yaml.safe_load(text)
    data["all"]["vars"]["pod"]["name"] = name
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@contextmanager
def running_pod(name: str, octet: int, directory: Path, example: str = "twin.yml") -> Iterator[Path]:
    """An example pod as `name` (see example_pod_as), up for the block, down afterwards."""
    path = example_pod_as(name, octet, directory, example)
    if any(residue(name).values()):
        sim("down", str(path), check=False)
    sim("up", str(path))
    try:
        yield path
    finally:
        sim("down", str(path), check=False)
