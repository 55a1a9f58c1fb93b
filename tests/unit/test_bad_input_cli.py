"""Bad input at the CLI (issue 13): vaulted values, hostile files, every command on an unreadable file,
a phase selection that selects nothing, the generated 'common mistakes'."""

from __future__ import annotations

import resource
import time

import pytest
from click.testing import CliRunner

from deploy_pod.cli import main
from tests.conftest import EXAMPLES, ROOT

BROKEN = ROOT / "tests" / "data" / "broken"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_vaulted_value_validates_without_the_vault_password(monkeypatch):
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    r = run("validate", BROKEN / "vaulted-secret.yml")
    assert r.exit_code == 0, r.output
    r = run("plan", BROKEN / "vaulted-secret.yml")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("cmd", [["validate"], ["plan"], ["sim", "status"], ["sim", "fault"], ["sim", "up"],
                                 ["sim", "down"], ["up"]])
@pytest.mark.parametrize("name", ["alias-bomb.yml", "empty.yml", "broken-line.ini", "hosts-as-list.yml"])
def test_every_command_refuses_an_unreadable_file_with_exit_2(cmd, name):
    path = BROKEN / "unreadable" / name
    r = run(*cmd, path)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and str(path) in r.output


def test_hostile_file_finishes_fast_and_small(tmp_path):
    big = tmp_path / "big.yml"
    # 800 KB, 250k values: under the size limit, far over the values limit
    big.write_text("all:\n  vars:\n" + "".join(f"    v{i}: [{', '.join(['x'] * 50)}]\n" for i in range(5000)))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    r = run("validate", big)
    assert time.monotonic() - start < 5
    assert r.exit_code == 2 and "more than 40,000 values" in r.output
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1024 * 1024  # KiB: under 1 GB


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    import deploy_pod.inventory as inventory

    monkeypatch.setattr(inventory, "MAX_FILE_BYTES", 1000)
    r = run("validate", EXAMPLES / "full-pod.yml")
    assert r.exit_code == 2 and "at most" in r.output


@pytest.mark.parametrize("text,line", [("", 1), ("# nothing yet\n; nor here\n", 1)])
def test_empty_ini_exits_2(tmp_path, text, line):
    f = tmp_path / "pod.ini"
    f.write_text(text)
    r = run("validate", f)
    assert r.exit_code == 2 and f"{f}:{line}: the inventory is empty" in r.output


def test_phase_selection_that_selects_nothing(tmp_path):
    r = run("up", EXAMPLES / "twin.yml", "--phase", "base", "--from", "storage", "--artifacts", tmp_path)
    assert r.exit_code == 2
    assert "selects no phase" in r.output and "base comes before storage" in r.output


def test_select_phases_refuses_an_empty_selection():
    from deploy_pod.runner import RunError, select_phases

    with pytest.raises(RunError, match="selects no phase"):
        select_phases(["preflight", "base"], "clients")
    assert [p for p, _ in select_phases(["clients"], "storage")] == ["clients"]


def test_schema_errors_show_an_example_not_a_regex(inv, write_inv):
    inv["all"]["vars"]["pod"]["name"] = "Pod 1"
    r = run("validate", write_inv(inv))
    assert r.exit_code == 1 and "write it like 'pod1'" in r.output and "^[" not in r.output


def test_docs_list_the_common_mistakes_with_their_messages():
    from deploy_pod.rules import MISTAKES, rule_table

    doc = (ROOT / "docs" / "inventory.md").read_text()
    section = doc.split("## Common mistakes", 1)[1]
    ids = {r["id"] for r in rule_table()}
    for what, rule_id, _ in MISTAKES:
        assert rule_id in ids and what in section and f"`{rule_id}`" in section
    assert "did you mean 'dgx'?" in section and "datagram IPoIB carries at most 4092" in section
