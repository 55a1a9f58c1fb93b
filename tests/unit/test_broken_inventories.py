"""Each file under tests/data/broken names (# expect: ...) exactly the rule ids it must raise."""

from __future__ import annotations

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
            return {s.strip() for s in line.split(":", 1)[1].split(",")}
    raise AssertionError(f"{path} has no '# expect:' line")


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yml")), ids=lambda p: p.stem)
def test_broken_inventory_raises_exactly(path):
    result = load_pod(path)
    findings = check(result.pod, result.findings)
    assert {f.rule for f in findings} == expected(path)
    for f in findings:
        assert f.message and (f.host or f.field), f.text()
    errors = [f for f in findings if f.severity == "error"]
    code = CliRunner().invoke(main, ["validate", str(path)]).exit_code
    assert code == (1 if errors else 0)
