"""The acceptance maths (src/deploy_pod/acceptance.py): ceilings, shares, verdicts, the storage
penalty, the inference ratio, the scaling series, rounding. Figures as in docs/acceptance.md."""

from __future__ import annotations

import copy
import json

import pytest

from deploy_pod.acceptance import (
    FAIL,
    NOT_JUDGED,
    PASS,
    ceiling,
    ceiling_detail,
    evaluate,
    reference_gbs,
    summary_line,
)

TWIN = {"storage_gbs": 40.0, "unit_gbs": 40.0, "units": 1, "unit_model": "ess-3000",
        "client_link_gbs": {"dgx01": 50.0, "dgx02": 50.0}, "reference_unit_gbs": 40.0,
        "reference": "REFERENCE.md section 2"}
HALF = {"storage_gbs": 80.0, "unit_gbs": 40.0, "units": 2, "unit_model": "ess-3000",
        "client_link_gbs": {f"dgx0{i}": 50.0 for i in range(1, 5)}, "reference_unit_gbs": 40.0}


def fio_result(hosts_gbs: dict, errors: int = 0, all_clients: float | None = None) -> dict:
    """parse_fio_json's shape."""
    hosts = {h: {"read_bw_bytes": g * 1e9, "read_iops": g * 1000, "read_bytes": int(g * 5e9), "write_bw_bytes": 0.0,
                 "write_iops": 0.0, "runtime_ms": 5000, "errors": 0, "jobs": 1} for h, g in hosts_gbs.items()}
    agg = {k: sum(h[k] for h in hosts.values()) for k in ("read_bw_bytes", "read_iops", "read_bytes",
                                                          "write_bw_bytes", "write_iops", "jobs")}
    if all_clients is not None:
        agg["read_bw_bytes"] = all_clients * 1e9
    agg.update(runtime_ms=5000, errors=errors)
    return {"version": "fio-3.33", "hosts": hosts, "aggregate": agg, "errors": errors}


def tf_entry(host, model, source, mode, per_gpu, gpus=8):
    return {"host": host, "model": model, "source": source, "mode": mode,
            "gpus": [{"gpu": g, "images_per_sec": per_gpu} for g in range(gpus)]}


def results(fio=(), tf=(), judge=True, expected=None, **kw) -> dict:
    r = {"schema": 1, "pod": "twin", "run": "20261129-070000", "started": "2026-11-29T07:00:00Z",
         "finished": "2026-11-29T07:10:00Z", "judge": judge,
         "judge_note": None if judge else "twin: the storage is a local disk",
         "pass_share": 0.8, "penalty_max_pct": 5.0,
         "profile": {"name": "quick", "fio": {"bs": "1m"}, "tf": {"models": ["resnet50"]}},
         "expected": copy.deepcopy(TWIN if expected is None else expected),
         "fio": list(fio), "tf": list(tf)}
    r.update(kw)
    return r


def seq(clients, gbs_each, **kw):
    return {"workload": "seqread", "clients": clients, "result": fio_result({c: gbs_each for c in clients}, **kw)}


def rnd(clients, gbs_each, **kw):
    return {"workload": "randread", "clients": clients, "result": fio_result({c: gbs_each for c in clients}, **kw)}


# -- ceilings -----------------------------------------------------------------------------------

def test_twin_ceiling_is_storage_bound():
    assert ceiling(TWIN, ["dgx01"]) == 40.0  # min(40, 50)
    assert ceiling(TWIN, ["dgx01", "dgx02"]) == 40.0  # min(40, 100)
    d = ceiling_detail(TWIN, ["dgx01", "dgx02"])
    assert d["bound"] == "storage" and d["links_gbs"] == 100.0 and d["storage_gbs"] == 40.0


def test_half_pod_ceiling_is_link_bound_for_one_client():
    d = ceiling_detail(HALF, ["dgx01"])
    assert (d["gbs"], d["bound"]) == (50.0, "client links")
    assert ceiling(HALF, ["dgx01", "dgx02"]) == 80.0
    assert ceiling(HALF, ["dgx01", "dgx02", "dgx03", "dgx04"]) == 80.0


