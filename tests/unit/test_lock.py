"""The lock file keeps a deployed pod's plan stable when hosts are added (issue: day 2).

For every example pod: plan it, lock it, add an ESS unit, a DGX, a unit whose name sorts first
(and, on a pod of plain NSD servers, an NSD server that sorts first); no derived value of an
existing host may change, and the grown plan is still sound (no switch port twice, no IPoIB
address twice, an odd quorum)."""

from __future__ import annotations

import copy
from collections import Counter
from ipaddress import IPv4Network

import pytest
import yaml

from deploy_pod.inventory import load_pod
from deploy_pod.lock import drift, live_values, load_lock, lock_from_plan, lock_path, merge_live, write_lock
from deploy_pod.planner import make_plan
from deploy_pod.rules import check
from tests.conftest import EXAMPLES
from tests.helpers import example_files

EXAMPLE_PODS = [p.name for p in example_files()]
# what an existing host must keep: everything the planner derives for it
KEPT = ("cables", "ipoib_address", "ipoib_interface", "quorum", "manager", "failure_group", "node_classes",
        "verbs_ports", "opensm_priority", "daemon_name", "license", "management", "expected")


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def _servers(data: dict) -> dict[str, dict]:
    out = {}

    def walk(node):
        out.update((node or {}).get("hosts") or {})
        for child in ((node or {}).get("children") or {}).values():
            walk(child)
    walk(data["all"])
    return out


def _free_mgmt(data: dict, n: int) -> list[str]:
    net = IPv4Network(data["all"]["vars"]["pod"]["networks"]["mgmt"]["cidr"])
    used = {str(h.get("mgmt_address")) for h in _servers(data).values() if isinstance(h, dict)}
    used.add(str(data["all"]["vars"]["pod"]["networks"]["mgmt"].get("gateway")))
    free = [str(a) for a in list(net.hosts())[::-1] if str(a) not in used]
    return free[:n]


def add_unit(data: dict, unit: str) -> dict:
    data = copy.deepcopy(data)
    children = data["all"]["children"]
    ess = children.setdefault("ess", {}).setdefault("children", {})
    a, b = _free_mgmt(data, 2)
    ess[unit] = {"hosts": {f"{unit}a": {"hw_model": "ess-3000", "mgmt_address": a},
                           f"{unit}b": {"hw_model": "ess-3000", "mgmt_address": b}}}
    return data


def add_like(data: dict, group: str, name: str) -> dict:
    """A host like the group's first one, at a free management address."""
    data = copy.deepcopy(data)
    hosts = data["all"]["children"][group]["hosts"]
    (addr,) = _free_mgmt(data, 1)
    hosts[name] = {**next(iter(hosts.values())), "mgmt_address": addr}
    return data


def add_dgx(data: dict) -> dict:
    return add_like(data, "dgx", "dgx99")


def units_of(data: dict) -> list[str]:
    return list((data["all"]["children"].get("ess") or {}).get("children") or {})


def next_unit(data: dict) -> str:
    names = units_of(data)
    n = 2
    while f"ess{n:02d}" in names:
        n += 1
    return f"ess{n:02d}"


def growths(name: str) -> list[tuple[str, dict]]:
    data = example(name)
    out = [("an ESS unit", add_unit(data, next_unit(data))), ("a DGX", add_dgx(data)),
           ("a unit whose name sorts first", add_unit(data, "ess00"))]
    if data["all"]["children"].get("nsd_servers"):
        out.append(("an NSD server whose name sorts first", add_like(data, "nsd_servers", "nsd00")))
    return out


def plan_of(write_inv, data: dict, lock=None, name="pod.yml"):
    res = load_pod(write_inv(data, name))
    return res.pod, make_plan(res.pod, lock=lock)


def host_values(plan) -> dict[str, dict]:
    return {n: {k: getattr(h, k) for k in KEPT} for n, h in plan.hosts.items()}


