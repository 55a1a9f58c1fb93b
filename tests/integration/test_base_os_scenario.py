"""The Molecule scenario extensions/molecule/base_os on the twin image (about 4 minutes):
check mode on a fresh DGX-1, converge, idempotence and the verify of real effects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]


def test_base_os_scenario(testbed):
    venv_bin = ROOT / ".venv" / "bin"
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=testbed,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    proc = subprocess.run([str(venv_bin / "molecule"), "test", "-s", "base_os"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1500)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    for step in ("check", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in out, step
