"""plugins/module_utils/plan_types.py: the one planned-cable class and port pattern, read by the
inventory schema, the planner, the lock, the twin and fabric_check alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils import fabric, plan_types
from ansible_collections.deploy_pod.pod.plugins.module_utils.plan_types import PORT, Cable, split_port

from deploy_pod import model, planner
from deploy_pod.lock import lock_from_plan
from deploy_pod.sim import faults, spec
from tests.conftest import EXAMPLES

REPO = Path(__file__).resolve().parents[2]


def test_every_consumer_uses_the_one_class_and_pattern():
    assert planner.Cable is Cable
    assert spec.Cable is Cable
    assert fabric.Cable is Cable
    assert model.plan_types is plan_types
    assert model.PORT is PORT and model.Cable.model_fields["port"].metadata[0].pattern == PORT
    assert fabric.split_port is split_port and faults.split_port is split_port


def test_no_other_port_pattern_in_the_code():
    """The pattern is written once: no second <ca>/<num> regex creeps back into src/ or plugins/."""
    hits = []
    for path in [*(REPO / "src").rglob("*.py"), *(REPO / "plugins").rglob("*.py")]:
        text = path.read_text()
        if "]*/[0-9]+" in text or "]+/[0-9]+" in text or "(?P<ca>" in text and "/(?P<num>" in text:
            hits.append(path.relative_to(REPO).as_posix())
    assert hits == ["plugins/module_utils/plan_types.py"]


@pytest.mark.parametrize(("text", "want"), [
    ("mlx5_2/1", ("mlx5_2", 1)), (" mlx5_10/2 ", ("mlx5_10", 2)), ("mlx5_0/01", ("mlx5_0", 1)),
    ("HCA-1/1", ("HCA-1", 1)), ("ibp12s0/1", ("ibp12s0", 1)),
])
def test_split_port(text, want):
    assert split_port(text) == want


@pytest.mark.parametrize("text", ["mlx5_2", "mlx5_2/", "/1", "mlx5 2/1", "-x/1", "mlx5_2/1/1", "mlx5_2/a", "ib0", ""])
def test_split_port_rejects(text):
    with pytest.raises(ValueError, match="<ca>/<port>"):
        split_port(text)
    assert not re.match(PORT, text)


def test_round_trip_keeps_the_plan_json_record():
    record = {"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 3, "netdev": "ib0", "rate_gbps": 100}
    cable = Cable.from_dict(record)
    assert cable == Cable("mlx5_0/1", "ib-sw1", 3, "ib0", 100)
    assert cable.as_dict() == record and list(cable.as_dict()) == list(record)  # key order too
    assert Cable.from_dict(cable) == cable and Cable.from_dict(cable) is not cable
    assert cable.placement() == {k: record[k] for k in ("port", "switch", "switch_port", "netdev")}
    assert (cable.ca, cable.num) == ("mlx5_0", 1)


def test_from_dict_plain_types_and_partial_records():
    class Tagged(str):  # Ansible hands out str subclasses
        pass

    c = Cable.from_dict({"port": Tagged("mlx5_1/01"), "switch": Tagged(" ib-sw2 "), "switch_port": "7",
                         "rate_gbps": "200.0", "netdev": Tagged("ib1")})
    assert c == Cable("mlx5_1/1", "ib-sw2", 7, "ib1", 200)
    assert all(type(v) is str for v in (c.port, c.switch, c.netdev))
    assert type(c.switch_port) is int and type(c.rate_gbps) is int
    assert Cable.from_dict({"port": "mlx5_0/1", "rate_gbps": 56.25}) == Cable("mlx5_0/1", rate_gbps=56.25)


@pytest.mark.parametrize(("record", "message"), [
    ({"switch": "ib-sw1"}, r"c\[0\]: needs at least 'port'"),
    ("mlx5_0/1", r"c\[0\]: needs at least 'port'"),
    ({"port": "mlx5_0"}, "<ca>/<port>"),
    ({"port": "mlx5_0/1", "switch": "ib-sw1"}, "give both switch and switch_port"),
    ({"port": "mlx5_0/1", "switch_port": 3}, "give both switch and switch_port"),
    ({"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": "seven"}, "must be numbers"),
    ({"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 1.5}, "must be numbers"),
    ({"port": "mlx5_0/1", "rate_gbps": [100]}, "must be numbers"),
])
def test_from_dict_rejects(record, message):
    with pytest.raises(ValueError, match=message):
        Cable.from_dict(record, "c[0]")


def test_inventory_cable_converts_in_one_place():
    var = model.Cable(port="mlx5_3/1", switch="ib-sw2", switch_port=9)
    assert var.to_plan(3) == Cable("mlx5_3/1", "ib-sw2", 9, "ib3")
    assert model.Cable(port="mlx5_3/1", switch="ib-sw2", switch_port=9, netdev="ibp1").to_plan(0).netdev == "ibp1"


def test_planner_lock_and_twin_read_the_same_cables():
    from deploy_pod.inventory import load_pod

    pod = load_pod(str(EXAMPLES / "twin.yml")).pod
    plan = planner.make_plan(pod)
    cables = [c for h in plan.hosts.values() for c in h.cables]
    assert cables and all(type(c) is Cable for c in cables)
    d = plan.as_dict()
    for name, h in plan.hosts.items():
        # the plan's JSON records read back as the planner's objects (fabric_check's `expected`)
        assert [Cable.from_dict(r) for r in d["hosts"][name]["cables"]] == h.cables
        assert lock_from_plan(plan)["hosts"][name]["cables"] == [c.placement() for c in h.cables]
    twin = spec.spec_from_plan(plan)
    for name, sh in twin.hosts.items():
        assert all(type(c) is Cable for c in sh.cables) and sh.cables == plan.hosts[name].cables
    again = spec.spec_from_dict(twin.as_dict())
    assert {n: h.cables for n, h in again.hosts.items()} == {n: h.cables for n, h in twin.hosts.items()}


def test_twin_spec_rejects_a_malformed_cable_as_a_spec_error():
    d = {"pod": "t", "mgmt_cidr": "10.77.0.0/24", "switches": {"sw1": {"hw_model": "x"}},
         "hosts": {"dgx01": {"role": "dgx", "hw_model": "dgx-1", "mgmt_address": "10.77.0.11",
                             "cables": [{"port": "mlx5_0", "switch": "sw1", "switch_port": 1, "netdev": "ib0"}]}}}
    with pytest.raises(spec.SpecError, match="dgx01: cable 0: port .mlx5_0. is not"):
        spec.spec_from_dict(d)
    d["hosts"]["dgx01"]["cables"][0].update(port="mlx5_0/1", netdev=None)
    with pytest.raises(spec.SpecError, match="netdev name None of mlx5_0/1 is missing"):
        spec.spec_from_dict(d)
