"""deploy_pod.pod.scale_restripe: QoS and progress parsers (module_utils/scale_restripe.py) over the
real mmlsqos -Y and mmrestripefs samples, the start decision, and the module's main() starting a
background rebalance on the twin's emulated mm commands and polling it to the end."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_restripe as sr
from ansible_collections.deploy_pod.pod.plugins.modules import scale_restripe

from tests.scalekit import MM, ScalePod, node, runner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:")
    return text.split("\n", 1)[1]


# ---- QoS --------------------------------------------------------------------------------------

def test_qos_values_one_spelling():
    assert [sr.qos_value(v) for v in ("300IOPS", "300Iops", "300iops", "unlimited", "inf", "", None)] == [
        "300iops", "300iops", "300iops", "inf", "inf", "inf", "inf"]
    assert sr.qos_spec("300IOPS") == "pool=*,maintenance=300IOPS,other=unlimited"


def test_parse_qos_real_sample():
    qos = sr.parse_qos(fixture("mmlsqos_Y.1.txt"))
    assert qos["enabled"] is True
    assert qos["config"] == {"sas1": {"other": "inf", "maintenance": "50000iops"}}
    assert list(qos["values"]) == ["system", "sas1", "sata1", "sas2", "nvme1"]
    assert qos["values"]["sas1"] == {"other": "inf", "maintenance": "50000iops"}
    assert qos["values"]["system"] == {"other": "inf", "maintenance": "inf"}
    # the sample throttles one pool only: every pool must get the limit, so mmchqos runs
    assert sr.qos_needed(qos, "300IOPS") is True
    assert sr.parse_qos("") == {"enabled": False, "config": {}, "values": {}}


def test_qos_needed():
    star = {"enabled": True, "config": {"*": {"other": "inf", "maintenance": "300iops"}}, "values": {}}
    assert sr.qos_needed(star, "300IOPS") is False
    assert sr.qos_needed(star, "500IOPS") is True
    assert sr.qos_needed({**star, "enabled": False}, "300IOPS") is True
    assert sr.qos_needed({**star, "config": {"*": {"other": "1000iops", "maintenance": "300iops"}}}, "300IOPS") is True
    per_pool = {"enabled": True, "config": {"system": {"maintenance": "300iops"}},
                "values": {"system": {"other": "inf", "maintenance": "300iops"}}}
    assert sr.qos_needed(per_pool, "300iops") is False  # every pool is limited as asked
    assert sr.qos_needed({"enabled": True, "config": {}, "values": {}}, "300IOPS") is True


# ---- progress ---------------------------------------------------------------------------------

def test_progress_of_the_real_samples():
    text = fixture("mmrestripefs_b.1.txt")
    prog = sr.parse_progress(text)
    assert prog == {"percent": 100.0, "rc": None, "done": False, "inodes": 65792, "data_mb": 570,
                    "line": "100.00 % complete on Fri May 17 15:53:07 2024  (     65792 inodes with total        "
                            "570 MB data processed)",
                    "phase": "Scanning user file metadata ..."}
    done = sr.parse_progress(text + f"{sr.EXIT_MARK} 0\n")
    assert (done["done"], done["rc"], done["percent"]) == (True, 0, 100.0)
    deldisk = sr.parse_progress(fixture("mmdeldisk_scan.1.txt"))
    assert (deldisk["percent"], deldisk["inodes"], deldisk["data_mb"]) == (100.0, 65856, 543)


def test_progress_while_it_runs_and_when_it_fails():
    head = "deploy-pod: 2025-01-01 00:00:00 started /usr/lpp/mmfs/bin/mmrestripefs fs1 -b --qos maintenance\n"
    assert sr.parse_progress(head)["percent"] == 0.0 and sr.parse_progress(head)["line"] is None
    text = head + "".join(f"Scanning file system metadata, phase {i} ... \nScan completed successfully.\n"
                          for i in range(1, 5))
    text += "Scanning user file metadata ...\n"
    text += ("   3.07 % complete on Mon Jun  2 10:00:01 2025  (   1048576 inodes with total      81920 MB data "
             "processed)\n")
    text += "  42.50 % complete on Mon Jun  2 11:00:01 2025  (  14680064 inodes with total    2 GB data processed)\n"
    prog = sr.parse_progress(text)
    assert (prog["percent"], prog["inodes"], prog["data_mb"], prog["done"]) == (42.5, 14680064, 2048, False)
    assert prog["line"].startswith("42.50 % complete on Mon Jun  2 11:00:01 2025")
    failed = sr.parse_progress(text + "mmrestripefs: 6027-1639 Command failed.\n" + f"{sr.EXIT_MARK} 1\n")
    assert (failed["done"], failed["rc"], failed["percent"]) == (True, 1, 42.5)
    # a file system with nothing to scan: exit 0 without a progress line is complete
    assert sr.parse_progress(head + f"{sr.EXIT_MARK} 0\n")["percent"] == 100.0
    # a bare progress line (no inode counts, as older releases print) still counts
    assert sr.parse_progress(" 100.00 % complete on Tue Jan 22 13:12:31 2019\n")["percent"] == 100.0


def test_script_logs_output_and_exit_status(tmp_path):
    log = str(tmp_path / "it's.log")
    subprocess.run(["/bin/sh", "-c", sr.script(["/bin/echo", "a b", "it's"], log)], check=True)
    subprocess.run(["/bin/sh", "-c", sr.script(["/bin/false"], log)], check=True)
    assert Path(log).read_text() == f"a b it's\n{sr.EXIT_MARK} 0\n{sr.EXIT_MARK} 1\n"
    assert sr.paths("fs1", "/var/adm/ras") == {"log": "/var/adm/ras/deploy-pod-restripe.fs1.log",
                                               "record": "/var/adm/ras/deploy-pod-restripe.fs1.json"}


def test_running_checks_the_pid_is_our_restripe(tmp_path):
    for pid, cmd in ((101, b"/bin/sh\0-c\0'/usr/lpp/mmfs/bin/mmrestripefs' 'fs1' '-b'\0"), (102, b"/usr/sbin/sshd\0")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(cmd)
    assert sr.running(101, str(tmp_path)) is True
    assert sr.running(102, str(tmp_path)) is False  # a pid reused by another process
    assert sr.running(103, str(tmp_path)) is False and sr.running(None, str(tmp_path)) is False
    # an empty command line: still being exec'd (running) or a zombie (ended)
    for pid, state in ((104, b"S"), (105, b"Z")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"")
        (tmp_path / str(pid) / "stat").write_bytes(f"{pid} (sh) ".encode() + state + b" 1 2 3\n")
    assert sr.running(104, str(tmp_path)) is True and sr.running(105, str(tmp_path)) is False


def test_decide_start():
    rec = {"pid": 5, "disks": ["d1", "d2"]}
    assert sr.decide_start(None, {}, False, ["d1"]) == "start"
    assert sr.decide_start(rec, {"done": False, "rc": None}, True, ["d1", "d2"]) == "running"
    assert sr.decide_start(rec, {"done": True, "rc": 0}, False, ["d2", "d1"]) == "balanced"
    assert sr.decide_start(rec, {"done": True, "rc": 0}, False, ["d1", "d2", "d3"]) == "start"  # a unit was added
    assert sr.decide_start(rec, {"done": True, "rc": 1}, False, ["d1", "d2"]) == "start"  # failed: again
    assert sr.decide_start(rec, {"done": True, "rc": None}, False, ["d1", "d2"]) == "start"  # killed: again


# ---- the module on the twin -----------------------------------------------------------------

NODES = [node("ess01a", True, True), node("ess01b", True, True), node("nsd01", True, True), node("dgx01")]


@pytest.fixture
def pod(tmp_path, monkeypatch):
    p = ScalePod(tmp_path, ["ess01a", "ess01b", "nsd01", "dgx01"])
    for name in ("mmchqos", "mmlsqos"):
        if not (p.bin / name).exists():
            (p.bin / name).symlink_to(MM)
    p.create(NODES)
    p.start(["ess01a", "ess01b", "nsd01", "dgx01"])
    p.ok("ess01a", "mmcrnsd", "-F", p.write("s", "%nsd: device=/dev/sdb nsd=d1 servers=nsd01-ib\n"
                                                 "%nsd: device=/dev/sdd nsd=d2 servers=nsd01-ib\n"))
    p.ok("ess01a", "mmcrfs", "fs1", "-F", p.write("f", "%nsd: nsd=d1\n"), "-B", "1M", "-T", "/gpfs/fs1")
    monkeypatch.setenv("DEPLOY_POD_TWIN_RESTRIPE_SECONDS", "1.2")
    yield p
    p.stop_all()


def poll(run, args: dict, timeout: float = 30) -> list[dict]:
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        rc, res = run(scale_restripe, {**args, "state": "status"})
        assert rc == 0, res
        seen.append(res)
        if res["done"]:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"not done after {timeout} s: {seen[-1]}")


def test_module_starts_once_polls_to_the_end_and_skips_a_balanced_file_system(pod, tmp_path, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    args = {"filesystem": "fs1", "log_dir": str(tmp_path / "ras")}
    rc, res = run(scale_restripe, args, check=True)
    assert rc == 0 and res["changed"] is True and res["started"] is False
    assert res["commands"] == ["mmchqos fs1 --enable pool=*,maintenance=300IOPS,other=unlimited",
                               "mmrestripefs fs1 -b --qos maintenance"]
    assert not (tmp_path / "ras").exists()  # check mode ran nothing
    rc, res = run(scale_restripe, {**args, "state": "status"})
    assert rc == 1 and "no rebalance of fs1 was started here" in res["msg"]

    rc, res = run(scale_restripe, args)
    assert rc == 0 and res["changed"] is True and res["started"] is True and res["running"] is True
    assert res["commands"] == ["mmchqos fs1 --enable pool=*,maintenance=300IOPS,other=unlimited",
                               "mmrestripefs fs1 -b --qos maintenance"]
    record = json.loads((tmp_path / "ras" / "deploy-pod-restripe.fs1.json").read_text())
    assert record["pid"] == res["pid"] and record["disks"] == ["d1"]
    rc, again = run(scale_restripe, args)  # still running: start nothing
    assert rc == 0 and again["changed"] is False and again["running"] is True and again["commands"] == []
    seen = poll(run, args)
    last = seen[-1]
    assert (last["done"], last["exit_status"], last["percent"], last["running"]) == (True, 0, 100.0, False)
    assert last["line"].startswith("100.00 % complete on ")
    assert any(0.0 < s["percent"] < 100.0 for s in seen), [s["percent"] for s in seen]  # progress along the way
    assert "rebalance finished with exit status 0" in last["msg"]
    qos = pod.ok("dgx01", "mmlsqos", "fs1", "-Y")
    assert "mmlsqos:config:0:1:::pool=*,other=inf,maintenance/all_local=300Iops:" in qos.splitlines()

    rc, res = run(scale_restripe, args)  # the same disks, rebalanced: nothing to do
    assert rc == 0 and res["changed"] is False and "already rebalanced over its 1 disks" in res["msg"]

    pod.ok("ess01a", "mmadddisk", "fs1", "-F", pod.write("a", "%nsd: nsd=d2\n"))
    rc, res = run(scale_restripe, args)  # a disk was added: rebalance again, QoS already right
    assert rc == 0 and res["changed"] is True and res["commands"] == ["mmrestripefs fs1 -b --qos maintenance"]
    assert poll(run, args)[-1]["exit_status"] == 0
    log = (tmp_path / "ras" / "deploy-pod-restripe.fs1.log").read_text()
    assert log.count("Scan completed successfully.") == 5 and log.endswith(f"{sr.EXIT_MARK} 0\n")


def test_module_failing_run_and_missing_file_system(pod, tmp_path, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    args = {"filesystem": "fs1", "log_dir": str(tmp_path / "ras")}
    pod.ok("ess01a", "mmshutdown", "-N", "ess01b-ib,nsd01-ib")  # quorum lost while it starts
    pod.wait_states({"ess01b-ib": "down", "nsd01-ib": "down"})
    rc, res = run(scale_restripe, args)
    assert rc == 1 and "mmlsdisk fs1 -Y" in res["msg"] and "waiting for quorum" in res["msg"]
    pod.ok("ess01a", "mmstartup", "-N", "ess01b-ib,nsd01-ib")
    pod.wait_states({"ess01b-ib": "active", "nsd01-ib": "active"})
    rc, res = run(scale_restripe, {**args, "filesystem": "nofs"})
    assert rc == 1 and res["msg"] == "file system nofs does not exist in cluster twin.gpfs"
    # a run that dies without its exit status is done, rc null, and is started again
    ras = tmp_path / "ras"
    ras.mkdir()
    (ras / "deploy-pod-restripe.fs1.json").write_text(json.dumps({"pid": os.getpid(), "disks": ["d1"]}))
    (ras / "deploy-pod-restripe.fs1.log").write_text("Scanning user file metadata ...\n")
    rc, res = run(scale_restripe, {**args, "state": "status"})
    assert rc == 0 and res["done"] is True and res["exit_status"] is None
    assert "ended without an exit status" in res["msg"]
    rc, res = run(scale_restripe, args)
    assert rc == 0 and res["started"] is True
    assert poll(run, args)[-1]["exit_status"] == 0
