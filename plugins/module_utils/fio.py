# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Parsers for fio output: ``--output-format=json`` (local mode and client/server mode) and the
human-readable per-job / ``All clients`` summary blocks.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions returning plain
dicts. Rules learned from real output (tests/fixtures/fio_*):
- text can come before the JSON object (``hostname=..., be=0, 64-bit, os=Linux, ...`` lines of
  client/server mode, ``<host> ...`` job banners, ``fio: ...`` warnings, ``Jobs: ...`` progress,
  a blank line) and after it; the object starts on the first line that begins with ``{``;
- bandwidth is ``bw_bytes`` (bytes/s) from fio 3.x on; older fio (2.x) has only ``bw`` in KiB/s,
  and its ``io_bytes`` is in KiB too (3.x adds ``io_kbytes`` and makes ``io_bytes`` bytes);
- client/server mode puts the jobs under ``client_stats``, one entry per job per client, each
  naming its client in ``hostname`` (and ``port``; old fio had neither), plus one entry with
  jobname ``All clients`` when there are several clients (it also carries a ``hostname``: ignore
  it); two fio servers on one machine report the same ``hostname``, told apart by ``port``.
"""

from __future__ import annotations

import json
import re

__all__ = [
    "parse_fio_json",
    "parse_fio_text_summary",
    "parse_fio_number",
    "parse_fio_rate",
    "gbs",
]

ALL_CLIENTS = "All clients"
_KEYS = ("read_bw_bytes", "read_iops", "read_bytes", "write_bw_bytes", "write_iops", "runtime_ms",
         "errors", "jobs")


def gbs(bytes_per_s):
    """Bytes/s -> GB/s (decimal, 1e9 bytes); None stays None."""
    if bytes_per_s is None:
        return None
    return float(bytes_per_s) / 1e9


def _empty():
    return {"read_bw_bytes": 0.0, "read_iops": 0.0, "read_bytes": 0, "write_bw_bytes": 0.0,
            "write_iops": 0.0, "runtime_ms": 0, "errors": 0, "jobs": 0}


def _find_json(text):
    """The first JSON object in text that starts at the beginning of a line."""
    decoder = json.JSONDecoder()
    pos = 0
    first_error = None
    while True:
        m = re.compile(r"^[ \t]*\{", re.M).search(text, pos)
        if not m:
            break
        start = m.end() - 1
        try:
            obj, _end = decoder.raw_decode(text, start)
        except ValueError as exc:
            first_error = first_error or exc
            pos = m.end()
            continue
        if isinstance(obj, dict):
            return obj
        pos = m.end()
    tail = " | ".join([line for line in text.strip().splitlines() if line.strip()][-2:])
    if first_error is not None:
        raise ValueError(f"fio output has a '{{' line but no complete JSON object after it ({first_error}); "
                         f"the output ended with: {tail or '(nothing)'}")
    raise ValueError("no JSON object in the fio output (was it run with --output-format=json?); "
                     f"it ended with: {tail or '(nothing: the output is empty)'}")


def _direction(job, name):
    """(bw bytes/s, iops, io bytes, runtime ms) of one direction of one job entry."""
    d = job.get(name) or {}
    # fio 2.x has only "bw", in KiB/s
    bw = float(d.get("bw_bytes") or 0) if "bw_bytes" in d else float(d.get("bw") or 0) * 1024
    io = int(d.get("io_bytes") or 0)
    if "bw_bytes" not in d and "io_kbytes" not in d:
        io *= 1024  # fio 2.x: io_bytes is in KiB (3.x added io_kbytes and made io_bytes bytes)
    return bw, float(d.get("iops") or 0), io, int(d.get("runtime") or 0)


def _one(job):
    """One job entry -> the summed keys, for one job."""
    rbw, riops, rbytes, rrt = _direction(job, "read")
    wbw, wiops, _wbytes, wrt = _direction(job, "write")
    return {"read_bw_bytes": rbw, "read_iops": riops, "read_bytes": rbytes, "write_bw_bytes": wbw,
            "write_iops": wiops, "runtime_ms": max(rrt, wrt), "errors": 1 if job.get("error") else 0,
            "jobs": 1}


def _combine(entries):
    """Sum job entries of one host (or of all clients). Jobs of one reporting group run at the same
    time, so their bandwidths and IOPS add. Groups run one after the other (stonewall), so across
    groups a rate is the runtime-weighted mean over the groups that moved data that way (a read
    group then a write group: the read rate of the first, the write rate of the second) and the
    runtime is their sum."""
    groups = {}
    for gid, e in entries:
        g = groups.setdefault(gid, _empty())
        for k in ("read_bw_bytes", "read_iops", "read_bytes", "write_bw_bytes", "write_iops",
                  "errors", "jobs"):
            g[k] += e[k]
        g["runtime_ms"] = max(g["runtime_ms"], e["runtime_ms"])
    if len(groups) == 1:
        return next(iter(groups.values()))
    out = _empty()
    for g in groups.values():
        for k in ("read_bytes", "errors", "jobs", "runtime_ms"):
            out[k] += g[k]
    for k in ("read_bw_bytes", "read_iops", "write_bw_bytes", "write_iops"):
        busy = [g for g in groups.values() if g[k] > 0]
        weight = sum(g["runtime_ms"] for g in busy)
        if busy:
            out[k] = (sum(g[k] * g["runtime_ms"] for g in busy) / weight if weight
                      else sum(g[k] for g in busy) / len(busy))
    return out


def parse_fio_json(text):
    """fio --output-format=json output (local or client/server mode, text around it allowed) ->
    {"version": "fio-3.33", "hosts": {host: {read_bw_bytes, read_iops, read_bytes, write_bw_bytes,
    write_iops, runtime_ms, errors, jobs}}, "aggregate": {same keys}, "errors": int}.

    Bandwidths are bytes/s (floats); read_bytes is bytes; runtime_ms the longest job's; errors the
    number of job entries with a non-zero error; jobs the number of job entries fio reported (with
    group_reporting one entry stands for numjobs processes). Local mode has the one host
    "localhost"; in client/server mode a host is the client name fio was given (hostname:port
    when two servers share a name; clientN when the fio is too old to say). Several jobs of a host
    are summed. The aggregate is fio's "All clients" entry when there is one, else the sum of the
    hosts. ValueError when there is no JSON object or no job in it."""
    data = _find_json(text)
    version = str(data.get("fio version") or "")
    client_mode = "client_stats" in data
    raw = [j for j in (data.get("client_stats") if client_mode else data.get("jobs")) or [] if isinstance(j, dict)]
    if not raw:
        raise ValueError(f"fio JSON ({version or 'unknown version'}) has no jobs: nothing was measured")
    per_host = {}  # (hostname, port) -> [(groupid, job sums)]
    all_clients = []
    anonymous = 0
    for job in raw:
        entry = (job.get("groupid", 0), _one(job))
        if not client_mode:
            per_host.setdefault(("localhost", None), []).append(entry)
        elif job.get("jobname") == ALL_CLIENTS:
            all_clients.append(entry)
        elif job.get("hostname") is None:
            anonymous += 1  # fio before the hostname field: one entry per client and job, no name
            per_host[(f"client{anonymous}", None)] = [entry]
        else:
            per_host.setdefault((str(job["hostname"]), job.get("port")), []).append(entry)
    if not per_host:
        raise ValueError(f"fio JSON ({version}) has only an 'All clients' entry and no per-client job")
    ports = {}
    for host, port in per_host:
        ports.setdefault(host, set()).add(port)
    hosts = {}
    for (host, port), entries in per_host.items():
        label = f"{host}:{port}" if len(ports[host]) > 1 else host
        hosts[label] = _combine(entries)
    if all_clients:
        aggregate = _combine(all_clients)
        aggregate["jobs"] = sum(h["jobs"] for h in hosts.values())
        aggregate["errors"] = max(aggregate["errors"], sum(h["errors"] for h in hosts.values()))
    else:
        aggregate = _empty()
        for h in hosts.values():
            for k in _KEYS:
                if k == "runtime_ms":
                    aggregate[k] = max(aggregate[k], h[k])
                else:
                    aggregate[k] += h[k]
    return {"version": version, "hosts": hosts, "aggregate": aggregate, "errors": aggregate["errors"]}


# -- the human-readable summary ---------------------------------------------------------------

_SI = {"": 1, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9, "t": 1e12, "T": 1e12,
       "p": 1e15, "P": 1e15}
_IEC = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "Ti": 1024 ** 4, "Pi": 1024 ** 5}
_QTY = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<prefix>[KkMGTP]i|[kKMGTPm])?(?P<b>B)?(?P<per>/s)?\s*$")


def parse_fio_number(text):
    """'30.1k' -> 30100.0, '2164' -> 2164.0, '1.2M' -> 1200000.0 (IOPS counts: SI suffixes)."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kKMGT]?)\s*$", str(text))
    if not m:
        raise ValueError(f"not a fio count: {text!r}")
    return float(m.group(1)) * _SI[m.group(2)]


