"""The state-changing Spectrum Scale modules' main(), run against the twin's emulated mm
commands on a local pod (tests/scalekit.py): each one changes only the difference, says what
it would do in check mode, is idempotent, and fails with what the operator needs."""

from __future__ import annotations

import time

import pytest
from ansible_collections.deploy_pod.pod.plugins.modules import (
    scale_cluster,
    scale_config,
    scale_daemon,
    scale_filesystem,
    scale_mount,
    scale_nodeclass,
    scale_nsd,
    scale_vdisk,
)

from tests.scalekit import PLAN_NODES, ScalePod, node, runner

BASE = ["ess01a", "ess01b", "nsd01", "dgx01"]
CLASSES = {"nc_ess01": {"members": ["ess01a-ib", "ess01b-ib"], "mmvdisk": True},
           "nsd_servers": {"members": ["nsd01-ib"], "mmvdisk": False},
           "dgx_clients": {"members": ["dgx01-ib"], "mmvdisk": False}}


@pytest.fixture
def pod(tmp_path):
    p = ScalePod(tmp_path, [*BASE, "dgx02"])
    yield p
    p.stop_all()


def table(pod, host="ess01a"):
    """{daemon: (quorum, manager, licence)} as the facts read the cluster."""
    facts = pod.facts(host, ["cluster", "license"])
    return {k: (n["quorum"], n["manager"], n["license"]) for k, n in facts["nodes"].items()}


def cluster_args(pod, nodes):
    return {"cluster_name": "twin.gpfs", "nodes": nodes, "node_file_dir": str(pod.tmp / "mmfs-tmp")}


# ---- scale_cluster -------------------------------------------------------------------------------

def test_cluster_check_mode_then_create_then_nothing_to_do(pod, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_cluster, cluster_args(pod, PLAN_NODES), check=True)
    assert rc == 0 and res["changed"] is True and res["created"] is True
    assert res["added"] == ["ess01a-ib", "ess01b-ib", "nsd01-ib", "dgx01-ib"]
    assert res["commands"] == [
        "mmcrcluster -C twin.gpfs -r /usr/bin/ssh -R /usr/bin/scp -A --ccr-enable -N <node file>",
        "mmchlicense server --accept -N ess01a-ib,ess01b-ib,nsd01-ib",
        "mmchlicense client --accept -N dgx01-ib"]
    assert pod.facts("ess01a", ["cluster"])["member"] is False  # check mode made nothing

    rc, res = run(scale_cluster, cluster_args(pod, PLAN_NODES), diff=True)
    assert rc == 0, res
    assert (res["changed"], res["created"]) == (True, True)
    assert [c.split()[0] for c in res["commands"]] == ["mmcrcluster", "mmchlicense", "mmchlicense"]
    assert res["diff"]["after"] == ("dgx01-ib client client\ness01a-ib quorum-manager server\n"
                                    "ess01b-ib quorum-manager server\nnsd01-ib quorum-manager server\n")
    assert table(pod) == {"ess01a-ib": (True, True, "server"), "ess01b-ib": (True, True, "server"),
                          "nsd01-ib": (True, True, "server"), "dgx01-ib": (False, False, "client")}
    facts = pod.facts("dgx01", ["cluster"])
    assert facts["cluster"]["name"] == "twin.gpfs" and facts["nodes"]["dgx01-ib"]["admin"] == "dgx01"
    assert facts["nodes"]["dgx01-ib"]["ip"] == "10.78.0.11"  # the daemon name resolves to the IPoIB address
    assert list((pod.tmp / "mmfs-tmp").iterdir()) == []  # the node file is removed

    rc, res = run(scale_cluster, cluster_args(pod, PLAN_NODES))
    assert rc == 0 and res["changed"] is False and res["commands"] == [] and res["created"] is False
    assert res["added"] == res["designated"] == res["licensed"] == res["extra_nodes"] == []


