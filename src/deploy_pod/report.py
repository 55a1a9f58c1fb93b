"""The acceptance report, built on the controller from a saved results file.

write_report() reads <run>/acceptance/results.json (written by the acceptance playbook), judges it
with deploy_pod.acceptance.evaluate() and writes beside it: report.json (the evaluation and the
inputs), report.md, report.html (self-contained: inline CSS, plots embedded as PNG data URIs) and
plots/*.png (matplotlib, Agg; no display needed). docs/acceptance.md describes each file.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from deploy_pod.acceptance import FAIL, MODES, NOT_JUDGED, PASS, SOURCES, evaluate, summary_line

SOURCE_LABEL = {"synthetic": "synthetic", "ramdisk": "RAM disk", "scale": "Spectrum Scale"}
SOURCE_COLOR = {"synthetic": "#9e9e9e", "ramdisk": "#8e44ad", "scale": "#1f77b4"}
WORKLOAD_LABEL = {"seqread": "sequential read", "randread": "random read"}
WORKLOAD_COLOR = {"seqread": "#1f77b4", "randread": "#ff7f0e"}
PLOTS = {"scaling": "fio_scaling.png", "seq_vs_random": "fio_seq_vs_random.png", "tf": "tf_images_per_sec.png"}


class ReportError(ValueError):
    """A results file that cannot be found, read or judged: the message says what and where."""


# -- finding and reading the results ------------------------------------------------------------

def find_results(arg: str, artifacts: Path) -> Path:
    """The results.json that arg names: a results file, a run directory (holding
    acceptance/results.json, or results.json itself), or a run id found as
    <artifacts>/<pod>/<id>/acceptance/results.json. ReportError otherwise, saying where it looked."""
    p = Path(arg)
    if p.is_file():
        return p
    if p.is_dir():
        for cand in (p / "acceptance" / "results.json", p / "results.json"):
            if cand.is_file():
                return cand
        raise ReportError(f"{p} is a directory without acceptance/results.json or results.json: "
                          "is it an acceptance run's directory?")
    if "/" not in arg and arg not in ("", ".", ".."):
        found = sorted(Path(artifacts).glob(f"*/{arg}/acceptance/results.json"))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ReportError(f"run id {arg} is in several pods under {artifacts}: "
                              + ", ".join(str(f) for f in found) + "; give the path instead")
        raise ReportError(f"{arg}: no such file, and no run {arg} with acceptance results under "
                          f"{artifacts}/*/{arg}/acceptance/results.json")
    raise ReportError(f"{arg}: no such file or directory")


def load_results(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ReportError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    return data


# -- formatting -------------------------------------------------------------------------------

def _num(x, digits: int = 2, unit: str = "") -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}{unit}"


def _pct(share) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def _word(verdict: str) -> str:
    return {PASS: "PASS", FAIL: "FAIL"}.get(verdict, "NOT JUDGED")


def _bound(run: dict) -> str:
    """Why the ceiling is what it is: 'storage-bound (links 100.00)'."""
    if run["expected_gbs"] is None:
        return "no ceiling"
    if run["bound"] == "storage":
        return f"storage-bound; links {_num(run['links_gbs'])}"
    return f"link-bound; storage {_num(run['storage_gbs'])}"


def _run_notes(runs: list[dict]) -> list[str]:
    seen = []
    for r in runs:
        for n in r["notes"]:
            if n not in seen:
                seen.append(n)
    return seen


def _profile_line(profile: dict | None) -> str:
    if not profile:
        return ""
    parts = [f"profile {profile.get('name', '?')}"]
    fio = profile.get("fio") or {}
    if fio:
        parts.append("fio " + " ".join(f"{k}={v}" for k, v in fio.items()))
    tf = profile.get("tf") or {}
    if tf:
        parts.append("tf " + " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                                      for k, v in tf.items()))
    return "; ".join(parts)


def _expectation_line(ev: dict) -> str:
    e = ev["expected"] or {}
    storage = e.get("storage_gbs")
    links = e.get("client_link_gbs") or {}
    units = e.get("units")
    unit = e.get("unit_gbs")
    s = (f"storage {_num(storage)} GB/s" if storage is not None else "storage: no rated figure")
    if units and unit is not None:
        s += f" ({units} x {e.get('unit_model') or 'unit'} at {_num(unit)} GB/s)"
    if links:
        s += "; client links " + ", ".join(f"{h} {_num(v)} GB/s" for h, v in sorted(links.items()))
    s += (f"; fio passes from {ev['pass_share'] * 100:.0f} % of min(storage, links)"
          f"; storage penalty at most {ev['penalty_max_pct']:.1f} %")
    return s


def _tf_matrix(ev: dict) -> list[dict]:
    """One row per (model, mode): images/s per source, the penalty and its verdict."""
    cells = {}
    for r in ev["tf"]["rows"]:
        cells.setdefault((r["model"], r["mode"]), {})[r["source"]] = r["images_per_sec"]
    penalties = {m["model"]: m["penalty"] for m in ev["tf"]["models"]}
    out = []
    for (model, mode), by_source in cells.items():
        p = (penalties.get(model) or {}).get(mode)
        out.append({"model": model, "mode": mode, "sources": by_source, "penalty": p})
    return out


def _sources(ev: dict) -> list[str]:
    seen = {r["source"] for r in ev["tf"]["rows"]}
    return [s for s in SOURCES if s in seen] + sorted(s for s in seen if s not in SOURCES)


# -- plots --------------------------------------------------------------------------------------

def _figure(width: float = 8.0, height: float = 4.6, ncols: int = 1):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend

    fig = Figure(figsize=(width, height), dpi=110)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _label_bars(ax, bars, digits: int = 2):
    for b in bars:
        h = b.get_height()
        if h:
            ax.annotate(f"{h:,.{digits}f}", (b.get_x() + b.get_width() / 2, h), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7)


def plot_scaling(ev: dict, path: Path) -> Path | None:
    """Read GB/s against the number of clients, sequential and random, with the expected ceiling
    (min(storage, links)) and the reference line (units x reference GB/s per unit)."""
    scaling = ev["fio"]["scaling"]
    if not scaling:
        return None
    fig, (ax,) = _figure(8.0, 5.4)
    ns = sorted({p["clients"] for s in scaling.values() for p in s})
    measured = [p["gbs"] for s in scaling.values() for p in s if p["gbs"] is not None]
    for wl, series in scaling.items():
        xs = [p["clients"] for p in series]
        ys = [p["gbs"] for p in series]
        ax.plot(xs, ys, marker="o", lw=2, color=WORKLOAD_COLOR.get(wl),
                label=f"{WORKLOAD_LABEL.get(wl, wl)} (measured)")
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f"{y:,.2f}", (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7,
                        color=WORKLOAD_COLOR.get(wl))
    ceilings = {}
    for series in scaling.values():
        for p in series:
            if p["expected_gbs"] is not None:
                ceilings.setdefault(p["clients"], p["expected_gbs"])
    tops = list(measured)
    if ceilings:
        # a step per client count (visible with one count too): the ceiling holds for that set of clients
        xs = sorted(ceilings)
        sx = [xs[0] - 0.5] + xs + [xs[-1] + 0.5]
        sy = [ceilings[xs[0]]] + [ceilings[x] for x in xs] + [ceilings[xs[-1]]]
        ax.step(sx, sy, where="mid", color="black", ls="--", lw=1.5,
                label="expected ceiling: min(storage, client links)")
        tops += list(ceilings.values())
        share = ev["pass_share"]
        ax.step(sx, [y * share for y in sy], where="mid", color="black", ls=":", lw=1,
                label=f"pass line: {share * 100:.0f} % of the ceiling")
    ref = ev["reference_gbs"]
    if ref is not None:
        e = ev["expected"]
        ax.axhline(ref, color="#2ca02c", ls="-.", lw=1.5,
                   label=f"reference: {e.get('units')} unit(s) x {_num(e.get('reference_unit_gbs'), 0)} GB/s")
        tops.append(ref)
    positive = [m for m in measured if m and m > 0]
    if positive and max(tops) / min(positive) > 20:
        ax.set_yscale("log")  # a twin's few GB/s next to a pod's ceiling: keep both readable
        ax.set_ylim(min(positive) / 2, max(tops) * 2)
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}"))
        ax.set_ylabel("read GB/s (log scale)")
    else:
        ax.set_ylabel("read GB/s")
        ax.set_ylim(0, max(tops or [1]) * 1.15)
    ax.set_xlabel("clients reading at once")
    ax.set_xticks(ns)
    ax.set_xlim(min(ns) - 0.5, max(ns) + 0.5)
    ax.set_title("fio aggregate read bandwidth by number of clients")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _bars_by_clients(rows: list[dict], series: list[tuple[str, str, str]], ylabel: str, title: str,
                     path: Path) -> Path:
    """Two bars per client count, one per (row key, colour, label) in series, each labelled."""
    fig, (ax,) = _figure(7.0, 4.2)
    width = 0.38
    xs = list(range(len(rows)))
    for i, (key, color, label) in enumerate(series):
        vals = [r.get(key) or 0 for r in rows]
        _label_bars(ax, ax.bar([x + (i - 0.5) * width for x in xs], vals, width, color=color, label=label))
    ax.set_xticks(xs, [str(r["clients"]) for r in rows])
    ax.set_xlabel("clients reading at once")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.margins(y=0.15)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_before_after(rows: list[dict], path: Path) -> Path | None:
    """Sequential read GB/s per client count before and after a scale-out, side by side."""
    rows = [r for r in rows if r.get("after") is not None or r.get("before") is not None]
    if not rows:
        return None
    return _bars_by_clients(rows, [("before", "#9e9e9e", "before"), ("after", "#1f77b4", "after")],
                            "sequential read GB/s", "fio sequential read before and after the scale-out", path)


def plot_seq_vs_random(ev: dict, path: Path) -> Path | None:
    rows = ev["fio"]["seq_vs_random"]
    if not rows:
        return None
    series = [(f"{wl}_gbs", WORKLOAD_COLOR[wl], WORKLOAD_LABEL[wl]) for wl in ("seqread", "randread")]
    return _bars_by_clients(rows, series, "read GB/s", "sequential vs random read", path)


def plot_tf(ev: dict, path: Path) -> Path | None:
    rows = ev["tf"]["rows"]
    if not rows:
        return None
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)] + sorted(
        {r["mode"] for r in rows if r["mode"] not in MODES}, key=str)
    sources = _sources(ev)
    fig, axes = _figure(5.2 * len(modes) if len(modes) > 1 else 8.0, 4.6, len(modes))
    for ax, mode in zip(axes, modes, strict=True):
        models = sorted({r["model"] for r in rows if r["mode"] == mode}, key=str)
        value = {(r["model"], r["source"]): r["images_per_sec"] for r in rows if r["mode"] == mode}
        present = [s for s in sources if any(k[1] == s for k in value)]
        width = 0.8 / max(len(present), 1)
        for i, src in enumerate(present):
            xs = [j + (i - (len(present) - 1) / 2) * width for j in range(len(models))]
            vals = [value.get((m, src)) or 0 for m in models]
            bars = ax.bar(xs, vals, width, color=SOURCE_COLOR.get(src, "#555555"), label=SOURCE_LABEL.get(src, src))
            _label_bars(ax, bars, 0)
        ax.set_xticks(range(len(models)), models)
        ax.set_ylabel("images/s (all hosts and GPUs)")
        ax.set_title(f"tf_cnn_benchmarks {mode}")
        ax.grid(True, axis="y", alpha=0.3)
        ax.margins(y=0.15)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def make_plots(ev: dict, plot_dir: Path) -> dict[str, Path]:
    plot_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, fn in (("scaling", plot_scaling), ("seq_vs_random", plot_seq_vs_random), ("tf", plot_tf)):
        target = plot_dir / PLOTS[key]
        if fn(ev, target):
            out[key] = target
        elif target.exists():
            target.unlink()  # a plot of an earlier rendering that has nothing to show now
    return out


# -- markdown -----------------------------------------------------------------------------------

def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(cell(c) for c in r) + " |" for r in rows] + [""]


def render_md(ev: dict, plots: dict[str, Path], base: Path) -> str:
    v = _word(ev["verdict"])
    out = [f"# Acceptance report: pod {ev['pod']}, run {ev['run']}", "",
           f"**{v}**: {summary_line(ev).split(': ', 1)[1]}", ""]
    if not ev["judge"]:
        # the reason is in the verdict line above
        out += ["> Figures are shown next to their expectations but not held against them; fio errors still "
                "fail the run.", ""]
    meta = [f"Run {ev.get('started') or '?'} to {ev.get('finished') or '?'}."] if ev.get("started") else []
    if _profile_line(ev.get("profile")):
        meta.append(_profile_line(ev.get("profile")) + ".")
    out += ([" ".join(meta), ""] if meta else []) + [f"Expectation: {_expectation_line(ev)}.", ""]
    if (ev["expected"] or {}).get("reference"):
        out += [f"Reference: {ev['expected']['reference']}.", ""]
    if ev["problems"]:
        out += ["## Problems", ""] + [f"- {p}" for p in ev["problems"]] + [""]
    if ev["notes"]:
        out += ["## Notes", ""] + [f"- {n}" for n in ev["notes"]] + [""]
    out += ["## fio read throughput", ""]
    runs = ev["fio"]["runs"]
    if runs:
        out += _md_table(
            ["workload", "clients", "measured GB/s", "expected GB/s", "share", "pass from",
             "reference GB/s", "errors", "verdict"],
            [[r["workload"], f"{r['n']} ({', '.join(r['clients'])})", _num(r["measured_gbs"], 3),
              f"{_num(r['expected_gbs'])} ({_bound(r)})", _pct(r["share"]), _pct(r["pass_share"]),
              _num(r["reference_gbs"]), str(r["errors"]), f"**{_word(r['verdict'])}**"] for r in runs])
        out += [f"- {n}" for n in _run_notes(runs)] + ([""] if _run_notes(runs) else [])
        out += ["Per host:", ""] + _md_table(
            ["workload", "clients", "host", "GB/s", "link GB/s", "errors"],
            [[r["workload"], str(r["n"]), h, _num(x["gbs"], 3), _num(x["link_gbs"]), str(x["errors"])]
             for r in runs for h, x in r["hosts"].items()])
        out += ["### Scaling", ""]
        sv = {row["clients"]: row for row in ev["fio"]["seq_vs_random"]}
        ceilings = {p["clients"]: p["expected_gbs"] for s in ev["fio"]["scaling"].values() for p in s}
        out += _md_table(
            ["clients", "sequential GB/s", "random GB/s", "random / sequential", "expected GB/s", "reference GB/s"],
            [[str(n), _num(sv[n]["seqread_gbs"], 3), _num(sv[n]["randread_gbs"], 3), _pct(sv[n]["random_share"]),
              _num(ceilings.get(n)), _num(ev["reference_gbs"])] for n in sorted(sv)])
        for key, title in (("scaling", "read GB/s by number of clients"), ("seq_vs_random", "sequential vs random")):
            if key in plots:
                out += [f"![{title}]({plots[key].relative_to(base).as_posix()})", ""]
    else:
        out += ["No fio run.", ""]
    out += ["## TensorFlow (tf_cnn_benchmarks)", ""]
    if ev["tf"]["rows"]:
        sources = _sources(ev)
        out += [f"images/s summed over all hosts and GPUs. Storage penalty = (RAM disk - Scale) / RAM disk; "
                f"at most {ev['penalty_max_pct']:.1f} % passes ({ev['tf']['reference_penalty']}).", ""]
        rows = []
        for m in _tf_matrix(ev):
            p = m["penalty"]
            tail = ([_num(p["penalty_pct"], 2, " %"), _num(p["penalty_max_pct"], 1, " %"),
                     _num(p["synthetic_gap_pct"], 2, " %"),
                     f"**{_word(p['verdict'])}**" + (f" ({p['note']})" if p["note"] else "")]
                    if p else ["–", "–", "–", "–"])
            rows.append([m["model"], m["mode"]] + [_num(m["sources"].get(s), 1) for s in sources] + tail)
        out += _md_table(["model", "mode"] + [SOURCE_LABEL.get(s, s) for s in sources]
                         + ["storage penalty", "max", "synthetic - Scale", "verdict"], rows)
        ratios = [m for m in ev["tf"]["models"] if m["inference_ratio"]]
        if ratios:
            lo, hi = ev["tf"]["reference_ratio"]
            out += [f"Inference / training ({ev['tf']['reference_inference']}; shown, not judged):", ""]
            out += _md_table(
                ["model", "source", "training images/s", "inference images/s", "ratio", "reference"],
                [[m["model"], SOURCE_LABEL.get(r["source"], r["source"]), _num(r["training"], 1),
                  _num(r["inference"], 1), f"{r['ratio']:.2f}x",
                  f"{lo}x to {hi}x" + ("" if r["within_reference"] else " (outside)")]
                 for m in ratios for r in [m["inference_ratio"]]])
        out += ["Per host:", ""] + _md_table(
            ["model", "mode", "source", "host", "images/s", "GPUs"],
            [[r["model"], r["mode"], SOURCE_LABEL.get(r["source"], r["source"]), h, _num(x, 1),
              str(r["host_gpus"].get(h, "–"))]
             for r in ev["tf"]["rows"] for h, x in r["hosts"].items()])
        if "tf" in plots:
            out += [f"![images/s per model and data source]({plots['tf'].relative_to(base).as_posix()})", ""]
    else:
        out += ["No TensorFlow run.", ""]
    return "\n".join(out).rstrip() + "\n"


# -- html ---------------------------------------------------------------------------------------

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1100px;
color:#222;line-height:1.4;padding:0 16px}
h1{font-size:1.5em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:3px}
.verdict{font-size:1.15em;padding:12px 16px;border-radius:6px;margin:12px 0;border-left:8px solid}
.verdict.pass{background:#e8f5e9;border-color:#2e7d32}.verdict.fail{background:#ffebee;border-color:#c62828}
.verdict.nj{background:#f1f3f5;border-color:#868e96}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85em;color:#fff;
white-space:nowrap}
.badge.pass{background:#2e7d32}.badge.fail{background:#c62828}.badge.nj{background:#868e96}
table{border-collapse:collapse;margin:8px 0 14px;font-size:.88em}
th,td{border:1px solid #d0d4d9;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f1f3f5;text-align:center}td.l{text-align:left}
.meta{color:#555;font-size:.9em}.note{color:#555;font-size:.85em}
ul.problems li{color:#c62828}
img{max-width:100%;width:880px;border:1px solid #eee;margin:6px 0}
.plots figure{margin:0 0 10px}td{white-space:nowrap}td .note{white-space:normal}
figcaption{font-size:.8em;color:#666}
"""


