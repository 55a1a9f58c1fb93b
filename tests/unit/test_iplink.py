"""`ip -j addr show dev IFACE` parsed and compared with the plan (module_utils/iplink.py) and the
read-only module deploy_pod.pod.ip_addr_check that the infiniband and mgmt_network roles use
instead of from_json/selectattr in Jinja."""

from __future__ import annotations

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.iplink import compare_link, link_state, parse_ip_addr
from ansible_collections.deploy_pod.pod.plugins.modules import ip_addr_check

from tests.modkit import FIXTURES, run_module, tool_installer


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:"), name
    return text.split("\n", 1)[1]


def test_real_ethernet_output():
    [eth] = parse_ip_addr(fixture("ip_j_addr.1.txt"))
    state = link_state(eth)
    assert state == {"exists": True, "ifname": "eth0", "link_type": "ether", "mtu": 1400, "operstate": "UP",
                     "addresses": ["192.0.2.2/24"], "addresses6": ["fd00::2/64", "fe80::fc:ff:fe00:1/64"]}
    assert compare_link(state, "192.0.2.2/24", 1400)["in_sync"]


def test_ipoib_output_every_ipv4_address_counts():
    [ib] = parse_ip_addr(fixture("ip_j_addr.2.txt"))
    state = link_state(ib)
    assert state["link_type"] == "infiniband" and state["mtu"] == 2044
    assert state["addresses"] == ["10.78.0.11/16", "192.168.50.3/24"]
    assert compare_link(state, "10.78.0.11/16", 2044) == {
        "has_ip": True, "address_ok": True, "mtu_ok": True, "in_sync": True, "differences": []}
    # the secondary address is on the link as well
    assert compare_link(state, "192.168.50.3/24")["in_sync"]


@pytest.mark.parametrize("address, mtu, has_ip, address_ok, mtu_ok, diffs", [
    ("10.78.0.11/24", None, True, False, True,
     ["ibp12s0 has 10.78.0.11/16, 192.168.50.3/24, the plan says 10.78.0.11/24"]),
    ("10.78.0.12/16", None, False, False, True,
     ["ibp12s0 has 10.78.0.11/16, 192.168.50.3/24, the plan says 10.78.0.12/16"]),
    ("10.78.0.11/16", 65520, True, True, False, ["ibp12s0 has MTU 2044, the plan says 65520"]),
    ("10.78.0.11", None, True, True, True, []),  # no prefix: the address alone
    (None, None, True, True, True, []),
    ("fe80::e42:a103:b:ccd6/64", None, True, True, True, []),  # an IPv6 plan compares with IPv6
])
def test_differences(address, mtu, has_ip, address_ok, mtu_ok, diffs):
    verdict = compare_link(link_state(parse_ip_addr(fixture("ip_j_addr.2.txt"))[0]), address, mtu)
    assert (verdict["has_ip"], verdict["address_ok"], verdict["mtu_ok"]) == (has_ip, address_ok, mtu_ok)
    assert verdict["in_sync"] == (has_ip and address_ok and mtu_ok)
    assert verdict["differences"] == diffs


def test_missing_interface_and_odd_output():
    state = link_state(None)
    assert state["exists"] is False
    verdict = compare_link(state, "10.78.0.11/16", 65520)
    assert verdict == {"has_ip": False, "address_ok": False, "mtu_ok": False, "in_sync": False,
                       "differences": ["the interface does not exist"]}
    assert parse_ip_addr("") == [] and parse_ip_addr("[]") == [] and parse_ip_addr("[{}]") == []
    with pytest.raises(ValueError):
        parse_ip_addr('{"ifname": "ib0"}')
    # an interface without addresses (the twin's ib0 before the role ran)
    bare = '[{"ifindex":9,"ifname":"ib0","mtu":1500,"operstate":"UP","link_type":"ether","addr_info":[]}]'
    assert compare_link(link_state(parse_ip_addr(bare)[0]), "10.78.0.11/16", 1500)["differences"] == [
        "ib0 has no IPv4 address, the plan says 10.78.0.11/16"]


@pytest.fixture
def ip_tool(tmp_path, monkeypatch):
    install = tool_installer(tmp_path, monkeypatch)
    text = fixture("ip_j_addr.2.txt").strip()
    assert "'" not in text

    def put(missing: bool = False):
        body = ('echo "Device \\"$5\\" does not exist." >&2; exit 1' if missing
                else f'[ "$*" = "-j addr show dev ibp12s0" ] || exit 2; printf "%s\\n" \'{text}\'')
        install(fakes={"ip": body})

    return put


def test_module_reads_and_compares(ip_tool, capsys, monkeypatch):
    ip_tool()
    rc, res = run_module(ip_addr_check.main, {"interface": "ibp12s0", "address": "10.78.0.11/16", "mtu": 4092},
                         capsys, monkeypatch)
    assert rc == 0 and res["changed"] is False
    assert res["exists"] and res["link_type"] == "infiniband" and res["mtu"] == 2044 and res["error"] == ""
    assert res["address_ok"] and not res["mtu_ok"] and not res["in_sync"]
    assert res["differences"] == ["ibp12s0 has MTU 2044, the plan says 4092"]


def test_module_missing_interface_is_no_failure(ip_tool, capsys, monkeypatch):
    ip_tool(missing=True)
    args = {"interface": "ib1", "address": "10.78.0.11/16", "_ansible_check_mode": True}
    rc, res = run_module(ip_addr_check.main, args, capsys, monkeypatch)
    assert rc == 0 and res["exists"] is False and res["in_sync"] is False
    assert res["error"] == 'Device "ib1" does not exist.'
