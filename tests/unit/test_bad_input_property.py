"""Property: whatever an operator does to an example inventory (delete a key, retype a value, rename
a group, duplicate a host, swap two fields), `deploy-pod validate` ends without a traceback, with
exit 0, 1 or 2, and every exit 1 names a host or a group (or the pod setting at fault)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from deploy_pod.cli import main
from tests.helpers import example_files

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

LAYOUTS = {p.name: yaml.safe_load(p.read_text()) for p in example_files()}
ODD_VALUES = [None, "", 0, -1, 7, 65520, 3.5, True, "x y", "DGX_01", "10.77.0.300", "/", [], {}, ["a"],
              {"a": 1}, "dgx-1", "ess-3000", "10.77.0.1", "!", "mlx5_0/1"]


def paths(node, prefix=()):
    """Every (path to a mapping, key) in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix, k
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


def at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(LAYOUTS)))
    doc = copy.deepcopy(LAYOUTS[name])
    for _ in range(draw(st.integers(1, 2))):
        spots = [(p, k) for p, k in paths(doc) if isinstance(at(doc, p), dict)]
        if not spots:
            break
        path, key = draw(st.sampled_from(spots))
        parent = at(doc, path)
        op = draw(st.sampled_from(["delete", "retype", "rename", "duplicate", "swap"]))
        if op == "delete":
            del parent[key]
        elif op == "retype":
            parent[key] = draw(st.sampled_from(ODD_VALUES))
        elif op == "rename":  # a misspelt group, host or field
            new = draw(st.sampled_from([f"{key}s", str(key)[:-1] or "x", str(key).upper(), f"{key}_x"]))
            parent[new] = parent.pop(key)
        elif op == "duplicate":  # the same entry under a second name, or the host in a second group
            groups = [g for g in paths(doc) if g[1] == "hosts" and isinstance(at(doc, (*g[0], "hosts")), dict)]
            if groups and draw(st.booleans()):
                gpath, _ = draw(st.sampled_from(groups))
                target = at(doc, (*gpath, "hosts"))
                source = draw(st.sampled_from(groups))
                hosts = at(doc, (*source[0], "hosts"))
                if hosts:
                    h = draw(st.sampled_from(sorted(hosts)))
                    target[h] = copy.deepcopy(hosts[h])
            else:
                parent[f"{key}2"] = copy.deepcopy(parent[key])
        else:  # swap the values of two keys of one mapping
            other = draw(st.sampled_from(sorted(parent, key=str)))
            parent[key], parent[other] = parent[other], parent[key]
    return name, doc


@hypothesis.settings(max_examples=300, derandomize=True, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(mutated())
def test_mutated_examples_never_crash(tmp_path_factory, case):
    name, doc = case
    path = tmp_path_factory.mktemp("mut") / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = CliRunner().invoke(main, ["validate", "--json", str(path)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 1, 2), r.output
    out = json.loads(r.stdout)  # Ansible may add warnings on stderr
    if r.exit_code == 2:
        assert out["error"].startswith(str(path)) and "unexpected" not in out["error"], out["error"]
        return
    for f in out["findings"]:
        assert f["host"] or (f["field"] and (f["field"].startswith(("groups", "pod")) or f["field"] in
                                             ("ess", "dgx", "ib_switches", "nsd_servers"))), f
        assert f["file"] and f["file"].startswith(str(path)), f
    if r.exit_code == 1:
        assert any(f["severity"] == "error" for f in out["findings"])
