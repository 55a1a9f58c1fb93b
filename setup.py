"""Build hook: the wheel carries the Ansible content as deploy_pod/_content.

Everything else about the distribution is in pyproject.toml. A checkout keeps the content beside
src/ (playbooks/, roles/, plugins/, ...); deploy_pod.content finds it there in an editable install
and in deploy_pod/_content in an installed wheel. The copy happens when setuptools builds the
package (build_py), not in editable mode. An sdist carries the same trees (MANIFEST.in), so a wheel
built from the sdist has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# what the playbooks, roles and plugins need at run time, and what makes it a collection again
# (galaxy.yml, meta/, README.md): `ansible-galaxy collection build deploy_pod/_content` works too
CONTENT_DIRS = ["playbooks", "roles", "plugins", "meta", "inventories/examples"]
CONTENT_FILES = ["galaxy.yml", "ansible.cfg", "README.md", "LICENSE", "CHANGELOG.md"]
REQUIRED = ["playbooks", "roles", "plugins", "meta", "galaxy.yml", "ansible.cfg"]
# tests and local state never travel: Molecule scenarios, byte code, lock files of example pods
IGNORE = shutil.ignore_patterns("__pycache__", "*.py[co]", "molecule", ".pytest_cache", "*.lock.yml",
                                ".collections", ".sim", "artifacts", "*.retry")


class build_py_with_content(build_py):  # noqa: N801 - setuptools command naming
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable install: deploy_pod.content reads the checkout itself
        missing = [p for p in REQUIRED if not (HERE / p).exists()]
        if missing:
            raise SystemExit(f"deploy-pod build: the Ansible content is missing from {HERE}: {', '.join(missing)}")
        dest = Path(self.build_lib) / "deploy_pod" / "_content"
        if dest.exists():
            shutil.rmtree(dest)  # no stale files from an earlier build in build/
        for d in CONTENT_DIRS:
            if (HERE / d).is_dir():
                shutil.copytree(HERE / d, dest / d, ignore=IGNORE, symlinks=False)
        for f in CONTENT_FILES:
            if (HERE / f).is_file():
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(HERE / f, dest / f)


setup(cmdclass={"build_py": build_py_with_content})
