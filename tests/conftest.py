"""Shared test helpers: write an inventory, load it through Ansible's loader, run the rules."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

from deploy_pod.content import ensure_collection_link

# the twin tests side by side in xdist workers: their groups and the order they go out in
from tests.xdist_groups import pytest_collection_modifyitems, pytest_xdist_make_scheduler  # noqa: F401

# the collection's modules import their module_utils as ansible_collections.deploy_pod.pod.*
# (as on a host); test modules import them the same way, so the path is set before they load
if str(ensure_collection_link()) not in sys.path:
    sys.path.insert(0, str(ensure_collection_link()))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "inventories" / "examples"


def base_inventory() -> dict:
    """The twin example as a dict: a clean pod each test bends one way."""
    return yaml.safe_load((EXAMPLES / "twin.yml").read_text())


@pytest.fixture
def inv():
    return copy.deepcopy(base_inventory())


@pytest.fixture
def write_inv(tmp_path):
    def write(data: dict, name: str = "pod.yml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


@pytest.fixture
def check(write_inv):
    """Load an inventory dict and return (pod, findings) like `deploy-pod validate` does."""
    from deploy_pod.inventory import load_pod
    from deploy_pod.rules import check as check_pod

    def run(data: dict):
        result = load_pod(write_inv(data))
        return result.pod, check_pod(result.pod, result.findings)

    return run
