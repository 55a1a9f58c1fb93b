"""tf_cnn_benchmarks output parser (plugins/module_utils/tfbench.py): the real training sample
(tf_cnn_benchmarks.1.txt, tabs turned into spaces by its README) and a hand-written forward-only
sample in the benchmark's own format (tf_cnn_benchmarks.2.txt, see its source line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.tfbench import parse_tf_cnn_benchmarks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def text(name: str) -> str:
    t = (FIXTURES / name).read_text()
    assert t.startswith("# source:"), f"{name} lost its source line"
    return t


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("tf_cnn_benchmarks.*.txt")))
def test_every_fixture_parses(name):
    r = parse_tf_cnn_benchmarks(text(name))
    assert r["images_per_sec"] > 0
    assert r["warmup_done"] is True
    assert r["steps"] and r["steps"][0]["step"] == 1


def test_training_sample():
    r = parse_tf_cnn_benchmarks(text("tf_cnn_benchmarks.1.txt"))
    assert r["images_per_sec"] == 51.66
    assert [s["step"] for s in r["steps"]] == [1] + list(range(10, 101, 10))
    assert r["steps"][0] == {"step": 1, "images_per_sec": 52.3, "loss": 8.169, "top_1_accuracy": None,
                             "top_5_accuracy": None}
    assert r["steps"][-1]["loss"] == 7.797
    assert r["mode"] is None and r["model"] is None  # the README cut the header block


def test_forward_only_sample():
    r = parse_tf_cnn_benchmarks(text("tf_cnn_benchmarks.2.txt"))
    assert r["images_per_sec"] == 2905.31
    assert r["mode"] == "forward-only"
    assert r["model"] == "resnet50"
    assert r["dataset"] == "imagenet (synthetic)"
    assert r["batch_size"] == 64
    # the benchmark prints a placeholder 0.000 loss in forward-only mode: not a loss
    assert all(s["loss"] is None for s in r["steps"])
    assert r["steps"][0]["top_5_accuracy"] == 0.016
    assert len(r["steps"]) == 11


def test_tabs_and_spaces_read_the_same():
    spaces = text("tf_cnn_benchmarks.1.txt")
    tabs = "\n".join(line.replace("     ", "\t", 1) if line[:1].isdigit() else line for line in spaces.splitlines())
    assert "\t" in tabs
    assert parse_tf_cnn_benchmarks(tabs) == parse_tf_cnn_benchmarks(spaces)
    assert parse_tf_cnn_benchmarks(spaces.replace("\n", "\r\n")) == parse_tf_cnn_benchmarks(spaces)


def test_no_loss_column_and_interleaved_logs():
    t = ("Done warm up\n"
         "Step\tImg/sec\n"
         "1\timages/sec: 160.2 +/- 0.0 (jitter = 0.0)\n"
         "2026-11-29 07:01:15.004311: I tensorflow/core/kernels/data/shuffle_dataset_op.cc:392] "
         "Filling up shuffle buffer\n"
         "10\timages/sec: 161.0 +/- 0.3 (jitter = 0.8)\n"
         "W1129 07:01:16.000000 140000 images/sec: is not a step line\n"
         "----------------------------------------------------------------\n"
         "total images/sec: 160.84\n"
         "----------------------------------------------------------------\n"
         "2026-11-29 07:01:20.1: I tensorflow/core/common_runtime/ shutdown\n")
    r = parse_tf_cnn_benchmarks(t)
    assert r["images_per_sec"] == 160.84
    assert [(s["step"], s["images_per_sec"], s["loss"]) for s in r["steps"]] == [(1, 160.2, None), (10, 161.0, None)]


def test_training_accuracy_columns():
    t = "Done warm up\n10\timages/sec: 99.5 +/- 0.2 (jitter = 0.4)\t7.001\t0.125\t0.500\ntotal images/sec: 99.40\n"
    s = parse_tf_cnn_benchmarks(t)["steps"][0]
    assert (s["loss"], s["top_1_accuracy"], s["top_5_accuracy"]) == (7.001, 0.125, 0.5)


def test_the_last_total_wins():
    t = "total images/sec: 10.0\nsomething else\ntotal images/sec: 12.5\n"
    r = parse_tf_cnn_benchmarks(t)
    assert r["images_per_sec"] == 12.5
    assert r["warmup_done"] is False and r["steps"] == []


def test_unfinished_run_says_how_it_ended():
    t = ("Done warm up\n1\timages/sec: 52.3 +/- 0.0 (jitter = 0.0)\t8.169\n"
         "tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor\n")
    with pytest.raises(ValueError, match=r"no 'total images/sec:' line.*ended with: .*ResourceExhaustedError: OOM"):
        parse_tf_cnn_benchmarks(t)
    with pytest.raises(ValueError, match="output is empty"):
        parse_tf_cnn_benchmarks("")
