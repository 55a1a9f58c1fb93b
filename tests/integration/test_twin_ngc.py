"""The twin's NGC mirror and DGX Docker engines (what the ngc and acceptance phases run against):
a registry at pod.registry.url on the management network, TLS with the pod's CA, user $oauthtoken
with the pod's key, filled with the NGC stand-in; a DGX logs in over SSH as a role would, pulls and
runs tf_cnn_benchmarks on one GPU; `sim down` leaves nothing behind."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest
import yaml

from tests.integration import twinkit
from tests.integration.twinkit import sim

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]
POD = "ngctest"
MIRROR = "10.231.60.5:5000"
IMAGE = f"{MIRROR}/nvidia/tensorflow:24.03-tf2-py3"
SIM_DIR = ROOT / ".sim" / POD
BENCH = "python3 /workspace/benchmarks/scripts/tf_cnn_benchmarks/tf_cnn_benchmarks.py"
# one DGX and one NSD server (the smallest pod that validates), the mirror at .5
INVENTORY = {"all": {
    "vars": {"pod": {
        "name": POD, "cluster_name": f"{POD}.gpfs", "filesystem": {"name": "fs1", "block_size": "4M"},
        "networks": {"mgmt": {"cidr": "10.231.60.0/24", "gateway": "10.231.60.1"},
                     "ipoib": {"cidr": "10.231.61.0/24", "mode": "datagram"}},
        "ntp_servers": ["10.231.60.1"],
        "registry": {"url": MIRROR, "images": ["nvcr.io/nvidia/tensorflow:24.03-tf2-py3",
                                               "nvcr.io/nvidia/pytorch:24.03-py3"]}}},
    "children": {
        "dgx": {"hosts": {"dgx01": {"hw_model": "dgx-1", "mgmt_address": "10.231.60.11"}}},
        "nsd_servers": {"hosts": {"nsd01": {"hw_model": "nvme-server", "mgmt_address": "10.231.60.31",
                                            "nsd_devices": ["/dev/nvme0n1"]}}},
        "ib_switches": {"hosts": {"ib-sw1": {"hw_model": "sb7800"}}},
        "mgmt_switches": {"hosts": {"mgmt-sw1": {"hw_model": "generic-10gbe"}}}}}}


@pytest.fixture(scope="module")
def pod(testbed, tmp_path_factory):
    path = tmp_path_factory.mktemp("ngc") / f"{POD}.yml"
    path.write_text(yaml.safe_dump(INVENTORY, sort_keys=False))
    if any(twinkit.residue(POD).values()):
        sim("down", str(path), check=False)
    proc = sim("up", str(path))
    yield path, proc
    sim("down", str(path), check=False)


def ssh(host: str, command: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """As a role reaches the host: real SSH with the overlay's connection variables."""
    h = twinkit.overlay_hosts(POD)[host]
    cmd = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *h["ansible_ssh_common_args"].split(),
           "-i", h["ansible_ssh_private_key_file"], "-p", str(h["ansible_port"]), "root@127.0.0.1", command]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, f"{host}: {command}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _get(path: str, ca: Path | None, key: str | None = None) -> int:
    req = urllib.request.Request(f"https://{MIRROR}{path}")
    if key:
        req.add_header("Authorization", "Basic " + b64encode(f"$oauthtoken:{key}".encode()).decode())
    ctx = ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_registry_is_a_pod_service_not_a_host(pod):
    path, proc = pod
    assert f"filling mirror {MIRROR}" in proc.stdout
    st = json.loads(sim("status", str(path), "--json").stdout)
    assert sorted(r["host"] for r in st["containers"]) == ["dgx01", "nsd01"]
    (svc,) = st["services"]
    assert svc == {"container": f"dp-{POD}-registry", "service": "registry", "state": "running",
                   "mgmt_address": "10.231.60.5", "endpoint": MIRROR}
    assert sorted(twinkit.overlay_hosts(POD)) == ["dgx01", "nsd01"]
    overlay_vars = yaml.safe_load((SIM_DIR / "overlay.yml").read_text())["all"]["vars"]
    assert overlay_vars["ngc_registry_ca_file"] == str(SIM_DIR / "registry-ca.crt")
    assert overlay_vars["acceptance_judge"] is False
    key = SIM_DIR / "ngc-api-key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 84


def test_the_registry_answers_over_tls_with_the_pod_ca_only(pod):
    key = (SIM_DIR / "ngc-api-key").read_text().strip()
    ca = SIM_DIR / "registry-ca.crt"
    assert _get("/v2/", ca) == 401
    assert _get("/v2/", ca, key) == 200
    assert _get("/v2/", ca, "wrong" * 10) == 401
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        _get("/v2/", None, key)


def test_a_dgx_pulls_from_the_mirror_and_trains_on_its_gpu(pod):
    ca = (SIM_DIR / "registry-ca.crt").read_text()
    key = (SIM_DIR / "ngc-api-key").read_text().strip()
    ssh("dgx01", f"install -d /etc/docker/certs.d/{MIRROR} && cat > /etc/docker/certs.d/{MIRROR}/ca.crt", stdin=ca)
    login = ssh("dgx01", f"docker login -u '$oauthtoken' --password-stdin {MIRROR}", stdin=key + "\n")
    assert "Login Succeeded" in login.stdout
    ssh("dgx01", f"docker pull -q {IMAGE}")
    run = ssh("dgx01", f"docker run --rm --name deploy-pod-acceptance-gpu0 --gpus device=0 --ipc=host --network=host "
                       f"--ulimit memlock=-1 --ulimit stack=67108864 {IMAGE} {BENCH} --model=resnet50 --batch_size=8 "
                       "--num_batches=5 --num_gpus=1")
    assert "Devices:     ['/gpu:0']" in run.stdout
    assert "total images/sec: " in run.stdout
    # a GPU the host does not have fails in the container toolkit's hook, as on a DGX
    bad = ssh("dgx01", f"docker run --rm --gpus device=8 {IMAGE} true", check=False)
    assert bad.returncode != 0 and "nvidia-container-cli: device error: 8: unknown device" in bad.stderr


def test_a_second_up_copies_nothing(pod):
    path, _ = pod
    again = sim("up", str(path))
    assert f"mirror {MIRROR} has every image" in again.stdout
    assert "filling mirror" not in again.stdout


def test_down_leaves_no_registry_behind(pod):
    path, _ = pod
    sim("down", str(path))
    assert twinkit.residue(POD) == {"containers": [], "networks": [], "volumes": []}
    assert subprocess.run(["docker", "inspect", f"dp-{POD}-registry"], capture_output=True).returncode != 0
    assert not SIM_DIR.exists()
