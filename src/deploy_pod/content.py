"""Where the Ansible content (playbooks, roles, plugins) lives, and how Ansible finds it.

Two layouts:
- a checkout (pip install -e .): the content sits beside src/, and the collection link
  deploy_pod.pod lives in the checkout's .collections/ (scripts/setup makes it; ansible.cfg
  points collections_path there);
- an installed wheel (pip install deploy-pod): setup.py copied the content into this package as
  deploy_pod/_content; site-packages may be read-only, so the collection link lives in a per-user
  cache directory ($XDG_CACHE_HOME or ~/.cache, then deploy-pod/).

The twin (deploy-pod sim) needs a checkout either way (twin/, scripts/testbed): see sim.engine.find_root.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
COLLECTION = ("deploy_pod", "pod")


def _is_content(d: Path) -> bool:
    return (d / "playbooks").is_dir() and (d / "galaxy.yml").is_file() and (d / "ansible.cfg").is_file()


def _find_root() -> tuple[Path, bool]:
    """(the content root, whether it is a checkout)."""
    checkout = PACKAGE.parents[1]  # <checkout>/src/deploy_pod
    if PACKAGE.parent.name == "src" and _is_content(checkout):
        return checkout, True
    return PACKAGE / "_content", False


ROOT, CHECKOUT = _find_root()


def content_missing() -> str | None:
    """Why the Ansible content cannot be found, or None when it can."""
    if _is_content(ROOT):
        return None
    return (f"the deploy-pod Ansible content is missing: not a checkout, and no {ROOT} "
            "(a package built without setup.py's build hook?)")


def cache_dir() -> Path:
    """deploy-pod's per-user cache: $XDG_CACHE_HOME/deploy-pod (~/.cache/deploy-pod)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deploy-pod"


def _link(link: Path, target: str) -> None:
    """Point link at target; replaces a stale link atomically (several runs may start at once)."""
    if link.is_symlink() and os.readlink(link) == target:
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.parent / f".{link.name}.{os.getpid()}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, link)


def collections_base(root: Path = ROOT) -> Path:
    """The collections path that holds ansible_collections/deploy_pod/pod for this content root."""
    if root == ROOT and not CHECKOUT:
        # one link directory per installed copy (two venvs with two versions do not fight)
        key = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        for base in (cache_dir(), Path(tempfile.gettempdir()) / f"deploy-pod-{os.getuid()}"):
            try:
                base.mkdir(parents=True, exist_ok=True)
                if os.access(base, os.W_OK):
                    return base / f"collections-{key}"
            except OSError:
                continue
        raise OSError(f"no writable directory for the deploy_pod.pod collection link (tried {cache_dir()})")
    return root / ".collections"


def ensure_collection_link(root: Path = ROOT) -> Path:
    """Make this content resolvable as the collection deploy_pod.pod; returns the collections path.

    In a checkout, ansible.cfg points collections_path at ./.collections, so plain ansible-playbook
    from the checkout resolves the FQCNs too once this link exists (scripts/setup makes it). An
    installed package links from the per-user cache and puts that path first in this process's
    ANSIBLE_COLLECTIONS_PATH, which the Ansible runs it starts inherit.
    """
    base = collections_base(root)
    link = base.joinpath("ansible_collections", *COLLECTION)
    if root == ROOT and not CHECKOUT:
        _link(link, str(root))
        # the packaged ansible.cfg's ./.collections is not there: Ansible started from this process
        # (ansible-runner copies os.environ) looks here first, then wherever the user pointed it
        user = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
        if str(base) not in user.split(os.pathsep):
            os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(p for p in (str(base), user) if p)
    elif not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(root, link.parent), target_is_directory=True)
    return base


def module_utils(name: str):
    """plugins/module_utils/<name>.py, imported under the collection's name as the modules import it
    on a host: the controller and the modules then share one module, so one class per plan type."""
    import importlib
    import sys

    path = str(ensure_collection_link())
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(f"ansible_collections.deploy_pod.pod.plugins.module_utils.{name}")
