"""The InfiniBand parsers, facts and cable comparison against every real sample of their command
(tests/fixtures, copies of /work/shared/fixtures, and tests/fixtures/real): a fixture a parser
cannot read fails here, it is never skipped. Then the shapes of project issue 9 one by one:
padded node descriptions, Ethernet (RoCE) ports beside IB ones, ibdev2netdev's netdev names and
operstate."""

from __future__ import annotations

import re

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.fabric import (
    compare,
    discovered_links,
    entries_from_ibnetdiscover,
    norm_desc,
    switch_name,
    uncovered_ports,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import infiniband_facts
from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import (
    parse_ibdev2netdev,
    parse_iblinkinfo,
    parse_ibnetdiscover_ports,
    parse_ibstat,
    parse_ibstatus,
    parse_ibv_devinfo,
)

from tests.modkit import FIXTURES

REAL = FIXTURES / "real"


def samples(command: str) -> list:
    found = sorted(FIXTURES.glob(f"{command}.*.txt")) + sorted(REAL.glob(f"{command}.*.txt"))
    assert found, f"no fixture for {command}"
    return found


def body(path) -> list[str]:
    """The output lines: the '# source:' line checked and dropped, blank lines dropped."""
    text = path.read_text()
    assert text.startswith("# source:"), f"{path.name} lost its source line"
    return [line for line in text.splitlines()[1:] if line.strip()]


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


# ---------------------------------------------------------------- every fixture, every parser

@pytest.mark.parametrize("path", samples("ibstat"), ids=ids(samples("ibstat")))
def test_ibstat_reads_every_fixture(path):
    lines = body(path)
    out = parse_ibstat("\n".join(lines))
    ports = [p for ca in out["cas"].values() for p in ca["ports"].values()] + list(out["ports"].values())
    assert len(out["cas"]) == sum(1 for x in lines if x.startswith("CA '"))
    assert len(ports) == sum(1 for x in lines if re.match(r"^\s*Port \d+:$", x)) > 0
    for p in ports:
        assert p["state"] and p["physical_state"] and p["link_layer"] in ("InfiniBand", "Ethernet")
        assert isinstance(p["rate_gbps"], (int, float)) and isinstance(p["base_lid"], int)


@pytest.mark.parametrize("path", samples("ibstatus"), ids=ids(samples("ibstatus")))
def test_ibstatus_reads_every_fixture(path):
    lines = body(path)
    out = parse_ibstatus("\n".join(lines))
    assert len(out) == sum(1 for x in lines if x.startswith("Infiniband device")) > 0
    assert all(p["state_num"] in (1, 2, 3, 4) and p["rate_gbps"] and p["link_layer"] for p in out)


@pytest.mark.parametrize("path", samples("ibv_devinfo"), ids=ids(samples("ibv_devinfo")))
def test_ibv_devinfo_reads_every_fixture(path):
    lines = body(path)
    out = parse_ibv_devinfo("\n".join(lines))
    assert len(out) == sum(1 for x in lines if x.startswith("hca_id:")) > 0
    for dev in out.values():
        assert len(dev["ports"]) == dev["phys_port_cnt"]
        assert all(p["link_layer"] in ("InfiniBand", "Ethernet") and "state_num" in p for p in dev["ports"].values())


@pytest.mark.parametrize("path", samples("ibdev2netdev"), ids=ids(samples("ibdev2netdev")))
def test_ibdev2netdev_reads_every_fixture(path):
    lines = body(path)
    out = parse_ibdev2netdev("\n".join(lines))
    assert len(out) == len(lines)
    for d, line in zip(out, lines, strict=True):
        assert d["netdev"] in line and d["port"] == 1 and d["state"] in ("Up", "Down")
        assert d["up"] is (d["state"] == "Up")


@pytest.mark.parametrize("path", samples("iblinkinfo"), ids=ids(samples("iblinkinfo")))
def test_iblinkinfo_reads_every_fixture(path):
    lines = body(path)
    out = parse_iblinkinfo("\n".join(lines))
    assert len(out) == sum(1 for x in lines if "==(" in x) > 0
    for e in out:
        assert e["node_type"] in ("CA", "Switch") and e["node_name"] == norm_desc(e["node_name"])
        assert e["state"] in ("Active", "Down") and e["phys_state"] in ("LinkUp", "Polling")
        assert (e["remote"] is not None) == (e["state"] == "Active")


@pytest.mark.parametrize("path", samples("ibnetdiscover_ports"), ids=ids(samples("ibnetdiscover_ports")))
def test_ibnetdiscover_ports_reads_every_fixture(path):
    lines = body(path)
    out = parse_ibnetdiscover_ports("\n".join(lines))
    assert len(out) == len(lines)
    assert all(e["name"] for e in out)
    assert len(entries_from_ibnetdiscover(out)) == len(out)


# ---------------------------------------------------------------- 1. padded node descriptions

def test_line_mode_padding_inside_the_quotes_is_not_part_of_the_name():
    out = parse_iblinkinfo("\n".join(body(REAL / "iblinkinfo.3.txt")))
    assert [e["node_name"] for e in out] == ["thing4 HCA-1", "quorum01 HCA-2", "thing3 HCA-1",
                                             "SwitchIB Mellanox Technologies"]
    # the CA is found by its node description although the name was printed right-aligned
    links = discovered_links("thing4", [{"name": "HCA-1/1", "ca": "HCA-1", "num": 1, "state": "Active",
                                         "rate_gbps": 100, "port_guid": None}], out,
                             switch_guids={"leaf1": "0xec0d9a030002b810"})
    assert (links["HCA-1/1"]["switch"], links["HCA-1/1"]["switch_port"]) == ("leaf1", 20)


# Real: unmanaged SwitchX firmware describes itself with two spaces after the dash (ibswitches
# output pasted in public notes: 'Switch : 0xe41d2d0300169560 ports 36 "SwitchX -  Mellanox
# Technologies" base port 0 lid 481 lmc 0'), and NodeDescription is a padded 64-byte field.
PADDED = ("Switch: 0xe41d2d0300169560 SwitchX -  Mellanox Technologies   :\n"
          "          481   12[  ] ==( 4X      25.78125 Gbps Active/  LinkUp)==>      17    1[  ] \"dgx01 mlx5_0\" ( )\n"
          "CA: dgx01 mlx5_0:\n"
          "      0x248a070300928186     17    1[  ] ==( 4X      25.78125 Gbps Active/  LinkUp)==>     481   12[  ] "
          "\"SwitchX -  Mellanox Technologies   \" ( )\n")


def test_padded_switch_description_matches_the_planned_name():
    entries = parse_iblinkinfo(PADDED)
    assert {e["node_name"] for e in entries} == {"SwitchX - Mellanox Technologies", "dgx01 mlx5_0"}
    port = {"name": "mlx5_0/1", "ca": "mlx5_0", "num": 1, "state": "Active", "rate_gbps": 100,
            "port_guid": "0x248a070300928186", "link_layer": "InfiniBand"}
    links = discovered_links("dgx01", [port], entries)
    assert links["mlx5_0/1"]["switch"] == "SwitchX - Mellanox Technologies"
    # the plan spells the description its own way: still the same switch, still port 12
    spellings = ("SwitchX - Mellanox Technologies", "SwitchX -  Mellanox Technologies",
                 " SwitchX - Mellanox Technologies ")
    for planned in spellings:
        assert compare("dgx01", [{"port": "mlx5_0/1", "switch": planned, "switch_port": 12, "rate_gbps": 100}],
                       links) == []
    assert compare("dgx01", [{"port": "mlx5_0/1", "switch": "SwitchX - Mellanox Technologies", "switch_port": 13}],
                   links) == ["dgx01 mlx5_0/1: expected SwitchX - Mellanox Technologies port 13, "
                              "found SwitchX - Mellanox Technologies port 12"]


def test_padded_managed_description_and_ibnetdiscover_names():
    assert switch_name("MF0;ib-sw1:MSB7800/U1   ") == "ib-sw1"
    assert switch_name("  Quantum  Mellanox Technologies ") == "Quantum Mellanox Technologies"
    line = ("CA     5  1 0x248a070300928186 4x EDR - SW     2 12 0x7cfe9003009ce5b0 "
            "( 'dgx01 mlx5_0' - 'MF0;ib-sw1:MSB7800/U1       ' )")
    links = discovered_links("dgx01", [{"name": "mlx5_0/1", "ca": "mlx5_0", "num": 1, "state": "Active",
                                        "rate_gbps": 100, "port_guid": "0x248a070300928186"}],
                             entries_from_ibnetdiscover(parse_ibnetdiscover_ports(line)))
    assert compare("dgx01", [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 12}], links) == []


