"""Every rule: a failing case that raises it (naming host and field) and its passing twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import hosts_of, rule_ids


def only(findings, rule):
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"{rule} not raised; got {[f.text() for f in findings]}"
    return hits


def test_clean_twin_has_no_findings(inv, check):
    _, findings = check(inv)
    assert findings == []


@pytest.mark.parametrize("value", [None, ""])
def test_hw_model_missing(inv, check, value):
    hosts_of(inv, "dgx")["dgx01"]["hw_model"] = value
    [f] = only(check(inv)[1], "hw-model-missing")
    assert (f.host, f.field, f.severity) == ("dgx01", "hw_model", "error")
    assert "dgx-1" in f.message  # says what would be right


def test_hw_model_unknown_and_wrong_kind(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["hw_model"] = "dgx-9"
    hosts_of(inv, "dgx")["dgx02"]["hw_model"] = "ess-3000"
    hits = only(check(inv)[1], "hw-model-unknown")
    by_host = {f.host: f.message for f in hits}
    assert "unknown model 'dgx-9'" in by_host["dgx01"]
    assert "storage_unit" in by_host["dgx02"] and "gpu_server" in by_host["dgx02"]


def test_host_in_two_role_groups(inv, check):
    hosts_of(inv, "dgx")["ess01a"] = {"hw_model": "dgx-1", "mgmt_address": "10.77.0.99"}
    [f] = only(check(inv)[1], "host-duplicate")
    assert f.host == "ess01a" and "dgx" in f.message and "ess01" in f.message


def test_duplicate_address(inv, check):
    hosts_of(inv, "dgx")["dgx02"]["mgmt_address"] = "10.77.0.11"
    [f] = only(check(inv)[1], "address-duplicate")
    assert f.host == "dgx02" and f.field == "mgmt_address" and "dgx01" in f.message


def test_duplicate_ipoib_address(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ipoib_address"] = "10.78.0.50"
    hosts_of(inv, "dgx")["dgx02"]["ipoib_address"] = "10.78.0.50"
    [f] = only(check(inv)[1], "address-duplicate")
    assert f.field == "ipoib_address"


@pytest.mark.parametrize("addr,words", [("10.99.0.5", "outside"), ("10.77.0.0", "network or broadcast"),
                                        ("10.77.0.255", "network or broadcast")])
def test_address_outside_network(inv, check, addr, words):
    hosts_of(inv, "dgx")["dgx01"]["mgmt_address"] = addr
    [f] = only(check(inv)[1], "address-outside-network")
    assert f.host == "dgx01" and words in f.message and "10.77.0.0/24" in f.message


def test_ipoib_address_outside(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ipoib_address"] = "10.77.0.200"
    [f] = only(check(inv)[1], "address-outside-network")
    assert f.field == "ipoib_address" and "10.78.0.0/24" in f.message


def test_overlapping_networks(inv, check):
    inv["all"]["vars"]["pod"]["networks"]["ipoib"]["cidr"] = "10.77.0.0/16"
    [f] = only(check(inv)[1], "network-overlap")
    assert f.field == "pod.networks"


def test_missing_mgmt_address(inv, check):
    del hosts_of(inv, "ess01")["ess01b"]["mgmt_address"]
    [f] = only(check(inv)[1], "mgmt-address-missing")
    assert (f.host, f.field) == ("ess01b", "mgmt_address") and "10.77.0.0/24" in f.message


def test_switch_needs_no_mgmt_address(inv, check):
    assert "mgmt-address-missing" not in rule_ids(check(inv)[1])


def cables(*spec):
    return [{"port": p, "switch": s, "switch_port": n} for p, s, n in spec]


DGX1_OK = cables(("mlx5_0/1", "ib-sw1", 20), ("mlx5_1/1", "ib-sw2", 20),
                 ("mlx5_2/1", "ib-sw1", 21), ("mlx5_3/1", "ib-sw2", 21))


def test_declared_cables_pass(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = DGX1_OK
    assert check(inv)[1] == []


def test_ib_port_count(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = DGX1_OK[:3]
    [f] = only(check(inv)[1], "ib-port-count")
    assert f.host == "dgx01" and "3 cables" in f.message and "4 storage-fabric ports" in f.message


def test_ib_port_count_ess_names_unit_total(inv, check):
    hosts_of(inv, "ess01")["ess01a"]["ib_cables"] = cables(("mlx5_0/1", "ib-sw1", 30))
    [f] = only(check(inv)[1], "ib-port-count")
    assert "together: 8" in f.message


def test_cable_to_unknown_switch(inv, check):
    bad = [dict(c) for c in DGX1_OK]
    bad[2]["switch"] = "ib-sw9"
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = bad
    [f] = only(check(inv)[1], "cable-switch-unknown")
    assert f.field == "ib_cables[2].switch" and "ib-sw9" in f.message and "ib-sw1, ib-sw2" in f.message


def test_cable_beyond_switch_ports(inv, check):
    bad = [dict(c) for c in DGX1_OK]
    bad[1]["switch_port"] = 37
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = bad
    [f] = only(check(inv)[1], "cable-switch-unknown")
    assert f.field == "ib_cables[1].switch_port" and "1-36" in f.message


def test_two_cables_on_one_switch_port(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = DGX1_OK
    hosts_of(inv, "dgx")["dgx02"]["ib_cables"] = cables(
        ("mlx5_0/1", "ib-sw1", 20), ("mlx5_1/1", "ib-sw2", 22), ("mlx5_2/1", "ib-sw1", 23), ("mlx5_3/1", "ib-sw2", 23))
    [f] = only(check(inv)[1], "cable-port-conflict")
    assert f.host == "dgx02" and "ib-sw1 port 20" in f.message and "dgx01 mlx5_0/1" in f.message


def test_all_ports_on_one_switch_warns(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = cables(
        ("mlx5_0/1", "ib-sw1", 20), ("mlx5_1/1", "ib-sw1", 21), ("mlx5_2/1", "ib-sw1", 22), ("mlx5_3/1", "ib-sw1", 23))
    [f] = only(check(inv)[1], "cable-single-switch")
    assert f.severity == "warning" and f.host == "dgx01"


def test_one_switch_pod_does_not_warn(inv, check):
    del inv["all"]["children"]["ib_switches"]["hosts"]["ib-sw2"]
    assert check(inv)[1] == []


def test_port_name_unknown_warns(inv, check):
    bad = [dict(c) for c in DGX1_OK]
    bad[0]["port"] = "mlx5_7/1"
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = bad
    [f] = only(check(inv)[1], "ib-port-unknown")
    assert f.severity == "warning" and f.field == "ib_cables[0].port"


def test_fabric_capacity_names_fat_tree(inv, check):
    dgx = hosts_of(inv, "dgx")
    for i in range(3, 20):  # 19 DGX-1 x 4 + 8 ESS ports = 84 > 72
        dgx[f"dgx{i:02d}"] = {"hw_model": "dgx-1", "mgmt_address": f"10.77.0.{100 + i}"}
    [f] = only(check(inv)[1], "fabric-capacity")
    assert "84 host links" in f.message and "offer 72" in f.message and "fat tree" in f.message
    assert "leaf" in f.message and "spine" in f.message


def test_fabric_capacity_counts_inter_switch_links(inv, check):
    inv["all"]["vars"]["pod"]["fabric"] = {"inter_switch_links": 14}  # 72 - 28 = 44 > 24 used: fine
    assert "fabric-capacity" not in rule_ids(check(inv)[1])
    inv["all"]["vars"]["pod"]["fabric"] = {"inter_switch_links": 30}  # 72 - 60 = 12 < 24
    [f] = only(check(inv)[1], "fabric-capacity")
    assert "after 30 inter-switch links" in f.message


def test_ess_unit_not_two_hosts(inv, check):
    hosts_of(inv, "ess01")["ess01c"] = {"hw_model": "ess-3000", "mgmt_address": "10.77.0.23"}
    [f] = only(check(inv)[1], "ess-unit-size")
    assert "3 host(s)" in f.message and f.field == "groups.ess.ess01"


def test_ess_host_directly_in_ess(inv, check):
    inv["all"]["children"]["ess"]["hosts"] = {"essx": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.40"}}
    [f] = only(check(inv)[1], "ess-unit-size")
    assert f.host == "essx"


def test_no_storage(inv, check):
    del inv["all"]["children"]["ess"]
    [f] = only(check(inv)[1], "storage-missing")
    assert f.severity == "error"


def test_nsd_servers_count_as_storage(inv, check):
    del inv["all"]["children"]["ess"]
    inv["all"]["children"]["nsd_servers"] = {"hosts": {"nsd01": {
        "hw_model": "nvme-server", "mgmt_address": "10.77.0.31", "nsd_devices": ["/dev/nvme0n1"]}}}
    assert check(inv)[1] == []


def test_no_ib_switch(inv, check):
    del inv["all"]["children"]["ib_switches"]
    only(check(inv)[1], "ib-switch-missing")


@pytest.mark.parametrize("n", [2, 4])
def test_quorum_even(inv, check, n):
    names = ["ess01a", "ess01b", "dgx01", "dgx02"][:n]
    for h in names:
        group = "ess01" if h.startswith("ess") else "dgx"
        hosts_of(inv, group)[h]["quorum"] = True
    [f] = only(check(inv)[1], "quorum-count")
    assert f"{n} hosts set quorum" in f.message and "odd" in f.message


def test_quorum_odd_by_hand_passes(inv, check):
    for h in ("ess01a", "ess01b", "dgx01"):
        hosts_of(inv, "ess01" if h.startswith("ess") else "dgx")[h]["quorum"] = True
    assert check(inv)[1] == []


def test_quorum_above_seven(inv, check):
    dgx = hosts_of(inv, "dgx")
    for i in range(3, 10):
        dgx[f"dgx{i:02d}"] = {"hw_model": "dgx-1", "mgmt_address": f"10.77.0.{100 + i}"}
    for name in list(dgx)[:9]:
        dgx[name]["quorum"] = True
    [f] = only(check(inv)[1], "quorum-count")
    assert "at most 7" in f.message


def test_sizing_warns_when_storage_cannot_feed_gpus(inv, check):
    dgx = hosts_of(inv, "dgx")
    dgx.clear()
    for i in range(1, 4):
        dgx[f"dgx{i:02d}"] = {"hw_model": "dgx-2", "mgmt_address": f"10.77.0.{10 + i}"}
    [f] = only(check(inv)[1], "sizing-storage")
    assert f.severity == "warning" and "60 GB/s" in f.message and "40 GB/s" in f.message
    assert "2 unit(s) of ess-3000 (80 GB/s)" in f.message  # the reference: 3 DGX-2 need 2 ESS 3000


def test_sizing_quiet_with_two_units(inv, check):
    dgx = hosts_of(inv, "dgx")
    dgx.clear()
    for i in range(1, 4):
        dgx[f"dgx{i:02d}"] = {"hw_model": "dgx-2", "mgmt_address": f"10.77.0.{10 + i}"}
    inv["all"]["children"]["ess"]["children"]["ess02"] = {"hosts": {
        "ess02a": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.23"},
        "ess02b": {"hw_model": "ess-3000", "mgmt_address": "10.77.0.24"}}}
    assert "sizing-storage" not in rule_ids(check(inv)[1])


def test_schema_error_names_host_field_and_line(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["mgmt_address"] = "10.77.0.300"
    hosts_of(inv, "dgx")["dgx02"]["ib_cables"] = [{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 0}]
    findings = only(check(inv)[1], "schema")
    fields = {(f.host, f.field) for f in findings}
    assert ("dgx01", "mgmt_address") in fields and ("dgx02", "ib_cables[0].switch_port") in fields
    assert all(f.file and f.file.split(":")[-1].isdigit() for f in findings)


def test_pod_settings_errors(inv, check):
    inv["all"]["vars"]["pod"]["networks"]["mgmt"]["cidr"] = "10.77.0.0/33"
    inv["all"]["vars"]["pod"]["filesystem"]["block_size"] = "3M"
    fields = {f.field for f in only(check(inv)[1], "schema")}
    assert {"pod.networks.mgmt.cidr", "pod.filesystem.block_size"} <= fields


def test_no_pod_settings(inv, check):
    del inv["all"]["vars"]
    [f] = only(check(inv)[1], "pod-settings")
    assert "all.vars.pod" in f.message


def test_misspelt_field_warns(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["mgmt_adress"] = "10.77.0.11"
    [f] = only(check(inv)[1], "unknown-field")
    assert f.field == "mgmt_adress" and "mgmt_address" in f.message


# --- bad input (issue 13): each rule's failing case and its passing twin -----------------


@pytest.mark.parametrize("name,why,fix", [("DGX_01", "an underscore, capitals", "dgx-01"),
                                          ("dgx 01", "a space", "dgx-01"),
                                          ("-dgx01", "hyphen", "dgx01")])
def test_host_name_invalid(inv, check, name, why, fix):
    dgx = hosts_of(inv, "dgx")
    dgx[name] = dgx.pop("dgx01")
    [f] = only(check(inv)[1], "host-name")
    assert (f.host, f.severity) == (name, "error") and why in f.message and repr(fix) in f.message


def test_host_name_fqdn_passes(inv, check):
    dgx = hosts_of(inv, "dgx")
    dgx["dgx01.pod1.example.com"] = dgx.pop("dgx01")
    assert check(inv)[1] == []


def test_no_gpu_servers(inv, check):
    del inv["all"]["children"]["dgx"]
    [f] = only(check(inv)[1], "dgx-missing")
    assert f.severity == "error" and f.field == "dgx"


def test_one_gpu_server_is_enough(inv, check):
    del hosts_of(inv, "dgx")["dgx02"]
    assert "dgx-missing" not in rule_ids(check(inv)[1])


@pytest.mark.parametrize("group,meant", [("dgxs", "dgx"), ("ib_switch", "ib_switches"), ("nsd_server", "nsd_servers")])
def test_misspelt_role_group(inv, check, group, meant):
    children = inv["all"]["children"]
    real = {"dgx": "dgx", "ib_switches": "ib_switches", "nsd_servers": "nsd_servers"}[meant]
    if real == "nsd_servers":
        children[real] = {"hosts": {"nsd01": {"hw_model": "nvme-server", "mgmt_address": "10.77.0.31",
                                              "nsd_devices": ["/dev/nvme0n1"]}}}
    children[group] = children.pop(real)
    findings = check(inv)[1]
    [f] = only(findings, "group-unknown")
    assert f.field == f"groups.{group}" and f"did you mean {meant!r}" in f.message and f.host
    assert not rule_ids(findings) & {"dgx-missing", "storage-missing", "ib-switch-missing"}  # one message


def test_rack_groups_and_declared_extra_groups_pass(inv, check):
    inv["all"]["children"]["rack1"] = {"hosts": {"dgx01": None, "ess01a": None}}  # pod hosts: fine
    inv["all"]["children"]["login"] = {"hosts": {"login01": {"ansible_host": "10.77.0.200"}}}
    inv["all"]["vars"]["pod"]["extra_groups"] = ["login"]
    assert check(inv)[1] == []
    del inv["all"]["vars"]["pod"]["extra_groups"]
    [f] = only(check(inv)[1], "group-unknown")
    assert f.host == "login01" and "extra_groups" in f.message


def test_pod_settings_in_a_child_group(inv, check):
    inv["all"]["children"]["dgx"]["vars"] = {"pod": inv["all"].pop("vars")["pod"]}
    [f] = only(check(inv)[1], "pod-settings")
    assert f.field == "groups.dgx.vars.pod" and "all.vars.pod" in f.message and f.file.split(":")[-1].isdigit()


def test_pod_settings_on_one_host_only(inv, check):
    pod = inv["all"].pop("vars")["pod"]
    hosts_of(inv, "dgx")["dgx01"]["pod"] = pod
    [f] = only(check(inv)[1], "pod-settings")
    assert "do not see" in f.message and f.host != "dgx01"


def test_ess_model_in_nsd_servers(inv, check):
    inv["all"]["children"]["nsd_servers"] = {"hosts": {
        "nsd01": {"hw_model": "ess-3200", "mgmt_address": "10.77.0.31", "nsd_devices": ["/dev/sdb"]}}}
    [f] = only(check(inv)[1], "storage-model-group")
    assert (f.host, f.field) == ("nsd01", "hw_model") and "ESS canister" in f.message and "nvme-server" in f.message


def test_plain_server_in_ess_unit(inv, check):
    hosts_of(inv, "ess01")["ess01a"]["hw_model"] = "nvme-server"
    hosts_of(inv, "ess01")["ess01b"]["hw_model"] = "nvme-server"
    hits = only(check(inv)[1], "storage-model-group")
    assert {f.host for f in hits} == {"ess01a", "ess01b"} and "ess-3000" in hits[0].message


def test_nsd_server_without_devices(inv, check):
    inv["all"]["children"]["nsd_servers"] = {"hosts": {"nsd01": {"hw_model": "nvme-server",
                                                                 "mgmt_address": "10.77.0.31"}}}
    [f] = only(check(inv)[1], "nsd-devices-missing")
    assert (f.host, f.field) == ("nsd01", "nsd_devices") and "/dev/" in f.message


@pytest.mark.parametrize("net,gateway,words", [
    ("mgmt", "10.78.0.1", "is on the ipoib network"),
    ("mgmt", "10.99.0.1", "outside 10.77.0.0/24"),
    ("mgmt", "10.77.0.255", "network or broadcast"),
    ("mgmt", "10.77.0.0", "network or broadcast"),
    ("ipoib", "10.77.0.1", "is on the mgmt network"),
])
def test_gateway_address(inv, check, net, gateway, words):
    inv["all"]["vars"]["pod"]["networks"][net]["gateway"] = gateway
    [f] = only(check(inv)[1], "gateway-address")
    assert f.field == f"pod.networks.{net}.gateway" and words in f.message and "e.g." in f.message


def test_host_holding_the_gateway(inv, check):
    hosts_of(inv, "dgx")["dgx02"]["mgmt_address"] = "10.77.0.1"
    [f] = only(check(inv)[1], "gateway-address")
    assert (f.host, f.field) == ("dgx02", "mgmt_address") and "gateway" in f.message


def test_ipoib_gateway_passes(inv, check):
    inv["all"]["vars"]["pod"]["networks"]["ipoib"]["gateway"] = "10.78.0.254"
    assert check(inv)[1] == []


@pytest.mark.parametrize("mode,mtu,bad", [("datagram", 65520, True), ("datagram", 4096, True),
                                          ("datagram", 4092, False), ("datagram", 2044, False),
                                          ("connected", 65520, False)])
def test_ipoib_mtu_fits_the_mode(inv, check, mode, mtu, bad):
    inv["all"]["vars"]["pod"]["networks"]["ipoib"].update(mode=mode, mtu=mtu)
    findings = check(inv)[1]
    if bad:
        [f] = only(findings, "network-mtu")
        assert f.field == "pod.networks.ipoib.mtu" and "connected" in f.message and "4092" in f.message
    else:
        assert findings == []


def test_mgmt_mtu_above_jumbo(inv, check):
    inv["all"]["vars"]["pod"]["networks"]["mgmt"]["mtu"] = 65520
    [f] = only(check(inv)[1], "network-mtu")
    assert f.field == "pod.networks.mgmt.mtu" and "9000" in f.message


def test_no_ntp_servers_warns(inv, check):
    inv["all"]["vars"]["pod"]["ntp_servers"] = []
    [f] = only(check(inv)[1], "ntp-servers")
    assert f.severity == "warning" and f.field == "pod.ntp_servers"


def test_port_cabled_twice_is_an_error(inv, check):
    bad = [dict(c) for c in DGX1_OK]
    bad[2]["port"] = "mlx5_0/1"
    hosts_of(inv, "dgx")["dgx01"]["ib_cables"] = bad
    [f] = only(check(inv)[1], "ib-port-twice")
    assert (f.severity, f.field) == ("error", "ib_cables[2].port")
    assert "cabled twice" in f.message and "mlx5_2/1 has no cable" in f.message


@pytest.mark.parametrize("field,value,words", [
    (("filesystem", "mount_point"), "/", "system directory"),
    (("filesystem", "mount_point"), "/usr/gpfs", "system directory"),
    (("filesystem", "mount_point"), "/gpfs/../etc", "plain absolute path"),
    (("filesystem", "mount_point"), "gpfs", "'/gpfs/fs1'"),
    (("ntp_servers",), ["10.77.0.1", ""], "'10.10.0.1'"),
    (("ntp_servers",), ["ntp server"], "'10.10.0.1'"),
    (("registry", "url"), "not a url", "'registry.example.com:5000'"),
    (("registry", "url"), "https://", "'registry.example.com:5000'"),
    (("name",), "Pod_1", "'pod1'"),
])
def test_settings_values_refused_with_an_example(inv, check, field, value, words):
    node = inv["all"]["vars"]["pod"]
    for part in field[:-1]:
        node = node.setdefault(part, {})
    node[field[-1]] = value
    [f] = only(check(inv)[1], "schema")
    assert f.field.startswith("pod." + ".".join(field)) and words in f.message
    assert "^" not in f.message  # an example, never the raw regular expression


@pytest.mark.parametrize("field,value", [(("filesystem", "mount_point"), "/gpfs/fs1"),
                                         (("filesystem", "mount_point"), "/data/ai"),
                                         (("ntp_servers",), ["ntp1.example.com", "10.77.0.1"]),
                                         (("registry", "url"), "registry.example.com:5000/nvidia"),
                                         (("registry", "url"), "https://nvcr.io")])
def test_settings_values_accepted(inv, check, field, value):
    node = inv["all"]["vars"]["pod"]
    for part in field[:-1]:
        node = node.setdefault(part, {})
    node[field[-1]] = value
    assert check(inv)[1] == []


def test_one_bad_field_keeps_the_rest_of_the_host(inv, check):
    hosts_of(inv, "dgx")["dgx01"]["mgmt_address"] = "10.77.0.300"
    hosts_of(inv, "dgx")["dgx02"]["quorum"] = "perhaps"
    findings = check(inv)[1]
    assert {(f.rule, f.host, f.field) for f in findings} == {("schema", "dgx01", "mgmt_address"),
                                                            ("schema", "dgx02", "quorum")}


def test_inter_switch_links_beyond_the_ports(inv, check):
    inv["all"]["vars"]["pod"]["fabric"] = {"inter_switch_links": 40}
    [f] = only(check(inv)[1], "fabric-capacity")
    assert f.field == "pod.fabric.inter_switch_links" and "36 ports" in f.message and "-" not in f.message.split()[0]
    assert "offer -" not in f.message


def test_every_rule_is_covered_here():
    """A new rule needs its failing case in this file."""
    from deploy_pod.rules import RULES

    text = Path(__file__).read_text()
    missing = [r.id for r in RULES if f'"{r.id}"' not in text]
    assert missing == []


def test_opensm_on_an_appliance(inv, check):
    hosts_of(inv, "ess01")["ess01a"]["opensm_priority"] = 15
    [f] = only(check(inv)[1], "opensm-on-appliance")
    assert (f.host, f.field) == ("ess01a", "opensm_priority") and "management: managed" in f.message


def test_opensm_on_an_appliance_made_managed_passes(inv, check):
    hosts_of(inv, "ess01")["ess01a"].update(opensm_priority=15, management="managed")
    assert check(inv)[1] == []
