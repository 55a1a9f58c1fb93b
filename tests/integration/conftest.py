"""Integration tests against the twin: they need the Docker engine and scripts/testbed.

Tests marked `twin` skip (with the reason) where `docker info` fails, unless
DEPLOY_POD_REQUIRE_TWIN=1 (CI sets it): then a missing engine or a failed test bed is a
failure, never a silent skip.

Side by side: scripts/test runs these modules in two pytest-xdist workers, each module whole in
one worker (tests/xdist_groups.py); every test looks only at its own pod's containers, networks,
volumes and links.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def twin_required() -> bool:
    return os.environ.get("DEPLOY_POD_REQUIRE_TWIN") == "1"


def twin_unavailable(reason: str) -> None:
    if twin_required():
        pytest.fail(f"DEPLOY_POD_REQUIRE_TWIN=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _docker_ok() -> tuple[bool, str]:
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return False, "the docker CLI is not installed (run scripts/testbed)"
    except subprocess.TimeoutExpired:
        return False, "`docker info` timed out"
    if proc.returncode != 0:
        return False, "`docker info` failed: the Docker engine is not running (run scripts/testbed)"
    return True, ""


_TESTBED: dict[str, str] = {}


def pytest_runtest_setup(item):
    if item.get_closest_marker("twin") is None:
        return
    ok, reason = _docker_ok()
    if not ok:
        twin_unavailable(reason)


@pytest.fixture(scope="session")
def require_twin() -> bool:
    """True where DEPLOY_POD_REQUIRE_TWIN=1: a missing twin prerequisite must fail, not skip."""
    return twin_required()


@pytest.fixture(scope="session")
def testbed() -> str:
    """The twin image tag, after scripts/testbed made sure image and local repository exist.

    Once per test run, also with several xdist workers: the first worker to get here runs
    scripts/testbed under a lock, the others wait for it and take its tag. A second run while a
    pod of this run is up would rewrite build/twin-repo under that pod's apt, and two at once would
    race on the image builds and the repository."""
    if "tag" not in _TESTBED:
        run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run
        (ROOT / "build").mkdir(exist_ok=True)
        done = ROOT / "build" / ".testbed-run"
        with open(ROOT / "build" / ".testbed.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            seen = done.read_text().split() if run_id and done.is_file() else []
            if run_id and len(seen) == 2 and seen[0] == run_id:
                _TESTBED["tag"] = seen[1]
            else:
                proc = subprocess.run([str(ROOT / "scripts" / "testbed")], capture_output=True, text=True,
                                      timeout=1800)
                if proc.returncode != 0:
                    pytest.fail(f"scripts/testbed failed:\n{proc.stderr[-4000:]}", pytrace=False)
                _TESTBED["tag"] = proc.stdout.strip().splitlines()[-1]
                if run_id:
                    done.write_text(f"{run_id} {_TESTBED['tag']}\n")
    return _TESTBED["tag"]

