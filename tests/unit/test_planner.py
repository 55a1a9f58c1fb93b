"""The planner derives cabling, addresses, quorum, failure groups, node classes, verbsPorts; overrides win."""

from __future__ import annotations

from collections import Counter

import pytest

from deploy_pod.inventory import load_pod
from deploy_pod.planner import make_plan, natural_key
from tests.conftest import EXAMPLES
from tests.helpers import hosts_of


@pytest.fixture
def plan_of(write_inv):
    def run(data):
        return make_plan(load_pod(write_inv(data)).pod)

    return run


def test_cables_spread_over_switches(inv, plan_of):
    plan = plan_of(inv)
    for h in plan.hosts.values():
        per_switch = Counter(c.switch for c in h.cables)
        assert per_switch == {"ib-sw1": 2, "ib-sw2": 2}, h.name
    ports = [(c.switch, c.switch_port) for h in plan.hosts.values() for c in h.cables]
    assert len(ports) == len(set(ports)) == 16


def test_declared_cables_kept_and_avoided(inv, plan_of):
    declared = [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 1, "netdev": "ibp1"},
                {"port": "mlx5_1/1", "switch": "ib-sw2", "switch_port": 1},
                {"port": "mlx5_2/1", "switch": "ib-sw1", "switch_port": 2},
                {"port": "mlx5_3/1", "switch": "ib-sw2", "switch_port": 2}]
    hosts_of(inv, "dgx")["dgx02"]["ib_cables"] = declared
    plan = plan_of(inv)
    dgx02 = plan.hosts["dgx02"]
    assert [(c.switch, c.switch_port) for c in dgx02.cables] == [("ib-sw1", 1), ("ib-sw2", 1), ("ib-sw1", 2),
                                                                  ("ib-sw2", 2)]
    assert dgx02.cables[0].netdev == "ibp1" and dgx02.ipoib_interface == "ibp1"
    assert "ib_cables" not in dgx02.derived
    others = {(c.switch, c.switch_port) for n, h in plan.hosts.items() if n != "dgx02" for c in h.cables}
    assert not others & {(c.switch, c.switch_port) for c in dgx02.cables}


def test_ipoib_follows_mgmt_host_number(inv, plan_of):
    plan = plan_of(inv)
    assert plan.hosts["dgx01"].ipoib_address == "10.78.0.11"
    assert plan.hosts["ess01b"].ipoib_address == "10.78.0.22"


