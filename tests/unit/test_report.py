"""The acceptance report (src/deploy_pod/report.py): files, plots, the HTML page and the tables, from
a synthetic results file (two clients, both fio workloads, TensorFlow from three sources plus
inference), and the parts that may be missing."""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest

from deploy_pod.report import ReportError, find_results, write_report

PNG = b"\x89PNG\r\n\x1a\n"
EXPECTED = {"storage_gbs": 40.0, "unit_gbs": 40.0, "units": 1, "unit_model": "ess-3000",
            "client_link_gbs": {"dgx01": 50.0, "dgx02": 50.0}, "reference_unit_gbs": 40.0,
            "reference": "REFERENCE.md section 2: about 40 GB/s read per ESS 3000 unit, linear in units"}


def fio_result(hosts_gbs: dict, errors: int = 0) -> dict:
    hosts = {h: {"read_bw_bytes": g * 1e9, "read_iops": g * 1000, "read_bytes": int(g * 5e9), "write_bw_bytes": 0.0,
                 "write_iops": 0.0, "runtime_ms": 5000, "errors": 0, "jobs": 1} for h, g in hosts_gbs.items()}
    agg = {k: sum(h[k] for h in hosts.values()) for k in ("read_bw_bytes", "read_iops", "read_bytes",
                                                          "write_bw_bytes", "write_iops", "jobs")}
    agg.update(runtime_ms=5000, errors=errors)
    return {"version": "fio-3.33", "hosts": hosts, "aggregate": agg, "errors": errors}


def results(judge=True, tf=True, clients=("dgx01", "dgx02")) -> dict:
    fio = []
    per = {1: {"seqread": 33.1, "randread": 21.4}, 2: {"seqread": 19.05, "randread": 14.25}}
    for n in range(1, len(clients) + 1):
        for wl in ("seqread", "randread"):
            fio.append({"workload": wl, "clients": list(clients[:n]),
                        "result": fio_result({c: per[n][wl] for c in clients[:n]})})
    runs = []
    if tf:
        for h in clients:
            for src, ips in (("synthetic", 362.5), ("ramdisk", 351.625), ("scale", 346.25)):
                runs.append({"host": h, "model": "resnet50", "source": src, "mode": "training",
                             "gpus": [{"gpu": g, "images_per_sec": ips} for g in range(8)]})
            runs.append({"host": h, "model": "resnet50", "source": "scale", "mode": "inference",
                         "gpus": [{"gpu": g, "images_per_sec": 934.875} for g in range(8)]})
    return {"schema": 1, "pod": "twin", "run": "20261129-070000", "started": "2026-11-29T07:00:00Z",
            "finished": "2026-11-29T07:12:00Z", "judge": judge,
            "judge_note": None if judge else "twin: the storage is a local disk",
            "pass_share": 0.8, "penalty_max_pct": 5.0,
            "profile": {"name": "quick", "fio": {"bs": "1m", "numjobs": 2, "iodepth": 16, "size": "64m", "runtime": 5},
                        "tf": {"models": ["resnet50"], "batch_size": 32, "num_batches": 20}},
            "expected": EXPECTED, "fio": fio, "tf": runs}


def write(tmp_path: Path, data: dict, run: str = "20261129-070000") -> Path:
    p = tmp_path / "artifacts" / "twin" / run / "acceptance" / "results.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(data))
    return p


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_full_report(tmp_path):
    src = write(tmp_path, results())
    paths = write_report(src)
    d = src.parent
    assert paths == {"json": d / "report.json", "md": d / "report.md", "html": d / "report.html",
                     "plot_scaling": d / "plots" / "fio_scaling.png",
                     "plot_seq_vs_random": d / "plots" / "fio_seq_vs_random.png",
                     "plot_tf": d / "plots" / "tf_images_per_sec.png"}
    for key in ("plot_scaling", "plot_seq_vs_random", "plot_tf"):
        w, h = png_size(paths[key])
        assert 500 <= w <= 2000 and 300 <= h <= 1500
        assert paths[key].stat().st_size > 10_000

    report = json.loads(paths["json"].read_text())
    assert report["results"] == results()
    assert report["evaluation"]["verdict"] == report["verdict"] == "pass"
    assert report["summary"].startswith("PASS: pod twin")

    md = paths["md"].read_text()
    lines = md.splitlines()
    assert lines[0] == "# Acceptance report: pod twin, run 20261129-070000"
    assert lines[2].startswith("**PASS**: ")
    assert ("| seqread | 2 (dgx01, dgx02) | 38.100 | 40.00 (storage-bound; links 100.00) | 95.2 % | 80.0 % "
            "| 40.00 | 0 | **PASS** |") in lines
    assert ("| randread | 1 (dgx01) | 21.400 | 40.00 (storage-bound; links 50.00) | 53.5 % | 80.0 % | 40.00 | 0 "
            "| **NOT JUDGED** |") in lines
    assert "| 2 | 38.100 | 28.500 | 74.8 % | 40.00 | 40.00 |" in lines  # the scaling table
    # penalty (5626 - 5540) / 5626 = 1.53 %, synthetic - Scale (5800 - 5540) / 5800 = 4.48 %
    assert ("| resnet50 | training | 5,800.0 | 5,626.0 | 5,540.0 | 1.53 % | 5.0 % | 4.48 % | **PASS** |") in lines
    assert "| resnet50 | Spectrum Scale | 5,540.0 | 14,958.0 | 2.70x | 1.5x to 4.0x |" in lines
    assert "![read GB/s by number of clients](plots/fio_scaling.png)" in lines

    page = paths["html"].read_text()
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(imgs) == 3
    assert base64.b64decode(imgs[0]) == paths["plot_scaling"].read_bytes()
    assert '<div class="verdict pass"><span class="badge pass">PASS</span>' in page
    assert page.count('class="badge pass">PASS</span>') == 4  # overall + 2 sequential runs + the penalty
    assert "<style>" in page
    assert not re.search(r'(src|href)="(https?:|//|plots/)', page)  # self-contained
    assert "<td>95.2 %</td>" in page


