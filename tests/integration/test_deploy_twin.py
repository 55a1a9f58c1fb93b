"""`deploy-pod up` on a fresh twin pod, every phase: check mode first changes nothing; the Scale
faults stop the run with their messages and `--resume` continues where it stopped; then every
host is at the plan (networks, a running Scale cluster, /gpfs mounted and shared on every DGX,
the NGC images pulled from the twin's mirror, the acceptance report with its plots; the NGC key
in no artifact and no process's command line), a second run changes nothing (no image pulled
again), and a failed preflight resumes there. The ESS canisters are
appliances: the whole deployment leaves their packages and /etc as delivered, a canister that
differs from the plan stops the network phase with its field, and the same canister made
managed shows in check mode what deploy-pod would change.

One pod for the whole story (tests run in file order): each step starts from where the last
one left the pod, as a user's pod would."""

from __future__ import annotations

import json
import subprocess
import threading
from contextlib import contextmanager

import pytest
import yaml
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_facts as sf
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_y import records

from tests.integration.twinkit import ROOT, VENV_BIN, overlay_hosts, running_pod, sim, ssh

pytestmark = pytest.mark.twin
POD = "upt"
ALL_PHASES = ["preflight", "base", "network", "scale_install", "scale_cluster", "storage", "clients", "ngc",
              "acceptance"]
MM = "/usr/lpp/mmfs/bin/"


ESS = ("ess01a", "ess01b")
# What the Scale layer writes on a canister on purpose: the cluster's root SSH trust (IBM's ESS
# deployment does the same when clients join). Nothing else under /etc may change.
ESS_ALLOWED = {"/etc/ssh/ssh_known_hosts"}
ESS_BEFORE: dict[str, dict] = {}


def ess_state(host: str) -> dict:
    """Packages, every file under /etc (with /etc/hosts, a Docker bind mount) and the addresses."""
    etc = ssh(POD, host, "find /etc -type f -print0 | sort -z | xargs -0 sha256sum").stdout
    return {
        "packages": ssh(POD, host, "dpkg-query -W -f='${Package} ${Version}\\n'").stdout,
        "etc": dict(reversed(line.split(None, 1)) for line in etc.splitlines()),
        "addresses": ssh(POD, host, "ip -4 -br addr").stdout,
    }


@pytest.fixture(scope="module")
def pod(testbed, require_twin, tmp_path_factory):
    with running_pod(POD, 95, tmp_path_factory.mktemp(POD)) as path:
        ESS_BEFORE.update({h: ess_state(h) for h in ESS})
        yield path


RUNS: dict[str, str] = {}


def ngc_key() -> str:
    return (ROOT / ".sim" / POD / "ngc-api-key").read_text().strip()


@contextmanager
def process_table(every: float = 0.1):
    """Every command line on this machine (the twin's containers included) while the block runs."""
    seen: set[str] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            out = subprocess.run(["ps", "-eww", "-o", "args="], capture_output=True, text=True).stdout
            seen.update(out.splitlines())
            stop.wait(every)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    try:
        yield seen
    finally:
        stop.set()
        t.join()