def test_cluster_adds_a_node_with_mmaddnode_only_then_changes_designations(pod, capsys, monkeypatch):
    pod.create()
    pod.ok("ess01a", "mmchlicense", "client", "--accept", "-N", "dgx01-ib")
    before = table(pod)
    run = runner(pod, "ess01a", capsys, monkeypatch)
    # dgx02 joins later
    rc, res = run(scale_cluster, cluster_args(pod, [*PLAN_NODES, node("dgx02")]))
    assert rc == 0, res
    assert (res["changed"], res["created"], res["added"]) == (True, False, ["dgx02-ib"])
    assert [c.split()[0] for c in res["commands"]] == ["mmaddnode", "mmchlicense"]
    assert res["commands"][1] == "mmchlicense client --accept -N dgx02-ib"
    assert table(pod) == {**before, "dgx02-ib": (False, False, "client")}

    # dgx02 becomes a quorum node (server licence), nsd01 gives quorum up: it grows first
    moved = [PLAN_NODES[0], PLAN_NODES[1], node("nsd01", False, True), PLAN_NODES[3], node("dgx02", True)]
    rc, res = run(scale_cluster, cluster_args(pod, moved), check=True)
    assert res["commands"] == ["mmchlicense server --accept -N dgx02-ib", "mmchnode --quorum -N dgx02-ib",
                               "mmchnode --nonquorum -N nsd01-ib"]
    rc, res = run(scale_cluster, cluster_args(pod, moved))
    assert rc == 0, res
    assert res["designated"] == ["dgx02-ib: --quorum", "nsd01-ib: --nonquorum"]
    assert res["licensed"] == ["dgx02-ib: server"]
    assert res["commands"] == ["mmchlicense server --accept -N dgx02-ib", "mmchnode --quorum -N dgx02-ib",
                               "mmchnode --nonquorum -N nsd01-ib"]
    assert table(pod)["dgx02-ib"] == (True, False, "server")
    assert table(pod)["nsd01-ib"] == (False, True, "server")
    assert run(scale_cluster, cluster_args(pod, moved))[1]["changed"] is False


def test_cluster_leaves_extra_nodes_and_refuses_another_cluster(pod, capsys, monkeypatch):
    pod.create([*PLAN_NODES, node("dgx02")])
    pod.ok("ess01a", "mmchlicense", "client", "--accept", "-N", "dgx01-ib,dgx02-ib")
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_cluster, cluster_args(pod, PLAN_NODES))
    assert rc == 0 and res["changed"] is False and res["extra_nodes"] == ["dgx02-ib"]
    assert "dgx02-ib" in table(pod)  # never deleted

    rc, res = run(scale_cluster, {**cluster_args(pod, PLAN_NODES), "cluster_name": "other.gpfs"})
    assert rc == 1 and "ess01a belongs to cluster twin.gpfs, the plan says other.gpfs" in res["msg"]
    rc, res = run(scale_cluster, cluster_args(pod, [{**n, "quorum": False} for n in PLAN_NODES]))
    assert rc == 1 and "no quorum node" in res["msg"]


def test_cluster_not_installed(pod, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    (pod.bin / "mmlscluster").unlink()
    rc, res = run(scale_cluster, cluster_args(pod, PLAN_NODES))
    assert rc == 1 and res["msg"].startswith("ess01a: Spectrum Scale is not installed")


# ---- scale_nodeclass -----------------------------------------------------------------------------

def test_nodeclass_creates_user_and_mmvdisk_classes_idempotent(pod, capsys, monkeypatch):
    pod.create([*PLAN_NODES, node("dgx02")])
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_nodeclass, {"classes": CLASSES}, check=True)
    assert rc == 0 and res["changed"] is True
    assert res["commands"] == ["mmvdisk nodeclass create --node-class nc_ess01 -N ess01a-ib,ess01b-ib",
                               "mmcrnodeclass nsd_servers -N nsd01-ib", "mmcrnodeclass dgx_clients -N dgx01-ib"]
    assert pod.facts("ess01a", ["nodeclasses"])["nodeclasses"].get("dgx_clients") is None

    rc, res = run(scale_nodeclass, {"classes": CLASSES})
    assert rc == 0, res
    assert res["created"] == ["nc_ess01", "nsd_servers", "dgx_clients"] and res["changed_members"] == []
    facts = pod.facts("ess01a", ["nodeclasses", "vdisk"])
    assert facts["nodeclasses"]["dgx_clients"]["members"] == ["dgx01-ib"]
    assert facts["vdisk"]["nodeclasses"]["nc_ess01"]["members"] == ["ess01a-ib", "ess01b-ib"]
    rc, res = run(scale_nodeclass, {"classes": CLASSES})
    assert rc == 0 and res["changed"] is False and res["commands"] == []

    # dgx02 joins the clients: only the difference
    grown = {**CLASSES, "dgx_clients": {"members": ["dgx01-ib", "dgx02-ib"], "mmvdisk": False}}
    rc, res = run(scale_nodeclass, {"classes": grown})
    assert rc == 0 and res["commands"] == ["mmchnodeclass dgx_clients add -N dgx02-ib"]
    assert res["changed_members"] == ["dgx_clients"] and res["created"] == []
    assert pod.facts("ess01a", ["nodeclasses"])["nodeclasses"]["dgx_clients"]["members"] == ["dgx01-ib", "dgx02-ib"]

    # an mmvdisk class is never changed by deploy-pod
    moved = {"nc_ess01": {"members": ["ess01a-ib", "nsd01-ib"], "mmvdisk": True}}
    rc, res = run(scale_nodeclass, {"classes": moved})
    assert rc == 1 and "mmvdisk node class nc_ess01 has ess01a-ib, ess01b-ib, the plan says ess01a-ib, nsd01-ib" \
        in res["msg"]


