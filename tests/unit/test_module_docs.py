"""Every module's DOCUMENTATION loads with its doc fragments (deploy_pod.pod.attributes and its
variants) as ansible-doc renders it, and the check_mode attribute it declares matches what the
module does: supports_check_mode in AnsibleModule, or an action plugin that runs on the controller."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_pod.content import ensure_collection_link

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


@pytest.fixture(scope="module")
def docs() -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(ensure_collection_link()))
    doc = Path(sys.executable).with_name("ansible-doc")
    proc = subprocess.run([str(doc), "--json", "-t", "module", *(f"deploy_pod.pod.{m}" for m in MODULES)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", MODULES)
def test_documentation_renders_with_the_attributes_fragment(docs, name):
    entry = docs.get(f"deploy_pod.pod.{name}")
    assert entry and entry.get("doc"), f"ansible-doc rendered nothing for {name}"
    doc = entry["doc"]
    source = (ROOT / "plugins" / "modules" / f"{name}.py").read_text()
    fragments = re.search(r"^extends_documentation_fragment:\n((?:  - .*\n)+)", source, re.M)
    assert fragments and "  - deploy_pod.pod.attributes\n" in fragments.group(1), \
        f"{name} does not extend deploy_pod.pod.attributes"
    attrs = doc["attributes"]
    for key in ("check_mode", "diff_mode", "platform"):
        assert key in attrs, f"{name}: attributes.{key} missing"
    assert attrs["platform"]["platforms"] == "posix"
    assert attrs["check_mode"]["support"] in ("full", "partial", "none")
    assert attrs["diff_mode"]["support"] in ("full", "partial", "none")


@pytest.mark.parametrize("name", MODULES)
def test_check_mode_attribute_matches_the_code(docs, name):
    support = docs[f"deploy_pod.pod.{name}"]["doc"]["attributes"]["check_mode"]["support"]
    source = (ROOT / "plugins" / "modules" / f"{name}.py").read_text()
    action = ROOT / "plugins" / "action" / f"{name}.py"
    if "AnsibleModule(" in source:
        declared = bool(re.search(r"supports_check_mode\s*=\s*True", source))
        assert declared == (support in ("full", "partial")), \
            f"{name}: attributes.check_mode.support is {support}, supports_check_mode is {declared}"
    else:
        # a documentation stub: the action plugin does the work on the controller and changes nothing
        assert action.is_file(), f"{name}: no AnsibleModule and no action plugin"
        assert support == "full"


def test_no_module_repeats_the_shared_attributes():
    """platform and a plain diff_mode none come from the fragment only."""
    for name in MODULES:
        text = (ROOT / "plugins" / "modules" / f"{name}.py").read_text()
        block = re.search(r"^attributes:\n((?:  .*\n)+)", text, re.M)
        if block:
            assert "platforms:" not in block.group(1), name
            assert not re.search(r"diff_mode:\n    support: none\n", block.group(1)), name
