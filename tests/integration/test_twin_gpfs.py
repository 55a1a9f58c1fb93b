"""The emulated Spectrum Scale inside twin containers: packages from the local repository win
over Debian's (apt pinning), a cluster comes up, a stopped container reports down, mmcrnsd
refuses a disk holding a descriptor, and /gpfs/<fs> is shared data across nodes. On that running
cluster: `deploy-pod preflight --reach-only` and `deploy-pod status`, and a dead node and a changed
host key named as such."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import yaml

from tests.integration.twinkit import ROOT, VENV_BIN, overlay_hosts, running_pod, sim, ssh, wait_for

pytestmark = pytest.mark.twin

POD = "gpfst"
GPFS = "gpfs.base gpfs.gpl gpfs.gskit gpfs.msg.en-us gpfs.license.std"
HOSTS = ["dgx01", "dgx02", "ess01a", "ess01b"]


@pytest.fixture(scope="module")
def pod(testbed, require_twin, tmp_path_factory):
    """The example twin pod under its own name and networks, so it never collides with `twin`."""
    # 10.85.x / 10.86.x: the nsd-pod example itself is on 10.87.x / 10.88.x
    with running_pod(POD, 85, tmp_path_factory.mktemp(POD)) as path:
        for host in HOSTS:
            extra = " gpfs.gnr" if host.startswith("ess") else ""
            ssh(POD, host, f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q {GPFS}{extra}", timeout=300)
        yield path


def mm(host: str, cmd: str, check: bool = True):
    return ssh(POD, host, f"/usr/lpp/mmfs/bin/{cmd}", check=check)


def states(host: str) -> dict[str, str]:
    """node -> state from `mmgetstate -a -Y`, read with the project's own -Y parser."""
    from plugins.module_utils.scale_y import records

    return {r["nodeName"]: r["state"] for r in records(mm(host, "mmgetstate -a -Y").stdout, "mmgetstate")}