def test_nodeclass_check_mode_without_a_cluster(pod, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_nodeclass, {"classes": CLASSES}, check=True)
    assert rc == 0 and res["changed"] is True and "no Spectrum Scale cluster yet" in res["msg"]
    rc, res = run(scale_nodeclass, {"classes": CLASSES})
    assert rc == 1 and res["msg"] == "ess01a is not in a Spectrum Scale cluster; run the scale_cluster phase first"


# ---- scale_config --------------------------------------------------------------------------------

def classes_made(pod):
    pod.ok("ess01a", "mmcrnodeclass", "dgx_clients", "-N", "dgx01-ib,dgx02-ib")
    pod.ok("ess01a", "mmcrnodeclass", "nsd_servers", "-N", "nsd01-ib")


SETTINGS = [
    {"attr": "maxblocksize", "value": "16M", "scope": ""},
    {"attr": "verbsRdma", "value": "enable", "scope": "dgx_clients"},
    {"attr": "pagepool", "value": "16G", "scope": "dgx_clients"},
    {"attr": "workerThreads", "value": "1024", "scope": "nsd_servers"},
    {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_1/1/2", "scope": "dgx01-ib"},
    {"attr": "verbsPorts", "value": "mlx5_0/1/1 mlx5_1/1/2", "scope": "dgx02-ib"},
]
# the same values as mmlsconfig may print them, or as a user may write them
SAME = [
    {"attr": "maxblocksize", "value": "16777216", "scope": ""},
    {"attr": "verbsRdma", "value": "yes", "scope": "dgx_clients"},
    {"attr": "pagepool", "value": "16384M", "scope": "dgx_clients"},
    {"attr": "workerThreads", "value": "1024", "scope": "nsd_servers"},
    {"attr": "verbsPorts", "value": "mlx5_1/1/2 mlx5_0/1/1", "scope": "dgx01-ib"},
    {"attr": "verbsPorts", "value": "mlx5_1/1/2  mlx5_0/1/1", "scope": "dgx02-ib"},
]


def test_config_per_class_and_node_idempotent_and_restart_reported(pod, capsys, monkeypatch):
    pod.create([*PLAN_NODES, node("dgx02")])
    classes_made(pod)
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_config, {"settings": SETTINGS}, check=True, diff=True)
    assert rc == 0 and res["changed"] is True and len(res["changes"]) == 6 and res["commands"] == []
    assert "dgx_clients pagepool=16G\n" in res["diff"]["after"]
    assert "pagepool" not in pod.facts("ess01a", ["config"])["config"]

    # every daemon down: one mmchconfig per scope, nothing to restart (maxblocksize only changes now)
    rc, res = run(scale_config, {"settings": SETTINGS})
    assert rc == 0, res
    assert res["commands"] == ["mmchconfig maxblocksize=16M",
                               "mmchconfig verbsRdma=enable,pagepool=16G -N dgx_clients",
                               "mmchconfig workerThreads=1024 -N nsd_servers",
                               "mmchconfig verbsPorts=mlx5_0/1/1 mlx5_1/1/2 -N dgx01-ib",
                               "mmchconfig verbsPorts=mlx5_0/1/1 mlx5_1/1/2 -N dgx02-ib"]
    assert res["restart_required"] == [] and res["restarted"] == []
    config = pod.facts("ess01a", ["config"])["config"]
    assert config["pagepool"] == {"dgx_clients": "16G"} and config["maxblocksize"] == {"": "16M"}
    assert config["verbsPorts"]["dgx02-ib"] == "mlx5_0/1/1 mlx5_1/1/2"

    rc, res = run(scale_config, {"settings": SETTINGS})
    assert rc == 0 and res["changed"] is False and res["commands"] == []
    rc, res = run(scale_config, {"settings": SAME})  # normalised values are not applied again
    assert rc == 0 and (res["changed"], res["changes"], res["commands"]) == (False, [], [])

    # daemons up: -i for what takes effect at once, the rest waits for a restart nobody does
    pod.start(["ess01a", "ess01b", "nsd01", "dgx01", "dgx02"])
    started = {k: pod.daemon_status(k)["started"] for k in ("dgx01-ib", "dgx02-ib")}
    new = [{"attr": "pagepool", "value": "8G", "scope": "dgx_clients"},
           {"attr": "verbsRdmaSend", "value": "yes", "scope": "dgx_clients"}]
    rc, res = run(scale_config, {"settings": new})
    assert rc == 0, res
    assert res["commands"] == ["mmchconfig pagepool=8G -i -N dgx_clients",
                               "mmchconfig verbsRdmaSend=yes -N dgx_clients"]
    assert res["restart_required"] == ["dgx01-ib", "dgx02-ib"] and res["restarted"] == []
    assert any("daemon restart on dgx01-ib, dgx02-ib" in str(w) for w in res["warnings"])
    assert pod.states() == dict.fromkeys(["ess01a-ib", "ess01b-ib", "nsd01-ib", "dgx01-ib", "dgx02-ib"], "active")
    assert {k: pod.daemon_status(k)["started"] for k in started} == started  # not restarted
    assert pod.facts("ess01a", ["config"])["config"]["verbsRdmaSend"] == {"dgx_clients": "yes"}
    rc, res = run(scale_config, {"settings": new})
    assert rc == 0 and res["changed"] is False and res["restart_required"] == []

    # maxblocksize waits for every daemon down
    rc, res = run(scale_config, {"settings": [{"attr": "maxblocksize", "value": "8M", "scope": ""}]})
    assert rc == 1 and res["msg"].startswith("maxblocksize=8M can only change while GPFS is down on every node")
    assert pod.facts("ess01a", ["config"])["config"]["maxblocksize"] == {"": "16M"}


