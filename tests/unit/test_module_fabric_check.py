"""deploy_pod.pod.fabric_check: main() against the twin's emulated ibstat, iblinkinfo and ibnetdiscover
(run as subprocesses from a temporary PATH) on the example twin pod, built by hwgen from the
planner's cables, with faults made by hwgen's set_port_state and recable: each gives its exact
problem sentence, a clean host none."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest
from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

ROOT = Path(__file__).resolve().parents[2]
HW_DIR = ROOT / "twin" / "emulators" / "hw"
FIXTURES = ROOT / "tests" / "fixtures"


def _collections_path() -> str:
    """The checkout as ansible_collections.deploy_pod.pod (scripts/setup's link, or a temporary one)."""
    setup = ROOT / ".collections"
    if (setup / "ansible_collections" / "deploy_pod" / "pod" / "plugins").is_dir():
        return str(setup)
    tmp = Path(tempfile.mkdtemp(prefix="deploy-pod-collections-"))
    (tmp / "ansible_collections" / "deploy_pod").mkdir(parents=True)
    (tmp / "ansible_collections" / "deploy_pod" / "pod").symlink_to(ROOT)
    return str(tmp)


if _collections_path() not in sys.path:
    sys.path.insert(0, _collections_path())

from ansible_collections.deploy_pod.pod.plugins.modules import fabric_check  # noqa: E402

SBIN_HAS_IBSTAT = any(os.path.exists(f"{d}/ibstat") for d in ("/sbin", "/usr/sbin", "/usr/local/sbin"))


# ---------------------------------------------------------------- twin helpers

def _hwgen():
    from deploy_pod.sim.hardware import load_hwgen
    return load_hwgen(ROOT)


def twin_host(host: str = "dgx01", fault=None, only: list[str] | None = None,
              isls: list[dict] | None = None) -> tuple[dict, dict]:
    """(hardware, fabric) for the example twin pod; fault(hwgen, hw, fabric) bends it; only:
    the hosts cabled into the fabric (default all); isls: switch-to-switch cables (default none,
    as the example pod: each switch is a subnet of its own)."""
    from deploy_pod.catalog import load_catalog
    from deploy_pod.inventory import load_pod
    from deploy_pod.planner import make_plan

    hwgen = _hwgen()
    catalog = load_catalog()
    plan = make_plan(load_pod(str(ROOT / "inventories" / "examples" / "twin.yml")).pod)
    hws = {}
    for name, hp in plan.hosts.items():
        if only is not None and name not in only:
            continue
        hws[name] = hwgen.host_hardware(
            "twin", name, hp.role, hp.hw_model, catalog.get(hp.hw_model) or {},
            cables=[{"port": c.port, "switch": c.switch, "switch_port": c.switch_port} for c in hp.cables],
            netdevs={c.port: c.netdev for c in hp.cables})
    fab = hwgen.fabric("twin", list(hws.values()),
                       [{"name": s.name, "hw_model": s.hw_model, "ports": s.ports, "rate_gbps": s.rate_gbps}
                        for s in plan.switches.values()], isls)
    if fault is not None:
        fault(hwgen, hws[host], fab)
    return hws[host], fab


def planned(host: str = "dgx01") -> list[dict]:
    """The plan's cables for the host, as preflight passes them (port, switch, switch_port, netdev, rate_gbps)."""
    import dataclasses

    from deploy_pod.inventory import load_pod
    from deploy_pod.planner import make_plan

    plan = make_plan(load_pod(str(ROOT / "inventories" / "examples" / "twin.yml")).pod)
    return [dataclasses.asdict(c) for c in plan.hosts[host].cables]


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A PATH holding only the tools given: emulator names ('ibstat') or {name: shell body}."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(fabric_check, "SBIN", [])

    def install(*emulated: str, fakes: dict | None = None, hw: dict | None = None, fabric: dict | None = None):
        for name in emulated:
            script = HW_DIR / (name.replace("-", "_") + ".py")
            path = bindir / name
            path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
            path.chmod(0o755)
        for name, body in (fakes or {}).items():
            path = bindir / name
            path.write_text("#!/bin/sh\n" + body + "\n")
            path.chmod(0o755)
        if hw is not None:
            (tmp_path / "hardware.json").write_text(json.dumps(hw))
            monkeypatch.setenv("DEPLOY_POD_TWIN_HARDWARE", str(tmp_path / "hardware.json"))
        if fabric is not None:
            (tmp_path / "fabric.json").write_text(json.dumps(fabric))
            monkeypatch.setenv("DEPLOY_POD_TWIN_FABRIC", str(tmp_path / "fabric.json"))
        return bindir

    return install


def run_module(main, args: dict, capsys, monkeypatch) -> tuple[int, dict]:
    """Run a module's main() as Ansible would: (exit code, result JSON)."""
    monkeypatch.setattr(ansible_warnings, "_global_warnings", {})
    # importing Ansible's controller side (the inventory loader) sends module warnings to the
    # display instead of the result; a module on a host runs outside that context
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def warning_texts(result: dict) -> list[str]:
    return [w if isinstance(w, str) else w.get("msg", str(w)) for w in result.get("warnings") or []]


# ---------------------------------------------------------------- faults

def _slow(ca: str, num: int, gbps: int):
    def fault(hwgen, hw, fab):
        for hca in hw["hcas"]:
            for p in hca["ports"]:
                if hca["name"] == ca and p["num"] == num:
                    p["rate_gbps"] = gbps
        for link in fab["links"]:
            if (link["host"], link["ca"], link["port"]) == (hw["host"], ca, num):
                link["rate_gbps"] = gbps
    return fault


ISL = [{"switch": "ib-sw1", "port": 36, "peer": "ib-sw2", "peer_port": 36}]
# the example pod has two switches without an ISL: two subnets, one iblinkinfo run per switch
SECOND_RUN = {"dgx01": "iblinkinfo -C mlx5_1 -P 1", "dgx02": "iblinkinfo -C mlx5_1 -P 1",
              "ess01a": "iblinkinfo -C mlx5_0 -P 2"}


def check(tools, capsys, monkeypatch, host="dgx01", fault=None, expected=None, only=None, tool_names=None,
          isls=None, **args) -> tuple[int, dict]:
    hw, fab = twin_host(host, fault, only, isls)
    tools(*(tool_names or ("ibstat", "iblinkinfo", "ibnetdiscover")), hw=hw, fabric=fab)
    module_args = {"host": host, "expected": planned(host) if expected is None else expected, **args}
    return run_module(fabric_check.main, module_args, capsys, monkeypatch)


# ---------------------------------------------------------------- clean

@pytest.mark.parametrize("host", ["dgx01", "dgx02", "ess01a"])
def test_clean_host_has_no_problems(tools, capsys, monkeypatch, host):
    rc, result = check(tools, capsys, monkeypatch, host)
    assert rc == 0, result
    assert result["changed"] is False
    assert result["problems"] == []
    assert result["discovery"] == ["iblinkinfo", SECOND_RUN[host]]
    links = {lk["port"]: lk for lk in result["links"]}
    for cable in planned(host):
        link = links[cable["port"]]
        assert (link["switch"], link["switch_port"]) == (cable["switch"], cable["switch_port"])
        assert link["state"] == "Active" and link["rate_gbps"] == 100
        assert link["matched_by"] == "port_guid"
        assert link["remote_type"] == "Switch"
        assert link["remote_description"] == f"MF0;{cable['switch']}:MSB7800/U1"
    assert not warning_texts(result)


def test_check_mode_is_the_same(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, _ansible_check_mode=True)
    assert rc == 0 and result["problems"] == [] and result["changed"] is False


# ---------------------------------------------------------------- faults, sentence by sentence

def test_port_down(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch,
                       fault=lambda g, hw, fab: g.set_port_state(hw, fab, "mlx5_1", 1, "Down"))
    assert rc == 0
    assert result["problems"] == ["dgx01 mlx5_1/1: link is Down (expected Active at 100 Gb/s)"]


def test_port_disabled(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, host="dgx02",
                       fault=lambda g, hw, fab: g.set_port_state(hw, fab, "mlx5_3", 1, "Down", "Disabled"))
    assert result["problems"] == ["dgx02 mlx5_3/1: link is Down (expected Active at 100 Gb/s)"]
    link = next(lk for lk in result["links"] if lk["port"] == "mlx5_3/1")
    assert link["physical_state"] == "Disabled" and link["switch"] is None


def test_miscabled_to_the_other_switch(tools, capsys, monkeypatch):
    # dgx01 mlx5_2/1 is planned on ib-sw1 port 6; plug it into ib-sw2 port 20
    rc, result = check(tools, capsys, monkeypatch,
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_2", 1, "ib-sw2", 20))
    assert rc == 0
    assert result["problems"] == ["dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw2 port 20"]


def test_two_cables_swapped(tools, capsys, monkeypatch):
    def swap(g, hw, fab):
        g.recable(hw, fab, "mlx5_0", 1, "ib-sw1", 6)
        g.recable(hw, fab, "mlx5_2", 1, "ib-sw1", 5)

    rc, result = check(tools, capsys, monkeypatch, fault=swap)
    assert result["problems"] == [
        "dgx01 mlx5_0/1: expected ib-sw1 port 5, found ib-sw1 port 6",
        "dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw1 port 5",
    ]


def test_rate_below_plan(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, fault=_slow("mlx5_0", 1, 56))
    assert result["problems"] == ["dgx01 mlx5_0/1: rate 56 Gb/s is below the planned 100 Gb/s"]


def test_planned_port_missing_from_the_host(tools, capsys, monkeypatch):
    expected = [*planned("dgx01"), {"port": "mlx5_4/1", "switch": "ib-sw1", "switch_port": 30, "rate_gbps": 100}]
    rc, result = check(tools, capsys, monkeypatch, expected=expected)
    assert result["problems"] == ["dgx01 mlx5_4/1: port not found on this host"]


def test_several_faults_in_plan_order_and_fail_on_problems(tools, capsys, monkeypatch):
    def faults(g, hw, fab):
        g.set_port_state(hw, fab, "mlx5_1", 1, "Down")
        g.recable(hw, fab, "mlx5_3", 1, "ib-sw1", 21)
        _slow("mlx5_0", 1, 40)(g, hw, fab)

    rc, result = check(tools, capsys, monkeypatch, fault=faults, fail_on_problems=True)
    expected = [
        "dgx01 mlx5_0/1: rate 40 Gb/s is below the planned 100 Gb/s",
        "dgx01 mlx5_1/1: link is Down (expected Active at 100 Gb/s)",
        "dgx01 mlx5_3/1: expected ib-sw2 port 6, found ib-sw1 port 21",
    ]
    assert rc == 1
    assert result["failed"] is True
    assert result["problems"] == expected
    assert result["msg"] == "; ".join(expected)
    assert len(result["links"]) == 4


# ---------------------------------------------------------------- discovery paths

def test_one_subnet_needs_one_discovery_run(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, isls=ISL)
    assert rc == 0, result
    assert result["problems"] == []
    assert result["discovery"] == ["iblinkinfo"]


def test_a_host_alone_on_the_fabric(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, only=["dgx01"],
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_1", 1, "ib-sw2", 6))
    assert result["problems"] == ["dgx01 mlx5_1/1: expected ib-sw2 port 5, found ib-sw2 port 6"]


def test_ibnetdiscover_when_iblinkinfo_is_missing(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, tool_names=("ibstat", "ibnetdiscover"),
                       fault=lambda g, hw, fab: g.recable(hw, fab, "mlx5_2", 1, "ib-sw2", 20))
    assert rc == 0, result
    assert result["discovery"] == ["ibnetdiscover -p", "ibnetdiscover -p -C mlx5_1 -P 1"]
    assert result["problems"] == ["dgx01 mlx5_2/1: expected ib-sw1 port 6, found ib-sw2 port 20"]


def test_ports_ibstat_could_not_read_are_found_by_node_description(tools, capsys, monkeypatch):
    hw, fab = twin_host("dgx01", isls=ISL)
    tools("iblinkinfo", hw=hw, fabric=fab,
          fakes={"ibstat": f'"{sys.executable}" "{HW_DIR / "ibstat.py"}" mlx5_0 || exit 1\n'
                           "echo \"ibpanic: [7] main: stat of IB device 'mlx5_1' failed\" >&2\nexit 255"})
    monkeypatch.setattr(fabric_check, "SBIN", [])
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": planned("dgx01")}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["problems"] == []
    links = {lk["port"]: lk for lk in result["links"]}
    assert links["mlx5_0/1"]["seen_by"] == ["ibstat", "discovery"]
    assert links["mlx5_3/1"]["seen_by"] == ["discovery"]
    assert links["mlx5_3/1"]["matched_by"] == "node_description"
    assert any("ibstat exited 255" in t and "mlx5_1" in t for t in warning_texts(result))


def test_bad_expected_entry_fails(tools, capsys, monkeypatch):
    rc, result = check(tools, capsys, monkeypatch, expected=[{"port": "mlx5_0"}])
    assert rc == 1
    assert result["msg"] == "port 'mlx5_0' is not of the form <ca>/<port>, for example mlx5_0/1"


@pytest.mark.skipif(SBIN_HAS_IBSTAT, reason="this machine has a real ibstat in an sbin directory")
def test_missing_tools_fail_clearly(tools, capsys, monkeypatch):
    tools()
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": []}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("ibstat not found on the PATH")
    hw, fab = twin_host("dgx01")
    tools("ibstat", hw=hw, fabric=fab)
    rc, result = run_module(fabric_check.main, {"host": "dgx01", "expected": []}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("iblinkinfo or ibnetdiscover not found")
