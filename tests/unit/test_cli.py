"""The CLI: exit codes 0/1/2, JSON output, help with examples, schema and docs kept in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy_pod.cli import main
from tests.conftest import EXAMPLES, ROOT
from tests.helpers import example_files, hosts_of


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("layout", [p.name for p in example_files()])
def test_examples_validate_clean(layout):
    r = run("validate", EXAMPLES / layout)
    assert r.exit_code == 0, r.output
    assert "OK, 0 error(s)" in r.output


def test_reference_layouts_exist():
    assert {"starter.yml", "half-pod.yml", "full-pod.yml", "dgx2-pod.yml", "twin.yml"} <= {
        p.name for p in example_files()}


def test_rule_failure_exits_1_and_names_host(inv, write_inv):
    hosts_of(inv, "dgx")["dgx02"]["mgmt_address"] = "10.77.0.11"
    r = run("validate", write_inv(inv))
    assert r.exit_code == 1
    assert "[address-duplicate]" in r.output and "host dgx02" in r.output and "mgmt_address" in r.output


def test_warnings_exit_0(inv, write_inv):
    hosts_of(inv, "dgx")["dgx01"]["mgmt_adress"] = "x"
    r = run("validate", write_inv(inv))
    assert r.exit_code == 0 and "WARNING [unknown-field]" in r.output


def test_json_output(inv, write_inv):
    hosts_of(inv, "dgx")["dgx01"]["hw_model"] = "dgx-9"
    r = run("validate", "--json", write_inv(inv))
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["ok"] is False and doc["errors"] == 1
    assert doc["findings"][0] | {"file": None} == {"rule": "hw-model-unknown", "severity": "error",
                                                   "message": doc["findings"][0]["message"], "host": "dgx01",
                                                   "field": "hw_model", "file": None}


def test_unreadable_exits_2(tmp_path):
    r = run("validate", tmp_path / "nope.yml")
    assert r.exit_code == 2 and "no such file" in r.output


def test_syntax_error_exits_2_with_line(tmp_path):
    bad = tmp_path / "pod.yml"
    bad.write_text("all:\n  children:\n    dgx:\n      hosts:\n        dgx01: {hw_model: dgx-1\n")
    r = run("validate", bad)
    assert r.exit_code == 2
    assert f"{bad}:6:1" in r.output


def test_duplicate_key_exits_2_with_line(tmp_path):
    bad = tmp_path / "pod.yml"
    bad.write_text("all:\n  vars:\n    pod: {name: a}\n    pod: {name: b}\n")
    r = run("validate", "--json", bad)
    assert r.exit_code == 2
    assert "duplicate key 'pod'" in json.loads(r.output)["error"] and ":4:5" in r.output


def test_ini_inventory_works(tmp_path):
    ini = tmp_path / "pod.ini"
    ini.write_text("""[dgx]
