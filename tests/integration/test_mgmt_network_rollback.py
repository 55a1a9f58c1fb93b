"""deploy_pod.pod.mgmt_network over a real SSH connection: a change that cuts it is rolled back,
with netplan (the twin as DGX OS has it) and with NetworkManager (`deploy-pod-twin-os networkmanager`:
no netplan, NetworkManager running, as on RHEL).

Molecule's docker connection does not ride on the container's network, so it cannot show what the
role promises for the connection Ansible itself uses. This test builds the `deploy-pod sim up` path
for one host: a twin container on its own Docker network whose eth0 carries the management address,
reached by ansible-playbook over SSH through 127.0.0.1:PORT (Docker forwards that port to the
container's eth0 address). Then:

1. the role takes eth0 over with the address it already has (the first run on a twin host):
   the play succeeds and the host stays reachable;
2. the same run again changes nothing;
3. the role moves eth0 to a wrong network. Docker still forwards to the old address, so the SSH
   connection is cut for real; the role's reconnect fails, the transient systemd timer armed before
   `netplan apply` (NetworkManager: the checkpoint armed before `nmcli connection up`) restores the
   previous file (profile) on the host by itself, the host answers again, and the role fails saying it
   rolled back. The test checks the restored file or profile, the address and a new SSH connection.

What it does not prove: anything about real NICs, switches or bonds (the twin kernel has no bonding
driver), and for netplan it remounts the container's /sys read-write so that `netplan apply` can run
`udevadm trigger` (Docker mounts it read-only; real hosts have it writable). The NetworkManager host
keeps /sys read-only: NetworkManager then manages the devices without udev, as it does in containers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.twin

SUBNET = "10.231.88.0/24"
GATEWAY = "10.231.88.1"
ADDRESS = "10.231.88.11"
WRONG = "10.231.89.11/24"
ROLLBACK_S = 40
RECONNECT_S = 10
SSH_ARGS = (
    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
    "-o ConnectTimeout=5 -o ServerAliveInterval=2 -o ServerAliveCountMax=2"
)

PLAYBOOK = """\
- name: Management network over SSH
  hosts: twin
  gather_facts: true
  roles:
    - role: deploy_pod.pod.mgmt_network
