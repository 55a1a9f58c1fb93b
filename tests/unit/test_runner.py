from __future__ import annotations

import json

import pytest

from deploy_pod import runner
from deploy_pod.runner import RunError, host_counts, progress_line, resume_point, select_phases


def test_select_phases_in_order_and_from():
    assert [p for p, _ in select_phases(["preflight"])] == ["preflight"]
    with pytest.raises(RunError, match="unknown phase 'storage-ish'"):
        select_phases(["storage-ish"])


def test_select_refuses_unwritten_playbooks(monkeypatch):
    monkeypatch.setattr(runner, "PHASES", runner.PHASES + [("later", "not-there.yml")])
    with pytest.raises(RunError, match="not written yet: not-there.yml"):
        select_phases(start="later")


def test_host_counts():
    stats = {"changed": {"dgx01": 2, "dgx02": 0}, "failures": {"ess01a": 1, "localhost": 1}, "dark": {"dgx03": 1}}
    assert host_counts(stats) == ({"dgx01": 2, "dgx02": 0}, ["dgx03", "ess01a"])
    assert host_counts(None) == ({}, [])


def test_progress_lines():
    assert progress_line({"event": "playbook_on_task_start", "event_data": {"task": "Install chrony"}}) == \
        "    task: Install chrony"
    assert progress_line({"event": "runner_on_ok", "event_data": {"host": "dgx01", "res": {"changed": True}}}) == \
        "      changed: dgx01"
    assert progress_line({"event": "runner_on_ok", "event_data": {"host": "dgx01", "res": {"changed": False}}}) is None
    item = {"event": "runner_item_on_ok",
            "event_data": {"host": "dgx01", "res": {"_ansible_item_label": "seqread from 2 client(s)"}}}
    assert progress_line(item) == "      done: dgx01: seqread from 2 client(s)"
    item["event_data"]["res"]["_ansible_item_label"] = {"a": 1}
    assert progress_line(item) is None
    line = progress_line({"event": "runner_on_failed", "event_data": {"host": "dgx02", "res": {"msg": "bad\nmore"}}})
    assert line == "      failed: dgx02: bad\n        more"
    long = "\n".join(f"row {i}" for i in range(50))
    line = progress_line({"event": "runner_on_failed", "event_data": {"host": "localhost", "res": {"msg": long}}})
    assert "row 39" in line and "row 40" not in line and "(+10 lines)" in line
    poll = {"event": "runner_retry", "event_data": {"host": "ess01a", "res": {"msg": "fs1: rebalance 42.50 % done"}}}
    assert progress_line(poll) == "      progress: ess01a: fs1: rebalance 42.50 % done"


def test_resume_point(tmp_path):
    with pytest.raises(RunError, match="nothing to resume"):
        resume_point(tmp_path, "pod.yml")
    (tmp_path / "pod").mkdir()
    (tmp_path / "pod" / "last-run.json").write_text(json.dumps({"phases": [
        {"phase": "preflight", "status": "successful", "failed_hosts": []},
        {"phase": "base", "status": "failed", "failed_hosts": ["dgx02"]}]}))
    assert resume_point(tmp_path, "pod.yml") == ("base", ["dgx02"])


def test_a_limit_keeps_the_controller_in():
    from deploy_pod.runner import with_controller

    assert with_controller(None) is None
    assert with_controller("dgx02") == "dgx02,localhost"
    assert with_controller("dgx01,localhost") == "dgx01,localhost"


def test_site_yml_imports_every_phase_in_order():
    import yaml

    site = yaml.safe_load((runner.ROOT / "playbooks" / "site.yml").read_text())
    assert [p["ansible.builtin.import_playbook"] for p in site] == [f for _, f in runner.PHASES]
    assert [p for p, _ in runner.PHASES][-2:] == ["ngc", "acceptance"]


def test_secrets_leave_the_environment_for_a_private_file():
    env = {"NGC_API_KEY": "k3y", "PATH": "/bin"}
    with runner.secrets_file(env) as path:
        assert "NGC_API_KEY" not in env and env["PATH"] == "/bin"
        assert json.loads(path.read_text()) == {"ngc_api_key": "k3y"}
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert env == {"NGC_API_KEY": "k3y", "PATH": "/bin"} and not path.exists() and not path.parent.exists()
    with runner.secrets_file({"PATH": "/bin"}) as path:
        assert path is None
