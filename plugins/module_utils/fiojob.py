# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""fio job files for the acceptance runs (pure; used by plugins/modules/fio_bench.py).

Every client gets a directory of its own under the test directory and the same file names in
it, so the layout written once is found again by every later run (fio reuses files of the
right size and lays out only what is missing)."""

from __future__ import annotations

RW = {"layout": "write", "seqread": "read", "randread": "randread"}
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
FILE_FORMAT = "data.$jobnum.$filenum"


def size_bytes(text):
    """fio size with its default base 1024: '64m' -> 67108864."""
    t = str(text).strip().lower()
    unit = t[-1] if t and t[-1] in "kmgt" else ""
    number = t[:-1] if unit else t
    if not number.isdigit():
        raise ValueError(f"not a fio size: {text!r}")
    return int(number) * _UNITS[unit]


def data_files(directory, client, numjobs):
    """The files a client's jobs read: <directory>/<client>/data.<job>.0"""
    return [f"{directory.rstrip('/')}/{client}/data.{j}.0" for j in range(numjobs)]


def missing_layout(sizes, directory, clients, numjobs, size):
    """Clients whose files are absent or of another size. sizes: path -> bytes (None: absent)."""
    want = size_bytes(size)
    return [c for c in clients if any(sizes.get(f) != want for f in data_files(directory, c, numjobs))]


def job_file(workload, directory, client, bs, numjobs, iodepth, size, runtime, direct=True, ioengine="libaio"):
    """One client's job file. Reads are time based (they loop over the files for `runtime`
    seconds); the layout writes each file once and syncs it."""
    if workload not in RW:
        raise ValueError("workload must be one of {}".format(", ".join(sorted(RW))))
    lines = [
        "[global]",
        "directory={}/{}".format(directory.rstrip("/"), client),
        f"filename_format={FILE_FORMAT}",
        # fio --server prefixes file names with the address the coordinator connects from unless
        # told not to; each client has a directory of its own, so the plain names cannot collide
        # and the layout is found again whichever host coordinates
        "unique_filename=0",
        f"size={size}",
        f"bs={bs}",
        f"ioengine={ioengine}",
        f"iodepth={int(iodepth)}",
        f"direct={1 if direct else 0}",
        f"numjobs={int(numjobs)}",
        "group_reporting=1",
        f"rw={RW[workload]}",
    ]
    if workload == "layout":
        lines += ["end_fsync=1"]
    else:
        lines += ["time_based=1", f"runtime={int(runtime)}", "randrepeat=0", "norandommap=1", "invalidate=1"]
    return "\n".join(lines + ["", f"[{workload}]", ""])


def client_argv(fio, clients, job_paths, port=8765):
    """fio --client=HOST,PORT JOBFILE per client (each client its own job file), JSON output."""
    argv = [fio, "--output-format=json"]
    for c in clients:
        argv += [f"--client={c},{int(port)}", job_paths[c]]
    return argv
