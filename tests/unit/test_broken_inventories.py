"""Each file under tests/data/broken names (# expect: ...) exactly the rule ids it must raise
("nothing": a tricky file that must validate clean); each file under tests/data/broken/unreadable
must be refused with exit 2 and its file:line (UNREADABLE says which line and what)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy_pod.cli import main
from deploy_pod.inventory import load_pod
from deploy_pod.rules import check

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


def expected(path: Path) -> set[str]:
    for line in path.read_text().splitlines():
        if line.startswith("# expect:"):
            ids = {s.strip() for s in line.split(":", 1)[1].split(",")}
            return set() if ids == {"nothing"} else ids
    raise AssertionError(f"{path} has no '# expect:' line")


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yml")), ids=lambda p: p.stem)
def test_broken_inventory_raises_exactly(path):
    result = load_pod(path)
    findings = check(result.pod, result.findings)
    assert {f.rule for f in findings} == expected(path), [f.text() for f in findings]
    for f in findings:
        assert f.message and (f.host or f.field), f.text()
        assert f.file and f.file.startswith(str(path)), f.text()  # file:line of the mistake
    errors = [f for f in findings if f.severity == "error"]
    code = CliRunner().invoke(main, ["validate", str(path)]).exit_code
    assert code == (1 if errors else 0)


def test_one_mistake_one_message():
    """A bad value in a host's entry is reported once; the host's other settings still count."""
    path = BROKEN / "one-bad-field.yml"
    result = load_pod(path)
    [f] = check(result.pod, result.findings)
    assert (f.host, f.field) == ("dgx01", "failure_group")
    assert result.pod.hosts["dgx01"].vars.hw_model == "dgx-1"


# file -> (line, words of the message)
UNREADABLE = {
    "empty.yml": (1, "the inventory is empty"),
    "comments-only.yml": (1, "the inventory is empty"),
    "alias-bomb.yml": (None, "billion laughs"),
    "alias-loop.yml": (4, "a loop"),
    "hosts-as-list.yml": (6, "must be a mapping, not a list"),
    "broken-line.ini": (3, "[ess01"),
    "broken.json": (4, "expected"),
    "tab-indent.yml": (4, "tab"),
}


def test_every_unreadable_case_is_listed():
    assert {p.name for p in (BROKEN / "unreadable").iterdir()} == set(UNREADABLE)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_exits_2_with_file_and_line(name):
    path = BROKEN / "unreadable" / name
    line, words = UNREADABLE[name]
    start = time.monotonic()
    r = CliRunner().invoke(main, ["validate", "--json", str(path)])
    assert time.monotonic() - start < 5
    assert r.exit_code == 2, r.output
    error = json.loads(r.output)["error"]
    assert error.startswith(f"{path}:{line or ''}"), error
    assert words in error


def test_alias_bomb_is_refused_fast():
    start = time.monotonic()
    r = CliRunner().invoke(main, ["validate", str(BROKEN / "unreadable" / "alias-bomb.yml")])
    assert r.exit_code == 2 and "expands to more than" in r.output
    assert time.monotonic() - start < 1