def test_config_unknown_scope(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_config, {"settings": [{"attr": "pagepool", "value": "8G", "scope": "gpu_nodes"}]})
    assert rc == 1 and res["msg"] == "pagepool: scope 'gpu_nodes' is neither a node class nor a cluster node"


def test_config_rolling_restart_one_node_at_a_time_and_never_below_quorum(pod, capsys, monkeypatch):
    pod.create([*PLAN_NODES, node("dgx02")])
    classes_made(pod)
    pod.start(["ess01a", "ess01b", "nsd01", "dgx01", "dgx02"])
    run = runner(pod, "ess01a", capsys, monkeypatch)
    setting = [{"attr": "verbsRdmaSend", "value": "yes", "scope": "dgx_clients"}]
    rc, res = run(scale_config, {"settings": setting, "restart": "rolling", "timeout": 30})
    assert rc == 0, res
    assert res["commands"] == ["mmchconfig verbsRdmaSend=yes -N dgx_clients",
                               "mmshutdown -N dgx01-ib", "mmstartup -N dgx01-ib",
                               "mmshutdown -N dgx02-ib", "mmstartup -N dgx02-ib"]
    assert res["restarted"] == ["dgx01-ib", "dgx02-ib"] and res["restart_required"] == []
    assert pod.states() == dict.fromkeys(["ess01a-ib", "ess01b-ib", "nsd01-ib", "dgx01-ib", "dgx02-ib"], "active")

    # nsd01 already down: stopping ess01a would leave 1 of 3 quorum nodes, so it is not restarted
    pod.ok("ess01a", "mmshutdown", "-N", "nsd01-ib")
    pod.wait_states({"nsd01-ib": "down"})
    rc, res = run(scale_config, {"settings": [{"attr": "workerThreads", "value": "512", "scope": "ess01a-ib"}],
                                 "restart": "rolling", "timeout": 30})
    assert rc == 1 and "not restarting ess01a-ib: stopping it would lose quorum" in res["msg"], res
    assert pod.states()["ess01a-ib"] == "active"


# ---- scale_daemon --------------------------------------------------------------------------------