"""


def _run(*args: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _exec(name: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return _run("docker", "exec", name, *cmd, check=check)


NM_PROFILE = "/etc/NetworkManager/system-connections/deploy-pod-mgmt.nmconnection"


@pytest.fixture(params=["netplan", "networkmanager"])
def twin_host(request, testbed, tmp_path):
    """One twin container on its own management network, with SSH on 127.0.0.1 and a key for root;
    its network managed by netplan + networkd (the image as it is) or by NetworkManager."""
    backend = request.param
    suffix = uuid.uuid4().hex[:8]
    net, name = f"dp-mgmtnet-test-{suffix}", f"dp-mgmtnet-test-{suffix}"
    labels = ["--label", "org.deploy-pod.twin=1", "--label", "org.deploy-pod.test=mgmt_network"]
    _run("docker", "network", "create", *labels, "--subnet", SUBNET, "--gateway", GATEWAY, net)
    try:
        _run(
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--hostname",
            "mgmt-twin",
            *labels,
            "--cap-add",
            "SYS_ADMIN",
            "--cap-add",
            "NET_ADMIN",
            "--cgroupns",
            "host",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--network",
            net,
            "--ip",
            ADDRESS,
            "-p",
            "127.0.0.1::22",
            testbed,
            "/lib/systemd/systemd",
        )
        for _ in range(60):
            state = _exec(name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        else:
            pytest.fail(f"systemd in {name} did not finish booting: {state}", pytrace=False)
        if backend == "networkmanager":
            # /sys stays read-only: with a writable /sys NetworkManager waits for udev, which a container
            # does not run, and leaves every device unmanaged
            _exec(name, "/usr/local/sbin/deploy-pod-twin-os", "networkmanager")
        else:
            # test equipment, see the module docstring
            _exec(name, "mount", "-o", "remount,rw", "/sys")
        key = tmp_path / "id_ed25519"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
        _exec(name, "install", "-d", "-m", "0700", "/root/.ssh")
        _run("docker", "cp", f"{key}.pub", f"{name}:/root/.ssh/authorized_keys")
        _exec(name, "chown", "root:root", "/root/.ssh/authorized_keys")
        _exec(name, "chmod", "0600", "/root/.ssh/authorized_keys")
        port = _run("docker", "port", name, "22/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(
            json.dumps(
                {
                    "all": {
                        "hosts": {
                            "twin": {
                                "ansible_host": "127.0.0.1",
                                "ansible_port": int(port),
                                "ansible_user": "root",
                                "ansible_ssh_private_key_file": str(key),
                                "ansible_ssh_common_args": SSH_ARGS,
                                "mgmt_network_address": f"{ADDRESS}/24",
                                "mgmt_network_gateway": GATEWAY,
                                "mgmt_network_rollback_timeout": ROLLBACK_S,
                                "mgmt_network_reconnect_timeout": RECONNECT_S,
                            }
                        }
                    }
                }
            )
        )
        (tmp_path / "play.yml").write_text(PLAYBOOK)
        yield {"name": name, "dir": tmp_path, "inventory": inventory, "backend": backend}
    finally:
        _run("docker", "rm", "-f", name, check=False)
        _run("docker", "network", "rm", net, check=False)


def _playbook(host: dict, *extra: str, timeout: int = 600) -> subprocess.CompletedProcess:
    venv_bin = ROOT / ".venv" / "bin"
    ansible_playbook = venv_bin / "ansible-playbook"
    if not ansible_playbook.exists():
        ansible_playbook = Path(shutil.which("ansible-playbook") or "ansible-playbook")
    env = dict(
        os.environ,
        PATH=f"{venv_bin}:{os.environ['PATH']}",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
    )
    return subprocess.run(
        [str(ansible_playbook), "-i", str(host["inventory"]), str(host["dir"] / "play.yml"), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _eth0_inet(name: str) -> list[str]:
    link = json.loads(_exec(name, "ip", "-j", "addr", "show", "dev", "eth0").stdout)[0]
    return [a["local"] for a in link["addr_info"] if a["family"] == "inet"]


def _checkpoints(name: str) -> str:
    return _exec(name, "busctl", "get-property", "org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager",
                 "org.freedesktop.NetworkManager", "Checkpoints").stdout.strip()


def _nm_addresses(name: str) -> str:
    return _exec(name, "nmcli", "-g", "ipv4.addresses", "connection", "show", "id", "deploy-pod-mgmt").stdout.strip()


def test_mgmt_network_rollback_over_ssh(twin_host):
    name = twin_host["name"]
    nm = twin_host["backend"] == "networkmanager"

    first = _playbook(twin_host)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    assert _eth0_inet(name) == [ADDRESS]
    if nm:
        assert "Arm NetworkManager's checkpoint" in first.stdout, first.stdout[-3000:]
        assert _nm_addresses(name) == f"{ADDRESS}/24"
        assert _checkpoints(name) == "ao 0"
    else:
        good_file = _exec(name, "cat", "/etc/netplan/60-deploy-pod-mgmt.yaml").stdout
        assert f'"{ADDRESS}/24"' in good_file

    again = _playbook(twin_host)
    assert again.returncode == 0, again.stdout[-6000:]
    assert "changed=0" in again.stdout, again.stdout[-3000:]

    started = time.monotonic()
    bad = _playbook(twin_host, "-e", f"mgmt_network_address={WRONG}")
    took = time.monotonic() - started
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out[-6000:]
    # the connection was really cut: the reconnect after netplan apply / nmcli connection up timed out ...
    assert "Wait for Ansible's connection to the host" in out, out[-6000:]
    assert took >= ROLLBACK_S, f"finished after {took:.0f} s, before the rollback could fire"
    if nm:
        # ... and NetworkManager itself restored the previous profile when the checkpoint timed out
        assert "restored by NetworkManager's checkpoint rollback" in out, out[-6000:]
        assert "by NetworkManager itself, when the checkpoint timed out" in out, out[-6000:]
        assert _nm_addresses(name) == f"{ADDRESS}/24"
        assert _checkpoints(name) == "ao 0"
        active = _exec(name, "nmcli", "-g", "GENERAL.CONNECTION", "device", "show", "eth0").stdout.strip()
        assert active == "deploy-pod-mgmt"
    else:
        # ... and the host itself restored the previous file (the timer, not the controller)
        assert "was rolled back to the previous netplan file" in out, out[-6000:]
        marker = _exec(name, "cat", "/var/lib/deploy-pod/mgmt_network/rolled-back").stdout
        assert "netplan_apply_rc=0" in marker and "previous.yaml" in marker, marker
        assert _exec(name, "cat", "/etc/netplan/60-deploy-pod-mgmt.yaml").stdout == good_file
        timer = _exec(name, "systemctl", "is-active", "deploy-pod-mgmt-network-rollback.timer", check=False)
        assert timer.stdout.strip() == "inactive"
    assert _eth0_inet(name) == [ADDRESS]

    # a fresh SSH connection works; the good plan again re-renders the staged file (the rejected one was
    # kept there). netplan: nothing is applied, the live file already matches. NetworkManager wrote the
    # restored profile back in its own layout, so the role installs its own file again behind a
    # checkpoint (same settings); a further run changes nothing.
    after = _playbook(twin_host)
    assert after.returncode == 0, after.stdout[-6000:]
    if nm:
        assert _nm_addresses(name) == f"{ADDRESS}/24"
        assert _eth0_inet(name) == [ADDRESS]
        final = _playbook(twin_host)
        assert final.returncode == 0 and "changed=0" in final.stdout, final.stdout[-3000:]
    else:
        assert "changed=1" in after.stdout, after.stdout[-3000:]
        assert "Run netplan apply" not in after.stdout, after.stdout[-3000:]
