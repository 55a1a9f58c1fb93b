"""deploy_pod.pod.scale_gate: the gate's verdict (module_utils/scale_gate.py) over the real mmhealth
samples and hand-made facts, and the module's main() against the twin's emulated mm commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_gate as sg
from ansible_collections.deploy_pod.pod.plugins.modules import scale_gate

from tests.scalekit import ScalePod, node, runner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:")
    return text

# ---- health of every node ------------------------------------------------------------------


def test_real_samples_healthy_or_tips_give_no_event():
    for name in ("mmhealth_node_show_Y.1.txt", "mmhealth_node_show_Y.2.txt"):
        health = sg.parse_health_all(fixture(name))
        assert len(health) == 1 and sg.unhealthy(health) == []
    rec = sg.parse_health_all(fixture("mmhealth_node_show_Y.1.txt"))["ib-haswell1.example.com"]
    assert rec["status"] == "TIPS" and len(rec["events"]) == 3


def test_real_sample_degraded_component_names_its_events_with_their_identifiers():
    text = fixture("mmhealth_node_show_Y.1.txt").replace(
        "GPFS:ib-haswell1.example.com:NODE:TIPS", "GPFS:ib-haswell1.example.com:NODE:DEGRADED").replace(
        "NODE:ib-haswell1.example.com:NODE:TIPS", "NODE:ib-haswell1.example.com:NODE:DEGRADED")
    nodes = {"ib-haswell1-ib": {"admin": "ib-haswell1.example.com"}}  # facts' table: daemon name by admin name
    events = sg.unhealthy(sg.parse_health_all(text, nodes))
    assert events == ["ib-haswell1-ib:GPFS:ib-haswell1.example.com:cluster_connections_down@10.22.51.57",
                      "ib-haswell1-ib:GPFS:ib-haswell1.example.com:cluster_connections_down@10.22.95.17",
                      "ib-haswell1-ib:GPFS:ib-haswell1.example.com:gpfs_pagepool_small"]


HEALTH_HEAD = ("mmhealth:Event:HEADER:version:reserved:reserved:node:component:entityname:entitytype:event:arguments:"
               "activesince:identifier:ishidden:\n"
               "mmhealth:State:HEADER:version:reserved:reserved:node:component:entityname:entitytype:status:"
               "laststatuschange:\n")


def state(node, comp, entity, etype, status):
    return f"mmhealth:State:0:1:::{node}:{comp}:{entity}:{etype}:{status}:2025-01-01 00%3A00%3A00.0 UTC:\n"


def event(node, comp, entity, name):
    return f"mmhealth:Event:0:1:::{node}:{comp}:{entity}:NODE:{name}::2025-01-01 00%3A00%3A00.0 UTC::no:\n"


def test_states_without_events_and_node_rollups():
    text = HEALTH_HEAD + "".join([
        state("n1", "NODE", "n1", "NODE", "DEGRADED"), state("n1", "NETWORK", "n1", "NODE", "DEGRADED"),
        state("n1", "NETWORK", "mlx5_0/1", "IB_RDMA", "FAILED"),
        state("n2", "NODE", "n2", "NODE", "FAILED"),  # a roll-up with nothing below it
        state("n3", "NODE", "n3", "NODE", "FAILED"), state("n3", "GPFS", "n3", "NODE", "FAILED"),
        event("n3", "GPFS", "n3", "gpfs_down"),
        state("n4", "NODE", "n4", "NODE", "HEALTHY"), event("n4", "GPFS", "n4", "gpfs_warn"),  # healthy: not counted
    ])
    assert sg.unhealthy(sg.parse_health_all(text)) == [
        "n1:NETWORK:mlx5_0/1:FAILED", "n1:NETWORK:n1:DEGRADED", "n2:NODE:n2:FAILED", "n3:GPFS:n3:gpfs_down"]


# ---- the verdict -----------------------------------------------------------------------------

def facts(states: dict, quorum=("q1", "q2", "q3"), mounts=None, fs=("fs1",)):
    return {"installed": True, "member": True, "cluster": {"name": "pod1"},
            "nodes": {n: {"daemon": n, "admin": n.removesuffix("-ib"), "quorum": n in quorum, "state": s}
                      for n, s in states.items()},
            "filesystems": dict.fromkeys(fs, {}), "mounts": mounts if mounts is not None else {"fs1": []}}


ALL_UP = {"q1": "active", "q2": "active", "q3": "active", "dgx01-ib": "active", "dgx02-ib": "active"}


def test_everything_fine():
    f = facts(ALL_UP, mounts={"fs1": ["dgx01-ib", "dgx02-ib"]})
    v = sg.evaluate(f, HEALTH_HEAD, list(ALL_UP), ["dgx01-ib", "dgx02"], "fs1", [])
    assert v == {"ok": True, "findings": [], "events": [], "new_events": [], "nodes": ALL_UP,
                 "quorum": {"nodes": ["q1", "q2", "q3"], "active": ["q1", "q2", "q3"], "needed": 2, "held": True}}


def test_each_check_names_the_node_and_what_was_seen():
    states = {**ALL_UP, "q2": "down", "q3": "arbitrating", "dgx02-ib": "down"}
    f = facts(states, mounts={"fs1": ["dgx01-ib"]})
    health = HEALTH_HEAD + state("dgx02-ib", "GPFS", "dgx02-ib", "NODE", "FAILED") + \
        event("dgx02-ib", "GPFS", "dgx02-ib", "gpfs_down") + state("q1", "DISK", "d1", "NSD", "DEGRADED")
    v = sg.evaluate(f, health, [*ALL_UP, "dgx09-ib"], ["dgx01-ib", "dgx02-ib"], "fs1", ["q1:DISK:d1:DEGRADED"])
    assert v["ok"] is False
    assert v["findings"] == [
        "q2: GPFS daemon down, not active", "q3: GPFS daemon arbitrating, not active",
        "dgx02-ib: GPFS daemon down, not active", "dgx09-ib: not a node of cluster pod1",
        "quorum lost: 1 of 3 quorum nodes active (2 needed; active: q1)",
        "dgx02-ib: fs1 not mounted", "dgx02-ib: mmhealth GPFS dgx02-ib: gpfs_down (dgx02-ib:GPFS:dgx02-ib:gpfs_down)"]
    assert v["events"] == ["dgx02-ib:GPFS:dgx02-ib:gpfs_down", "q1:DISK:d1:DEGRADED"]  # the baseline's still listed
    assert v["new_events"] == ["dgx02-ib:GPFS:dgx02-ib:gpfs_down"]
    assert v["nodes"]["q3"] == "arbitrating"


def test_missing_file_system_health_read_failure_and_no_cluster():
    v = sg.evaluate(facts(ALL_UP, fs=()), HEALTH_HEAD, [], ["dgx01-ib"], "fs1", [],
                    health_error="mmhealth node show -N all -Y failed (exit 1): node q3 did not respond")
    assert v["findings"] == ["file system fs1 does not exist",
                             "mmhealth: mmhealth node show -N all -Y failed (exit 1): node q3 did not respond"]
    # no file system named: mounts are not checked
    assert sg.evaluate(facts(ALL_UP), HEALTH_HEAD, [], ["dgx01-ib"], None, [])["ok"] is True
    v = sg.evaluate({"installed": True, "member": False}, "", ["q1"], [], None, [])
    assert (v["ok"], v["findings"]) == (False, ["this node is not in a Spectrum Scale cluster"])


def test_failure_message():
    assert sg.failure_message("ess02", ["dgx03-ib: fs1 not mounted", "q2: GPFS daemon down, not active"], "pod1") == (
        "gate after ess02 failed: dgx03-ib: fs1 not mounted; q2: GPFS daemon down, not active; the scale-out "
        "stopped here; fix it and run `deploy-pod scale-out pod1` again: finished steps are skipped")


# ---- the module on the twin ------------------------------------------------------------------

NODES = [node("ess01a", True, True), node("ess01b", True, True), node("nsd01", True, True), node("dgx01"),
         node("dgx02")]
DAEMONS = [n["daemon"] for n in NODES]


@pytest.fixture
def pod(tmp_path):
    p = ScalePod(tmp_path, ["ess01a", "ess01b", "nsd01", "dgx01", "dgx02"])
    p.create(NODES)
    p.start(["ess01a", "ess01b", "nsd01", "dgx01", "dgx02"])
    p.ok("ess01a", "mmcrnsd", "-F", p.write("s", "%nsd: device=/dev/sdb nsd=d1 servers=nsd01-ib\n"))
    p.ok("ess01a", "mmcrfs", "fs1", "-F", p.write("f", "%nsd: nsd=d1\n"), "-B", "1M", "-T", "/gpfs/fs1")
    p.ok("ess01a", "mmmount", "fs1", "-N", "dgx01-ib,dgx02-ib")
    yield p
    p.stop_all()


def test_module_passes_then_fails_on_a_stopped_client_and_baselines(pod, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    args = {"nodes": DAEMONS, "clients": ["dgx01-ib", "dgx02-ib"], "filesystem": "fs1", "step": "ess02", "pod": "twin"}
    rc, res = run(scale_gate, args, check=True)
    assert rc == 0 and res["changed"] is False and res["ok"] is True and res["findings"] == []
    assert res["nodes"] == dict.fromkeys(DAEMONS, "active") and res["events"] == [] and res["step"] == "ess02"
    assert res["quorum"]["held"] is True and res["mm_node"] == "ess01a"
    pod.ok("dgx02", "mmshutdown")
    pod.wait_states({"dgx02-ib": "down"})
    rc, res = run(scale_gate, args)
    assert rc == 1 and res["ok"] is False
    assert res["findings"] == ["dgx02-ib: GPFS daemon down, not active", "dgx02-ib: fs1 not mounted",
                               "dgx02-ib: mmhealth GPFS dgx02-ib: gpfs_down (dgx02-ib:GPFS:dgx02-ib:gpfs_down)"]
    assert res["events"] == ["dgx02-ib:GPFS:dgx02-ib:gpfs_down"]
    assert res["msg"].startswith("gate after ess02 failed: dgx02-ib: GPFS daemon down, not active; ")
    assert res["msg"].endswith("run `deploy-pod scale-out twin` again: finished steps are skipped")
    # the event was there before the step: only the daemon and the mount count, and it need not fail
    rc, res = run(scale_gate, {**args, "baseline": res["events"], "fail_on_findings": False})
    assert rc == 0 and res["ok"] is False and res["new_events"] == []
    assert res["findings"] == ["dgx02-ib: GPFS daemon down, not active", "dgx02-ib: fs1 not mounted"]


def test_module_reports_lost_quorum(pod, capsys, monkeypatch):
    run = runner(pod, "ess01a", capsys, monkeypatch)
    pod.ok("ess01a", "mmshutdown", "-N", "ess01b-ib,nsd01-ib")
    pod.wait_states({"ess01b-ib": "down", "nsd01-ib": "down"})
    rc, res = run(scale_gate, {"fail_on_findings": False})
    assert rc == 0 and res["ok"] is False
    assert "quorum lost: 0 of 3 quorum nodes active (2 needed; active: none)" in res["findings"]
    assert res["quorum"]["active"] == [] and res["nodes"]["ess01a-ib"] == "arbitrating"
