"""deploy_pod.pod scale_ops: the pure diff functions the state-changing Scale modules share
(values, nodes, daemon state, storage) and the MM runner, without any emulator."""

from __future__ import annotations

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_facts as sf
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_ops as so
from ansible_collections.deploy_pod.pod.plugins.modules.scale_cluster import plan_commands

# ---- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["16M", "16777216", "16384K", "16m", "16MiB", "16MB", "16 M", "0.015625G"])
def test_sizes_normalise_to_bytes(value):
    assert so.normalise("pagepool", value) == "16777216"


@pytest.mark.parametrize(("a", "b"), [("16G", "17179869184"), ("1T", "1024G"), ("512k", "524288"),
                                      ("1.5G", "1536M")])
def test_equal_sizes_compare_equal(a, b):
    assert so.normalise("pagepool", a) == so.normalise("pagepool", b)


@pytest.mark.parametrize(("value", "want"), [("enable", "yes"), ("yes", "yes"), ("Enabled", "yes"), ("true", "yes"),
                                             ("on", "yes"), ('"enable"', "yes"), ("disable", "no"), ("no", "no"),
                                             ("DISABLED", "no"), ("off", "no"), ("false", "no")])
def test_booleans_normalise_to_yes_no(value, want):
    assert so.normalise("verbsRdma", value) == want


def test_verbs_ports_compare_as_sets():
    assert so.normalise("verbsPorts", "mlx5_1/1/2 mlx5_0/1/1") == so.normalise("verbsPorts", "mlx5_0/1/1  mlx5_1/1/2")
    assert so.normalise("verbsPorts", "mlx5_1/1 mlx5_0/1") == "mlx5_0/1 mlx5_1/1"
    assert so.normalise("verbsPorts", "mlx5_0/1") != so.normalise("verbsPorts", "mlx5_0/1 mlx5_1/1")


def test_other_values_are_kept_as_text():
    assert so.normalise("workerThreads", 1024) == "1024"
    assert so.normalise("readReplicaPolicy", " local ") == "local"
    assert so.normalise("minReleaseLevel", "5.2.1.0") == "5.2.1.0"
    assert so.normalise("maxMBpS", "100000") == "100000"


MMLSCONFIG = {  # what parse_config returns: attr -> {nodeList: value}
    "pagepool": {"": "1G", "dgx_clients": "16G", "ess01a-ib,ess01b-ib": "32G"},
    "verbsPorts": {"dgx01-ib,dgx02-ib": "mlx5_0/1/1 mlx5_1/1/2", "ess01a-ib": "mlx5_0/1/1"},
    "verbsRdma": {"dgx_clients": "enable"},
    "maxblocksize": {"": "16M"},
}


def test_current_value_exact_scope_and_merged_node_lists():
    assert so.current_value(MMLSCONFIG, "pagepool", "") == "1G"
    assert so.current_value(MMLSCONFIG, "pagepool", "dgx_clients") == "16G"
    # mmlsconfig lists nodes with equal values together: each of them has that value
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx01-ib") == "mlx5_0/1/1 mlx5_1/1/2"
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx02-ib") == "mlx5_0/1/1 mlx5_1/1/2"
    assert so.current_value(MMLSCONFIG, "pagepool", "ess01b-ib") == "32G"
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx01-ib,dgx02-ib") == "mlx5_0/1/1 mlx5_1/1/2"
    # a multi-node scope in another order than mmlsconfig prints it is the same scope
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx02-ib,dgx01-ib") == "mlx5_0/1/1 mlx5_1/1/2"
    assert so.current_value({"pagepool": {"dgx01-ib, dgx02-ib": "16G"}}, "pagepool", "dgx02-ib") == "16G"


def test_current_value_is_only_what_is_set_for_that_scope():
    # the cluster-wide value is not the class's value: a class setting must still be applied
    assert so.current_value(MMLSCONFIG, "pagepool", "nsd_servers") is None
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx03-ib") is None
    assert so.current_value(MMLSCONFIG, "verbsPorts", "dgx01") is None  # no prefix matching
    assert so.current_value(MMLSCONFIG, "workerThreads", "") is None
    assert so.current_value({}, "pagepool", "") is None


