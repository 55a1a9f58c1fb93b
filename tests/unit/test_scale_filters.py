"""deploy_pod.pod scale filters: verbsPorts come from the ports a host reports Active on its
InfiniBand fabric, never from a constant."""

from __future__ import annotations

from ansible_collections.deploy_pod.pod.plugins.filter import scale as sc


def port(name, state="Active", link_layer="InfiniBand", **kw):
    """A port as ib_facts returns it (ansible_facts.infiniband.ports)."""
    ca, num = name.split("/")
    return {"name": name, "ca": ca, "num": int(num), "state": state, "physical_state": "LinkUp"
            if state == "Active" else "Polling", "rate_gbps": 100 if state == "Active" else 10,
            "link_layer": link_layer, "netdev": None, "netdev_up": None, **kw}


DGX2_PORTS = [port("mlx5_0/1"), port("mlx5_1/1"), port("mlx5_2/1", state="Down"), port("mlx5_3/1"),
              port("mlx5_4/1", link_layer="Ethernet"), port("mlx5_5/1", link_layer="Ethernet", state="Down"),
              port("mlx5_6/1", state="Initializing"), port("mlx5_7/1", state="Armed")]


def test_active_ib_ports_only_active_infiniband():
    assert sc.active_ib_ports(DGX2_PORTS) == ["mlx5_0/1", "mlx5_1/1", "mlx5_3/1"]


def test_ethernet_port_is_no_verbs_port_even_when_active():
    assert sc.active_ib_ports([port("mlx5_0/1", link_layer="Ethernet")]) == []
    assert sc.verbs_ports(["mlx5_0/1"], [port("mlx5_0/1", link_layer="Ethernet")]) == []


def test_missing_link_layer_counts_as_infiniband():
    # an old ibstat without "Link layer:" lines: InfiniBand (the only kind it knew)
    assert sc.active_ib_ports([port("mlx5_0/1", link_layer=None)]) == ["mlx5_0/1"]
    p = port("mlx5_1/1")
    del p["link_layer"]
    assert sc.active_ib_ports([p]) == ["mlx5_1/1"]


def test_active_ib_ports_empty_inputs():
    assert sc.active_ib_ports([]) == []
    assert sc.active_ib_ports(None) == []


def test_verbs_ports_keep_planned_order_and_rail_suffix():
    planned = ["mlx5_3/1/2", "mlx5_0/1/1", "mlx5_2/1/1", "mlx5_1/1/2", "mlx5_4/1/1"]
    assert sc.verbs_ports(planned, DGX2_PORTS) == ["mlx5_3/1/2", "mlx5_0/1/1", "mlx5_1/1/2"]


def test_verbs_ports_without_rails():
    assert sc.verbs_ports(["mlx5_0/1", "mlx5_2/1", "mlx5_1/1"], DGX2_PORTS) == ["mlx5_0/1", "mlx5_1/1"]


def test_verbs_ports_down_port_dropped():
    assert sc.verbs_ports(["mlx5_2/1/1"], DGX2_PORTS) == []


def test_verbs_ports_port_number_matters():
    # ESS canisters cable both ports of a dual-port card: mlx5_0/2 is not mlx5_0/1
    ports = [port("mlx5_0/1"), port("mlx5_0/2", state="Down"), port("mlx5_1/1"), port("mlx5_1/2")]
    assert sc.verbs_ports(["mlx5_0/1/1", "mlx5_0/2/2", "mlx5_1/1/1", "mlx5_1/2/2"], ports) == [
        "mlx5_0/1/1", "mlx5_1/1/1", "mlx5_1/2/2"]


def test_verbs_ports_nothing_planned_or_reported():
    assert sc.verbs_ports([], DGX2_PORTS) == []
    assert sc.verbs_ports(None, DGX2_PORTS) == []
    assert sc.verbs_ports(["mlx5_0/1"], []) == []
    assert sc.verbs_ports(["mlx5_0/1"], None) == []


PLAN_CONFIG = [
    {"attr": "maxblocksize", "value": "16M", "scope": "", "source": "tuning.yml"},
    {"attr": "verbsRdma", "value": "enable", "scope": "dgx_clients", "source": "tuning.yml"},
    {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2", "scope": "dgx01-ib"},
    {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2", "scope": "dgx02-ib"},
    {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_0/2/2", "scope": "ess01a-ib"},
    {"attr": "workerThreads", "value": 1024, "scope": "nsd_servers"},
    {"attr": "pagepool", "value": "64G"},
]


def test_with_verbs_ports_replaces_discovered_and_drops_nodes_with_none():
    discovered = {"dgx01-ib": ["mlx5_0/1/1", "mlx5_3/1/2"], "dgx02-ib": []}
    out = sc.with_verbs_ports(PLAN_CONFIG, discovered)
    assert out == [
        {"attr": "maxblocksize", "value": "16M", "scope": ""},
        {"attr": "verbsRdma", "value": "enable", "scope": "dgx_clients"},
        {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_3/1/2", "scope": "dgx01-ib"},
        # dgx02-ib found no active port: no verbsPorts for it at all
        {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_0/2/2", "scope": "ess01a-ib"},  # not discovered: planned
        {"attr": "workerThreads", "value": "1024", "scope": "nsd_servers"},  # values as strings
        {"attr": "pagepool", "value": "64G", "scope": ""},  # scope defaults to cluster-wide
    ]
    assert PLAN_CONFIG[2]["value"] == "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2"  # input untouched


def test_with_verbs_ports_only_touches_verbs_ports():
    config = [{"attr": "pagepool", "value": "16G", "scope": "dgx01-ib"}]
    assert sc.with_verbs_ports(config, {"dgx01-ib": []}) == config
    assert sc.with_verbs_ports(config, {}) == config
    assert sc.with_verbs_ports([], {"dgx01-ib": ["mlx5_0/1"]}) == []


def test_filters_are_registered_under_their_jinja_names():
    f = sc.FilterModule().filters()
    assert f == {"scale_active_ib_ports": sc.active_ib_ports, "scale_verbs_ports": sc.verbs_ports,
                 "scale_with_verbs_ports": sc.with_verbs_ports}


def test_role_pipeline_from_ib_facts_to_settings():
    """What roles/scale_cluster does: each host keeps its active planned ports, the primary merges them."""
    per_host = {"dgx01-ib": sc.verbs_ports(["mlx5_0/1/1", "mlx5_1/1/2", "mlx5_2/1/1", "mlx5_3/1/2"], DGX2_PORTS)}
    settings = sc.with_verbs_ports(PLAN_CONFIG[2:3], per_host)
    assert settings == [{"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_1/1/2 mlx5_3/1/2", "scope": "dgx01-ib"}]
