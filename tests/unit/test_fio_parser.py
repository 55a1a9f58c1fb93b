"""fio output parsers (plugins/module_utils/fio.py) against every real fio sample in tests/fixtures:
fio 2.17 JSON ("bw" in KiB/s, io_bytes in KiB), fio 3.16 JSON ("bw_bytes"), fio 3.33 client/server
JSON with two clients and with one (made here, see their source lines), and the human-readable
"All clients" blocks. A fixture a parser cannot read fails here, it is never skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.fio import (
    gbs,
    parse_fio_json,
    parse_fio_number,
    parse_fio_rate,
    parse_fio_text_summary,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KEYS = {"read_bw_bytes", "read_iops", "read_bytes", "write_bw_bytes", "write_iops", "runtime_ms", "errors", "jobs"}


def text(name: str) -> str:
    t = (FIXTURES / name).read_text()
    assert t.startswith("# source:"), f"{name} lost its source line"
    return t


def body(name: str) -> str:
    return text(name).split("\n", 1)[1]


def raw_json(name: str) -> dict:
    b = body(name)
    return json.loads(b[b.index("{"):])


JSON_FIXTURES = sorted(p.name for p in FIXTURES.glob("fio_*json*.txt"))


def test_the_json_fixtures_are_there():
    assert {"fio_json.1.txt", "fio_json.3.txt", "fio_client_server_json.1.txt",
            "fio_client_server_json.2.txt"} <= set(JSON_FIXTURES)


@pytest.mark.parametrize("name", JSON_FIXTURES)
def test_every_json_fixture_parses_to_the_contract(name):
    # the source line stays in: it is text before the JSON, as fio's own preamble is
    r = parse_fio_json(text(name))
    assert set(r) == {"version", "hosts", "aggregate", "errors"}
    assert r["version"].startswith("fio-")
    assert r["hosts"] and all(set(h) == KEYS for h in r["hosts"].values())
    assert set(r["aggregate"]) == KEYS
    assert r["errors"] == 0
    assert r["aggregate"]["read_bw_bytes"] > 0
    json.dumps(r)  # plain data


def test_fio_2_17_old_units_kib():
    r = parse_fio_json(text("fio_json.1.txt"))
    assert r["version"] == "fio-2.17"
    assert list(r["hosts"]) == ["localhost"]
    a = r["aggregate"]
    # randread group 0 then randwrite group 1 (stonewalled): each rate is its own group's
    assert a["read_bw_bytes"] == 129386 * 1024
    assert a["write_bw_bytes"] == 39312 * 1024
    assert a["read_iops"] == pytest.approx(8086.673998)
    assert a["read_bytes"] == 1294256 * 1024  # fio 2.x io_bytes is KiB
    assert a["runtime_ms"] == 10003 + 10004
    assert a["jobs"] == 2


def test_fio_3_16_bw_bytes():
    r = parse_fio_json(text("fio_json.3.txt"))
    a = r["hosts"]["localhost"]
    assert a["read_bw_bytes"] == 348743777
    assert a["write_bw_bytes"] == 348450387
    assert a["read_bytes"] == 10463010816
    assert a["runtime_ms"] == 30002
    assert gbs(a["read_bw_bytes"]) == pytest.approx(0.348743777)


def test_client_server_two_clients_uses_all_clients():
    data = raw_json("fio_client_server_json.1.txt")
    stats = data["client_stats"]
    allc = next(e for e in stats if e["jobname"] == "All clients")
    per = [e for e in stats if e["jobname"] != "All clients"]
    r = parse_fio_json(text("fio_client_server_json.1.txt"))
    assert r["version"] == "fio-3.33"
    # both servers run on one machine: same hostname, told apart by port
    assert sorted(r["hosts"]) == ["127.0.0.1:8765", "127.0.0.1:8766"]
    for e in per:
        assert r["hosts"][f"127.0.0.1:{e['port']}"]["read_bw_bytes"] == e["read"]["bw_bytes"]
    assert r["aggregate"]["read_bw_bytes"] == allc["read"]["bw_bytes"]
    assert r["aggregate"]["read_bw_bytes"] == pytest.approx(sum(e["read"]["bw_bytes"] for e in per), rel=0.01)
    assert r["aggregate"]["jobs"] == 2
    assert r["aggregate"]["runtime_ms"] == allc["read"]["runtime"]


def test_client_server_one_client_sums_itself():
    r = parse_fio_json(text("fio_client_server_json.2.txt"))
    assert list(r["hosts"]) == ["127.0.0.1"]
    assert r["aggregate"] == r["hosts"]["127.0.0.1"]


def test_text_before_and_after_the_json_is_ignored():
    clean = parse_fio_json(body("fio_client_server_json.1.txt"))
    noisy = ("hostname=dgx01, be=0, 64-bit, os=Linux, arch=x86-64, fio=fio-3.33, flags=1\n"
             "hostname=dgx02, be=0, 64-bit, os=Linux, arch=x86-64, fio=fio-3.33, flags=1\n"
             "<dgx01> fio: this platform does not support process shared mutexes, forcing use of threads\n"
             "{ a brace line that is not JSON\n"
             "Jobs: 2 (f=2): [r(1)] [100.0% done] [136.4M/0K/0K /s] [34.8K/0/0 iops] [eta 00m:00s]\n"
             + body("fio_client_server_json.1.txt")
             + "\nDisk stats (read/write):\n  vda: ios=1104/1075, merge=1814/14\n")
    assert parse_fio_json(noisy) == clean
    assert parse_fio_json(noisy.replace("\n", "\r\n")) == clean


def synthetic(entries, client=True, version="fio-3.33"):
    key = "client_stats" if client else "jobs"
    return "\n" + json.dumps({"fio version": version, key: entries}, indent=2) + "\n"


def job(name="seqread", host=None, port=None, gid=0, read_bw=1e9, write_bw=0, runtime=1000, error=0, iops=100):
    e = {"jobname": name, "groupid": gid, "error": error,
         "read": {"io_bytes": int(read_bw * runtime / 1000), "io_kbytes": 1, "bw_bytes": read_bw, "bw": read_bw / 1024,
                  "iops": iops, "runtime": runtime},
         "write": {"io_bytes": 0, "io_kbytes": 0, "bw_bytes": write_bw, "bw": write_bw / 1024, "iops": 0,
                   "runtime": runtime if write_bw else 0}}
    if host is not None:
        e["hostname"] = host
    if port is not None:
        e["port"] = port
    return e


def test_jobs_of_one_host_add_up_and_errors_count():
    r = parse_fio_json(synthetic([job(host="dgx01", read_bw=1e9), job(host="dgx01", read_bw=2e9, error=5),
                                  job(host="dgx02", read_bw=4e9)]))
    assert r["hosts"]["dgx01"]["read_bw_bytes"] == 3e9
    assert r["hosts"]["dgx01"]["jobs"] == 2
    assert r["hosts"]["dgx01"]["errors"] == 1
    assert r["aggregate"]["read_bw_bytes"] == 7e9  # no All clients entry: the sum
    assert r["errors"] == 1


def test_all_clients_entry_is_not_a_host_and_wins():
    r = parse_fio_json(synthetic([job(host="dgx01", port=8765), job(host="dgx02", port=8765),
                                  job(name="All clients", host="dgx02", port=8765, read_bw=1.9e9)]))
    assert sorted(r["hosts"]) == ["dgx01", "dgx02"]
    assert r["aggregate"]["read_bw_bytes"] == 1.9e9
    assert r["aggregate"]["jobs"] == 2


def test_old_client_mode_without_hostnames():
    # fio before the hostname field (fio issue 515): one entry per client, no name
    r = parse_fio_json(synthetic([job(), job()]))
    assert sorted(r["hosts"]) == ["client1", "client2"]


def test_local_mode_several_jobs_one_group_add():
    r = parse_fio_json(synthetic([job(name="a", read_bw=1e9), job(name="b", read_bw=1e9)], client=False))
    assert list(r["hosts"]) == ["localhost"]
    assert r["aggregate"]["read_bw_bytes"] == 2e9


def test_no_json_says_so():
    with pytest.raises(ValueError, match=r"no JSON object.*--output-format=json.*ended with: .*fio: failed to connect"):
        parse_fio_json("hostname=x, be=0\nfio: failed to connect to dgx01:8765\n")
    with pytest.raises(ValueError, match="output is empty"):
        parse_fio_json("")


def test_truncated_json_says_so():
    b = body("fio_json.3.txt")
    with pytest.raises(ValueError, match="no complete JSON object"):
        parse_fio_json(b[: len(b) // 2])


def test_no_jobs_is_an_error():
    with pytest.raises(ValueError, match="no jobs"):
        parse_fio_json(synthetic([], client=False))
    with pytest.raises(ValueError, match="only an 'All clients'"):
        parse_fio_json(synthetic([job(name="All clients", host="a")]))


def test_gbs():
    assert gbs(31.6e9) == pytest.approx(31.6)
    assert gbs(0) == 0.0
    assert gbs(None) is None


# -- human-readable summary ------------------------------------------------------------------

def test_text_all_clients_block_weka_doc():
    r = parse_fio_text_summary(text("fio_client_server.1.txt"))
    a = r["aggregate"]
    assert [b["name"] for b in r["blocks"]] == ["All clients"]
    assert a["jobs"] == 16 and a["err"] == 0 and a["groupid"] == 0
    assert a["read_iops"] == 30100.0
    assert a["read_bw_bytes"] == pytest.approx(31.6e9)  # the SI figure in parentheses, not 29.4Gi
    assert a["read_bytes"] == 8822 * 1024 ** 3
    assert a["runtime_ms"] == 300044
    assert a["write_bw_bytes"] == 0


def test_text_client_server_two_hosts_fio_3_33():
    r = parse_fio_text_summary(text("fio_client_server.2.txt"))
    assert [b["name"] for b in r["blocks"]] == ["seqread", "seqread", "All clients"]
    one, two, allc = r["blocks"]
    assert one["read_bw_bytes"] == pytest.approx(1540e6)
    assert two["read_bw_bytes"] == pytest.approx(1372e6)
    assert allc["read_bw_bytes"] == pytest.approx(2910e6)  # "BW=2775Mi (2910M)": no B/s in All clients
    assert allc["read_iops"] == 2774
    assert r["aggregate"] is allc


def test_text_fio2_line_and_host_prefix():
    t = ("<dgx01> randread: (groupid=0, jobs=4): err= 5: pid=1234: Thu Sep 28 00:45:52 2017\n"
         "  read : io=1264.0MB, bw=129386KB/s, iops=8086, runt= 10003msec\n"
         "  write: io=384.0MB, bw=39312KB/s, iops=2457, runt= 10004msec\n")
    b = parse_fio_text_summary(t)["blocks"][0]
    assert b["host"] == "dgx01" and b["name"] == "randread" and b["err"] == 5 and b["jobs"] == 4
    assert b["read_bw_bytes"] == 129386 * 1024  # fio 2.x KB = KiB
    assert b["write_bw_bytes"] == 39312 * 1024
    assert b["read_bytes"] == int(1264.0 * 1024 ** 2)
    assert b["runtime_ms"] == 10004
    assert parse_fio_text_summary(t)["aggregate"] is None


def test_text_without_blocks():
    with pytest.raises(ValueError, match="no fio result block"):
        parse_fio_text_summary("fio: pid=1, err=28/file:io_u.c:1889, func=io_u error, error=No space left\n")


@pytest.mark.parametrize("value, expected", [
    ("29.4Gi", 29.4 * 1024 ** 3), ("31.6G", 31.6e9), ("2165MiB/s", 2165 * 1024 ** 2), ("2270MB/s", 2.27e9),
    ("0B/s", 0.0), ("512KiB", 512 * 1024), ("900kB/s", 9e5), ("12B", 12.0), ("1.5TiB", 1.5 * 1024 ** 4),
])
def test_rates(value, expected):
    assert parse_fio_rate(value) == pytest.approx(expected)


def test_rate_fio2_kb_is_kib():
    assert parse_fio_rate("129386KB/s", kib_is_kb=True) == 129386 * 1024
    assert parse_fio_rate("1264.0MB", kib_is_kb=True) == 1264.0 * 1024 ** 2


@pytest.mark.parametrize("value, expected", [("30.1k", 30100.0), ("2164", 2164.0), ("1.2M", 1.2e6), ("7", 7.0)])
def test_counts(value, expected):
    assert parse_fio_number(value) == pytest.approx(expected)


@pytest.mark.parametrize("bad", ["fast", "", "12 apples"])
def test_bad_numbers(bad):
    with pytest.raises(ValueError):
        parse_fio_rate(bad)
    with pytest.raises(ValueError):
        parse_fio_number(bad)


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed here")
def test_live_fio_local_json(tmp_path):
    """The installed fio, a tiny local read job: what it prints parses."""
    data = tmp_path / "data"
    data.write_bytes(b"\0" * (4 << 20))
    out = subprocess.run(["fio", "--name=live", f"--filename={data}", "--rw=read", "--bs=64k", "--size=4m",
                          "--ioengine=psync", "--output-format=json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = parse_fio_json(out.stdout)
    assert r["errors"] == 0
    assert r["aggregate"]["read_bytes"] == 4 << 20
    assert r["aggregate"]["read_bw_bytes"] > 0