def parse_fio_rate(text, kib_is_kb=False):
    """A fio size or rate -> bytes (or bytes/s): '29.4Gi' -> 31567609446.4, '31.6G' -> 3.16e10,
    '2165MiB/s', '2270MB/s', '0B/s'. IEC prefixes (Ki, Mi, Gi) are powers of 1024, SI ones (k, M,
    G) powers of 1000, with or without 'B' and '/s'. kib_is_kb: fio 2.x wrote 'KB/s', 'MB' for
    powers of 1024 (its default kb_base=1024)."""
    m = _QTY.match(str(text))
    if not m:
        raise ValueError(f"not a fio size or rate: {text!r}")
    prefix = m.group("prefix") or ""
    if prefix in _IEC:
        mult = _IEC[prefix]
    elif kib_is_kb and prefix:
        mult = 1024 ** ("KMGTP".index(prefix.upper()) + 1)
    else:
        mult = _SI[prefix]
    return float(m.group("num")) * mult


_BLOCK = re.compile(r"^(?:<(?P<host>[^>]*)>\s*)?(?P<name>.+?):\s*\(groupid=(?P<gid>\d+),\s*jobs=(?P<jobs>\d+)\):"
                    r"\s*err=\s*(?P<err>-?\d+)")
# fio 3.x: "read: IOPS=30.1k, BW=29.4Gi (31.6G)(8822GiB/300044msec)" or "BW=2165MiB/s (2270MB/s)(4332MiB/2001msec)"
_DIR3 = re.compile(r"^\s*(?P<dir>read|write|trim)\s*:\s*IOPS=(?P<iops>[\d.]+[kKMG]?),"
                   r"\s*BW=(?P<bw>[\d.]+\s*[A-Za-z]*(?:/s)?)"
                   r"(?:\s*\((?P<si>[\d.]+\s*[A-Za-z]*(?:/s)?)\))?(?:\s*\((?P<io>[\d.]+\s*[A-Za-z]*)/(?P<rt>\d+)msec\))?")
