"""ansible-runner for real on small localhost playbooks (no host, no container): Ctrl-C stops the running
phase and records it as interrupted (exit 130, resumable there), an unreachable host maps to exit 3, --json
prints only JSON lines; and `up`'s bad input exits 2 before any host is touched."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy_pod import runner
from deploy_pod.cli import main
from tests.conftest import EXAMPLES

LOCAL = "localhost ansible_connection=local ansible_python_interpreter='{{ ansible_playbook_python }}'\n"
QUICK = """- name: Quick
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug: {msg: hello}
"""


def slow(marker: Path, seconds: str) -> str:
    return f"""- name: Slow
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Mark the start
      ansible.builtin.file: {{path: "{marker}", state: touch}}
    - name: Wait
      ansible.builtin.command: sleep {seconds}
"""


@pytest.fixture
def content(tmp_path, monkeypatch):
    """A checkout of our own: playbooks/ with the given phases, ansible.cfg from the real one."""
    root = tmp_path / "root"
    (root / "playbooks").mkdir(parents=True)
    shutil.copy(runner.ROOT / "ansible.cfg", root / "ansible.cfg")
    monkeypatch.setattr(runner, "ROOT", root)

    def phases(**books: str) -> list[tuple[str, str]]:
        for name, text in books.items():
            (root / "playbooks" / f"{name}.yml").write_text(text)
        chosen = [(name, f"{name}.yml") for name in books]
        monkeypatch.setattr(runner, "PHASES", chosen)
        return chosen

    return phases


def interrupt_when(marker: Path) -> threading.Thread:
    """Ctrl-C (SIGINT to this process, as a terminal sends it) once the slow task has started."""
    def go():
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def running(arg: str) -> bool:
    for p in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if arg.encode() in p.read_bytes().split(b"\0"):
                return True
        except OSError:
            pass
    return False


def test_ctrl_c_stops_the_phase_and_resume_starts_there(tmp_path, content):
    marker, seconds = tmp_path / "started", f"{40 + uuid.uuid4().int % 1000 / 1000:.3f}"
    chosen = content(one=QUICK, two=slow(marker, seconds), three=QUICK)
    before = signal.getsignal(signal.SIGINT)  # pytest-xdist's workers set their own
    inv = tmp_path / "pod.ini"
    inv.write_text(LOCAL)
    t0 = time.monotonic()
    interrupt_when(marker)
    results = runner.run_phases(str(inv), [], chosen, artifacts=tmp_path / "art", echo=lambda line: None)
    assert time.monotonic() - t0 < 30
    assert [(r.phase, r.status) for r in results] == [("one", "successful"), ("two", "interrupted")]
    assert runner.exit_code(results) == 130
    summary = json.loads((tmp_path / "art" / "pod" / "last-run.json").read_text())
    assert [p["status"] for p in summary["phases"]] == ["successful", "interrupted"]
    assert summary == json.loads((Path(results[0].artifacts).parent / "summary.json").read_text())
    assert runner.resume_point(tmp_path / "art", str(inv)) == ("two", [])
    # ansible-playbook got SIGINT as from a terminal and stopped its workers itself (well within the grace)
    deadline = time.monotonic() + 10
    playbook = str(runner.ROOT / "playbooks" / "two.yml")
    while running(playbook) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(playbook)
    stdout = next(Path(results[1].artifacts).glob("artifacts/*/stdout")).read_text()
    assert "User interrupted execution" in stdout, stdout[-2000:]
    # the handlers are back: Ctrl-C outside a run is what it was before
    assert signal.getsignal(signal.SIGINT) is before


def test_an_unreachable_host_maps_to_3_and_a_failure_to_1(tmp_path, content):
    ping = """- name: Ping
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""
    fail = ping + """    - name: Fail on localhost
      ansible.builtin.fail: {msg: "broken\\nsecond line"}
      when: inventory_hostname == 'localhost'
"""
    inv = tmp_path / "pod.ini"
    inv.write_text(LOCAL + "ghost ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_user=nobody\n")
    lines: list[str] = []
    results = runner.run_phases(str(inv), [], content(ping=ping), artifacts=tmp_path / "art", echo=lines.append)
    assert results[0].status == "failed" and results[0].unreachable == ["ghost"] and results[0].failures == []
    assert runner.exit_code(results) == 3
    assert any(line.startswith("      unreachable: ghost:") for line in lines)
    assert lines[-1].endswith("; unreachable: ghost")
    results = runner.run_phases(str(inv), [], content(fail=fail), artifacts=tmp_path / "art", echo=lines.append)
    assert results[0].failures == ["localhost"] and runner.exit_code(results) == 1
    assert "      failed: localhost: broken\n        second line" in lines