def test_equal_storage_and_links_count_as_storage_bound():
    e = dict(TWIN, storage_gbs=50.0)
    assert ceiling_detail(e, ["dgx01"])["bound"] == "storage"


def test_no_storage_figure_no_ceiling():
    d = ceiling_detail(dict(TWIN, storage_gbs=None), ["dgx01"])
    assert d["gbs"] is None and d["bound"] is None and "no rated read figure" in d["note"]


def test_a_client_without_link_figure_no_ceiling():
    d = ceiling_detail(TWIN, ["dgx01", "dgx09"])
    assert d["gbs"] is None and "dgx09" in d["note"]
    assert ceiling(dict(TWIN, client_link_gbs={"dgx01": 0}), ["dgx01"]) is None
    assert ceiling(TWIN, []) is None


def test_reference_is_linear_in_units():
    assert reference_gbs(TWIN) == 40.0
    assert reference_gbs(dict(TWIN, units=3)) == 120.0  # the reference: about 120 GB/s for three
    assert reference_gbs(dict(TWIN, reference_unit_gbs=None)) is None
    assert reference_gbs(dict(TWIN, units=0)) is None


# -- fio verdicts -------------------------------------------------------------------------------

def test_exactly_the_pass_share_passes_and_just_below_fails():
    ev = evaluate(results([seq(["dgx01"], 32.0)]))
    run = ev["fio"]["runs"][0]
    assert (run["measured_gbs"], run["expected_gbs"], run["share"], run["verdict"]) == (32.0, 40.0, 0.8, PASS)
    assert ev["verdict"] == PASS
    ev = evaluate(results([seq(["dgx01"], 31.99)]))
    assert ev["fio"]["runs"][0]["verdict"] == FAIL
    assert ev["verdict"] == FAIL
    assert "31.990 GB/s is 80.0 % of the 40.000 GB/s ceiling (pass from 80 %)" in ev["problems"][0]


def test_pass_share_from_the_results():
    assert evaluate(results([seq(["dgx01"], 30.0)], pass_share=0.7))["verdict"] == PASS


def test_every_run_carries_expectation_and_reference():
    run = evaluate(results([seq(["dgx01", "dgx02"], 19.0)]))["fio"]["runs"][0]
    assert run["n"] == 2
    assert run["measured_gbs"] == 38.0 and run["expected_gbs"] == 40.0 and run["reference_gbs"] == 40.0
    assert run["share"] == 0.95 and run["pass_share"] == 0.8 and run["bound"] == "storage"
    assert run["hosts"] == {"dgx01": {"gbs": 19.0, "link_gbs": 50.0, "errors": 0},
                            "dgx02": {"gbs": 19.0, "link_gbs": 50.0, "errors": 0}}


def test_all_clients_aggregate_is_the_measurement():
    r = seq(["dgx01", "dgx02"], 19.0)
    r["result"] = fio_result({"dgx01": 19.0, "dgx02": 19.0}, all_clients=37.5)
    assert evaluate(results([r]))["fio"]["runs"][0]["measured_gbs"] == 37.5


def test_random_read_is_shown_not_judged():
    ev = evaluate(results([seq(["dgx01"], 35.0), rnd(["dgx01"], 10.0)]))
    runs = {r["workload"]: r for r in ev["fio"]["runs"]}
    assert runs["randread"]["verdict"] == NOT_JUDGED and runs["randread"]["share"] == 0.25
    assert "sequential-read figure" in runs["randread"]["notes"][0]
    assert ev["verdict"] == PASS
    # a results file may ask for random read to be judged too
    assert evaluate(results([seq(["dgx01"], 35.0), rnd(["dgx01"], 10.0)],
                            judged_workloads=["seqread", "randread"]))["verdict"] == FAIL


