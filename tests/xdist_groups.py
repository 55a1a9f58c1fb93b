"""The twin tests side by side in pytest-xdist workers (`pytest -n 2 --dist loadgroup`, what
scripts/test runs where the twin is available; `-n 2` alone does the same); tests/conftest.py
takes these hooks in.

Groups: each module of tests/integration is one group, run whole by one worker in file order, so
its twin pod (a module-scoped fixture) is made once and its tests see the story as written.
Modules that touch the same global thing share a group (GROUPS). Every other test (tests/unit) is
a group of its own, handed out one by one to fill the gaps.

Order: the groups go out longest first (GROUP_MINUTES), so the two long ones start at once, one
per worker, and the short ones follow on whichever worker is free first.

The grouping is done here on the controller (the scheduler below), not with `xdist_group` marks:
with pytest 9.2, pytest-xdist 3.8's loadgroup no longer sees marks (it renames the test ids, which
pytest 9.2 no longer lets it do; pytest-xdist issue 1386), and the tests would silently be handed
out one by one, each worker making the same pod. An explicit `xdist_group` mark still joins its
group where the pytest in use lets xdist name it.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

import pytest

INTEGRATION = "tests/integration/"
# Modules that must share a worker. The Molecule scenarios use fixed Docker names (the instance
# dgx01 of base_os and of base_os_dgx_fault, the molecule-* networks and their subnets) and each
# scenario's first step destroys its instances by name: no two scenarios may run at once.
GROUPS = {
    "test_molecule_scenarios": "molecule",
    "test_base_os_dgx_check": "molecule",
}
# Rough serial minutes per group on a 2-core machine, only for the order the groups go out in
# (longest first; a module not listed counts as 1). Keep the two longest on top: they must start
# on different workers.
GROUP_MINUTES = {
    "test_deploy_twin": 23,
    "molecule": 21,
    "test_scale_nsd_twin": 5,
    "test_preflight_twin": 3,
    "test_sim_lifecycle": 3,
    "test_twin_gpfs": 3,
    "test_twin_ngc": 3,
    "test_mgmt_network_rollback": 2,
}


def group_of(nodeid: str) -> str | None:
    """The group of a test of tests/integration (its module's, or GROUPS'); None for any other."""
    path = nodeid.split("::", 1)[0]
    if not (path.startswith(INTEGRATION) and path.endswith(".py")):
        return None
    stem = PurePosixPath(path).stem
    return GROUPS.get(stem, stem)


def _scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    class PodGroupScheduling(LoadGroupScheduling):
        """loadgroup with the groups of group_of(), the queue in the workers' collection order."""

        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group mark that reached the id
                return super()._split_scope(nodeid)
            return group_of(nodeid) or nodeid

        def schedule(self) -> None:
            # the workers collected the groups longest first (pytest_collection_modifyitems below):
            # keep that order rather than xdist's "most tests first"
            reorder = self.config.option.loadscopereorder
            self.config.option.loadscopereorder = False
            try:
                super().schedule()
            finally:
                self.config.option.loadscopereorder = reorder

    return PodGroupScheduling(config, log)


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # before xdist's own (firstresult)
def pytest_xdist_make_scheduler(config, log):
    # `-n N` alone means --dist load, single tests to any worker: two workers would each make the
    # same module's pod. It gets the groups too; other --dist modes are left as chosen.
    if config.getvalue("dist") in ("loadgroup", "load"):
        return _scheduler(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    """In an xdist worker: the integration groups first, longest first, each in file order (every
    worker orders alike, so the scheduler's queue is this order)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: collection order, as always
    groups: dict[str, list[pytest.Item]] = {}
    others = []
    for item in items:
        group = group_of(item.nodeid)
        (groups.setdefault(group, []) if group else others).append(item)
    ordered = sorted(groups, key=lambda g: -GROUP_MINUTES.get(g, 1))  # stable: ties keep file order
    items[:] = [item for g in ordered for item in groups[g]] + others
