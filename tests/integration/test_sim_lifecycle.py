"""`deploy-pod sim` on the example twin pod: up, real SSH, netdevs, hardware, faults, down."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from deploy_pod.sim.engine import load_spec
from tests.integration import twinkit
from tests.integration.twinkit import sim

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]

POD = ROOT / "inventories" / "examples" / "twin.yml"
SIM_DIR = ROOT / ".sim" / "twin"
LABEL = "org.deploy-pod.pod=twin"
HOSTS = ["dgx01", "dgx02", "ess01a", "ess01b"]
VENV_BIN = ROOT / ".venv" / "bin"


def residue() -> dict[str, list[str]]:
    return twinkit.residue("twin")


def overlay_hosts() -> dict:
    return twinkit.overlay_hosts("twin")


def ssh(host: str, command: str, check: bool = True) -> subprocess.CompletedProcess:
    return twinkit.ssh("twin", host, command, check=check, timeout=60)


def own_links() -> set[str]:
    """The host-side links this pod's twin makes (its switch bridges, the host end of each cable),
    named from the pod's own spec as the sim names them: another pod's dpb*/dpv* are not ours."""
    spec, _ = load_spec(POD)
    bridges = {spec.bridge(sw) for sw in spec.switches}
    veths = {spec.veth(h.name, c.netdev) for h in spec.hosts.values() for c in h.cables}
    return bridges | veths


def host_links() -> set[str]:
    """Names of every link in this machine's network namespace (`ip -o link`: "N: name@peer: ...")."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(":", 2)[1].strip().split("@")[0] for line in out.splitlines() if line.count(":") >= 2}


@pytest.fixture(scope="module")
def twin(testbed, require_twin):
    if any(residue().values()):
        msg = "pod twin is already up on this machine; run `deploy-pod sim down inventories/examples/twin.yml`"
        if require_twin:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    proc = sim("up", str(POD))
    yield proc
    sim("down", str(POD), check=False)


def test_up_writes_the_overlay_for_every_host(twin):
    assert sorted(overlay_hosts()) == HOSTS
    assert "is up" in twin.stdout


def test_every_host_answers_over_real_ssh(twin):
    for host in HOSTS:
        assert ssh(host, "hostname").stdout.strip() == host
        assert ssh(host, "systemctl is-system-running").stdout.strip() in ("running", "degraded")