def test_judge_false_judges_nothing():
    ev = evaluate(results([seq(["dgx01"], 1.5)], judge=False))
    assert ev["fio"]["runs"][0]["verdict"] == NOT_JUDGED
    assert ev["fio"]["runs"][0]["share"] == 0.0375  # still computed and shown
    assert ev["verdict"] == NOT_JUDGED and ev["problems"] == []
    assert summary_line(ev) == "NOT JUDGED: pod twin, run 20261129-070000: twin: the storage is a local disk"


def test_fio_errors_fail_even_on_the_twin():
    ev = evaluate(results([seq(["dgx01"], 1.5, errors=2)], judge=False))
    assert ev["fio"]["runs"][0]["verdict"] == FAIL
    assert ev["verdict"] == FAIL
    assert ev["problems"] == ["fio seqread on 1 client(s): fio reported 2 job error(s)"]
    assert summary_line(ev).startswith("FAIL: pod twin")


def test_a_client_missing_from_fio_output_fails():
    r = seq(["dgx01", "dgx02"], 19.0)
    r["result"] = fio_result({"dgx01": 38.0})
    ev = evaluate(results([r], judge=False))
    assert ev["verdict"] == FAIL
    assert "1 host(s) for 2 client(s)" in ev["problems"][0]


def test_a_run_without_result_fails():
    ev = evaluate(results([{"workload": "seqread", "clients": ["dgx01"], "result": None}]))
    assert ev["fio"]["runs"][0]["verdict"] == FAIL and "no fio result" in ev["problems"][0]


def test_no_storage_figure_fio_not_judged():
    ev = evaluate(results([seq(["dgx01"], 10.0)], expected=dict(TWIN, storage_gbs=None, unit_gbs=None)))
    run = ev["fio"]["runs"][0]
    assert run["verdict"] == NOT_JUDGED and run["expected_gbs"] is None and run["share"] is None
    assert "no rated read figure" in run["notes"][0]
    assert any("no rated read figure" in n for n in ev["notes"])
    assert ev["verdict"] == NOT_JUDGED


def test_rounding():
    r = seq(["dgx01"], 0)
    r["result"] = fio_result({"dgx01": 0}, all_clients=33.123456789)
    run = evaluate(results([r]))["fio"]["runs"][0]
    assert run["measured_gbs"] == 33.123
    assert run["share"] == 0.8281  # 33.123456789 / 40, 4 decimals
    assert run["verdict"] == PASS


def test_judged_on_unrounded_figures():
    r = seq(["dgx01"], 0)
    r["result"] = fio_result({"dgx01": 0}, all_clients=31.99996)  # rounds to 32.000 but is below
    run = evaluate(results([r]))["fio"]["runs"][0]
    assert run["measured_gbs"] == 32.0 and run["verdict"] == FAIL


# -- scaling ------------------------------------------------------------------------------------

def test_scaling_series_and_seq_vs_random():
    runs = [seq(["dgx01", "dgx02"], 19.0), seq(["dgx01"], 33.0), rnd(["dgx01"], 20.0), rnd(["dgx01", "dgx02"], 14.0),
            seq(["dgx01"], 35.0)]  # a repeat at n=1: averaged
    ev = evaluate(results(runs))
    s = ev["fio"]["scaling"]
    assert list(s) == ["seqread", "randread"]
    assert [(p["clients"], p["gbs"], p["runs"]) for p in s["seqread"]] == [(1, 34.0, 2), (2, 38.0, 1)]
    assert s["seqread"][1]["per_client_gbs"] == 19.0
    assert s["seqread"][0]["expected_gbs"] == 40.0 and s["seqread"][0]["reference_gbs"] == 40.0
    assert ev["fio"]["seq_vs_random"] == [
        {"clients": 1, "seqread_gbs": 34.0, "randread_gbs": 20.0, "random_share": 0.5882},
        {"clients": 2, "seqread_gbs": 38.0, "randread_gbs": 28.0, "random_share": 0.7368}]