def test_daemon_starts_nodes_and_waits_bounded(pod, capsys, monkeypatch):
    pod.create([*PLAN_NODES, node("dgx02")])
    for h in ("ess01b", "nsd01", "dgx01"):  # each host's gpfs.service; dgx02's never runs
        pod.start_daemon(h)
    up = ["ess01a-ib", "ess01b-ib", "nsd01-ib", "dgx01-ib"]
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_daemon, {"nodes": up}, check=True)
    assert rc == 0 and res["changed"] is True and res["started"] == up
    assert set(pod.states().values()) == {"down"}

    rc, res = run(scale_daemon, {"nodes": up, "timeout": 20, "interval": 1})
    assert rc == 0, res
    assert res["started"] == up and res["states"] == dict.fromkeys(up, "active")
    rc, res = run(scale_daemon, {"nodes": ["ess01a", "dgx01-ib"], "timeout": 20})  # admin names are found too
    assert rc == 0 and res["changed"] is False and res["started"] == []

    # dgx02's daemon never runs, dgx01's is stuck (beats, never joins): fail after the timeout, one line each
    pod.set_faults([{"host": "dgx01", "kind": "daemon-stuck"}])
    assert pod.wait_states({"dgx01-ib": "arbitrating"})["dgx01-ib"] == "arbitrating"
    t0 = time.monotonic()
    rc, res = run(scale_daemon, {"nodes": [*up, "dgx02-ib"], "timeout": 3, "interval": 1})
    took = time.monotonic() - t0
    assert rc == 1
    assert res["msg"].splitlines()[:3] == ["2 node(s) not active after 3 s:", "  dgx01-ib: arbitrating",
                                           "  dgx02-ib: down"]
    assert res["started"] == ["dgx02-ib"]  # an arbitrating daemon is running: not started again
    assert res["states"]["dgx02-ib"] == "down" and res["states"]["ess01a-ib"] == "active"
    assert 3 <= took < 12


def test_daemon_unknown_node(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_daemon, {"nodes": ["dgx09-ib"]})
    assert rc == 1 and res["msg"] == "dgx09-ib is not a node of cluster twin.gpfs"


# ---- scale_vdisk ---------------------------------------------------------------------------------

UNIT1 = {"unit": "ess01", "node_class": "nc_ess01", "servers": ["ess01a-ib", "ess01b-ib"],
         "recovery_group": "rg_ess01", "vdisk_set": "vs_fs1_ess01", "code": "8+2p", "block_size": "16m",
         "set_size": "80%"}
UNIT2 = {**UNIT1, "unit": "ess02", "node_class": "nc_ess02", "servers": ["ess02a-ib", "ess02b-ib"],
         "recovery_group": "rg_ess02", "vdisk_set": "vs_fs1_ess02"}
FS1 = {"name": "fs1", "mount_point": "/gpfs/fs1"}
ESS = ["ess01a", "ess01b", "ess02a", "ess02b"]


def test_vdisk_from_nothing_to_a_file_system_then_a_second_unit_through_a_fault(tmp_path, capsys, monkeypatch):
    pod = ScalePod(tmp_path, ESS)
    try:
        pod.create([node("ess01a", True, True), node("ess01b", True, True), node("ess02a", True, True),
                    node("ess02b", False, True)])
        for unit in ("ess01", "ess02"):
            pod.ok("ess01a", "mmvdisk", "nodeclass", "create", "--node-class", f"nc_{unit}", "-N",
                   f"{unit}a-ib,{unit}b-ib")
        pod.ok("ess01a", "mmchconfig", "maxblocksize=16M")  # the plan's cluster setting, made while down
        pod.start(ESS)
        run = runner(pod, "ess01a", capsys, monkeypatch)
        args = {"units": [UNIT1], "filesystem": FS1}
        rc, res = run(scale_vdisk, args, check=True)
        steps = ["ess01: server configure", "ess01: recoverygroup create", "ess01: vdiskset define",
                 "ess01: vdiskset create", "ess01: filesystem create"]
        assert rc == 0 and res["changed"] is True and res["steps"] == steps
        assert pod.facts("ess01a", ["vdisk"])["vdisk"]["recoverygroups"] == {}

        rc, res = run(scale_vdisk, args)
        assert rc == 0, res
        assert res["steps"] == steps
        assert res["commands"][-1] == ("mmvdisk filesystem create --file-system fs1 --vdisk-set vs_fs1_ess01 "
                                       "--mmcrfs -T /gpfs/fs1 -A yes -m 1 -r 1")
        facts = pod.facts("ess01a", ["vdisk", "filesystems"])
        vs = facts["vdisk"]["vdisksets"]["vs_fs1_ess01"]
        assert (vs["created"], vs["fs"], vs["code"], vs["block_size"], vs["set_size"]) == (
            True, "fs1", "8+2p", "16m", "80%")
        fs1 = facts["filesystems"]["fs1"]
        assert (fs1["mount_point"], fs1["block_size"], fs1["automount"], len(fs1["disks"])) == (
            "/gpfs/fs1", 16 * 2**20, "yes", 2)
        rc, res = run(scale_vdisk, args)
        assert rc == 0 and res["changed"] is False and res["steps"] == []

        # the second unit; one of its canisters refuses to create vdisks (twin fault vdiskset-fail)
        pod.set_faults([{"host": "ess02a", "kind": "vdiskset-fail"}])
        args = {"units": [UNIT1, UNIT2], "filesystem": FS1}
        rc, res = run(scale_vdisk, args)
        assert rc == 1
        msg = res["msg"]
        assert msg.startswith("ess02: vdiskset create failed: ess01a: mmvdisk vdiskset create --vdisk-set vs_fs1_ess02 "
                              "failed (rc=1): mmvdisk: Error creating vdisks in recovery group 'rg_ess02' for vdisk "
                              "set 'vs_fs1_ess02': server 'ess02a-ib' returned an error (Input/output error).")
        assert "(done before it: ess02: server configure, ess02: recoverygroup create, ess02: vdiskset define; " \
               "rerun after fixing: finished steps are skipped)" in msg
        facts = pod.facts("ess01a", ["vdisk", "nsds"])
        assert facts["vdisk"]["vdisksets"]["vs_fs1_ess02"]["created"] is False  # no vdisks were made
        assert sorted(facts["nsds"]) == ["RG001LG001VS001", "RG001LG002VS001"]  # unit 1's only

        pod.set_faults([])
        rc, res = run(scale_vdisk, args)
        assert rc == 0, res
        assert res["steps"] == ["ess02: vdiskset create", "ess02: filesystem add"]
        assert res["commands"][-1] == "mmvdisk filesystem add --file-system fs1 --vdisk-set vs_fs1_ess02"
        facts = pod.facts("ess01a", ["vdisk", "filesystems"])
        assert facts["vdisk"]["vdisksets"]["vs_fs1_ess02"]["fs"] == "fs1"
        assert len(facts["filesystems"]["fs1"]["disks"]) == 4

        # a plan that differs from what exists fails, and never redefines
        rc, res = run(scale_vdisk, {"units": [{**UNIT1, "code": "8+3p"}], "filesystem": FS1})
        assert rc == 1 and "vdisk set vs_fs1_ess01 has code 8+2p, the plan says 8+3p" in res["msg"]
    finally:
        pod.stop_all()