def _cls(verdict: str) -> str:
    return {PASS: "pass", FAIL: "fail"}.get(verdict, "nj")


def _badge(verdict: str) -> str:
    return f'<span class="badge {_cls(verdict)}">{_word(verdict)}</span>'


def _h_table(head: list[str], rows: list[list[str]], left: int = 1) -> str:
    """rows hold HTML already escaped; the first `left` columns align left."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="l">{c}</td>' if i < left else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


def render_html(ev: dict, plots: dict[str, Path]) -> str:
    e = html.escape
    v = ev["verdict"]
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Acceptance {e(str(ev['pod']))} {e(str(ev['run']))}: {_word(v)}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>Acceptance report: pod {e(str(ev['pod']))}, run {e(str(ev['run']))}</h1>",
             f'<div class="verdict {_cls(v)}">{_badge(v)} {e(summary_line(ev).split(": ", 1)[1])}</div>']
    if not ev["judge"]:
        parts.append("<p>Figures are shown next to their expectations but not held against them; fio errors "
                     "still fail the run.</p>")
    meta = (f"Run {e(str(ev.get('started')))} to {e(str(ev.get('finished') or '?'))}. "
            if ev.get("started") else "")
    if _profile_line(ev.get("profile")):
        meta += e(_profile_line(ev.get("profile"))) + "."
    parts.append(f'<p class="meta">{meta}<br>Expectation: {e(_expectation_line(ev))}.')
    if (ev["expected"] or {}).get("reference"):
        parts.append(f"<br>Reference: {e(ev['expected']['reference'])}.")
    parts.append("</p>")
    if ev["problems"]:
        parts.append('<h2>Problems</h2><ul class="problems">'
                     + "".join(f"<li>{e(p)}</li>" for p in ev["problems"]) + "</ul>")
    if ev["notes"]:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in ev["notes"]) + "</ul>")
    parts.append("<h2>fio read throughput</h2>")
    runs = ev["fio"]["runs"]
    if runs:
        parts.append(_h_table(
            ["workload", "clients", "measured GB/s", "expected GB/s", "share", "pass from",
             "reference GB/s", "errors", "verdict"],
            [[e(str(r["workload"])), e(f"{r['n']} ({', '.join(r['clients'])})"), f"<b>{_num(r['measured_gbs'], 3)}</b>",
              f'{_num(r["expected_gbs"])}<div class="note">{e(_bound(r))}</div>', _pct(r["share"]),
              _pct(r["pass_share"]), _num(r["reference_gbs"]), str(r["errors"]),
              _badge(r["verdict"]) + "".join(f'<div class="note">{e(x)}</div>' for x in r["problems"])]
             for r in runs], left=2))
        if _run_notes(runs):
            parts.append('<ul class="note">' + "".join(f"<li>{e(n)}</li>" for n in _run_notes(runs)) + "</ul>")
        sv = {row["clients"]: row for row in ev["fio"]["seq_vs_random"]}
        ceilings = {p["clients"]: p["expected_gbs"] for s in ev["fio"]["scaling"].values() for p in s}
        parts.append("<h3>Scaling</h3>" + _h_table(
            ["clients", "sequential GB/s", "random GB/s", "random / sequential", "expected GB/s", "reference GB/s"],
            [[str(n), _num(sv[n]["seqread_gbs"], 3), _num(sv[n]["randread_gbs"], 3), _pct(sv[n]["random_share"]),
              _num(ceilings.get(n)), _num(ev["reference_gbs"])] for n in sorted(sv)]))
        figs = [_img(plots[k], t) for k, t in (("scaling", "fio read GB/s by number of clients, with the expected "
                                                 "ceiling and the reference line"),
                                                ("seq_vs_random", "sequential vs random read per client count"))
                if k in plots]
        if figs:
            parts.append('<div class="plots">' + "".join(figs) + "</div>")
        parts.append("<h3>Per host</h3>" + _h_table(
            ["workload", "clients", "host", "GB/s", "link GB/s", "errors"],
            [[e(str(r["workload"])), str(r["n"]), e(h), _num(x["gbs"], 3), _num(x["link_gbs"]), str(x["errors"])]
             for r in runs for h, x in r["hosts"].items()], left=3))
    else:
        parts.append("<p>No fio run.</p>")
    parts.append("<h2>TensorFlow (tf_cnn_benchmarks)</h2>")
    if ev["tf"]["rows"]:
        sources = _sources(ev)
        parts.append('<p class="meta">images/s summed over all hosts and GPUs. Storage penalty = (RAM disk - Scale) '
                     f"/ RAM disk; at most {ev['penalty_max_pct']:.1f} % passes "
                     f"({e(ev['tf']['reference_penalty'])}).</p>")
        rows = []
        for m in _tf_matrix(ev):
            p = m["penalty"]
            tail = ([_num(p["penalty_pct"], 2, " %"), _num(p["penalty_max_pct"], 1, " %"),
                     _num(p["synthetic_gap_pct"], 2, " %"),
                     _badge(p["verdict"]) + (f'<div class="note">{e(p["note"])}</div>' if p["note"] else "")]
                    if p else ["–", "–", "–", "–"])
            rows.append([e(str(m["model"])), e(str(m["mode"]))]
                        + [_num(m["sources"].get(s), 1) for s in sources] + tail)
        parts.append(_h_table(["model", "mode"] + [SOURCE_LABEL.get(s, s) for s in sources]
                              + ["storage penalty", "max", "synthetic - Scale", "verdict"], rows, left=2))
        ratios = [m for m in ev["tf"]["models"] if m["inference_ratio"]]
        if ratios:
            lo, hi = ev["tf"]["reference_ratio"]
            parts.append(f"<h3>Inference / training</h3><p class=\"meta\">{e(ev['tf']['reference_inference'])}; "
                         "shown, not judged.</p>")
            parts.append(_h_table(
                ["model", "source", "training images/s", "inference images/s", "ratio", "reference"],
                [[e(str(m["model"])), e(SOURCE_LABEL.get(r["source"], r["source"])), _num(r["training"], 1),
                  _num(r["inference"], 1), f"<b>{r['ratio']:.2f}x</b>",
                  f"{lo}x to {hi}x" + ("" if r["within_reference"] else " (outside)")]
                 for m in ratios for r in [m["inference_ratio"]]], left=2))
        if "tf" in plots:
            parts.append('<div class="plots">' + _img(plots["tf"], "images/s per model and data source") + "</div>")
        parts.append("<h3>Per host</h3>" + _h_table(
            ["model", "mode", "source", "host", "images/s", "GPUs"],
            [[e(str(r["model"])), e(str(r["mode"])), e(SOURCE_LABEL.get(r["source"], r["source"])), e(str(h)),
              _num(x, 1), str(r["host_gpus"].get(h, "–"))]
             for r in ev["tf"]["rows"] for h, x in r["hosts"].items()], left=4))
    else:
        parts.append("<p>No TensorFlow run.</p>")
    parts.append("<p class=\"note\">Written by deploy-pod from results.json; report.json holds every figure. "
                 "How the figures are judged: docs/acceptance.md.</p></body></html>")
    return "\n".join(parts) + "\n"


# -- the whole report ---------------------------------------------------------------------------

def write_report(results_path: Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Judge results_path and write report.json ({"verdict", "summary", "evaluation", "results",
    "results_file"}), report.md, report.html and plots/*.png into out_dir (default: the results
    file's directory). Returns {"json", "md", "html", and
    "plot_scaling" / "plot_seq_vs_random" / "plot_tf" for the plots there was data for}: paths.
    ReportError when the results cannot be read or judged."""
    results_path = Path(results_path)
    results = load_results(results_path)
    try:
        ev = evaluate(results)
    except ValueError as exc:
        raise ReportError(f"{results_path}: {exc}") from exc
    out_dir = Path(out_dir) if out_dir is not None else results_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = make_plots(ev, out_dir / "plots")
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps({"verdict": ev["verdict"], "summary": summary_line(ev), "evaluation": ev,
                                         "results": results, "results_file": str(results_path)}, indent=2) + "\n")
    paths["md"].write_text(render_md(ev, plots, out_dir))
    paths["html"].write_text(render_html(ev, plots))
    paths.update({f"plot_{k}": v for k, v in plots.items()})
    return paths


__all__ = ["ReportError", "find_results", "load_results", "write_report", "render_md", "render_html",
           "make_plots", "NOT_JUDGED"]