dgx01 hw_model=dgx-1 mgmt_address=10.77.0.11
[ess01]
ess01a hw_model=ess-3000 mgmt_address=10.77.0.21
ess01b hw_model=ess-3000 mgmt_address=10.77.0.22
[ess:children]
ess01
[ib_switches]
ib-sw1 hw_model=sb7800
[all:vars]
pod={"name": "ini", "networks": {"mgmt": {"cidr": "10.77.0.0/24"}, "ipoib": {"cidr": "10.78.0.0/24"}}}
""")
    r = run("validate", ini)
    assert r.exit_code == 0, r.output


def test_plan_tables_and_json():
    r = run("plan", EXAMPLES / "twin.yml")
    assert r.exit_code == 0, r.output
    for title in ("hosts and roles", "ESS units and NSD server pairs", "quorum nodes", "cabling per switch",
                  "Expected read bandwidth"):
        assert title in r.output
    r = run("plan", "--json", EXAMPLES / "twin.yml")
    doc = json.loads(r.output)
    assert doc["quorum"] == ["ess01a", "ess01b", "dgx01"]
    assert doc["hosts"]["dgx01"]["cables"][0] == {"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 5,
                                                  "netdev": "ib0", "rate_gbps": 100}
    assert doc["sizing"]["expected_gbs"] == 40


def test_plan_refuses_broken_inventory(inv, write_inv):
    del hosts_of(inv, "dgx")["dgx01"]["mgmt_address"]
    r = run("plan", write_inv(inv))
    assert r.exit_code == 1 and "mgmt-address-missing" in r.output


def test_plan_reads_the_lock_marks_its_values_and_shows_drift(inv, write_inv):
    from deploy_pod.inventory import load_pod
    from deploy_pod.lock import lock_from_plan, write_lock
    from deploy_pod.planner import make_plan

    pod_file = write_inv(inv)
    write_lock(pod_file, lock_from_plan(make_plan(load_pod(pod_file).pod)))
    hosts_of(inv, "ess01")["ess01a"]["failure_group"] = 9
    write_inv(inv)
    r = run("plan", pod_file)
    assert r.exit_code == 0, r.output
    assert "yesL" in r.output and f"lock: {pod_file.with_name('pod.lock.yml')}" in r.output
    assert "Drift between the inventory, the lock file and the running cluster" in r.output
    doc = json.loads(run("plan", "--json", pod_file).output)
    assert doc["drift"] == [{"host": "ess01a", "field": "failure_group", "inventory": 9, "lock": 1, "live": None,
                             "effect": "the inventory wins: up applies it"}]
    assert doc["hosts"]["ess01a"]["failure_group"] == 9 and "quorum" in doc["hosts"]["dgx01"]["locked"]


def test_a_broken_lock_file_exits_2_naming_it(inv, write_inv):
    pod_file = write_inv(inv)
    pod_file.with_name("pod.lock.yml").write_text("version: 7\nhosts: {}\n")
    r = run("plan", pod_file)
    assert r.exit_code == 2 and "pod.lock.yml: lock version 7" in r.output


def test_scale_out_without_a_lock_is_refused_before_anything_runs(inv, write_inv):
    r = run("scale-out", write_inv(inv), "--yes")
    assert r.exit_code == 2 and "no lock file beside" in r.output


def test_scale_out_refuses_a_bad_inventory_and_changes_nothing(inv, write_inv):
    hosts_of(inv, "ess01")["ess01b"]["hw_model"] = "ess-3200"
    r = run("scale-out", write_inv(inv), "--yes")
    assert r.exit_code == 1 and "nothing was changed" in r.output


@pytest.mark.parametrize("cmd", [[], ["validate"], ["plan"], ["schema"], ["rules"], ["up"], ["acceptance"], ["report"],
                                 ["scale-out"],
                                 ["sim"], ["sim", "up"],
                                 ["sim", "down"], ["sim", "status"], ["sim", "fault"]])
def test_help_has_example(cmd):
    r = run(*cmd, "--help")
    assert r.exit_code == 0
    assert "Example" in r.output or "Start with" in r.output


def test_schema_is_json_schema_and_checks_the_examples():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(run("schema").output)
    assert schema["$schema"].endswith("2020-12/schema")
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for f in example_files():
        validator.validate(yaml.safe_load(f.read_text()))
    broken = yaml.safe_load((EXAMPLES / "twin.yml").read_text())
    broken["all"]["vars"]["pod"]["networks"]["mgmt"]["cidr"] = 7
    assert list(validator.iter_errors(broken))


def test_docs_inventory_is_generated_from_the_model():
    """docs/inventory.md must match `deploy-pod schema --markdown` (regenerate it when the model changes)."""
    generated = run("schema", "--markdown").output
    assert (ROOT / "docs" / "inventory.md").read_text() == generated


def test_every_field_is_documented():
    from deploy_pod.model import HostVars, PodSettings

    doc = (ROOT / "docs" / "inventory.md").read_text()
    for name in HostVars.model_fields:
        assert f"`{name}`" in doc
    for name in PodSettings.model_fields:
        assert f"`pod.{name}`" in doc


def test_rules_lists_every_rule():
    from deploy_pod.rules import RULES

    out = run("rules").output
    assert all(r.id in out for r in RULES)


def test_readme_starts_with_the_two_commands():
    text = Path(ROOT / "README.md").read_text().splitlines()
    blocks = [line for line in text[:25] if line.startswith(("./scripts/", "bash ", "make "))]
    assert len(blocks) >= 2


def test_every_field_has_an_example():
    from pydantic import BaseModel

    from deploy_pod.model import Cable, HostVars, PodSettings

    def walk(model: type[BaseModel], prefix: str):
        for name, f in model.model_fields.items():
            yield f"{prefix}{name}", f
            ann = f.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                yield from walk(ann, f"{prefix}{name}.")

    roots = ((PodSettings, "pod."), (HostVars, ""), (Cable, "ib_cables[]."))
    missing = [path for m, p in roots for path, f in walk(m, p) if not f.examples]
    assert missing == []


def test_report_verb_exit_codes(tmp_path):
    """PASS 0, FAIL 1 (a figure below its share), unknown run or bad file 2; by run id under --artifacts."""
    import copy
    import json

    from tests.unit.test_report import results, write

    good = write(tmp_path, results())
    r = run("report", "20261129-070000", "--artifacts", tmp_path / "artifacts")
    assert r.exit_code == 0 and "acceptance: PASS" in r.output and str(good.parent / "report.html") in r.output
    bad = copy.deepcopy(results())
    for f in bad["fio"]:
        for h in f["result"]["hosts"].values():
            h["read_bw_bytes"] = 1e9
        f["result"]["aggregate"]["read_bw_bytes"] = 1e9
    write(tmp_path, bad, run="20261129-080000")
    r = run("report", "20261129-080000", "--artifacts", tmp_path / "artifacts")
    assert r.exit_code == 1 and "acceptance: FAIL" in r.output
    assert run("report", "20991231-000000", "--artifacts", tmp_path / "artifacts").exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema": 99}))
    r = run("report", broken)
    assert r.exit_code == 2 and "deploy-pod:" in r.output
