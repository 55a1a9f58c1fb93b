"""The NGC stand-in's tf_cnn_benchmarks.py (twin/ngc-standin/): absl-style flags, the TFRecord reader
(framing CRCs, tf.train.Example decoding) fed by an independent writer below, and output in the real
script's format (tests/fixtures/tf_cnn_benchmarks.1.txt, benchmark_cnn.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "twin" / "ngc-standin" / "tf_cnn_benchmarks.py"
FIXTURE = ROOT / "tests" / "fixtures" / "tf_cnn_benchmarks.1.txt"

_spec = importlib.util.spec_from_file_location("tf_cnn_benchmarks_standin", SCRIPT)
tfb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tfb)

STEP = re.compile(r"^(\d+)\timages/sec: (\d+\.\d) \+/- (\d+\.\d) \(jitter = (\d+\.\d)\)\t(\d+\.\d{3})$")
STEP_FWD = re.compile(r"^(\d+)\timages/sec: \d+\.\d \+/- \d+\.\d \(jitter = \d+\.\d\)\t0\.000\t\d\.\d{3}\t\d\.\d{3}$")
TOTAL = re.compile(r"^total images/sec: (\d+\.\d\d)$")


# ---------------------------------------------------------------- an independent TFRecord / Example writer

def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _feature_bytes(v: bytes) -> bytes:
    return _ld(1, _ld(1, v))  # Feature.bytes_list { value }


def _feature_int64(v: int, packed: bool = True) -> bytes:
    inner = _ld(1, _varint(v)) if packed else _varint(1 << 3 | 0) + _varint(v)
    return _ld(3, inner)  # Feature.int64_list


def example(image: bytes, height: int, width: int, label: int, fmt: bytes = b"RAW", packed: bool = True) -> bytes:
    feats = {"image/encoded": _feature_bytes(image), "image/format": _feature_bytes(fmt),
             "image/height": _feature_int64(height, packed), "image/width": _feature_int64(width, packed),
             "image/class/label": _feature_int64(label, packed)}
    entries = b"".join(_ld(1, _ld(1, k.encode()) + _ld(2, v)) for k, v in feats.items())
    return _ld(1, entries)  # Example.features { feature map entries }


def record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", _masked(_crc32c(length))) + data + struct.pack("<I", _masked(_crc32c(data)))


def write_dataset(directory: Path, shards: int = 2, per_shard: int = 8, side: int = 32, fmt: bytes = b"RAW") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for s in range(shards):
        with open(directory / f"train-{s:05d}-of-{shards:05d}", "wb") as f:
            for _ in range(per_shard):
                img = bytes((n * 7 + i) % 256 for i in range(side * side * 3)) if fmt == b"RAW" else b"\xff\xd8" * 99
                f.write(record(example(img, side, side, 1 + n % 1000, fmt, packed=n % 2 == 0)))
                n += 1
    return directory


@pytest.fixture()
def gpus(tmp_path, monkeypatch):
    """What the twin's nvidia-container-runtime-hook writes into a container given one GPU."""
    hw = tmp_path / "hardware.json"
    hw.write_text(json.dumps({"host": "dgx01", "gpus": [{"index": 0, "model": "Tesla V100-SXM2-32GB"}]}))
    monkeypatch.setattr(tfb, "CONTAINER_HW", str(hw))
    return hw


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = tfb.main(["tf_cnn_benchmarks.py", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


# ---------------------------------------------------------------- flags

def test_flags_in_every_absl_form():
    values, pos = tfb.parse_flags(["--model=resnet152", "--batch_size", "16", "-num_batches=3", "--forward_only",
                                   "--noxla", "--use_fp16=true", "--data_format", "NHWC", "--device=CPU"])
    assert pos == []
    assert values["model"] == "resnet152" and values["batch_size"] == 16 and values["num_batches"] == 3
    assert values["forward_only"] is True and values["xla"] is False and values["use_fp16"] is True
    assert values["data_format"] == "NHWC" and values["device"] == "CPU"
    assert values["variable_update"] == "parameter_server" and values["display_every"] == 10
    assert tfb.parse_flags(["--noforward_only"])[0]["forward_only"] is False


@pytest.mark.parametrize("args, message", [
    (["--bogus=1"], "FATAL Flags parsing error: Unknown command line flag 'bogus'"),
    (["--nobatch_size"], "Unknown command line flag 'nobatch_size'"),
    (["--batch_size=abc"], "flag --batch_size=abc: invalid literal for int() with base 10: 'abc'"),
    (["--data_format=NCWH"], "flag --data_format=NCWH: value should be one of <NHWC|NCHW>"),
    (["--variable_update=magic"], "value should be one of <parameter_server|replicated"),
    (["--forward_only=maybe"], "flag --forward_only=maybe: Non-boolean argument to boolean flag"),
    (["--batch_size"], "Missing value for flag --batch_size"),
])
def test_bad_flags_fail_as_absl(capsys, args, message):
    rc, out, err = run(capsys, *args)
    assert rc == 1 and out == ""
    assert message in err


def test_positional_arguments_and_bad_values_are_refused(capsys, gpus):
    rc, _, err = run(capsys, "--model=resnet50", "False")
    assert rc == 1 and "Received unknown positional arguments: ['False']" in err
    rc, _, err = run(capsys, "--model=resnet9000", "--num_batches=1")
    assert rc == 1 and "Invalid model name 'resnet9000' for dataset 'imagenet'" in err


def test_the_script_fails_like_absl_as_a_process():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--x=1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == "FATAL Flags parsing error: Unknown command line flag 'x'"


# ---------------------------------------------------------------- CRC-32C and TFRecord framing

def test_crc32c_matches_the_reference_vectors():
    assert tfb.crc32c(b"123456789") == 0xE3069283
    assert tfb.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4
    assert tfb.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert tfb.crc32c(bytes(range(32))) == 0x46DD794E
    bufs = [bytes((i * 31 + j) % 256 for j in range(n)) for i, n in enumerate((0, 1, 63, 64, 65, 200, 3100))]
    assert tfb.crc32c_many(bufs) == [_crc32c(b) for b in bufs]
    assert tfb.masked_crc(0x12345678) == _masked(0x12345678)


def test_examples_decode_packed_and_unpacked(tmp_path):
    img = bytes(range(12))
    for packed in (True, False):
        feats = tfb.parse_example(example(img, 2, 2, 417, packed=packed))
        assert feats["image/encoded"] == [img] and feats["image/format"] == [b"RAW"]
        assert feats["image/height"] == [2] and feats["image/width"] == [2] and feats["image/class/label"] == [417]
    assert tfb.parse_feature(_feature_int64(-1)) == [-1]


def test_a_corrupted_record_fails_with_data_loss(tmp_path, capsys, gpus):
    data = write_dataset(tmp_path / "imagenet")
    shard = data / "train-00001-of-00002"
    raw = bytearray(shard.read_bytes())
    first = len(record(example(b"\0" * 3072, 32, 32, 1)))
    raw[first + 100] ^= 0x01  # a byte of the second record's data
    shard.write_bytes(bytes(raw))
    rc, _, err = run(capsys, f"--data_dir={data}", "--data_name=imagenet", "--batch_size=4", "--num_batches=6",
                     "--num_warmup_batches=0")
    assert rc == 1
    assert f"DataLossError: corrupted record at {first} in {shard} (data CRC" in err


def test_a_corrupted_length_and_a_truncated_file_fail(tmp_path, capsys, gpus):
    data = write_dataset(tmp_path / "a", shards=1, per_shard=2)
    shard = data / "train-00000-of-00001"
    raw = bytearray(shard.read_bytes())
    raw[9] ^= 0xFF  # the first record's length CRC
    shard.write_bytes(bytes(raw))
    rc, _, err = run(capsys, f"--data_dir={data}", "--data_name=imagenet", "--num_batches=1")
    assert rc == 1 and "corrupted record at 0 in" in err and "length CRC" in err
    data = write_dataset(tmp_path / "b", shards=1, per_shard=2)
    shard = data / "train-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[:-10])
    rc, _, err = run(capsys, f"--data_dir={data}", "--data_name=imagenet", "--batch_size=2", "--num_batches=1")
    assert rc == 1 and "DataLossError: truncated record at" in err


def test_data_dir_errors_as_the_real_script(tmp_path, capsys, gpus):
    rc, _, err = run(capsys, f"--data_dir={tmp_path}", "--data_name=imagenet")
    assert rc == 1 and f"Found no files in --data_dir matching: {tmp_path}/train-*-of-*" in err
    rc, _, err = run(capsys, f"--data_dir={tmp_path}")
    assert rc == 1 and "Could not identify name of dataset" in err


# ---------------------------------------------------------------- output

def _lines(out: str) -> list[str]:
    return out.splitlines()


def test_training_output_has_the_real_format(tmp_path, capsys, gpus):
    data = write_dataset(tmp_path / "tfrecords")
    rc, out, err = run(capsys, f"--data_dir={data}", "--data_name=imagenet", "--model=resnet50", "--batch_size=4",
                       "--num_batches=20", "--num_gpus=1", "--display_every=10")
    assert rc == 0, err
    lines = _lines(out)
    assert lines[0] == "TensorFlow:  2.15" and lines[1] == "Model:       resnet50"
    assert "Dataset:     imagenet" in lines and "Mode:        training" in lines
    assert "Batch size:  4 global" in lines and "             4 per device" in lines
    assert "Devices:     ['/gpu:0']" in lines
    assert lines[lines.index("==========") - 1] == "Variables:   parameter_server"
    i = lines.index("Done warm up")
    assert lines[i - 1] == "Running warm up" and lines[i + 1] == "Step\tImg/sec\ttotal_loss"
    steps = [STEP.match(x) for x in lines[i + 2:i + 5]]
    assert all(steps), lines[i + 2:i + 5]
    assert [int(m.group(1)) for m in steps] == [1, 10, 20]
    assert lines[i + 5] == "-" * 64 and TOTAL.match(lines[i + 6]) and lines[i + 7] == "-" * 64
    assert lines[-1] == "-" * 64
    assert float(TOTAL.match(lines[i + 6]).group(1)) > 0


def test_the_fixture_and_the_stand_in_agree_line_by_line(capsys, gpus):
    """The real capture (tabs became spaces in its README) and ours, from 'Done warm up' on."""
    real = [x for x in FIXTURE.read_text().splitlines() if not x.startswith("#")]
    rc, out, _ = run(capsys, "--model=resnet50", "--batch_size=2", "--num_batches=20")
    ours = _lines(out)[_lines(out).index("Done warm up"):]
    assert rc == 0 and len(ours) == 8
    norm = [re.sub(r"\s+", " ", x) for x in ours]
    for mine, theirs in ((norm[0], real[0]), (norm[1], re.sub(r"\s+", " ", real[1])), (norm[-3], real[-3]),
                         (norm[-1], real[-1])):
        assert mine == theirs
    shape = re.compile(r"^\d+ images/sec: \d+\.\d \+/- \d+\.\d \(jitter = \d+\.\d\) \d+\.\d{3}$")
    assert all(shape.match(re.sub(r"\s+", " ", x)) for x in real[2:-3])
    assert all(shape.match(x) for x in norm[2:-3])
    assert re.sub(r"[0-9.]+$", "N", norm[-2]) == re.sub(r"[0-9.]+$", "N", real[-2])


def test_forward_only_reports_accuracy_columns(capsys, gpus):
    rc, out, _ = run(capsys, "--model=resnet50", "--batch_size=2", "--num_batches=10", "--forward_only")
    lines = _lines(out)
    assert rc == 0 and "Mode:        forward-only" in lines
    i = lines.index("Done warm up")
    assert lines[i + 1] == "Step\tImg/sec\ttotal_loss\ttop_1_accuracy\ttop_5_accuracy"
    assert STEP_FWD.match(lines[i + 2]) and STEP_FWD.match(lines[i + 3])


def test_jpeg_images_use_their_length_and_say_so_once(tmp_path, capsys, gpus):
    data = write_dataset(tmp_path / "imagenet-jpeg", fmt=b"JPEG")
    rc, out, err = run(capsys, f"--data_dir={data}", "--batch_size=4", "--num_batches=5")
    assert rc == 0 and "Dataset:     imagenet" in out
    assert err.count("cannot decode JPEG images") == 1


def test_without_a_gpu_it_fails_as_tensorflow(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tfb, "CONTAINER_HW", str(tmp_path / "none.json"))
    rc, _, err = run(capsys, "--model=resnet50", "--num_batches=1")
    assert rc == 1 and "InvalidArgumentError: Cannot assign a device" in err and "/device:GPU:0" in err
    rc, out, _ = run(capsys, "--model=resnet50", "--batch_size=2", "--num_batches=1", "--device=cpu")
    assert rc == 0 and "Devices:     ['/cpu:0']" in out


def test_num_gpus_needs_as_many_visible_gpus(capsys, gpus):
    rc, _, err = run(capsys, "--num_gpus=2", "--num_batches=1")
    assert rc == 1 and "/device:GPU:1" in err and "device:GPU:0 ]" in err


def test_bigger_models_cost_more():
    cost = {m: tfb.hidden_units(m) for m in tfb.MODELS}
    assert cost["resnet152"] > 2 * cost["resnet50"] > cost["resnet50"] > cost["googlenet"] > cost["trivial"]
    assert cost["vgg16"] > cost["inception4"] > cost["inception3"] > cost["resnet50"]


def test_a_run_of_twenty_batches_is_quick(gpus, capsys):
    t0 = time.monotonic()
    rc, out, _ = run(capsys, "--model=resnet50", "--batch_size=16", "--num_batches=20")
    assert rc == 0 and TOTAL.match(_lines(out)[-2])
    assert time.monotonic() - t0 < 10