def test_apt_pinning_prefers_the_twin_packages(pod):
    ssh(POD, "dgx01", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q infiniband-diags", timeout=300)
    version = ssh(POD, "dgx01", "dpkg-query -W -f='${Version}' infiniband-diags").stdout
    assert version.endswith("twin1"), version
    assert "CA 'mlx5_0'" in ssh(POD, "dgx01", "ibstat").stdout


def test_cluster_comes_up_and_refuses_a_second_create(pod):
    nodefile = "\\n".join(["ess01a:quorum-manager", "ess01b:quorum-manager", "dgx01:quorum", "dgx02"])
    ssh(POD, "ess01a", f"printf '{nodefile}\\n' > /root/nodes")
    mm("ess01a", f"mmcrcluster -N /root/nodes -C {POD}.gpfs")
    assert "already" in mm("ess01a", f"mmcrcluster -N /root/nodes -C {POD}.gpfs", check=False).stderr
    mm("ess01a", "mmchconfig maxblocksize=16M")
    mm("ess01a", "mmchlicense server --accept -N ess01a,ess01b,dgx01")
    mm("ess01a", "mmchlicense client --accept -N dgx02")
    mm("ess01a", "mmstartup -a")
    wait_for(lambda: set(states("ess01b").values()) == {"active"}, 60, "every node active")


def test_stopped_container_reports_down(pod):
    sim("fault", str(pod), "dgx02", "node-down")
    try:
        wait_for(lambda: states("ess01a").get("dgx02") == "down", 60, "dgx02 reported down")
        assert states("ess01a")["ess01b"] == "active"
    finally:
        sim("fault", str(pod), "dgx02", "--clear")
    # like a real node without autoload=yes, the restarted node stays down until started
    assert states("ess01a").get("dgx02") == "down"
    mm("ess01a", "mmstartup -N dgx02")
    wait_for(lambda: states("ess01a").get("dgx02") == "active", 60, "dgx02 active again")


def test_nsd_refuses_an_old_descriptor_and_fs_is_shared(pod):
    sim("fault", str(pod), "ess01a", "disk-descriptor", "/dev/nvme1n1")
    old = "%nsd: device=/dev/nvme1n1 nsd=old1 servers=ess01a,ess01b usage=dataAndMetadata failureGroup=1"
    ssh(POD, "ess01a", f"echo '{old}' > /root/old.stanza")
    refused = mm("ess01a", "mmcrnsd -F /root/old.stanza", check=False)
    assert refused.returncode != 0 and "/dev/nvme1n1" in refused.stderr
    good = "%nsd: device=/dev/nvme0n1 nsd=nsd1 servers=ess01a,ess01b usage=dataAndMetadata failureGroup=1"
    ssh(POD, "ess01a", f"echo '{good}' > /root/nsd.stanza")
    mm("ess01a", "mmcrnsd -F /root/nsd.stanza")
    mm("ess01a", "mmcrfs fs1 -F /root/nsd.stanza -B 16M -T /gpfs/fs1")
    mm("ess01a", "mmmount fs1 -a")
    wait_for(lambda: ssh(POD, "dgx02", "mountpoint -q /gpfs/fs1", check=False).returncode == 0, 60,
             "fs1 mounted on dgx02")
    ssh(POD, "dgx01", "echo from-dgx01 > /gpfs/fs1/hello")
    assert ssh(POD, "dgx02", "cat /gpfs/fs1/hello").stdout.strip() == "from-dgx01"


# ---- `deploy-pod preflight --reach-only` and `deploy-pod status` against the running cluster above


def deploy_pod(pod, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "deploy-pod"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")))


def reach_json(pod, *extra: str) -> tuple[int, dict]:
    r = deploy_pod(pod, "preflight", str(pod), "--reach-only", "--json", *extra)
    assert r.returncode in (0, 3), r.stdout + r.stderr
    return r.returncode, {h["host"]: h for h in json.loads(r.stdout)["hosts"]}


def test_reach_only_finds_every_host(pod):
    rc, hosts = reach_json(pod, "--twin")
    assert rc == 0 and sorted(hosts) == HOSTS  # the switches are described, never connected to
    assert all(h["ok"] and h["reason"] == "ok" for h in hosts.values()), hosts
    table = deploy_pod(pod, "preflight", str(pod), "--reach-only", "--twin")
    assert table.returncode == 0 and "4/4 reachable" in table.stdout


def test_status_shows_the_running_pod(pod):
    start = time.monotonic()
    r = deploy_pod(pod, "status", str(pod), "--twin", "--json")
    took = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["unreachable"] == [] and sorted(doc["hosts"]) == HOSTS
    live = states("ess01a")
    for name, h in doc["hosts"].items():
        assert h["reachable"] and not h["errors"], h
        assert h["scale"]["state"] == live[name] == "active", (name, h["scale"], live)
        assert h["ib"]["planned"] == 4 and h["ib"]["up"] == h["ib"]["planned"], h["ib"]
        # what status says about the mount is what the host says
        mounted = ssh(POD, name, "mountpoint -q /gpfs/fs1", check=False).returncode == 0
        assert h["mount"]["point"] == "/gpfs/fs1" and h["mount"]["mounted"] is mounted, (name, h["mount"])
        assert abs(h["clock"]["offset_s"]) < 1.0, h["clock"]  # the containers share this machine's clock
    for name in ("dgx01", "dgx02"):
        assert doc["hosts"][name]["gpus"]["seen"] == doc["hosts"][name]["gpus"]["expected"] == 8
        assert doc["hosts"][name]["mount"]["mounted"]
    assert doc["hosts"]["ess01a"]["gpus"] is None
    assert took < 60, f"status took {took:.1f} s"


def test_a_node_down_is_unreachable_and_named(pod):
    sim("fault", str(pod), "dgx02", "node-down")
    try:
        rc, hosts = reach_json(pod, "--twin")
        assert rc == 3
        assert hosts["dgx02"]["reason"] == "connection refused" and not hosts["dgx02"]["ok"]
        assert all(hosts[h]["ok"] for h in HOSTS if h != "dgx02")
        table = deploy_pod(pod, "preflight", str(pod), "--reach-only", "--twin")
        assert table.returncode == 3 and "dgx02" in table.stdout and "connection refused" in table.stdout
        st = deploy_pod(pod, "status", str(pod), "--twin")  # the table still comes, exit 3
        assert st.returncode == 3 and "not reachable: dgx02" in st.stdout, st.stdout + st.stderr
    finally:
        sim("fault", str(pod), "dgx02", "--clear")
    # the clear restores the host: reachable again, and (no autoload) its daemon started by hand
    assert reach_json(pod, "--twin")[0] == 0
    mm("ess01a", "mmstartup -N dgx02")
    wait_for(lambda: states("ess01a").get("dgx02") == "active", 60, "dgx02 active again")


def test_a_changed_host_key_is_named(pod, tmp_path):
    overlay = ROOT / ".sim" / POD / "overlay.yml"
    hosts = overlay_hosts(POD)
    ports = {h: hosts[h]["ansible_port"] for h in HOSTS}
    lines = (ROOT / ".sim" / POD / "known_hosts").read_text().splitlines()
    # dgx01's entry carries dgx02's key: what a reinstalled host (or another one at its address) looks like
    other = {ln.split()[1]: ln.split()[2] for ln in lines if ln.startswith(f"[127.0.0.1]:{ports['dgx02']} ")}
    wrong = [f"{ln.split()[0]} {ln.split()[1]} {other[ln.split()[1]]}"
             if ln.startswith(f"[127.0.0.1]:{ports['dgx01']} ") else ln for ln in lines]
    assert wrong != lines
    (tmp_path / "known_hosts").write_text("\n".join(wrong) + "\n")
    args = hosts["dgx01"]["ansible_ssh_common_args"].replace(str(ROOT / ".sim" / POD / "known_hosts"),
                                                              str(tmp_path / "known_hosts"))
    bad = tmp_path / "bad-key.yml"
    bad.write_text(yaml.safe_dump({"all": {"hosts": {"dgx01": {"ansible_ssh_common_args": args}}}}))
    rc, found = reach_json(pod, "-i", str(overlay), "-i", str(bad))
    assert rc == 3
    assert found["dgx01"]["reason"] == "host key changed" and not found["dgx01"]["ok"], found["dgx01"]
    assert all(found[h]["ok"] for h in HOSTS if h != "dgx01")