def test_vdisk_needs_the_mmvdisk_node_class(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_vdisk, {"units": [UNIT1], "filesystem": FS1})
    assert rc == 1 and res["msg"].startswith("mmvdisk node class(es) nc_ess01 missing")


# ---- scale_nsd -----------------------------------------------------------------------------------

def nsd(dev, name=None):
    return {"name": name or f"nsd_nsd01_{dev.rsplit('/', 1)[-1]}", "device": dev, "server": "nsd01",
            "servers": ["nsd01-ib"], "failure_group": 2}


def test_nsd_refuses_a_disk_with_a_gpfs_descriptor_unless_forced(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    want = [nsd("/dev/sdb"), nsd("/dev/sdc")]  # /dev/sdc belonged to a file system once
    args = {"nsds": want, "stanza_dir": str(pod.tmp / "stanzas")}
    rc, res = run(scale_nsd, args, check=True)
    assert rc == 0 and res["changed"] is True and res["created"] == ["nsd_nsd01_sdb", "nsd_nsd01_sdc"]
    assert res["stanza"].splitlines()[1] == ("%nsd: device=/dev/sdc nsd=nsd_nsd01_sdc servers=nsd01-ib "
                                             "usage=dataAndMetadata pool=system failureGroup=2")

    rc, res = run(scale_nsd, args)
    assert rc == 1
    assert res["msg"].startswith("nsd01: /dev/sdc already holds a GPFS disk descriptor")
    assert "Nothing was written" in res["msg"] and "IBM says: mmcrnsd: Disk /dev/sdc on node nsd01-ib" in res["msg"]
    assert pod.facts("ess01a", ["nsds"])["nsds"] == {}  # not even /dev/sdb
    assert list((pod.tmp / "stanzas").iterdir()) == []  # the stanza file is removed

    rc, res = run(scale_nsd, {**args, "force": True})
    assert rc == 0, res
    assert res["created"] == ["nsd_nsd01_sdb", "nsd_nsd01_sdc"]
    assert res["commands"][0].startswith("mmcrnsd -F ") and res["commands"][0].endswith(" -v no")
    nsds = pod.facts("ess01a", ["nsds"])["nsds"]
    assert {n: (r["servers"], r["fs"]) for n, r in nsds.items()} == {
        "nsd_nsd01_sdb": (["nsd01-ib"], None), "nsd_nsd01_sdc": (["nsd01-ib"], None)}

    rc, res = run(scale_nsd, args)
    assert rc == 0 and res["changed"] is False and res["created"] == [] and res["commands"] == []


def test_nsd_name_on_another_device_is_refused(pod, capsys, monkeypatch):
    pod.create()
    pod.ok("ess01a", "mmcrnsd", "-F", pod.write("st", "%nsd: device=/dev/sdb nsd=nsd_nsd01_sdb servers=nsd01-ib\n"))
    run = runner(pod, "ess01a", capsys, monkeypatch)
    assert pod.facts("ess01a", ["nsds"])["nsds"]["nsd_nsd01_sdb"]["device"] == "/dev/sdb"
    rc, res = run(scale_nsd, {"nsds": [nsd("/dev/sdd", "nsd_nsd01_sdb")]})
    assert rc == 1 and res["msg"].startswith("NSD nsd_nsd01_sdb exists on /dev/sdb, the plan says /dev/sdd")


def test_nsd_clean_disks_with_descriptor_check(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_nsd, {"nsds": [nsd("/dev/sdb"), nsd("/dev/sdd")], "stanza_dir": str(pod.tmp / "st")})
    assert rc == 0, res
    assert res["commands"][0].endswith(" -v yes")
    assert sorted(pod.facts("ess01a", ["nsds"])["nsds"]) == ["nsd_nsd01_sdb", "nsd_nsd01_sdd"]


# ---- scale_filesystem and scale_mount --------------------------------------------------------------

def test_filesystem_created_then_grown_then_mounted_everywhere(tmp_path, capsys, monkeypatch):
    hosts = ["nsd01", "dgx01", "dgx02"]
    pod = ScalePod(tmp_path, hosts)
    try:
        pod.create([node("nsd01", True, True), node("dgx01"), node("dgx02")], primary="nsd01")
        pod.ok("nsd01", "mmcrnsd", "-F", pod.write("st", "%nsd: device=/dev/sdb nsd=nsd_sdb servers=nsd01-ib\n"
                                                        "%nsd: device=/dev/sdd nsd=nsd_sdd servers=nsd01-ib\n"))
        pod.start(hosts, primary="nsd01")
        run = runner(pod, "nsd01", capsys, monkeypatch)
        args = {"name": "fs1", "mount_point": "/gpfs/fs1", "block_size": "4M", "disks": ["nsd_sdb"],
                "stanza_dir": str(tmp_path / "st-dir")}
        rc, res = run(scale_filesystem, args, check=True)
        assert rc == 0 and (res["changed"], res["created"], res["added"]) == (True, True, [])
        rc, res = run(scale_filesystem, args)
        assert rc == 0, res
        assert res["created"] is True
        assert res["commands"][0].startswith("mmcrfs fs1 -F ")
        assert res["commands"][0].endswith(" -B 4M -T /gpfs/fs1 -A yes -m 1 -r 1")
        fs1 = pod.facts("nsd01", ["filesystems"])["filesystems"]["fs1"]
        assert (fs1["disks"], fs1["block_size"], fs1["mount_point"]) == (["nsd_sdb"], 4 * 2**20, "/gpfs/fs1")
        assert run(scale_filesystem, {**args, "block_size": "4194304"})[1]["changed"] is False

        # a disk more: mmadddisk, never mmcrfs again
        grown = {**args, "disks": ["nsd_sdb", "nsd_sdd"]}
        rc, res = run(scale_filesystem, grown)
        assert rc == 0, res
        assert (res["created"], res["added"]) == (False, ["nsd_sdd"])
        assert [c.split()[:2] for c in res["commands"]] == [["mmadddisk", "fs1"]]
        assert pod.facts("nsd01", ["filesystems"])["filesystems"]["fs1"]["disks"] == ["nsd_sdb", "nsd_sdd"]
        assert run(scale_filesystem, grown)[1]["changed"] is False
        rc, res = run(scale_filesystem, {**grown, "block_size": "16M"})
        assert rc == 1 and "fs1 has block size 4194304, the plan says 16M" in res["msg"]

        # mounted on the clients, and at every daemon start
        pod.ok("nsd01", "mmchfs", "fs1", "-A", "no")
        margs = {"name": "fs1", "nodes": ["dgx01-ib", "dgx02-ib"], "timeout": 20}
        rc, res = run(scale_mount, margs, check=True)
        assert rc == 0 and res["changed"] is True and res["mounted"] == ["dgx01-ib", "dgx02-ib"]
        assert pod.facts("nsd01", ["mounts"])["mounts"] == {}
        rc, res = run(scale_mount, margs)
        assert rc == 0, res
        assert res["commands"] == ["mmchfs fs1 -A yes", "mmmount fs1 -N dgx01-ib,dgx02-ib"]
        assert res["mounted_on"] == ["dgx01-ib", "dgx02-ib"]
        facts = pod.facts("nsd01", ["filesystems", "mounts"])
        assert facts["filesystems"]["fs1"]["automount"] == "yes"
        assert facts["mounts"]["fs1"] == ["dgx01-ib", "dgx02-ib"]
        assert (pod.root("dgx01") / "gpfs" / "fs1").is_symlink()  # the emulator's mount, on that node
        rc, res = run(scale_mount, margs)
        assert rc == 0 and res["changed"] is False and res["mounted"] == [] and res["commands"] == []
    finally:
        pod.stop_all()


def test_mount_of_a_missing_file_system(pod, capsys, monkeypatch):
    pod.create()
    run = runner(pod, "ess01a", capsys, monkeypatch)
    rc, res = run(scale_mount, {"name": "fs1", "nodes": ["dgx01-ib"]}, check=True)
    assert rc == 0 and res["changed"] is True and "does not exist yet" in res["msg"]
    rc, res = run(scale_mount, {"name": "fs1", "nodes": ["dgx01-ib"]})
    assert rc == 1 and res["msg"] == "file system fs1 does not exist; run the storage phase first"


# ---- the modules' pure parts ----------------------------------------------------------------------

def test_class_commands():
    current = {"dgx_clients": {"members": ["dgx01-ib", "dgx03-ib"]}}
    vdisk = {"nc_ess01": {"members": ["ess01a-ib.pod.example", "ess01b-ib.pod.example"]}}
    want = {"dgx_clients": {"members": ["dgx01-ib", "dgx02-ib"]},
            "nc_ess01": {"members": ["ess01a-ib", "ess01b-ib"], "mmvdisk": True},
            "nsd_servers": {"members": ["nsd01-ib"]}}
    cmds, conflicts = scale_nodeclass.class_commands(current, vdisk, want)
    assert cmds == [["mmchnodeclass", "dgx_clients", "add", "-N", "dgx02-ib"],
                    ["mmchnodeclass", "dgx_clients", "delete", "-N", "dgx03-ib"],
                    ["mmcrnodeclass", "nsd_servers", "-N", "nsd01-ib"]]
    assert conflicts == []


FS_NSDS = {"nsd_a": {"fs": "fs1"}, "nsd_b": {"fs": None}, "nsd_c": {"fs": "fs9"}}
FS_P = {"name": "fs1", "mount_point": "/gpfs/fs1", "block_size": "16M", "disks": ["nsd_a", "nsd_b"]}


def test_fs_changes():
    assert scale_filesystem.fs_changes({}, FS_NSDS, FS_P) == (True, [], [])
    existing = {"fs1": {"block_size": 16 * 2**20, "mount_point": "/gpfs/fs1"}}
    assert scale_filesystem.fs_changes(existing, FS_NSDS, FS_P) == (False, ["nsd_b"], [])
    create, add, conflicts = scale_filesystem.fs_changes(existing, FS_NSDS, {**FS_P, "disks": ["nsd_c", "nsd_x"],
                                                                             "block_size": "4M"})
    assert (create, add) == (False, [])
    assert conflicts == ["NSD nsd_x does not exist (run the NSD step first)", "NSD nsd_c belongs to file system fs9",
                         "fs1 has block size 16777216, the plan says 4M (a block size cannot change; deploy-pod "
                         "never re-creates a file system)"]


def test_fs_changes_reports_another_mount_point():
    existing = {"fs1": {"block_size": 16 * 2**20, "mount_point": "/gpfs/old"}}
    _, _, conflicts = scale_filesystem.fs_changes(existing, FS_NSDS, FS_P)
    assert any("/gpfs/old" in c for c in conflicts)


def test_unmounted_matches_short_and_long_names():
    facts = {"mounts": {"fs1": ["dgx01-ib.pod.example"]},
             "nodes": {"dgx01-ib.pod.example": {"daemon": "dgx01-ib.pod.example", "admin": "dgx01"},
                       "dgx02-ib": {"daemon": "dgx02-ib", "admin": "dgx02"}}}
    assert scale_mount.unmounted(facts, "fs1", ["dgx01-ib", "dgx02-ib"]) == ["dgx02-ib"]
    assert scale_mount.unmounted(facts, "fs2", ["dgx01-ib"]) == ["dgx01-ib"]