def test_config_changes_only_what_differs_after_normalising():
    desired = [
        {"attr": "maxblocksize", "value": "16777216", "scope": ""},  # 16M == 16777216
        {"attr": "pagepool", "value": "16384M", "scope": "dgx_clients"},  # == 16G
        {"attr": "verbsRdma", "value": "yes", "scope": "dgx_clients"},  # enable == yes
        {"attr": "verbsPorts", "value": "mlx5_1/1/2 mlx5_0/1/1", "scope": "dgx02-ib"},  # order
        {"attr": "pagepool", "value": "64G", "scope": "ess01a-ib"},  # differs
        {"attr": "verbsRdmaSend", "value": "yes", "scope": "dgx_clients"},  # not set at all
        {"attr": "pagepool", "value": "1G"},  # scope defaults to cluster-wide
    ]
    assert so.config_changes(desired, MMLSCONFIG) == [
        {"attr": "pagepool", "scope": "ess01a-ib", "before": "32G", "after": "64G"},
        {"attr": "verbsRdmaSend", "scope": "dgx_clients", "before": None, "after": "yes"},
    ]


def test_config_changes_keep_the_desired_spelling():
    [c] = so.config_changes([{"attr": "workerThreads", "value": 1024, "scope": "nsd_servers"}], {})
    assert c == {"attr": "workerThreads", "scope": "nsd_servers", "before": None, "after": "1024"}


def test_group_by_scope_one_command_per_scope_in_first_seen_order():
    changes = [{"attr": "a", "scope": "dgx_clients"}, {"attr": "b", "scope": ""},
               {"attr": "c", "scope": "dgx_clients"}, {"attr": "d", "scope": "dgx01-ib"}]
    groups = so.group_by_scope(changes)
    assert [s for s, _ in groups] == ["dgx_clients", "", "dgx01-ib"]
    assert [c["attr"] for c in groups[0][1]] == ["a", "c"]
    assert so.group_by_scope([]) == []


def test_assignment():
    assert so.assignment("pagepool", "16G") == "pagepool=16G"
    assert so.assignment("verbsPorts", "mlx5_0/1 mlx5_1/1") == "verbsPorts=mlx5_0/1 mlx5_1/1"


def test_scope_members():
    nodes = {"dgx02-ib": {"number": 4}, "ess01a-ib": {"number": 1}, "dgx01-ib": {"number": 3},
             "ess01b-ib": {"number": 2}}
    classes = {"dgx_clients": {"members": ["dgx01-ib", "dgx02-ib"]}, "empty": {"members": None}}
    assert so.scope_members("", classes, nodes) == ["ess01a-ib", "ess01b-ib", "dgx01-ib", "dgx02-ib"]
    assert so.scope_members("dgx_clients", classes, nodes) == ["dgx01-ib", "dgx02-ib"]
    assert so.scope_members("empty", classes, nodes) == []
    assert so.scope_members("dgx01-ib", classes, nodes) == ["dgx01-ib"]
    assert so.scope_members("dgx01-ib,ess01a-ib,", classes, nodes) == ["dgx01-ib", "ess01a-ib"]


def test_immediate_and_all_down_sets_match_the_emulator_where_it_matters():
    assert {"pagepool", "maxMBpS", "autoload"} <= so.IMMEDIATE
    assert not {"verbsRdma", "verbsPorts", "workerThreads", "verbsRdmaSend"} & so.IMMEDIATE
    assert {"maxblocksize"} == so.ALL_DOWN


# ---- nodes -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("quorum", "manager", "want"), [(True, True, "quorum-manager"), (True, False, "quorum"),
                                                          (False, True, "manager"), (False, False, "client")])
def test_designation(quorum, manager, want):
    assert so.designation(quorum, manager) == want


def node(daemon, quorum=False, manager=False, license="client", admin=None):
    return {"daemon": daemon, "admin": admin or daemon.removesuffix("-ib"), "quorum": quorum, "manager": manager,
            "license": license}


PLAN = [node("ess01a-ib", True, True, "server"), node("ess01b-ib", True, True, "server"),
        node("dgx01-ib", True, False, "server"), node("dgx02-ib")]


def test_node_file_lines():
    assert so.node_file(PLAN) == ("ess01a-ib:quorum-manager:ess01a\ness01b-ib:quorum-manager:ess01b\n"
                                  "dgx01-ib:quorum:dgx01\ndgx02-ib:client:dgx02\n")
    assert so.node_file([]) == ""


def cluster_node(key, quorum=False, manager=False, license="client", admin=None, number=1, state="active"):
    """A node as scale_facts returns it."""
    return {"number": number, "daemon": key, "admin": admin or key.removesuffix("-ib"), "ip": "10.0.0.1",
            "quorum": quorum, "manager": manager, "designation": "", "roles": [], "state": state,
            "license": license}