def test_one_workload_only():
    ev = evaluate(results([seq(["dgx01"], 33.0)]))
    assert ev["fio"]["seq_vs_random"] == [{"clients": 1, "seqread_gbs": 33.0, "randread_gbs": None,
                                           "random_share": None}]


# -- TensorFlow ---------------------------------------------------------------------------------

def three_ways(model="resnet50", hosts=("dgx01", "dgx02"), syn=100.0, ram=97.0, scale=95.5, inference=None):
    out = []
    for h in hosts:
        out += [tf_entry(h, model, "synthetic", "training", syn), tf_entry(h, model, "ramdisk", "training", ram),
                tf_entry(h, model, "scale", "training", scale)]
        if inference is not None:
            out.append(tf_entry(h, model, "scale", "inference", inference))
    return out


def test_images_per_sec_sum_over_gpus_and_hosts():
    ev = evaluate(results(tf=three_ways(inference=250.0)))
    rows = {(r["model"], r["source"], r["mode"]): r for r in ev["tf"]["rows"]}
    r = rows[("resnet50", "scale", "training")]
    assert r["images_per_sec"] == 1528.0  # 95.5 x 8 GPUs x 2 hosts
    assert r["gpus"] == 16 and r["per_gpu"] == 95.5
    assert r["hosts"] == {"dgx01": 764.0, "dgx02": 764.0}
    assert r["host_gpus"] == {"dgx01": 8, "dgx02": 8}
    assert [(x["source"], x["mode"]) for x in ev["tf"]["rows"]] == [
        ("synthetic", "training"), ("ramdisk", "training"), ("scale", "training"), ("scale", "inference")]


def test_penalty_within_and_its_figures():
    ev = evaluate(results(tf=three_ways()))
    p = ev["tf"]["models"][0]["penalty"]["training"]
    assert p["ramdisk"] == 1552.0 and p["scale"] == 1528.0
    assert p["penalty_pct"] == 1.55  # (1552 - 1528) / 1552
    assert p["penalty_max_pct"] == 5.0 and "few percent" in p["reference"]
    assert p["synthetic_gap_pct"] == 4.5
    assert p["verdict"] == PASS and ev["verdict"] == PASS


@pytest.mark.parametrize("scale, pct, verdict", [
    (96.0, 4.0, PASS), (95.0, 5.0, PASS), (94.0, 6.0, FAIL), (102.0, -2.0, PASS), (100.0, 0.0, PASS),
    (290 / 3, 3.33, PASS),
])
def test_penalty_sign_and_boundary(scale, pct, verdict):
    ev = evaluate(results(tf=three_ways(syn=100.0, ram=100.0, scale=scale, hosts=("dgx01",))))
    p = ev["tf"]["models"][0]["penalty"]["training"]
    assert p["penalty_pct"] == pct
    assert p["verdict"] == verdict
    assert ev["verdict"] == verdict


def test_penalty_fail_is_a_problem():
    ev = evaluate(results(tf=three_ways(ram=100.0, scale=90.0)))
    assert ev["verdict"] == FAIL
    assert ev["problems"] == ["resnet50 training: Scale is 10.00 % slower than the RAM disk (at most 5.0 %)"]


def test_penalty_not_judged_on_the_twin():
    ev = evaluate(results(tf=three_ways(ram=100.0, scale=50.0), judge=False))
    p = ev["tf"]["models"][0]["penalty"]["training"]
    assert p["penalty_pct"] == 50.0 and p["verdict"] == NOT_JUDGED
    assert ev["verdict"] == NOT_JUDGED


def test_penalty_compares_the_hosts_both_ran():
    tf = [tf_entry("dgx01", "resnet50", "ramdisk", "training", 100.0),
          tf_entry("dgx01", "resnet50", "scale", "training", 98.0),
          tf_entry("dgx02", "resnet50", "scale", "training", 98.0)]
    p = evaluate(results(tf=tf))["tf"]["models"][0]["penalty"]["training"]
    assert p["ramdisk"] == 800.0 and p["scale"] == 784.0 and p["penalty_pct"] == 2.0
    assert "dgx02" in p["note"]


