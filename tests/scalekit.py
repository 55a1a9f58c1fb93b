"""A Spectrum Scale pod on the twin's emulated mm commands, without Docker, for running the
state-changing Scale modules' main() in-process (tests/unit/test_scale_modules.py).

Every host gets its own node-local dir, system root (with the /etc/hosts the roles write, so the
daemon names <host>-ib resolve) and hardware file, all playing against one shared state dir.
Emulated daemons are real background processes beating every BEAT seconds; stop_all() ends each
one by its pid (those started here and those mmstartup detached)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ansible_collections.deploy_pod.pod.plugins.module_utils import scale_facts as sf
from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_ops import node_file

from tests.modkit import run_module

ROOT = Path(__file__).resolve().parents[1]
MM = ROOT / "twin" / "emulators" / "gpfs" / "mm.py"
BEAT = 0.5  # a daemon is down after 5 missed beats: 2.5 s, room for a busy test machine
COMMANDS = ("mmcrcluster", "mmaddnode", "mmdelnode", "mmchnode", "mmchlicense", "mmlslicense", "mmstartup",
            "mmshutdown", "mmgetstate", "mmlscluster", "mmcrnodeclass", "mmchnodeclass", "mmdelnodeclass",
            "mmlsnodeclass", "mmchconfig", "mmlsconfig", "mmcrnsd", "mmlsnsd", "mmdelnsd", "mmcrfs", "mmchfs",
            "mmlsfs", "mmadddisk", "mmlsdisk", "mmdf", "mmrestripefs", "mmmount", "mmumount", "mmlsmount",
            "mmhealth", "mmvdisk", "mmbuildgpl")

NVME = [{"device": f"/dev/nvme{i}n1", "size_gib": 3840} for i in range(12)]
# host -> (role, IPoIB address, disks, memory GiB)
HOSTS = {
    "ess01a": ("ess", "10.78.0.21", NVME, 512),
    "ess01b": ("ess", "10.78.0.22", NVME, 512),
    "ess02a": ("ess", "10.78.0.23", NVME, 512),
    "ess02b": ("ess", "10.78.0.24", NVME, 512),
    "nsd01": ("nsd", "10.78.0.31", [{"device": "/dev/sdb", "size_gib": 1000},
                                    {"device": "/dev/sdc", "size_gib": 1000, "gpfs_descriptor": True},
                                    {"device": "/dev/sdd", "size_gib": 1000}], 256),
    "dgx01": ("dgx", "10.78.0.11", [], 512),
    "dgx02": ("dgx", "10.78.0.12", [], 512),
}


def node(host: str, quorum: bool = False, manager: bool = False, license: str | None = None) -> dict:
    """A scale_cluster `nodes` entry as the plan writes it."""
    lic = license or ("server" if quorum or manager or HOSTS[host][0] != "dgx" else "client")
    return {"host": host, "daemon": f"{host}-ib", "admin": host, "quorum": quorum, "manager": manager,
            "license": lic, "role": HOSTS[host][0]}


# quorum: the ESS canisters and the NSD server, as plan_quorum picks them
PLAN_NODES = [node("ess01a", True, True), node("ess01b", True, True), node("nsd01", True, True), node("dgx01")]


class ScalePod:
    def __init__(self, tmp: Path, hosts: list[str]):
        self.tmp, self.shared, self.bin = tmp, tmp / "shared", tmp / "bin"
        self.hosts = hosts
        self.bin.mkdir()
        self.procs: list[subprocess.Popen] = []
        for name in COMMANDS:
            (self.bin / name).symlink_to(MM)
        # the emulator is stdlib only: its '#!/usr/bin/env python3' finds this python, without site (faster)
        shim = tmp / "python-shim"
        shim.mkdir()
        (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
        (shim / "python3").chmod(0o755)
        self.path = f"{shim}:{os.environ.get('PATH', '')}"
        etc_hosts = "127.0.0.1 localhost\n" + "".join(f"{HOSTS[h][1]} {h}-ib\n" for h in hosts)
        for h in hosts:
            role, ip, disks, mem = HOSTS[h]
            (tmp / f"{h}.hw.json").write_text(json.dumps({
                "host": h, "ip": ip.replace("10.78.", "10.77."), "role": role, "hw_model": "test",
                "memory_gib": mem, "disks": disks, "ib": {"verbs_ports": ["mlx5_0/1"]}}))
            (self.root(h) / "etc").mkdir(parents=True)
            (self.root(h) / "etc" / "hosts").write_text(etc_hosts)
        # any mm command publishes the host's hardware to the pod (mmcrnsd, mmvdisk read it): all at once
        procs = [subprocess.Popen([sys.executable, "-S", str(self.bin / "mmlscluster")],
                                  env={**os.environ, **self.env(h)}, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=tmp) for h in hosts]
        for p in procs:
            p.wait(timeout=60)

    # ---- running commands as a node ------------------------------------------------------

    def root(self, host: str) -> Path:
        return self.tmp / host / "root"

    def env(self, host: str) -> dict:
        return {"DEPLOY_POD_TWIN_SHARED": str(self.shared), "DEPLOY_POD_TWIN_NODE": host,
                "DEPLOY_POD_TWIN_NODE_ROOT": str(self.tmp / host / "var-mmfs"),
                "DEPLOY_POD_TWIN_SYSROOT": str(self.root(host)),
                "DEPLOY_POD_TWIN_HARDWARE": str(self.tmp / f"{host}.hw.json"),
                "DEPLOY_POD_TWIN_MOUNT_MODE": "symlink", "DEPLOY_POD_TWIN_HEARTBEAT": str(BEAT)}

    def mm(self, host: str, cmd: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-S", str(self.bin / cmd), *args], env={**os.environ, **self.env(host)},
                              capture_output=True, text=True, timeout=60, cwd=self.tmp)

    def ok(self, host: str, cmd: str, *args: str) -> str:
        res = self.mm(host, cmd, *args)
        assert res.returncode == 0, f"{cmd} {args}: rc={res.returncode}\n{res.stdout}\n{res.stderr}"
        return res.stdout

    def write(self, name: str, text: str) -> str:
        (self.tmp / name).write_text(text)
        return str(self.tmp / name)

    def facts(self, host: str, facets=None) -> dict:
        def run(argv):
            res = self.mm(host, os.path.basename(argv[0]), *argv[1:])
            return res.returncode, res.stdout, res.stderr

        return sf.read_facts(run, facets, hostnames=[host],
                             exists=lambda p: (self.bin / os.path.basename(p)).exists())

    # ---- building a cluster without the modules ------------------------------------------

    def create(self, nodes: list[dict] | None = None, primary: str = "ess01a", name: str = "twin.gpfs") -> None:
        path = self.write("nodes", node_file(nodes or PLAN_NODES))
        self.ok(primary, "mmcrcluster", "-N", path, "-C", name, "-A", "--accept")

    def start_daemon(self, host: str) -> None:
        """The host's mmfsd as gpfs.service runs it in a container: from boot, before any mmstartup."""
        self.procs.append(subprocess.Popen([sys.executable, "-S", str(MM), "mmfsd"],
                                           env={**os.environ, **self.env(host)}, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True))

    def states(self, host: str = "ess01a") -> dict:
        return sf.parse_state(self.ok(host, "mmgetstate", "-a", "-Y"))["nodes"]

    def wait_states(self, want: dict, host: str = "ess01a", timeout: float = 10) -> dict:
        """mmgetstate -a until the daemon names in `want` are in those states (or the time is up)."""
        end = time.time() + timeout
        while True:
            got = self.states(host)
            if all(got.get(k) == v for k, v in want.items()) or time.time() > end:
                return got
            time.sleep(0.1)

    def start(self, hosts: list[str], primary: str = "ess01a") -> None:
        """Daemons running on these hosts, GPFS started there, every one active."""
        for h in hosts:
            self.start_daemon(h)
        self.ok(primary, "mmstartup", "-N", ",".join(f"{h}-ib" for h in hosts))
        got = self.wait_states({f"{h}-ib": "active" for h in hosts}, primary)
        assert all(got.get(f"{h}-ib") == "active" for h in hosts), got

    def set_faults(self, faults: list[dict]) -> None:
        """What `deploy-pod sim fault` publishes for the emulator."""
        self.shared.mkdir(exist_ok=True)
        tmp = self.shared / "twin-faults.json.tmp"
        tmp.write_text(json.dumps(faults))
        tmp.replace(self.shared / "twin-faults.json")

    def daemon_status(self, key: str) -> dict:
        try:
            return json.loads((self.shared / "nodes" / f"{key}.json").read_text())
        except FileNotFoundError:
            return {}

    def stop_all(self) -> None:
        pids = {p.pid for p in self.procs}
        for f in (self.shared / "nodes").glob("*.json") if (self.shared / "nodes").is_dir() else []:
            with contextlib.suppress(ValueError, OSError):
                pid = json.loads(f.read_text()).get("pid")
                if pid:
                    pids.add(pid)
        for pid in pids:
            # a daemon record's pid may be stale and already reused: pid_max is often 32768, and a
            # test beside this one (another xdist worker) then lost its background mmrestripefs
            if pid not in {p.pid for p in self.procs} and not self._ours(pid):
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def _ours(self, pid: int) -> bool:
        """Whether pid runs with this pod's shared directory (its environment says so)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return False
        return f"DEPLOY_POD_TWIN_SHARED={self.shared}".encode() in environ

    # ---- running a module as a node ------------------------------------------------------

    def use(self, host: str, monkeypatch) -> None:
        """Modules run in this process from now on act as `host`: /usr/lpp/mmfs/bin is the emulator."""
        monkeypatch.setattr(sf, "MMBIN", str(self.bin))
        monkeypatch.setattr(socket, "gethostname", lambda: host)  # MM.node: the node messages name
        for k, v in self.env(host).items():
            monkeypatch.setenv(k, v)
        # module.run_command runs the symlinked mm.py itself: '#!/usr/bin/env python3' must find this python
        monkeypatch.setenv("PATH", self.path)


def runner(pod: ScalePod, host: str, capsys, monkeypatch):
    """run(module, args, check=False) -> (rc, result) with main() of a module acting as `host`."""
    pod.use(host, monkeypatch)

    def run(module, args: dict, check: bool = False, diff: bool = False):
        extra = {"_ansible_check_mode": True} if check else {}
        if diff:
            extra["_ansible_diff"] = True
        return run_module(module.main, {**args, **extra}, capsys, monkeypatch)

    return run