def current_of(plan, **over):
    out = {}
    for i, n in enumerate(plan, 1):
        out[n["daemon"]] = cluster_node(n["daemon"], n["quorum"], n["manager"], n["license"], n["admin"], i)
    for k, v in over.items():
        out[k.replace("_", "-")].update(v)
    return out


def test_find_current_by_daemon_admin_or_short_name():
    nodes = {"ess01a-ib.pod.example": cluster_node("ess01a-ib.pod.example", admin="ess01a.pod.example"),
             "dgx01-ib": cluster_node("dgx01-ib", admin="dgx01")}
    assert so.find_current(nodes, "dgx01-ib", "dgx01") == "dgx01-ib"
    assert so.find_current(nodes, "ess01a-ib", "ess01a") == "ess01a-ib.pod.example"  # short name
    assert so.find_current(nodes, "dgx01-new", "dgx01") == "dgx01-ib"  # same admin name
    assert so.find_current(nodes, "dgx02-ib", "dgx02") is None
    assert so.find_current({}, "dgx01-ib", "dgx01") is None


def test_node_changes_nothing_when_the_cluster_matches():
    ch = so.node_changes(current_of(PLAN), PLAN)
    assert ch == {"add": [], "quorum_on": [], "quorum_off": [], "manager_on": [], "manager_off": [],
                  "licences": {}, "extra": []}


def test_node_changes_adds_missing_nodes_with_their_licence():
    current = current_of(PLAN[:3])
    dgx03 = node("dgx03-ib")
    ch = so.node_changes(current, [*PLAN, dgx03])
    assert ch["add"] == [PLAN[3], dgx03]
    assert ch["licences"] == {"client": ["dgx02-ib", "dgx03-ib"]}
    assert ch["quorum_on"] == ch["quorum_off"] == ch["manager_on"] == ch["manager_off"] == ch["extra"] == []


def test_node_changes_designations():
    current = current_of(PLAN, dgx01_ib={"quorum": False}, ess01b_ib={"manager": False},
                         dgx02_ib={"quorum": True, "manager": True})
    ch = so.node_changes(current, PLAN)
    assert (ch["quorum_on"], ch["quorum_off"], ch["manager_on"], ch["manager_off"]) == (
        ["dgx01-ib"], ["dgx02-ib"], ["ess01b-ib"], ["dgx02-ib"])
    assert ch["add"] == [] and ch["licences"] == {}


def test_node_changes_licences_differing_and_unknown():
    current = current_of(PLAN, dgx01_ib={"license": "client"}, dgx02_ib={"license": "none"},
                         ess01a_ib={"license": None})  # None: no mmlslicense, left alone
    ch = so.node_changes(current, PLAN)
    assert ch["licences"] == {"server": ["dgx01-ib"], "client": ["dgx02-ib"]}


def test_node_changes_reports_extra_nodes_never_deletes():
    current = current_of([*PLAN, node("old01-ib", license="client")])
    ch = so.node_changes(current, PLAN)
    assert ch["extra"] == ["old01-ib"]
    assert ch["add"] == [] and ch["quorum_off"] == [] and ch["licences"] == {}


def test_node_changes_match_nodes_listed_by_long_names():
    current = {f"{n['daemon']}.pod.example": cluster_node(f"{n['daemon']}.pod.example", n["quorum"], n["manager"],
                                                          n["license"], f"{n['admin']}.pod.example")
               for n in PLAN}
    ch = so.node_changes(current, PLAN)
    assert ch["add"] == [] and ch["extra"] == [] and ch["licences"] == {}


def test_quorum_after():
    current = current_of(PLAN)
    assert so.quorum_after(current, so.node_changes(current, PLAN)) == 3
    moved = [node("ess01a-ib", True, True, "server"), node("ess01b-ib", False, True, "server"),
             node("dgx01-ib", False, False, "client"), node("dgx02-ib", True, False, "server"),
             node("dgx03-ib", True, False, "server")]
    assert so.quorum_after(current, so.node_changes(current, moved)) == 3  # ess01a, dgx02, dgx03
    none = [{**n, "quorum": False} for n in PLAN]
    assert so.quorum_after(current, so.node_changes(current, none)) == 0