def test_missing_ramdisk_run_is_noted_not_judged():
    tf = [tf_entry("dgx01", "resnet50", "scale", "training", 98.0)]
    ev = evaluate(results(tf=tf))
    p = ev["tf"]["models"][0]["penalty"]["training"]
    assert p["verdict"] == NOT_JUDGED and p["penalty_pct"] is None and "no RAM disk run" in p["note"]
    assert ev["verdict"] == NOT_JUDGED


def test_inference_from_scale_only_has_no_penalty_but_a_ratio():
    ev = evaluate(results(tf=three_ways(inference=250.0)))
    m = ev["tf"]["models"][0]
    assert list(m["penalty"]) == ["training"]
    r = m["inference_ratio"]
    assert r["source"] == "scale" and r["ratio"] == 2.62 and r["within_reference"] is True  # 250 / 95.5
    assert r["reference"] == [1.5, 4.0]


def test_inference_ratio_outside_the_reference_is_shown_not_judged():
    ev = evaluate(results(tf=three_ways(inference=500.0)))
    r = ev["tf"]["models"][0]["inference_ratio"]
    assert r["ratio"] == 5.24 and r["within_reference"] is False
    assert ev["verdict"] == PASS


def test_inference_ratio_falls_back_to_a_source_both_modes_have():
    tf = [tf_entry("dgx01", "vgg16", "synthetic", "training", 100.0),
          tf_entry("dgx01", "vgg16", "synthetic", "inference", 300.0),
          tf_entry("dgx01", "vgg16", "scale", "training", 97.0)]
    r = evaluate(results(tf=tf))["tf"]["models"][0]["inference_ratio"]
    assert (r["source"], r["ratio"]) == ("synthetic", 3.0)


def test_repeated_tf_runs_of_a_host_are_averaged():
    tf = [tf_entry("dgx01", "resnet50", "scale", "training", 100.0),
          tf_entry("dgx01", "resnet50", "scale", "training", 90.0)]
    row = evaluate(results(tf=tf))["tf"]["rows"][0]
    assert row["images_per_sec"] == 760.0


def test_several_models_each_judged():
    ev = evaluate(results(tf=three_ways("resnet50") + three_ways("vgg16", ram=100.0, scale=80.0)))
    assert [m["model"] for m in ev["tf"]["models"]] == ["resnet50", "vgg16"]
    assert ev["verdict"] == FAIL and len(ev["problems"]) == 1 and ev["problems"][0].startswith("vgg16")


# -- the whole --------------------------------------------------------------------------------

def test_overall_verdict_and_json():
    ev = evaluate(results([seq(["dgx01"], 33.0), rnd(["dgx01"], 20.0)], tf=three_ways(inference=250.0)))
    assert ev["verdict"] == PASS
    assert summary_line(ev) == "PASS: pod twin, run 20261129-070000: 2 judged figure(s) within expectations"
    assert json.loads(json.dumps(ev)) == ev
    assert ev["reference_gbs"] == 40.0 and ev["expected"]["storage_gbs"] == 40.0


def test_nothing_at_all():
    ev = evaluate(results())
    assert ev["verdict"] == NOT_JUDGED
    assert "no fio run in the results" in ev["notes"] and "no TensorFlow run in the results" in ev["notes"]
    assert ev["fio"] == {"runs": [], "scaling": {}, "seq_vs_random": []}
    assert ev["tf"]["rows"] == [] and ev["tf"]["models"] == []
    assert "nothing could be judged" not in summary_line(ev)  # says the notes instead


@pytest.mark.parametrize("bad, match", [({"schema": 2}, "schema 2 is not supported"),
                                        ({}, "schema None"), ([], "must be a JSON object")])
def test_schema(bad, match):
    with pytest.raises(ValueError, match=match):
        evaluate(bad)
