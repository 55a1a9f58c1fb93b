"""Where the Ansible content (playbooks, roles, plugins) lives, and how Ansible finds it."""

from __future__ import annotations

import os
from pathlib import Path

# deploy-pod runs from a checkout (pip install -e .): the content sits beside src/
ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ("deploy_pod", "pod")


def ensure_collection_link(root: Path = ROOT) -> Path:
    """Make this checkout resolvable as the collection deploy_pod.pod; returns the collections path.

    ansible.cfg points collections_path at ./.collections, so plain ansible-playbook from the
    checkout resolves the FQCNs too once this link exists (scripts/setup makes it).
    """
    base = root / ".collections"
    link = base.joinpath("ansible_collections", *COLLECTION)
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(root, link.parent), target_is_directory=True)
    return base