def test_plan_commands_quorum_grows_before_it_shrinks():
    """scale_cluster's order: mmaddnode, licences, --quorum, --manager, --nonmanager, --nonquorum."""
    current = current_of(PLAN)
    moved = [node("ess01a-ib", True, True, "server"), node("ess01b-ib", False, False, "client"),
             node("dgx01-ib", True, False, "server"), node("dgx02-ib", True, True, "server"),
             node("dgx03-ib", True, False, "server")]
    facts = {"member": True, "nodes": current}
    p = {"nodes": moved}
    cmds, changes = plan_commands(facts, p)
    assert [(c, a) for c, a, _ in cmds] == [
        ("mmaddnode", ["--accept"]),
        ("mmchlicense", ["server", "--accept", "-N", "dgx02-ib,dgx03-ib"]),
        ("mmchlicense", ["client", "--accept", "-N", "ess01b-ib"]),
        ("mmchnode", ["--quorum", "-N", "dgx02-ib"]),
        ("mmchnode", ["--manager", "-N", "dgx02-ib"]),
        ("mmchnode", ["--nonmanager", "-N", "ess01b-ib"]),
        ("mmchnode", ["--nonquorum", "-N", "ess01b-ib"]),
    ]
    assert cmds[0][2] == [moved[4]]  # the node file holds the new node only
    assert changes["create"] is False
    # a new quorum node comes in with mmaddnode (first), then the others gain quorum, then it shrinks
    names = [c for c, _, _ in cmds]
    assert names.index("mmaddnode") < names.index("mmchnode")
    assert [a[0] for c, a, _ in cmds if c == "mmchnode"][0] == "--quorum"
    assert [a[0] for c, a, _ in cmds if c == "mmchnode"][-1] == "--nonquorum"


def test_plan_commands_one_mmchnode_per_node_quorum_grows_first():
    """Scale-out moves quorum from two nodes to two others: each gains quorum on its own mmchnode,
    both before any loses it, and each loses it on its own mmchnode."""
    current = current_of(PLAN + [node("dgx03-ib"), node("dgx04-ib")])
    moved = [node("ess01a-ib", True, True, "server"), node("ess01b-ib", False, True, "server"),
             node("dgx01-ib", False, False, "server"), node("dgx02-ib"),
             node("dgx03-ib", True, False, "client"), node("dgx04-ib", True, False, "client")]
    cmds, changes = plan_commands({"member": True, "nodes": current}, {"nodes": moved})
    assert [(c, a) for c, a, _ in cmds] == [
        ("mmchnode", ["--quorum", "-N", "dgx03-ib"]),
        ("mmchnode", ["--quorum", "-N", "dgx04-ib"]),
        ("mmchnode", ["--nonquorum", "-N", "ess01b-ib"]),
        ("mmchnode", ["--nonquorum", "-N", "dgx01-ib"]),
    ]
    assert changes["quorum_on"] == ["dgx03-ib", "dgx04-ib"] and changes["quorum_off"] == ["ess01b-ib", "dgx01-ib"]
    # never fewer quorum nodes than before at any step: 3 -> 4 -> 5 -> 4 -> 3
    q = {k for k, n in current.items() if n["quorum"]}
    sizes = [len(q)]
    for _, (flag, _, name), _ in cmds:
        q = q | {name} if flag == "--quorum" else q - {name}
        sizes.append(len(q))
    assert sizes == [3, 4, 5, 4, 3]
    assert all(len(a) == 3 for c, a, _ in cmds if c == "mmchnode")  # one node each


def test_plan_commands_new_cluster():
    p = {"nodes": PLAN, "cluster_name": "twin.gpfs", "remote_shell": "/usr/bin/ssh", "remote_copy": "/usr/bin/scp",
         "autoload": True}
    cmds, changes = plan_commands({"member": False}, p)
    assert [(c, a) for c, a, _ in cmds] == [
        ("mmcrcluster", ["-C", "twin.gpfs", "-r", "/usr/bin/ssh", "-R", "/usr/bin/scp", "-A", "--ccr-enable"]),
        ("mmchlicense", ["server", "--accept", "-N", "ess01a-ib,ess01b-ib,dgx01-ib"]),
        ("mmchlicense", ["client", "--accept", "-N", "dgx02-ib"]),
    ]
    assert cmds[0][2] == PLAN and changes["create"] is True and changes["add"] == PLAN
    cmds, _ = plan_commands({"member": False}, {**p, "autoload": False})
    assert "-A" not in cmds[0][1]


def test_plan_commands_nothing_to_do():
    assert plan_commands({"member": True, "nodes": current_of(PLAN)}, {"nodes": PLAN})[0] == []


# ---- daemon state ----------------------------------------------------------------------------