def test_phases_in_one_playbook_keep_their_own_results(tmp_path, content):
    """Consecutive phases share one ansible-playbook (deploy_pod.phasegroup): each still gets its
    result, changed count, events and stdout; a host that fails in one stops the run before the next,
    whose tasks never run."""
    marker = tmp_path / "third-ran"
    change = """- name: Change
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Report a change
      ansible.builtin.command: /bin/true
"""
    ping = """- name: Ping
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""
    third = f"""- name: Third
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Leave a mark
      ansible.builtin.file: {{path: "{marker}", state: touch}}
"""
    inv = tmp_path / "pod.ini"
    inv.write_text(LOCAL)
    lines: list[str] = []
    results = runner.run_phases(str(inv), [], content(one=change, two=QUICK, three=third),
                                artifacts=tmp_path / "art", echo=lines.append)
    assert [(r.phase, r.status, r.changed) for r in results] == [
        ("one", "successful", {"localhost": 1}), ("two", "successful", {}), ("three", "successful", {"localhost": 1})]
    assert marker.exists() and runner.exit_code(results) == 0
    assert [line for line in lines if line.startswith("==> phase")] == [
        "==> phase one (one.yml)", "==> phase two (two.yml)", "==> phase three (three.yml)"]
    assert not any("deploy-pod phase" in line for line in lines)  # the gates are not shown
    two = Path(results[1].artifacts) / "artifacts" / "phase"
    assert "Say hello" in (two / "stdout").read_text() and "Report a change" not in (two / "stdout").read_text()
    assert {json.loads(f.read_text())["event_data"].get("task") for f in (two / "job_events").glob("*.json")} \
        >= {"Say hello"}

    marker.unlink()
    inv.write_text(LOCAL + "ghost ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_user=nobody\n")
    results = runner.run_phases(str(inv), [], content(one=ping, two=QUICK, three=third),
                                artifacts=tmp_path / "art", echo=lines.append)
    assert [(r.phase, r.status) for r in results] == [("one", "failed")]
    assert results[0].unreachable == ["ghost"] and results[0].failures == [] and runner.exit_code(results) == 3
    assert not marker.exists()

    fail = change + """    - name: Fail
      ansible.builtin.fail: {msg: broken}
