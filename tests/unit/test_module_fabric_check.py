"""deploy_pod.pod.fabric_check: main() against the twin's emulated ibstat, iblinkinfo and ibnetdiscover
(run as subprocesses from a temporary PATH) on the example twin pod, built by hwgen from the
planner's cables, with faults made by hwgen's set_port_state and recable: each gives its exact
problem sentence, a clean host none."""

from __future__ import annotations

import sys

import pytest
from ansible_collections.deploy_pod.pod.plugins.modules import fabric_check

from tests.modkit import (
    HW_DIR,
    SBIN_HAS_IBSTAT,
    planned,
    run_module,
    tool_installer,
    twin_host,
    warning_texts,
)


@pytest.fixture
def tools(tmp_path, monkeypatch):
    return tool_installer(tmp_path, monkeypatch, fabric_check)


# ---------------------------------------------------------------- faults

def _slow(ca: str, num: int, gbps: int):
    def fault(hwgen, hw, fab):
        for hca in hw["hcas"]:
            for p in hca["ports"]:
                if hca["name"] == ca and p["num"] == num:
                    p["rate_gbps"] = gbps
        for link in fab["links"]:
            if (link["host"], link["ca"], link["port"]) == (hw["host"], ca, num):
                link["rate_gbps"] = gbps
    return fault


ISL = [{"switch": "ib-sw1", "port": 36, "peer": "ib-sw2", "peer_port": 36}]
# the example pod has two switches without an ISL: two subnets, one iblinkinfo run per switch
SECOND_RUN = {"dgx01": "iblinkinfo -C mlx5_1 -P 1", "dgx02": "iblinkinfo -C mlx5_1 -P 1",
              "ess01a": "iblinkinfo -C mlx5_0 -P 2"}


def check(tools, capsys, monkeypatch, host="dgx01", fault=None, expected=None, only=None, tool_names=None,
          isls=None, **args) -> tuple[int, dict]:
    hw, fab = twin_host(host, fault, only, isls)
    tools(*(tool_names or ("ibstat", "iblinkinfo", "ibnetdiscover")), hw=hw, fabric=fab)
    module_args = {"host": host, "expected": planned(host) if expected is None else expected, **args}
    return run_module(fabric_check.main, module_args, capsys, monkeypatch)


# ---------------------------------------------------------------- clean

@pytest.mark.parametrize("host", ["dgx01", "dgx02", "ess01a"])
def test_clean_host_has_no_problems(tools, capsys, monkeypatch, host):
    rc, result = check(tools, capsys, monkeypatch, host)
    assert rc == 0, result
    assert result["changed"] is False
    assert result["problems"] == []
    assert result["discovery"] == ["iblinkinfo", SECOND_RUN[host]]
    links = {lk["port"]: lk for lk in result["links"]}
    for cable in planned(host):
        link = links[cable["port"]]
        assert (link["switch"], link["switch_port"]) == (cable["switch"], cable["switch_port"])
        assert link["state"] == "Active" and link["rate_gbps"] == 100
        assert link["matched_by"] == "port_guid"
        assert link["remote_type"] == "Switch"
        assert link["remote_description"] == f"MF0;{cable['switch']}:MSB7800/U1"
    assert not warning_texts(result)


def test_check_mode_is_the_same(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, _ansible_check_mode=True)
    assert rc == 0 and result["problems"] == [] and result["changed"] is False


# ---------------------------------------------------------------- faults, sentence by sentence

def test_port_down(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch,
                       fault=lambda g, hw, fab: g.set_port_state(hw, fab, "mlx5_1", 1, "Down"))
    assert rc == 0
    assert result["problems"] == ["dgx01 mlx5_1/1: link is Down (expected Active at 100 Gb/s)"]


def test_port_disabled(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, host="dgx02",
                       fault=lambda g, hw, fab: g.set_port_state(hw, fab, "mlx5_3", 1, "Down", "Disabled"))
    assert result["problems"] == ["dgx02 mlx5_3/1: link is Down (expected Active at 100 Gb/s)"]
    link = next(lk for lk in result["links"] if lk["port"] == "mlx5_3/1")
    assert link["physical_state"] == "Disabled" and link["switch"] is None


