"""The inventory overlay that points pod.yml at the twin (pure)."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "# Written by `deploy-pod sim up`; removed by `deploy-pod sim down`. Do not edit.\n"
    "# Use it next to the pod inventory:\n"
    "#   ansible-playbook -i {pod_file} -i {overlay} playbooks/site.yml\n"
)


def ssh_common_args(known_hosts: Path) -> str:
    return (f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes "
            "-o IdentitiesOnly=yes")


def overlay_inventory(ports: dict[str, int], key_file: Path, known_hosts: Path) -> dict:
    """Ansible YAML inventory: connection variables only, for every twin host."""
    hosts = {}
    for host in sorted(ports):
        hosts[host] = {
            "ansible_host": "127.0.0.1",
            "ansible_port": int(ports[host]),
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key_file),
            "ansible_ssh_common_args": ssh_common_args(known_hosts),
        }
    return {"all": {"hosts": hosts}}


def known_hosts_lines(port: int, keyscan_output: str) -> list[str]:
    """ssh-keyscan lines for [127.0.0.1]:port, comments dropped, sorted (stable file)."""
    out = []
    for line in keyscan_output.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 3:
            continue
        out.append(f"[127.0.0.1]:{port} {parts[1]} {parts[2]}")
    return sorted(set(out))