def test_not_active():
    nodes = {"a": {"state": "active"}, "b": {"state": "arbitrating"}, "c": {"state": "down"}, "d": {"state": None}}
    assert so.not_active(nodes, ["a", "b", "c", "d", "e"]) == {"b": "arbitrating", "c": "down", "d": "unknown",
                                                               "e": "unknown"}
    assert so.not_active(nodes, ["a"]) == {}
    assert so.not_active(nodes, []) == {}


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self):
        return self.now

    def sleep(self, s):
        self.sleeps.append(s)
        self.now += s


def test_wait_active_returns_once_every_node_is_active():
    fc = FakeClock()
    reads = iter([{"a": {"state": "down"}, "b": {"state": "active"}},
                  {"a": {"state": "arbitrating"}, "b": {"state": "active"}},
                  {"a": {"state": "active"}, "b": {"state": "active"}}])
    assert so.wait_active(lambda: next(reads), ["a", "b"], 60, 2, clock=fc.clock, sleep=fc.sleep) == {}
    assert fc.sleeps == [2, 2]


def test_wait_active_times_out_with_the_nodes_still_not_active():
    fc = FakeClock()
    calls = []

    def read():
        calls.append(fc.now)
        return {"a": {"state": "active"}, "b": {"state": "arbitrating"}}

    assert so.wait_active(read, ["a", "b", "c"], 10, 3, clock=fc.clock, sleep=fc.sleep) == {
        "b": "arbitrating", "c": "unknown"}
    assert fc.sleeps == [3, 3, 3, 3]  # 1000, 1003, 1006, 1009, 1012 >= deadline 1010
    assert calls == [1000, 1003, 1006, 1009, 1012]


def test_wait_active_already_active_does_not_sleep():
    fc = FakeClock()
    assert so.wait_active(lambda: {"a": {"state": "active"}}, ["a"], 300, clock=fc.clock, sleep=fc.sleep) == {}
    assert fc.sleeps == []


def test_wait_active_zero_timeout_reads_once():
    fc = FakeClock()
    assert so.wait_active(lambda: {}, ["a"], 0, clock=fc.clock, sleep=fc.sleep) == {"a": "unknown"}
    assert fc.sleeps == []


def test_not_active_message_one_line_per_node():
    msg = so.not_active_message({"dgx02-ib": "down", "dgx01-ib": "arbitrating"}, 3)
    lines = msg.splitlines()
    assert lines[0] == "2 node(s) not active after 3 s:"
    assert lines[1:3] == ["  dgx01-ib: arbitrating", "  dgx02-ib: down"]
    assert "mmfs.log.latest" in lines[3] and "'arbitrating' means" in lines[3]
    assert so.not_active_message({"a": "down"}, 2.5).startswith("1 node(s) not active after 2.5 s:")


def q(state, quorum=True):
    return {"quorum": quorum, "state": state}


def test_quorum_safe_to_stop():
    three = {"a": q("active"), "b": q("active"), "c": q("active"), "d": q("active", False)}
    assert so.quorum_safe_to_stop(three, "a")  # 2 of 3 left
    assert so.quorum_safe_to_stop(three, "d")  # not a quorum node
    one_down = {**three, "c": q("down")}
    assert not so.quorum_safe_to_stop(one_down, "a")  # 1 of 3 left
    assert so.quorum_safe_to_stop(one_down, "d")  # 2 of 3 stay
    assert so.quorum_safe_to_stop(one_down, "c")  # stopping a node that is down changes nothing
    arbitrating = {**three, "b": q("arbitrating")}
    assert not so.quorum_safe_to_stop(arbitrating, "a")
    assert not so.quorum_safe_to_stop({"a": q("active")}, "a")  # the only quorum node
    five = {k: q("active") for k in "abcde"}
    assert so.quorum_safe_to_stop(five, "a")
    assert not so.quorum_safe_to_stop({**five, "b": q("down"), "c": q("down")}, "a")  # 2 of 5 left


# ---- storage ---------------------------------------------------------------------------------

NSD1 = {"name": "nsd_nsd01_nvme0n1", "device": "/dev/nvme0n1", "servers": ["nsd01-ib", "nsd02-ib"],
        "failure_group": 2}