def test_miscabled_to_the_other_switch(tools, capsys, monkeypatch):
    # dgx01 mlx5_2/1 is planned on ib-sw1 port 6; plug it into ib-sw2 port 20
    rc, result = check(tools, capsys, monkeypatch,
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_2", 1, "ib-sw2", 20))
    assert rc == 0
    assert result["problems"] == ["dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw2 port 20"]


def test_two_cables_swapped(tools, capsys, monkeypatch):
    def swap(g, hw, fab):
        g.recable(hw, fab, "mlx5_0", 1, "ib-sw1", 6)
        g.recable(hw, fab, "mlx5_2", 1, "ib-sw1", 5)

    rc, result = check(tools, capsys, monkeypatch, fault=swap)
    assert result["problems"] == [
        "dgx01 mlx5_0/1: expected ib-sw1 port 5, found ib-sw1 port 6",
        "dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw1 port 5",
    ]


def test_rate_below_plan(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, fault=_slow("mlx5_0", 1, 56))
    assert result["problems"] == ["dgx01 mlx5_0/1: rate 56 Gb/s is below the planned 100 Gb/s"]


def test_planned_port_missing_from_the_host(tools, capsys, monkeypatch):
    expected = [*planned("dgx01"), {"port": "mlx5_4/1", "switch": "ib-sw1", "switch_port": 30, "rate_gbps": 100}]
    rc, result = check(tools, capsys, monkeypatch, expected=expected)
    assert result["problems"] == ["dgx01 mlx5_4/1: port not found on this host"]


def test_several_faults_in_plan_order_and_fail_on_problems(tools, capsys, monkeypatch):
    def faults(g, hw, fab):
        g.set_port_state(hw, fab, "mlx5_1", 1, "Down")
        g.recable(hw, fab, "mlx5_3", 1, "ib-sw1", 21)
        _slow("mlx5_0", 1, 40)(g, hw, fab)

    rc, result = check(tools, capsys, monkeypatch, fault=faults, fail_on_problems=True)
    expected = [
        "dgx01 mlx5_0/1: rate 40 Gb/s is below the planned 100 Gb/s",
        "dgx01 mlx5_1/1: link is Down (expected Active at 100 Gb/s)",
        "dgx01 mlx5_3/1: expected ib-sw2 port 6, found ib-sw1 port 21",
    ]
    assert rc == 1
    assert result["failed"] is True
    assert result["problems"] == expected
    assert result["msg"] == "; ".join(expected)
    assert len(result["links"]) == 4


# ---------------------------------------------------------------- discovery paths

def test_one_subnet_needs_one_discovery_run(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, isls=ISL)
    assert rc == 0, result
    assert result["problems"] == []
    assert result["discovery"] == ["iblinkinfo"]


def test_a_host_alone_on_the_fabric(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, only=["dgx01"],
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_1", 1, "ib-sw2", 6))
    assert result["problems"] == ["dgx01 mlx5_1/1: expected ib-sw2 port 5, found ib-sw2 port 6"]


def test_ibnetdiscover_when_iblinkinfo_is_missing(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, tool_names=("ibstat", "ibnetdiscover"),
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_2", 1, "ib-sw2", 20))
    assert rc == 0, result
    assert result["discovery"] == ["ibnetdiscover -p", "ibnetdiscover -p -C mlx5_1 -P 1"]
    assert result["problems"] == ["dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw2 port 20"]


def test_ports_ibstat_could_not_read_are_found_by_node_description(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx01", isls=ISL)
    tools("iblinkinfo", hw=hw, fabric=fab,
          fakes={"ibstat": f'"{sys.executable}" "{HW_DIR / "ibstat.py"}" mlx5_0 || exit 1\n'
                           "echo \"ibpanic: [7] main: stat of IB device 'mlx5_1' failed\" >&2\nexit 255"})
    monkeypatch.setattr(fabric_check, "SBIN", [])
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": planned("dgx01")}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["problems"] == []
    links = {lk["port"]: lk for lk in result["links"]}
    assert links["mlx5_0/1"]["seen_by"] == ["ibstat", "discovery"]
    assert links["mlx5_3/1"]["seen_by"] == ["discovery"]
    assert links["mlx5_3/1"]["matched_by"] == "node_description"
    assert any("ibstat exited 255" in t and "mlx5_1" in t for t in warning_texts(result))


def test_bad_expected_entry_fails(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, expected=[{"port": "mlx5_0"}])
    assert rc == 1
    assert result["msg"] == "expected[0]: port 'mlx5_0' is not of the form <ca>/<port>, for example mlx5_0/1"


@pytest.mark.skipif(SBIN_HAS_IBSTAT, reason="this machine has a real ibstat in an sbin directory")
def test_missing_tools_fail_clearly(tools, capsys, monkeypatch):
    tools()
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": []}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("ibstat not found on the PATH")
    hw, fab = twin_host("dgx01")
    tools("ibstat", hw=hw, fabric=fab)
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": []}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("iblinkinfo or ibnetdiscover not found")
