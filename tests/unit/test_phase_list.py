"""One phase list: deploy_pod.runner.PHASES. Everything else that names the phases in order
(site.yml, the docs' tables, the README, AWX's job templates, scale-out's host phases) is checked
against it here, so a phase added, renamed or moved fails until every copy follows."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from deploy_pod import runner

ROOT = Path(__file__).resolve().parents[2]
NAMES = [p for p, _ in runner.PHASES]
FILES = [f for _, f in runner.PHASES]


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """Rows of the markdown table whose header's first cell is first_cell."""
    rows, inside = [], False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                break
            if not set(cells[0]) <= set("-: "):
                rows.append(cells)
    return rows


def test_every_phase_playbook_exists_and_starts_with_the_plan():
    for f in FILES:
        plays = yaml.safe_load((ROOT / "playbooks" / f).read_text())
        imports = [p.get("ansible.builtin.import_playbook") for p in plays]
        assert "plan.yml" in imports[:2], f


def test_site_yml_names_each_phase():
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text())
    assert [p["name"] for p in site] == [f"Phase {n}" for n in NAMES]
    assert [p["ansible.builtin.import_playbook"] for p in site] == FILES


def test_docs_phases_table():
    rows = table_rows((ROOT / "docs" / "phases.md").read_text(), "phase")
    assert [r[0] for r in rows] == NAMES
    assert [re.search(r"`([a-z_]+\.yml)`", r[1]).group(1) for r in rows] == FILES


def test_awx_job_templates():
    text = (ROOT / "docs" / "awx.md").read_text()
    rows = table_rows(text, "job template")
    assert [r[0] for r in rows] == [f"pod {n}" for n in NAMES]
    assert [r[1] for r in rows] == [f"`playbooks/{f}`" for f in FILES]
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
             10: "ten", 11: "eleven", 12: "twelve"}
    assert f"the {words[len(NAMES)]} nodes in that order" in text


def test_readme_up_line():
    text = (ROOT / "README.md").read_text()
    listed = re.search(r"Phases: ([a-z_, ]+):", text)
    assert listed and [p.strip() for p in listed.group(1).split(",")] == NAMES


def test_other_phase_subsets_are_phases():
    from deploy_pod import cli, scaleout

    # scale-out runs the host phases of a new host: the first ones, in order
    assert NAMES[:len(scaleout.HOST_PHASES)] == scaleout.HOST_PHASES
    assert set(cli.LIVE_PHASES) <= set(NAMES)
