"""`deploy-pod up` on a fresh twin pod: check mode first changes nothing, the real run brings
every host to the plan, a second run changes nothing, and the effects are really there."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.twinkit import ROOT, VENV_BIN, running_pod, sim, ssh

pytestmark = pytest.mark.twin
POD = "upt"


@pytest.fixture(scope="module")
def pod(testbed, require_twin, tmp_path_factory):
    with running_pod(POD, 95, tmp_path_factory.mktemp(POD)) as path:
        yield path


def up(pod, *args) -> tuple[subprocess.CompletedProcess, dict]:
    artifacts = pod.parent / "artifacts"
    r = subprocess.run([str(VENV_BIN / "deploy-pod"), "up", str(pod), "--twin", "--artifacts", str(artifacts), *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=1500)
    summary = json.loads((artifacts / POD / "last-run.json").read_text())
    return r, summary


def changed(summary: dict) -> int:
    return sum(sum(p["changed"].values()) for p in summary["phases"])


def test_check_mode_on_a_fresh_pod_changes_nothing(pod):
    r, summary = up(pod, "--check")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert ssh(POD, "dgx01", "test -e /etc/netplan/61-deploy-pod-ipoib.yaml", check=False).returncode != 0
    assert "10.96.0.11" not in ssh(POD, "dgx01", "ip -o addr show ib0").stdout


def test_up_brings_every_host_to_the_plan(pod):
    r, summary = up(pod)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert [p["phase"] for p in summary["phases"]] == ["preflight", "base", "network"]
    assert changed(summary) > 0
    # IPoIB address from the planner (same host number as on the management network)
    assert "10.96.0.11/24" in ssh(POD, "dgx01", "ip -o addr show ib0").stdout
    assert "10.96.0.22/24" in ssh(POD, "ess01b", "ip -o addr show ib0").stdout
    # the IPoIB names resolve on every host, and the link really carries traffic
    assert ssh(POD, "ess01a", "getent hosts dgx02-ib").stdout.split()[0] == "10.96.0.12"
    ssh(POD, "dgx01", "ping -c1 -W3 ess01a-ib")
    # GPUDirect RDMA module on the DGX only; chrony knows the pod's NTP server
    assert "nvidia_peermem" in ssh(POD, "dgx01", "lsmod").stdout
    assert "nvidia_peermem" not in ssh(POD, "ess01a", "lsmod").stdout
    assert "10.95.0.1" in ssh(POD, "dgx02", "cat /etc/chrony/chrony.conf").stdout


def test_second_run_changes_nothing(pod):
    r, summary = up(pod)
    assert r.returncode == 0, r.stdout[-4000:]
    assert changed(summary) == 0, json.dumps(summary["phases"], indent=1)


def test_resume_starts_at_the_failed_phase(pod):
    sim("fault", str(pod), "dgx02", "gpu-missing")
    try:
        r, summary = up(pod)
        assert r.returncode == 1 and summary["phases"][-1]["phase"] == "preflight"
        rows = [line for line in r.stdout.splitlines() if "7 GPUs found, dgx-1 has 8" in line]
        assert rows and rows[0].split()[0] == "dgx02", r.stdout[-3000:]  # the verdict table, shown in full
    finally:
        sim("fault", str(pod), "dgx02", "--clear")
    r, summary = up(pod, "--resume")
    assert r.returncode == 0 and "resuming at phase preflight" in r.stdout
