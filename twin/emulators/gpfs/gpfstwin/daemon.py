"""The emulated GPFS daemon (mmfsd): one small process per node, started by mmstartup.

It never does I/O of its own: every heartbeat it reads the wanted state (mmstartup /
mmshutdown / mmmount), reconciles this node's mounts and writes nodes/<node>.json with a
timestamp. Other nodes call this node 'active' only while that timestamp is fresh, so a
stopped container, a killed daemon or a partitioned node all read as 'down'.
Under systemd it runs as gpfs.service (Type=simple); elsewhere mmstartup detaches it.
The twin fault daemon-stuck (common.twin_faults) keeps a started daemon 'arbitrating': it
beats, but never joins the cluster, until the fault is cleared (then: active on the next beat).
It also republishes this host's hardware every beat, so a fault rendered into hardware.json
reaches the other nodes without waiting for an mm command here.
"""

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time

from . import env, hw, mount, state
from .common import fault_hits, local_node

MM_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mm.py")


def _run_dir() -> str:
    return os.path.join(env.node_root(), "run")


def lock_path() -> str:
    return os.path.join(_run_dir(), "mmfsd.lock")


def running() -> bool:
    """Whether this node's daemon process runs (it holds its lock file while alive)."""
    try:
        with open(lock_path(), "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


def _under_systemd() -> bool:
    # tests redirect the system root; a real container boots systemd as PID 1
    return os.path.isdir("/run/systemd/system") and not os.environ.get("DEPLOY_POD_TWIN_SYSROOT")


def ensure_running() -> None:
    if running():
        return
    if _under_systemd():
        subprocess.run(["systemctl", "start", "gpfs"], check=False)
    else:
        os.makedirs(_run_dir(), exist_ok=True)
        with open(os.path.join(env.node_root(), "mmfs.log.latest"), "a") as log:
            subprocess.Popen([sys.executable, MM_PY, "mmfsd"], stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=True, close_fds=True)
    end = time.time() + 10
    while not running() and time.time() < end:
        time.sleep(0.05)


def _container_boot_time() -> float:
    try:
        return os.stat("/proc/1").st_ctime
    except OSError:
        return 0.0


def _beat(node: str, started: float, stopping: bool = False) -> None:
    st = state.load()
    me = local_node(st) or node
    desired = st["desired"].get(me) == "up"
    # a daemon that was running before this container booted stays down unless autoload=yes
    if desired and float(st.get("desired_ts", {}).get(me, 0)) < _container_boot_time() and \
            not _autoload(st):
        desired = False
    up = desired and not stopping and me in st["nodes"]
    stuck = up and fault_hits(st, "daemon-stuck", me)
    active = up and not stuck
    mounted = mount.reconcile(st, me, active)
    state.write_node_status(me, {"ts": time.time(),
                                 "daemon": "arbitrating" if stuck else "active" if active else "down",
                                 "pid": os.getpid(), "started": started, "mounted": mounted})
    with contextlib.suppress(Exception):
        state.publish_hardware(node, hw.load_local())


def _autoload(st: dict) -> bool:
    return any(c["attr"] == "autoload" and c["value"] == "yes" for c in st["config"])


PROCESS_NAME = "mmfsd"
PR_SET_NAME = 15


def set_process_name(name: str = PROCESS_NAME) -> bool:
    """Show the daemon as `mmfsd` (not python3) to pgrep, ps -C and top, as IBM's roles expect
    (`pgrep mmfsd`): the kernel's comm of this process, via prctl(PR_SET_NAME), else /proc/self/comm."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0) == 0:
            return True
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(name)
        return True
    except OSError:
        return False


def run() -> int:
    set_process_name()
    os.makedirs(_run_dir(), exist_ok=True)
    lock = open(lock_path(), "a+")  # noqa: SIM115 - held for the daemon's whole life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another daemon already serves this node
    node, started = env.node_name(), time.time()
    stop = {"now": False}

    def _term(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    while not stop["now"]:
        if not os.path.isdir(env.shared_dir()):
            return 0  # the pod's shared volume is gone (test teardown): nothing left to serve
        with contextlib.suppress(Exception):
            _beat(node, started)
        end = time.time() + env.heartbeat_interval()
        while not stop["now"] and time.time() < end:
            time.sleep(0.05)
    with contextlib.suppress(Exception):
        _beat(node, started, stopping=True)
    return 0
