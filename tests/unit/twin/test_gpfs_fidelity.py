"""The emulated Storage Scale commands against real output (tests/fixtures/real, tests/fixtures):
the layouts operators paste into tickets, the 5.2 -Y headers, the commands IBM's own roles need
(mmchnsd, mmchdisk, mmchnode -S, mmdiag, mmpmon), the daemon's process name, and the refusal of
options a command does not have."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REAL = ROOT / "tests" / "fixtures" / "real"
_spec = importlib.util.spec_from_file_location("gpfs_emulator_tests", Path(__file__).with_name("test_gpfs_emulator.py"))
emu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(emu)
scale_y = emu.scale_y
sys.path.insert(0, str(ROOT / "twin" / "emulators" / "gpfs"))
import mm  # noqa: E402

NEW = ("mmchnsd", "mmchdisk", "mmdiag", "mmpmon")


@pytest.fixture
def pod(tmp_path):
    p = emu.Pod(tmp_path)
    for name in NEW:
        (p.bin / name).symlink_to(emu.MM)
    yield p
    p.stop_all()


def real(name: str) -> list[str]:
    text = (REAL / name).read_text()
    assert text.startswith("# source:")
    return text.split("\n", 1)[1].splitlines()


def columns(line: str) -> list[int]:
    """Start offsets of the words of a table line: the layout, whatever the values."""
    return [m.start() for m in re.finditer(r"\S+", line)]


def cluster_with_fs(pod) -> None:
    emu.three_node_cluster(pod)
    pod.ok("n1", "mmcrnsd", "-F", pod.write("s", "%nsd: device=/dev/sdb nsd=nsd1 servers=n1,n2\n"
                                                  "%nsd: device=/dev/sdb nsd=nsd2 servers=n2,n3\n"))
    pod.ok("n1", "mmcrfs", "fs1", "-F", pod.write("f", "%nsd: nsd=nsd1\n%nsd: nsd=nsd2\n"), "-T", "/gpfs/fs1")


# ---- layouts as the real captures ----------------------------------------------------------

def test_mmlsnsd_m_matches_the_real_table(pod):
    emu.three_node_cluster(pod)
    pod.ok("n1", "mmcrnsd", "-F", pod.write("s", "%nsd: device=/dev/sdb nsd=gpfs1nsd servers=n1\n"
                                                  "%nsd: device=/dev/sdb nsd=gpfs2nsd servers=n2\n"))
    got = pod.ok("n1", "mmlsnsd", "-m").splitlines()
    want = real("mmlsnsd_m.1.txt")
    assert got[:3] == want[:3]  # blank line, header with its trailing blanks, 87-column rule
    assert columns(got[3]) == columns(want[3]) and got[3].split()[0] == "gpfs1nsd"
    assert got[3].endswith("server node") and len(got) == 5
    assert "Devtype" not in got[1]
    assert "Devtype" in pod.ok("n1", "mmlsnsd", "-X")  # -X keeps it


def test_mmlsmount_L_matches_the_documented_layout(pod):
    cluster_with_fs(pod)
    pod.ok("n1", "mmmount", "fs1", "-a")
    got = pod.ok("n1", "mmlsmount", "all", "-L").splitlines()
    want = real("mmlsmount_L.1.txt")
    assert got[0] == "File system fs1 (pod1:fs1) is mounted on 3 nodes:"
    assert re.sub(r"\S+ \(\S+\)", "X", got[0]) == re.sub(r"\S+ \(\S+\)", "X", want[0]).replace("5", "3")
    assert columns(got[1]) == columns(want[1])  # IP padded to 15, node name to 31
    assert got[1].split() == ["10.0.0.1", "n1", "pod1"]
    assert pod.ok("n1", "mmlsmount", "fs1").strip() == "File system fs1 is mounted on 3 nodes."


def test_mmgetstate_Y_has_the_52_header_and_still_parses(pod):
    emu.three_node_cluster(pod)
    out = pod.ok("n1", "mmgetstate", "-a", "-Y")
    emu.assert_same_structure(out, "mmgetstate_Y.2.txt")
    rows = scale_y.records(out, "mmgetstate")
    assert [(r["nodeName"], r["daemonShortName"], r["daemonNodeName"]) for r in rows][0] == ("n1", "n1", "n1")


def test_mmhealth_node_and_cluster_show_plain(pod):
    cluster_with_fs(pod)
    node = pod.ok("n1", "mmhealth", "node", "show").splitlines()
    want = real("mmhealth_node_show.1.txt")
    assert node[0] == "" and node[1] == "Node name:      n1" and node[2] == "Node status:    HEALTHY"
    assert node[3].startswith("Status Change:  ") and node[4] == ""
    assert node[5] == want[5] and node[6] == want[6]  # column titles and rule
    assert columns(node[7]) == columns("GPFS           HEALTHY       Now               -")
    cl = pod.ok("n1", "mmhealth", "cluster", "show").splitlines()
    want = real("mmhealth_cluster_show.1.txt")
    assert cl[:3] == want[:3]
    assert cl[3] == "NODE                    3              0              0              3              0"
    assert columns(cl[3]) == columns(want[3])
    assert [ln.split()[0] for ln in cl[3:]] == ["NODE", "GPFS", "NETWORK"]


def test_mmdiag_version_network_waiters_config(pod):
    emu.three_node_cluster(pod)
    out = pod.ok("n1", "mmdiag", "--version").splitlines()
    want = real("mmdiag_version.1.txt")
    assert out[:2] == want[:2]
    assert out[2] == 'Current GPFS build: "5.2.1.0 ".'
    assert re.fullmatch(r"Built on \w{3} [ \d]\d \d{4} at \d\d:\d\d:\d\d", out[3])
    assert re.fullmatch(r"Running (\d+ (days|hours|minutes) )*\d+ secs, pid \d+", out[4])
    net = pod.ok("n1", "mmdiag", "--network").splitlines()
    want = real("mmdiag_network.1.txt")
    assert net[:6] == want[:6]
    assert net[6] == want[7] and net[7].startswith("  my address      10.0.0.1/24 (")  # no tscConnMode line
    header = [ln for ln in net if ln.strip().startswith("hostname")][0]
    assert header == want[13]
    row = net[net.index(header) + 1]
    assert row.split()[:5] == ["n2", "<c0n1>", "0", "10.0.0.2", "connected"]
    assert columns(row)[:5] == columns(want[14])[:5]
    assert pod.ok("n1", "mmdiag", "--waiters").splitlines() == ["", "=== mmdiag: waiters ==="]
    pod.ok("n1", "mmchconfig", "pagepool=4G")
    cfg = pod.ok("n1", "mmdiag", "--config", "-Y")
    assert scale_y.headers(cfg) == scale_y.headers("\n".join(real("mmdiag_config_Y.1.txt")))
    rows = {r["name"]: r for r in scale_y.records(cfg, "mmdiag", "config")}
    assert rows["pagepool"]["value"] == "4294967296" and rows["pagepool"]["changed"] == "static"
    assert " ! pagepool 4294967296" in pod.ok("n1", "mmdiag", "--config").splitlines()


def test_mmdiag_needs_the_local_daemon(pod):
    emu.three_node_cluster(pod, start=False)
    res = pod.mm("n1", "mmdiag", "--version")
    assert res.returncode == 1 and "daemon is not running" in res.stderr and res.stdout == ""


def test_mmpmon_p_fs_io_s_and_io_s_from_stdin(pod):
    cluster_with_fs(pod)
    pod.ok("n1", "mmmount", "fs1")
    res = subprocess.run([sys.executable, str(pod.bin / "mmpmon"), "-p", "-s"], input="fs_io_s\nio_s\n",
                         env=pod.env("n1"), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    want = real("mmpmon_p_fs_io_s.1.txt")[0].split()
    got = lines[0].split()
    def keys(words):
        return [w for w in words if re.fullmatch(r"_\w+_", w)]

    assert keys(got) == keys(want)  # the same keywords, in the same order
    assert got[got.index("_fs_") + 1] == "fs1" and got[got.index("_cl_") + 1] == "pod1"
    assert keys(lines[1].split()) == ["_io_s_", "_n_", "_nn_", "_rc_", "_t_", "_tu_", "_br_", "_bw_", "_oc_",
                                      "_cc_", "_rdc_", "_wc_", "_dir_", "_iu_"]
    human = subprocess.run([sys.executable, str(pod.bin / "mmpmon")], input="io_s\n", env=pod.env("n1"),
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert human[0] == "mmpmon node 10.0.0.1 name n1 io_s OK" and human[-1] == "inode updates: 0"


# ---- the commands and options IBM's roles use ----------------------------------------------

def test_mmchnsd_changes_the_server_list(pod):
    cluster_with_fs(pod)
    stanza = pod.write("ch", "%nsd: nsd=nsd1 servers=n3,n1\n")
    res = pod.mm("n1", "mmchnsd", "-F", stanza)
    assert res.returncode == 0 and "mmchnsd: Processing disk nsd1" in res.stdout, res.stderr
    rows = scale_y.records(pod.ok("n1", "mmlsnsd", "-Y"), "mmlsnsd", "nsd")
    assert {r["diskName"]: r["serverList"] for r in rows}["nsd1"] == "n3,n1"
    bad = pod.mm("n1", "mmchnsd", "-F", pod.write("bad", "%nsd: nsd=nsd1 servers=nosuch\n"))
    assert bad.returncode == 1 and "nosuch" in bad.stderr
    assert pod.mm("n1", "mmchnsd", "-F", pod.write("x", "%nsd: nsd=nsdX servers=n1\n")).returncode == 1
    pod.ok("n1", "mmchnsd", "nsd2:n1")
    rows = scale_y.records(pod.ok("n1", "mmlsnsd", "-Y"), "mmlsnsd", "nsd")
    assert {r["diskName"]: r["serverList"] for r in rows}["nsd2"] == "n1"


def test_mmchdisk_stop_start_suspend_resume(pod):
    cluster_with_fs(pod)

    def disk(name):
        rows = scale_y.records(pod.ok("n1", "mmlsdisk", "fs1", "-Y"), "mmlsdisk")
        r = {x["nsdName"]: x for x in rows}[name]
        return r["status"], r["availability"]

    assert disk("nsd1") == ("ready", "up")
    pod.ok("n1", "mmchdisk", "fs1", "stop", "-d", "nsd1")
    assert disk("nsd1") == ("ready", "down")
    assert "Scan completed successfully." in pod.ok("n1", "mmchdisk", "fs1", "start", "-d", "nsd1")
    assert disk("nsd1") == ("ready", "up")
    pod.ok("n1", "mmchdisk", "fs1", "suspend", "-d", "nsd1;nsd2")
    assert disk("nsd2") == ("suspended", "up")
    pod.ok("n1", "mmchdisk", "fs1", "resume", "-a")
    assert disk("nsd1") == ("ready", "up") and disk("nsd2") == ("ready", "up")
    assert pod.mm("n1", "mmchdisk", "fs1", "suspend", "-a").returncode == 1  # -a: start/resume only
    assert pod.mm("n1", "mmchdisk", "fs1", "stop", "-d", "nosuch").returncode == 1


def test_mmchnode_S_change_file_as_ibm_roles_write_it(pod):
    emu.three_node_cluster(pod)
    # the layout of IBM's core_configure ChangeFile.j2: 'node --quorum|--nonquorum --manager|--client'
    change = pod.write("ChangeFile", "n1 --quorum --manager\n\nn2 --quorum --client\nn3 --nonquorum --client\n")
    res = pod.mm("n1", "mmchnode", "-S", change)
    assert res.returncode == 0, res.stderr
    nodes = {r["daemonNodeName"]: r["designation"]
             for r in scale_y.records(pod.ok("n1", "mmlscluster", "-Y"), "mmlscluster", "clusterNode")}
    assert nodes == {"n1": "quorumManager", "n2": "quorum", "n3": ""}
    bad = pod.mm("n1", "mmchnode", "-S", pod.write("bad", "n1 --bogus\n"))
    assert bad.returncode == 1 and "Incorrect option: --bogus" in bad.stderr
    assert pod.mm("n1", "mmchnode", "-S", change, "--quorum").returncode == 1


def test_mmlslicense_and_mmchfs_exist(pod):
    emu.three_node_cluster(pod)
    assert "Summary information" in pod.ok("n1", "mmlslicense", "-L")


# ---- the daemon's process name --------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pgrep") or not shutil.which("ps"), reason="procps not installed")
def test_daemon_runs_as_mmfsd(pod):
    emu.three_node_cluster(pod)
    pids = pod.daemon_pids()
    assert pids
    for pid in pids:
        assert Path(f"/proc/{pid}/comm").read_text().strip() == "mmfsd"
    found = subprocess.run(["pgrep", "mmfsd"], capture_output=True, text=True).stdout.split()
    assert set(map(str, pids)) <= set(found)
    ps = subprocess.run(["ps", "-C", "mmfsd", "-o", "pid="], capture_output=True, text=True).stdout.split()
    assert set(map(str, pids)) <= set(ps)


# ---- unknown options fail as IBM's commands do --------------------------------------------

# -Q is a real option of mmcrfs (quotas), so it gets another letter
UNKNOWN_OPTION_ARGS = {"mmhealth": ["node", "show", "-Q"], "mmvdisk": ["nodeclass", "list", "-Q"],
                       "mmcrfs": ["fs9", "-W"]}


@pytest.mark.parametrize("command", sorted(c for c in mm.COMMANDS))
def test_every_command_refuses_an_unknown_option(pod, command, tmp_path):
    if not (pod.bin / command).exists():
        (pod.bin / command).symlink_to(emu.MM)
    emu.three_node_cluster(pod, start=False)
    before = (pod.shared / "state.json").read_text()
    args = UNKNOWN_OPTION_ARGS.get(command, ["-Q"])
    res = pod.mm("n1", command, *args)
    assert res.returncode != 0, f"{command}: {res.stdout}"
    assert res.stdout == "", f"{command} printed output for an unknown option: {res.stdout!r}"
    assert f"Incorrect option: {args[-1]}" in res.stderr, res.stderr
    assert "Usage:" in res.stderr, res.stderr
    assert (pod.shared / "state.json").read_text() == before
    if command == "mmhealth":
        assert "Incorrect option: -Q" in pod.mm("n1", "mmhealth", "-Q").stderr


def test_manifest_links_every_new_command():
    text = (ROOT / "twin" / "packages" / "gpfs.base.yml").read_text()
    for name in NEW:
        assert f"/usr/lpp/mmfs/bin/{name}: /usr/lpp/mmfs/lib/twin/mm.py" in text
    assert os.path.exists(ROOT / "twin" / "packages" / "gpfs.compression.yml")
    _ = time  # keep the import for future timing checks
