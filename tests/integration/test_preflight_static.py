"""playbooks/validate.yml (phase 1 of preflight.yml) runs the same rules through the action plugin
and stops before any host is touched; preflight.yml stops there too on a broken inventory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_pod.content import ensure_collection_link
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.ansible
BROKEN = ROOT / "tests" / "data" / "broken"


def playbook(inventory: Path, *extra: str, name: str = "validate.yml") -> subprocess.CompletedProcess:
    ensure_collection_link()
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
           str(ROOT / "playbooks" / name), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_clean_inventory_passes():
    r = playbook(EXAMPLES / "twin.yml", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "topology OK: 7 hosts" in r.stdout


@pytest.mark.parametrize("name", ["validate.yml", "preflight.yml"])
def test_errors_stop_the_play_with_the_same_messages_as_the_cli(name):
    r = playbook(BROKEN / "miscabled.yml", name=name)
    assert r.returncode == 2, r.stdout
    assert "PLAY [Preflight - live checks" not in r.stdout  # no host was contacted
    out = r.stdout
    assert "ERROR [cable-port-conflict]" in out and "host dgx02" in out
    assert "ERROR [cable-switch-unknown]" in out and "ib-sw3" in out
    assert "nothing was changed" in out


def test_warnings_show_and_can_fail():
    r = playbook(BROKEN / "underpowered-storage.yml")
    assert r.returncode == 0 and "[sizing-storage]" in r.stdout + r.stderr
    r = playbook(BROKEN / "underpowered-storage.yml", "-e", "preflight_fail_on_warnings=true")
    assert r.returncode == 2 and "WARNING [sizing-storage]" in r.stdout


def test_check_mode_is_supported():
    r = playbook(EXAMPLES / "twin.yml", "--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_plan_playbook_publishes_the_plan(tmp_path):
    """playbooks/plan.yml leaves the same plan as `deploy-pod plan --json` in hostvars['localhost']."""
    import json

    from deploy_pod.inventory import load_pod
    from deploy_pod.lock import load_lock
    from deploy_pod.planner import make_plan

    probe = tmp_path / "probe.yml"
    probe.write_text(f"""
- import_playbook: {ROOT / 'playbooks' / 'plan.yml'}
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.copy:
        content: "{{{{ hostvars['localhost'].deploy_pod_plan | to_json }}}}"
        dest: {tmp_path / 'plan.json'}
        mode: "0644"
""")
    ensure_collection_link()
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    r = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(EXAMPLES / "twin.yml"),
                        str(probe)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    got = json.loads((tmp_path / "plan.json").read_text())
    # the lock a demo run leaves beside the example is read by both
    plan = make_plan(load_pod(EXAMPLES / "twin.yml").pod, lock=load_lock(EXAMPLES / "twin.yml"))
    want = json.loads(json.dumps(plan.as_dict(), default=str))
    assert got == want
    assert got["hosts"]["dgx01"]["ipoib_address"] == "10.78.0.11"
