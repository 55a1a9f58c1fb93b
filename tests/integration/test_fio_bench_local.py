"""deploy_pod.pod.fio_bench against real fio servers on this machine (two servers on 127.0.0.1 and
127.0.0.2 stand for two DGX clients sharing one file system): the layout is written once and found
again by the next run, reads measure both clients and change nothing, check mode runs nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from plugins.modules import fio_bench
from tests.modkit import run_module

CLIENTS = ["127.0.0.1", "127.0.0.2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()  # never one another run of these tests holds


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if shutil.which("fio") is None:
        if os.environ.get("DEPLOY_POD_REQUIRE_TWIN"):
            pytest.fail("fio is not installed (scripts/testbed installs it)", pytrace=False)
        pytest.skip("fio is not installed")
    d = tmp_path_factory.mktemp("fio")
    procs = [subprocess.Popen(["fio", f"--server=ip:{c},{PORT}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for c in CLIENTS]
    for c in CLIENTS:  # listening (a loaded machine starts them slowly)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((c, PORT), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"fio --server on {c}:{PORT} did not listen within 30 s", pytrace=False)
                time.sleep(0.2)
    yield d
    for p in procs:
        p.terminate()
        p.wait(10)


def args(d, workload, **kw):
    return {"clients": CLIENTS, "directory": str(d), "workload": workload, "bs": "64k", "numjobs": 2,
            "iodepth": 2, "size": "4m", "runtime": 1, "direct": False, "port": PORT} | kw


def test_layout_once_then_reused(servers, capsys, monkeypatch):
    for c in CLIENTS:
        (servers / c).mkdir(exist_ok=True)
    rc, res = run_module(fio_bench.main, args(servers, "layout"), capsys, monkeypatch)
    assert rc == 0 and res["changed"] and res["written"] == CLIENTS, res
    assert sorted(os.listdir(servers / "127.0.0.2")) == ["data.0.0", "data.1.0"]
    rc, res = run_module(fio_bench.main, args(servers, "layout"), capsys, monkeypatch)
    assert rc == 0 and not res["changed"] and res["written"] == [], res
    # a new size lays the files out again
    rc, res = run_module(fio_bench.main, args(servers, "layout", size="8m", _ansible_check_mode=True),
                         capsys, monkeypatch)
    assert rc == 0 and res["changed"] and res["written"] == CLIENTS
    assert os.path.getsize(servers / "127.0.0.1" / "data.0.0") == 4 * 2 ** 20  # check mode wrote nothing


def test_reads_measure_every_client_and_change_nothing(servers, capsys, monkeypatch):
    rc, res = run_module(fio_bench.main, args(servers, "randread"), capsys, monkeypatch)
    assert rc == 0 and not res["changed"], res
    r = res["result"]
    assert sorted(r["hosts"]) == CLIENTS and r["errors"] == 0
    assert r["aggregate"]["read_bw_bytes"] > 0 and all(h["read_bw_bytes"] > 0 for h in r["hosts"].values())
    rc, res = run_module(fio_bench.main, args(servers, "seqread", _ansible_check_mode=True), capsys, monkeypatch)
    assert rc == 0 and res.get("skipped") and "result" not in res
