"""deploy_pod.sim.hardware with the real generator (twin/emulators/hw/hwgen.py) when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy_pod.sim import engine, hardware

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def twin_pod():
    return engine.load_spec(REPO / "inventories" / "examples" / "twin.yml")


@pytest.mark.parametrize("use_hwgen", [True, False])
def test_hardware_for_the_twin_pod(twin_pod, use_hwgen):
    spec, catalog_get = twin_pod
    hwgen = hardware.load_hwgen(REPO) if use_hwgen else None
    if use_hwgen and hwgen is None:
        pytest.skip("twin/emulators/hw/hwgen.py is not in this checkout")
    hosts_hw, fabric = hardware.build(spec, catalog_get, hwgen)
    assert sorted(hosts_hw) == sorted(spec.hosts)
    dgx = hosts_hw["dgx01"]
    assert dgx["host"] == "dgx01"
    assert len(dgx["gpus"]) == 8
    netdevs = {p.get("netdev"): p.get("remote") for h in dgx["hcas"] for p in h["ports"]}
    for c in spec.hosts["dgx01"].cables:
        assert netdevs[c.netdev] == {"switch": c.switch, "port": c.switch_port}
    assert hosts_hw["ess01a"]["disks"] and hosts_hw["dgx01"]["disks"] == []
    cabled = {(lk["host"], lk["switch"], lk["switch_port"]) for lk in fabric["links"] if lk.get("switch")}
    assert ("dgx01", "ib-sw1", spec.hosts["dgx01"].cables[0].switch_port) in cabled
    assert {s["name"] for s in fabric["switches"]} == {"ib-sw1", "ib-sw2"}
