"""One twin platform definition: extensions/molecule/config.yml. Molecule replaces lists when it
merges a scenario over the base config, so a scenario with its own hosts repeats the systemd keys
(once per file, merged into each host with a YAML anchor); they must equal the base's."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MOLECULE = ROOT / "extensions" / "molecule"


def test_scenario_platforms_carry_the_base_platform():
    base = yaml.safe_load((MOLECULE / "config.yml").read_text())
    [twin] = base["platforms"]
    shared = {k: v for k, v in twin.items() if k not in ("name", "hostname")}
    checked = 0
    for path in sorted(MOLECULE.glob("*/molecule.yml")):
        scenario = yaml.safe_load(path.read_text())
        if (scenario.get("driver") or {}).get("name", "docker") != "docker":
            continue  # delegated: the hosts are made by `deploy-pod sim up`, not from this definition
        for platform in scenario.get("platforms") or []:
            differs = {k: platform.get(k) for k, v in shared.items() if platform.get(k) != v}
            assert not differs, f"{path.parent.name}/{platform['name']} differs from config.yml: {differs}"
            checked += 1
    assert checked >= 7


def test_no_file_repeats_the_platform_block_per_host():
    for path in sorted(MOLECULE.glob("*/molecule.yml")):
        assert path.read_text().count("command: /lib/systemd/systemd") <= 1, path.parent.name
