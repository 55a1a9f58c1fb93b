"""deploy_pod.sim.faults: fault records and the hardware/fabric edits they render."""

from __future__ import annotations

import pytest

from deploy_pod.sim import faults as flt
from deploy_pod.sim.hardware import build, default_disks, fallback_host_hardware
from deploy_pod.sim.spec import spec_from_dict

SWITCHES = {"ib-sw1": 36, "ib-sw2": 36}


def hw_dgx() -> dict:
    cables = [{"port": f"mlx5_{i}/1", "switch": "ib-sw1" if i % 2 == 0 else "ib-sw2", "switch_port": 5 + i,
               "netdev": f"ib{i}"} for i in range(4)]
    entry = {"name": "NVIDIA DGX-1", "gpus": {"count": 8, "model": "Tesla V100-SXM2-32GB", "memory_gib": 32},
             "ib": {"rate_gbps": 100}}
    return fallback_host_hardware("twin", "dgx01", "dgx", "dgx-1", entry, cables)


def hw_ess() -> dict:
    cables = [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 1, "netdev": "ib0"}]
    return fallback_host_hardware("twin", "ess01a", "ess", "ess-3000", {}, cables)


def port(hw, ca, num):
    for hca in hw["hcas"]:
        for p in hca["ports"]:
            if hca["name"] == ca and p["num"] == num:
                return p
    raise KeyError((ca, num))


# ---------------------------------------------------------------- making faults

def test_port_by_name_or_netdev():
    hw = hw_dgx()
    assert flt.resolve_port(hw, "mlx5_2/1") == ("mlx5_2", 1, "ib2")
    assert flt.resolve_port(hw, "ib3") == ("mlx5_3", 1, "ib3")
    with pytest.raises(flt.FaultError, match="no HCA port 'mlx5_9/1'; it has: mlx5_0/1"):
        flt.resolve_port(hw, "mlx5_9/1")


def test_make_fault_records():
    hw = hw_dgx()
    assert flt.make_fault(hw, "ib-link-down", ["mlx5_2/1"], SWITCHES) == {
        "host": "dgx01", "kind": "ib-link-down", "port": "mlx5_2/1", "netdev": "ib2"}
    assert flt.make_fault(hw, "miscable", ["ib0", "ib-sw2:30"], SWITCHES)["switch_port"] == 30
    assert flt.make_fault(hw, "gpu-missing", [], SWITCHES)["index"] == 7
    assert flt.make_fault(hw, "gpu-missing", ["3"], SWITCHES)["index"] == 3
    assert flt.make_fault(hw, "node-down", [], SWITCHES) == {"host": "dgx01", "kind": "node-down"}
    assert flt.make_fault(hw_ess(), "disk-descriptor", ["/dev/nvme1n1"], SWITCHES)["device"] == "/dev/nvme1n1"
    assert flt.make_fault(hw, "daemon-stuck", [], SWITCHES) == {"host": "dgx01", "kind": "daemon-stuck"}
    assert flt.make_fault(hw_ess(), "daemon-stuck", [], SWITCHES) == {"host": "ess01a", "kind": "daemon-stuck"}
    assert flt.make_fault(hw_ess(), "vdiskset-fail", [], SWITCHES) == {"host": "ess01a", "kind": "vdiskset-fail"}


@pytest.mark.parametrize("kind, args, message", [
    ("melt", [], "unknown fault"),
    ("ib-link-down", [], "takes PORT"),
    ("node-down", ["x"], "takes no arguments"),
    ("miscable", ["ib0", "ib-sw2"], "SWITCH:PORT"),
    ("miscable", ["ib0", "ib-sw9:3"], "unknown switch"),
    ("miscable", ["ib0", "ib-sw2:37"], "ports 1..36"),
    ("gpu-missing", ["8"], "GPUs 0..7, not 8"),
    ("disk-descriptor", ["/dev/sda"], "no disk"),
    ("daemon-stuck", ["x"], "takes no arguments"),
    ("vdiskset-fail", ["x"], "takes no arguments"),
    ("vdiskset-fail", [], "dgx01 is not an ESS canister .role dgx.; vdiskset-fail needs a host of an ess unit"),
])
def test_make_fault_refuses_with_the_fix(kind, args, message):
    with pytest.raises(flt.FaultError, match=message):
        flt.make_fault(hw_dgx(), kind, args, SWITCHES)


