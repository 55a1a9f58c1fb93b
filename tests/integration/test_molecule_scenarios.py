"""Every role's Molecule scenario on the twin image (extensions/molecule/<scenario>): check mode
on fresh instances where the scenario has it, converge, idempotence (0 changed), a verify of
real effects, destroy. Each scenario takes one to five minutes; `scale` (a whole twin pod
through `deploy-pod sim up`, the four Spectrum Scale roles) takes longer."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.integration.twinkit import ROOT, VENV_BIN, example_pod_as, residue

pytestmark = pytest.mark.twin

# scenario -> (packages its prepare needs from build/twin-repo, steps that must have run)
SCENARIOS = {
    "gpfs_packages": (["gpfs.base"], ["converge", "idempotence", "verify", "destroy"]),
    "base_os": ([], ["check", "converge", "idempotence", "verify", "destroy"]),
    "mgmt_network": ([], ["check", "converge", "idempotence", "verify", "destroy"]),
    "infiniband": (["deploy-pod-twin-kmod", "opensm", "infiniband-diags"],
                   ["check", "side_effect", "converge", "idempotence", "verify", "destroy"]),
    # a whole twin pod (2 DGX, 1 ESS unit) made by `deploy-pod sim up`: the Scale phases
    "scale": (["gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "gpfs.docs", "gpfs.gnr",
               "gpfs.license.std", "gpfs.license.dm", "deploy-pod-twin-hw", "deploy-pod-twin-dgx"],
              ["create", "prepare", "check", "side_effect", "converge", "idempotence", "verify", "destroy"]),
}

# scenario -> the roles it covers, where that is not just the role of the same name
ROLES_COVERED = {
    "gpfs_packages": [],  # no role: the twin's emulated gpfs packages themselves
    "scale": ["appliance", "scale_install", "scale_cluster", "scale_storage", "scale_clients", "ngc", "acceptance",
              "scale_gate", "scale_rebalance"],
}

# the twin pod a scenario brings up with `deploy-pod sim up`, as twinkit.example_pod_as(name, octet)
SCENARIO_PODS = {"scale": ("molscale", 93)}


def molecule(scenario: str, image: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=image,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    # `scale` takes ~15 min alone; beside another worker's pod on 2 cores the scenarios ran 2x slower
    return subprocess.run([str(VENV_BIN / "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)


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
    if scenario in SCENARIO_PODS:
        pod = SCENARIO_PODS[scenario][0]
        assert residue(pod) == {"containers": [], "networks": [], "volumes": []}, f"pod {pod} left behind"
        assert not (ROOT / ".sim" / pod).exists()


def roles_covered() -> dict[str, list[str]]:
    """role -> the scenarios that test it."""
    out: dict[str, list[str]] = {}
    for scenario in SCENARIOS:
        for role in ROLES_COVERED.get(scenario, [scenario]):
            out.setdefault(role, []).append(scenario)
    return out


def test_every_role_has_a_scenario():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
    covered = roles_covered()
    assert [r for r in roles if r not in covered] == []
    # a role name no role has (a typo, a renamed role) covers nothing
    assert [r for r in covered if r not in roles] == []
    assert [s for s in ROLES_COVERED if s not in SCENARIOS] == []
    for scenario in SCENARIOS:
        assert (ROOT / "extensions" / "molecule" / scenario / "molecule.yml").is_file(), scenario


@pytest.mark.parametrize("scenario", sorted(SCENARIO_PODS))
def test_scenario_pod_is_the_example_pod(scenario, tmp_path):
    """The scenario's pod inventory is inventories/examples/twin.yml under its own name and networks."""
    name, octet = SCENARIO_PODS[scenario]
    expected = yaml.safe_load(example_pod_as(name, octet, tmp_path).read_text())
    actual = yaml.safe_load((ROOT / "extensions" / "molecule" / scenario / "inventory" / "pod.yml").read_text())
    assert actual == expected
