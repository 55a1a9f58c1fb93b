from __future__ import annotations

from deploy_pod.preflight import host_problems, verdict


def test_unreachable_is_reported_once():
    res = {"ping": {"unreachable": True, "msg": "Failed to connect to the host via ssh: Connection refused"},
           "fabric": {"problems": ["dgx02 mlx5_0/1: link is Down"]}}
    assert host_problems("dgx02", res) == ["dgx02: unreachable over SSH: Failed to connect to the host via ssh: "
                                           "Connection refused"]


def test_problems_and_failures_are_collected():
    res = {"ping": {"ping": "pong"},
           "fabric": {"problems": ["dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7"]},
           "gpus": {"failed": True, "msg": "nvidia-smi not found"}, "skipped": {"skipped": True}}
    assert host_problems("dgx03", res) == ["dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7",
                                           "dgx03: gpus failed: nvidia-smi not found"]


def test_verdict_table_and_clean_pod():
    hostvars = {"dgx01": {"fabric": {"problems": []}},
                "dgx03": {"fabric": {"problems": ["dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7"]}}}
    rows, text = verdict(["dgx01", "dgx03"], hostvars, ["fabric"])
    assert rows == [("dgx03", "dgx03 mlx5_2/1: expected ib-sw2 port 7, found ib-sw1 port 7")]
    assert text.splitlines()[0].startswith("host ") and "dgx03  mlx5_2/1: expected ib-sw2 port 7" in text
    assert verdict(["dgx01"], hostvars, ["fabric"]) == ([], "")
