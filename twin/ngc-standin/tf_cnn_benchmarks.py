#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to tf_cnn_benchmarks)
"""deploy-pod twin: a stand-in for tensorflow/benchmarks' scripts/tf_cnn_benchmarks/tf_cnn_benchmarks.py.

It lives in the twin's NGC stand-in image (twin/ngc-standin/) at the path the real script has in a
benchmarks checkout, so the acceptance phase runs against the twin exactly as on a DGX. There is
no TensorFlow and no GPU: it trains (or, with --forward_only, runs inference with) a tiny numpy
network on the CPU, over real input when --data_dir is given, and prints what the real script
prints (benchmark_cnn.py: print_info, the warm-up lines, the step lines of benchmark_one_step and
`total images/sec`), so whatever parses the real output parses this one.

- Flags as absl parses them: --flag=value, --flag value, --flag / --noflag for booleans, one or
  two dashes; an unknown flag, a bad value or a positional argument fails as the real script
  does ("FATAL Flags parsing error: ...", exit 1). Only the flags below exist here.
- Without --data_dir: synthetic data. With it: the ImageNet layout (`train-*-of-*` TFRecord files,
  tf.train.Example records with image/encoded, image/format, image/height, image/width,
  image/class/label). Every record's framing CRCs (masked CRC-32C) are checked; a bad one fails
  with DataLossError as TensorFlow's record reader does. RAW images are uint8 HxWx3 pixels; a
  JPEG cannot be decoded here, so only its length is used (said once on stderr).
- The network's size follows --model (resnet152 costs about three times resnet50, as the real
  models' FLOPs), so the models keep their order of speed.
- GPUs: with the default --device=gpu it needs as many GPUs as --num_gpus, and it sees only those
  the container runtime gave it (the twin's nvidia-container-runtime-hook writes them to
  /etc/deploy-pod-twin/hardware.json in the container); without, it fails as TensorFlow does
  when a node is placed on a GPU that is not there.
Python 3 and numpy only.
"""

import glob
import json
import os
import struct
import sys
import time

import numpy as np

TF_VERSION = "2.15"  # what NGC's 24.03-tf2 image carries
CONTAINER_HW = "/etc/deploy-pod-twin/hardware.json"
DEFAULT_NUM_BATCHES = 100
IMAGENET_TRAIN_EXAMPLES = 1281167
NUM_CLASSES = 1001  # ImageNet labels 1..1000, 0 = background
FEATURE_SIDE = 16  # every image is sampled down to 16x16x3 features
BASE_HIDDEN = 384  # hidden width of the "resnet50" network

# name: (printed name, default batch size, relative cost ~ the real model's FLOPs per image)
MODELS = {
    "resnet50": ("resnet50", 64, 1.0),
    "resnet152": ("resnet152", 32, 2.8),
    "inception3": ("inception3", 32, 1.4),
    "inception4": ("inception4", 32, 3.0),
    "alexnet": ("alexnet", 512, 0.2),
    "googlenet": ("googlenet", 32, 0.4),
    "vgg16": ("vgg16", 64, 3.8),
    "lenet": ("lenet5", 32, 0.05),
    "trivial": ("trivial", 32, 0.02),
}
DATASETS = ("imagenet",)
SUPPORTED_DATASETS = ("imagenet", "cifar10", "librispeech", "coco")

# name: (type, default, enum values); booleans take --name / --noname / --name=true|false
FLAGS = {
    "model": ("string", "trivial", None),
    "batch_size": ("integer", 0, None),
    "num_batches": ("integer", None, None),
    "num_warmup_batches": ("integer", None, None),
    "num_gpus": ("integer", 1, None),
    "data_dir": ("string", None, None),
    "data_name": ("string", None, None),
    "forward_only": ("boolean", False, None),
    "variable_update": ("enum", "parameter_server",
                        ("parameter_server", "replicated", "distributed_replicated", "independent",
                         "distributed_all_reduce", "collective_all_reduce", "horovod")),
    "use_fp16": ("boolean", False, None),
    "xla": ("boolean", False, None),
    "display_every": ("integer", 10, None),
    "data_format": ("enum", "NCHW", ("NHWC", "NCHW")),
    "device": ("enum", "gpu", ("cpu", "gpu", "CPU", "GPU")),
}


class FlagsError(Exception):
    pass


