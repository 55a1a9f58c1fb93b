"""deploy_pod.tuning: the rules that size Scale attributes from catalog figures, the profiles of
data/tuning.yml (every value with its source) and how overrides merge."""

from __future__ import annotations

import pytest
import yaml

from deploy_pod import tuning
from deploy_pod.tuning import Setting
from tests.conftest import ROOT

TWIN_CONFIG = ROOT / "twin" / "emulators" / "gpfs" / "gpfstwin" / "config.py"


# ---- rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ram", "want"), [
    (512, "16G"),   # DGX-1: 12 % + 1 = 62 GiB, capped at 16
    (1536, "16G"),  # DGX-2
    (125, "16G"),   # exactly at the cap: 0.12 * 125 + 1 = 16
    (100, "13G"),   # 13.0
    (64, "8G"),     # 8.68, whole GiB down
    (16, "2G"),     # 2.92
    (8, "1G"),      # 1.96
    (4, "1G"),      # 1.48
    (1, "1G"),      # 1.12
    (0.5, "1G"),    # never below 1 GiB
])
def test_client_pagepool(ram, want):
    assert tuning.client_pagepool(ram) == want


@pytest.mark.parametrize(("ram", "want"), [(512, "128G"), (384, "96G"), (256, "64G"), (6, "1G"), (4, "1G"),
                                           (3, "1G"), (1, "1G"), (10, "2G")])
def test_quarter_ram(ram, want):
    assert tuning.quarter_ram(ram) == want


@pytest.mark.parametrize(("gbps", "want"), [(400, "100000"), (200, "50000"), (100, "25000"), (800, "200000"),
                                            (25, "6250"), (1, "250")])
def test_twice_link_mbps(gbps, want):
    assert tuning.twice_link_mbps(gbps) == want


def test_gib_text():
    assert tuning.gib_text(16.9) == "16G"
    assert tuning.gib_text(0.2) == "1G"
    assert tuning.gib_text(0) == "1G"


def test_apply_rule_needs_its_figure():
    assert tuning.apply_rule("client_pagepool", 512, None) == "16G"
    assert tuning.apply_rule("quarter_ram", 512, None) == "128G"
    assert tuning.apply_rule("twice_link_mbps", None, 400) == "100000"
    assert tuning.apply_rule("client_pagepool", None, 400) is None
    assert tuning.apply_rule("quarter_ram", 0, 400) is None
    assert tuning.apply_rule("twice_link_mbps", 512, None) is None
    assert tuning.apply_rule("twice_link_mbps", 512, 0) is None


def test_apply_rule_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown rule 'half_ram'"):
        tuning.apply_rule("half_ram", 512, 400)


# ---- the profiles in data/tuning.yml ----------------------------------------------------------

PROFILES = tuning.load_profiles()
ENTRIES = [(p, a, spec) for p, attrs in PROFILES.items() for a, spec in attrs.items()]


def test_tuning_yml_is_versioned_and_has_the_profiles_the_planner_uses():
    doc = yaml.safe_load((ROOT / "src" / "deploy_pod" / "data" / "tuning.yml").read_text())
    assert doc["schema_version"] == 1
    assert set(PROFILES) == {"cluster", "client", "nsd_server", "ess", "gds"}
    assert set(tuning.CLASS_PROFILE.values()) <= set(PROFILES)
    assert tuning.CLASS_PROFILE == {"dgx": "client", "nsd": "nsd_server", "ess": "ess"}


@pytest.mark.parametrize(("profile", "attr", "spec"), ENTRIES, ids=[f"{p}.{a}" for p, a, _ in ENTRIES])
def test_every_profile_value_has_a_source(profile, attr, spec):
    assert set(spec) == {"value", "source"}, f"{profile}.{attr}: value and source, nothing else"
    assert isinstance(spec["source"], str) and len(spec["source"].strip()) > 10
    value = spec["value"]
    if isinstance(value, dict):
        assert set(value) == {"rule"}
        tuning.apply_rule(value["rule"], 512, 400)  # a known rule
    else:
        assert isinstance(value, (str, int)) and str(value).strip()


def test_profiles_never_set_verbs_ports():
    # verbsPorts is per node, from the ports the host reports Active: never a constant
    assert all(a != "verbsPorts" for _, a, _ in ENTRIES)


def test_every_profile_attribute_is_one_the_twin_accepts():
    """The emulated mmchconfig refuses unknown attributes: a typo in tuning.yml would fail there first."""
    text = TWIN_CONFIG.read_text()
    known = text[text.index("KNOWN = {"):text.index("}", text.index("KNOWN = {"))]
    for profile, attr, _ in ENTRIES:
        assert f'"{attr}"' in known, f"{profile}.{attr}"


