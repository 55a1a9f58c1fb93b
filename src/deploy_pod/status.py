"""`deploy-pod status`: the pod as it is, one row per host, read-only and in parallel.

Per host: reachable over SSH (reach.py's connection, the same one Ansible would make), the
local Spectrum Scale daemon state (`mmgetstate -Y`), InfiniBand links up out of the planned
cables (`ibstat`), GPUs seen out of the catalog's count (DGX, `nvidia-smi --query-gpu`),
the Scale file system mounted (/proc/mounts), and the clock offset against this controller.
The vendor output is read with the project's own parsers in plugins/module_utils, the ones
the modules use on the hosts. What is not there yet (Scale before scale_install) shows as
such: status grows with the phases.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from deploy_pod import reach
from deploy_pod.content import module_utils

MMGETSTATE = "/usr/lpp/mmfs/bin/mmgetstate -Y"
IBSTAT = "ibstat"
GPU_FIELDS = ["index", "uuid"]
NVIDIA_SMI = f"nvidia-smi --query-gpu={','.join(GPU_FIELDS)} --format=csv,noheader"
MOUNTS = "cat /proc/mounts"
# one shell answers a line per line it reads: a sample is then one round trip, not a process start on the
# host (tens of milliseconds, all of them after the request left: a one-sided delay the RTT correction
# cannot see); bash's $EPOCHREALTIME needs no fork, date is the fallback for older shells
CLOCK = ("bash -c 'while read -r _; do t=$EPOCHREALTIME; [ -n \"$t\" ] || t=$(date +%s.%N); "
         "echo \"${t/,/.}\"; done'")
CLOCK_SAMPLES = 5  # the sample with the shortest round trip bounds the error best (as NTP does)
NOT_FOUND = 127  # the shell's exit status for a command that is not there

NOT_INSTALLED = "not installed"
NO_CLUSTER = "not in a cluster"
UNKNOWN = "unknown"


# ---------------------------------------------------------------- what the plan expects

@dataclass
class Expect:
    role: str = ""
    ports: list[str] = field(default_factory=list)  # planned cables' HCA ports, mlx5_0/1
    gpus: int | None = None  # DGX only
    mount: str | None = None


def expectations(pod, lock: dict | None = None) -> dict[str, Expect]:
    """host -> what status compares with: the planner's cables and the catalog's GPU count."""
    from deploy_pod.planner import make_plan

    plan = make_plan(pod, lock=lock)
    mount = pod.settings.filesystem.mount if pod.settings and pod.settings.filesystem else None
    return {name: Expect(role=h.role, ports=[c.port for c in h.cables],
                         gpus=h.expected.get("gpu_count") if h.role == "dgx" else None, mount=mount)
            for name, h in plan.hosts.items()}


# ---------------------------------------------------------------- pure: parsing

def scale_state(rc: int, out: str, err: str) -> tuple[str, str]:
    """(state, detail) of this node from `mmgetstate -Y`: active, arbitrating, down, ... as
    Scale says it; 'not installed' when the command is not there; 'not in a cluster'."""
    text = f"{out}\n{err}"
    if rc == NOT_FOUND or "No such file or directory" in err:
        return NOT_INSTALLED, ""
    sf = module_utils("scale_facts")
    if sf.NOT_MEMBER in text:
        return NO_CLUSTER, ""
    nodes = sf.parse_state(out)["nodes"]
    if rc != 0 or not nodes:
        last = (err.strip() or out.strip()).splitlines()
        return UNKNOWN, f"mmgetstate exited {rc}" + (f": {last[-1]}" if last else "")
    state = next(iter(nodes.values())) or UNKNOWN
    return state, ""


def ib_links(text: str, planned: list[str]) -> dict:
    """Planned ports (mlx5_0/1) against `ibstat`: up = physical link up; active = also
    configured by a subnet manager. problems names every planned port that is not active."""
    cas = module_utils("ib_parsers").parse_ibstat(text or "")["cas"]
    up = active = 0
    problems = []
    for name in planned:
        ca, _, num = name.partition("/")
        port = (cas.get(ca) or {}).get("ports", {}).get(int(num) if num.isdigit() else num)
        if port is None:
            problems.append(f"{name} missing")
            continue
        phys, state = port.get("physical_state", "?"), port.get("state", "?")
        up += phys == "LinkUp"
        active += phys == "LinkUp" and state == "Active"
        if not (phys == "LinkUp" and state == "Active"):
            problems.append(f"{name} {state}/{phys}")
    return {"planned": len(planned), "up": up, "active": active, "problems": problems}


def gpu_count(text: str) -> int:
    """GPUs in `nvidia-smi --query-gpu=index,uuid --format=csv,noheader` output."""
    return len(module_utils("nvidia_parsers").parse_query_gpu_csv(text or "", GPU_FIELDS))


def _unescape(path: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def mount_of(text: str, point: str) -> dict | None:
    """The /proc/mounts entry mounted at point ({'source', 'fstype'}), the last one (it is the
    visible one when mounts stack), or None."""
    found = None
    want = point.rstrip("/") or "/"
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and (_unescape(parts[1]).rstrip("/") or "/") == want:
            found = {"source": _unescape(parts[0]), "fstype": parts[2]}
    return found


def clock_offset(samples: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """(offset, round trip) in seconds from (sent, remote time, received) samples, the remote
    clock's reading taken as the middle of the round trip; the shortest round trip wins.
    Positive: the host's clock is ahead of the controller's."""
    if not samples:
        return None
    sent, remote, received = min(samples, key=lambda s: s[2] - s[0])
    return remote - (sent + received) / 2, received - sent


# ---------------------------------------------------------------- one host

@dataclass
class HostStatus:
    host: str
    role: str
    reach: reach.Reach
    scale: dict | None = None  # {'state', 'detail'}
    ib: dict | None = None  # ib_links()
    gpus: dict | None = None  # {'seen', 'expected'}
    mount: dict | None = None  # {'point', 'mounted', 'fstype', 'source'}
    clock: dict | None = None  # {'offset_s', 'rtt_s'}
    errors: list[str] = field(default_factory=list)  # reads that failed on a reachable host

    def as_dict(self) -> dict:
        d = asdict(self)
        d["reachable"] = self.reach.ok
        return d


def _sudo(target: reach.Target, command: str) -> str:
    """mm commands need root: a non-root login reads them through sudo, never asking for a password."""
    return command if (target.user or "") == "root" else f"sudo -n {command}"


def clock_samples(client, timeout: float, count: int = CLOCK_SAMPLES) -> list[tuple[float, float, float]]:
    """(sent, host clock, received) samples over one channel (CLOCK)."""
    chan = client.get_transport().open_session(timeout=timeout)
    chan.settimeout(timeout)
    samples, buf = [], b""
    try:
        chan.exec_command(CLOCK)
        for _ in range(count):
            sent = time.time()
            chan.sendall(b"\n")
            while b"\n" not in buf:
                data = chan.recv(256)
                if not data:
                    return samples
                buf += data
            received = time.time()
            line, _, buf = buf.partition(b"\n")
            samples.append((sent, float(line.decode().strip()), received))
    finally:
        chan.close()
    return samples


def read_host(client, target: reach.Target, expect: Expect, timeout: float) -> HostStatus:
    """The reads over one open connection; a read that fails is recorded and the others go on."""
    st = HostStatus(target.host, expect.role, reach=None)  # type: ignore[arg-type]  # set by the caller

    def attempt(what: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failed read must not hide the others
            st.errors.append(f"{what}: {type(exc).__name__}: {exc}")

    def scale():
        state, detail = scale_state(*reach.run(client, _sudo(target, MMGETSTATE), timeout))
        st.scale = {"state": state, "detail": detail}

    def ib():
        rc, out, err = reach.run(client, IBSTAT, timeout)
        if rc == NOT_FOUND:
            st.ib = {"planned": len(expect.ports), "up": None, "active": None, "problems": ["ibstat not found"]}
        else:
            st.ib = ib_links(out, expect.ports)

    def gpus():
        rc, out, err = reach.run(client, NVIDIA_SMI, timeout)
        seen = gpu_count(out) if rc == 0 else None
        st.gpus = {"seen": seen, "expected": expect.gpus,
                   "detail": "" if rc == 0 else (err.strip().splitlines() or [f"exit {rc}"])[-1]}

    def mounted():
        rc, out, _ = reach.run(client, MOUNTS, timeout)
        entry = mount_of(out, expect.mount) if rc == 0 else None
        st.mount = {"point": expect.mount, "mounted": entry is not None, "source": None, "fstype": None,
                    **(entry or {})}

    def clock():
        got = clock_offset(clock_samples(client, timeout))
        st.clock = {"offset_s": round(got[0], 4), "rtt_s": round(got[1], 4)} if got else None
        if not got:
            st.errors.append("clock: the host's shell answered no time (no bash?)")

    attempt("mmgetstate", scale)
    if expect.ports:
        attempt("ibstat", ib)
    if expect.gpus:
        attempt("nvidia-smi", gpus)
    if expect.mount:
        attempt("mounts", mounted)
    attempt("clock", clock)
    return st


def collect(pod_file: str, pod, inventories: list[str], limit: str | None = None, timeout: float = 10.0,
            lock: dict | None = None) -> list[HostStatus]:
    """Every SSH host of the pod (as reach.py finds them), connected to and read in parallel."""
    expect = expectations(pod, lock)

    def one(target: reach.Target) -> HostStatus:
        exp = expect.get(target.host, Expect())
        result, st = reach.check(target, timeout, then=lambda c: read_host(c, target, exp, timeout))
        st = st or HostStatus(target.host, exp.role, reach=result)
        st.reach = result
        return st

    return reach.in_parallel(reach.targets(pod_file, inventories, limit), one)


# ---------------------------------------------------------------- pure: presentation

def _scale_cell(s: HostStatus) -> str:
    return s.scale["state"] if s.scale else "-"


def _ib_cell(s: HostStatus) -> str:
    if not s.ib:
        return "-"
    if s.ib["up"] is None:
        return f"?/{s.ib['planned']}"
    cell = f"{s.ib['up']}/{s.ib['planned']}"
    if s.ib["active"] is not None and s.ib["active"] < s.ib["up"]:
        cell += f" ({s.ib['up'] - s.ib['active']} not active)"
    return cell


def _gpu_cell(s: HostStatus) -> str:
    if not s.gpus:
        return "-"
    return f"{'?' if s.gpus['seen'] is None else s.gpus['seen']}/{s.gpus['expected']}"


def _mount_cell(s: HostStatus) -> str:
    if not s.mount:
        return "-"
    return f"{s.mount['point']} ({s.mount['fstype']})" if s.mount["mounted"] else "not mounted"


def _clock_cell(s: HostStatus) -> str:
    if not s.clock:
        return "-"
    return f"{s.clock['offset_s'] * 1000:+.1f} ms"


def _notes(s: HostStatus) -> str:
    notes = []
    if not s.reach.ok:
        notes.append(s.reach.detail)
    if s.scale and s.scale.get("detail"):
        notes.append(s.scale["detail"])
    if s.ib and s.ib["problems"]:
        notes.append("IB: " + ", ".join(s.ib["problems"]))
    if s.gpus and s.gpus.get("detail"):
        notes.append("nvidia-smi: " + s.gpus["detail"])
    notes += s.errors
    return "; ".join(n for n in notes if n)


HEADER = ("host", "role", "ssh", "scale", "ib up", "gpus", "mount", "clock", "notes")


def status_rows(results: list[HostStatus]) -> list[tuple[str, ...]]:
    return [(s.host, s.role or "-", "ok" if s.reach.ok else s.reach.reason, _scale_cell(s), _ib_cell(s),
             _gpu_cell(s), _mount_cell(s), _clock_cell(s), _notes(s)) for s in results]


def status_table(results: list[HostStatus]) -> str:
    """One plain-text table, the notes (why something is not as planned) last."""
    rows = status_rows(results)
    widths = [max([len(HEADER[i])] + [len(r[i]) for r in rows]) for i in range(len(HEADER) - 1)]

    def line(cells) -> str:
        return ("  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=True)) + "  " + cells[-1]).rstrip()

    return "\n".join([line(HEADER), line(tuple("-" * w for w in widths) + ("-----",)), *map(line, rows)])


def status_document(pod_name: str, results: list[HostStatus], seconds: float) -> dict:
    """The --json document."""
    return {"pod": pod_name, "ok": all(s.reach.ok for s in results), "seconds": round(seconds, 3),
            "unreachable": [s.host for s in results if not s.reach.ok],
            "hosts": {s.host: s.as_dict() for s in results}}