class DataLossError(Exception):
    pass


def log_fn(msg: str) -> None:
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- flags (as absl)

def _convert(name: str, kind: str, enum, text: str):
    if kind == "integer":
        try:
            return int(text, 0) if text.strip().lower().startswith(("0x", "0o", "0b")) else int(text)
        except ValueError:
            raise FlagsError("flag --%s=%s: invalid literal for int() with base 10: %r" % (name, text, text)) from None
    if kind == "enum":
        if text not in enum:
            raise FlagsError("flag --%s=%s: value should be one of <%s>" % (name, text, "|".join(enum)))
        return text
    if kind == "boolean":
        low = text.lower()
        if low in ("true", "t", "1"):
            return True
        if low in ("false", "f", "0"):
            return False
        raise FlagsError("flag --%s=%s: Non-boolean argument to boolean flag" % (name, text))
    return text


def parse_flags(argv: list[str]) -> tuple[dict, list[str]]:
    """absl.flags: returns (values, positional arguments); raises FlagsError like absl."""
    values = {name: spec[1] for name, spec in FLAGS.items()}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            positional += argv[i:]
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        body = arg[2:] if arg.startswith("--") else arg[1:]
        name, eq, value = body.partition("=")
        if name in FLAGS:
            kind, _, enum = FLAGS[name]
            if not eq:
                if kind == "boolean":
                    values[name] = True
                    continue
                if i >= len(argv):
                    raise FlagsError("Missing value for flag %s" % arg)
                value = argv[i]
                i += 1
            values[name] = _convert(name, kind, enum, value)
        elif name.startswith("no") and name[2:] in FLAGS and FLAGS[name[2:]][0] == "boolean" and not eq:
            values[name[2:]] = False
        else:
            raise FlagsError("Unknown command line flag '%s'" % name)
    return values, positional


# ---------------------------------------------------------------- CRC-32C and TFRecord framing

def _crc_table() -> np.ndarray:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = np.zeros(256, dtype=np.uint32)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table[n] = c
    return table


CRC_TABLE = _crc_table()
_CRC_LIST = [int(x) for x in CRC_TABLE]
CHUNK = 64  # bytes per vectorised chunk


def _shift_tables(chunk: int) -> list[list[int]]:
    """The CRC register after `chunk` zero bytes, as four byte tables (the shift is linear)."""
    states = np.array([v << (8 * k) for k in range(4) for v in range(256)], dtype=np.uint32)
    for _ in range(chunk):
        states = (states >> np.uint32(8)) ^ CRC_TABLE[states & np.uint32(0xFF)]
    flat = [int(x) for x in states]
    return [flat[k * 256:(k + 1) * 256] for k in range(4)]


_SHIFT = _shift_tables(CHUNK)


def _crc_update(state: int, data: bytes) -> int:
    t = _CRC_LIST
    for b in data:
        state = (state >> 8) ^ t[(state ^ b) & 0xFF]
    return state


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of one buffer."""
    return crc32c_many([data])[0]


def crc32c_many(bufs: list[bytes]) -> list[int]:
    """CRC-32C of many buffers at once: every buffer is cut into 64-byte chunks, the chunks' CRCs
    (from a zero register) are computed together with numpy, one byte column at a time, and
    folded per buffer with the zero-shift tables (CRC is linear in register and data)."""
    full = [len(b) - len(b) % CHUNK for b in bufs]
    joined = b"".join(b[:n] for b, n in zip(bufs, full, strict=True))
    if joined:
        cols = np.frombuffer(joined, dtype=np.uint8).reshape(-1, CHUNK).T.copy()
        raw = np.zeros(cols.shape[1], dtype=np.uint32)
        for col in cols:
            raw = (raw >> np.uint32(8)) ^ CRC_TABLE[(raw ^ col) & np.uint32(0xFF)]
        chunk_crcs = raw.tolist()
    else:
        chunk_crcs = []
    s0, s1, s2, s3 = _SHIFT
    out, pos = [], 0
    for b, n in zip(bufs, full, strict=True):
        state = 0xFFFFFFFF
        for r in chunk_crcs[pos:pos + n // CHUNK]:
            state = s0[state & 0xFF] ^ s1[(state >> 8) & 0xFF] ^ s2[(state >> 16) & 0xFF] ^ s3[state >> 24] ^ r
        pos += n // CHUNK
        state = _crc_update(state, b[n:])
        out.append(state ^ 0xFFFFFFFF)
    return out


def masked_crc(crc: int) -> int:
    """TFRecord's mask: rotate right by 15 bits and add a constant (tensorflow/core/lib/hash/crc32c.h)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_frames(f, path: str, count: int) -> list[tuple[int, bytes, int, bytes, int]]:
    """Up to `count` raw records from the current position: (offset, length bytes, length crc,
    data, data crc). A short read inside a record is a truncated record."""
    out = []
    for _ in range(count):
        offset = f.tell()
        head = f.read(12)
        if not head:
            break
        if len(head) < 12:
            raise DataLossError("truncated record at %d in %s" % (offset, path))
        (length,), (len_crc,) = struct.unpack("<Q", head[:8]), struct.unpack("<I", head[8:])
        data = f.read(length)
        foot = f.read(4)
        if len(data) < length or len(foot) < 4:
            raise DataLossError("truncated record at %d in %s" % (offset, path))
        out.append((offset, head[:8], len_crc, data, struct.unpack("<I", foot)[0]))
    return out


