"""The planner's Spectrum Scale plan (Plan.scale): daemon names, licences, node classes, the
configuration per node class with its overrides, GDS, the ESS unit plans and the plain NSDs."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from deploy_pod.catalog import Catalog, load_catalog
from deploy_pod.cli import main
from deploy_pod.inventory import load_pod
from deploy_pod.planner import config_by_scope, make_plan
from deploy_pod.tuning import load_profiles
from tests.conftest import EXAMPLES
from tests.helpers import hosts_of

PROFILES = load_profiles()


def make_catalog():
    """The catalog plus a plain NSD server model with a RAM figure (tests do not lean on the shipped models)."""
    data = copy.deepcopy(load_catalog().data)
    data["models"]["test-nsd"] = {**copy.deepcopy(data["models"]["ess-3000"]), "canisters": 1, "memory_gib": 384}
    data["models"]["test-nsd"]["ib"]["storage_ports"] = ["mlx5_0/1", "mlx5_1/1"]
    return Catalog(data)


@pytest.fixture
def plan_of(write_inv):
    def run(data, catalog=None):
        result = load_pod(write_inv(data))
        return make_plan(result.pod, catalog or make_catalog())

    return run


def example(name):
    return make_plan(load_pod(str(EXAMPLES / name)).pod)


def with_nsd_servers(inv, **extra):
    inv["all"]["children"]["nsd_servers"] = {"hosts": {
        "nsd01": {"hw_model": "test-nsd", "mgmt_address": "10.77.0.31", "nsd_devices": ["/dev/nvme0n1", "/dev/nvme1n1"],
                  **extra},
        "nsd02": {"hw_model": "test-nsd", "mgmt_address": "10.77.0.32", "nsd_devices": ["/dev/disk/by-id/nvme-A.1"]},
    }}
    return inv


def scale_vars(inv):
    return inv["all"]["vars"]["pod"].setdefault("scale", {})


# ---- nodes -------------------------------------------------------------------------------------

def test_twin_nodes_daemon_names_designations_licences(inv, plan_of):
    sp = plan_of(inv).scale
    assert sp.cluster_name == "twin.gpfs"
    assert sp.nodes == [
        {"host": "ess01a", "daemon": "ess01a-ib", "admin": "ess01a", "role": "ess", "quorum": True, "manager": True,
         "license": "server"},
        {"host": "ess01b", "daemon": "ess01b-ib", "admin": "ess01b", "role": "ess", "quorum": True, "manager": True,
         "license": "server"},
        {"host": "dgx01", "daemon": "dgx01-ib", "admin": "dgx01", "role": "dgx", "quorum": True, "manager": False,
         "license": "server"},  # a quorum node needs a server licence, DGX or not
        {"host": "dgx02", "daemon": "dgx02-ib", "admin": "dgx02", "role": "dgx", "quorum": False, "manager": False,
         "license": "client"},
    ]
    assert sp.primary == "ess01a"
    assert sp.license_package == "gpfs.license.std"


def test_daemon_name_is_the_ipoib_name_and_matches_etc_hosts(inv, plan_of):
    plan = plan_of(inv)
    ib_names = {n for e in plan.etc_hosts for n in e["names"] if n.endswith("-ib")}
    assert {n["daemon"] for n in plan.scale.nodes} == ib_names
    for name, hp in plan.hosts.items():
        assert hp.daemon_name == f"{name}-ib"


def test_licences_server_for_quorum_manager_and_storage(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["manager"] = True  # a manager DGX
    hosts_of(inv, "ess01")["ess01b"]["quorum"] = False
    hosts_of(inv, "ess01")["ess01b"]["manager"] = False  # still an ESS canister: a server licence
    hosts_of(inv, "ess01")["ess01a"]["quorum"] = True
    with_nsd_servers(inv)
    hosts_of(inv, "nsd_servers")["nsd02"].update({"quorum": False, "manager": False})
    lic = {n["host"]: n["license"] for n in plan_of(inv).scale.nodes}
    assert lic == {"ess01a": "server", "ess01b": "server", "nsd01": "server", "nsd02": "server", "dgx01": "client",
                   "dgx02": "server"}


def test_licences_in_the_full_pod():
    sp = example("full-pod.yml").scale
    for n in sp.nodes:
        assert n["license"] == ("server" if n["quorum"] or n["manager"] or n["role"] != "dgx" else "client"), n
    assert sum(n["quorum"] for n in sp.nodes) % 2 == 1


def test_primary_is_a_storage_quorum_node(inv, plan_of):
    hosts_of(inv, "ess01")["ess01b"]["quorum"] = True
    for h in ("dgx01", "dgx02"):
        hosts_of(inv, "dgx")[h]["quorum"] = True
    sp = plan_of(inv).scale
    assert sp.primary == "ess01b"  # ess01a is not a quorum node now; DGX quorum nodes come after storage
    primary = next(n for n in sp.nodes if n["host"] == sp.primary)
    assert primary["quorum"] and primary["role"] != "dgx"


def test_primary_falls_back_to_a_quorum_node_then_the_first_node(inv, plan_of):
    for h in ("ess01a", "ess01b"):
        hosts_of(inv, "ess01")[h]["quorum"] = False
    hosts_of(inv, "dgx")["dgx02"]["quorum"] = True
    assert plan_of(inv).scale.primary == "dgx02"


@pytest.mark.parametrize("layout", ["twin.yml", "full-pod.yml", "dgx2-pod.yml", "half-pod.yml", "starter.yml"])
def test_every_example_has_a_storage_quorum_primary(layout):
    plan = example(layout)
    sp = plan.scale
    primary = plan.hosts[sp.primary]
    assert primary.quorum and primary.role in ("ess", "nsd")
    assert [n["host"] for n in sp.nodes] == list(plan.hosts)  # cluster order: storage first
    assert len({n["daemon"] for n in sp.nodes}) == len(sp.nodes)


# ---- node classes ------------------------------------------------------------------------------

def test_node_classes_by_daemon_name_mmvdisk_for_units(inv, plan_of):
    sp = plan_of(with_nsd_servers(inv)).scale
    assert sp.node_classes == {
        "nc_ess01": {"members": ["ess01a-ib", "ess01b-ib"], "mmvdisk": True},
        "nsd_servers": {"members": ["nsd01-ib", "nsd02-ib"], "mmvdisk": False},
        "dgx_clients": {"members": ["dgx01-ib", "dgx02-ib"], "mmvdisk": False},
    }


def test_host_node_classes_override(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["node_classes"] = ["dgx_clients", "dgx_gds"]
    classes = plan_of(inv).scale.node_classes
    assert classes["dgx_gds"] == {"members": ["dgx02-ib"], "mmvdisk": False}
    assert classes["dgx_clients"]["members"] == ["dgx01-ib", "dgx02-ib"]


# ---- configuration ------------------------------------------------------------------------------

def test_twin_config_by_scope(inv, plan_of):
    by = config_by_scope(plan_of(inv).scale.config)
    assert by[""] == {"maxblocksize": "16M"}
    assert by["nc_ess01"] == {"verbsRdma": "enable", "verbsRdmaSend": "yes"}
    assert by["dgx_clients"] == {"verbsRdma": "enable", "verbsRdmaSend": "yes", "pagepool": "16G",
                                 "maxMBpS": "100000"}  # DGX-1: 512 GiB, 4 x EDR
    assert by["dgx01-ib"] == {"verbsPorts": "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2"}
    assert by["ess01a-ib"] == {"verbsPorts": "mlx5_0/1/1 mlx5_0/2/2 mlx5_1/1/1 mlx5_1/2/2"}
    assert list(by) == ["", "nc_ess01", "dgx_clients", "ess01a-ib", "ess01b-ib", "dgx01-ib", "dgx02-ib"]


def test_every_planned_setting_has_a_source(inv, plan_of):
    scale_vars(inv).update({"gds": True, "tuning": {"dgx_clients": {"pagepool": "32G"}}})
    with_nsd_servers(inv, scale_config={"pagepool": "64G"})
    for s in plan_of(inv).scale.config:
        assert s.source and isinstance(s.value, str), s


def test_nsd_server_profile_from_the_catalog(inv, plan_of):
    by = config_by_scope(plan_of(with_nsd_servers(inv)).scale.config)
    assert by["nsd_servers"] == {"verbsRdma": "enable", "verbsRdmaSend": "yes", "pagepool": "96G",  # 384 / 4
                                 "workerThreads": "1024", "ignorePrefetchLUNCount": "yes",
                                 "numaMemoryInterleave": "yes", "maxMBpS": "50000"}  # 2 x EDR


def test_rules_use_the_smallest_member_and_note_missing_figures(inv, plan_of):
    with_nsd_servers(inv)
    hosts_of(inv, "nsd_servers")["nsd02"]["hw_model"] = "ess-3000"  # no memory_gib in the catalog
    plan = plan_of(inv)
    by = config_by_scope(plan.scale.config)
    assert "pagepool" not in by["nsd_servers"]
    assert by["nsd_servers"]["maxMBpS"] == "50000"  # nsd01: 2 ports, nsd02: 4 ports -> the smaller
    assert plan.scale.notes == ["nsd_servers: pagepool left at the Scale default (no catalog figure)"]


def test_pod_tuning_overrides_win(inv, plan_of):
    scale_vars(inv)["tuning"] = {"dgx_clients": {"pagepool": "32G", "workerThreads": 512},
                                 "nc_ess01": {"verbsRdmaSend": "no"}}
    config = plan_of(inv).scale.config
    by = config_by_scope(config)
    assert by["dgx_clients"]["pagepool"] == "32G" and by["dgx_clients"]["workerThreads"] == "512"
    assert by["nc_ess01"]["verbsRdmaSend"] == "no"
    pagepools = [s for s in config if s.attr == "pagepool" and s.scope == "dgx_clients"]
    assert len(pagepools) == 1 and pagepools[0].source == "pod.scale.tuning.dgx_clients"


def test_host_scale_config_wins_for_that_node(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["scale_config"] = {"pagepool": "64G", "maxMBpS": 40000}
    config = plan_of(inv).scale.config
    by = config_by_scope(config)
    assert by["dgx02-ib"] == {"verbsPorts": "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2", "pagepool": "64G",
                              "maxMBpS": "40000"}
    assert by["dgx_clients"]["pagepool"] == "16G"  # the class keeps its value; the node's own wins in Scale
    # per node settings come after every class setting (mmchconfig -N node last)
    idx = {(s.attr, s.scope): i for i, s in enumerate(config)}
    assert idx[("pagepool", "dgx02-ib")] > idx[("pagepool", "dgx_clients")]
    assert next(s for s in config if s.scope == "dgx02-ib" and s.attr == "pagepool").source == "dgx02: scale_config"


def test_gds_opt_in_only_on_dgx_classes(inv, plan_of):
    with_nsd_servers(inv)
    hosts_of(inv, "dgx")["dgx02"]["node_classes"] = ["dgx_clients", "dgx_gds"]
    by = config_by_scope(plan_of(inv).scale.config)
    assert all("verbsGPUDirectStorage" not in v for v in by.values())  # off by default
    scale_vars(inv)["gds"] = True
    by = config_by_scope(plan_of(inv).scale.config)
    with_gds = {scope for scope, v in by.items() if "verbsGPUDirectStorage" in v}
    assert with_gds == {"dgx_clients", "dgx_gds"}
    assert by["dgx_clients"]["verbsGPUDirectStorage"] == "yes" and by["dgx_clients"]["verbsRdmaCm"] == "disable"
    assert "verbsRdmaCm" not in by["nc_ess01"] and "verbsRdmaCm" not in by["nsd_servers"]


def test_gds_value_can_be_overridden(inv, plan_of):
    scale_vars(inv).update({"gds": True, "tuning": {"dgx_clients": {"verbsRdmaCm": "enable"}}})
    assert config_by_scope(plan_of(inv).scale.config)["dgx_clients"]["verbsRdmaCm"] == "enable"


def test_maxblocksize_follows_the_file_system(inv, plan_of):
    inv["all"]["vars"]["pod"]["filesystem"]["block_size"] = "4M"
    assert config_by_scope(plan_of(inv).scale.config)[""] == {"maxblocksize": "4M"}


def test_no_verbs_ports_setting_for_a_host_without_ports(inv, plan_of):
    hosts_of(inv, "dgx")["dgx02"]["verbs_ports"] = []
    by = config_by_scope(plan_of(inv).scale.config)
    assert "dgx02-ib" not in by
    hosts_of(inv, "dgx")["dgx02"]["verbs_ports"] = ["mlx5_3/1/2", "mlx5_0/1/1"]
    assert config_by_scope(plan_of(inv).scale.config)["dgx02-ib"] == {"verbsPorts": "mlx5_3/1/2 mlx5_0/1/1"}


def test_dgx2_classes_get_the_dgx2_figures():
    by = config_by_scope(example("dgx2-pod.yml").scale.config)
    dgx = [v for v in by.values() if "pagepool" in v and v.get("verbsRdma")]
    assert dgx and all(v["pagepool"] == "16G" and v["maxMBpS"] == "200000" for v in dgx)  # 8 x EDR


# ---- ESS units and NSDs ------------------------------------------------------------------------

def test_one_unit_plan_per_ess_unit_with_vdisk_defaults():
    plan = example("full-pod.yml")
    units = plan.scale.units
    assert [u["unit"] for u in units] == ["ess01", "ess02", "ess03"]
    for u, name in zip(units, ("ess01", "ess02", "ess03"), strict=True):
        assert u == {"unit": name, "node_class": f"nc_{name}", "recovery_group": f"rg_{name}",
                     "vdisk_set": f"vs_fs1_{name}", "servers": [f"{name}a-ib", f"{name}b-ib"], "code": "8+2p",
                     "block_size": "16m", "set_size": "80%"}
        assert plan.scale.node_classes[u["node_class"]] == {"members": u["servers"], "mmvdisk": True}


def test_vdisk_settings_and_block_size_from_the_file_system(inv, plan_of):
    inv["all"]["vars"]["pod"]["filesystem"]["block_size"] = "8M"
    [u] = plan_of(inv).scale.units
    assert u["block_size"] == "8m"
    scale_vars(inv)["vdisk"] = {"code": "8+3p", "block_size": "4m", "set_size": "50%"}
    [u] = plan_of(inv).scale.units
    assert (u["code"], u["block_size"], u["set_size"]) == ("8+3p", "4m", "50%")


def test_no_units_and_no_nsds_without_storage_of_that_kind(inv, plan_of):
    sp = plan_of(inv).scale
    assert sp.nsds == []
    del inv["all"]["children"]["ess"]
    sp = plan_of(with_nsd_servers(inv)).scale
    assert sp.units == []
    assert not any(c["mmvdisk"] for c in sp.node_classes.values())


def test_nsd_plans_from_nsd_devices(inv, plan_of):
    plan = plan_of(with_nsd_servers(inv))
    fg = {h: plan.hosts[h].failure_group for h in ("nsd01", "nsd02")}
    assert fg == {"nsd01": 2, "nsd02": 3}  # after the one ESS unit
    assert plan.scale.nsds == [
        {"name": "nsd_nsd01_nvme0n1", "device": "/dev/nvme0n1", "server": "nsd01", "servers": ["nsd01-ib"],
         "failure_group": 2, "usage": "dataAndMetadata", "pool": "system"},
        {"name": "nsd_nsd01_nvme1n1", "device": "/dev/nvme1n1", "server": "nsd01", "servers": ["nsd01-ib"],
         "failure_group": 2, "usage": "dataAndMetadata", "pool": "system"},
        {"name": "nsd_nsd02_nvme_A_1", "device": "/dev/disk/by-id/nvme-A.1", "server": "nsd02",
         "servers": ["nsd02-ib"], "failure_group": 3, "usage": "dataAndMetadata", "pool": "system"},
    ]
    names = [n["name"] for n in plan.scale.nsds]
    assert len(names) == len(set(names))
    assert all(n["name"].replace("_", "").isalnum() for n in plan.scale.nsds)  # a valid NSD name


def test_nsd_devices_of_other_roles_are_ignored(inv, plan_of):
    hosts_of(inv, "dgx")["dgx01"]["nsd_devices"] = ["/dev/nvme0n1"]
    assert plan_of(inv).scale.nsds == []


def test_nsd_failure_group_set_by_hand(inv, plan_of):
    with_nsd_servers(inv, failure_group=7)
    nsds = plan_of(inv).scale.nsds
    assert {n["failure_group"] for n in nsds if n["server"] == "nsd01"} == {7}


def test_filesystem_and_install_settings(inv, plan_of):
    inv["all"]["vars"]["pod"]["filesystem"].update({"data_replicas": 2, "metadata_replicas": 2})
    scale_vars(inv).update({"license": "dm", "min_version": "5.2.1", "repo_url": "http://repo.example/scale"})
    sp = plan_of(inv).scale
    assert sp.filesystem == {"name": "fs1", "mount_point": "/gpfs/fs1", "block_size": "16M", "data_replicas": 2,
                             "metadata_replicas": 2}
    assert (sp.license_package, sp.min_version, sp.repo_url) == ("gpfs.license.dm", "5.2.1",
                                                                 "http://repo.example/scale")


# ---- as the CLI shows it -------------------------------------------------------------------------

def test_plan_json_has_config_by_scope():
    r = CliRunner().invoke(main, ["plan", "--json", str(EXAMPLES / "twin.yml")])
    assert r.exit_code == 0, r.output
    scale = json.loads(r.output)["scale"]
    assert scale["config_by_scope"]["dgx_clients"]["pagepool"] == "16G"
    assert scale["config_by_scope"][""] == {"maxblocksize": "16M"}
    assert {"attr", "value", "scope", "source"} == set(scale["config"][0])
    assert scale["units"][0]["vdisk_set"] == "vs_fs1_ess01"
    assert [n["daemon"] for n in scale["nodes"]] == ["ess01a-ib", "ess01b-ib", "dgx01-ib", "dgx02-ib"]
    assert scale["primary"] == "ess01a"


def test_config_by_scope_last_value_wins():
    from deploy_pod.tuning import Setting

    assert config_by_scope([Setting("a", "1", "", "s"), Setting("a", "2", "", "s"), Setting("b", "3", "x", "s")]) == {
        "": {"a": "2"}, "x": {"b": "3"}}
