"""deploy_pod.pod.base_os stops a DGX whose hardware does not match the inventory.

Runs the Molecule scenario extensions/molecule/base_os_dgx_fault on the twin: dgx01 is a
DGX-1 with the GPU in slot 3 fallen off the bus. Its converge must fail with the exact
message, before the role changes anything on the host.

Skips where `docker info` fails (conftest.py); with DEPLOY_POD_REQUIRE_TWIN=1 that is a
failure instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.twin

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = "dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _molecule(args: list[str], tag: str) -> subprocess.CompletedProcess:
    venv_bin = ROOT / ".venv" / "bin"
    env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", DEPLOY_POD_TWIN_IMAGE=tag,
               ANSIBLE_FORCE_COLOR="0", NO_COLOR="1", PY_COLORS="0")
    env.pop("DEPLOY_POD_TWIN_ROOT", None)
    return subprocess.run([str(venv_bin / "molecule"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)


def test_missing_gpu_stops_the_play_with_the_exact_message(testbed):
    proc = _molecule(["test", "-s", "base_os_dgx_fault"], testbed)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    # cleanup even where the scenario's own destroy did not run
    _molecule(["destroy", "-s", "base_os_dgx_fault"], testbed)
    assert proc.returncode != 0, "converge passed on a DGX-1 with 7 GPUs:\n" + out[-6000:]
    for step in ("create", "prepare"):
        assert f"{step}: Executed: Successful" in out, f"{step} did not succeed:\n{out[-6000:]}"
    assert "converge: Executed: Failed" in out, out[-6000:]
    # the message, exactly, from the DGX check task
    assert EXPECTED in " ".join(out.split()), out[-6000:]
    # stopped before anything changed: the failing host's recap of the converge play
    recaps = re.findall(r"dgx01\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", out)
    assert recaps, out[-6000:]
    ok, changed, failed = recaps[-1]
    assert (changed, failed) == ("0", "1"), f"converge recap ok={ok} changed={changed} failed={failed}"
    assert "TASK [deploy_pod.pod.base_os : Install chrony]" not in out
