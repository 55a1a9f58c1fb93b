"""Judge an acceptance run: the results file the acceptance playbook writes -> an evaluation.

Pure functions, no Ansible. The figures come from REFERENCE.md section 2:
- fio read bandwidth from all clients at once against the expected ceiling
  min(storage rated GB/s, sum of the clients' storage links), passing at `pass_share` of it;
  the reference beside it: about 40 GB/s read per ESS 3000 unit, linear in the units;
- tf_cnn_benchmarks images/s per model and data source (synthetic, RAM disk, Spectrum Scale);
  the storage penalty (RAM disk - Scale) / RAM disk in %, passing up to `penalty_max_pct`
  (reference: Scale within a few percent of a RAM disk);
- the inference / training ratio, shown next to the reference's 1.5x to almost 4x (not judged);
- any fio error fails the run, even where nothing else is judged (the twin).

docs/acceptance.md explains the maths with a worked example.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

SCHEMA = 1
PASS, FAIL, NOT_JUDGED = "pass", "fail", "not judged"
SOURCES = ("synthetic", "ramdisk", "scale")
MODES = ("training", "inference")
WORKLOADS = ("seqread", "randread")
# The reference's ~40 GB/s per unit is a streaming read figure; random read is shown beside it
# (share of the ceiling, random / sequential) and judged only for errors. A results file may
# name other workloads to judge in "judged_workloads".
JUDGED_WORKLOADS = ("seqread",)
REFERENCE_RATIO = (1.5, 4.0)
REFERENCE_PENALTY = "REFERENCE.md section 2: Spectrum Scale within a few percent of a local RAM disk"
REFERENCE_INFERENCE = "REFERENCE.md section 2: inference 1.5x to almost 4x the training rate of the same model"


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(float(x), digits)


def _links(expected: dict, clients: list[str]) -> tuple[float | None, list[str]]:
    """Sum of the clients' storage links and the clients without a figure."""
    table = expected.get("client_link_gbs") or {}
    missing = [c for c in clients if not table.get(c)]
    if missing or not clients:
        return None, missing
    return float(sum(table[c] for c in clients)), []


def ceiling_detail(expected: dict, clients: list[str]) -> dict:
    """The expected read ceiling for a set of clients reading at once, and why.

    {"gbs": min(storage_gbs, sum of client links) or None, "bound": "storage" | "client links" |
    None, "storage_gbs", "links_gbs", "note": why there is no ceiling, or None}. A ceiling needs
    both figures: with one of them unknown the other is no fair bar (a storage figure alone over-
    states what slower links carry, a link figure alone what the storage serves)."""
    storage = expected.get("storage_gbs")
    links, missing = _links(expected, clients)
    out = {"gbs": None, "bound": None, "storage_gbs": _r(storage), "links_gbs": _r(links), "note": None}
    if storage is None:
        out["note"] = "no rated read figure for the storage in the catalog: no ceiling"
    elif links is None:
        out["note"] = (f"no storage link figure for {', '.join(missing)} in the catalog: no ceiling"
                       if missing else "no clients: no ceiling")
    else:
        out["gbs"] = _r(min(float(storage), links))
        out["bound"] = "storage" if float(storage) <= links else "client links"
    return out


def ceiling(expected: dict, clients: list[str]) -> float | None:
    """min(storage_gbs, sum of the clients' client_link_gbs) in GB/s; None when either is unknown."""
    return ceiling_detail(expected, clients)["gbs"]


def reference_gbs(expected: dict) -> float | None:
    """The reference's figure for this storage: units x reference_unit_gbs (linear in the units)."""
    unit = expected.get("reference_unit_gbs")
    units = expected.get("units")
    if unit is None or not units:
        return None
    return _r(float(unit) * int(units))


def _gbs(bytes_per_s: float | None) -> float | None:
    return None if bytes_per_s is None else float(bytes_per_s) / 1e9


