"""hwgen.py: deterministic hardware and fabric files for the twin (pure Python)."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
HW_DIR = ROOT / "twin" / "emulators" / "hw"
sys.path.insert(0, str(HW_DIR))
_spec = importlib.util.spec_from_file_location("twin_hwgen", HW_DIR / "hwgen.py")
hwgen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hwgen)
sys.path.remove(str(HW_DIR))
CATALOG = yaml.safe_load((ROOT / "src" / "deploy_pod" / "data" / "catalog.yml").read_text())["models"]
SWITCHES = [{"name": "ib-sw1", "hw_model": "sb7800", "ports": 36, "rate_gbps": 100},
            {"name": "ib-sw2", "hw_model": "sb7800", "ports": 36, "rate_gbps": 100}]


def cables(model: str, first_port: int) -> list[dict]:
    ports = CATALOG[model]["ib"]["storage_ports"]
    return [{"port": p, "switch": SWITCHES[i % 2]["name"], "switch_port": first_port + i // 2}
            for i, p in enumerate(ports)]


def dgx1(host="dgx01", pod="twin"):
    return hwgen.host_hardware(pod, host, "dgx", "dgx-1", CATALOG["dgx-1"], cables("dgx-1", 1), {})


def test_same_inputs_same_file_and_hosts_differ():
    assert dgx1() == dgx1()
    a, b = dgx1("dgx01"), dgx1("dgx02")
    assert a["hcas"][0]["node_guid"] != b["hcas"][0]["node_guid"]
    assert a["gpus"][0]["uuid"] != b["gpus"][0]["uuid"]
    assert dgx1(pod="other")["gpus"][0]["uuid"] != a["gpus"][0]["uuid"]


def test_dgx1_from_catalog():
    hw = dgx1()
    assert (hw["host"], hw["pod"], hw["role"], hw["hw_model"], hw["dgx_platform"]) == \
        ("dgx01", "twin", "dgx", "dgx-1", CATALOG["dgx-1"]["dgx_platform"])
    assert len(hw["gpus"]) == 8 and {g["model"] for g in hw["gpus"]} == {"Tesla V100-SXM2-32GB"}
    assert [g["bus_id"] for g in hw["gpus"]][:2] == ["00000000:06:00.0", "00000000:07:00.0"]
    assert all(re.fullmatch(r"GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", g["uuid"])
               for g in hw["gpus"])
    assert all(re.fullmatch(r"\d{13}", g["serial"]) for g in hw["gpus"])
    assert [h["name"] for h in hw["hcas"]] == ["mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"]
    for i, hca in enumerate(hw["hcas"]):
        assert re.fullmatch(r"0x248a0703[0-9a-f]{8}", hca["node_guid"])
        (port,) = hca["ports"]
        assert port["state"] == "Active" and port["rate_gbps"] == 100 and port["netdev"] == f"ib{i}"
        assert port["port_guid"] == hca["node_guid"]
    assert hw["hcas"][1]["ports"][0]["remote"] == {"switch": "ib-sw2", "port": 1}
    assert hw["dgx_release"]["platform"] == "DGX Server for DGX-1"
    assert hw["topology"]["order"][-4:] == ["mlx5_0", "mlx5_2", "mlx5_1", "mlx5_3"]


def test_dgx2_ess_a100_shapes():
    d2 = hwgen.host_hardware("twin", "dgx02", "dgx", "dgx-2", CATALOG["dgx-2"], cables("dgx-2", 5), {})
    # every HCA the DGX-2 has: 8 compute/storage ConnectX-5 plus the dual-port Ethernet card mlx5_4/5
    assert len(d2["gpus"]) == 16 and [h["name"] for h in d2["hcas"]] == [f"mlx5_{i}" for i in range(10)]
    eth = [h for h in d2["hcas"] if h["name"] in ("mlx5_4", "mlx5_5")]
    assert {(p["link_layer"], p["state"], p["phys_state"], p["remote"]) for h in eth for p in h["ports"]} == \
        {("Ethernet", "Down", "Disabled", None)}
    assert d2["driver_version"] == "418.67" and d2["dgx_release"]["ota"][-1]["version"] == "4.1.0"
    assert {v for row in d2["topology"]["matrix"][:16] for v in row[:16]} == {"X", "NV6"}
    ess = hwgen.host_hardware("twin", "ess01a", "ess", "ess-3000", CATALOG["ess-3000"], cables("ess-3000", 20), {})
    assert ess["gpus"] == [] and ess["dgx_release"] is None and ess["topology"] is None
    assert [(h["name"], [p["num"] for p in h["ports"]]) for h in ess["hcas"]] == [("mlx5_0", [1, 2]),
                                                                                ("mlx5_1", [1, 2])]
    p1, p2 = ess["hcas"][0]["ports"]
    assert int(p2["port_guid"], 16) == int(p1["port_guid"], 16) + 1
    a100 = hwgen.host_hardware("twin", "dgx03", "dgx", "dgx-a100", CATALOG["dgx-a100"],
                               [{"port": "mlx5_4/1", "switch": "ib-sw1", "switch_port": 30}], {"mlx5_4/1": "ibp97s0f0"})
    assert a100["dgx_release"]["platform"] == "DGX Server for DGX A100"
    # all 12 CAs in alphasort order, as ibstat lists them
    assert [h["name"] for h in a100["hcas"]] == sorted(f"mlx5_{i}" for i in range(12))
    by = {h["name"]: h for h in a100["hcas"]}
    mlx5_4 = by["mlx5_4"]
    assert mlx5_4["ca_type"] == "MT4123" and mlx5_4["ports"][0]["netdev"] == "ibp97s0f0"
    assert mlx5_4["pci_addr"] == "0000:61:00.0" and by["mlx5_5"]["pci_addr"] == "0000:61:00.1"
    # mlx5_10 is a storage port not cabled here: present, Down/Polling; compute ports too
    (p10,) = by["mlx5_10"]["ports"]
    assert (p10["state"], p10["phys_state"], p10["remote"]) == ("Down", "Polling", None)
    assert by["mlx5_0"]["ports"][0]["netdev"] == "ibp12s0" and by["mlx5_0"]["ports"][0]["state"] == "Down"
    # port 2 of each storage card is Ethernet
    assert by["mlx5_5"]["ports"][0]["link_layer"] == "Ethernet"
    assert a100["topology"]["matrix"][0][1] == "NV12"


def test_fabric_lids_links_and_rate_training():
    hws = [dgx1("dgx01"), hwgen.host_hardware("twin", "ess01a", "ess", "ess-3000", CATALOG["ess-3000"],
                                              cables("ess-3000", 20), {})]
    hws.append(hwgen.host_hardware("twin", "dgx03", "dgx", "dgx-a100", CATALOG["dgx-a100"],
                                   [{"port": "mlx5_4/1", "switch": "ib-sw1", "switch_port": 30}], {}))
    fab = hwgen.fabric("twin", hws, SWITCHES)
    assert [s["lid"] for s in fab["switches"]] == [1, 2] and fab["sm_lid"] == 1
    assert fab["switches"][0]["description"] == "MF0;ib-sw1:MSB7800/U1"
    lids = [lk["lid"] for lk in fab["links"]]
    assert len(lids) == len(set(lids)) and min(lids) == 3
    # the hardware files got the SM's LIDs
    assert hws[0]["hcas"][0]["ports"][0]["lid"] in lids
    by = {(lk["host"], lk["ca"], lk["port"]): lk for lk in fab["links"]}
    assert by[("ess01a", "mlx5_1", 2)]["switch"] == "ib-sw2" and by[("ess01a", "mlx5_1", 2)]["switch_port"] == 21
    # HDR HCA on an EDR switch trains to 100
    assert by[("dgx03", "mlx5_4", 1)]["rate_gbps"] == 100
    assert by[("dgx03", "mlx5_10", 1)]["switch"] is None
    assert fab == hwgen.fabric("twin", hws, SWITCHES)


def test_fabric_rejects_bad_cabling():
    a, b = dgx1("dgx01"), dgx1("dgx02")
    with pytest.raises(ValueError, match="cabled twice"):
        hwgen.fabric("twin", [a, b], SWITCHES)
    with pytest.raises(ValueError, match="unknown switch"):
        hwgen.fabric("twin", [dgx1()], SWITCHES[:1])
    bad = hwgen.host_hardware("twin", "x", "dgx", "dgx-1", CATALOG["dgx-1"],
                              [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 37}], {})
    with pytest.raises(ValueError, match="has no port 37"):
        hwgen.fabric("twin", [bad], SWITCHES)


def test_fault_helpers_edit_both_files():
    hw = dgx1()
    fab = hwgen.fabric("twin", [hw], SWITCHES)
    hwgen.set_port_state(hw, fab, "mlx5_2", 1, "Down")
    assert hw["hcas"][2]["ports"][0]["state"] == "Down" and hw["hcas"][2]["ports"][0]["phys_state"] == "Polling"
    link = [lk for lk in fab["links"] if lk["ca"] == "mlx5_2"][0]
    assert link["state"] == "Down"
    hwgen.recable(hw, fab, "mlx5_3", 1, "ib-sw1", 9)
    assert hw["hcas"][3]["ports"][0]["remote"] == {"switch": "ib-sw1", "port": 9}
    assert [lk for lk in fab["links"] if lk["ca"] == "mlx5_3"][0]["switch_port"] == 9
    hwgen.set_gpu_present(hw, 5, False)
    assert hw["gpus"][5]["present"] is False
    with pytest.raises(KeyError):
        hwgen.set_gpu_present(hw, 8, False)