def check_frames(frames, paths: list[str]) -> list[bytes]:
    """Verify both CRCs of every record (TensorFlow: DataLossError 'corrupted record at N')."""
    crcs = crc32c_many([fr[1] for fr in frames] + [fr[3] for fr in frames])
    n = len(frames)
    for i, ((offset, _, len_crc, _, data_crc), path) in enumerate(zip(frames, paths, strict=True)):
        if masked_crc(crcs[i]) != len_crc:
            raise DataLossError("corrupted record at %d in %s (length CRC 0x%08x, expected 0x%08x)"
                                % (offset, path, len_crc, masked_crc(crcs[i])))
        if masked_crc(crcs[n + i]) != data_crc:
            raise DataLossError("corrupted record at %d in %s (data CRC 0x%08x, expected 0x%08x)"
                                % (offset, path, data_crc, masked_crc(crcs[n + i])))
    return [fr[3] for fr in frames]


# ---------------------------------------------------------------- tf.train.Example (protobuf wire format)

def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: bytes):
    """(field number, wire type, value) of one message: ints for varint/fixed, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ValueError("truncated length-delimited field")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        if pos > len(buf):
            raise ValueError("truncated field")
        yield num, wire, value


def _int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def parse_feature(buf: bytes):
    """Feature: bytes_list (1), float_list (2), int64_list (3) -> list of values."""
    for num, _, value in _fields(buf):
        if num == 1:
            return [v for n, w, v in _fields(value) if n == 1 and w == 2]
        if num == 2:
            out = []
            for n, w, v in _fields(value):
                if n == 1 and w == 2:
                    out += list(struct.unpack("<%df" % (len(v) // 4), v))
                elif n == 1 and w == 5:
                    out.append(struct.unpack("<f", struct.pack("<I", v))[0])
            return out
        if num == 3:
            out = []
            for n, w, v in _fields(value):
                if n == 1 and w == 2:  # packed
                    p = 0
                    while p < len(v):
                        x, p = _varint(v, p)
                        out.append(_int64(x))
                elif n == 1 and w == 0:
                    out.append(_int64(v))
            return out
    return []


def parse_example(buf: bytes) -> dict:
    """tf.train.Example -> {feature name: list of values}."""
    features = {}
    for num, wire, value in _fields(buf):
        if num != 1 or wire != 2:
            continue
        for fnum, fwire, entry in _fields(value):
            if fnum != 1 or fwire != 2:
                continue
            key, feat = None, b""
            for enum_, ewire, ev in _fields(entry):
                if enum_ == 1 and ewire == 2:
                    key = ev.decode("utf-8")
                elif enum_ == 2 and ewire == 2:
                    feat = ev
            if key is not None:
                features[key] = parse_feature(feat)
    return features


# ---------------------------------------------------------------- input

_SIDE_IDX = np.arange(FEATURE_SIDE)


def image_features(example: dict, where: str, warned: list) -> tuple[np.ndarray, int]:
    """(16x16x3 features in [0, 1], label) of one Example."""
    try:
        encoded = example["image/encoded"][0]
        height = int(example["image/height"][0])
        width = int(example["image/width"][0])
        label = int(example["image/class/label"][0])
    except (KeyError, IndexError) as exc:
        raise DataLossError("%s: the Example lacks feature %s" % (where, exc)) from None
    fmt = (example.get("image/format") or [b"JPEG"])[0]
    if fmt == b"RAW":
        if height <= 0 or width <= 0 or len(encoded) != height * width * 3:
            raise DataLossError("%s: RAW image/encoded has %d bytes, %dx%dx3 needs %d"
                                % (where, len(encoded), height, width, max(height, 0) * max(width, 0) * 3))
        pixels = np.frombuffer(encoded, dtype=np.uint8).reshape(height, width, 3)
        rows = (_SIDE_IDX * height) // FEATURE_SIDE
        cols = (_SIDE_IDX * width) // FEATURE_SIDE
        feats = pixels[rows][:, cols].astype(np.float32).reshape(-1) / 255.0
    else:
        if not warned:
            sys.stderr.write("tf_cnn_benchmarks (deploy-pod twin stand-in): cannot decode %s images; "
                             "using only their length\n" % fmt.decode("ascii", "replace"))
            warned.append(True)
        rng = np.random.default_rng(len(encoded))
        feats = rng.random(FEATURE_SIDE * FEATURE_SIDE * 3, dtype=np.float32)
    return feats, label % NUM_CLASSES


class RecordInput:
    """Batches from train-*-of-* in file order, cycling: framing CRCs checked, Examples decoded."""

    def __init__(self, data_dir: str):
        self.pattern = os.path.join(data_dir, "train-*-of-*")
        self.files = sorted(glob.glob(self.pattern))
        if not self.files:
            raise ValueError("Found no files in --data_dir matching: %s" % self.pattern)
        self.index = -1
        self.f = None
        self.path = ""
        self.warned: list = []
        self.empty_pass = 0

    def _next_file(self) -> None:
        if self.f:
            self.f.close()
        self.index = (self.index + 1) % len(self.files)
        self.path = self.files[self.index]
        self.f = open(self.path, "rb")  # noqa: SIM115 - kept open across batches

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        frames: list = []
        paths: list = []
        while len(frames) < size:
            if self.f is None:
                self._next_file()
            got = read_frames(self.f, self.path, size - len(frames))
            frames += got
            paths += [self.path] * len(got)
            self.empty_pass = 0 if got else self.empty_pass + 1
            if len(frames) < size:  # this file is done: the next one (cycling, as an epoch restarts)
                if self.empty_pass > len(self.files):
                    raise DataLossError("no records in %s" % self.pattern)
                self._next_file()
        records = check_frames(frames, paths)
        feats, labels = [], []
        for fr, rec, p in zip(frames, records, paths, strict=True):
            where = "record at %d in %s" % (fr[0], p)
            try:
                example = parse_example(rec)
            except (ValueError, UnicodeDecodeError, struct.error) as exc:
                raise DataLossError("%s: not a tf.train.Example: %s" % (where, exc)) from None
            x, y = image_features(example, where, self.warned)
            feats.append(x)
            labels.append(y)
        return np.stack(feats), np.array(labels, dtype=np.int64)


class SyntheticInput:
    """As the real synthetic input: one random batch, made once and fed every step."""

    def __init__(self, size: int):
        rng = np.random.default_rng(1234)
        self.x = rng.random((size, FEATURE_SIDE * FEATURE_SIDE * 3), dtype=np.float32)
        self.y = rng.integers(1, NUM_CLASSES, size=size)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        return self.x[:size], self.y[:size]


# ---------------------------------------------------------------- the network

class Net:
    """features -> hidden (ReLU) -> 1001 logits; softmax cross-entropy, L2, plain SGD."""

    def __init__(self, hidden: int, seed: int = 4321):
        rng = np.random.default_rng(seed)
        n_in = FEATURE_SIDE * FEATURE_SIDE * 3
        self.w1 = (rng.standard_normal((n_in, hidden)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        self.b1 = np.zeros(hidden, dtype=np.float32)
        self.w2 = (rng.standard_normal((hidden, NUM_CLASSES)) * np.sqrt(1.0 / hidden)).astype(np.float32)
        self.b2 = np.zeros(NUM_CLASSES, dtype=np.float32)
        self.lr, self.weight_decay = 0.005, 1e-4

    def step(self, x: np.ndarray, y: np.ndarray, train: bool) -> tuple[float, float, float]:
        """One step: (total loss, top-1 accuracy, top-5 accuracy)."""
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        logits = h @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        prob = exp / exp.sum(axis=1, keepdims=True)
        n = x.shape[0]
        rows = np.arange(n)
        ce = float(-np.log(prob[rows, y] + 1e-12).mean())
        l2 = 0.5 * self.weight_decay * float((self.w1 * self.w1).sum() + (self.w2 * self.w2).sum())
        top5 = np.argpartition(-prob, 5, axis=1)[:, :5]
        top1 = float((prob.argmax(axis=1) == y).mean())
        top5_acc = float((top5 == y[:, None]).any(axis=1).mean())
        if train:
            d_logits = prob
            d_logits[rows, y] -= 1.0
            d_logits /= n
            d_w2 = h.T @ d_logits + self.weight_decay * self.w2
            d_h = (d_logits @ self.w2.T) * (h > 0)
            d_w1 = x.T @ d_h + self.weight_decay * self.w1
            self.w2 -= self.lr * d_w2
            self.b2 -= self.lr * d_logits.sum(axis=0)
            self.w1 -= self.lr * d_w1
            self.b1 -= self.lr * d_h.sum(axis=0)
        return ce + l2, top1, top5_acc


# ---------------------------------------------------------------- the benchmark

def hidden_units(model: str) -> int:
    """Width of the hidden layer: the cost of a step grows with it, in the real models' proportions."""
    return max(4, int(round(BASE_HIDDEN * MODELS[model][2])))


