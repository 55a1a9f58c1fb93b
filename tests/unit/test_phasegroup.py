"""deploy_pod.phasegroup: which phases share one ansible-playbook, the combined playbook, and the event
stream cut back into phases (tests/unit/test_run_live.py runs it for real)."""

from __future__ import annotations

from pathlib import Path

import yaml

from deploy_pod import phasegroup
from deploy_pod.phasegroup import END, GATE, PhaseSplitter, combined_playbook, group_phases, outcome
from deploy_pod.runner import PHASES


def test_every_phase_but_acceptance_shares_one_playbook():
    groups = group_phases(PHASES)
    assert [[p for p, _ in g] for g in groups] == [[p for p, _ in PHASES if p != "acceptance"], ["acceptance"]]
    assert group_phases([("acceptance", "a.yml")]) == [[("acceptance", "a.yml")]]
    assert group_phases([("a", "a.yml"), ("acceptance", "x.yml"), ("b", "b.yml")]) == [
        [("a", "a.yml")], [("acceptance", "x.yml")], [("b", "b.yml")]]


def test_the_combined_playbook_has_a_gate_before_each_phase_and_after_the_last(tmp_path):
    plays = yaml.safe_load(combined_playbook([("base", "base.yml"), ("network", "network.yml")], tmp_path))
    assert [p.get("name") or Path(p["ansible.builtin.import_playbook"]).name for p in plays] == [
        GATE + "base", "base.yml", GATE + "network", "network.yml", GATE + END]
    gates = [p for p in plays if "name" in p]
    assert all(g["hosts"] == "all:localhost" and g["any_errors_fatal"] for g in gates)
    # only a gate after a phase stops; every gate task runs whatever --tags says
    assert [len(g["tasks"]) for g in gates] == [1, 2, 1]
    assert all(t["tags"] == ["always"] for g in gates for t in g["tasks"])
    assert Path(plays[1]["ansible.builtin.import_playbook"]).is_absolute()


def gate(name, removed=()):
    """A gate play's events, then the start of the phase's first play."""
    return [{"event": "playbook_on_play_start", "event_data": {"play": GATE + name}},
            {"event": "runner_on_ok", "event_data": {"task": "Hosts that failed or were unreachable so far",
                                                     "host": "dgx01", "res": {"msg": list(removed)}}},
            {"event": "playbook_on_play_start", "event_data": {"play": f"{name} - a play"}}]


def task(kind, host, changed=False, task_name="t"):
    return {"event": kind, "event_data": {"host": host, "task": task_name, "res": {"changed": changed}}}


def split(events):
    started, ended, shown = [], [], []
    s = PhaseSplitter(started.append, ended.append, shown.append)
    for ev in events:
        s.feed(ev)
    return s, started, ended, shown


def test_the_splitter_cuts_the_stream_at_the_gates():
    events = [{"event": "playbook_on_start"}, *gate("base"),
              task("runner_on_ok", "dgx01", changed=True), task("runner_on_ok", "dgx02"),
              *gate("network"), task("runner_on_ok", "dgx01", changed=True), task("runner_on_ok", "dgx01", True),
              *gate(END), {"event": "playbook_on_stats"}]
    s, started, ended, shown = split(events)
    assert started == ["base", "network"]
    assert [(p.name, p.changed, p.removed) for p in ended] == [("base", {"dgx01": 1}, []),
                                                               ("network", {"dgx01": 2}, [])]
    assert s.close() is None
    assert len(shown) == 6 and not any(GATE in str(ev) for ev in shown)  # the gates' events are not shown
    assert [len(p.events) for p in ended] == [3, 3]  # its plays' starts and its host results


def test_a_failed_phase_ends_the_run_and_says_who_failed():
    events = [*gate("base"), task("runner_on_failed", "dgx02"), task("runner_on_unreachable", "ess01a"),
              task("runner_on_failed", "localhost"), *gate("network", removed=["localhost", "ess01a", "dgx02"])]
    s, started, ended, _ = split(events)
    assert started == ["base"]  # network never starts
    (base,) = ended
    assert base.removed == ["dgx02", "ess01a", "localhost"]
    assert outcome(base) == (["dgx02", "localhost"], ["ess01a"])
    assert s.close() is None


def test_a_phase_without_its_gate_is_left_for_the_caller():
    s, started, ended, _ = split([*gate("base"), task("runner_on_ok", "dgx01", changed=True)])
    assert started == ["base"] and ended == []
    ph = s.close()
    assert ph.name == "base" and ph.changed == {"dgx01": 1} and ph.removed is None


def test_an_ignored_unreachable_host_is_not_a_failure():
    # preflight's first check ignores unreachable hosts: Ansible keeps them in play, the gate does not list them
    events = [*gate("preflight"), task("runner_on_unreachable", "dgx02"), *gate("base")]
    _, started, ended, _ = split(events)
    assert started == ["preflight", "base"] and outcome(ended[0]) == ([], [])


def test_the_first_phase_counts_from_the_start_of_ansible_playbook():
    s = PhaseSplitter(lambda n: None, lambda p: None, started=0.0)
    for ev in gate("base"):
        s.feed(ev)
    assert s.current.started == 0.0
    assert phasegroup.Phase("x").started > 0


def test_helpers_after_the_phases_run_only_when_every_phase_succeeded(tmp_path):
    plays = yaml.safe_load(combined_playbook([("clients", "clients.yml")], tmp_path, then=["live_read.yml"]))
    assert [p.get("name") or Path(p["ansible.builtin.import_playbook"]).name for p in plays] == [
        GATE + "clients", "clients.yml", GATE + END, "live_read.yml"]
    assert len(plays[2]["tasks"]) == 2  # the last gate stops before the helper when the last phase failed


def test_a_failing_helper_after_the_phases_is_not_a_phase_failure():
    s, started, ended, _ = split([*gate("clients"), task("runner_on_ok", "dgx01"), *gate(END),
                                  task("runner_on_failed", "localhost", task_name="Read the cluster (read-only)")])
    assert [(p.name, p.removed) for p in ended] == [("clients", [])]
    assert s.after_failed and s.close() is None
    assert len(ended[0].events) == 2  # the helper's events are not the phase's
