"""deploy_pod.pod.scale_facts: every parser over every real -Y sample of its command in
tests/fixtures, read_facts over a scripted run (fallbacks, failures, what is read), and the
facts read from the twin's emulated mm commands on a small ESS + DGX cluster, through
read_facts and through the module's main()."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_facts as sf
from ansible_collections.deploy_pod.pod.plugins.modules import scale_facts as scale_facts_module

from tests.modkit import run_module

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
MM = ROOT / "twin" / "emulators" / "gpfs" / "mm.py"


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:")
    return text


# ---- every real -Y sample has a parser that reads it ----------------------------------------

def _health(text):
    return sf.parse_health(text)[0]


PARSERS = {  # fixture name prefix -> parser of that command's output
    "mmlscluster_Y": lambda t: sf.parse_cluster(t)[1],
    "mmgetstate_Y": lambda t: sf.parse_state(t)["nodes"],
    "mmlslicense_Y": sf.parse_license,
    "mmlsconfig_Y": sf.parse_config,
    "mmlsnodeclass_Y": sf.parse_nodeclasses,
    "mmlsnsd_Y": sf.parse_nsds,
    "mmlsnsd_m_Y": sf.parse_nsds,
    "mmlsnsd_X_Y": sf.parse_nsds,
    "mmlsfs_Y": sf.parse_filesystems,
    "mmlsmount_Y": sf.parse_mounts,
    "mmvdisk_nodeclass_list_Y": lambda t: sf.parse_vdisk({"nodeclass": t})["nodeclasses"],
    "mmvdisk_server_list_Y": lambda t: sf.parse_vdisk({"server": t})["servers"],
    "mmvdisk_recoverygroup_list_Y": lambda t: sf.parse_vdisk({"recoverygroup": t})["recoverygroups"],
    "mmvdisk_vdiskset_list_Y": lambda t: sf.parse_vdisk({"vdiskset": t})["vdisksets"],
    "mmhealth_node_show_Y": _health,
    "mmlsdisk_Y": sf.parse_disks,
    "mmdf_Y": lambda t: sf.parse_capacity(t)["disks"],
}
# real samples of commands the facts do not read (mmlsqos: scale_restripe, mmhealth cluster show:
# not used, see module_utils/scale_gate.py; both have their tests there)
NOT_FACTS = ("mmdiag_config_Y", "mmlsqos_Y", "mmhealth_cluster_show_Y")
# every directory of real samples: this repository's, its real/ captures, and the project's shared
# fixtures beside the checkout (DEPLOY_POD_SHARED_FIXTURES, default ../shared/fixtures; skipped where absent)
SHARED_FIXTURES = Path(os.environ.get("DEPLOY_POD_SHARED_FIXTURES",
                                      Path(__file__).resolve().parents[3] / "shared" / "fixtures"))
FIXTURE_DIRS = [d for d in (FIXTURES, FIXTURES / "real", SHARED_FIXTURES) if d.is_dir()]
Y_PATHS = {f"{d.name}/{p.name}": p for d in FIXTURE_DIRS for p in sorted(d.glob("mm*_Y.*.txt"))}
Y_FIXTURES = sorted(Y_PATHS)


def _prefix(key: str) -> str:
    return key.split("/")[-1].split(".")[0]


def test_every_y_fixture_is_accounted_for():
    for name in Y_FIXTURES:
        assert _prefix(name) in PARSERS or _prefix(name) in NOT_FACTS, f"{name}: no parser for this command"


@pytest.mark.parametrize("name", [n for n in Y_FIXTURES if _prefix(n) in PARSERS])
def test_parser_reads_every_real_sample_of_its_command(name):
    text = Y_PATHS[name].read_text()
    assert text.startswith("# source:"), f"{name}: a real sample names its source on its first line"
    parsed = PARSERS[_prefix(name)](text)
    assert parsed, f"{name}: the parser read nothing"
    json.dumps(parsed)  # facts must be plain data


# ---- values from the real samples ----------------------------------------------------------

def test_cluster_real_sample():
    cluster, nodes = sf.parse_cluster(fixture("mmlscluster_Y.1.txt"))
    assert cluster == {"name": "cluster.domain.com", "id": "2936932203756487754", "uid_domain": "cluster.domain.com",
                       "rsh": "/usr/bin/ssh", "rcp": "/usr/bin/scp", "repository": "CCR",
                       "primary_server": "server-1.domain.com", "secondary_server": None}
    assert list(nodes) == ["server-1.domain.com", "server-3.domain.com", "server-4.domain.com", "server-2.domain.com"]
    assert nodes["server-1.domain.com"] == {
        "number": 1, "daemon": "server-1.domain.com", "admin": "server-1.domain.com", "ip": "10.0.0.1",
        "quorum": True, "manager": False, "designation": "quorum", "roles": ["perfmon"], "state": None,
        "license": None}
    assert (nodes["server-3.domain.com"]["designation"], nodes["server-3.domain.com"]["quorum"],
            nodes["server-3.domain.com"]["manager"]) == ("quorumManager", True, True)
    client = nodes["server-2.domain.com"]
    assert (client["designation"], client["quorum"], client["manager"], client["number"]) == ("", False, False, 4)


def test_state_real_samples_old_and_new_layout():
    st = sf.parse_state(fixture("mmgetstate_Y.1.txt"))
    assert st == {"nodes": {"ib-proj-nsd05.domain": "active"}, "quorum": {"needed": 4, "up": 7, "total": 1122}}
    st = sf.parse_state(fixture("mmgetstate_Y.2.txt"))  # daemonShortName/daemonNodeName added (5.2)
    assert st["nodes"] == {"ec01": "active", "ec02": "active", "ec03": "active", "ec04": "active"}
    assert st["quorum"] == {"needed": 3, "up": 4, "total": 4}
    # a real row quoted in IBM's spectrum archive launcher.sh (github.com/nhaustein): quorum '1*' with a tiebreaker
    assert sf._int("1*") == 1


def test_license_real_sample():
    assert sf.parse_license(fixture("mmlslicense_Y.1.txt")) == {
        "lsst-verify00.ncsa.illinois.edu": {"designated": "server", "required": "server"}}


def test_config_real_samples_scopes():
    assert sf.parse_config(fixture("mmlsconfig_Y.1.txt")) == {"clusterId": {"": "12345678901234567890"}}
    conf = sf.parse_config(fixture("mmlsconfig_Y.2.txt"))
    assert conf["workerThreads"] == {"cesNodes": "512"}
    assert conf["maxblocksize"] == {"": "16M"}
    assert conf["minReleaseLevel"] == {"": "5.2.1.0"}
    assert len(conf) == 19


def test_nsds_real_samples_plain_and_per_server():
    nsds = sf.parse_nsds(fixture("mmlsnsd_Y.1.txt"))
    assert list(nsds) == ["nsd1", "nsd2", "nsd3", "nsd4"]
    assert nsds["nsd2"]["fs"] == "FS1" and nsds["nsd3"]["fs"] == "FS2"
    assert nsds["nsd2"]["servers"] == ["server-4.domain.com", "server-3.domain.com"]
    assert nsds["nsd1"]["volume_id"] == "090B54755E4F84E6" and nsds["nsd1"]["device"] is None
    m = sf.parse_nsds(fixture("mmlsnsd_m_Y.1.txt"))
    assert len(m) == 15
    assert m["nsd13"] == {"fs": "fs1", "servers": ["ec04"], "volume_id": "0A0A26EA67DE818B", "device": "/dev/sdb",
                          "devices": {"ec04": "/dev/sdb"}, "device_type": "generic", "remarks": "server node",
                          "size_mb": None, "thin": None, "usage": None, "failure_group": None, "pool": None}


def test_nsds_x_layout_row_per_server_and_free_disk():
    # -X -Y prints a row per NSD server (as the plain -X in tests/fixtures/mmlsnsd_X.1.txt)
    text = ("mmlsnsd:nsd:HEADER:version:reserved:reserved:fileSystem:diskName:volumeId:serverList:deviceType:"
            "localDiskName:remarks:nodeName:\n"
            "mmlsnsd:nsd:0:1:::(free disk):d1:C0A80DC85CA5F091:gpfs1,gpfs2:generic:/dev/vdb:server node:gpfs1:\n"
            "mmlsnsd:nsd:0:1:::(free disk):d1:C0A80DC85CA5F091:gpfs1,gpfs2:generic:/dev/vdc:server node:gpfs2:\n")
    d1 = sf.parse_nsds(text)["d1"]
    assert (d1["fs"], d1["servers"], d1["device"]) == (None, ["gpfs1", "gpfs2"], "/dev/vdb")
    assert d1["devices"] == {"gpfs1": "/dev/vdb", "gpfs2": "/dev/vdc"}


def test_filesystems_real_sample():
    fs = sf.parse_filesystems(fixture("mmlsfs_Y.1.txt"))["FS1"]
    assert (fs["mount_point"], fs["block_size"], fs["automount"], fs["disks"]) == (
        "/ibm/FS1", 4194304, "yes", ["nsd1", "nsd2"])
    assert (fs["default_metadata_replicas"], fs["max_metadata_replicas"], fs["default_data_replicas"],
            fs["max_data_replicas"]) == (2, 2, 1, 2)
    assert (fs["block_allocation_type"], fs["inode_size"], fs["storage_pools"], fs["version"]) == (
        "scatter", 4096, ["system"], "22.00 (5.0.4.0)")
    assert fs["attributes"]["create-time"] == "Fri Feb 21 01:36:21 2020"
    assert len(fs["attributes"]) == 45


def test_health_real_samples():
    status, entities = sf.parse_health(fixture("mmhealth_node_show_Y.1.txt"))
    assert status == {"NODE": "TIPS", "GPFS": "TIPS", "NETWORK": "HEALTHY", "FILESYSTEM": "HEALTHY"}
    assert entities["NETWORK"] == {"ib-haswell1.example.com": "HEALTHY", "ib0": "HEALTHY", "mlx5_0/1": "FOO"}
    assert entities["FILESYSTEM"]["scratch"] == "HEALTHY"
    assert sf.parse_health(fixture("mmhealth_node_show_Y.1.txt"), "other-node")[0] == {}
    assert sf.parse_health(fixture("mmhealth_node_show_Y.2.txt"), "ec01")[0] == {
        "NODE": "TIPS", "GPFS": "TIPS", "NETWORK": "HEALTHY", "DISK": "HEALTHY"}


def test_disks_real_samples():
    disks = sf.parse_disks(fixture("mmlsdisk_Y.1.txt"))
    assert list(disks) == ["RG001VS003", "RG002VS003", "RG003VS004", "RG004VS004", "RG005VS005", "RG006VS005",
                           "RG007VS009", "RG008VS010"]  # the truncated 'mmlsdisk:invalid' line is skipped
    assert disks["RG001VS003"] == {"failure_group": 1, "status": "ready", "availability": "up", "pool": "system",
                                   "size_kb": 130518089728, "metadata": True, "data": True}
    assert disks["RG005VS005"] == {"failure_group": 2, "status": "ready", "availability": "up", "pool": "data",
                                   "size_kb": 2227566542848, "metadata": False, "data": True}
    assert (disks["RG008VS010"]["status"], disks["RG008VS010"]["availability"]) == ("foo", "bar")  # as injected
    ece = sf.parse_disks(fixture("mmlsdisk_Y.2.txt"))
    assert len(ece) == 8
    assert ece["mdt01"] == {"failure_group": 10001, "status": "ready", "availability": "up", "pool": "system",
                            "size_kb": 41943040, "metadata": True, "data": False}
    assert sum(d["size_kb"] for d in ece.values()) == 6 * 104857600 + 2 * 41943040


def test_capacity_real_sample():
    cap = sf.parse_capacity(fixture("mmdf_Y.1.txt"))
    assert (cap["total_kb"], cap["free_kb"], cap["free_fragments_kb"]) == (3661677723648, 481202021888, 12117655064)
    assert (cap["data_kb"], cap["metadata_kb"]) == (3647786188800, 13891534848)
    assert cap["pools"] == {"system": {"total_kb": 783308292096, "free_kb": 380564840448, "free_pct": 49},
                            "data": {"total_kb": 3064453922816, "free_kb": 1342362296320, "free_pct": 44}}
    assert cap["disks"] == {
        "P_META_VD102": {"size_kb": 771751936, "failure_group": 300, "free_kb": 320274944, "pool": "system",
                         "metadata": True, "data": False},
        "P_DATA_VD02": {"size_kb": 46766489600, "failure_group": 200, "free_kb": 6092915712, "pool": "data",
                        "metadata": False, "data": True}}
    assert cap["inodes"] == {"used": 430741822, "free": 484301506, "allocated": 915043328, "max": 1332164000}
    assert sf.parse_capacity("")["pools"] == {} and sf.parse_capacity("")["total_kb"] is None


def test_disks_and_capacity_are_read_per_file_system_with_the_filesystems():
    fs_y = ("mmlsfs::HEADER:version:reserved:reserved:deviceName:fieldName:data:remarks:\n"
            "mmlsfs::0:1:::fs1:blockSize:16777216::\nmmlsfs::0:1:::scratch:blockSize:4194304::\n")
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""), "mmlsfs all -Y": (0, fs_y, ""),
                "mmlsdisk fs1 -Y": (0, fixture("mmlsdisk_Y.2.txt"), ""),
                "mmlsdisk scratch -Y": (0, fixture("mmlsdisk_Y.1.txt"), ""),
                "mmdf fs1 -Y": (0, fixture("mmdf_Y.1.txt"), ""), "mmdf scratch -Y": (0, "", "")})
    facts = sf.read_facts(s.run, ["disks", "capacity"], exists=s.exists)
    assert s.ran == ["mmlscluster -Y", "mmlsfs all -Y", "mmlsdisk fs1 -Y", "mmlsdisk scratch -Y", "mmdf fs1 -Y",
                     "mmdf scratch -Y"]
    assert facts["facets"] == ["cluster", "filesystems", "disks", "capacity"] and facts["reads"] == 6
    assert set(facts["disks"]) == {"fs1", "scratch"} and "mdt01" in facts["disks"]["fs1"]
    assert facts["capacity"]["fs1"]["total_kb"] == 3661677723648
    assert facts["capacity"]["scratch"]["total_kb"] is None
    # not in the default: a cluster that is down still gives its facts
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, "")})
    facts = sf.read_facts(s.run, None, exists=s.exists)
    assert not any(r.startswith(("mmlsdisk", "mmdf")) for r in s.ran)
    assert facts["disks"] is None and facts["capacity"] is None
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""), "mmlsfs all -Y": (0, fs_y, ""),
                "mmlsdisk fs1 -Y": (1, "", "mmlsdisk: 6027-1267 The GPFS daemon is not running.")})
    with pytest.raises(sf.ScaleReadError, match="mmlsdisk fs1 -Y failed"):
        sf.read_facts(s.run, ["disks"], exists=s.exists)


def test_facts_from_one_real_cluster():
    # mmlscluster, mmlsnsd and mmlsfs samples of the same cluster (ibm-spectrum-scale-install-infra)
    raw = {"cluster": fixture("mmlscluster_Y.1.txt"), "nsds": fixture("mmlsnsd_Y.1.txt"),
           "filesystems": fixture("mmlsfs_Y.1.txt")}
    facts = sf.build_facts(raw, hostnames=["server-3"])
    assert facts["local_node"] == "server-3.domain.com"  # short host name matched
    assert facts["filesystems"]["FS1"]["disks"] == ["nsd1", "nsd2"]
    assert {n: r["fs"] for n, r in facts["nsds"].items()} == {"nsd1": "FS1", "nsd2": "FS1", "nsd3": "FS2",
                                                              "nsd4": "FS2"}
    assert facts["config"] is None and facts["mounts"] is None  # not read
    assert facts["facets"] == ["cluster", "nsds", "filesystems"]


def test_mmlsmount_real_row_fits_the_emulated_header():
    # the only real mmlsmount -Y found is a data row without its header, quoted in a comment of
    # github.com/nhaustein spectrum-archive launcher.sh ('cut -d: -f12' is the node name);
    # zipped with the twin's header it must give that node
    header = "mmlsmount::HEADER:version:reserved:reserved:localDevName:realDevName:owningCluster:totalNodes:" \
             "nodeIP:nodeName:clusterName:env:"
    real = "mmlsmount::0:1:::ltfscache:ltfscache:ltfs.net:2:192.168.100.2:ltfs2:ltfs.net:RW:"
    assert real.split(":")[11] == "ltfs2"
    assert sf.parse_mounts(header + "\n" + real + "\n") == {"ltfscache": ["ltfs2"]}


def test_vdisk_names_of_public_scripts_are_accepted():
    # record/field names that public scripts read from real mmvdisk -Y (rgSummary/rgName,
    # vdisksetSummary/vdisksetName/fsName, className); detail records are not taken for summaries
    rg = ("mmvdisk:rgSummary:HEADER:version:reserved:reserved:rgName:nodeClass:active:\n"
          "mmvdisk:rgLogGroup:HEADER:version:reserved:reserved:rgName:logGroup:server:\n"
          "mmvdisk:rgSummary:0:1:::rg1:nc1:yes:\n"
          "mmvdisk:rgLogGroup:0:1:::rg1:LG001:n1:\n")
    vs = ("mmvdisk:vdisksetSummary:HEADER:version:reserved:reserved:vdisksetName:created:fsName:recoveryGroups:\n"
          "mmvdisk:vdisksetSummary:0:1:::vs1:yes::rg1,rg2:\n")
    nc = ("mmvdisk:nodeClass:HEADER:version:reserved:reserved:className:memberNodes:\n"
          "mmvdisk:nodeClass:0:1:::nc1:n1,n2:\n")
    got = sf.parse_vdisk({"recoverygroup": rg, "vdiskset": vs, "nodeclass": nc})
    assert got["recoverygroups"] == {"rg1": {"nodeclass": "nc1", "active": True, "current_server": None,
                                             "user_vdisks": None}}
    assert got["vdisksets"]["vs1"]["created"] is True and got["vdisksets"]["vs1"]["fs"] is None
    assert got["vdisksets"]["vs1"]["recoverygroups"] == ["rg1", "rg2"]
    assert got["nodeclasses"] == {"nc1": {"members": ["n1", "n2"], "recoverygroups": []}}
    assert sf.parse_vdisk("") == {"nodeclasses": {}, "servers": {}, "recoverygroups": {}, "vdisksets": {}}


def test_nodeclasses_user_only_or_with_system_classes():
    # no captured mmlsnodeclass -Y: the twin's layout, and the record/field names a public
    # pdsh module reads (record nodeClasses, allMembers preferred over memberNodes)
    twin = ("mmlsnodeclass::HEADER:version:reserved:reserved:nodeclass:type:memberClasses:memberNodes:allMembers:\n"
            "mmlsnodeclass::0:1:::dgx:User::dgx01,dgx02:dgx01,dgx02:\n")
    assert sf.parse_nodeclasses(twin) == {"dgx": {"members": ["dgx01", "dgx02"], "member_classes": [],
                                                  "type": "user"}}
    other = ("mmlsnodeclass:nodeClasses:HEADER:version:reserved:reserved:nodeClass:type:memberClasses:memberNodes:"
             "allMembers:\n"
             "mmlsnodeclass:nodeClasses:0:1:::gpu:User:dgx:dgx03:dgx01,dgx02,dgx03:\n"
             "mmlsnodeclass:nodeClasses:0:1:::quorumNodes:System:::n1,n2:\n")
    got = sf.parse_nodeclasses(other)
    assert got["gpu"] == {"members": ["dgx01", "dgx02", "dgx03"], "member_classes": ["dgx"], "type": "user"}
    assert got["quorumNodes"]["type"] == "system"


def test_helpers():
    assert sf.mm("mmlscluster", "-Y") == ["/usr/lpp/mmfs/bin/mmlscluster", "-Y"]
    assert sf.mm("mmchconfig", "pagepool=4G", "-N", "dgx") == [
        "/usr/lpp/mmfs/bin/mmchconfig", "pagepool=4G", "-N", "dgx"]
    assert [sf.to_bytes(v) for v in ("4194304", "16M", "16m", "16 MiB", "1G", "", "x")] == [
        4194304, 16 * 2**20, 16 * 2**20, 16 * 2**20, 2**30, None, None]
    nodes = {"n1.ex.com": {"admin": "n1-adm.ex.com"}, "n2": {"admin": "n2"}}
    assert [sf.match_node(nodes, n) for n in ("n1", "n1-adm.ex.com", "n1-adm", "n2.ex.com", "n9", None)] == [
        "n1.ex.com", "n1.ex.com", "n1.ex.com", "n2", None, None]
    assert set(sf.READS) == {"cluster", "state", "license", "config", "nodeclasses", "nsds", "filesystems",
                             "disks", "capacity", "mounts", "vdisk", "health"}
    assert set(sf.FACETS) - set(sf.DEFAULT_FACETS) == set(sf.PER_FS) == {"disks", "capacity"}


# ---- read_facts over a scripted run --------------------------------------------------------

CLUSTER_Y = ("mmlscluster:clusterSummary:HEADER:version:reserved:reserved:clusterName:clusterId:uidDomain:rshPath:"
             "rshSudoWrapper:rcpPath:rcpSudoWrapper:repositoryType:primaryServer:secondaryServer:\n"
             "mmlscluster:clusterNode:HEADER:version:reserved:reserved:nodeNumber:daemonNodeName:ipAddress:"
             "adminNodeName:designation:otherNodeRoles:adminLoginName:otherNodeRolesAlias:\n"
             "mmlscluster:clusterSummary:0:1:::c1:1:c1:%2Fusr%2Fbin%2Fssh:no:%2Fusr%2Fbin%2Fscp:no:CCR:n1::\n"
             "mmlscluster:clusterNode:0:1:::1:n1.ex.com:10.0.0.1:n1.ex.com:quorumManager::::\n"
             "mmlscluster:clusterNode:0:1:::2:n2.ex.com:10.0.0.2:n2.ex.com:::::\n")


class Script:
    """run(argv) from a table {'mmcmd args': (rc, out, err)}; records what ran."""

    def __init__(self, table: dict, present=None):
        self.table, self.ran = table, []
        self.present = present

    def run(self, argv):
        key = " ".join([os.path.basename(argv[0]), *argv[1:]])
        self.ran.append(key)
        return self.table.get(key, (0, "", ""))

    def exists(self, path):
        return self.present is None or os.path.basename(path) in self.present


def test_not_installed_reads_nothing():
    s = Script({}, present=set())
    facts = sf.read_facts(s.run, None, exists=s.exists)
    assert (facts["installed"], facts["member"], facts["reads"], s.ran) == (False, False, 0, [])
    assert facts["nodes"] == {} and facts["cluster"] is None


def test_not_a_member_reads_only_mmlscluster():
    s = Script({"mmlscluster -Y": (1, "", "mmlscluster: This node does not belong to a GPFS cluster.\n"
                                          "mmlscluster: Command failed. Examine previous error messages to "
                                          "determine cause.\n")})
    facts = sf.read_facts(s.run, None, exists=s.exists)
    assert (facts["installed"], facts["member"], facts["reads"], s.ran) == (True, False, 1, ["mmlscluster -Y"])


def test_only_the_wanted_facets_are_read():
    state = ("mmgetstate::HEADER:version:reserved:reserved:nodeName:nodeNumber:state:quorum:nodesUp:totalNodes:"
             "remarks:cnfsState:\nmmgetstate::0:1:::n1:1:active:1:1:2:quorum node:(undefined):\n"
             "mmgetstate::0:1:::n2:2:down:1:1:2::(undefined):\n")
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""), "mmgetstate -a -Y": (0, state, "")})
    facts = sf.read_facts(s.run, ["state"], hostnames=["n2"], exists=s.exists)
    assert s.ran == ["mmlscluster -Y", "mmgetstate -a -Y"] and facts["reads"] == 2
    assert {n: r["state"] for n, r in facts["nodes"].items()} == {"n1.ex.com": "active", "n2.ex.com": "down"}
    assert facts["local_node"] == "n2.ex.com" and facts["facets"] == ["cluster", "state"]
    assert facts["quorum"] == {"needed": 1, "up": 1, "total": 2}
    assert facts["config"] is None and facts["vdisk"] is None and facts["licenses"] is None


def test_licence_and_mmvdisk_missing_or_failing_are_not_failures():
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, "")}, present={"mmlscluster"})
    facts = sf.read_facts(s.run, ["license", "vdisk"], exists=s.exists)
    assert s.ran == ["mmlscluster -Y"]
    assert facts["licenses"] is None and facts["nodes"]["n1.ex.com"]["license"] is None
    assert facts["vdisk"] == {"nodeclasses": {}, "servers": {}, "recoverygroups": {}, "vdisksets": {}}
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""),
                "mmlslicense -L -Y": (1, "", "mmlslicense: Incorrect option: -L")})
    facts = sf.read_facts(s.run, ["license"], exists=s.exists)
    assert facts["licenses"] is None and facts["reads"] == 2
    lic = fixture("mmlslicense_Y.1.txt").replace("lsst-verify00.ncsa.illinois.edu", "n2.ex.com")
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""), "mmlslicense -L -Y": (0, lic, "")})
    facts = sf.read_facts(s.run, ["license"], exists=s.exists)
    assert facts["nodes"]["n2.ex.com"]["license"] == "server" and facts["nodes"]["n1.ex.com"]["license"] is None


def test_nsd_x_falls_back_to_plain_y():
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""),
                "mmlsnsd -X -Y": (1, "", "mmlsnsd: Incorrect option: -X"),
                "mmlsnsd -Y": (0, fixture("mmlsnsd_Y.1.txt"), "")})
    facts = sf.read_facts(s.run, ["nsds"], exists=s.exists)
    assert s.ran == ["mmlscluster -Y", "mmlsnsd -X -Y", "mmlsnsd -Y"] and facts["reads"] == 3
    assert list(facts["nsds"]) == ["nsd1", "nsd2", "nsd3", "nsd4"]
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""), "mmlsnsd -X -Y": (1, "", "mmlsnsd: No disks were found.")})
    assert sf.read_facts(s.run, ["nsds"], exists=s.exists)["nsds"] == {}


def test_a_failing_read_names_the_command_and_ibms_message():
    s = Script({"mmlscluster -Y": (0, CLUSTER_Y, ""),
                "mmlsfs all -Y": (1, "", "mmlsfs: 6027-1331 No file systems were found.\n")})
    with pytest.raises(sf.ScaleReadError) as exc:
        sf.read_facts(s.run, ["filesystems"], exists=s.exists)
    assert exc.value.command == "/usr/lpp/mmfs/bin/mmlsfs all -Y" and exc.value.rc == 1
    assert str(exc.value) == "/usr/lpp/mmfs/bin/mmlsfs all -Y failed (exit 1): mmlsfs: 6027-1331 No file systems " \
                             "were found."
    s = Script({"mmlscluster -Y": (1, "", "mmlscluster: 6027-1267 The GPFS daemon is not running.")})
    with pytest.raises(sf.ScaleReadError, match="6027-1267"):
        sf.read_facts(s.run, None, exists=s.exists)


# ---- the twin's emulated mm commands --------------------------------------------------------

MM_COMMANDS = ("mmcrcluster", "mmaddnode", "mmchlicense", "mmstartup", "mmshutdown", "mmgetstate", "mmlscluster",
               "mmcrnodeclass", "mmlsnodeclass", "mmchconfig", "mmlsconfig", "mmcrnsd", "mmlsnsd", "mmcrfs", "mmlsfs",
               "mmmount", "mmlsmount", "mmhealth", "mmvdisk", "mmlsdisk", "mmdf")  # no mmlslicense: the twin has none


class Pod:
    """Emulated nodes against one shared state dir, as tests/unit/twin/test_gpfs_emulator.py."""

    def __init__(self, tmp: Path):
        self.tmp, self.shared, self.bin = tmp, tmp / "shared", tmp / "bin"
        self.bin.mkdir()
        for name in MM_COMMANDS:
            (self.bin / name).symlink_to(MM)

    def env(self, node: str) -> dict:
        return {"DEPLOY_POD_TWIN_SHARED": str(self.shared), "DEPLOY_POD_TWIN_NODE": node,
                "DEPLOY_POD_TWIN_NODE_ROOT": str(self.tmp / node / "var-mmfs"),
                "DEPLOY_POD_TWIN_SYSROOT": str(self.tmp / node / "root"),
                "DEPLOY_POD_TWIN_HARDWARE": str(self.tmp / f"{node}.hw.json"),
                "DEPLOY_POD_TWIN_MOUNT_MODE": "symlink", "DEPLOY_POD_TWIN_HEARTBEAT": "0.3"}

    def run_as(self, node: str):
        """run(argv) for read_facts: /usr/lpp/mmfs/bin/X runs the emulated X as that node."""

        def run(argv):
            cmd = self.bin / os.path.basename(argv[0])
            res = subprocess.run([sys.executable, str(cmd), *argv[1:]], env={**os.environ, **self.env(node)},
                                 capture_output=True, text=True, timeout=60, cwd=self.tmp)
            return res.returncode, res.stdout, res.stderr

        return run

    def exists(self, path: str) -> bool:
        return (self.bin / os.path.basename(path)).exists()

    def ok(self, node: str, cmd: str, *args: str) -> str:
        rc, out, err = self.run_as(node)([cmd, *args])
        assert rc == 0, f"{cmd} {args}: rc={rc}\n{out}\n{err}"
        return out

    def add_host(self, node: str, ip: str, role: str, disks: list, memory_gib: int = 256) -> None:
        hw = {"host": node, "ip": ip, "role": role, "hw_model": "test", "memory_gib": memory_gib, "disks": disks,
              "ib": {"verbs_ports": ["mlx5_0/1"]}}
        (self.tmp / f"{node}.hw.json").write_text(json.dumps(hw))
        self.run_as(node)(["mmlscluster"])  # publishes the host's hardware to the pod

    def write(self, name: str, text: str) -> str:
        (self.tmp / name).write_text(text)
        return str(self.tmp / name)

    def states(self, node: str) -> dict:
        return {n: r["state"] for n, r in sf.parse_cluster(self.ok(node, "mmlscluster", "-Y"))[1].items()} | \
            sf.parse_state(self.ok(node, "mmgetstate", "-a", "-Y"))["nodes"]

    def stop_all(self) -> None:
        nodes = self.shared / "nodes"
        for f in nodes.glob("*.json") if nodes.is_dir() else []:
            pid = json.loads(f.read_text()).get("pid")
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)


@pytest.fixture
def pod(tmp_path):
    p = Pod(tmp_path)
    yield p
    p.stop_all()


NODES = ("ess01a", "ess01b", "dgx01", "dgx02")


@pytest.fixture(scope="module")
def ess_dgx(tmp_path_factory):
    """ESS 3000 (two canisters) + two DGX clients: node classes, config, a recovery group, two
    vdisk sets (one created), a file system mounted everywhere and a free NSD."""
    p = Pod(tmp_path_factory.mktemp("pod"))
    try:
        nvme = [{"device": f"/dev/nvme{i}n1", "size_gib": 3840} for i in range(12)]
        for i, n in enumerate(("ess01a", "ess01b"), 1):
            p.add_host(n, f"10.0.1.{i}", "ess", nvme, memory_gib=512)
        for i, n in enumerate(("dgx01", "dgx02"), 1):
            p.add_host(n, f"10.0.2.{i}", "dgx", [{"device": "/dev/sdb", "size_gib": 100}])
        nodefile = p.write("nodes", "ess01a:quorum-manager\ness01b:quorum-manager\ndgx01:quorum\ndgx02:client\n")
        p.ok("ess01a", "mmcrcluster", "-N", nodefile, "-C", "pod", "--accept")
        p.ok("ess01a", "mmcrnodeclass", "dgx", "-N", "dgx01,dgx02")
        p.ok("ess01a", "mmchconfig", "pagepool=16G", "-N", "dgx")
        p.ok("ess01a", "mmchconfig", "maxblocksize=16M")
        p.ok("ess01a", "mmvdisk", "nodeclass", "create", "--node-class", "ess01", "-N", "ess01a,ess01b")
        p.ok("ess01a", "mmvdisk", "server", "configure", "--node-class", "ess01", "--recycle", "one")
        for n in NODES:
            p.ok(n, "mmstartup")
        end = time.time() + 10
        while time.time() < end and set(sf.parse_state(p.ok("dgx01", "mmgetstate", "-a", "-Y"))["nodes"].values()) \
                != {"active"}:
            time.sleep(0.2)
        p.ok("ess01a", "mmvdisk", "recoverygroup", "create", "--recovery-group", "rg1", "--node-class", "ess01")
        p.ok("ess01a", "mmvdisk", "vdiskset", "define", "--vdisk-set", "vs1", "--recovery-group", "rg1",
             "--code", "8+2p", "--block-size", "16m", "--set-size", "50%")
        p.ok("ess01a", "mmvdisk", "vdiskset", "define", "--vdisk-set", "vs2", "--recovery-group", "rg1",
             "--code", "8+2p", "--block-size", "16m", "--set-size", "20%")
        p.ok("ess01a", "mmvdisk", "vdiskset", "create", "--vdisk-set", "vs1")
        p.ok("ess01a", "mmvdisk", "filesystem", "create", "--file-system", "fs1", "--vdisk-set", "vs1",
             "--mmcrfs", "-T", "/gpfs/fs1", "-A", "yes")
        p.ok("ess01a", "mmcrnsd", "-F", p.write("free", "%nsd: device=/dev/sdb nsd=scratch1 servers=dgx01\n"))
        p.ok("dgx01", "mmmount", "fs1", "-a")
        yield p
    finally:
        p.stop_all()


VDISKS = ["RG001LG001VS001", "RG001LG002VS001"]


def test_read_facts_over_the_emulated_cluster(ess_dgx):
    facts = sf.read_facts(ess_dgx.run_as("dgx01"), None, hostnames=["dgx01.pod.example", "dgx01"],
                          exists=ess_dgx.exists)
    assert (facts["installed"], facts["member"], facts["local_node"]) == (True, True, "dgx01")
    assert facts["reads"] == 12  # 9 facets, mmvdisk 4 lists, no mmlslicense in the twin
    assert facts["facets"] == list(sf.DEFAULT_FACETS)
    assert json.loads(json.dumps(facts)) == facts
    c = facts["cluster"]
    assert (c["name"], c["uid_domain"], c["rsh"], c["rcp"], c["repository"]) == (
        "pod", "pod", "/usr/bin/ssh", "/usr/bin/scp", "CCR")
    assert c["id"].isdigit()
    assert facts["nodes"] == {
        "ess01a": {"number": 1, "daemon": "ess01a", "admin": "ess01a", "ip": "10.0.1.1", "quorum": True,
                   "manager": True, "designation": "quorumManager", "roles": [], "state": "active", "license": None},
        "ess01b": {"number": 2, "daemon": "ess01b", "admin": "ess01b", "ip": "10.0.1.2", "quorum": True,
                   "manager": True, "designation": "quorumManager", "roles": [], "state": "active", "license": None},
        "dgx01": {"number": 3, "daemon": "dgx01", "admin": "dgx01", "ip": "10.0.2.1", "quorum": True,
                  "manager": False, "designation": "quorum", "roles": [], "state": "active", "license": None},
        "dgx02": {"number": 4, "daemon": "dgx02", "admin": "dgx02", "ip": "10.0.2.2", "quorum": False,
                  "manager": False, "designation": "", "roles": [], "state": "active", "license": None}}
    assert facts["quorum"] == {"needed": 2, "up": 4, "total": 4}
    assert facts["licenses"] is None
    conf = facts["config"]
    assert conf["pagepool"] == {"dgx": "16G", "ess01": "307G"}
    assert conf["maxblocksize"] == {"": "16M"}
    assert conf["nsdRAIDTracks"] == {"ess01": "131072"}
    assert conf["clusterName"] == {"": "pod"}
    classes = facts["nodeclasses"]
    assert {n: c for n, c in classes.items() if c["type"] == "user"} == {
        "dgx": {"members": ["dgx01", "dgx02"], "member_classes": [], "type": "user"},
        "ess01": {"members": ["ess01a", "ess01b"], "member_classes": [], "type": "user"}}
    if "all" in classes:  # --all: system classes too where the emulator prints them
        assert classes["all"] == {"members": list(NODES), "member_classes": [], "type": "system"}
    nsds = facts["nsds"]
    assert list(nsds) == [*VDISKS, "scratch1"]
    assert (nsds[VDISKS[0]]["fs"], nsds[VDISKS[0]]["servers"]) == ("fs1", ["ess01a", "ess01b"])
    assert nsds[VDISKS[1]]["servers"] == ["ess01b", "ess01a"]
    assert (nsds["scratch1"]["fs"], nsds["scratch1"]["servers"]) == (None, ["dgx01"])
    assert all(len(n["volume_id"]) == 16 for n in nsds.values())
    fs1 = facts["filesystems"]["fs1"]
    assert (fs1["mount_point"], fs1["block_size"], fs1["automount"], fs1["disks"], fs1["block_allocation_type"]) == (
        "/gpfs/fs1", 16 * 2**20, "yes", VDISKS, "scatter")
    assert facts["mounts"] == {"fs1": list(NODES)}
    assert facts["vdisk"] == {
        "nodeclasses": {"ess01": {"members": ["ess01a", "ess01b"], "recoverygroups": ["rg1"]}},
        "servers": {"ess01a": {"number": 1, "active": True, "remarks": "serving rg1", "nodeclass": None},
                    "ess01b": {"number": 2, "active": True, "remarks": "serving rg1", "nodeclass": None}},
        "recoverygroups": {"rg1": {"nodeclass": "ess01", "active": True, "current_server": "ess01a",
                                   "user_vdisks": 2}},
        "vdisksets": {"vs1": {"created": True, "fs": "fs1", "recoverygroups": ["rg1"], "code": "8+2p",
                              "block_size": "16m", "set_size": "50%", "nsd_usage": "dataAndMetadata",
                              "storage_pool": "system"},
                      "vs2": {"created": False, "fs": None, "recoverygroups": ["rg1"], "code": "8+2p",
                              "block_size": "16m", "set_size": "20%", "nsd_usage": "dataAndMetadata",
                              "storage_pool": "system"}}}
    assert facts["health"] == {"NODE": "HEALTHY", "GPFS": "HEALTHY", "NETWORK": "HEALTHY", "FILESYSTEM": "HEALTHY"}
    assert facts["health_entities"]["NETWORK"] == {"dgx01": "HEALTHY", "mlx5_0/1": "HEALTHY"}
    assert facts["health_entities"]["FILESYSTEM"] == {"dgx01": "HEALTHY", "fs1": "HEALTHY"}


def test_emulated_facts_without_mmvdisk_and_by_facet(ess_dgx, tmp_path):
    without = {"mmvdisk"}
    facts = sf.read_facts(ess_dgx.run_as("dgx02"), ["vdisk", "mounts"], hostnames=["dgx02"],
                          exists=lambda p: os.path.basename(p) not in without and ess_dgx.exists(p))
    assert facts["vdisk"] == {"nodeclasses": {}, "servers": {}, "recoverygroups": {}, "vdisksets": {}}
    assert facts["reads"] == 2 and facts["local_node"] == "dgx02"
    assert facts["mounts"] == {"fs1": list(NODES)} and facts["filesystems"] is None


def test_emulated_disks_and_capacity(ess_dgx):
    facts = sf.read_facts(ess_dgx.run_as("dgx02"), ["disks", "capacity"], hostnames=["dgx02"], exists=ess_dgx.exists)
    assert facts["facets"] == ["cluster", "filesystems", "disks", "capacity"] and facts["reads"] == 4
    disks = facts["disks"]["fs1"]
    assert list(disks) == VDISKS
    size = disks[VDISKS[0]]["size_kb"]
    assert disks[VDISKS[0]] == {"failure_group": 1, "status": "ready", "availability": "up", "pool": "system",
                                "size_kb": size, "metadata": True, "data": True}
    # the canister's 12 x 3840 GiB, 50 % of it, 8 of 10 strips data, in two log groups
    assert size == int(12 * 3840 * 1024**3 * 0.5 * 8 / 10) // 2 // 1024
    cap = facts["capacity"]["fs1"]
    assert cap["total_kb"] == 2 * size and cap["pools"]["system"]["total_kb"] == 2 * size
    assert {n: (d["size_kb"], d["failure_group"]) for n, d in cap["disks"].items()} == {
        n: (size, 1) for n in VDISKS}
    assert 0 < cap["free_kb"] <= cap["total_kb"] and cap["inodes"]["max"] > 0


def test_emulated_node_outside_a_cluster(pod):
    pod.add_host("lone01", "10.0.9.1", "dgx", [])
    facts = sf.read_facts(pod.run_as("lone01"), None, hostnames=["lone01"], exists=pod.exists)
    assert (facts["installed"], facts["member"], facts["reads"], facts["nodes"]) == (True, False, 1, {})


# ---- the module's main() ---------------------------------------------------------------------

@pytest.fixture
def as_node(monkeypatch):
    def use(pod: Pod, node: str):
        monkeypatch.setattr(sf, "MMBIN", str(pod.bin))
        monkeypatch.setattr(scale_facts_module, "hostnames", lambda: [f"{node}.pod.example", node])
        for k, v in pod.env(node).items():
            monkeypatch.setenv(k, v)
        # module.run_command runs the symlinked mm.py itself: its '#!/usr/bin/env python3' finds this python first
        monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")

    return use


def test_module_returns_the_facts_and_never_changes(ess_dgx, as_node, capsys, monkeypatch):
    as_node(ess_dgx, "dgx02")
    rc, result = run_module(scale_facts_module.main, {"gather": ["state", "mounts"], "_ansible_check_mode": True},
                            capsys, monkeypatch)
    assert rc == 0 and result["changed"] is False
    facts = result["ansible_facts"]["deploy_pod_scale"]
    assert (facts["member"], facts["local_node"], facts["reads"]) == (True, "dgx02", 3)
    assert facts["mounts"] == {"fs1": list(NODES)}
    assert {n: r["state"] for n, r in facts["nodes"].items()} == dict.fromkeys(NODES, "active")


def test_module_on_a_node_outside_a_cluster(pod, as_node, capsys, monkeypatch):
    pod.add_host("lone01", "10.0.9.1", "dgx", [])
    as_node(pod, "lone01")
    rc, result = run_module(scale_facts_module.main, {}, capsys, monkeypatch)
    assert rc == 0
    facts = result["ansible_facts"]["deploy_pod_scale"]
    assert (facts["installed"], facts["member"], facts["reads"]) == (True, False, 1)


def test_module_fails_naming_node_command_and_ibm_message(pod, as_node, capsys, monkeypatch):
    pod.add_host("n1", "10.0.0.1", "nsd", [{"device": "/dev/sdb", "size_gib": 100}])
    pod.ok("n1", "mmcrcluster", "-N", "n1:quorum", "-C", "c1", "--accept")
    as_node(pod, "n1")  # the daemon is not started: mmlsmount fails
    (pod.bin / "mmlsmount").unlink()
    (pod.bin / "mmlsmount").write_text("#!/bin/sh\necho 'mmlsmount: 6027-1387 The GPFS daemon is not running "
                                       "on this node.' >&2\nexit 1\n")
    (pod.bin / "mmlsmount").chmod(0o755)
    rc, result = run_module(scale_facts_module.main, {"gather": ["mounts"]}, capsys, monkeypatch)
    assert rc == 1 and result["failed"]
    assert result["msg"] == (f"n1.pod.example: {pod.bin}/mmlsmount all -L -Y failed (exit 1): mmlsmount: 6027-1387 "
                             "The GPFS daemon is not running on this node.")
    assert result["rc"] == 1


def test_module_when_scale_is_not_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sf, "MMBIN", str(tmp_path / "nothing"))
    rc, result = run_module(scale_facts_module.main, {}, capsys, monkeypatch)
    facts = result["ansible_facts"]["deploy_pod_scale"]
    assert rc == 0 and (facts["installed"], facts["member"], facts["reads"]) == (False, False, 0)
