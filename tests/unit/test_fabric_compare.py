"""plugins/module_utils/fabric.py: discovered links from the real iblinkinfo / ibnetdiscover
fixtures, and the comparison with the planned cables, sentence by sentence."""

from __future__ import annotations

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.fabric import (
    compare,
    discovered_links,
    entries_from_ibnetdiscover,
    link_rate_gbps,
    normalize_expected,
    split_port,
    switch_name,
    uncovered_ports,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.ib_parsers import (
    parse_iblinkinfo,
    parse_ibnetdiscover_ports,
)

from tests.modkit import FIXTURES


def port(name: str, guid: str | None = None, state: str = "Active", rate=100) -> dict:
    ca, num = split_port(name)
    return {"name": name, "ca": ca, "num": num, "state": state,
            "physical_state": "LinkUp" if state == "Active" else "Polling",
            "rate_gbps": rate if state == "Active" else 10, "port_guid": guid, "lid": 3, "netdev": None}


def linkinfo() -> list[dict]:
    return parse_iblinkinfo((FIXTURES / "iblinkinfo.1.txt").read_text())


# ---------------------------------------------------------------- helpers

def test_split_port_and_switch_name():
    assert split_port("mlx5_2/1") == ("mlx5_2", 1)
    with pytest.raises(ValueError, match="<ca>/<port>"):
        split_port("mlx5_2")
    assert switch_name("MF0;ib-sw1:MSB7800/U1") == "ib-sw1"
    assert switch_name("SwitchIB Mellanox Technologies") == "SwitchIB Mellanox Technologies"


@pytest.mark.parametrize(("width", "speed", "gbps"), [
    ("4X", "25.78125 Gbps", 100), ("4X", "14.0625 Gbps", 56), ("4X", "10.0 Gbps", 40),
    ("4X", "10.3125 Gbps", 40), ("4X", "2.5 Gbps", 10), ("4X", "53.125 Gbps", 200), ("4X", "106.25 Gbps", 400),
    ("1X", "25.78125 Gbps", 25), ("4x", "EDR", 100), ("4x", "FDR", 56), ("4x", "???", None), (None, None, None),
])
def test_link_rate_from_width_and_lane_speed(width, speed, gbps):
    assert link_rate_gbps(width, speed) == gbps


def test_normalize_expected_accepts_the_plan_and_rejects_bad_entries():
    got = normalize_expected([{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": "5", "rate_gbps": 100.0,
                               "netdev": "ib0"}, {"port": "mlx5_1/1"}])
    assert [c.as_dict() for c in got] == [
        {"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 5, "netdev": "ib0", "rate_gbps": 100},
        {"port": "mlx5_1/1", "switch": None, "switch_port": None, "netdev": None, "rate_gbps": None},
    ]
    assert (got[0].ca, got[0].num) == ("mlx5_0", 1)
    with pytest.raises(ValueError, match=r"expected\[0\]: needs at least 'port'"):
        normalize_expected([{"switch": "ib-sw1"}])
    with pytest.raises(ValueError, match="give both switch and switch_port"):
        normalize_expected([{"port": "mlx5_0/1", "switch": "ib-sw1"}])
    with pytest.raises(ValueError, match="must be numbers"):
        normalize_expected([{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": "seven"}])


# ---------------------------------------------------------------- discovery (real fixtures)

def test_real_iblinkinfo_port_found_by_port_guid():
    links = discovered_links("mgt", [port("mlx5_0/1", "0x248A070300928186")], linkinfo())
    link = links["mlx5_0/1"]
    assert link["matched_by"] == "port_guid"
    assert (link["switch"], link["switch_port"]) == ("SB7700", 36)  # the hostname in 'MF0;SB7700:MSB7700/U1'
    assert link["switch_guid"] == "0x506b4b0300820910"  # by the switch's LID
    assert link["remote_type"] == "Switch"
    assert link["seen_by"] == ["ibstat", "discovery"]


def test_real_iblinkinfo_port_found_by_node_description_when_the_guid_differs():
    links = discovered_links("mgt", [port("mlx5_0/1", "0x1111111111111111")], linkinfo())
    assert links["mlx5_0/1"]["matched_by"] == "node_description"
    assert (links["mlx5_0/1"]["switch"], links["mlx5_0/1"]["switch_port"]) == ("SB7700", 36)


def test_real_iblinkinfo_switch_side_only():
    # n01 has no CA block in this output (it ran there); the switch port facing 'n01 HCA-1' tells
    links = discovered_links("n01", [port("HCA-1/1", "0x2222222222222222")], linkinfo())
    link = links["HCA-1/1"]
    assert (link["switch"], link["switch_port"], link["matched_by"]) == ("SB7700", 18, "node_description")


def test_ports_ibstat_did_not_list_come_from_the_node_description():
    links = discovered_links("n02", [], linkinfo())
    link = links["HCA-1/1"]
    assert link["seen_by"] == ["discovery"]
    assert (link["state"], link["rate_gbps"], link["switch"], link["switch_port"]) == ("Active", 100, "SB7700", 17)
    assert link["port_guid"] == "0xec0d9a03003d62be"


def test_switch_guids_name_unmanaged_switches():
    links = discovered_links("mgt", [port("mlx5_0/1", "0x248a070300928186")], linkinfo(),
                             switch_guids={"ib-leaf1": "0x506B4B0300820910"})
    assert links["mlx5_0/1"]["switch"] == "ib-leaf1"


def test_real_ibnetdiscover_ports_as_entries():
    text = (FIXTURES / "ibnetdiscover_ports.1.txt").read_text()
    entries = entries_from_ibnetdiscover(parse_ibnetdiscover_ports(text))
    links = discovered_links("o0001", [port("HCA-1/1", "0x7cfe9003003b4bde")], entries)
    link = links["HCA-1/1"]
    assert (link["switch"], link["switch_port"], link["switch_guid"]) == ("ib-i1l1s01", 10, "0x7cfe9003009ce5b0")
    assert link["matched_by"] == "port_guid"
    by_desc = discovered_links("p0001", [port("HCA-1/1")], entries)["HCA-1/1"]
    assert (by_desc["switch"], by_desc["switch_port"]) == ("ib-i4l1s01", 35)


def test_uncovered_ports_are_active_ports_missing_from_the_discovery():
    ports = [port("mlx5_0/1", "0x248a070300928186"), port("mlx5_1/1", "0x3333333333333333"),
             port("mlx5_2/1", "0x4444444444444444", state="Down")]
    assert [p["name"] for p in uncovered_ports(ports, linkinfo())] == ["mlx5_1/1"]


# ---------------------------------------------------------------- comparison

def _links(**over) -> dict:
    base = {
        "mlx5_0/1": {"state": "Active", "rate_gbps": 100, "switch": "ib-sw1", "switch_port": 5},
        "mlx5_1/1": {"state": "Active", "rate_gbps": 100, "switch": "ib-sw2", "switch_port": 5},
        "mlx5_2/1": {"state": "Active", "rate_gbps": 100, "switch": "ib-sw1", "switch_port": 7},
    }
    for name, change in over.items():
        base[name.replace("_p", "/")] = {**base.get(name.replace("_p", "/"), {}), **change}
    return base


PLAN = [
    {"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 5, "rate_gbps": 100},
    {"port": "mlx5_1/1", "switch": "ib-sw2", "switch_port": 5, "rate_gbps": 100},
    {"port": "mlx5_2/1", "switch": "ib-sw1", "switch_port": 7, "rate_gbps": 100},
]


def test_clean_plan_has_no_problems():
    assert compare("dgx03", PLAN, _links()) == []


def test_each_problem_sentence_exactly():
    plan = [*PLAN[:2], {"port": "mlx5_2/1", "switch": "ib-sw2", "switch_port": 7, "rate_gbps": 100},
            {"port": "mlx5_3/1", "switch": "ib-sw2", "switch_port": 8, "rate_gbps": 100}]
    links = _links(mlx5_0_p1={"rate_gbps": 56}, mlx5_1_p1={"state": "Down", "rate_gbps": 10, "switch": None})
    assert compare("dgx03", plan, links) == [
        "dgx03 mlx5_0/1: rate 56 Gb/s is below the planned 100 Gb/s",
        "dgx03 mlx5_1/1: link is Down (expected Active at 100 Gb/s)",
        "dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7",
        "dgx03 mlx5_3/1: port not found on this host",
    ]


def test_other_states_and_missing_far_end():
    links = _links(mlx5_0_p1={"state": "Initializing"}, mlx5_1_p1={"switch": None, "switch_port": None})
    assert compare("dgx03", PLAN[:2], links) == [
        "dgx03 mlx5_0/1: link is Initializing (expected Active at 100 Gb/s)",
        "dgx03 mlx5_1/1: expected ib-sw2 port 5, found no link in the fabric discovery (the port is Active)",
    ]


def test_without_rate_or_switch_only_the_state_counts():
    links = _links(mlx5_0_p1={"rate_gbps": 40, "switch": "elsewhere", "switch_port": 1},
                   mlx5_1_p1={"state": "Down"})
    assert compare("ess01a", [{"port": "mlx5_0/1"}, {"port": "mlx5_1/1"}], links) == [
        "ess01a mlx5_1/1: link is Down (expected Active)"]


def test_rate_above_plan_and_fractional_rates():
    links = _links(mlx5_0_p1={"rate_gbps": 200}, mlx5_1_p1={"rate_gbps": 2.5})
    assert compare("dgx03", PLAN[:2], links) == ["dgx03 mlx5_1/1: rate 2.5 Gb/s is below the planned 100 Gb/s"]


def test_one_problem_per_port_miscabled_wins_over_rate():
    links = _links(mlx5_0_p1={"rate_gbps": 56, "switch": "ib-sw2", "switch_port": 9})
    assert compare("dgx03", PLAN[:1], links) == ["dgx03 mlx5_0/1: expected ib-sw1 port 5, found ib-sw2 port 9"]