def test_profile_values_as_written():
    assert PROFILES["client"]["verbsRdma"]["value"] == "enable"
    assert PROFILES["client"]["verbsRdmaSend"]["value"] == "yes"  # quoted: not YAML's True
    assert PROFILES["nsd_server"]["workerThreads"]["value"] == 1024
    assert PROFILES["gds"]["verbsGPUDirectStorage"]["value"] == "yes"
    assert PROFILES["cluster"]["maxblocksize"]["value"] == "filesystem_block_size"


# ---- profile_settings and merge_overrides ------------------------------------------------------

def as_map(settings):
    return {s.attr: s.value for s in settings}


def test_client_profile_for_a_dgx1_class():
    settings, notes = tuning.profile_settings("client", "dgx_clients", 512, 400, "16M")
    assert as_map(settings) == {"verbsRdma": "enable", "verbsRdmaSend": "yes", "pagepool": "16G",
                                "maxMBpS": "100000"}
    assert notes == []
    assert all(s.scope == "dgx_clients" and s.source for s in settings)
    assert next(s for s in settings if s.attr == "pagepool").source == PROFILES["client"]["pagepool"]["source"]


def test_nsd_server_profile():
    settings, notes = tuning.profile_settings("nsd_server", "nsd_servers", 256, 200, "4M")
    assert as_map(settings) == {"verbsRdma": "enable", "verbsRdmaSend": "yes", "pagepool": "64G",
                                "workerThreads": "1024", "ignorePrefetchLUNCount": "yes",
                                "numaMemoryInterleave": "yes", "maxMBpS": "50000"}
    assert notes == []


def test_rules_without_figures_stay_at_the_scale_default_with_a_note():
    settings, notes = tuning.profile_settings("client", "dgx_clients", None, None, "16M")
    assert as_map(settings) == {"verbsRdma": "enable", "verbsRdmaSend": "yes"}
    assert notes == ["dgx_clients: pagepool left at the Scale default (no catalog figure)",
                     "dgx_clients: maxMBpS left at the Scale default (no catalog figure)"]
    _, notes = tuning.profile_settings("nsd_server", "", None, 400, "16M")
    assert notes == ["cluster: pagepool left at the Scale default (no catalog figure)"]


def test_cluster_profile_takes_the_file_system_block_size():
    settings, notes = tuning.profile_settings("cluster", "", None, None, "4M")
    assert settings == [Setting("maxblocksize", "4M", "", PROFILES["cluster"]["maxblocksize"]["source"])]
    assert notes == []


def test_ess_and_gds_profiles():
    assert as_map(tuning.profile_settings("ess", "nc_ess01", None, None, "16M")[0]) == {
        "verbsRdma": "enable", "verbsRdmaSend": "yes"}
    assert as_map(tuning.profile_settings("gds", "dgx_clients", 512, 400, "16M")[0]) == {
        "verbsGPUDirectStorage": "yes", "verbsRdmaCm": "disable"}


def test_unknown_profile_is_empty():
    assert tuning.profile_settings("nothing", "x", 512, 400, "16M") == ([], [])


def test_profile_settings_with_given_profiles():
    profiles = {"p": {"a": {"value": 3, "source": "s1"}, "b": {"value": {"rule": "quarter_ram"}, "source": "s2"},
                      "c": {"value": "filesystem_block_size", "source": "s3"}}}
    settings, notes = tuning.profile_settings("p", "cls", 40, None, "8M", profiles)
    assert settings == [Setting("a", "3", "cls", "s1"), Setting("b", "10G", "cls", "s2"),
                        Setting("c", "8M", "cls", "s3")]


def test_merge_overrides_user_values_win_and_new_ones_are_added():
    settings, _ = tuning.profile_settings("client", "dgx_clients", 512, 400, "16M")
    merged = tuning.merge_overrides(settings, {"pagepool": "32G", "workerThreads": 512}, "dgx_clients",
                                    "pod.scale.tuning.dgx_clients")
    assert as_map(merged) == {"verbsRdma": "enable", "verbsRdmaSend": "yes", "maxMBpS": "100000", "pagepool": "32G",
                              "workerThreads": "512"}
    assert [s.attr for s in merged].count("pagepool") == 1
    over = [s for s in merged if s.source == "pod.scale.tuning.dgx_clients"]
    assert [(s.attr, s.value, s.scope) for s in over] == [("pagepool", "32G", "dgx_clients"),
                                                          ("workerThreads", "512", "dgx_clients")]
    assert tuning.merge_overrides(settings, {}, "dgx_clients", "x") == settings