@pytest.mark.parametrize("name", EXAMPLE_PODS)
def test_growing_a_locked_pod_changes_no_value_of_an_existing_host(name, write_inv):
    _, before = plan_of(write_inv, example(name))
    lock = lock_from_plan(before)
    want = host_values(before)
    for what, grown in growths(name):
        pod, after = plan_of(write_inv, grown, lock)
        errs = [f.text() for f in check(pod, []) if f.severity == "error"]
        assert not errs, f"{name} + {what}: the grown inventory does not validate: {errs}"
        got = host_values(after)
        for host, values in want.items():
            changed = {k: (v, got[host][k]) for k, v in values.items() if got[host][k] != v}
            assert not changed, f"{name} + {what}: {host} changed {changed}"
        assert after.scale.primary == before.scale.primary, f"{name} + {what}: the primary moved"
        for unit, u in before.units.items():
            assert after.units[unit].failure_group == u.failure_group, f"{name} + {what}: {unit}'s failure group"
        # the grown plan is sound: new hosts took free ports and addresses
        ports = Counter((c.switch, c.switch_port) for h in after.hosts.values() for c in h.cables)
        assert not [p for p, n in ports.items() if n > 1], f"{name} + {what}: a switch port twice"
        addrs = Counter(h.ipoib_address for h in after.hosts.values() if h.ipoib_address)
        assert not [a for a, n in addrs.items() if n > 1], f"{name} + {what}: an IPoIB address twice"
        assert len(after.quorum) % 2 == 1, f"{name} + {what}: quorum {after.quorum}"
        fgs = [u.failure_group for u in after.units.values()]
        assert len(fgs) == len(set(fgs)), f"{name} + {what}: two units share a failure group"


def test_without_the_lock_growth_moves_existing_hosts(write_inv):
    """Why the lock exists: the pure plan of the grown twin drops ess01b from quorum and
    renumbers ess01's failure group when a unit sorting first joins."""
    data = example("twin.yml")
    _, before = plan_of(write_inv, data)
    _, grown = plan_of(write_inv, add_unit(data, "ess02"))
    assert before.hosts["ess01b"].quorum and not grown.hosts["ess01b"].quorum
    _, first = plan_of(write_inv, add_unit(data, "ess00"))
    assert first.units["ess01"].failure_group != before.units["ess01"].failure_group
    _, locked = plan_of(write_inv, add_unit(data, "ess02"), lock_from_plan(before))
    assert locked.hosts["ess01b"].quorum


def test_quorum_grows_by_two_new_nodes_never_by_moving_old_ones(write_inv):
    """The twin's 4 candidates have 3 quorum nodes; with 2 more units (8 candidates) the target is
    5: two new canisters of different new units become quorum nodes, the old ones keep theirs."""
    data = example("twin.yml")
    _, before = plan_of(write_inv, data)
    grown = add_unit(add_unit(data, "ess02"), "ess03")
    _, after = plan_of(write_inv, grown, lock_from_plan(before))
    new_quorum = set(after.quorum) - set(before.quorum)
    assert set(before.quorum) <= set(after.quorum) and len(after.quorum) == 5
    assert {after.hosts[h].unit for h in new_quorum} == {"ess02", "ess03"}


def test_the_inventory_wins_over_the_lock_and_plan_shows_the_drift(write_inv):
    data = example("twin.yml")
    _, before = plan_of(write_inv, data)
    lock = lock_from_plan(before)
    changed = copy.deepcopy(data)
    changed["all"]["children"]["ess"]["children"]["ess01"]["hosts"]["ess01a"]["failure_group"] = 7
    pod, after = plan_of(write_inv, changed, lock)
    assert after.hosts["ess01a"].failure_group == 7
    rows = drift(pod, lock)
    assert [(r["host"], r["field"], r["lock"], r["inventory"]) for r in rows] == [
        ("ess01a", "failure_group", before.hosts["ess01a"].failure_group, 7)]
    # a host gone from the inventory stays in the lock and shows as drift
    gone = copy.deepcopy(data)
    del gone["all"]["children"]["dgx"]["hosts"]["dgx02"]
    pod, _ = plan_of(write_inv, gone, lock)
    assert any(r["host"] == "dgx02" and r["field"] == "host" for r in drift(pod, lock))
    assert "dgx02" in lock_from_plan(make_plan(pod, lock=lock), lock)["hosts"]


