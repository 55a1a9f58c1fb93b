"""The plan computed once per `deploy-pod up` and handed to the phases (deploy_pod.plan_handoff): the
runner makes the same plan the pod_plan action makes, hands it over per phase in a private file, and the
action uses it only when it was made from the run's own inventory, lock and extra vars."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from deploy_pod import phasegroup, plan_handoff, runner
from deploy_pod.inventory import load_pod
from deploy_pod.plan_handoff import PLAN_VAR, fingerprint, read, write
from deploy_pod.planner import make_plan
from tests.conftest import EXAMPLES


@pytest.fixture
def pod(tmp_path) -> Path:
    path = tmp_path / "twin.yml"
    shutil.copy(EXAMPLES / "twin.yml", path)
    return path


def the_action_plan(path: Path) -> dict:
    """What plugins/action/pod_plan.py publishes for an inventory without a lock."""
    return json.loads(json.dumps(make_plan(load_pod(path).pod).as_dict(), default=str))


def test_fingerprint_follows_inventory_lock_and_extra_vars(pod):
    fp = fingerprint([str(pod)], {"scale_timeout": 60})
    assert fp == fingerprint([str(pod)], {"scale_timeout": 60, PLAN_VAR: "/elsewhere.json"})
    assert fp != fingerprint([str(pod)], {"scale_timeout": 61})
    assert fp != fingerprint([str(pod)], {})
    pod.with_name("twin.lock.yml").write_text("version: 1\nhosts: {}\n")
    with_lock = fingerprint([str(pod)], {"scale_timeout": 60})
    assert with_lock != fp
    pod.write_text(pod.read_text() + "\n# an edit\n")
    assert fingerprint([str(pod)], {"scale_timeout": 60}) != with_lock
    assert fingerprint(["dgx01,dgx02"], {}) != fingerprint(["dgx01,dgx03"], {})
    # a source named through a symbolic link is the same source
    link = pod.with_name("link.yml")
    link.symlink_to(pod)
    assert fingerprint([str(link)], {}) == fingerprint([str(pod)], {})
    assert fingerprint([str(pod)], {"odd": object()}) is None


def test_a_handed_plan_is_read_only_for_its_own_run(pod, tmp_path):
    plan = the_action_plan(pod)
    path = write(tmp_path / "plan.json", plan, fingerprint([str(pod)], {"a": 1}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read(str(path), [str(pod)], {"a": 1, PLAN_VAR: str(path)}) == plan
    assert read(str(path), [str(pod)], {"a": 2}) is None  # other extra vars
    assert read(str(path), [str(pod), str(tmp_path / "more.yml")], {"a": 1}) is None  # other sources
    pod.write_text(pod.read_text().replace("dgx02", "dgx03"))
    assert read(str(path), [str(pod)], {"a": 1}) is None  # the inventory changed since
    assert read(None, [str(pod)], {}) is None
    assert read(str(tmp_path / "none.json"), [str(pod)], {}) is None
    (tmp_path / "bad.json").write_text("{not json")
    assert read(str(tmp_path / "bad.json"), [str(pod)], {}) is None
    (tmp_path / "old.json").write_text(json.dumps({"version": 0, "fingerprint": fingerprint([str(pod)], {}),
                                                   "plan": plan}))
    assert read(str(tmp_path / "old.json"), [str(pod)], {}) is None


def test_plan_once_is_the_plan_the_action_makes(pod):
    assert runner.plan_once([str(pod)], {}) == the_action_plan(pod)
    # extra vars count as they do in ansible-playbook: over every host's variables
    assert runner.plan_once([str(pod)], {"scale_timeout": 60}) == the_action_plan(pod)
    assert runner.plan_once([str(pod)], {"hw_model": "no-such-model"}) is None  # errors: the phase says them


def test_plan_once_leaves_what_it_cannot_read_to_the_phase(tmp_path):
    assert runner.plan_once([str(tmp_path / "missing.yml")], {}) is None
    ini = tmp_path / "hosts"
    ini.write_text("localhost ansible_connection=local\n")
    assert runner.plan_once([str(ini)], {}) is None


def test_phase_extra_vars_merge_as_ansible_playbook_does(tmp_path):
    one, two, secrets = tmp_path / "one.yml", tmp_path / "two.json", tmp_path / "secrets.json"
    one.write_text("a: 1\nb: 1\n")
    two.write_text('{"b": 2, "c": 2}')
    secrets.write_text('{"ngc_api_key": "k"}')
    got = runner.phase_extra_vars([str(one), str(two)], {"c": 3, PLAN_VAR: "x"}, secrets)
    assert got == {"a": 1, "b": 2, "c": 3, "ngc_api_key": "k"}
    (tmp_path / "vault.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n6331\n")
    assert runner.phase_extra_vars([str(tmp_path / "vault.yml")], {}, None) is None
    assert runner.phase_extra_vars([str(tmp_path / "missing.yml")], {}, None) is None


class _Result:
    status, rc = "successful", 0
    stats = {"changed": {}, "failures": {}, "dark": {}}


def gate_events(names: list[str]) -> list[dict]:
    """What the gates of a combined playbook (deploy_pod.phasegroup) say when no host failed."""
    out = []
    for name in [*names, phasegroup.END]:
        out.append({"event": "playbook_on_play_start", "event_data": {"play": phasegroup.GATE + name}})
        out.append({"event": "runner_on_ok", "event_data": {"task": "Hosts that failed or were unreachable so far",
                                                            "host": "localhost", "res": {"msg": []}}})
    return out


def test_run_phases_computes_the_plan_once_and_hands_it_to_every_phase(pod, tmp_path, monkeypatch):
    """preflight and base share one ansible-playbook, acceptance runs alone: one plan for both runs."""
    import ansible_runner

    calls, seen = [], []
    real = runner.plan_once

    def counting(*args):
        calls.append(args)
        return real(*args)

    def fake_run(**kw):
        path = kw["extravars"][PLAN_VAR]
        seen.append({"forks": kw["forks"], "path": path, "mode": stat.S_IMODE(Path(path).stat().st_mode),
                     "plan": read(path, kw["inventory"], kw["extravars"]), "playbook": kw["playbook"]})
        if kw["playbook"].endswith("phases.yml"):
            for ev in gate_events(["preflight", "base"]):
                kw["event_handler"](ev)
        return _Result()

    monkeypatch.setattr(runner, "plan_once", counting)
    monkeypatch.setattr(ansible_runner, "run", fake_run)
    results = runner.run_phases(str(pod), [], [("preflight", "preflight.yml"), ("base", "base.yml"),
                                                ("acceptance", "acceptance.yml")],
                                extravars={"scale_timeout": 60}, artifacts=tmp_path / "artifacts",
                                echo=lambda line: None, record=False)
    assert [(r.phase, r.status) for r in results] == [
        ("preflight", "successful"), ("base", "successful"), ("acceptance", "successful")]
    assert [Path(s["playbook"]).name for s in seen] == ["phases.yml", "acceptance.yml"]
    assert len(calls) == 1  # the inventory read and the plan computed once for the run
    plan = the_action_plan(pod)
    assert [s["plan"] for s in seen] == [plan, plan]
    assert {s["mode"] for s in seen} == {0o600}
    assert {s["forks"] for s in seen} == {len(plan["hosts"]) + 1}
    assert not any(Path(s["path"]).exists() for s in seen)  # removed after the run


def test_run_phases_without_a_plan_leaves_it_to_the_phases(tmp_path, monkeypatch):
    import ansible_runner

    ini = tmp_path / "hosts"
    ini.write_text("localhost ansible_connection=local\n")
    seen = []
    monkeypatch.setattr(ansible_runner, "run", lambda **kw: seen.append(kw) or _Result())
    runner.run_phases(str(ini), [], [("preflight", "preflight.yml")], artifacts=tmp_path / "artifacts",
                      echo=lambda line: None, record=False)
    assert PLAN_VAR not in (seen[0]["extravars"] or {})
    assert seen[0]["forks"] is None  # ansible.cfg's


@pytest.mark.parametrize("tampered", [False, True])
def test_the_action_uses_a_handed_plan_only_when_it_fits(pod, tmp_path, tampered):
    """plan.yml for real (localhost only, no host touched): the handed plan is published as it is; a
    plan handed for another inventory is ignored and the action computes its own."""
    import os
    import sys

    import ansible_runner

    from deploy_pod.content import ROOT, ensure_collection_link

    ensure_collection_link()
    plan = the_action_plan(pod)
    plan["marker"] = "handed"
    extra = {"scale_timeout": 60}
    fp = fingerprint([str(pod)], {**extra, "other": 1} if tampered else extra)
    path = write(tmp_path / "plan.json", plan, fp)
    (tmp_path / "run").mkdir()
    env = {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = ansible_runner.run(private_data_dir=str(tmp_path / "run"), playbook=str(ROOT / "playbooks" / "plan.yml"),
                           inventory=[str(pod)], extravars={**extra, PLAN_VAR: str(path)}, quiet=True,
                           envvars=env, suppress_env_files=True)
    assert r.rc == 0
    res = next(e["event_data"]["res"] for e in r.events if e["event"] == "runner_on_ok")
    published = res["ansible_facts"]["deploy_pod_plan"]
    if tampered:
        assert "marker" not in published and published == the_action_plan(pod)
        assert "computed once" not in res["msg"]
    else:
        assert published == plan and "computed once for the run by deploy-pod up" in res["msg"]
    assert plan_handoff.PLAN_VAR == "deploy_pod_plan_file"


def test_a_run_plans_again_only_when_an_input_changes(pod, tmp_path, monkeypatch):
    calls = []
    real = runner.plan_once
    monkeypatch.setattr(runner, "plan_once", lambda *args: calls.append(args) or real(*args))
    plans: dict = {}
    first = runner.handed_plan(plans, [str(pod)], [], {"scale_timeout": 60}, None, tmp_path / "base.json")
    # the acceptance phase's own extra vars are no plan input: the same plan, handed with its own fingerprint
    acc = {"scale_timeout": 60, "acceptance_results_dir": str(tmp_path), "acceptance_run": "r1"}
    assert runner.handed_plan(plans, [str(pod)], [], acc, None, tmp_path / "acceptance.json") == first
    assert len(calls) == 1
    assert read(str(tmp_path / "acceptance.json"), [str(pod)], acc) == first
    assert read(str(tmp_path / "base.json"), [str(pod)], acc) is None
    # the lock written between two phases: planned again, from the lock
    from deploy_pod.lock import lock_from_plan, write_lock

    write_lock(pod, lock_from_plan(make_plan(load_pod(pod).pod)))
    assert runner.handed_plan(plans, [str(pod)], [], {"scale_timeout": 60}, None, tmp_path / "net.json") is not None
    assert len(calls) == 2
