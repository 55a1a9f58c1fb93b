#!/usr/bin/env python3
"""Write a synthetic image data set in the ImageNet TFRecord layout tf_cnn_benchmarks reads
(--data_name=imagenet: shards train-NNNNN-of-NNNNN of tf.train.Example records with
image/encoded, image/format, image/height, image/width, image/class/label).

Run inside the NGC TensorFlow container by the acceptance role when the pod has no data set of
its own. With TensorFlow importable the images are real JPEGs written by tf.io; otherwise (a
Python without TensorFlow) they are raw RGB pixels with image/format RAW, written by the pure
Python TFRecord writer below. Shards are written beside their final name and renamed, so an
interrupted run never leaves a shard that looks complete."""

import argparse
import os
import random
import struct

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(field, payload):  # length-delimited protobuf field
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def example(features):
    """tf.train.Example: Features{map<string, Feature>}; Feature: bytes_list=1, int64_list=3."""
    entries = b""
    for key, value in sorted(features.items()):
        if isinstance(value, bytes):
            feature = _ld(1, _ld(1, value))
        else:
            feature = _ld(3, _ld(1, b"".join(_varint(v) for v in [value])))
        entries += _ld(1, _ld(1, key.encode()) + _ld(2, feature))
    return _ld(1, entries)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--images", type=int, default=4096)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--size", type=int, default=32, help="image height and width")
    ap.add_argument("--classes", type=int, default=1000)
    args = ap.parse_args()
    try:
        import tensorflow as tf  # noqa: F401 - the NGC image has it
    except ImportError:
        tf = None
    rng = random.Random(20261129)
    os.makedirs(args.out, exist_ok=True)
    per = -(-args.images // args.shards)
    for s in range(args.shards):
        name = os.path.join(args.out, f"train-{s:05d}-of-{args.shards:05d}")
        tmp = name + ".part"
        count = min(per, args.images - s * per)
        writer = tf.io.TFRecordWriter(tmp) if tf is not None else open(tmp, "wb")  # noqa: SIM115 - either kind
        for _ in range(max(count, 0)):
            pixels = bytes(rng.getrandbits(8) for _ in range(args.size * args.size * 3))
            label = rng.randrange(1, args.classes + 1)
            if tf is not None:
                img = tf.reshape(tf.constant(list(pixels), dtype=tf.uint8), [args.size, args.size, 3])
                encoded, fmt = tf.io.encode_jpeg(img).numpy(), b"JPEG"
            else:
                encoded, fmt = pixels, b"RAW"
            ex = example({"image/encoded": encoded, "image/format": fmt, "image/height": args.size,
                          "image/width": args.size, "image/channels": 3, "image/class/label": label})
            writer.write(ex if tf is not None else record(ex))
        writer.close()
        os.replace(tmp, name)
    kind = "JPEG" if tf is not None else "RAW"
    print(f"wrote {args.images} images in {args.shards} shards to {args.out} ({kind})")


if __name__ == "__main__":
    main()
