"""status.py: mmgetstate / ibstat / nvidia-smi / /proc/mounts read with the project's parsers from
real sample output, the clock offset, what the plan expects, the table and the JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy_pod import status as stat
from deploy_pod.reach import REFUSED, Reach
from deploy_pod.status import (
    NO_CLUSTER,
    NOT_INSTALLED,
    UNKNOWN,
    HostStatus,
    clock_offset,
    gpu_count,
    ib_links,
    mount_of,
    scale_state,
    status_document,
    status_table,
)
from tests.conftest import EXAMPLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# ---------------------------------------------------------------- Scale


@pytest.mark.parametrize("name,state", [("mmgetstate_Y.1.txt", "active"), ("real/mmgetstate_Y.3.txt", "active")])
def test_scale_state_from_real_mmgetstate(name, state):
    assert scale_state(0, fixture(name), "") == (state, "")


@pytest.mark.parametrize("state", ["arbitrating", "down"])
def test_scale_state_is_what_the_node_says(state):
    text = fixture("real/mmgetstate_Y.3.txt").replace(":active:", f":{state}:")
    assert scale_state(0, text, "")[0] == state


def test_scale_not_installed_not_in_cluster_and_errors():
    assert scale_state(127, "", "bash: line 1: /usr/lpp/mmfs/bin/mmgetstate: No such file or directory") == \
        (NOT_INSTALLED, "")
    # as the twin's and the real command print it
    member = ("mmgetstate: This node does not belong to a GPFS cluster.\n"
              "mmgetstate: 6027-1639 Command failed. Examine previous error messages to determine cause.\n")
    assert scale_state(1, "", member) == (NO_CLUSTER, "")
    state, detail = scale_state(1, "", "sudo: a password is required\n")
    assert state == UNKNOWN and "exited 1" in detail and "password" in detail


# ---------------------------------------------------------------- InfiniBand


def test_ib_links_count_planned_ports_of_real_ibstat():
    text = fixture("ibstat.1.txt")  # eight active HDR ports, ends with an ibpanic line
    got = ib_links(text, ["mlx5_0/1", "mlx5_3/1", "mlx5_7/1"])
    assert got == {"planned": 3, "up": 3, "active": 3, "problems": []}
    got = ib_links(text, ["mlx5_0/1", "mlx5_8/1", "mlx5_0/2"])
    assert (got["up"], got["planned"]) == (1, 3)
    assert got["problems"] == ["mlx5_8/1 missing", "mlx5_0/2 missing"]


def test_ib_link_up_but_not_active_is_said():
    got = ib_links(fixture("real/ibstat.3.txt"), ["mlx5_7/1"])  # State Down, Physical state LinkUp
    assert (got["up"], got["active"]) == (1, 0)
    assert got["problems"] == ["mlx5_7/1 Down/LinkUp"]


def test_ib_links_with_no_output_are_all_missing():
    assert ib_links("", ["mlx5_0/1"]) == {"planned": 1, "up": 0, "active": 0, "problems": ["mlx5_0/1 missing"]}


# ---------------------------------------------------------------- GPUs, mounts


def test_gpu_count_of_query_gpu_csv():
    # `nvidia-smi --query-gpu=index,uuid --format=csv,noheader` (the layout of the real tool)
    text = "".join(f"{i}, GPU-8e5fa427-2ed9-0211-9dd4-ea03e2f758a{i}\n" for i in range(7))
    assert gpu_count(text) == 7
    assert gpu_count("") == 0


MOUNTS = """\
overlay / overlay rw,relatime,lowerdir=/var/lib/docker/overlay2/l/X 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
fs1 /gpfs/fs1 gpfs rw,relatime 0 0
/dev/sdb1 /mnt/with\\040space ext4 rw 0 0
"""


def test_mount_of():
    assert mount_of(MOUNTS, "/gpfs/fs1") == {"source": "fs1", "fstype": "gpfs"}
    assert mount_of(MOUNTS, "/gpfs/fs1/") == {"source": "fs1", "fstype": "gpfs"}
    assert mount_of(MOUNTS, "/mnt/with space") == {"source": "/dev/sdb1", "fstype": "ext4"}
    assert mount_of(MOUNTS, "/gpfs/fs2") is None
    assert mount_of(MOUNTS + "other /gpfs/fs1 nfs rw 0 0\n", "/gpfs/fs1")["fstype"] == "nfs"  # the top one


# ---------------------------------------------------------------- clock


def test_clock_offset_takes_the_middle_of_the_shortest_round_trip():
    # host 2 s ahead; the second sample's reply was delayed 0.5 s on the way back
    samples = [(100.0, 102.05, 100.1), (200.0, 202.05, 200.6), (300.0, 302.01, 300.02)]
    offset, rtt = clock_offset(samples)
    assert offset == pytest.approx(2.0) and rtt == pytest.approx(0.02)
    behind = clock_offset([(10.0, 9.5, 10.0)])
    assert behind[0] == pytest.approx(-0.5)
    assert clock_offset([]) is None


# ---------------------------------------------------------------- plan, table, JSON


def test_expectations_from_the_plan_and_catalog():
    from deploy_pod.inventory import load_pod

    exp = stat.expectations(load_pod(EXAMPLES / "twin.yml").pod)
    assert exp["dgx01"].role == "dgx" and exp["dgx01"].gpus == 8 and len(exp["dgx01"].ports) == 4
    assert exp["ess01a"].gpus is None and exp["ess01a"].ports[0] == "mlx5_0/1"
    assert {e.mount for e in exp.values()} == {"/gpfs/fs1"}
    assert "ib-sw1" not in exp


def _rows() -> list[HostStatus]:
    good = HostStatus("dgx01", "dgx", Reach("dgx01", "127.0.0.1", 33000, True, "ok", "", 0.2),
                      scale={"state": "active", "detail": ""},
                      ib={"planned": 4, "up": 3, "active": 2, "problems": ["mlx5_3/1 Down/Polling"]},
                      gpus={"seen": 7, "expected": 8, "detail": ""},
                      mount={"point": "/gpfs/fs1", "mounted": True, "source": "fs1", "fstype": "gpfs"},
                      clock={"offset_s": 0.0123, "rtt_s": 0.001})
    down = HostStatus("ess01b", "ess", Reach("ess01b", "10.0.0.22", 22, False, REFUSED, "nothing listens", 0.0))
    return [good, down]


def test_status_table_one_row_per_host():
    lines = status_table(_rows()).splitlines()
    assert lines[0].split() == ["host", "role", "ssh", "scale", "ib", "up", "gpus", "mount", "clock", "notes"]
    assert lines[2].split()[:8] == ["dgx01", "dgx", "ok", "active", "3/4", "(1", "not", "active)"]
    assert "7/8" in lines[2] and "/gpfs/fs1 (gpfs)" in lines[2] and "+12.3 ms" in lines[2]
    assert "IB: mlx5_3/1 Down/Polling" in lines[2]
    assert lines[3].split()[:3] == ["ess01b", "ess", "connection"] and "nothing listens" in lines[3]


def test_status_document_shape():
    doc = json.loads(json.dumps(status_document("twin", _rows(), 1.23456)))
    assert doc["pod"] == "twin" and doc["ok"] is False and doc["unreachable"] == ["ess01b"]
    assert doc["seconds"] == 1.235
    dgx = doc["hosts"]["dgx01"]
    assert dgx["reachable"] is True and dgx["reach"]["reason"] == "ok"
    assert dgx["scale"]["state"] == "active" and dgx["gpus"] == {"seen": 7, "expected": 8, "detail": ""}
    assert dgx["ib"]["up"] == 3 and dgx["mount"]["mounted"] is True and dgx["clock"]["offset_s"] == 0.0123
    assert doc["hosts"]["ess01b"]["reachable"] is False and doc["hosts"]["ess01b"]["scale"] is None
