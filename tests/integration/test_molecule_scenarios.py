"""Every role's Molecule scenario on the twin image (extensions/molecule/<scenario>): check mode
on fresh instances where the scenario has it, converge, idempotence (0 changed), a verify of
real effects, destroy. Each scenario takes one to five minutes."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.integration.twinkit import ROOT, VENV_BIN

pytestmark = pytest.mark.twin

# scenario -> (packages its prepare needs from build/twin-repo, steps that must have run)
SCENARIOS = {
    "gpfs_packages": (["gpfs.base"], ["converge", "idempotence", "verify", "destroy"]),
    "base_os": ([], ["check", "converge", "idempotence", "verify", "destroy"]),
    "mgmt_network": ([], ["check", "converge", "idempotence", "verify", "destroy"]),
    "infiniband": (["deploy-pod-twin-kmod", "opensm", "infiniband-diags"],
                   ["check", "side_effect", "converge", "idempotence", "verify", "destroy"]),
}


def molecule(scenario: str, image: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=image,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    return subprocess.run([str(VENV_BIN / "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario(scenario, testbed, require_twin):
    needs, steps = SCENARIOS[scenario]
    index = ROOT / "build" / "twin-repo" / "Packages"
    text = index.read_text() if index.is_file() else ""
    missing = [p for p in needs if f"Package: {p}\n" not in text]
    if missing:
        msg = f"build/twin-repo lacks {', '.join(missing)} after scripts/testbed"
        if require_twin:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    proc = molecule(scenario, testbed)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    for step in steps:
        assert f"{step}: Executed: Successful" in out, step


def test_every_role_has_a_scenario():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
    assert [r for r in roles if r not in SCENARIOS] == []
