"""The -Y parser against the real samples in tests/fixtures."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location("scale_y", ROOT / "plugins" / "module_utils" / "scale_y.py")
scale_y = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scale_y)


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:")
    return text


def test_headers_keyed_by_command_and_record():
    out = scale_y.parse(fixture("mmlscluster_Y.1.txt"))
    assert set(out) == {("mmlscluster", r) for r in ("clusterSummary", "clusterNode", "cnfsSummary", "cnfsNode",
                                                     "cesSummary", "cesNode", "cloudGatewayNode")}
    nodes = out[("mmlscluster", "clusterNode")]
    assert [n["daemonNodeName"] for n in nodes] == ["server-1.domain.com", "server-3.domain.com",
                                                     "server-4.domain.com", "server-2.domain.com"]
    assert nodes[1]["designation"] == "quorumManager"
    assert out[("mmlscluster", "clusterSummary")][0]["rshPath"] == "/usr/bin/ssh"  # %2F decoded


def test_empty_record_name_and_percent_decoding():
    rows = scale_y.records(fixture("mmlsfs_Y.1.txt"), "mmlsfs")
    values = {r["fieldName"]: r["data"] for r in rows}
    assert values["defaultMountPoint"] == "/ibm/FS1"
    assert values["create-time"] == "Fri Feb 21 01:36:21 2020"
    assert values["UID"] == "090B5475:5E4F9685"
    assert values["blockSize"] == "4194304"


def test_undefined_becomes_none():
    row = scale_y.records(fixture("mmgetstate_Y.1.txt"), "mmgetstate")[0]
    assert row["cnfsState"] is None
    assert row["state"] == "active"
    assert row["remarks"] == ""


def test_garbage_lines_are_skipped():
    rows = scale_y.records(fixture("mmlsdisk_Y.1.txt"), "mmlsdisk")
    assert len(rows) == 8  # the trailing 'mmlsdisk:invalid' line is not a row
    assert rows[0]["nsdName"] == "RG001VS003"


def test_extra_fields_kept_apart_and_missing_fields_empty():
    # the sample's Event rows carry 4 values more than their (older) header
    events = scale_y.records(fixture("mmhealth_node_show_Y.1.txt"), "mmhealth", "Event")
    assert events[1]["event"] == "cluster_connections_down"
    assert events[1]["_extra"][1:] == ["STATE_CHANGE", "WARNING"]
    text = "mmx:r:HEADER:version:reserved:reserved:a:b:c:\nmmx:r:0:1:::1:\n"
    assert scale_y.records(text, "mmx", "r") == [{"a": "1", "b": "", "c": ""}]


def test_headers_helper_and_decode():
    assert scale_y.headers(fixture("mmlsnsd_Y.1.txt")) == {
        ("mmlsnsd", "nsd"): ["fileSystem", "diskName", "volumeId", "serverList", "thinDisk"]}
    assert scale_y.decode("a%3Ab%2Fc") == "a:b/c"
    assert scale_y.decode("(undefined)") is None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("mm*_Y.*.txt")))
def test_every_y_fixture_parses(name):
    out = scale_y.parse(fixture(name))
    assert out and any(out.values())