def test_nsd_stanza():
    text = so.nsd_stanza([NSD1, {"name": "m1", "device": "/dev/sdb", "servers": ["nsd02-ib"], "usage": "metadataOnly",
                                 "pool": "system", "failure_group": 0},
                          {"name": "d1", "device": "/dev/sdc", "servers": ["nsd02-ib"], "usage": "dataOnly",
                           "pool": "data"}])
    assert text == (
        "%nsd: device=/dev/nvme0n1 nsd=nsd_nsd01_nvme0n1 servers=nsd01-ib,nsd02-ib usage=dataAndMetadata pool=system "
        "failureGroup=2\n"
        "%nsd: device=/dev/sdb nsd=m1 servers=nsd02-ib usage=metadataOnly pool=system failureGroup=0\n"
        "%nsd: device=/dev/sdc nsd=d1 servers=nsd02-ib usage=dataOnly pool=data\n")


def test_nsd_changes():
    other = {"name": "nsd_nsd02_nvme0n1", "device": "/dev/nvme0n1", "servers": ["nsd02-ib"]}
    assert so.nsd_changes({}, [NSD1, other]) == {"create": [NSD1, other], "conflicts": []}
    current = {"nsd_nsd01_nvme0n1": {"device": "/dev/nvme0n1", "servers": ["nsd01-ib", "nsd02-ib"], "fs": None}}
    assert so.nsd_changes(current, [NSD1, other]) == {"create": [other], "conflicts": []}
    served = {"nsd_nsd01_nvme0n1": {"device": "/dev/nvme0n1", "servers": ["nsd01-ib"], "fs": None}}
    assert so.nsd_changes(served, [NSD1])["conflicts"] == [
        "NSD nsd_nsd01_nvme0n1 is served by nsd01-ib, the plan says nsd01-ib,nsd02-ib (change it with mmchnsd)"]
    moved = {"nsd_nsd01_nvme0n1": {"device": "/dev/nvme1n1", "servers": ["nsd01-ib"]}}
    assert so.nsd_changes(moved, [NSD1]) == {
        "create": [], "conflicts": ["NSD nsd_nsd01_nvme0n1 exists on /dev/nvme1n1, the plan says /dev/nvme0n1"]}
    # mmlsnsd without -X names no device: nothing to compare, nothing to create
    assert so.nsd_changes({"nsd_nsd01_nvme0n1": {"device": None}}, [NSD1]) == {"create": [], "conflicts": []}


UNIT1 = {"unit": "ess01", "node_class": "nc_ess01", "recovery_group": "rg_ess01", "vdisk_set": "vs_fs1_ess01",
         "servers": ["ess01a-ib", "ess01b-ib"], "code": "8+2p", "block_size": "16m", "set_size": "80%"}
UNIT2 = {**UNIT1, "unit": "ess02", "node_class": "nc_ess02", "recovery_group": "rg_ess02",
         "vdisk_set": "vs_fs1_ess02", "servers": ["ess02a-ib", "ess02b-ib"]}
FS = {"name": "fs1", "mount_point": "/gpfs/fs1", "data_replicas": 1, "metadata_replicas": 1}


def steps_of(steps):
    return [f"{s['unit']}: {s['step']}" for s in steps]


def servers(*names):
    return {n: {"number": i, "active": True, "remarks": "configured", "nodeclass": None} for i, n in enumerate(names)}


def vset(created=False, fs=None, code="8+2p", block_size="16m", set_size="80%"):
    return {"created": created, "fs": fs, "recoverygroups": ["rg_ess01"], "code": code, "block_size": block_size,
            "set_size": set_size, "nsd_usage": "dataAndMetadata", "storage_pool": "system"}


def test_vdisk_steps_fresh_pod():
    steps, conflicts = so.vdisk_steps({}, {}, [UNIT1], FS)
    assert conflicts == []
    assert steps_of(steps) == ["ess01: server configure", "ess01: recoverygroup create", "ess01: vdiskset define",
                               "ess01: vdiskset create", "ess01: filesystem create"]
    assert [s["args"] for s in steps] == [
        ["server", "configure", "--node-class", "nc_ess01", "--recycle", "one"],
        ["recoverygroup", "create", "--recovery-group", "rg_ess01", "--node-class", "nc_ess01"],
        ["vdiskset", "define", "--vdisk-set", "vs_fs1_ess01", "--recovery-group", "rg_ess01", "--code", "8+2p",
         "--block-size", "16m", "--set-size", "80%"],
        ["vdiskset", "create", "--vdisk-set", "vs_fs1_ess01"],
        ["filesystem", "create", "--file-system", "fs1", "--vdisk-set", "vs_fs1_ess01", "--mmcrfs", "-T", "/gpfs/fs1",
         "-A", "yes", "-m", "1", "-r", "1"],
    ]