def test_miscable_onto_a_used_switch_port_is_refused():
    fabric = {"links": [{"host": "ess01a", "ca": "mlx5_0", "port": 1, "switch": "ib-sw2", "switch_port": 3},
                        {"host": "dgx09", "ca": "mlx5_0", "port": 1, "switch": None, "switch_port": None}]}
    used = flt.used_switch_ports(fabric)
    assert used == {("ib-sw2", 3): "ess01a mlx5_0/1"}
    with pytest.raises(flt.FaultError, match="already holds the cable of ess01a mlx5_0/1"):
        flt.make_fault(hw_dgx(), "miscable", ["ib0", "ib-sw2:3"], SWITCHES, used)
    assert flt.make_fault(hw_dgx(), "miscable", ["ib0", "ib-sw2:4"], SWITCHES, used)["switch_port"] == 4


def test_ess_has_no_gpus():
    with pytest.raises(flt.FaultError, match="no GPUs"):
        flt.make_fault(hw_ess(), "gpu-missing", [], SWITCHES)


def test_add_replaces_same_target_and_port_faults():
    down = {"host": "dgx01", "kind": "ib-link-down", "port": "mlx5_2/1", "netdev": "ib2"}
    mis = {"host": "dgx01", "kind": "miscable", "port": "mlx5_2/1", "netdev": "ib2", "switch": "ib-sw2",
           "switch_port": 30}
    gpu = {"host": "dgx01", "kind": "gpu-missing", "index": 7}
    faults = flt.add_fault(flt.add_fault([], down), gpu)
    assert flt.add_fault(faults, dict(down)) == [gpu, down]
    assert flt.add_fault(faults, mis) == [gpu, mis]


def test_clear_by_host_and_kind():
    faults = [{"host": "a", "kind": "node-down"}, {"host": "a", "kind": "gpu-missing", "index": 1},
              {"host": "b", "kind": "node-down"}]
    assert flt.clear_faults(faults) == ([], faults)
    kept, removed = flt.clear_faults(faults, "a")
    assert kept == [faults[2]] and removed == faults[:2]
    kept, removed = flt.clear_faults(faults, "a", "gpu-missing")
    assert removed == [faults[1]]


# ---------------------------------------------------------------- rendering

def test_render_hardware_applies_only_this_hosts_faults_and_keeps_the_base():
    base = hw_dgx()
    faults = [{"host": "dgx01", "kind": "ib-link-down", "port": "mlx5_2/1", "netdev": "ib2"},
              {"host": "dgx01", "kind": "miscable", "port": "mlx5_0/1", "netdev": "ib0", "switch": "ib-sw2",
               "switch_port": 30},
              {"host": "dgx01", "kind": "gpu-missing", "index": 7},
              {"host": "dgx02", "kind": "gpu-missing", "index": 0}]
    hw = flt.render_hardware(base, faults)
    assert port(hw, "mlx5_2", 1)["state"] == "Down"
    assert port(hw, "mlx5_2", 1)["phys_state"] == "Polling"
    assert port(hw, "mlx5_0", 1)["remote"] == {"switch": "ib-sw2", "port": 30}
    assert [g["present"] for g in hw["gpus"]] == [True] * 7 + [False]
    # the base is untouched and rendering without faults gives it back
    assert port(base, "mlx5_2", 1)["state"] == "Active"
    assert flt.render_hardware(base, []) == base


def test_render_disk_descriptor():
    hw = flt.render_hardware(hw_ess(), [{"host": "ess01a", "kind": "disk-descriptor", "device": "/dev/nvme0n1"}])
    assert [d["gpfs_descriptor"] for d in hw["disks"]] == [True, False, False, False]


