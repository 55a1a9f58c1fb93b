"""The catalog: every figure sourced, the reference figures as REFERENCE.md gives them."""

from __future__ import annotations

import pytest

from deploy_pod.catalog import catalog_problems, link_gbs, load_catalog, storage_ports


def test_every_figure_has_a_source():
    assert catalog_problems(load_catalog().data) == []


def test_problems_are_reported():
    bad = {"models": {"x": {"kind": "ib_switch", "ports": 36, "sources": {"rate_gbps": "somewhere"}},
                      "y": {"kind": "ib_switch", "ports": None, "rate_gbps": None,
                            "sources": {"ports": "a guess", "rate_gbps": "unknown: nobody says"}},
                      "z": {"kind": "router"}}}
    problems = catalog_problems(bad)
    assert "x: figure ports has no source" in problems
    assert "x: figure rate_gbps is missing (write null if unknown)" in problems
    assert "y: figure ports is null but its source does not say 'unknown'" in problems
    assert any(p.startswith("z: kind 'router'") for p in problems)


@pytest.mark.parametrize("model,ports,rate", [("dgx-1", 4, 100), ("dgx-2", 8, 100), ("ess-3000", 4, 100)])
def test_reference_ports(model, ports, rate):
    entry = load_catalog().get(model)
    assert len(storage_ports(entry)) == ports
    assert entry["ib"]["rate_gbps"] == rate


def test_reference_figures():
    cat = load_catalog()
    assert cat.get("dgx-1")["gpus"]["count"] == 8
    assert cat.get("dgx-2")["gpus"]["count"] == 16
    assert cat.get("ess-3000")["read_gbs"] == 40 and cat.get("ess-3000")["canisters"] == 2
    assert cat.get("sb7800")["ports"] == 36
    assert cat.get("qm8700")["ports"] == 40 and cat.get("qm9700")["ports"] == 64
    assert link_gbs(cat.get("dgx-1")) == 50


def test_both_generations_present():
    names = set(load_catalog().names())
    assert {"dgx-1", "dgx-2", "dgx-a100", "dgx-h100", "ess-3000", "ess-3200", "ess-3500",
            "sb7800", "qm8700", "qm9700"} <= names
