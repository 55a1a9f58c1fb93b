"""deploy_pod.pod.ib_facts: the real ibstat fixture, and the module's main() against the twin's
emulated ibstat / ibdev2netdev (run as subprocesses from a temporary PATH) on a DGX-1 built by
hwgen from the planner's cables, with faults."""

from __future__ import annotations

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import infiniband_facts
from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import parse_ibstat
from ansible_collections.deploy_pod.pod.plugins.modules import ib_facts

from tests.modkit import FIXTURES, SBIN_HAS_IBSTAT, run_module, tool_installer, twin_host, warning_texts


@pytest.fixture
def tools(tmp_path, monkeypatch):
    return tool_installer(tmp_path, monkeypatch, ib_facts)


# ---------------------------------------------------------------- real fixture

def test_fixture_facts_keep_what_ibstat_printed_before_its_panic():
    parsed = parse_ibstat((FIXTURES / "ibstat.1.txt").read_text())
    facts = infiniband_facts(parsed)
    assert facts["hca_count"] == 8
    assert facts["port_count"] == 8
    assert list(facts["hcas"])[0] == "mlx5_0"
    ca = facts["hcas"]["mlx5_0"]
    assert ca["type"] == "MT4124"
    assert ca["firmware"] == "20.41.1000"
    assert ca["node_guid"] == "0x00155dfffe3411eb"
    assert ca["system_guid"] == "0xb83fd203006e2704"
    port = ca["ports"][0]
    assert port["name"] == "mlx5_0/1"
    assert port["rate_gbps"] == 200 and isinstance(port["rate_gbps"], int)
    assert port["state"] == "Active" and port["physical_state"] == "LinkUp"
    assert port["lid"] == 13247 and port["sm_lid"] == 1
    assert port["port_guid"] == "0x00155dfffd3411eb"
    assert port["link_layer"] == "InfiniBand"
    assert port["netdev"] is None
    assert "mlx5_8" in parsed["panic"]


def test_fixture_netdev_mapping_joins_by_port():
    from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import parse_ibdev2netdev

    parsed = parse_ibstat((FIXTURES / "ibstat.1.txt").read_text())
    netdevs = parse_ibdev2netdev("mlx5_0 port 1 ==> ib0 (Up)\nmlx5_1 port 1 ==> ib1 (Down)\n")
    facts = infiniband_facts(parsed, netdevs)
    assert facts["hcas"]["mlx5_0"]["ports"][0]["netdev"] == "ib0"
    assert facts["hcas"]["mlx5_0"]["ports"][0]["netdev_up"] is True
    assert facts["hcas"]["mlx5_1"]["ports"][0]["netdev_up"] is False
    assert facts["netdevs"] == {"ib0": "mlx5_0/1", "ib1": "mlx5_1/1"}


# ---------------------------------------------------------------- module against the twin