def test_quantum_fabric_fixture_links_and_aggregation_node():
    entries = parse_iblinkinfo("\n".join(body(REAL / "iblinkinfo.2.txt")))
    sw = [e for e in entries if e["node_type"] == "Switch"]
    assert len(sw) == 41 and {e["node_name"] for e in sw} == {"Quantum Mellanox Technologies"}
    links = discovered_links("cu02", [{"name": "HCA-1/1", "ca": "HCA-1", "num": 1, "state": "Active",
                                       "rate_gbps": 200, "port_guid": "0xb8cef60300025b90"}], entries,
                             switch_guids={"leaf": "0x0c42a103008982a4"})
    link = links["HCA-1/1"]
    assert (link["switch"], link["switch_port"], link["matched_by"]) == ("leaf", 39, "port_guid")
    assert compare("cu02", [{"port": "HCA-1/1", "switch": "leaf", "switch_port": 39, "rate_gbps": 200}], links) == []
    agg = [e for e in entries if e["node_name"] == "Mellanox Technologies Aggregation Node"]
    assert agg[0]["remote"]["port"] == 41


# ---------------------------------------------------------------- 2. Ethernet ports

def test_ethernet_ports_are_not_ib_ports():
    parsed = parse_ibstat("\n".join(body(REAL / "ibstat.2.txt")))
    facts = infiniband_facts(parsed)
    assert facts["active_ports"] == []
    assert facts["ethernet_ports"] == ["mlx5_0/1", "mlx5_1/1"]
    assert [p["link_layer"] for p in facts["ports"]] == ["Ethernet", "Ethernet"]
    assert facts["ports"][0]["port_guid"] == "0x0e42a1fffe1dd12a" and facts["ports"][0]["lid"] == 0


