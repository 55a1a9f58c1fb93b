"""Helpers for testing the collection's modules: import them as Ansible does, build twin hardware
for the example pod, put emulated vendor tools on a temporary PATH, run a module's main()."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

ROOT = Path(__file__).resolve().parents[1]
HW_DIR = ROOT / "twin" / "emulators" / "hw"
FIXTURES = ROOT / "tests" / "fixtures"
SBIN_HAS_IBSTAT = any(os.path.exists(f"{d}/ibstat") for d in ("/sbin", "/usr/sbin", "/usr/local/sbin"))


def _example_plan():
    from deploy_pod.inventory import load_pod
    from deploy_pod.planner import make_plan

    return make_plan(load_pod(str(ROOT / "inventories" / "examples" / "twin.yml")).pod)


def twin_host(host: str = "dgx01", fault=None, only: list[str] | None = None,
              isls: list[dict] | None = None) -> tuple[dict, dict]:
    """(hardware, fabric) for the example twin pod; fault(hwgen, hw, fabric) bends it; only: the
    hosts cabled into the fabric (default all); isls: switch-to-switch cables (default none, as the
    example pod: each switch is a subnet of its own)."""
    from deploy_pod.catalog import load_catalog
    from deploy_pod.sim.hardware import load_hwgen

    hwgen = load_hwgen(ROOT)
    catalog = load_catalog()
    plan = _example_plan()
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
    return [dataclasses.asdict(c) for c in _example_plan().hosts[host].cables]


def tool_installer(tmp_path: Path, monkeypatch, module=None):
    """A PATH holding only the tools given: emulator names ('ibstat') or {name: shell body}.
    The module's own fallback directories (SBIN) are emptied so only this PATH counts."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    if module is not None and hasattr(module, "SBIN"):
        monkeypatch.setattr(module, "SBIN", [])

    def install(*emulated: str, fakes: dict | None = None, hw: dict | None = None, fabric: dict | None = None,
                release: bool = False):
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
        if release:  # what the deploy-pod-twin-dgx package's postinst writes to /etc/dgx-release
            subprocess.run([sys.executable, str(HW_DIR / "dgx_release.py"), "--write", str(tmp_path / "dgx-release")],
                           check=True, env=dict(os.environ))
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