def test_vdisk_steps_replicas_default_to_one_and_follow_the_plan():
    steps, _ = so.vdisk_steps({}, {}, [UNIT1], {"name": "fs1", "mount_point": "/gpfs/fs1"})
    assert steps[-1]["args"][-4:] == ["-m", "1", "-r", "1"]
    steps, _ = so.vdisk_steps({}, {}, [UNIT1], {**FS, "metadata_replicas": 2, "data_replicas": 3})
    assert steps[-1]["args"][-4:] == ["-m", "2", "-r", "3"]


def test_vdisk_steps_two_units_fresh_second_is_added():
    steps, conflicts = so.vdisk_steps({}, {}, [UNIT1, UNIT2], FS)
    assert conflicts == []
    assert steps_of(steps)[5:] == ["ess02: server configure", "ess02: recoverygroup create", "ess02: vdiskset define",
                                   "ess02: vdiskset create", "ess02: filesystem add"]
    assert steps[-1]["args"] == ["filesystem", "add", "--file-system", "fs1", "--vdisk-set", "vs_fs1_ess02"]


def test_vdisk_steps_half_done_pod():
    """Servers configured, recovery group made, vdisk set defined but not created (a run that stopped)."""
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {"nodeclass": "nc_ess01"}},
          "vdisksets": {"vs_fs1_ess01": vset()}}
    steps, conflicts = so.vdisk_steps(vd, {}, [UNIT1], FS)
    assert (steps_of(steps), conflicts) == (["ess01: vdiskset create", "ess01: filesystem create"], [])


def test_vdisk_steps_servers_listed_by_long_names_count_as_configured():
    vd = {"servers": servers("ess01a-ib.pod.example", "ess01b-ib.pod.example"), "recoverygroups": {},
          "vdisksets": {}}
    steps, _ = so.vdisk_steps(vd, {}, [UNIT1], FS)
    assert steps_of(steps)[0] == "ess01: recoverygroup create"
    vd["servers"] = servers("ess01a-ib")  # one canister only: configure again
    assert steps_of(so.vdisk_steps(vd, {}, [UNIT1], FS)[0])[0] == "ess01: server configure"


def test_vdisk_steps_second_unit_joins_the_existing_file_system():
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {}},
          "vdisksets": {"vs_fs1_ess01": vset(created=True, fs="fs1")}}
    steps, conflicts = so.vdisk_steps(vd, {"fs1": {}}, [UNIT1, UNIT2], FS)
    assert conflicts == []
    assert steps_of(steps) == ["ess02: server configure", "ess02: recoverygroup create", "ess02: vdiskset define",
                               "ess02: vdiskset create", "ess02: filesystem add"]


def test_vdisk_steps_created_set_not_in_a_file_system_yet():
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {}},
          "vdisksets": {"vs_fs1_ess01": vset(created=True)}}
    assert steps_of(so.vdisk_steps(vd, {}, [UNIT1], FS)[0]) == ["ess01: filesystem create"]
    assert steps_of(so.vdisk_steps(vd, {"fs1": {}}, [UNIT1], FS)[0]) == ["ess01: filesystem add"]


def test_vdisk_steps_done():
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {}},
          "vdisksets": {"vs_fs1_ess01": vset(created=True, fs="fs1")}}
    assert so.vdisk_steps(vd, {"fs1": {}}, [UNIT1], FS) == ([], [])


def test_vdisk_steps_conflicts_never_delete():
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {}},
          "vdisksets": {"vs_fs1_ess01": vset(created=True, fs="fs2", code="8+3p", block_size="8M",
                                             set_size="50%")}}
    steps, conflicts = so.vdisk_steps(vd, {"fs1": {}, "fs2": {}}, [UNIT1], FS)
    assert conflicts == ["vdisk set vs_fs1_ess01 has code 8+3p, the plan says 8+2p",
                         "vdisk set vs_fs1_ess01 has block_size 8M, the plan says 16m",
                         "vdisk set vs_fs1_ess01 has set_size 50%, the plan says 80%",
                         "vdisk set vs_fs1_ess01 belongs to file system fs2, not fs1"]
    assert steps == []
    assert all("delete" not in " ".join(s["args"]) for s in steps)


def test_vdisk_steps_block_size_case_is_no_conflict():
    vd = {"servers": servers("ess01a-ib", "ess01b-ib"), "recoverygroups": {"rg_ess01": {}},
          "vdisksets": {"vs_fs1_ess01": vset(created=True, fs="fs1", block_size="16M")}}
    assert so.vdisk_steps(vd, {"fs1": {}}, [UNIT1], FS) == ([], [])


# ---- the MM runner ---------------------------------------------------------------------------