def test_ansible_targets_the_twin_with_the_overlay(twin):
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    proc = subprocess.run([str(VENV_BIN / "ansible"), "-i", str(POD), "-i", str(SIM_DIR / "overlay.yml"),
                           "dgx:ess", "-m", "ansible.builtin.ping"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == 4


# ESS canisters arrive with their planned IPoIB address (IBM configured them); DGX hosts have none yet
DELIVERED_IPOIB = {"ess01a": "10.78.0.21", "ess01b": "10.78.0.22"}


def test_ipoib_netdevs_have_the_planned_names_and_only_the_appliances_an_address(twin):
    for host in HOSTS:
        links = json.loads(ssh(host, "ip -j addr show").stdout)
        by_name = {link["ifname"]: link for link in links}
        for netdev in ("ib0", "ib1", "ib2", "ib3"):
            assert netdev in by_name, f"{host} lacks {netdev}: {sorted(by_name)}"
            inet = [a["local"] for a in by_name[netdev].get("addr_info", []) if a["family"] == "inet"]
            expected = [DELIVERED_IPOIB[host]] if netdev == "ib0" and host in DELIVERED_IPOIB else []
            assert inet == expected, f"{host} {netdev}: {inet}"


def test_ipoib_is_a_real_layer2_link_per_switch(twin):
    # dgx01 ib0 and ess01a ib0 are both cabled to ib-sw1 by the planner; ess01a has its delivered address
    ssh("dgx01", "ip addr add 10.78.0.201/24 dev ib0")
    try:
        assert ssh("dgx01", f"ping -c1 -W3 {DELIVERED_IPOIB['ess01a']}", check=False).returncode == 0
    finally:
        ssh("dgx01", "ip addr flush dev ib0")


def test_hardware_and_fabric_files(twin):
    for host in HOSTS:
        hw = json.loads(ssh(host, "cat /etc/deploy-pod-twin/hardware.json").stdout)
        assert hw["host"] == host
    fabric = json.loads(ssh("dgx01", "cat /var/lib/deploy-pod-twin/fabric.json").stdout)
    assert {s["name"] for s in fabric["switches"]} == {"ib-sw1", "ib-sw2"}
    assert json.loads(ssh("ess01b", "cat /var/lib/deploy-pod-twin/fabric.json").stdout) == fabric


def test_dgx_ships_nvidia_smi_with_eight_gpus(twin, require_twin):
    proc = ssh("dgx01", "nvidia-smi -L", check=False)
    if proc.returncode == 127 and not require_twin:
        pytest.skip("deploy-pod-twin-dgx is not in build/twin-repo yet (nvidia-smi missing)")
    assert proc.returncode == 0, proc.stderr
    gpus = [line for line in proc.stdout.splitlines() if line.startswith("GPU ")]
    assert len(gpus) == 8, proc.stdout
    assert "/etc/dgx-release" in ssh("dgx01", "ls /etc/dgx-release").stdout


def test_status_lists_the_containers(twin):
    st = json.loads(sim("status", str(POD), "--json").stdout)
    assert sorted(r["host"] for r in st["containers"]) == HOSTS
    assert all(r["state"] == "running" and r["ssh_port"] for r in st["containers"])
    assert sorted(st["networks"]) == ["dp-twin-ib-sw1", "dp-twin-ib-sw2", "dp-twin-mgmt"]


def test_fault_round_trip(twin):
    carrier = "cat /sys/class/net/ib2/carrier"
    state = ("python3 -c \"import json; h=json.load(open('/etc/deploy-pod-twin/hardware.json')); "
             "print([p['state'] for c in h['hcas'] if c['name']=='mlx5_2' for p in c['ports']][0])\"")
    sim("fault", str(POD), "dgx01", "ib-link-down", "mlx5_2/1")
    assert ssh("dgx01", carrier).stdout.strip() == "0"
    assert ssh("dgx01", state).stdout.strip() == "Down"

    sim("fault", str(POD), "dgx02", "miscable", "mlx5_0/1", "ib-sw2:30")
    fabric = json.loads(ssh("dgx01", "cat /var/lib/deploy-pod-twin/fabric.json").stdout)
    link = [lk for lk in fabric["links"] if lk["host"] == "dgx02" and lk["ca"] == "mlx5_0"][0]
    assert (link["switch"], link["switch_port"]) == ("ib-sw2", 30)

    sim("fault", str(POD), "ess01b", "node-down")
    assert subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", "dp-twin-ess01b"],
                          capture_output=True, text=True).stdout.strip() == "false"
    bad = sim("fault", str(POD), "dgx01", "gpu-missing", "8", check=False)
    assert bad.returncode != 0 and "not 8" in bad.stderr
    assert len(json.loads((SIM_DIR / "faults.json").read_text())) == 3

    sim("fault", str(POD), "--clear")
    assert json.loads((SIM_DIR / "faults.json").read_text()) == []
    assert ssh("dgx01", carrier).stdout.strip() == "1"
    assert ssh("dgx01", state).stdout.strip() == "Active"
    assert ssh("ess01b", "hostname").stdout.strip() == "ess01b"
    assert "ib3" in ssh("ess01b", "ip -o link").stdout  # cables plugged again after the restart


def test_down_leaves_no_residue(twin):
    ours = own_links()
    # while up, every bridge and cable end is there (so the check below is not vacuous)
    assert ours - host_links() == set()
    sim("down", str(POD))
    assert residue() == {"containers": [], "networks": [], "volumes": []}
    assert not SIM_DIR.exists()
    # only this pod's links: other twin pods on this machine keep theirs
    assert ours & host_links() == set()
