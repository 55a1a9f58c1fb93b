"""What `up` shows while it runs (plain lines, the rich bar, JSON lines), the exit-code mapping, and
`deploy-pod runs` (the pure parts; tests/unit/test_run_live.py runs ansible-runner for real)."""

from __future__ import annotations

import io
import json

import pytest

from deploy_pod.progress import JsonProgress, PlainProgress, RichProgress, make_progress, progress_line
from deploy_pod.runner import PhaseResult, exit_code, host_outcome


def ev(kind, **data):
    return {"event": kind, "event_data": data}


EVENTS = [
    ev("playbook_on_play_start", play="Base"),
    ev("playbook_on_task_start", task="Install chrony"),
    ev("runner_on_start", host="dgx01"), ev("runner_on_start", host="dgx02"),
    ev("runner_on_ok", host="dgx01", task="Install chrony", res={"changed": True}),
    ev("runner_on_ok", host="dgx02", task="Install chrony", res={"changed": False}),
    ev("playbook_on_task_start", task="Hold packages"),
    ev("runner_on_start", host="dgx01"), ev("runner_on_start", host="dgx02"),
    ev("runner_on_skipped", host="dgx01", task="Hold packages", res={}),
    ev("runner_on_failed", host="dgx02", task="Hold packages", res={"msg": "[dgx02] apt-mark: held\nsecond line"}),
]
RESULT = PhaseResult("base", "failed", 2, 3.5, {"dgx01": 1, "dgx02": 0}, ["dgx02"], "/a/base", [], ["dgx02"])


def run_through(view):
    view.phase_start("base", "base.yml", False)
    for e in EVENTS:
        view.event(e)
    view.phase_end(RESULT)
    view.close()


def lines_of(level):
    out = []
    run_through(PlainProgress(out.append, level))
    return "\n".join(out).splitlines()


def test_plain_lines_are_kept_for_scripts():
    lines = lines_of("normal")
    assert lines[0] == "==> phase base (base.yml)"
    assert "      changed: dgx01" in lines and "      failed: dgx02: [dgx02] apt-mark: held" in lines
    assert "        second line" in lines
    assert not any("ok: dgx02" in line or "skipped:" in line for line in lines)
    assert lines[-1] == "    base: failed in 3.5 s; changed 1 task(s) on 1 host(s); failed: dgx02"


def test_quiet_shows_failures_and_the_summary_only():
    assert lines_of("quiet") == ["      failed: dgx02: [dgx02] apt-mark: held", "        second line",
                                 "    base: failed in 3.5 s; changed 1 task(s) on 1 host(s); failed: dgx02"]


def test_verbose_adds_every_host_result():
    lines = lines_of("verbose")
    assert "      ok: dgx02" in lines and "      skipped: dgx01" in lines and "      changed: dgx01" in lines
    assert progress_line(ev("runner_on_skipped", host="x")) is None


def test_summary_names_unreachable_and_interrupted():
    out = []
    view = PlainProgress(out.append)
    view.phase_end(PhaseResult("network", "failed", 4, 1.0, {}, ["dgx02", "dgx03"], "", ["dgx03"], ["dgx02"]))
    view.phase_end(PhaseResult("storage", "interrupted", 254, 7.5, {}, [], ""))
    assert out == ["    network: failed in 1.0 s; changed 0 task(s) on 0 host(s); failed: dgx02; unreachable: dgx03",
                   "    storage: interrupted after 7.5 s"]


def test_json_lines_one_object_each():
    out = []
    run_through(JsonProgress(out.append))
    docs = [json.loads(line) for line in out]
    assert [d["type"] for d in docs] == ["phase_start", "task_start", "host_result", "host_result", "task_start",
                                         "host_result", "host_result", "phase_end"]
    assert docs[2] == {"type": "host_result", "phase": "base", "host": "dgx01", "task": "Install chrony",
                       "status": "ok", "changed": True, "msg": None, "ignored": False}
    assert docs[6]["status"] == "failed" and docs[6]["msg"].startswith("[dgx02] apt-mark")
    assert docs[-1]["failed_hosts"] == ["dgx02"] and docs[-1]["status"] == "failed"


def test_rich_bar_counts_results_and_prints_failures_whole():
    from rich.console import Console

    buf = io.StringIO()
    view = RichProgress(Console(file=buf, force_terminal=True, width=120), "normal")
    view.phase_start("base", "base.yml", False)
    for e in EVENTS:
        view.event(e)
    task = view.bar.tasks[0]
    assert (task.completed, task.total, task.fields["changed"]) == (4, 4, 1)
    assert "Hold packages" in task.description
    view.phase_end(RESULT)
    text = buf.getvalue()
    # brackets in messages are not rich markup; the whole message is there
    assert "failed: dgx02: [dgx02] apt-mark: held" in text and "second line" in text
    assert "base: failed in 3.5 s" in text and view.bar is None