def test_twin_report_says_not_judged(tmp_path):
    paths = write_report(write(tmp_path, results(judge=False)))
    md = paths["md"].read_text()
    assert md.splitlines()[2] == "**NOT JUDGED**: pod twin, run 20261129-070000: twin: the storage is a local disk"
    assert "**PASS**" not in md and "**FAIL**" not in md
    page = paths["html"].read_text()
    assert '<div class="verdict nj"><span class="badge nj">NOT JUDGED</span> pod twin, run 20261129-070000: ' \
           "twin: the storage is a local disk</div>" in page
    assert 'class="badge pass"' not in page


def test_fail_is_marked(tmp_path):
    data = results(judge=False)
    data["fio"][0]["result"] = fio_result({"dgx01": 33.1}, errors=1)
    paths = write_report(write(tmp_path, data))
    assert paths["md"].read_text().splitlines()[2] == (
        "**FAIL**: pod twin, run 20261129-070000: fio seqread on 1 client(s): fio reported 1 job error(s)")
    page = paths["html"].read_text()
    assert '<div class="verdict fail"><span class="badge fail">FAIL</span>' in page
    assert "<h2>Problems</h2>" in page


def test_no_tf_and_one_client(tmp_path):
    src = write(tmp_path, results(tf=False, clients=("dgx01",)))
    paths = write_report(src)
    assert "plot_tf" not in paths and not (src.parent / "plots" / "tf_images_per_sec.png").exists()
    png_size(paths["plot_scaling"])
    md = paths["md"].read_text()
    assert "No TensorFlow run." in md
    assert "| 1 | 33.100 | 21.400 | 64.6 % | 40.00 | 40.00 |" in md.splitlines()
    assert paths["html"].read_text().count("data:image/png;base64,") == 2


def test_nothing_measured(tmp_path):
    data = results(tf=False)
    data["fio"] = []
    paths = write_report(write(tmp_path, data))
    assert set(paths) == {"json", "md", "html"}
    md = paths["md"].read_text()
    assert "No fio run." in md and "No TensorFlow run." in md and "**NOT JUDGED**" in md


def test_no_storage_figure_draws_without_ceiling(tmp_path):
    data = results()
    data["expected"] = dict(EXPECTED, storage_gbs=None, unit_gbs=None, reference_unit_gbs=None, units=1)
    paths = write_report(write(tmp_path, data))
    png_size(paths["plot_scaling"])
    assert "no rated read figure" in paths["md"].read_text()


def test_out_dir_and_stale_plots(tmp_path):
    src = write(tmp_path, results())
    out = tmp_path / "elsewhere"
    paths = write_report(src, out)
    assert paths["html"] == out / "report.html" and (out / "plots" / "tf_images_per_sec.png").exists()
    assert not (src.parent / "report.html").exists()
    src.write_text(json.dumps(results(tf=False)))
    write_report(src, out)
    assert not (out / "plots" / "tf_images_per_sec.png").exists()  # nothing to show now: not left behind


def test_unreadable_results(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    with pytest.raises(ReportError, match=r"results.json: not JSON \(line 1"):
        write_report(bad)
    bad.write_text(json.dumps({"schema": 7}))
    with pytest.raises(ReportError, match="schema 7 is not supported"):
        write_report(bad)
    with pytest.raises(ReportError, match="cannot read it"):
        write_report(tmp_path / "missing.json")


def test_find_results(tmp_path):
    src = write(tmp_path, results())
    artifacts = tmp_path / "artifacts"
    run_dir = src.parent.parent
    assert find_results(str(src), artifacts) == src
    assert find_results(str(run_dir), artifacts) == src
    assert find_results(str(src.parent), artifacts) == src  # the acceptance directory itself
    assert find_results("20261129-070000", artifacts) == src
    with pytest.raises(ReportError, match="no run 20990101-000000 with acceptance results under"):
        find_results("20990101-000000", artifacts)
    with pytest.raises(ReportError, match="without acceptance/results.json"):
        find_results(str(tmp_path), artifacts)
    with pytest.raises(ReportError, match="no such file or directory"):
        find_results(str(tmp_path / "nope" / "results.json"), artifacts)
    other = artifacts / "other" / "20261129-070000" / "acceptance"
    other.mkdir(parents=True)
    (other / "results.json").write_text("{}")
    with pytest.raises(ReportError, match="in several pods"):
        find_results("20261129-070000", artifacts)
    assert issubclass(ReportError, ValueError)  # the CLI reports ValueErrors as bad input