def test_ipoib_collision_falls_back_to_free_address(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["ipoib_address"] = "10.78.0.11"  # takes dgx01's natural address
    plan = plan_of(inv)
    assert plan.hosts["dgx02"].ipoib_address == "10.78.0.11"
    assert plan.hosts["dgx01"].ipoib_address not in ("10.78.0.11", None)
    addrs = [h.ipoib_address for h in plan.hosts.values()]
    assert len(addrs) == len(set(addrs))


def test_quorum_single_unit(inv, plan_of):
    plan = plan_of(inv)
    assert plan.quorum == ["ess01a", "ess01b", "dgx01"]
    assert plan.managers == ["ess01a", "ess01b"]


def test_quorum_two_units_survives_losing_a_unit(inv, plan_of):
    inv["all"]["children"]["ess"]["children"]["ess02"] = {"hosts": {
        "ess02a": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.23"},
        "ess02b": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.24"}}}
    plan = plan_of(inv)
    q = plan.quorum
    assert len(q) % 2 == 1 and len(q) <= 7
    for unit in ("ess01", "ess02"):
        assert sum(plan.hosts[h].unit == unit for h in q) <= (len(q) - 1) // 2


@pytest.mark.parametrize("layout,expected", [("full-pod", 5), ("half-pod", 5), ("starter", 3), ("dgx2-pod", 5)])
def test_quorum_examples_odd_and_storage_first(layout, expected):
    plan = make_plan(load_pod(EXAMPLES / f"{layout}.yml").pod)
    q = plan.quorum
    assert len(q) == expected
    storage = [h for h in plan.hosts.values() if h.role == "ess"]
    if len(storage) >= len(q):
        assert all(plan.hosts[h].role == "ess" for h in q)


def test_quorum_override(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["quorum"] = True
    plan = plan_of(inv)
    assert plan.quorum == ["dgx02"]
    assert "quorum" not in plan.hosts["dgx02"].derived


def test_quorum_opt_out(inv, plan_of):
    hosts_of(inv, "dgx")["dgx01"]["quorum"] = False
    assert plan_of(inv).quorum == ["ess01a", "ess01b", "dgx02"]


def test_failure_groups_and_node_classes(inv, plan_of):
    inv["all"]["children"]["ess"]["children"]["ess02"] = {"hosts": {
        "ess02a": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.23"},
        "ess02b": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.24", "failure_group": 7}}}
    plan = plan_of(inv)
    assert plan.hosts["ess01a"].failure_group == plan.hosts["ess01b"].failure_group == 1
    assert plan.hosts["ess02a"].failure_group == 2 and plan.hosts["ess02b"].failure_group == 7
    assert plan.node_classes == {"nc_ess01": ["ess01a", "ess01b"], "nc_ess02": ["ess02a", "ess02b"],
                                 "dgx_clients": ["dgx01", "dgx02"]}
    assert plan.units["ess02"].node_class == "nc_ess02"


def test_verbs_ports_carry_rail_when_switches_are_separate(inv, plan_of):
    plan = plan_of(inv)
    assert plan.hosts["dgx01"].verbs_ports == ["mlx5_0/1/1", "mlx5_1/1/2", "mlx5_2/1/1", "mlx5_3/1/2"]
    inv["all"]["vars"]["pod"]["fabric"] = {"inter_switch_links": 4}
    plan = plan_of(inv)
    assert plan.hosts["dgx01"].verbs_ports == ["mlx5_0/1", "mlx5_1/1", "mlx5_2/1", "mlx5_3/1"]


def test_verbs_ports_override(inv, plan_of):
    hosts_of(inv, "dgx")["dgx01"]["verbs_ports"] = ["mlx5_0/1"]
    assert plan_of(inv).hosts["dgx01"].verbs_ports == ["mlx5_0/1"]


def test_expected_bandwidth_is_min_of_storage_and_links(inv, plan_of):
    s = plan_of(inv).sizing
    assert s.storage_gbs == 40 and s.client_link_gbs == 100  # 2 DGX-1 x 4 EDR x 12.5 GB/s
    assert s.expected_gbs == 40 and s.bottleneck == "storage"


def test_group_vars_directory_is_read(tmp_path, inv):
    """The inventory goes through Ansible's loader: group_vars/ beside it applies."""
    import yaml

    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "dgx.yml").write_text(yaml.safe_dump({"quorum": False}))
    pod_file = tmp_path / "pod.yml"
    pod_file.write_text(yaml.safe_dump(inv))
    plan = make_plan(load_pod(pod_file).pod)
    assert plan.quorum == ["ess01a"]  # only the ESS canisters remain candidates: 2 -> 1 (odd)


def test_natural_order():
    assert sorted(["dgx10", "dgx2", "dgx1"], key=natural_key) == ["dgx1", "dgx2", "dgx10"]


def test_link_rate_is_the_slower_end(inv, plan_of):
    plan = plan_of(inv)
    assert {c.rate_gbps for h in plan.hosts.values() for c in h.cables} == {100}


def test_expected_hardware_from_catalog(inv, plan_of):
    plan = plan_of(inv)
    assert plan.hosts["dgx01"].expected == {"gpu_count": 8, "gpu_model": "Tesla V100-SXM2-32GB",
                                            "dgx_platform": "DGX Server for DGX-1"}
    assert plan.hosts["ess01a"].expected == {}


def test_etc_hosts_has_mgmt_and_ipoib_names(inv, plan_of):
    entries = plan_of(inv).etc_hosts
    assert {"address": "10.77.0.11", "names": ["dgx01"]} in entries
    assert {"address": "10.78.0.11", "names": ["dgx01-ib"]} in entries
    assert len(entries) == 8


def test_opensm_only_when_asked(inv, plan_of):
    assert all(h.opensm_priority is None for h in plan_of(inv).hosts.values())
    inv["all"]["vars"]["pod"]["fabric"] = {"subnet_manager": "opensm"}
    plan = plan_of(inv)
    # ESS canisters are appliances: OpenSM goes to the DGX nodes, unless a canister is made managed
    assert {n: h.opensm_priority for n, h in plan.hosts.items() if h.opensm_priority is not None} == {
        "dgx01": 15, "dgx02": 14}
    hosts_of(inv, "ess01")["ess01b"]["management"] = "managed"
    plan = plan_of(inv)
    assert {n: h.opensm_priority for n, h in plan.hosts.items() if h.opensm_priority is not None} == {
        "ess01b": 15, "dgx01": 14}


def test_management_mode_from_the_catalog_and_per_host(inv, plan_of):
    plan = plan_of(inv)
    assert {n: h.management for n, h in plan.hosts.items() if h.role in ("dgx", "ess")} == {
        "dgx01": "managed", "dgx02": "managed", "ess01a": "appliance", "ess01b": "appliance"}
    assert "management" in plan.hosts["ess01a"].derived
    hosts_of(inv, "ess01")["ess01a"]["management"] = "managed"
    plan = plan_of(inv)
    assert plan.hosts["ess01a"].management == "managed" and "management" not in plan.hosts["ess01a"].derived


def test_opensm_override(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["opensm_priority"] = 9
    plan = plan_of(inv)
    assert {n: h.opensm_priority for n, h in plan.hosts.items() if h.opensm_priority is not None} == {"dgx02": 9}


def test_network_values_published_per_host(inv, plan_of):
    """The network phase reads address/prefix and the IPoIB MTU from the plan, no arithmetic in Jinja."""
    nets = inv["all"]["vars"]["pod"]["networks"]
    mgmt_prefix = int(str(nets["mgmt"]["cidr"]).split("/")[1])
    ipoib_prefix = int(str(nets["ipoib"]["cidr"]).split("/")[1])
    d = plan_of(inv).as_dict()["hosts"]["dgx01"]
    assert d["mgmt_prefix"] == mgmt_prefix and d["ipoib_prefix"] == ipoib_prefix
    assert d["mgmt_address_cidr"] == f"{d['mgmt_address']}/{mgmt_prefix}"
    assert d["ipoib_address_cidr"] == f"10.78.0.11/{ipoib_prefix}"


@pytest.mark.parametrize("mode, mtu, expected", [("datagram", None, 4092), ("connected", None, 65520),
                                                 ("datagram", 2044, 2044), ("connected", 9000, 9000)])
def test_ipoib_mtu_defaults_to_the_largest_of_the_mode(inv, plan_of, mode, mtu, expected):
    ipoib = inv["all"]["vars"]["pod"]["networks"]["ipoib"]
    ipoib["mode"] = mode
    ipoib.pop("mtu", None)
    if mtu:
        ipoib["mtu"] = mtu
    plan = plan_of(inv)
    assert {h.ipoib_mtu for h in plan.hosts.values()} == {expected}
