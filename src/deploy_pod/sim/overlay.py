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


# the twin's storage is a directory on this machine's local disk, not an ESS: its throughput says
# nothing about the pod, so the acceptance phase measures and reports but does not judge
ACCEPTANCE_REASON = ("digital twin: the Scale file system is a directory on the controller's local disk and the "
                     "GPUs are emulated, so throughput and images/s are reported but not judged")


def overlay_vars(registry_ca: Path | None) -> dict:
    """all.vars of the overlay: the twin mirror's CA (when the twin runs the pod's registry) and the
    acceptance verdict switched off, with the reason."""
    out: dict = {"acceptance_judge": False, "acceptance_judge_note": ACCEPTANCE_REASON}
    if registry_ca is not None:
        out["ngc_registry_ca_file"] = str(Path(registry_ca).resolve())
    return out


def overlay_inventory(ports: dict[str, int], key_file: Path, known_hosts: Path, all_vars: dict | None = None) -> dict:
    """Ansible YAML inventory: connection variables for every twin host, and `all_vars`."""
    hosts = {}
    for host in sorted(ports):
        hosts[host] = {
            "ansible_host": "127.0.0.1",
            "ansible_port": int(ports[host]),
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key_file),
            "ansible_ssh_common_args": ssh_common_args(known_hosts),
        }
    inv: dict = {"all": {"hosts": hosts}}
    if all_vars:
        inv["all"]["vars"] = dict(all_vars)
    return inv


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
