"""Integration tests against the twin: they need the Docker engine and scripts/testbed.

Tests marked `twin` skip (with the reason) where `docker info` fails, unless
DEPLOY_POD_REQUIRE_TWIN=1 (CI sets it): then a missing engine or a failed test bed is a
failure, never a silent skip.
"""

from __future__ import annotations

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
    """The twin image tag, after scripts/testbed made sure image and local repository exist."""
    if "tag" not in _TESTBED:
        proc = subprocess.run([str(ROOT / "scripts" / "testbed")], capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            pytest.fail(f"scripts/testbed failed:\n{proc.stderr[-4000:]}", pytrace=False)
        _TESTBED["tag"] = proc.stdout.strip().splitlines()[-1]
    return _TESTBED["tag"]
