"""InfiniBand parsers (plugins/module_utils/ib_parsers.py) against the real fixtures."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location("ib_parsers", ROOT / "plugins" / "module_utils" / "ib_parsers.py")
ib = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ib)


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:"), f"{name} lost its source line"
    return text


def test_ibstat_fixture_eight_cas_and_the_ibpanic_line():
    out = ib.parse_ibstat(fixture("ibstat.1.txt"))
    assert list(out["cas"]) == [f"mlx5_{i}" for i in range(8)]
    assert "mlx5_8" in out["panic"] and "No such file or directory" in out["panic"]
    ca = out["cas"]["mlx5_0"]
    assert ca["ca_type"] == "MT4124"
    assert ca["number_of_ports"] == 1
    assert ca["firmware_version"] == "20.41.1000"
    assert ca["node_guid"] == "0x00155dfffe3411eb"
    assert ca["system_image_guid"] == "0xb83fd203006e2704"
    port = ca["ports"][1]
    assert port == {
        "num": 1, "state": "Active", "physical_state": "LinkUp", "rate": "200", "rate_gbps": 200,
        "base_lid": 13247, "lmc": 0, "sm_lid": 1, "capability_mask": "0xa651ec48",
        "port_guid": "0x00155dfffd3411eb", "link_layer": "InfiniBand",
    }
    assert all(c["ports"][1]["state"] == "Active" for c in out["cas"].values())


def test_ibstat_tabs_parse_like_spaces():
    text = fixture("ibstat.1.txt")
    tabbed = "\n".join(line.replace(" " * 16, "\t\t").replace(" " * 8, "\t") for line in text.splitlines())
    assert ib.parse_ibstat(tabbed) == ib.parse_ibstat(text)


def test_ibstat_single_port_and_down_port():
    text = "Port 1:\nState: Down\nPhysical state: Polling\nRate: 10\nBase lid: 0\nLMC: 0\nSM lid: 0\n" \
           "Capability mask: 0x2651e848\nPort GUID: 0x248a070300928186\nLink layer: InfiniBand\n"
    out = ib.parse_ibstat(text)
    assert out["cas"] == {}
    assert out["ports"][1]["state"] == "Down" and out["ports"][1]["physical_state"] == "Polling"
    assert out["ports"][1]["rate_gbps"] == 10


def test_ibstat_fractional_rate():
    out = ib.parse_ibstat("CA 'mlx4_0'\n\tPort 1:\n\t\tRate: 2.5\n")
    assert out["cas"]["mlx4_0"]["ports"][1]["rate_gbps"] == 2.5


@pytest.mark.parametrize("text,expected", [
    ("100", {"gbps": 100.0, "width": None, "speed": None}),
    ("2.5", {"gbps": 2.5, "width": None, "speed": None}),
    ("40 Gb/sec (4X FDR10)", {"gbps": 40.0, "width": "4X", "speed": "FDR10"}),
    ("200 Gb/sec (4X HDR)", {"gbps": 200.0, "width": "4X", "speed": "HDR"}),
    ("10 Gb/sec (4X)", {"gbps": 10.0, "width": "4X", "speed": None}),
    ("fast", {"gbps": None, "width": None, "speed": None}),
])
def test_parse_rate(text, expected):
    assert ib.parse_rate(text) == expected


def test_ibstatus_fixture():
    ports = ib.parse_ibstatus(fixture("ibstatus.1.txt"))
    assert [(p["ca"], p["port"]) for p in ports] == [(f"mlx5_{i}", 1) for i in range(9)]
    first = ports[0]
    assert first["default_gid"] == "fe80:0000:0000:0000:0015:5dff:fd34:11eb"
    assert first["base_lid"] == 13247  # 0x33bf, the Base lid ibstat printed for mlx5_0
    assert first["sm_lid"] == 1
    assert (first["state"], first["state_num"]) == ("ACTIVE", 4)
    assert (first["phys_state"], first["phys_state_num"]) == ("LinkUp", 5)
    assert (first["rate_gbps"], first["width"], first["speed"]) == (200.0, "4X", "HDR")
    assert first["link_layer"] == "InfiniBand"
    last = ports[-1]
    assert last["default_gid"] == "unknown" and last["base_lid"] == 0
    assert (last["rate_gbps"], last["speed"], last["link_layer"]) == (40.0, "QDR", "Ethernet")


def test_ibstatus_with_tabs():
    text = "Infiniband device 'mlx5_0' port 1 status:\n\tdefault gid:\t fe80::1\n\tbase lid:\t 0x0\n" \
           "\tsm lid:\t\t 0x0\n\tstate:\t\t 1: DOWN\n\tphys state:\t 2: Polling\n" \
           "\trate:\t\t 10 Gb/sec (4X SDR)\n\tlink_layer:\t InfiniBand\n\n"
    (p,) = ib.parse_ibstatus(text)
    assert (p["state"], p["state_num"], p["phys_state"], p["rate_gbps"]) == ("DOWN", 1, "Polling", 10.0)


def test_ibv_devinfo_fixture():
    devs = ib.parse_ibv_devinfo(fixture("ibv_devinfo.1.txt"))
    assert list(devs) == ["mlx5_0", "mlx5_1"]
    d = devs["mlx5_0"]
    assert d["transport"] == "InfiniBand (0)"
    assert d["fw_ver"] == "20.31.1014"
    assert d["node_guid"] == "0015:5dff:fe33:ff18"
    assert d["vendor_id"] == "0x02c9" and d["vendor_part_id"] == 4124
    assert d["board_id"] == "MT_0000000223" and d["phys_port_cnt"] == 1
    p = d["ports"][1]
    assert (p["state"], p["state_num"]) == ("PORT_ACTIVE", 4)
    assert p["max_mtu"] == 4096 and p["active_mtu"] == 4096
    assert p["sm_lid"] == 228 and p["port_lid"] == 383 and p["port_lmc"] == 0
    assert p["link_layer"] == "InfiniBand"
    assert devs["mlx5_1"]["ports"][1]["active_mtu"] == 1024
    assert devs["mlx5_1"]["ports"][1]["link_layer"] == "Ethernet"


def test_ibv_devinfo_verbose_gids():
    text = "hca_id:\tmlx5_0\n\tphys_port_cnt:\t\t\t1\n\t\tport:\t1\n\t\t\tstate:\t\t\tPORT_DOWN (1)\n" \
           "\t\t\tphys_state:\t\tPOLLING (2)\n\t\t\tGID[  0]:\t\tfe80:0000:0000:0000:248a:0703:0092:8186\n"
    p = ib.parse_ibv_devinfo(text)["mlx5_0"]["ports"][1]
    assert (p["state_num"], p["phys_state"], p["phys_state_num"]) == (1, "POLLING", 2)
    assert p["gids"] == ["fe80:0000:0000:0000:248a:0703:0092:8186"]


def test_ibdev2netdev_plain_and_verbose():
    text = "mlx5_0 port 1 ==> ib0 (Up)\nmlx5_1 port 1 ==> ib1 (Down)\n" \
           "0000:05:00.0 mlx5_2 (MT4115 - MT_2180110032) ConnectX-4 VPI adapter fw 12.28.2006 port 1 (ACTIVE)" \
           " ==> ib2 (Up)\n"
    out = ib.parse_ibdev2netdev(text)
    assert [(d["ca"], d["port"], d["netdev"], d["up"]) for d in out] == [
        ("mlx5_0", 1, "ib0", True), ("mlx5_1", 1, "ib1", False), ("mlx5_2", 1, "ib2", True)]
    assert out[2]["pci"] == "0000:05:00.0" and out[2]["fw"] == "12.28.2006"
    assert out[2]["port_state"] == "ACTIVE" and out[2]["description"] == "ConnectX-4 VPI adapter"


def test_iblinkinfo_fixture():
    ports = ib.parse_iblinkinfo(fixture("iblinkinfo.1.txt"))
    assert len(ports) == 2 + 18
    n02 = ports[0]
    assert (n02["node_type"], n02["node_name"], n02["port_guid"]) == ("CA", "n02 HCA-1", "0xec0d9a03003d62be")
    assert (n02["lid"], n02["port"], n02["width"], n02["speed"]) == (4, 1, "4X", "25.78125 Gbps")
    assert (n02["state"], n02["phys_state"]) == ("Active", "LinkUp")
    assert n02["remote"] == {"lid": 2, "port": 17, "name": "MF0;SB7700:MSB7700/U1", "guid": None,
                             "switch_name": "SB7700"}
    switch = [p for p in ports if p["node_type"] == "Switch"]
    assert len(switch) == 18 and {p["node_guid"] for p in switch} == {"0x506b4b0300820910"}
    assert switch[0]["node_name"] == "MF0;SB7700:MSB7700/U1"
    down = switch[0]
    assert (down["port"], down["state"], down["phys_state"], down["remote"]) == (1, "Down", "Polling", None)
    assert down["width"] is None and down["speed"] is None
    p17 = switch[16]
    assert p17["remote"]["name"] == "n02 HCA-1" and p17["remote"]["lid"] == 4 and p17["remote"]["port"] == 1


def test_iblinkinfo_line_mode_and_fdr10_speed():
    line = '0x248a070300928186 "                  dgx01 mlx5_0"      3    1[  ] ' \
           '==( 4X   10.0 Gbps (FDR10) Active/  LinkUp)==>  0x7cfe900300a5a2c0      1    7[  ] ' \
           '"MF0;ib-sw1:MSB7800/U1" ( )'
    (p,) = ib.parse_iblinkinfo(line)
    assert p["node_name"] == "dgx01 mlx5_0" and p["port_guid"] == "0x248a070300928186"
    assert p["speed"] == "10.0 Gbps (FDR10)" and p["state"] == "Active"
    assert p["remote"]["guid"] == "0x7cfe900300a5a2c0" and p["remote"]["switch_name"] == "ib-sw1"
    assert p["remote"]["port"] == 7


def test_switch_name():
    assert ib.switch_name("MF0;ib-sw2:MSB7800/U1") == "ib-sw2"
    assert ib.switch_name("Quantum Mellanox Technologies") == "Quantum Mellanox Technologies"


def test_ibnetdiscover_ports_fixture():
    out = ib.parse_ibnetdiscover_ports(fixture("ibnetdiscover_ports.1.txt"))
    assert len(out) == 9
    first = out[0]
    assert (first["type"], first["lid"], first["port"], first["guid"]) == ("CA", 134, 1, "0x7cfe9003003b4bde")
    assert (first["width"], first["speed"], first["name"]) == ("4x", "EDR", "o0001 HCA-1")
    assert first["remote"] == {"type": "SW", "lid": 1719, "port": 10, "guid": "0x7cfe9003009ce5b0",
                               "name": "ib-i1l1s01"}
    unknown = out[7]
    assert (unknown["speed"], unknown["remote"], unknown["name"]) == ("???", None, "ib-i4l1s01")
    assert out[8]["speed"] == "SDR" and out[8]["remote"] is None
