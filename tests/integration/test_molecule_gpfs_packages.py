"""The Molecule scenario extensions/molecule/gpfs_packages on the twin image."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]


def test_gpfs_packages_scenario(testbed, require_twin):
    packages = ROOT / "build" / "twin-repo" / "Packages"
    if not packages.is_file() or "Package: gpfs.base" not in packages.read_text():
        msg = "build/twin-repo has no gpfs.base after scripts/testbed (twin/build_repo.py missing?)"
        if require_twin:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    venv_bin = ROOT / ".venv" / "bin"
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=testbed,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    proc = subprocess.run([str(venv_bin / "molecule"), "test", "-s", "gpfs_packages"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    for step in ("converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in proc.stdout + proc.stderr, step
