"""Catalog: every HCA a GPU server has (ib.hcas) and the driver of its generation (software),
while the planner still cables only ib.storage_ports."""

from __future__ import annotations

import pytest

from deploy_pod.catalog import catalog_problems, hcas, load_catalog, storage_ports
from deploy_pod.inventory import load_pod
from deploy_pod.planner import make_plan
from tests.conftest import EXAMPLES

CAT = load_catalog()
SERVERS = CAT.names("gpu_server")


@pytest.mark.parametrize("model", SERVERS)
def test_every_gpu_server_lists_its_hcas_and_era_with_sources(model):
    entry = CAT.get(model)
    listed = hcas(entry)
    assert listed, f"{model}: no ib.hcas"
    src = entry["sources"]
    for fig in ("ib.hcas", "software.dgx_os", "software.driver_version"):
        assert src.get(fig), f"{model}: {fig} has no source"
    names = [h["name"] for h in listed]
    assert len(names) == len(set(names))
    ports = {f"{h['name']}/{n}" for h in listed for n in range(1, h["ports"] + 1)}
    assert set(storage_ports(entry)) <= ports
    # the storage ports are InfiniBand (the planner cables them to IB switches)
    by = {h["name"]: h for h in listed}
    assert {by[p.split("/")[0]]["link_layer"] for p in storage_ports(entry)} == {"InfiniBand"}


def test_hca_counts_per_generation():
    count = {m: len(hcas(CAT.get(m))) for m in SERVERS}
    assert count == {"dgx-1": 4, "dgx-2": 10, "dgx-a100": 12, "dgx-h100": 12}
    uses = {m: sorted({h["use"] for h in hcas(CAT.get(m))}) for m in SERVERS}
    assert uses["dgx-1"] == ["compute"] and uses["dgx-2"] == ["compute", "ethernet"]
    assert sum(h["use"] == "compute" for h in hcas(CAT.get("dgx-h100"))) == 8


def test_reference_generation_runs_its_era_driver():
    drv = {m: str(CAT.get(m)["software"]["driver_version"]) for m in SERVERS}
    assert int(drv["dgx-1"].split(".")[0]) < 450 and int(drv["dgx-2"].split(".")[0]) < 450
    assert int(drv["dgx-a100"].split(".")[0]) >= 500 and int(drv["dgx-h100"].split(".")[0]) >= 500
    assert str(CAT.get("dgx-1")["software"]["dgx_os"]).startswith("4.")


def test_catalog_checks_hca_lists():
    data = {"models": {"x": {**CAT.get("dgx-a100")}}}
    data["models"]["x"]["ib"] = {**data["models"]["x"]["ib"], "storage_ports": ["mlx5_99/1"]}
    assert any("mlx5_99/1 is not a port of ib.hcas" in p for p in catalog_problems(data))
    assert catalog_problems(CAT.data) == []


@pytest.mark.parametrize("layout", ["starter", "half-pod", "full-pod", "dgx2-pod"])
def test_planner_cables_only_storage_ports(layout):
    pod = load_pod(EXAMPLES / f"{layout}.yml").pod
    plan = make_plan(pod)
    for name, h in plan.hosts.items():
        if h.role != "dgx":
            continue
        entry = CAT.get(pod.hosts[name].vars.hw_model)
        assert [c.port for c in h.cables] == storage_ports(entry)