def get_perf_timing(batch_size: int, step_train_times: list[float]) -> tuple[float, float, float]:
    times = np.array(step_train_times)
    speeds = batch_size / times
    speed_mean = batch_size / np.mean(times)
    speed_uncertainty = np.std(speeds) / np.sqrt(float(len(speeds)))
    speed_jitter = 1.4826 * np.median(np.abs(speeds - np.median(speeds)))
    return float(speed_mean), float(speed_uncertainty), float(speed_jitter)


def visible_gpus() -> list[dict]:
    """The GPUs the container runtime gave this container (none without --gpus)."""
    try:
        with open(CONTAINER_HW, encoding="utf-8") as f:
            hw = json.load(f)
    except (OSError, ValueError):
        return []
    return [g for g in hw.get("gpus") or [] if g.get("present", True)]


class UsageError(Exception):
    pass


def run(values: dict) -> int:
    model = values["model"]
    data_dir, data_name = values["data_dir"], values["data_name"]
    if not data_dir and not data_name:
        data_name = "imagenet"
    if data_name is None:
        data_name = next((n for n in SUPPORTED_DATASETS if n in data_dir), None)
        if data_name is None:
            raise UsageError("Could not identify name of dataset. Please specify with --data_name option.")
    if data_name not in SUPPORTED_DATASETS:
        raise UsageError("Unknown dataset. Must be one of %s" % ", ".join(sorted(SUPPORTED_DATASETS)))
    if data_name not in DATASETS:
        raise UsageError("deploy-pod twin stand-in: dataset '%s' is not emulated (imagenet only)" % data_name)
    if model not in MODELS:
        raise UsageError("Invalid model name '%s' for dataset '%s'" % (model, data_name))
    name, default_batch, cost = MODELS[model]
    device = values["device"].lower()
    num_gpus = values["num_gpus"]
    if num_gpus < 1:
        raise UsageError("Invalid --num_gpus: %d" % num_gpus)
    if device == "gpu":
        gpus = visible_gpus()
        if len(gpus) < num_gpus:
            raise UsageError(
                "tensorflow.python.framework.errors_impl.InvalidArgumentError: Cannot assign a device for "
                "operation tower_%d/v/cg/affine0/weights/Initializer/random_uniform/shape: node was explicitly "
                "assigned to /device:GPU:%d but available devices are "
                "[ /job:localhost/replica:0/task:0/device:CPU:0%s ]. "
                "Make sure the device specification refers to a valid device."
                % (len(gpus), len(gpus), "".join(", /job:localhost/replica:0/task:0/device:GPU:%d" % i
                                                  for i in range(len(gpus)))))
    per_device = values["batch_size"] or default_batch
    if per_device < 0:
        raise UsageError("Invalid --batch_size: %d" % per_device)
    batch = per_device * num_gpus
    num_batches = values["num_batches"] or DEFAULT_NUM_BATCHES
    warmup = values["num_warmup_batches"] if values["num_warmup_batches"] is not None else 10
    display_every = values["display_every"]
    forward_only = values["forward_only"]
    devices = ["/%s:%d" % (device, i) for i in range(num_gpus)]

    source = RecordInput(data_dir) if data_dir else SyntheticInput(batch)
    log_fn("TensorFlow:  %s" % TF_VERSION)
    log_fn("Model:       %s" % name)
    log_fn("Dataset:     %s" % (data_name if data_dir else data_name + " (synthetic)"))
    log_fn("Mode:        %s" % ("forward-only" if forward_only else "training"))
    log_fn("SingleSess:  %s" % (values["variable_update"] == "distributed_all_reduce"))
    log_fn("Batch size:  %s global" % batch)
    log_fn("             %s per device" % per_device)
    log_fn("Num batches: %d" % num_batches)
    log_fn("Num epochs:  %.2f" % (num_batches * batch / IMAGENET_TRAIN_EXAMPLES))
    log_fn("Devices:     %s" % devices)
    log_fn("NUMA bind:   False")
    log_fn("Data format: %s" % values["data_format"])
    log_fn("Optimizer:   sgd")
    log_fn("Variables:   %s" % values["variable_update"])
    if values["variable_update"] in ("replicated", "distributed_all_reduce", "collective_all_reduce"):
        log_fn("AllReduce:   None")
    log_fn("==========")
    log_fn("Generating training model")
    net = Net(hidden_units(model))
    log_fn("Initializing graph")
    log_fn("Running warm up")
    step_train_times: list[float] = []
    local_step = -warmup
    loop_start = time.perf_counter()
    while local_step < num_batches:
        if local_step == 0:
            log_fn("Done warm up")
            header = "Step\tImg/sec\ttotal_loss"
            if forward_only:
                header += "\ttop_1_accuracy\ttop_5_accuracy"
            log_fn(header)
            step_train_times = []
            loop_start = time.perf_counter()
        start = time.perf_counter()
        x, y = source.batch(batch)
        loss, top1, top5 = net.step(x, y, train=not forward_only)
        step_train_times.append(time.perf_counter() - start)
        if local_step >= 0 and (local_step == 0 or (local_step + 1) % display_every == 0):
            mean, unc, jitter = get_perf_timing(batch, step_train_times)
            line = "%i\t%s\t%.*f" % (local_step + 1, "images/sec: %.1f +/- %.1f (jitter = %.1f)" % (mean, unc, jitter),
                                     3, 0.0 if forward_only else loss)
            if forward_only:
                line += "\t%.*f\t%.*f" % (3, top1, 3, top5)
            log_fn(line)
        local_step += 1
    elapsed = time.perf_counter() - loop_start
    log_fn("-" * 64)
    log_fn("total images/sec: %.2f" % (num_batches * batch / elapsed))
    log_fn("-" * 64)
    return 0


def main(argv: list[str]) -> int:
    try:
        values, positional = parse_flags(argv[1:])
    except FlagsError as exc:
        sys.stderr.write("FATAL Flags parsing error: %s\n" % exc)
        sys.stderr.write("Pass --helpshort or --helpfull to see help on flags.\n")
        return 1
    if positional:
        sys.stderr.write("ValueError: Received unknown positional arguments: %s\n" % positional)
        return 1
    if values["display_every"] == 0:  # the real script divides by it
        sys.stderr.write("ZeroDivisionError: integer modulo by zero\n")
        return 1
    try:
        return run(values)
    except UsageError as exc:
        msg = str(exc)
        sys.stderr.write(msg + "\n" if msg.startswith("tensorflow.") else "ValueError: %s\n" % msg)
        return 1
    except ValueError as exc:
        sys.stderr.write("ValueError: %s\n" % exc)
        return 1
    except DataLossError as exc:
        sys.stderr.write("tensorflow.python.framework.errors_impl.DataLossError: %s\n" % exc)
        return 1
    except OSError as exc:
        sys.stderr.write("tensorflow.python.framework.errors_impl.NotFoundError: %s\n" % exc)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