def up(pod, *args) -> tuple[subprocess.CompletedProcess, dict]:
    artifacts = pod.parent / "artifacts"
    r = subprocess.run([str(VENV_BIN / "deploy-pod"), "up", str(pod), "--twin", "--artifacts", str(artifacts), *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=1500)
    summary = json.loads((artifacts / POD / "last-run.json").read_text())
    return r, summary


def changed(summary: dict) -> int:
    return sum(sum(p["changed"].values()) for p in summary["phases"])


def phases(summary: dict) -> list[tuple[str, str]]:
    return [(p["phase"], p["status"]) for p in summary["phases"]]


def mm(host: str, command: str, check: bool = True) -> subprocess.CompletedProcess:
    return ssh(POD, host, MM + command, check=check)


def test_check_mode_on_a_fresh_pod_changes_nothing(pod):
    r, summary = up(pod, "--check")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert [p for p, _ in phases(summary)] == ALL_PHASES
    assert ssh(POD, "dgx01", "test -e /etc/netplan/61-deploy-pod-ipoib.yaml", check=False).returncode != 0
    assert "10.96.0.11" not in ssh(POD, "dgx01", "ip -o addr show ib0").stdout
    # no Scale package on the DGX, no cluster anywhere
    assert ssh(POD, "dgx01", "dpkg -s gpfs.base", check=False).returncode != 0
    res = mm("ess01a", "mmlscluster", check=False)
    assert res.returncode != 0 and "does not belong to a GPFS cluster" in res.stderr


def test_scale_faults_stop_with_their_messages_and_resume(pod):
    sim("fault", str(pod), "dgx02", "daemon-stuck")
    sim("fault", str(pod), "ess01a", "vdiskset-fail")
    try:
        # a daemon that never becomes active: a bounded wait, then one line per node with its state
        r, summary = up(pod, "-e", "scale_timeout=20")
        assert r.returncode == 1, r.stdout[-4000:]
        assert phases(summary)[-1] == ("scale_cluster", "failed")
        assert "1 node(s) not active after 20 s" in r.stdout and "dgx02-ib: arbitrating" in r.stdout, r.stdout[-3000:]
        sim("fault", str(pod), "dgx02", "--clear", "daemon-stuck")
        # a vdisk set that cannot be created: the unit and the step, nothing created, resumable
        r, summary = up(pod, "--resume")
        assert r.returncode == 1 and "resuming at phase scale_cluster" in r.stdout, r.stdout[-4000:]
        assert phases(summary) == [("scale_cluster", "successful"), ("storage", "failed")]
        assert "ess01: vdiskset create failed" in r.stdout, r.stdout[-3000:]
        vsets = sf.parse_vdisk({"vdiskset": mm("ess01b", "mmvdisk vdiskset list -Y").stdout})["vdisksets"]
        assert vsets["vs_fs1_ess01"]["created"] is False
        assert "fs1" not in sf.parse_filesystems(mm("ess01b", "mmlsfs all -Y", check=False).stdout)
    finally:
        sim("fault", str(pod), "--clear")
    with process_table() as seen:
        r, summary = up(pod, "--resume")
    assert r.returncode == 0, r.stdout[-4000:]
    assert phases(summary) == [("storage", "successful"), ("clients", "successful"), ("ngc", "successful"),
                               ("acceptance", "successful")]
    assert "acceptance: NOT JUDGED" in r.stdout, r.stdout[-3000:]
    RUNS["deployed"] = summary["run"]
    # the key went to `docker login` on stdin: no command line of the run ever held it
    key = ngc_key()
    assert any("ansible" in line for line in seen) and not [line for line in seen if key in line]


def test_every_host_is_at_the_plan(pod):
    # networks: IPoIB address from the planner (same host number as on the management network)
    assert "10.96.0.11/24" in ssh(POD, "dgx01", "ip -o addr show ib0").stdout
    assert "10.96.0.22/24" in ssh(POD, "ess01b", "ip -o addr show ib0").stdout
    # the IPoIB names resolve on every host, and the link really carries traffic
    assert ssh(POD, "ess01a", "getent hosts dgx02-ib").stdout.split()[0] == "10.96.0.12"
    ssh(POD, "dgx01", "ping -c1 -W3 ess01a-ib")
    # GPUDirect RDMA module on the DGX only; chrony knows the pod's NTP server
    assert "nvidia_peermem" in ssh(POD, "dgx01", "lsmod").stdout
    assert "nvidia_peermem" not in ssh(POD, "ess01a", "lsmod").stdout
    assert "10.95.0.1" in ssh(POD, "dgx02", "cat /etc/chrony/chrony.conf").stdout


def test_the_cluster_is_active_tuned_and_serves_gpfs_on_every_dgx(pod):
    cluster, nodes = sf.parse_cluster(mm("dgx02", "mmlscluster -Y").stdout)
    assert cluster["name"] == "twin.gpfs"  # pod.cluster_name of the example
    assert sorted(nodes) == ["dgx01-ib", "dgx02-ib", "ess01a-ib", "ess01b-ib"]
    assert {n for n, r in nodes.items() if r["quorum"]} == {"ess01a-ib", "ess01b-ib", "dgx01-ib"}
    states = sf.parse_state(mm("ess01a", "mmgetstate -a -Y").stdout)["nodes"]
    assert states == dict.fromkeys(nodes, "active")
    lic = sf.parse_license(mm("ess01a", "mmlslicense -L -Y").stdout)
    assert lic["dgx02-ib"]["designated"] == "client" and lic["ess01a-ib"]["designated"] == "server"
    config = sf.parse_config(mm("dgx01", "mmlsconfig -Y").stdout)
    assert config["pagepool"]["dgx_clients"] == "16G" and config["verbsRdma"]["dgx_clients"] == "enable"
    assert config["verbsPorts"]["dgx01-ib"] == "mlx5_0/1/1 mlx5_1/1/2 mlx5_2/1/1 mlx5_3/1/2"
    assert config["maxblocksize"][""] == "16M"
    mounts = sf.parse_mounts(mm("ess01a", "mmlsmount all -L -Y").stdout)
    assert sorted(mounts["fs1"]) == ["dgx01-ib", "dgx02-ib"]
    fs = sf.parse_filesystems(mm("ess01a", "mmlsfs all -Y").stdout)["fs1"]
    assert fs["automount"] == "yes" and fs["mount_point"] == "/gpfs/fs1"
    # what one DGX writes, the other reads, byte for byte
    ssh(POD, "dgx01", "head -c 8388608 /dev/urandom > /gpfs/fs1/shared.bin")
    assert ssh(POD, "dgx02", "sha256sum < /gpfs/fs1/shared.bin").stdout == \
        ssh(POD, "dgx01", "sha256sum < /gpfs/fs1/shared.bin").stdout
    # the cluster nodes trust each other's root key (Scale's admin commands use ssh)
    assert ssh(POD, "ess01a", "ssh -o BatchMode=yes dgx02 hostname").stdout.strip() == "dgx02"


def test_the_ngc_images_come_from_the_mirror(pod):
    ref = "10.95.0.5:5000/nvidia/tensorflow:24.03-tf2-py3"
    for host in ("dgx01", "dgx02"):
        held = json.loads(ssh(POD, host, f"docker image inspect {ref}").stdout)[0]
        # (on the twin every name in the mirror is the same stand-in image, so it carries both digests)
        assert any(d.startswith("10.95.0.5:5000/nvidia/tensorflow@sha256:") for d in held["RepoDigests"]), held
        IMAGE_IDS[host] = held["Id"]
        assert "10.95.0.5:5000" in json.loads(ssh(POD, host, "cat /root/.docker/config.json").stdout)["auths"]


IMAGE_IDS: dict[str, str] = {}


def test_acceptance_report_with_its_plots(pod):
    run_dir = pod.parent / "artifacts" / POD / RUNS["deployed"] / "acceptance"
    results = json.loads((run_dir / "results.json").read_text())
    assert [(f["workload"], len(f["clients"])) for f in results["fio"]] == [
        ("seqread", 1), ("randread", 1), ("seqread", 2), ("randread", 2)]
    assert all(f["result"]["aggregate"]["read_bw_bytes"] > 0 and f["result"]["errors"] == 0 for f in results["fio"])
    # 2 DGX x (synthetic, RAM disk, Scale, inference), one GPU (container) each on the twin example
    assert len(results["tf"]) == 8 and all(len(t["gpus"]) == 1 for t in results["tf"])
    assert all(g["images_per_sec"] > 0 for t in results["tf"] for g in t["gpus"])
    report = json.loads((run_dir / "report.json").read_text())
    assert report["verdict"] == "not judged"
    html = (run_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3 and "not judged" in html.lower()
    pngs = sorted((run_dir / "plots").glob("*.png"))
    assert len(pngs) >= 3 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "| seqread |" in (run_dir / "report.md").read_text() or "seqread" in (run_dir / "report.md").read_text()
    # the test files are in the acceptance directory on the Scale mount, and only there
    assert ssh(POD, "dgx01", "ls /gpfs/fs1/.deploy-pod-acceptance").stdout.split() == ["fio", "tfrecords"]
    # `deploy-pod report` rebuilds it from the run's directory
    r = subprocess.run([str(VENV_BIN / "deploy-pod"), "report", str(run_dir.parent)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "acceptance: NOT JUDGED" in r.stdout, r.stdout + r.stderr


def test_the_ngc_key_is_in_no_file_of_any_run(pod):
    key = ngc_key().encode()
    leaks = [p for p in (pod.parent / "artifacts").rglob("*") if p.is_file() and key in p.read_bytes()]
    assert not leaks, leaks


def test_second_run_changes_nothing(pod):
    r, summary = up(pod)
    assert r.returncode == 0, r.stdout[-4000:]
    assert [p for p, _ in phases(summary)] == ALL_PHASES
    assert changed(summary) == 0, json.dumps(summary["phases"], indent=1)
    # nothing pulled again: the engines hold the same images
    for host, image_id in IMAGE_IDS.items():
        assert json.loads(ssh(POD, host, "docker image inspect 10.95.0.5:5000/nvidia/tensorflow:24.03-tf2-py3")
                          .stdout)[0]["Id"] == image_id


def test_resume_starts_at_the_failed_phase(pod):
    sim("fault", str(pod), "dgx02", "gpu-missing")
    try:
        r, summary = up(pod, "--phase", "preflight")
        assert r.returncode == 1 and summary["phases"][-1]["phase"] == "preflight"
        rows = [line for line in r.stdout.splitlines() if "7 GPUs found, dgx-1 has 8" in line]
        assert rows and rows[0].split()[0] == "dgx02", r.stdout[-3000:]  # the verdict table, shown in full
    finally:
        sim("fault", str(pod), "dgx02", "--clear")
    r, summary = up(pod, "--resume", "--phase", "preflight")
    assert r.returncode == 0 and "resuming at phase preflight" in r.stdout


def test_the_appliances_are_as_delivered(pod):
    """Every phase ran (check mode, faults, resume, a second run): the canisters are untouched."""
    for host in ESS:
        before, after = ESS_BEFORE[host], ess_state(host)
        assert after["packages"] == before["packages"], host
        assert after["addresses"] == before["addresses"], host
        changed_files = {f for f in before["etc"].keys() | after["etc"].keys()
                         if before["etc"].get(f) != after["etc"].get(f)}
        assert changed_files <= ESS_ALLOWED, f"{host}: {sorted(changed_files - ESS_ALLOWED)}"


def test_an_appliance_that_differs_from_the_plan_stops_the_network_phase(pod):
    sim("fault", str(pod), "ess01b", "ipoib-address", "10.96.0.99")
    try:
        r, summary = up(pod, "--phase", "network")
        assert r.returncode == 1 and phases(summary) == [("network", "failed")], r.stdout[-4000:]
        out = r.stdout + r.stderr
        line = "ess01b: ipoib.address: found 10.96.0.99/24 on ib0; the plan says 10.96.0.22/24 on ib0"
        assert line in out, out[-4000:]
        assert "nmcli" in out  # how to fix it on the canister
        assert "10.96.0.99/24" in ssh(POD, "ess01b", "ip -o addr show ib0").stdout  # nothing was changed
        # the same canister managed by deploy-pod: check mode shows the IPoIB profile it would write
        managed = pod.parent / "managed" / pod.name
        managed.parent.mkdir(exist_ok=True)
        data = yaml.safe_load(pod.read_text())
        data["all"]["children"]["ess"]["children"]["ess01"]["hosts"]["ess01b"]["management"] = "managed"
        managed.write_text(yaml.safe_dump(data, sort_keys=False))
        r = subprocess.run([str(VENV_BIN / "deploy-pod"), "up", str(managed), "--twin", "--check", "--phase", "network",
                            "--limit", "ess01b", "--artifacts", str(managed.parent / "artifacts")],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-4000:]
        summary = json.loads((managed.parent / "artifacts" / POD / "last-run.json").read_text())
        assert summary["phases"][0]["changed"].get("ess01b", 0) > 0, summary
        assert "changed: ess01b" in r.stdout, r.stdout[-4000:]
        assert "10.96.0.99/24" in ssh(POD, "ess01b", "ip -o addr show ib0").stdout  # check mode changed nothing
    finally:
        sim("fault", str(pod), "ess01b", "--clear", "ipoib-address")
    r, summary = up(pod, "--phase", "network")
    assert r.returncode == 0 and changed(summary) == 0, r.stdout[-4000:]


# ---- day 2: `deploy-pod scale-out` grows the same running pod --------------------------------
# The inventory is edited in place, as a user would: a second ESS unit and a third DGX. The lock
# file `up` wrote beside it keeps the existing hosts' cables, addresses, quorum and failure groups.

NEW_UNIT = {"ess02a": "10.95.0.23", "ess02b": "10.95.0.24"}
NEW_DGX = {"dgx03": "10.95.0.13"}
JOINING = {"ess02a-ib", "ess02b-ib", "dgx03-ib"}
ORIGINAL: dict[str, str] = {}
LOAD_STOP = "/tmp/deploy-pod-scaleout-load.stop"
# a fio job in a loop on a client until told to stop: any I/O error ends it with the run count
LOAD = ("d=/gpfs/fs1/.scaleout-load/$(hostname); mkdir -p $d; rm -f " + LOAD_STOP + "; n=0; "
        "while [ ! -e " + LOAD_STOP + " ]; do "
        "fio --name=load --directory=$d --rw=randrw --bs=1m --size=16m --runtime=3 --time_based "
        "--output-format=json --output=$d.json >/dev/null || { echo \"fio failed rc=$? after $n runs\"; exit 1; }; "
        "n=$((n+1)); done; echo runs=$n")


def scale_out(pod, *args, timeout: int = 2400) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "deploy-pod"), "scale-out", str(pod), "--twin", "--yes", "--artifacts",
                           str(pod.parent / "artifacts"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def grow(pod, canisters: dict[str, str] = NEW_UNIT) -> None:
    ORIGINAL.setdefault("text", pod.read_text())
    data = yaml.safe_load(ORIGINAL["text"])
    children = data["all"]["children"]
    children["ess"]["children"]["ess02"] = {"hosts": {h: {"hw_model": "ess-3000", "mgmt_address": a}
                                                      for h, a in canisters.items()}}
    children["dgx"]["hosts"].update({h: {"hw_model": "dgx-1", "mgmt_address": a} for h, a in NEW_DGX.items()})
    pod.write_text(yaml.safe_dump(data, sort_keys=False))


def cluster_nodes() -> dict:
    return sf.parse_cluster(mm("ess01a", "mmlscluster -Y").stdout)[1]


def fs_size_kb() -> int:
    return int(records(mm("ess01a", "mmdf fs1 -Y").stdout, "mmdf", "fsTotal")[0]["fsSize"])


def new_disks_kb(before: set[str]) -> tuple[set[str], int]:
    rows = records(mm("ess01a", "mmdf fs1 -Y").stdout, "mmdf", "nsd")
    new = [r for r in rows if r["nsdName"] not in before]
    return {r["nsdName"] for r in new}, sum(int(r["diskSize"]) for r in new)


@contextmanager
def fio_load(hosts):
    procs = {}
    for h in hosts:
        o = overlay_hosts(POD)[h]
        procs[h] = subprocess.Popen(
            ["ssh", "-o", "BatchMode=yes", *o["ansible_ssh_common_args"].split(), "-i",
             o["ansible_ssh_private_key_file"], "-p", str(o["ansible_port"]), f"{o['ansible_user']}@127.0.0.1", LOAD],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out: dict[str, tuple[int, str]] = {}
    try:
        yield out
    finally:
        for h in hosts:
            ssh(POD, h, f"touch {LOAD_STOP}")
        for h, p in procs.items():
            text, _ = p.communicate(timeout=120)
            out[h] = (p.returncode, text.strip())


def test_scale_out_refuses_a_unit_with_one_canister_before_anything_starts(pod):
    grow(pod, {"ess02a": NEW_UNIT["ess02a"]})
    before = cluster_nodes()
    r = scale_out(pod)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "ess-unit-size" in out and "nothing was changed" in out, out[-3000:]
    assert not (pod.parent / "artifacts" / POD / "scaleout.json").exists()
    assert cluster_nodes() == before


def test_scale_out_with_an_unreachable_new_host_leaves_the_cluster_unchanged(pod):
    grow(pod)
    sim("up", str(pod))  # the new containers; the running ones are left as they are
    r = scale_out(pod, "--dry-run")
    assert r.returncode == 0, r.stdout[-3000:]
    for line in ("Hosts joining (3): ess02a, ess02b, dgx03", "ESS unit ess02 joining", "vs_fs1_ess02 (8+2p",
                 "Quorum: unchanged", "ESS units: 1 -> 2; expected read:"):
        assert line in r.stdout, r.stdout[-3000:]
    before = cluster_nodes()
    sim("fault", str(pod), "dgx03", "node-down")
    try:
        r = scale_out(pod, "--rebalance")
        assert r.returncode == 1 and "step hosts failed" in r.stdout, r.stdout[-4000:]
        assert "unreachable: dgx03" in r.stdout, r.stdout[-4000:]
        assert cluster_nodes() == before
    finally:
        sim("fault", str(pod), "dgx03", "--clear")


def test_scale_out_under_fio_load_stops_after_the_join_and_resumes(pod):
    files = " ".join(f"/gpfs/fs1/scaleout-check/f{i}" for i in range(4))
    ssh(POD, "dgx01", f"mkdir -p /gpfs/fs1/scaleout-check && for f in {files}; do head -c 8M /dev/urandom > $f; done")
    sums = ssh(POD, "dgx01", f"sha256sum {files}").stdout
    size_before = fs_size_kb()
    disks_before = {r["nsdName"] for r in records(mm("ess01a", "mmdf fs1 -Y").stdout, "mmdf", "nsd")}
    with fio_load(["dgx01", "dgx02"]) as load:
        sim("fault", str(pod), "ess02a", "vdiskset-fail")
        try:
            r = scale_out(pod)
            assert r.returncode == 1, r.stdout[-4000:]
            assert "resuming the scale-out" in r.stdout and "ess02: vdiskset create failed" in r.stdout, \
                r.stdout[-4000:]
            assert set(cluster_nodes()) >= JOINING  # the join finished before the storage step failed
        finally:
            sim("fault", str(pod), "--clear")
        r = scale_out(pod)
        assert r.returncode == 0, r.stdout[-5000:]
        assert "join: done before, skipped" in r.stdout and "[7/8] rebalance" in r.stdout, r.stdout[-4000:]
    for host, (rc, text) in load.items():
        assert rc == 0 and text.startswith("runs="), f"{host}: {text}"
    assert ssh(POD, "dgx03", f"sha256sum {files}").stdout == sums  # written before, intact after, on a new client
    new, new_kb = new_disks_kb(disks_before)
    assert new and fs_size_kb() == size_before + new_kb, (new, new_kb)
    state = sf.parse_state(mm("ess01a", "mmgetstate -a -Y").stdout)["nodes"]
    assert set(state) >= JOINING and set(state.values()) == {"active"}, state
    lock = yaml.safe_load((pod.parent / f"{POD}.lock.yml").read_text())
    assert {"ess02a", "ess02b", "dgx03"} <= set(lock["hosts"])
    run = sorted((pod.parent / "artifacts" / POD).glob("*-scaleout"))[-1]
    table = (run / "scaleout.md").read_text()
    assert "| 3 | - | - |" in table and (run / "scaleout.png").read_bytes()[:4] == b"\x89PNG"


def test_a_second_scale_out_is_a_no_op(pod):
    r = scale_out(pod)
    assert r.returncode == 0 and "Nothing to add" in r.stdout and "[1/" not in r.stdout, r.stdout[-3000:]
    r = subprocess.run([str(VENV_BIN / "deploy-pod"), "plan", str(pod), "--live", "--twin"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "no drift" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]