def test_render_fabric():
    spec = spec_from_dict({
        "pod": "twin", "mgmt_cidr": "10.77.0.0/24",
        "hosts": {"dgx01": {"role": "dgx", "hw_model": "dgx-1", "mgmt_address": "10.77.0.11",
                            "cables": [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 5, "netdev": "ib0"},
                                       {"port": "mlx5_1/1", "switch": "ib-sw2", "switch_port": 5,
                                        "netdev": "ib1"}]}},
        "switches": {"ib-sw1": {"hw_model": "sb7800", "ports": 36}, "ib-sw2": {"hw_model": "sb7800", "ports": 36}},
    })
    entry = {"gpus": {"count": 8, "model": "V100"}, "ib": {"rate_gbps": 100}}
    _, fabric = build(spec, lambda m: entry, None)
    faults = [{"host": "dgx01", "kind": "ib-link-down", "port": "mlx5_1/1", "netdev": "ib1"},
              {"host": "dgx01", "kind": "miscable", "port": "mlx5_0/1", "netdev": "ib0", "switch": "ib-sw2",
               "switch_port": 30}]
    out = {(lk["ca"], lk["port"]): lk for lk in flt.render_fabric(fabric, faults)["links"]}
    assert (out[("mlx5_0", 1)]["switch"], out[("mlx5_0", 1)]["switch_port"]) == ("ib-sw2", 30)
    assert out[("mlx5_1", 1)]["state"] == "Down"
    assert {(lk["ca"], lk["state"]) for lk in fabric["links"]} == {("mlx5_0", "Active"), ("mlx5_1", "Active")}


def test_emulator_faults_change_no_file_and_are_listed_for_the_emulator():
    base = hw_ess()
    faults = [{"host": "ess01a", "kind": "vdiskset-fail"}, {"host": "ess01a", "kind": "daemon-stuck"},
              {"host": "dgx01", "kind": "daemon-stuck"}, {"host": "dgx01", "kind": "gpu-missing", "index": 7},
              {"host": "ess01a", "kind": "disk-descriptor", "device": "/dev/nvme0n1"}]
    emulator = faults[:3]
    assert flt.render_hardware(base, emulator) == base
    assert flt.render_fabric({"links": []}, emulator) == {"links": []}
    assert flt.emulator_faults(faults) == [
        {"host": "dgx01", "kind": "daemon-stuck"}, {"host": "ess01a", "kind": "daemon-stuck"},
        {"host": "ess01a", "kind": "vdiskset-fail"}]
    assert flt.emulator_faults([]) == []
    # injected twice: recorded once; cleared by host and kind like the others
    assert flt.add_fault(emulator, {"host": "ess01a", "kind": "daemon-stuck"}) == [
        emulator[0], emulator[2], {"host": "ess01a", "kind": "daemon-stuck"}]
    kept, removed = flt.clear_faults(faults, "ess01a", "vdiskset-fail")
    assert removed == [faults[0]] and flt.emulator_faults(kept) == [
        {"host": "dgx01", "kind": "daemon-stuck"}, {"host": "ess01a", "kind": "daemon-stuck"}]


def test_describe():
    assert flt.describe({"host": "a", "kind": "miscable", "port": "mlx5_0/1", "switch": "s", "switch_port": 3}) \
        == "a miscable mlx5_0/1 -> s:3"
    assert flt.describe({"host": "a", "kind": "node-down"}) == "a node-down"
    assert flt.describe({"host": "ess01a", "kind": "vdiskset-fail"}) == "ess01a vdiskset-fail"
    assert flt.describe({"host": "dgx01", "kind": "daemon-stuck"}) == "dgx01 daemon-stuck"


def test_storage_hosts_get_disks_and_dgx_none():
    assert len(default_disks("nsd")) == 4
    assert default_disks("dgx") == []
