"""The Molecule scenario extensions/molecule/infiniband (deploy_pod.pod.infiniband) on the twin
image: check mode on fresh hosts changes nothing, converge, idempotence and verify pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]


def test_infiniband_scenario(testbed, require_twin):
    packages = ROOT / "build" / "twin-repo" / "Packages"
    text = packages.read_text() if packages.is_file() else ""
    missing = [p for p in ("deploy-pod-twin-kmod", "opensm", "infiniband-diags") if f"Package: {p}\n" not in text]
    if missing:
        msg = f"build/twin-repo lacks {', '.join(missing)} after scripts/testbed"
        if require_twin:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    venv_bin = ROOT / ".venv" / "bin"
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=testbed,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    proc = subprocess.run([str(venv_bin / "molecule"), "test", "-s", "infiniband"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    for step in ("check", "side_effect", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in out, step