def test_mixed_host_active_ports_and_fabric_check_skip_the_ethernet_ones():
    ib = parse_ibstat("\n".join(body(FIXTURES / "ibstat.1.txt")))
    eth = parse_ibstat("\n".join(body(REAL / "ibstat.2.txt")))
    mixed = {"cas": {**ib["cas"], **{f"mlx5_{8 + i}": ca for i, ca in enumerate(eth["cas"].values())}},
             "ports": {}, "panic": None}
    facts = infiniband_facts(mixed)
    assert facts["active_ports"] == [f"mlx5_{i}/1" for i in range(8)]
    assert facts["ethernet_ports"] == ["mlx5_8/1", "mlx5_9/1"]
    # no `iblinkinfo -C mlx5_8 -P 1`: an Ethernet port does not reach the IB fabric
    assert [p["name"] for p in uncovered_ports(facts["ports"], [])] == [f"mlx5_{i}/1" for i in range(8)]
    links = discovered_links("h", facts["ports"], [])
    assert links["mlx5_8/1"]["link_layer"] == "Ethernet" and links["mlx5_8/1"]["seen_by"] == ["ibstat"]
    assert compare("h", [{"port": "mlx5_8/1", "switch": "ib-sw1", "switch_port": 3}], links) == [
        "h mlx5_8/1: link layer is Ethernet, not InfiniBand (an Ethernet port is not part of the IB fabric)"]


def test_scale_verbs_filter_reads_the_facts_the_same_way():
    from ansible_collections.deploy_pod.pod.plugins.filter.scale import active_ib_ports

    facts = infiniband_facts(parse_ibstat("\n".join(body(REAL / "ibstat.2.txt"))))
    assert active_ib_ports(facts["ports"]) == facts["active_ports"] == []


def test_ibv_devinfo_ethernet_port_has_no_lid():
    dev = parse_ibv_devinfo("\n".join(body(FIXTURES / "ibv_devinfo.1.txt")))["mlx5_1"]
    assert dev["ports"][1]["link_layer"] == "Ethernet" and dev["ports"][1]["port_lid"] == 0


# ---------------------------------------------------------------- 3. ibdev2netdev

def test_ibdev2netdev_predictable_names_and_netdev_state():
    rows = parse_ibdev2netdev("\n".join(body(REAL / "ibdev2netdev.3.txt")))
    by_ca = {r["ca"]: r for r in rows}
    assert by_ca["mlx5_0"]["netdev"] == "ibp26s0" and by_ca["mlx5_0"]["up"] is False
    assert by_ca["mlx5_1"]["netdev"] == "enp27s0f0np0" and by_ca["mlx5_1"]["up"] is True
    ib = parse_ibstat("CA 'mlx5_0'\n\tPort 1:\n\t\tState: Active\n\t\tLink layer: InfiniBand\n"
                      "CA 'mlx5_1'\n\tPort 1:\n\t\tState: Active\n\t\tLink layer: Ethernet\n")
    facts = infiniband_facts(ib, rows)
    # the IB port is Active although its netdev is Down: both facts, as reported
    assert facts["active_ports"] == ["mlx5_0/1"] and facts["ports"][0]["netdev_up"] is False
    assert facts["netdevs"]["ibp26s0"] == "mlx5_0/1" and facts["netdevs"]["enp27s0f0np0"] == "mlx5_1/1"


@pytest.mark.parametrize(("line", "netdev", "state", "up", "port_state"), [
    ("mlx5_3 port 1 ==> net1 (Down)", "net1", "Down", False, None),
    ("mlx5_0 port 1 ==> ibs5f0 (Unknown)", "ibs5f0", "Unknown", False, None),
    ("0000:05:00.0 mlx5_0 (MT4115 - MT_2180110032) CX456A - ConnectX-4 QSFP28 fw 12.28.2006 port 1 (DOWN  ) "
     "==> ib0 (Down)", "ib0", "Down", False, "DOWN"),
    ("0000:1a:00.0 mlx5_0 (MT4129 - MT_0000000838) NVIDIA ConnectX-7 fw 28.39.2048 port 1 (ACTIVE) ==> ibp26s0 (Up)",
     "ibp26s0", "Up", True, "ACTIVE"),
])
def test_ibdev2netdev_any_name_any_state(line, netdev, state, up, port_state):
    (row,) = parse_ibdev2netdev(line)
    assert (row["netdev"], row["state"], row["up"], row.get("port_state")) == (netdev, state, up, port_state)