# fio 2.x: "read : io=1264.0MB, bw=129386KB/s, iops=8086, runt= 10003msec"
_DIR2 = re.compile(r"^\s*(?P<dir>read|write|trim)\s*:\s*io=(?P<io>[\d.]+\s*[A-Za-z]*),"
                   r"\s*bw=(?P<bw>[\d.]+\s*[A-Za-z]*/s),"
                   r"\s*iops=(?P<iops>[\d.]+[kKMG]?),\s*runt=\s*(?P<rt>\d+)msec")


def parse_fio_text_summary(text):
    """fio's human-readable result blocks -> {"blocks": [block...], "aggregate": the "All clients"
    block or None}. A block: {"name": job name or "All clients", "host": the "<host>" prefix or
    None, "groupid", "jobs", "err", "read_iops", "read_bw_bytes", "read_bytes", "write_iops",
    "write_bw_bytes", "runtime_ms"}. Bandwidths in bytes/s, the SI figure in parentheses preferred
    over the IEC one; fio 2.x lines ("read : io=..., bw=...KB/s, iops=..., runt=...msec") read too.
    Blocks keep fio's order (client/server per-host blocks can share one job name). ValueError
    when there is no block."""
    blocks = []
    cur = None
    for raw in text.replace("\r", "\n").splitlines():
        line = raw.rstrip()
        m = _BLOCK.match(line.strip())
        if m:
            cur = {"name": m.group("name").strip(), "host": m.group("host"), "groupid": int(m.group("gid")),
                   "jobs": int(m.group("jobs")), "err": int(m.group("err")), "read_iops": 0.0,
                   "read_bw_bytes": 0.0, "read_bytes": 0, "write_iops": 0.0, "write_bw_bytes": 0.0,
                   "runtime_ms": 0}
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m3 = _DIR3.match(line)
        m2 = None if m3 else _DIR2.match(line)
        mm = m3 or m2
        if not mm or mm.group("dir") == "trim":
            continue
        d = mm.group("dir")
        cur[d + "_iops"] = parse_fio_number(mm.group("iops"))
        if m3:
            cur[d + "_bw_bytes"] = parse_fio_rate(mm.group("si") or mm.group("bw"))
            io = mm.group("io")
        else:
            cur[d + "_bw_bytes"] = parse_fio_rate(mm.group("bw"), kib_is_kb=True)
            io = mm.group("io")
        if io and d == "read":
            cur["read_bytes"] = int(parse_fio_rate(io, kib_is_kb=bool(m2)))
        if mm.group("rt"):
            cur["runtime_ms"] = max(cur["runtime_ms"], int(mm.group("rt")))
    if not blocks:
        tail = " | ".join([line for line in text.strip().splitlines() if line.strip()][-2:])
        raise ValueError("no fio result block ('NAME: (groupid=N, jobs=N): err= N: ...') in the output; "
                         f"it ended with: {tail or '(nothing)'}")
    aggregate = next((b for b in blocks if b["name"] == ALL_CLIENTS), None)
    return {"blocks": blocks, "aggregate": aggregate}
