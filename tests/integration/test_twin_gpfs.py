"""The emulated Spectrum Scale inside twin containers: packages from the local repository win
over Debian's (apt pinning), a cluster comes up, a stopped container reports down, mmcrnsd
refuses a disk holding a descriptor, and /gpfs/<fs> is shared data across nodes."""

from __future__ import annotations

import pytest

from tests.integration.twinkit import running_pod, sim, ssh, wait_for

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
