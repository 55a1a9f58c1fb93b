"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations


def rule_ids(findings) -> set[str]:
    return {f.rule for f in findings}


def hosts_of(data: dict, group: str) -> dict:
    node = data["all"]["children"]
    if group.startswith("ess"):
        return node["ess"]["children"][group]["hosts"]
    return node[group]["hosts"]


def example_files():
    """The example inventories (a demo run leaves <pod>.lock.yml beside them: not an inventory)."""
    from tests.conftest import EXAMPLES

    return sorted(p for p in EXAMPLES.glob("*.yml") if not p.name.endswith(".lock.yml"))
