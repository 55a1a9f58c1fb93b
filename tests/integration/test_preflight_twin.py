"""Live preflight on the twin: a clean pod passes; each injected fault fails it with the
precise sentence, in one per-host table, before anything is changed."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.integration.twinkit import ROOT, VENV_BIN, running_pod, sim

pytestmark = pytest.mark.twin
POD = "pft"


@pytest.fixture(scope="module")
def pod(testbed, require_twin, tmp_path_factory):
    with running_pod(POD, 91, tmp_path_factory.mktemp(POD)) as path:
        yield path


def preflight(pod) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(pod), "-i",
                           str(ROOT / ".sim" / POD / "overlay.yml"), str(ROOT / "playbooks" / "preflight.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_clean_twin_passes(pod):
    r = preflight(pod)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "changed=0" in r.stdout and "failed=0" in r.stdout


@pytest.mark.parametrize("fault,sentence", [
    (["dgx02", "ib-link-down", "mlx5_2/1"], "dgx02 mlx5_2/1: link is Down (expected Active at 100 Gb/s)"),
    (["dgx01", "miscable", "mlx5_0/1", "ib-sw2:30"], "dgx01 mlx5_0/1: expected ib-sw1 port 5, found ib-sw2 port 30"),
    (["dgx01", "gpu-missing"], "dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)"),
    (["ess01b", "node-down"], "ess01b: unreachable over SSH"),
], ids=["link-down", "miscabled", "gpu-missing", "node-down"])
def test_each_fault_fails_preflight_with_the_precise_message(pod, fault, sentence):
    sim("fault", str(pod), *fault)
    try:
        r = preflight(pod)
    finally:
        sim("fault", str(pod), fault[0], "--clear")
    assert r.returncode != 0
    assert sentence in r.stdout, r.stdout[-3000:]
    assert "preflight found 1 problem(s) on 1 host(s); nothing was changed" in r.stdout
    assert "changed=1" not in r.stdout