def _fio_run(run: dict, results: dict, judge: bool) -> dict:
    expected = results.get("expected") or {}
    share_min = float(results.get("pass_share", 0.8))
    clients = list(run.get("clients") or [])
    res = run.get("result") or {}
    agg = res.get("aggregate") or {}
    measured = _gbs(agg.get("read_bw_bytes"))
    ceil = ceiling_detail(expected, clients)
    errors = int(res.get("errors") or agg.get("errors") or 0)
    hosts = res.get("hosts") or {}
    problems, notes = [], []
    if errors:
        problems.append(f"fio reported {errors} job error(s)")
    if res and len(hosts) < len(clients):
        problems.append(f"fio reported {len(hosts)} host(s) for {len(clients)} client(s): a client did not run")
    if measured is None:
        problems.append("no fio result")
    share = measured / ceil["gbs"] if measured is not None and ceil["gbs"] else None
    judged = results.get("judged_workloads") or JUDGED_WORKLOADS
    if problems:
        verdict = FAIL
    elif not judge:
        verdict = NOT_JUDGED  # the report says why once, at the top (judge_note)
    elif run.get("workload") not in judged:
        verdict = NOT_JUDGED
        notes.append(f"not judged: the ceiling is a sequential-read figure; {run.get('workload')} is compared "
                     "with sequential read instead")
    elif share is None:
        verdict = NOT_JUDGED
        notes.append(f"not judged: {ceil['note']}")
    else:
        verdict = PASS if share >= share_min else FAIL
        if verdict == FAIL:
            problems.append(f"{measured:.3f} GB/s is {share * 100:.1f} % of the {ceil['gbs']:.3f} GB/s ceiling "
                            f"(pass from {share_min * 100:.0f} %)")
    links = expected.get("client_link_gbs") or {}
    per_host = {h: {"gbs": _r(_gbs(v.get("read_bw_bytes"))), "link_gbs": _r(links.get(h)),
                    "errors": int(v.get("errors") or 0)} for h, v in sorted(hosts.items())}
    return {
        "workload": run.get("workload"),
        "clients": clients,
        "n": len(clients),
        "measured_gbs": _r(measured),
        "read_iops": _r(agg.get("read_iops"), 1),
        "expected_gbs": ceil["gbs"],
        "bound": ceil["bound"],
        "storage_gbs": ceil["storage_gbs"],
        "links_gbs": ceil["links_gbs"],
        "share": _r(share, 4),
        "pass_share": share_min,
        "reference_gbs": reference_gbs(expected),
        "errors": errors,
        "fio_version": res.get("version"),
        "hosts": per_host,
        "verdict": verdict,
        "problems": problems,
        "notes": notes,
    }


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _scaling(runs: list[dict], expected: dict) -> dict:
    """workload -> [{clients: n, gbs, per_client_gbs, expected_gbs, reference_gbs, runs}] by n.
    Repeated runs of one workload at one n are averaged."""
    by = defaultdict(lambda: defaultdict(list))
    ceilings = {}
    for r in runs:
        if r["measured_gbs"] is None:
            continue
        by[r["workload"]][r["n"]].append(r["measured_gbs"])
        ceilings.setdefault((r["workload"], r["n"]), r["expected_gbs"])
    out = {}
    for wl in sorted(by, key=lambda w: (WORKLOADS.index(w) if w in WORKLOADS else 99, str(w))):
        series = []
        for n in sorted(by[wl]):
            g = _mean(by[wl][n])
            series.append({"clients": n, "gbs": _r(g), "per_client_gbs": _r(g / n) if n else None,
                           "expected_gbs": ceilings[(wl, n)], "reference_gbs": reference_gbs(expected),
                           "runs": len(by[wl][n])})
        out[wl] = series
    return out


def _seq_vs_random(scaling: dict) -> list[dict]:
    seq = {p["clients"]: p["gbs"] for p in scaling.get("seqread", [])}
    rnd = {p["clients"]: p["gbs"] for p in scaling.get("randread", [])}
    out = []
    for n in sorted(set(seq) | set(rnd)):
        s, r = seq.get(n), rnd.get(n)
        out.append({"clients": n, "seqread_gbs": s, "randread_gbs": r,
                    "random_share": _r(r / s, 4) if s and r is not None else None})
    return out