def test_clean_dgx1_reports_four_active_edr_ports_with_netdevs(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx01")
    tools("ibstat", "ibdev2netdev", hw=hw, fabric=fab)
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["changed"] is False
    ib = result["ansible_facts"]["infiniband"]
    assert ib["hca_count"] == 4
    assert ib["active_ports"] == ["mlx5_0/1", "mlx5_1/1", "mlx5_2/1", "mlx5_3/1"]
    assert ib["netdevs"] == {"ib0": "mlx5_0/1", "ib1": "mlx5_1/1", "ib2": "mlx5_2/1", "ib3": "mlx5_3/1"}
    assert ib["ibstat_panic"] is None
    by_name = {p["name"]: p for p in ib["ports"]}
    for hca in hw["hcas"]:
        got = ib["hcas"][hca["name"]]
        assert got["node_guid"] == hca["node_guid"]
        assert got["type"] == "MT4115"
        for port in hca["ports"]:
            p = by_name[f"{hca['name']}/{port['num']}"]
            assert p["port_guid"] == port["port_guid"]
            assert p["rate_gbps"] == 100
            assert p["lid"] == port["lid"] and p["lid"] > 0
            assert p["sm_lid"] == 1
            assert p["link_layer"] == "InfiniBand"
            assert p["netdev_up"] is True
    assert not warning_texts(result)


def test_port_down_fault_shows_down_polling_and_netdev_down(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx01", lambda g, hw, fab: g.set_port_state(hw, fab, "mlx5_1", 1, "Down"))
    tools("ibstat", "ibdev2netdev", hw=hw, fabric=fab)
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 0
    ib = result["ansible_facts"]["infiniband"]
    port = ib["hcas"]["mlx5_1"]["ports"][0]
    assert (port["state"], port["physical_state"], port["rate_gbps"], port["lid"]) == ("Down", "Polling", 10, 0)
    assert port["netdev"] == "ib1" and port["netdev_up"] is False
    assert "mlx5_1/1" not in ib["active_ports"]


def test_check_mode_gives_the_same_facts(tools, capsys, monkeypatch):
    hw, fab = twin_host("ess01a")
    tools("ibstat", "ibdev2netdev", hw=hw, fabric=fab)
    rc, result = run_module(ib_facts.main, {"_ansible_check_mode": True}, capsys, monkeypatch)
    assert rc == 0 and result["changed"] is False
    ib = result["ansible_facts"]["infiniband"]
    assert ib["port_count"] == 4
    assert [p["name"] for p in ib["hcas"]["mlx5_0"]["ports"]] == ["mlx5_0/1", "mlx5_0/2"]


def test_ibpanic_exit_255_returns_what_parsed_with_a_warning(tools, capsys, monkeypatch):
    fixture = FIXTURES / "ibstat.1.txt"
    tools(fakes={"ibstat": f'/bin/cat "{fixture}"\nexit 255'})
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 0, result
    ib = result["ansible_facts"]["infiniband"]
    assert ib["hca_count"] == 8
    assert "mlx5_8" in ib["ibstat_panic"]
    texts = warning_texts(result)
    assert any("ibstat exited 255 after listing 8 HCA(s)" in t and "mlx5_8" in t for t in texts), texts
    assert any("ibdev2netdev is not installed" in t for t in texts), texts
    assert all(p["netdev"] is None for p in ib["ports"])


def test_ibpanic_on_stderr_of_the_emulator_is_a_failure_when_nothing_parsed(tools, capsys, monkeypatch):
    tools(fakes={"ibstat": "echo \"ibpanic: [42] main: can't list IB device names\" >&2\nexit 255"})
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"] == "ibstat failed and listed no HCA: [42] main: can't list IB device names"


@pytest.mark.skipif(SBIN_HAS_IBSTAT, reason="this machine has a real ibstat in an sbin directory")
def test_missing_ibstat_fails_with_a_clear_message(tools, capsys, monkeypatch):
    tools()
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 1
    assert result["msg"].startswith("ibstat not found on the PATH")
    assert "infiniband-diags" in result["msg"]


def test_ibstat_path_that_is_not_executable_fails(tools, capsys, monkeypatch, tmp_path):
    tools()
    rc, result = run_module(ib_facts.main, {"ibstat_path": str(tmp_path / "nope")}, capsys, monkeypatch)
    assert rc == 1
    assert "is not an executable file" in result["msg"]


def test_failing_ibdev2netdev_is_a_warning_not_a_failure(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx02")
    tools("ibstat", hw=hw, fabric=fab, fakes={"ibdev2netdev": "echo broken >&2\nexit 3"})
    rc, result = run_module(ib_facts.main, {}, capsys, monkeypatch)
    assert rc == 0
    assert any("ibdev2netdev failed (exit 3): broken" in t for t in warning_texts(result))
    assert result["ansible_facts"]["infiniband"]["hca_count"] == 4


def test_netdev_mapping_off_does_not_run_ibdev2netdev(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx01")
    tools("ibstat", hw=hw, fabric=fab, fakes={"ibdev2netdev": "exit 9"})
    rc, result = run_module(ib_facts.main, {"netdev_mapping": False}, capsys, monkeypatch)
    assert rc == 0 and not warning_texts(result)
