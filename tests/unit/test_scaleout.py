"""What `deploy-pod scale-out` adds, from the grown inventory's plan and the running cluster's facts."""

from __future__ import annotations

import pytest

from deploy_pod import scaleout as so
from deploy_pod.catalog import load_catalog
from deploy_pod.inventory import load_pod
from deploy_pod.lock import lock_from_plan
from deploy_pod.planner import make_plan
from tests.conftest import EXAMPLES
from tests.unit.test_lock import add_dgx, add_unit, example

CATALOG = load_catalog()


def running_facts(plan, fs="fs1") -> dict:
    """The cluster a deployed plan leaves: every node, every unit's vdisk set in the file system."""
    nodes = {n["daemon"]: {"daemon": n["daemon"], "admin": n["admin"], "quorum": n["quorum"],
                           "manager": n["manager"]} for n in plan.scale.nodes}
    sets = {u["vdisk_set"]: {"fs": fs, "code": u["code"], "block_size": u["block_size"], "created": True}
            for u in plan.scale.units}
    return {"member": True, "nodes": nodes, "vdisk": {"vdisksets": sets}, "nsds": {},
            "capacity": {fs: {"total_kb": 3 * 2**30}}}


@pytest.fixture
def grown(write_inv):
    """The twin as deployed (its plan locked), and the same pod with a unit and a DGX added."""
    data = example("twin.yml")
    before = make_plan(load_pod(write_inv(data)).pod)
    pod = load_pod(write_inv(add_dgx(add_unit(data, "ess02")))).pod
    return before, pod, make_plan(pod, lock=lock_from_plan(before))


def test_what_joins_and_the_steps(grown):
    before, pod, after = grown
    out = so.compute(pod, after, running_facts(before), CATALOG)
    assert out.joining == ["ess02a", "ess02b", "dgx99"] and out.dgx == ["dgx99"] and out.units == ["ess02"]
    assert out.unit_layout[0]["code"] == "8+2p" and out.unit_layout[0]["vdisk_set"] == "vs_fs1_ess02"
    assert out.quorum == []  # 5 candidates -> 3 quorum nodes, the lock keeps the old three
    assert (out.units_before, out.units_after) == (1, 2)
    assert out.expected_before < out.expected_after
    assert [s.name for s in out.steps] == ["hosts", "names", "join", "storage", "clients", "ngc"]
    assert out.steps[0].limit == ["ess02a", "ess02b", "dgx99"] and out.steps[0].phases == so.HOST_PHASES
    assert out.steps[2].limit is None  # mmaddnode runs once; every host takes the new SSH keys
    assert out.steps[4].limit == ["dgx99"] and out.steps[4].gate
    text = "\n".join(so.plan_lines(out))
    assert "Hosts joining (3): ess02a, ess02b, dgx99" in text
    assert "ESS unit ess02 joining" in text and "8+2p" in text and "3.00 TiB now" in text
    assert "ESS units: 1 -> 2" in text


def test_a_dgx_alone_has_no_storage_step(write_inv):
    data = example("twin.yml")
    before = make_plan(load_pod(write_inv(data)).pod)
    pod = load_pod(write_inv(add_dgx(data))).pod
    out = so.compute(pod, make_plan(pod, lock=lock_from_plan(before)), running_facts(before), CATALOG)
    assert [s.name for s in out.steps] == ["hosts", "names", "join", "clients", "ngc"]
    assert out.expected_before == out.expected_after or out.expected_after > out.expected_before


def test_nothing_to_add_says_so(grown):
    before, _, _ = grown
    pod = load_pod(EXAMPLES / "twin.yml").pod
    out = so.compute(pod, make_plan(pod, lock=lock_from_plan(before)), running_facts(before), CATALOG)
    assert out.nothing and out.steps == []
    assert so.plan_lines(out)[0].startswith("Nothing to add")


def test_a_pod_without_a_cluster_is_refused(grown):
    _, pod, after = grown
    with pytest.raises(ValueError, match="not in a Spectrum Scale cluster"):
        so.compute(pod, after, {"member": False}, CATALOG)


def test_a_joining_unit_must_match_the_file_systems_layout(grown):
    before, _, after = grown
    facts = running_facts(before)
    facts["vdisk"]["vdisksets"]["vs_fs1_ess01"]["code"] = "8+3p"
    assert so.layout_conflicts(after, facts) == [
        "ess02: the plan's vdisk set has code 8+2p, the file system's existing ones 8+3p; a file system's vdisk "
        "sets share one layout"]
    assert so.layout_conflicts(after, running_facts(before)) == []


def test_state_round_trip_resumes_the_same_steps(grown, tmp_path):
    before, pod, after = grown
    out = so.compute(pod, after, running_facts(before), CATALOG)
    out.steps += [so.rebalance_step("300IOPS"), so.acceptance_step()]
    path = so.state_path(tmp_path, "pod.yml")
    state = so.new_state(out, {"rebalance": True, "qos": "300IOPS"})
    state["done"] = ["hosts", "join"]
    so.save_state(path, state)
    again = so.resumed(so.load_state(path))
    assert again.resumed and again.joining == out.joining
    assert [s.name for s in again.steps] == [s.name for s in out.steps]
    assert again.steps[0].limit == out.steps[0].limit
    state["finished"] = True
    so.save_state(path, state)
    assert so.load_state(path) is None  # a finished scale-out is not resumed


def test_gate_message_says_how_to_resume():
    text = so.gate_failed_message("join", ["dgx99-ib: arbitrating"], "pod.yml")
    assert "health gate after step join failed" in text and "dgx99-ib: arbitrating" in text
    assert "deploy-pod scale-out pod.yml" in text and "finished steps are skipped" in text


def test_before_and_after_table_and_plot(tmp_path):
    def ev(run, points, units):
        return {"run": run, "expected": {"units": units, "storage_gbs": 40.0 * units},
                "fio": {"scaling": {"seqread": [{"clients": n, "gbs": g, "expected_gbs": e} for n, g, e in points]}}}
    before = ev("r1", [(1, 10.0, 25.0), (2, 19.0, 40.0)], 1)
    after = ev("r2", [(1, 10.5, 25.0), (2, 20.0, 50.0), (3, 29.0, 75.0)], 2)
    rows = so.compare_runs(before, after)
    assert rows[1] == {"clients": 2, "before": 19.0, "after": 20.0, "expected_before": 40.0, "expected_after": 50.0}
    assert rows[2]["before"] is None and rows[2]["after"] == 29.0
    files = so.write_comparison(before, after, tmp_path, "20261129-100000-scaleout")
    text = files["md"].read_text()
    assert "| 3 | - | - | 29.00 | 75.00 |" in text
    assert "1 ESS unit(s), storage rated 40.00 GB/s" in text and "2 ESS unit(s), storage rated 80.00 GB/s" in text
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "none (no earlier acceptance run)" in so.write_comparison(None, after, tmp_path / "n")["md"].read_text()