"""
    results = runner.run_phases(str(tmp_path / "pod.ini"), [], content(one=QUICK, two=fail, three=third),
                                artifacts=tmp_path / "art", echo=lines.append)
    assert [(r.phase, r.status) for r in results] == [("one", "successful"), ("two", "failed")]
    assert results[1].failures == ["localhost"] and runner.exit_code(results) == 1
    assert runner.resume_point(tmp_path / "art", str(inv)) == ("two", [])
    assert not marker.exists()


@pytest.fixture
def probed(monkeypatch):
    """The reachability probe answers 'all reachable' (the example pod's hosts do not exist); its calls."""
    import deploy_pod.reach as reach

    calls = []
    monkeypatch.setattr(reach, "unreachable_hosts", lambda *a, **kw: calls.append((a, kw)) or [])
    return calls


@pytest.fixture
def pod(tmp_path, probed):
    """A valid pod file."""
    path = tmp_path / "pod.yml"
    shutil.copy(EXAMPLES / "twin.yml", path)
    return path


def up(*args):
    return CliRunner().invoke(main, ["up", *map(str, args)])


def test_up_interrupted_exits_130_and_says_how_to_resume(tmp_path, content, pod):
    marker = tmp_path / "started"
    content(preflight=QUICK, base=slow(marker, "41.5"))
    interrupt_when(marker)
    r = up(pod, "--artifacts", tmp_path / "art", "-e", "x=1")
    assert r.exit_code == 130, r.output
    assert "phase base was interrupted" in r.output
    assert f"resume: deploy-pod up {pod} --artifacts {tmp_path / 'art'} -e x=1 --resume" in r.output
    assert "artifacts: " + str(tmp_path / "art" / "pod") in r.output
    assert runner.resume_point(tmp_path / "art", str(pod)) == ("base", [])


def test_up_json_prints_only_json_lines(tmp_path, content, pod, probed):
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text("from_file: 1\n")
    content(preflight=QUICK.replace("msg: hello", "msg: '{{ from_file }}-{{ from_json }}'"))
    r = CliRunner().invoke(main, ["up", str(pod), "--artifacts", str(tmp_path / "art"), "--json",
                                  "-e", f"@{vars_file}", "-e", '{"from_json": 2}', "--skip-tags", "nothing"])
    assert r.exit_code == 0, r.output
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = [d["type"] for d in docs]
    assert kinds[0] == "phase_start" and kinds[-2:] == ["phase_end", "run_end"] and "task_start" in kinds
    result = next(d for d in docs if d["type"] == "host_result")
    assert result["host"] == "localhost" and result["status"] == "ok" and result["msg"] == "1-2"
    assert docs[-1]["exit_code"] == 0 and docs[-1]["summary"]["skip_tags"] == "nothing"
    assert probed[0][1] == {"limit": None} and "lock: " in r.stderr
    # what ansible-playbook was given (ansible-runner keeps the command line in the artifacts)
    command = json.loads(next((tmp_path / "art").glob("pod/*/preflight/artifacts/*/command")).read_text())["command"]
    assert command[command.index("--skip-tags") + 1] == "nothing" and f"@{vars_file}" in command


def test_up_runs_the_probe_and_exits_3_when_hosts_do_not_answer(tmp_path, content, pod, monkeypatch):
    import deploy_pod.reach as reach

    content(preflight=QUICK)
    monkeypatch.setattr(reach, "unreachable_hosts", lambda *a, **kw: ["dgx02"])
    monkeypatch.setattr(reach, "reach_table", lambda rows: "HOST  REASON\ndgx02 time-out")
    r = up(pod, "--artifacts", tmp_path / "art")
    assert r.exit_code == 3 and "dgx02 time-out" in r.output and "nothing was changed" in r.output
    assert not (tmp_path / "art").exists() and not pod.with_name("pod.lock.yml").exists()


@pytest.mark.parametrize("args,message", [
    (["-e", "novalue"], "expected KEY=VALUE, @FILE or a JSON object"),
    (["-e", "{broken"], "expected a JSON object"),
    (["-e", "[1, 2]"], "expected KEY=VALUE"),
    (["-e", "@/nonexistent/vars.yml"], "no readable file"),
    (["--phase", "nope"], "unknown phase 'nope'"),
    (["--resume"], "nothing to resume"),
    (["-q", "-v"], "contradict"),
])
def test_up_bad_input_exits_2_before_anything(tmp_path, pod, probed, args, message):
    r = up(pod, "--artifacts", tmp_path / "art", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert not probed and not pod.with_name("pod.lock.yml").exists()


def test_up_help_documents_the_exit_codes():
    r = CliRunner().invoke(main, ["up", "--help"])
    for line in ("0    every phase succeeded", "1    a host failed", "2    bad input", "3    hosts unreachable",
                 "130  interrupted", "--tags", "--skip-tags", "--json", "--quiet"):
        assert line in r.output