def test_make_progress_picks_the_view():
    assert isinstance(make_progress(tty=False), PlainProgress)
    assert isinstance(make_progress(tty=True), RichProgress)
    assert isinstance(make_progress(tty=True, level="quiet"), PlainProgress)
    assert isinstance(make_progress(as_json=True, tty=True), JsonProgress)
    with pytest.raises(ValueError):
        make_progress(level="loud")


def res(status, failures=(), unreachable=()):
    return PhaseResult("p", status, 0, 0.0, {}, sorted(set(failures) | set(unreachable)) if status != "x" else [],
                       "", list(unreachable), list(failures))


@pytest.mark.parametrize("results,code", [
    ([], 0),
    ([res("successful"), res("successful")], 0),
    ([res("successful"), res("failed", failures=["dgx02"])], 1),
    ([res("failed", unreachable=["dgx03"])], 3),
    ([res("failed", failures=["dgx02"], unreachable=["dgx03"])], 1),  # a real failure wins
    ([res("failed", failures=["localhost"], unreachable=["dgx03"])], 1),  # the controller's checks failed
    ([res("failed")], 1),  # ansible-playbook itself failed (syntax, options): no host stats
    ([res("successful"), res("interrupted")], 130),
])
def test_exit_code_mapping(results, code):
    assert exit_code(results) == code


def test_host_outcome_from_stats():
    stats = {"failures": {"dgx02": 1, "localhost": 1, "dgx09": 0}, "dark": {"dgx03": 1, "localhost": 1}}
    assert host_outcome(stats) == (["dgx02", "localhost"], ["dgx03"])
    assert host_outcome(None) == ([], [])


# ---- deploy-pod runs ------------------------------------------------------------------------

def write_run(base, run, phases, check=False):
    d = base / "pod" / run
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps({"pod": "pod", "run": run, "check": check, "phases": phases}))
    return d


def phase(name, status="successful", seconds=1.0, changed=None, failed=()):
    return {"phase": name, "status": status, "rc": 0, "seconds": seconds, "changed": changed or {},
            "failed_hosts": list(failed), "artifacts": ""}


def test_runs_newest_first_with_their_phases(tmp_path):
    from deploy_pod.runs import list_runs, phases_cell

    write_run(tmp_path, "20261129-070000", [phase("preflight"), phase("base", changed={"dgx01": 3, "dgx02": 2})])
    d2 = write_run(tmp_path, "20261130-080000", [phase("preflight", seconds=2.25),
                                                 phase("base", "failed", 4.0, {"dgx01": 1}, ["dgx02"])], check=True)
    write_run(tmp_path, "20261130-090000", [phase("network", "interrupted", 3.0)])
    (tmp_path / "pod" / "20261130-090000" / "base").mkdir()  # phase dirs beside summary.json: not runs
    (tmp_path / "pod" / "last-run.json").write_text("{}")
    runs = list_runs(tmp_path, "some/dir/pod.yml")
    assert [r["run"] for r in runs] == ["20261130-090000", "20261130-080000", "20261129-070000"]
    second = runs[1]
    assert second | {"when": None} == {
        "run": "20261130-080000", "when": None, "dir": str(d2), "check": True, "status": "failed",
        "phases": [{"phase": "preflight", "status": "successful", "seconds": 2.25, "changed": 0, "failed_hosts": []},
                   {"phase": "base", "status": "failed", "seconds": 4.0, "changed": 1, "failed_hosts": ["dgx02"]}],
        "seconds": 6.2, "changed": 1, "failed_hosts": ["dgx02"]}
    assert second["when"] == "2026-11-30 08:00:00"
    assert runs[2]["changed"] == 5 and runs[2]["status"] == "successful"
    assert phases_cell(runs[0]) == "network INTERRUPTED" and phases_cell(second) == "preflight ok, base FAILED"
    assert list_runs(tmp_path, "other.yml") == []


def test_an_unreadable_summary_is_listed_with_its_error(tmp_path):
    from deploy_pod.runs import list_runs, runs_table

    d = tmp_path / "pod" / "20261129-070000"
    d.mkdir(parents=True)
    (d / "summary.json").write_text("{not json")
    (run,) = list_runs(tmp_path, "pod.yml")
    assert run["status"] == "unreadable" and "summary.json" in run["error"]
    assert runs_table([run]).row_count == 1


def test_runs_command(tmp_path):
    from click.testing import CliRunner

    from deploy_pod.cli import main

    write_run(tmp_path, "20261129-070000", [phase("preflight"), phase("base", "failed", failed=["dgx02"])])
    r = CliRunner().invoke(main, ["runs", "pod.yml", "--artifacts", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "20261129-070000" in r.output and "base FAILED" in r.output and "dgx02" in r.output
    r = CliRunner().invoke(main, ["runs", "pod.yml", "--artifacts", str(tmp_path), "--json"])
    assert json.loads(r.stdout)[0]["failed_hosts"] == ["dgx02"]
    r = CliRunner().invoke(main, ["runs", "other.yml", "--artifacts", str(tmp_path)])
    assert r.exit_code == 0 and "no runs of other" in r.output
    r = CliRunner().invoke(main, ["runs", "--help"])
    assert "Example" in r.output