def test_locked_values_are_marked_in_the_plan(write_inv):
    _, before = plan_of(write_inv, example("twin.yml"))
    _, after = plan_of(write_inv, example("twin.yml"), lock_from_plan(before))
    assert "ib_cables" in after.hosts["dgx01"].locked and "quorum" in after.hosts["dgx01"].locked
    assert after.hosts["dgx01"].derived == before.hosts["dgx01"].derived
    assert not before.hosts["dgx01"].locked


def test_lock_file_round_trip_beside_the_inventory(tmp_path, write_inv):
    pod_file = write_inv(example("twin.yml"), "twin.yml")
    _, plan = plan_of(write_inv, example("twin.yml"), name="twin.yml")
    path = write_lock(pod_file, lock_from_plan(plan))
    assert path == lock_path(pod_file) == tmp_path / "twin.lock.yml"
    assert path.read_text().startswith("# deploy-pod lock file of twin.yml")
    lock = load_lock(pod_file)
    assert lock == lock_from_plan(plan)
    again = make_plan(load_pod(pod_file).pod, lock=lock)
    assert host_values(again) == host_values(plan)
    mtime = path.stat().st_mtime_ns
    write_lock(pod_file, lock_from_plan(again, lock))
    assert path.stat().st_mtime_ns == mtime  # unchanged content: the file is not rewritten


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "not a deploy-pod lock file"),
    ("version: 9\nhosts: {}\n", "lock version 9"),
    ("hosts: [\n", "cannot read the lock file"),
])
def test_a_broken_lock_file_is_named(tmp_path, text, message):
    from deploy_pod.lock import LockError

    pod_file = tmp_path / "pod.yml"
    (tmp_path / "pod.lock.yml").write_text(text)
    with pytest.raises(LockError, match=message) as exc:
        load_lock(pod_file)
    assert str(tmp_path / "pod.lock.yml") in str(exc.value)


def test_live_values_win_and_are_recorded(write_inv):
    """Designations and failure groups read back from the cluster go into the lock."""
    pod, plan = plan_of(write_inv, example("twin.yml"))
    lock = lock_from_plan(plan)
    facts = {
        "nodes": {"ess01a-ib": {"daemon": "ess01a-ib", "admin": "ess01a", "quorum": True, "manager": True},
                  "ess01b-ib": {"daemon": "ess01b-ib", "admin": "ess01b", "quorum": True, "manager": True},
                  "dgx01-ib": {"daemon": "dgx01-ib", "admin": "dgx01", "quorum": False, "manager": False},
                  "dgx02-ib": {"daemon": "dgx02-ib", "admin": "dgx02", "quorum": True, "manager": False}},
        "nsds": {"RG001VS001": {"servers": ["ess01a-ib", "ess01b-ib"]}},
        "disks": {"fs1": {"RG001VS001": {"failure_group": 5}}},
    }
    live = live_values(facts, plan)
    assert live["dgx01"] == {"quorum": False, "manager": False}
    assert live["ess01a"]["failure_group"] == 5
    assert [r["field"] for r in drift(pod, lock, live) if r["host"] == "dgx01"] == ["quorum"]
    lock, changes = merge_live(lock, live, "test")
    assert "dgx01.quorum: lock True -> live False" in changes
    after = make_plan(pod, lock=lock)
    assert not after.hosts["dgx01"].quorum and after.hosts["dgx02"].quorum
    assert after.hosts["ess01a"].failure_group == 5 and lock["live"]["source"] == "test"