def _tf(results: dict, judge: bool) -> dict:
    """images/s per (model, source, mode) summed over hosts and GPUs, per host too; the storage
    penalty and the inference ratio per model."""
    max_pct = float(results.get("penalty_max_pct", 5.0))
    # (model, source, mode) -> host -> [images/s of each repeat]; gpus per host
    cells = defaultdict(lambda: defaultdict(list))
    gpus = defaultdict(dict)
    for e in results.get("tf") or []:
        key = (e.get("model"), e.get("source"), e.get("mode", "training"))
        ips = sum(float(g.get("images_per_sec") or 0) for g in e.get("gpus") or [])
        cells[key][e.get("host")].append(ips)
        gpus[key][e.get("host")] = len(e.get("gpus") or [])
    rows = []
    per_host = {}
    for key in sorted(cells, key=_tf_order):
        model, source, mode = key
        hosts = {h: _mean(v) for h, v in cells[key].items()}
        per_host[key] = hosts
        total = sum(hosts.values())
        n_gpus = sum(gpus[key].values())
        rows.append({"model": model, "source": source, "mode": mode, "images_per_sec": _r(total, 2),
                     "gpus": n_gpus, "per_gpu": _r(total / n_gpus, 2) if n_gpus else None,
                     "hosts": {h: _r(v, 2) for h, v in sorted(hosts.items())},
                     "host_gpus": dict(sorted(gpus[key].items()))})
    models = []
    for model in sorted({k[0] for k in cells}, key=str):
        entry = {"model": model, "penalty": {}, "inference_ratio": None}
        for mode in MODES:
            ram, scale = per_host.get((model, "ramdisk", mode)), per_host.get((model, "scale", mode))
            # training runs the three sources (the reference's comparison): a missing one is
            # noted there; other modes get a penalty only when both sources ran
            if (ram is None and scale is None) or (mode != "training" and (ram is None or scale is None)):
                continue
            entry["penalty"][mode] = _penalty(ram, scale, per_host.get((model, "synthetic", mode)),
                                              judge, max_pct)
        entry["inference_ratio"] = _ratio(model, per_host)
        models.append(entry)
    return {"rows": rows, "models": models, "penalty_max_pct": max_pct,
            "reference_penalty": REFERENCE_PENALTY, "reference_ratio": list(REFERENCE_RATIO),
            "reference_inference": REFERENCE_INFERENCE}


def _tf_order(key):
    model, source, mode = key
    return (str(model), MODES.index(mode) if mode in MODES else 9,
            SOURCES.index(source) if source in SOURCES else 9, str(source))


def _common_sum(a: dict, b: dict) -> tuple[float, float, list[str]]:
    """Sums of two per-host tables over the hosts both have, and the hosts only one has."""
    common = sorted(set(a) & set(b))
    return (sum(a[h] for h in common), sum(b[h] for h in common),
            sorted(set(a) ^ set(b)))


def _only_in_one(hosts: list[str]) -> str:
    return f"compared on the hosts both ran ({', '.join(map(str, hosts))} only in one)"


def _penalty(ram: dict | None, scale: dict | None, synthetic: dict | None, judge: bool,
             max_pct: float) -> dict:
    out = {"ramdisk": None, "scale": None, "penalty_pct": None, "penalty_max_pct": max_pct,
           "synthetic_gap_pct": None, "verdict": NOT_JUDGED, "note": None, "reference": REFERENCE_PENALTY}
    if not ram or not scale:
        out["note"] = f"no {'RAM disk' if not ram else 'Spectrum Scale'} run to compare with"
        return out
    r, s, odd = _common_sum(ram, scale)
    if not set(ram) & set(scale):
        out["note"] = "the RAM disk and Scale runs share no host"
        return out
    if not r:
        out["note"] = "the RAM disk run measured 0 images/s"
        return out
    pct = (r - s) / r * 100
    out.update(ramdisk=_r(r, 2), scale=_r(s, 2), penalty_pct=_r(pct, 2))
    notes = []
    if odd:
        notes.append(_only_in_one(odd))
    if synthetic:
        syn, s2, _ = _common_sum(synthetic, scale)
        if syn:
            out["synthetic_gap_pct"] = _r((syn - s2) / syn * 100, 2)
    if judge:  # else not judged; the report says why once, at the top (judge_note)
        out["verdict"] = PASS if pct <= max_pct else FAIL
    out["note"] = "; ".join(notes) or None
    return out


def _ratio(model: str, per_host: dict) -> dict | None:
    """inference / training images/s from the scale source, else the first source both modes have."""
    for source in ("scale", "ramdisk", "synthetic"):
        inf, tr = per_host.get((model, source, "inference")), per_host.get((model, source, "training"))
        if inf and tr:
            i, t, odd = _common_sum(inf, tr)
            if not t:
                continue
            ratio = i / t
            lo, hi = REFERENCE_RATIO
            return {"source": source, "inference": _r(i, 2), "training": _r(t, 2), "ratio": _r(ratio, 2),
                    "reference": list(REFERENCE_RATIO), "within_reference": lo <= ratio <= hi,
                    "note": _only_in_one(odd) if odd else None}
    return None


