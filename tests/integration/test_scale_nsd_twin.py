"""Plain NSD servers on the twin (inventories/examples/nsd-pod.yml: 2 DGX, 2 NVMe servers that run
NetworkManager, as RHEL-family servers do, so their networks take the NetworkManager path), with the
Scale packages taken from a directory on the controller (pod.scale.package_dir) instead of the
example's repository URL: a disk that holds a GPFS descriptor is refused with host, device and
what to do, and nothing is written; with the explicit force variable the NSDs, the file system
(mmcrfs) and the mount follow, and a second run of every phase through clients changes nothing."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_facts as sf

from tests.integration.twinkit import ROOT, VENV_BIN, running_pod, sim, ssh

pytestmark = pytest.mark.twin
POD = "nsdt"
MM = "/usr/lpp/mmfs/bin/"


@pytest.fixture(scope="module")
def pod(testbed, require_twin, tmp_path_factory):
    with running_pod(POD, 83, tmp_path_factory.mktemp(POD), example="nsd-pod.yml") as path:
        data = yaml.safe_load(path.read_text())
        data["all"]["vars"]["pod"]["scale"] = {"package_dir": str(ROOT / "build" / "twin-repo" / "scale")}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        yield path


# the NSD story ends with the file system mounted; NGC and acceptance are test_deploy_twin's
PHASES = [a for p in ("preflight", "base", "network", "scale_install", "scale_cluster", "storage", "clients")
          for a in ("--phase", p)]


def up(pod, *args) -> tuple[subprocess.CompletedProcess, dict]:
    artifacts = pod.parent / "artifacts"
    r = subprocess.run([str(VENV_BIN / "deploy-pod"), "up", str(pod), "--twin", "--artifacts", str(artifacts),
                        *PHASES, *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=1500)
    return r, json.loads((artifacts / POD / "last-run.json").read_text())


def test_a_disk_with_a_descriptor_is_refused_and_untouched(pod):
    sim("fault", str(pod), "nsd02", "disk-descriptor", "/dev/nvme1n1")
    r, summary = up(pod)
    assert r.returncode == 1, r.stdout[-4000:]
    assert summary["phases"][-1]["phase"] == "storage"
    line = next((ln for ln in r.stdout.splitlines() if "already holds a GPFS disk descriptor" in ln), "")
    assert "nsd02: /dev/nvme1n1 already holds a GPFS disk descriptor" in line, r.stdout[-3000:]
    assert "scale_force=true" in line and "Nothing was written" in line
    # mmcrnsd created none of the four (one stanza file, refused whole), and no file system exists
    nsds = sf.parse_nsds(ssh(POD, "nsd01", MM + "mmlsnsd -Y", check=False).stdout)
    assert nsds == {}
    assert sf.parse_filesystems(ssh(POD, "nsd01", MM + "mmlsfs all -Y", check=False).stdout) == {}


def test_force_overwrites_it_and_the_pod_comes_up(pod):
    r, summary = up(pod, "--resume", "-e", "scale_force=true")
    assert r.returncode == 0, r.stdout[-4000:]
    nsds = sf.parse_nsds(ssh(POD, "dgx01", MM + "mmlsnsd -Y").stdout)
    assert sorted(nsds) == ["nsd_nsd01_nvme0n1", "nsd_nsd01_nvme1n1", "nsd_nsd02_nvme0n1", "nsd_nsd02_nvme1n1"]
    assert {n["fs"] for n in nsds.values()} == {"fs1"}
    fs = sf.parse_filesystems(ssh(POD, "dgx01", MM + "mmlsfs all -Y").stdout)["fs1"]
    assert fs["block_size"] == 4 * 1024**2
    assert sf.parse_mounts(ssh(POD, "nsd01", MM + "mmlsmount all -L -Y").stdout)["fs1"] == ["dgx01-ib", "dgx02-ib"]
    # the NSD servers run NetworkManager: deploy-pod's profiles carry the plan's addresses, netplan is absent
    for host, octet in (("nsd01", 31), ("nsd02", 32)):
        active = ssh(POD, host, "nmcli -t -f NAME,DEVICE connection show --active").stdout.split()
        assert "deploy-pod-mgmt:eth0" in active and "deploy-pod-ipoib-ib0:ib0" in active, active
        assert f"10.84.0.{octet}/24" in ssh(POD, host, "ip -o addr show ib0").stdout
        assert f"10.83.0.{octet}/24" in ssh(POD, host, "ip -o addr show eth0").stdout
    assert ssh(POD, "nsd01", "command -v netplan", check=False).returncode != 0
    ssh(POD, "dgx02", "ping -c1 -W3 nsd02-ib")
    ssh(POD, "dgx01", "echo written-on-dgx01 > /gpfs/fs1/hello && cat /gpfs/fs1/hello")
    # the packages came from the directory: copied to the host's cache, installed, held
    assert "gpfs.base_" in ssh(POD, "nsd01", "ls /var/cache/deploy-pod/scale").stdout
    assert ssh(POD, "nsd01", "test -e /etc/apt/sources.list.d/deploy-pod-scale.list", check=False).returncode != 0
    assert "gpfs.base" in ssh(POD, "dgx01", "apt-mark showhold").stdout.split()


def test_second_run_changes_nothing(pod):
    r, summary = up(pod)
    assert r.returncode == 0, r.stdout[-4000:]
    assert sum(sum(p["changed"].values()) for p in summary["phases"]) == 0, json.dumps(summary["phases"], indent=1)
