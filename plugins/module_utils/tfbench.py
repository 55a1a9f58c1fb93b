# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Parser for the output of TensorFlow's tf_cnn_benchmarks (tensorflow/benchmarks).

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions returning dicts.
What the benchmark prints (benchmark_cnn.py, its log_fn lines):
- a header block ``Model:       resnet50``, ``Dataset:     imagenet (synthetic)``,
  ``Mode:        training`` (or ``forward-only``, ``evaluation``), ``Batch size:  64 global``;
- ``Done warm up``, then a tab-separated header ``Step<TAB>Img/sec<TAB>total_loss`` (``loss`` in
  old versions; ``<TAB>top_1_accuracy<TAB>top_5_accuracy`` appended with --forward_only or
  --print_training_accuracy);
- every display_every steps ``N<TAB>images/sec: 52.3 +/- 0.0 (jitter = 0.0)<TAB>8.169`` (the loss
  is a fixed 0.000 with --forward_only; some versions and wrappers print no loss column);
- ``total images/sec: 51.66`` between two dashed lines.
Tabs are often turned into spaces (README copies, log collectors), and TensorFlow's own log lines
come in between.
"""

from __future__ import annotations

import re

__all__ = ["parse_tf_cnn_benchmarks"]

_STEP = re.compile(r"^\s*(?P<step>\d+)\s+images/sec:\s*(?P<ips>\d+(?:\.\d+)?)"
                   r"(?:\s*\+/-\s*\d+(?:\.\d+)?)?(?:\s*\(jitter\s*=\s*\d+(?:\.\d+)?\))?"
                   r"(?P<rest>(?:\s+-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\s+nan|\s+inf)*)\s*$")
_TOTAL = re.compile(r"^\s*total images/sec:\s*(?P<ips>\d+(?:\.\d+)?)\s*$")
_INFO = re.compile(r"^\s*(?P<key>Model|Dataset|Mode|Batch size):\s+(?P<value>\S.*?)\s*$")


def _float(text):
    try:
        return float(text)
    except ValueError:
        return None


def parse_tf_cnn_benchmarks(text):
    """tf_cnn_benchmarks output -> {"images_per_sec": float (the last 'total images/sec:' line),
    "steps": [{"step": int, "images_per_sec": float, "loss": float or None, "top_1_accuracy":
    float or None, "top_5_accuracy": float or None}], "warmup_done": bool, "model": str or None,
    "dataset": str or None, "mode": "training" | "forward-only" | "evaluation" | None,
    "batch_size": int or None (global)}.

    loss is None when the line has no loss column and in forward-only mode (the benchmark prints a
    placeholder 0.000 there). ValueError when there is no 'total images/sec:' line (the run did
    not finish), saying what the output ended with."""
    out = {"images_per_sec": None, "steps": [], "warmup_done": False, "model": None, "dataset": None,
           "mode": None, "batch_size": None}
    total = None
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _TOTAL.match(line)
        if m:
            total = float(m.group("ips"))
            continue
        if line.strip() == "Done warm up":
            out["warmup_done"] = True
            continue
        m = _STEP.match(line)
        if m:
            extra = [_float(x) for x in m.group("rest").split()]
            out["steps"].append({
                "step": int(m.group("step")),
                "images_per_sec": float(m.group("ips")),
                "loss": extra[0] if extra else None,
                "top_1_accuracy": extra[1] if len(extra) > 1 else None,
                "top_5_accuracy": extra[2] if len(extra) > 2 else None,
            })
            continue
        m = _INFO.match(line)
        if m and out[m.group("key").lower().replace(" ", "_")] is None:
            key, value = m.group("key").lower().replace(" ", "_"), m.group("value")
            if key == "batch_size":
                n = re.match(r"(\d+)", value)
                out[key] = int(n.group(1)) if n else None
            else:
                out[key] = value
    if total is None:
        tail = [line.strip() for line in text.strip().splitlines() if line.strip()][-3:]
        raise ValueError("no 'total images/sec:' line in the tf_cnn_benchmarks output (the run did not "
                         "finish?); it ended with: %s" % (" | ".join(tail) or "(nothing: the output is empty)"))
    if out["mode"] == "forward-only":
        for s in out["steps"]:
            s["loss"] = None
    out["images_per_sec"] = total
    return out