def evaluate(results: dict) -> dict:
    """The evaluation of a results file (schema 1, see docs/acceptance.md): JSON-serialisable.

    {"pod", "run", "started", "finished", "judge", "judge_note", "pass_share", "penalty_max_pct",
     "verdict": "pass" | "fail" | "not judged", "problems": [why it failed], "notes": [...],
     "expected": {...}, "reference_gbs": units x reference_unit_gbs,
     "fio": {"runs": [per run: workload, clients, n, measured_gbs, expected_gbs, bound, share,
                      pass_share, reference_gbs, errors, hosts {h: {gbs, link_gbs, errors}},
                      verdict, problems, notes],
             "scaling": {workload: [{clients, gbs, per_client_gbs, expected_gbs, reference_gbs}]},
             "seq_vs_random": [{clients, seqread_gbs, randread_gbs, random_share}]},
     "tf": {"rows": [{model, source, mode, images_per_sec, gpus, per_gpu, hosts}],
            "models": [{model, penalty: {mode: {ramdisk, scale, penalty_pct, penalty_max_pct,
                        synthetic_gap_pct, verdict, note, reference}}, inference_ratio: {source,
                        inference, training, ratio, reference, within_reference, note} | None}],
            "penalty_max_pct", "reference_penalty", "reference_ratio", "reference_inference"}}
    ValueError when the schema is not 1."""
    if not isinstance(results, dict):
        raise ValueError(f"acceptance results must be a JSON object, not {type(results).__name__}")
    if results.get("schema") != SCHEMA:
        raise ValueError(f"acceptance results schema {results.get('schema')!r} is not supported "
                         f"(this deploy-pod reads schema {SCHEMA})")
    judge = bool(results.get("judge"))
    expected = results.get("expected") or {}
    runs = [_fio_run(r, results, judge) for r in results.get("fio") or []]
    scaling = _scaling(runs, expected)
    tf = _tf(results, judge)
    problems, notes = [], []
    verdicts = []
    for r in runs:
        verdicts.append(r["verdict"])
        problems += [f"fio {r['workload']} on {r['n']} client(s): {p}" for p in r["problems"]]
    for m in tf["models"]:
        for mode, p in m["penalty"].items():
            verdicts.append(p["verdict"])
            if p["verdict"] == FAIL:
                problems.append(f"{m['model']} {mode}: Scale is {p['penalty_pct']:.2f} % slower than the RAM disk "
                                f"(at most {p['penalty_max_pct']:.1f} %)")
    if expected.get("storage_gbs") is None:
        notes.append("the catalog has no rated read figure for the storage: fio is not judged")
    if expected.get("reference_unit_gbs") is None:
        notes.append("the catalog has no reference figure per storage unit: no reference line")
    if not runs:
        notes.append("no fio run in the results")
    if not tf["rows"]:
        notes.append("no TensorFlow run in the results")
    if FAIL in verdicts:
        verdict = FAIL
    elif PASS in verdicts:
        verdict = PASS
    else:
        verdict = NOT_JUDGED
    return {
        "schema": SCHEMA,
        "pod": results.get("pod"),
        "run": results.get("run"),
        "started": results.get("started"),
        "finished": results.get("finished"),
        "judge": judge,
        "judge_note": results.get("judge_note"),
        "pass_share": float(results.get("pass_share", 0.8)),
        "penalty_max_pct": float(results.get("penalty_max_pct", 5.0)),
        "profile": results.get("profile"),
        "verdict": verdict,
        "problems": problems,
        "notes": notes,
        "expected": expected,
        "reference_gbs": reference_gbs(expected),
        "fio": {"runs": runs, "scaling": scaling, "seq_vs_random": _seq_vs_random(scaling)},
        "tf": tf,
    }


def summary_line(ev: dict[str, Any]) -> str:
    """One line for the top of a report: 'PASS: twin run 2026...: ...'."""
    word = {PASS: "PASS", FAIL: "FAIL"}.get(ev["verdict"], "NOT JUDGED")
    head = f"{word}: pod {ev.get('pod')}, run {ev.get('run')}"
    if ev["verdict"] == FAIL:
        return f"{head}: {'; '.join(ev['problems'])}"
    if ev["verdict"] == NOT_JUDGED:
        why = (ev.get("judge_note") or "judging is off for this pod") if not ev.get("judge") else None
        return f"{head}: {why or '; '.join(ev['notes']) or 'nothing could be judged'}"
    judged = sum(r["verdict"] == PASS for r in ev["fio"]["runs"]) + sum(
        p["verdict"] == PASS for m in ev["tf"]["models"] for p in m["penalty"].values())
    return f"{head}: {judged} judged figure(s) within expectations"