class FakeModule:
    check_mode = False

    def __init__(self, answers):
        self.answers = answers  # command basename + args -> (rc, out, err)
        self.ran: list[list[str]] = []

    def run_command(self, argv):
        self.ran.append(argv)
        key = " ".join([argv[0].rsplit("/", 1)[-1], *argv[1:]])
        return self.answers.get(key, (0, "", ""))

    def fail_json(self, **kw):
        raise SystemExit(("fail", kw))

    def exit_json(self, **kw):
        raise SystemExit(("exit", kw))


def test_mm_runs_from_mmbin_and_remembers_commands(monkeypatch):
    monkeypatch.setattr(sf, "MMBIN", "/opt/mmfs/bin")
    mod = FakeModule({"mmlsconfig -Y": (0, "out", "")})
    runner = so.MM(mod)
    assert runner.run("mmlsconfig", "-Y", log=False) == "out"
    runner.run("mmchconfig", "pagepool=16G", "-N", "dgx_clients")
    assert mod.ran == [["/opt/mmfs/bin/mmlsconfig", "-Y"],
                       ["/opt/mmfs/bin/mmchconfig", "pagepool=16G", "-N", "dgx_clients"]]
    assert runner.commands == ["mmchconfig pagepool=16G -N dgx_clients"]


def test_mm_failure_names_node_command_and_ibm_message(monkeypatch):
    mod = FakeModule({"mmcrnsd -F /tmp/s": (1, "", "mmcrnsd: 6027-1662 Disk /dev/sdb refers to an existing NSD\n")})
    runner = so.MM(mod)
    runner.node = "ess01a"
    with pytest.raises(so.ScaleError) as exc:
        runner.run("mmcrnsd", "-F", "/tmp/s")
    e = exc.value
    assert str(e) == ("ess01a: mmcrnsd -F /tmp/s failed (rc=1): mmcrnsd: 6027-1662 Disk /dev/sdb refers to an "
                      "existing NSD")
    assert (e.node, e.rc, e.ibm) == ("ess01a", 1, "mmcrnsd: 6027-1662 Disk /dev/sdb refers to an existing NSD")
    assert runner.commands == ["mmcrnsd -F /tmp/s"]  # the failed command is listed too
    # no stderr: stdout; neither: the exit status
    assert so.ScaleError("n", ["/x/mmfoo"], 2, "said on stdout", "").ibm == "said on stdout"
    assert str(so.ScaleError("n", ["/x/mmfoo", "a"], 3, "", "")) == "n: mmfoo a failed (rc=3): exit status 3"


def test_mm_facts_failures_become_scale_errors(monkeypatch, tmp_path):
    (tmp_path / "mmlscluster").write_text("")  # read_facts looks for it before it reads
    monkeypatch.setattr(sf, "MMBIN", str(tmp_path))
    mod = FakeModule({"mmlscluster -Y": (1, "", "mmlscluster: 6027-1267 The GPFS daemon is not running.")})
    runner = so.MM(mod)
    with pytest.raises(so.ScaleError, match="6027-1267") as exc:
        runner.facts(["cluster"])
    assert exc.value.rc == 1 and exc.value.argv == [f"{tmp_path}/mmlscluster", "-Y"]
    with pytest.raises(SystemExit) as stop:
        runner.fail(exc.value, changed=False)
    kind, kw = stop.value.args[0]
    assert kind == "fail" and "6027-1267" in kw["msg"] and kw["commands"] == [] and kw["changed"] is False


@pytest.mark.parametrize(("facts", "check", "want"), [
    ({"member": True}, False, None),
    ({"member": False, "installed": True}, True, ("exit", "no Spectrum Scale cluster yet; the NSDs would be created")),
    ({"member": False, "installed": False}, False, ("fail", "Spectrum Scale is not installed")),
    ({"member": False, "installed": True}, False, ("fail", "is not in a Spectrum Scale cluster; run the")),
])
def test_require_member(facts, check, want):
    mod = FakeModule({})
    mod.check_mode = check
    runner = so.MM(mod)
    runner.node = "nsd01"
    if want is None:
        assert so.require_member(mod, runner, facts, "the NSDs") is None
        return
    with pytest.raises(SystemExit) as stop:
        so.require_member(mod, runner, facts, "the NSDs")
    kind, kw = stop.value.args[0]
    assert kind == want[0] and want[1] in kw["msg"] and kw["msg"].startswith("nsd01")
    if kind == "exit":
        assert kw["changed"] is True and kw["commands"] == []
