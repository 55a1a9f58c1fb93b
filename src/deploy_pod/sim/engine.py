"""`sim up / down / status / fault`: the pure parts put together with docker.py."""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from deploy_pod.sim import appliance, hardware, naming, overlay, ports
from deploy_pod.sim import docker as dk
from deploy_pod.sim import faults as flt
from deploy_pod.sim import registry as reg
from deploy_pod.sim.spec import SimSpec, spec_from_dict, spec_from_plan

Progress = Callable[[str], None]
DGX_PACKAGES = ["deploy-pod-twin-dgx"]
# what DGX OS and the ESS image ship before deploy-pod runs: the OFED user tools, and the
# kernel's module tools (emulated: the twin cannot load modules)
ALL_PACKAGES = ["deploy-pod-twin-hw", "deploy-pod-twin-kmod", "infiniband-diags", "ibverbs-utils", "rdma-core"]
# ESS canisters are IBM appliances: Storage Scale (with Scale RAID, gpfs.gnr) comes installed, with
# one edition licence (Data Management Edition for ESS; Standard where the repository lacks it)
# and the portability layer built for the running kernel
ESS_PACKAGES = ["gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "gpfs.gnr", "gpfs.docs"]
ESS_LICENSES = ["gpfs.license.dm", "gpfs.license.std"]
# from the Debian archive: what the ESS OS image has besides Storage Scale (NTP through chrony)
ESS_OS_PACKAGES = ["chrony"]
MMBUILDGPL = ["/usr/lpp/mmfs/bin/mmbuildgpl", "--quiet"]
OS_SCRIPT = "/usr/local/sbin/deploy-pod-twin-os"
SYSTEMD_TIMEOUT = 120
SSH_TIMEOUT = 60


class SimError(RuntimeError):
    pass


# ---------------------------------------------------------------- locations

def find_root() -> Path:
    """The deploy-pod checkout (scripts/testbed, twin/): $DEPLOY_POD_ROOT, the cwd upwards, or this package's."""
    env = os.environ.get("DEPLOY_POD_ROOT")
    candidates = [Path(env)] if env else []
    cwd = Path.cwd().resolve()
    candidates += [cwd, *cwd.parents, *Path(__file__).resolve().parents]
    for c in candidates:
        if (c / "scripts" / "testbed").is_file() and (c / "twin").is_dir():
            return c
    raise SimError("cannot find the deploy-pod checkout (scripts/testbed, twin/): the twin is not part of an "
                   "installed deploy-pod; run from a checkout or set DEPLOY_POD_ROOT to one")


@dataclass
class Paths:
    root: Path
    pod: str

    @property
    def dir(self) -> Path:
        return self.root / ".sim" / naming.slug(self.pod)

    key = property(lambda self: self.dir / "id_ed25519")
    known_hosts = property(lambda self: self.dir / "known_hosts")
    overlay = property(lambda self: self.dir / "overlay.yml")
    state = property(lambda self: self.dir / "state.json")
    faults = property(lambda self: self.dir / "faults.json")
    hardware_dir = property(lambda self: self.dir / "hardware")
    repo = property(lambda self: self.root / "build" / "twin-repo")
    apt_pref = property(lambda self: self.root / "twin" / "apt" / "99deploy-pod-twin.pref")
    testbed = property(lambda self: self.root / "scripts" / "testbed")


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)


def _write_json(path: Path, data) -> None:
    _write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- the pod

def load_spec(pod_file: str | Path) -> tuple[SimSpec, Callable[[str], dict | None]]:
    from deploy_pod.catalog import load_catalog
    from deploy_pod.findings import errors
    from deploy_pod.inventory import load_pod
    from deploy_pod.lock import load_lock
    from deploy_pod.planner import make_plan

    res = load_pod(str(pod_file))
    errs = errors(res.findings)
    if errs:
        raise SimError("the inventory has errors (run `deploy-pod validate`):\n  "
                       + "\n  ".join(f.text() for f in errs))
    catalog = load_catalog()
    # the lock keeps a grown pod's existing hosts cabled as they were
    return spec_from_plan(make_plan(res.pod, catalog, load_lock(pod_file))), catalog.get


def pod_name(pod_file: str | Path) -> str:
    """The pod's name, even from an inventory that no longer validates (for down/status)."""
    try:
        data = yaml.safe_load(Path(pod_file).read_text()) or {}
        name = ((data.get("all") or {}).get("vars") or {}).get("pod", {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    if name:
        return str(name)
    spec, _ = load_spec(pod_file)
    return spec.pod


# ---------------------------------------------------------------- pure helpers used here

def make_tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A tar stream for `docker cp -`: path (relative to /) -> (content, mode), owned by root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.uid, info.gid = len(data), mode, 0, 0
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def host_files(hw: dict, pubkey: str, pref: bytes | None) -> dict[str, tuple[bytes, int]]:
    files = {
        "/root/.ssh/authorized_keys": (pubkey.encode(), 0o600),
        naming.HARDWARE_PATH: ((json.dumps(hw, indent=2, sort_keys=True) + "\n").encode(), 0o644),
        naming.APT_SOURCE_PATH: (naming.APT_SOURCE_LINE.encode(), 0o644),
    }
    if pref is not None:
        files[naming.APT_PREF_PATH] = (pref, 0o644)
    return files


def repo_packages(packages_index: str) -> set[str]:
    return {line.split(":", 1)[1].strip() for line in packages_index.splitlines() if line.startswith("Package:")}


def preinstall(role: str, available: set[str]) -> list[str]:
    """Packages a real host of this role ships with (DGX OS: nvidia-smi, dgx-release, OFED tools;
    ESS: Storage Scale with exactly one licence package)."""
    wanted = ALL_PACKAGES + (DGX_PACKAGES if role == "dgx" else [])
    if role == "ess":
        wanted += ESS_PACKAGES + [p for p in ESS_LICENSES if p in available][:1]
    return [p for p in wanted if p in available] + (ESS_OS_PACKAGES if role == "ess" and available else [])


def after_preinstall(packages: list[str]) -> list[list[str]]:
    """Commands that finish the preinstall as the vendor ships the host: with gpfs.gpl, the
    portability layer built for the running kernel (idempotent)."""
    return [MMBUILDGPL] if "gpfs.gpl" in packages and "gpfs.base" in packages else []


def cable_wiring(spec: SimSpec, host: str, faults: list[dict]) -> list[tuple[str, str, str, bool]]:
    """(veth host end, netdev, bridge, link up) per cable of `host`, with its active faults applied."""
    out = []
    for c in spec.hosts[host].cables:
        switch, up = c.switch, True
        for f in faults:
            if f["host"] != host or f.get("netdev") != c.netdev:
                continue
            if f["kind"] == "ib-link-down":
                up = False
            elif f["kind"] == "miscable":
                switch = f["switch"]
        out.append((spec.veth(host, c.netdev), c.netdev, spec.bridge(switch), up))
    return out


# ---------------------------------------------------------------- steps

@dataclass
class Images:
    twin: str  # the host image
    standin: str | None  # the NGC stand-in image (None from an older scripts/testbed)


def _testbed_tag(paths: Paths, flag: str) -> str | None:
    proc = subprocess.run([str(paths.testbed), flag], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def ensure_testbed(paths: Paths, progress: Progress) -> Images:
    tag = subprocess.run([str(paths.testbed), "--tag"], capture_output=True, text=True, check=True).stdout.strip()
    standin = _testbed_tag(paths, "--standin-tag")
    have_image = dk.engine_ok() and dk.image_exists(tag) and (standin is None or dk.image_exists(standin))
    have_repo = (paths.repo / "Packages").is_file() or not (paths.root / "twin" / "build_repo.py").is_file()
    if have_image and have_repo:
        progress(f"twin image {tag}, NGC stand-in {standin} and local repository present")
        return Images(tag, standin)
    progress("building what is missing: scripts/testbed")
    proc = subprocess.run([str(paths.testbed)], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SimError(f"scripts/testbed failed (exit {proc.returncode})")
    return Images(proc.stdout.strip().splitlines()[-1], standin)


def ensure_key(paths: Paths, pod: str) -> str:
    if not paths.key.is_file():
        paths.dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"deploy-pod-twin-{pod}",
                        "-f", str(paths.key)], check=True)
    return Path(f"{paths.key}.pub").read_text()


def _our_ports(pod: str) -> dict[str, int]:
    """SSH ports already published by this pod's containers (reused on a second `up`)."""
    out = {}
    for name in dk.ls("container", f"{naming.LABEL_POD}={pod}"):
        info = dk.inspect("container", name) or {}
        host = (info.get("Config", {}).get("Labels") or {}).get(naming.LABEL_HOST)
        binds = (info.get("HostConfig", {}).get("PortBindings") or {}).get("22/tcp") or []
        if host and binds:
            out[host] = int(binds[0]["HostPort"])
    return out


def push_hardware(spec: SimSpec, paths: Paths, host: str, faults: list[dict]) -> dict:
    base = _read_json(paths.hardware_dir / f"{host}.json", None)
    hw = flt.render_hardware(base, faults)
    data = (json.dumps(hw, indent=2, sort_keys=True) + "\n").encode()
    dk.copy_tar(spec.container(host), make_tar({naming.HARDWARE_PATH: (data, 0o644)}))
    return hw


def push_fabric(spec: SimSpec, paths: Paths, faults: list[dict]) -> bool:
    base = _read_json(paths.hardware_dir / "fabric.json", None)
    fab = flt.render_fabric(base, faults)
    data = (json.dumps(fab, indent=2, sort_keys=True) + "\n").encode()
    for host in spec.hosts:
        if dk.state(spec.container(host)) == "running":
            dk.copy_tar(spec.container(host), make_tar({naming.FABRIC_PATH: (data, 0o644)}))
            return True
    return False


def push_emulator_faults(spec: SimSpec, faults: list[dict]) -> bool:
    """Publish the active emulator faults on the shared volume (through any running container);
    written beside the target and renamed, so the emulator never reads half a file."""
    data = (json.dumps(flt.emulator_faults(faults), indent=1, sort_keys=True) + "\n").encode()
    tmp = naming.TWIN_FAULTS_PATH + ".tmp"
    for host in spec.hosts:
        container = spec.container(host)
        if dk.state(container) == "running":
            dk.copy_tar(container, make_tar({tmp: (data, 0o644)}))
            dk.exec_(container, "mv", "-f", tmp, naming.TWIN_FAULTS_PATH, timeout=30)
            return True
    return False


def wire_host(spec: SimSpec, host: str, faults: list[dict]) -> None:
    """Plug every cable of a running container (after each start: a new netns has none)."""
    pid = dk.pid(spec.container(host))
    for veth, netdev, bridge, up in cable_wiring(spec, host, faults):
        probe = dk.run(["nsenter", "-t", str(pid), "-n", "ip", "link", "show", "dev", netdev], check=False)
        if probe.returncode == 0 and dk.link_exists(veth):
            dk.move_cable(veth, bridge)
            dk.set_link(veth, up)
            continue
        dk.plug_cable(pid, veth, netdev, bridge, up=up)


# Kernel knobs a real host lets base_os set but a container cannot: the network sysctls of
# the container's own namespace (Docker mounts /proc/sys read-only), and global ones such
# as net.core.rmem_max, which the twin shadows with a file per host so the host machine's
# kernel is never touched.
GLOBAL_SYSCTLS = ("net/core/rmem_max", "net/core/wmem_max")
_KNOBS = """set -e
grep -qE '^proc /proc/sys/net proc rw' /proc/mounts || {
  mount --bind /proc/sys/net /proc/sys/net; mount -o remount,bind,rw /proc/sys/net; }
mkdir -p /run/deploy-pod-twin/sysctl
for k in %s; do
  f=/run/deploy-pod-twin/sysctl/$(echo "$k" | tr / .)
  grep -q " /proc/sys/$k " /proc/mounts && continue
  cat "/proc/sys/$k" > "$f"; mount --bind "$f" "/proc/sys/$k"
done
"""


def emulate_kernel_knobs(container: str) -> None:
    """After each start (mounts do not survive a restart)."""
    dk.exec_(container, "sh", "-c", _KNOBS % " ".join(GLOBAL_SYSCTLS), timeout=60)


def wait_systemd(container: str, timeout: float = SYSTEMD_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        proc = dk.exec_(container, "systemctl", "is-system-running", check=False, timeout=30)
        state = proc.stdout.decode().strip() or "unknown"
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise SimError(f"{container}: systemd did not finish booting within {timeout:.0f} s (state {state})"
                   + inotify_hint())


def inotify_hint(path: str = "/proc/sys/fs/inotify/max_user_instances", per_host: int = 5) -> str:
    """Why a twin host's systemd may not boot: every container's systemd takes inotify instances
    from root's shared limit (scripts/testbed raises it)."""
    try:
        limit = int(Path(path).read_text())
    except (OSError, ValueError):
        return ""
    if limit >= 1024:
        return ""
    return (f"; fs.inotify.max_user_instances is {limit}, enough for about {limit // per_host} twin hosts "
            "on this machine: raise it (sysctl -w fs.inotify.max_user_instances=8192, as scripts/testbed does)")


def install_packages(container: str, pkgs: list[str]) -> None:
    if not pkgs:
        return
    check = dk.exec_(container, "dpkg-query", "-W", "-f=${Status}\\n", *pkgs, check=False)
    if check.returncode == 0 and check.stdout.decode().count("install ok installed") == len(pkgs):
        return
    # every source, not just the twin's: a real host has its package lists, and roles rely
    # on apt's cache_valid_time seeing them fresh
    script = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
              f"apt-get install -y -qq --no-install-recommends {' '.join(pkgs)} >/dev/null")
    dk.exec_(container, "sh", "-c", script, timeout=600)


def setup_os(spec: SimSpec, host: str, faults: list[dict]) -> None:
    """The network stack the real host ships with; an appliance's networks, names and NTP as delivered."""
    h = spec.hosts[host]
    container = spec.container(host)
    if appliance.network_stack(h) == "networkmanager":
        dk.exec_(container, OS_SCRIPT, "networkmanager", timeout=120)
    if h.management == "appliance":
        configure_appliance(spec, host, faults)


def refresh_appliance_names(spec: SimSpec, hosts: list[str], progress: Progress) -> None:
    """A grown pod: the running canisters learn the new hosts' names, as IBM's ESS tooling (essrun)
    does when nodes join; nothing else on them changes (their networks stay up)."""
    text = appliance.hosts_file(spec)
    for host in hosts:
        if spec.hosts[host].management != "appliance":
            continue
        container = spec.container(host)
        if dk.exec_(container, "cat", "/etc/hosts").stdout.decode() != text:
            progress(f"{host}: the pod's names as the ESS tooling writes them when nodes join")
            dk.exec_(container, "sh", "-c", "cat > /etc/hosts", input=text)


def configure_appliance(spec: SimSpec, host: str, faults: list[dict]) -> None:
    h = spec.hosts[host]
    container = spec.container(host)
    dk.copy_tar(container, make_tar(appliance.appliance_files(spec, h, faults)))
    # Docker bind-mounts /etc/hosts: write it in place
    dk.exec_(container, "sh", "-c", "cat > /etc/hosts", input=appliance.hosts_file(spec))
    dk.exec_(container, "nmcli", "connection", "reload")
    for conn in appliance.connection_ids(spec, h):
        dk.exec_(container, "nmcli", "-w", "20", "connection", "up", "id", conn, timeout=60)


def wait_ssh(paths: Paths, port: int, timeout: float = SSH_TIMEOUT) -> list[str]:
    """Host key lines for known_hosts once sshd answers, then a real login with the key."""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        scan = subprocess.run(["ssh-keyscan", "-T", "3", "-t", "ed25519", "-p", str(port), "127.0.0.1"],
                              capture_output=True, text=True)
        lines = overlay.known_hosts_lines(port, scan.stdout)
        if lines:
            break
        time.sleep(1)
    if not lines:
        raise SimError(f"sshd on 127.0.0.1:{port} did not answer within {timeout:.0f} s")
    return lines


def ssh_check(paths: Paths, port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", f"UserKnownHostsFile={paths.known_hosts}",
         "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-i", str(paths.key), "-p", str(port),
         "root@127.0.0.1", "true"], capture_output=True, text=True, timeout=30)


def finish_hosts(spec: SimSpec, running: list[str], available: set[str], faults: list[dict],
                 progress: Progress) -> None:
    """What the vendor delivers: the preinstalled packages, the network stack, the Docker engine (DGX OS)."""
    def _install(host: str) -> None:
        pkgs = preinstall(spec.hosts[host].role, available)
        install_packages(spec.container(host), pkgs)
        for cmd in after_preinstall(pkgs):
            dk.exec_(spec.container(host), *cmd, timeout=120)
    if available:
        roles = sorted({spec.hosts[h].role for h in running})
        progress("preinstalling what the real hosts ship: "
                 + "; ".join(f"{r}: {', '.join(preinstall(r, available))}" for r in roles))
        _parallel(_install, running)
    else:
        progress("note: build/twin-repo has no packages yet; nothing preinstalled")
    nm_hosts = [h for h in running if appliance.network_stack(spec.hosts[h]) == "networkmanager"]
    if nm_hosts:
        progress("NetworkManager on the RHEL-family storage hosts: " + ", ".join(nm_hosts)
                 + "; appliances configured as delivered: "
                 + (", ".join(h for h in nm_hosts if spec.hosts[h].management == "appliance") or "none"))
        _parallel(lambda h: setup_os(spec, h, faults), nm_hosts)
    engine_hosts = [h for h in running if spec.hosts[h].role == "dgx"]
    if engine_hosts:
        # after the preinstall: dockerd registers --gpus only if the toolkit's hook is there when it starts
        progress("Docker engine as DGX OS ships it (vfs storage driver): " + ", ".join(engine_hosts))
        _parallel(lambda h: dk.exec_(spec.container(h), OS_SCRIPT, "docker", timeout=180), engine_hosts)


def _parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(items, pool.map(fn, items), strict=True))


# ---------------------------------------------------------------- up

def up(pod_file: str | Path, progress: Progress = print) -> Paths:
    t0 = time.monotonic()
    spec, catalog_get = load_spec(pod_file)
    paths = Paths(find_root(), spec.pod)
    progress(f"pod {spec.pod}: {len(spec.hosts)} hosts, {len(spec.switches)} IB switches")
    images = ensure_testbed(paths, progress)
    image = images.twin
    mirror = reg.address_of(spec)
    if mirror and not images.standin:
        raise SimError("the pod's registry is in the twin but scripts/testbed builds no NGC stand-in image")
    pubkey = ensure_key(paths, spec.pod)
    available = repo_packages((paths.repo / "Packages").read_text()) if (paths.repo / "Packages").is_file() else set()
    pref = paths.apt_pref.read_bytes() if paths.apt_pref.is_file() else None
    if pref is None:
        progress("note: twin/apt/99deploy-pod-twin.pref not found; apt pinning file not installed")

    # hardware (base files; faults render on top)
    hwgen = hardware.load_hwgen(paths.root)
    if hwgen is None:
        progress("note: twin/emulators/hw/hwgen.py not found; writing minimal hardware files")
    hosts_hw, fabric = hardware.build(spec, catalog_get, hwgen)
    for host, hw in hosts_hw.items():
        _write_json(paths.hardware_dir / f"{host}.json", hw)
    _write_json(paths.hardware_dir / "fabric.json", fabric)
    _write_json(paths.dir / "spec.json", spec.as_dict())
    faults = _read_json(paths.faults, [])

    # ports: keep those of running containers, then deterministic free ones
    keep = _our_ports(spec.pod) | _read_json(paths.state, {}).get("ports", {})
    mine = set(_our_ports(spec.pod).values())
    host_ports = ports.allocate_ports(spec.pod, sorted(spec.hosts), lambda p: p in mine or ports.port_is_free(p),
                                      keep={h: p for h, p in keep.items() if h in spec.hosts})
    _write_json(paths.state, {"pod": spec.pod, "pod_file": str(Path(pod_file).resolve()), "image": image,
                              "ports": host_ports})

    # networks and the shared volume
    lbl = naming.labels(spec.pod)
    if not dk.exists("network", spec.mgmt_network):
        progress(f"network {spec.mgmt_network} ({spec.mgmt_cidr}, bridge address {spec.mgmt_gateway})")
        dk.network_create(spec.mgmt_network, lbl, subnet=spec.mgmt_cidr, gateway=spec.mgmt_gateway)
    for sw in spec.switches:
        name = spec.switch_network(sw)
        if not dk.exists("network", name):
            progress(f"network {name} (IB switch {sw}, bridge {spec.bridge(sw)})")
            # not --internal: Docker's isolation rules would drop the IPoIB addresses the
            # roles configure (they are outside the network's Docker subnet); no NAT either
            dk.network_create(name, naming.labels(spec.pod, switch=sw), bridge=spec.bridge(sw), masquerade=False)
    if not dk.exists("volume", spec.volume):
        progress(f"volume {spec.volume} -> {naming.SHARED_MOUNT}")
        dk.volume_create(spec.volume, lbl)

    # containers
    add_hosts = {h.name: h.mgmt_address for h in spec.hosts.values()}
    volumes = [f"{spec.volume}:{naming.SHARED_MOUNT}"]
    if paths.repo.is_dir():
        volumes.append(f"{paths.repo}:{naming.REPO_MOUNT}:ro")
    started = []
    already = {h for h in spec.hosts if dk.state(spec.container(h)) == "running"}
    for host, h in spec.hosts.items():
        name = spec.container(host)
        st = dk.state(name)
        if st != "absent" and h.role == "dgx" and not dk.has_engine_flags(name):
            raise SimError(f"{name} was made by an older deploy-pod (no Docker engine of its own); "
                           f"run `deploy-pod sim down {pod_file}`, then `sim up` again")
        if st == "absent":
            progress(f"container {name} ({h.role}, {h.hw_model}, {h.mgmt_address}, ssh 127.0.0.1:{host_ports[host]})")
            dk.container_create(name, image, hostname=host,
                                labels=naming.labels(spec.pod, host=host, role=h.role),
                                network=spec.mgmt_network, ip=h.mgmt_address, ssh_port=host_ports[host],
                                volumes=volumes, add_hosts=add_hosts, engine=h.role == "dgx")
            dk.copy_tar(name, make_tar(host_files(flt.render_hardware(hosts_hw[host], faults), pubkey, pref)))
        if st != "running" and not any(f["host"] == host and f["kind"] == "node-down" for f in faults):
            dk.start(name)
            started.append(host)
        elif st == "running":
            progress(f"container {name} already running")
    running = [h for h in spec.hosts if dk.state(spec.container(h)) == "running"]
    registry_created = False
    if mirror:
        _, registry_created = reg.start(spec, mirror, image, progress)

    progress(f"waiting for systemd in {len(running)} containers")
    states = _parallel(lambda h: wait_systemd(spec.container(h)), running)
    for h, st in states.items():
        if st != "running":
            failed = dk.exec_(spec.container(h), "systemctl", "--failed", "--no-legend", "--plain", check=False)
            progress(f"warning: {h}: systemd is {st}: {failed.stdout.decode().strip()}")

    for host in running:
        wire_host(spec, host, faults)
        emulate_kernel_knobs(spec.container(host))
    progress("IB cables plugged: " + ", ".join(
        f"{h}:{'/'.join(c.netdev for c in spec.hosts[h].cables)}" for h in running))
    push_fabric(spec, paths, faults)
    push_emulator_faults(spec, faults)
    for host in running:
        push_hardware(spec, paths, host, faults)

    # the pod's NGC mirror: configured and filled in the background while the hosts finish
    files = reg.Files(paths.dir)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    filling = None
    if mirror:
        def _mirror() -> list[str]:
            reg.ready(spec, mirror, files, registry_created, wait_systemd, progress)
            return reg.fill(paths.root, mirror, spec.registry_images, images.standin, files, progress)
        filling = pool.submit(_mirror)
    try:
        # hosts that were running already are finished (and may be serving: a grown pod's `sim up`
        # must not restart their engines or re-deliver their OS)
        finish_hosts(spec, [h for h in running if h not in already], available, faults, progress)
        refresh_appliance_names(spec, [h for h in running if h in already], progress)
    finally:
        pool.shutdown(wait=True)
    if filling is not None:
        filling.result()  # raises what the mirror step raised

    progress("waiting for SSH")
    keys = _parallel(lambda h: wait_ssh(paths, host_ports[h]), running)
    _write(paths.known_hosts, "".join(line + "\n" for h in sorted(keys) for line in keys[h]))
    for host in running:
        proc = ssh_check(paths, host_ports[host])
        if proc.returncode != 0:
            raise SimError(f"{host}: SSH login failed: {proc.stderr.strip()}")
    inv = overlay.overlay_inventory(host_ports, paths.key, paths.known_hosts,
                                    overlay.overlay_vars(files.ca_cert if mirror else None))
    _write(paths.overlay, overlay.HEADER.format(pod_file=pod_file, overlay=paths.overlay)
           + yaml.safe_dump(inv, sort_keys=True))
    progress(f"pod {spec.pod} is up in {time.monotonic() - t0:.0f} s; inventory overlay: {paths.overlay}")
    return paths


# ---------------------------------------------------------------- down / status

def resources(pod: str) -> dict[str, list[str]]:
    label = f"{naming.LABEL_POD}={pod}"
    return {kind: dk.ls(kind, label) for kind in ("container", "network", "volume")}


def down(pod_file: str | Path, progress: Progress = print) -> None:
    pod = pod_name(pod_file)
    res = resources(pod)
    for kind in ("container", "network", "volume"):
        if res[kind]:
            progress(f"removing {kind}s: {', '.join(res[kind])}")
            dk.remove(kind, res[kind])
    paths = Paths(find_root(), pod)
    if paths.dir.exists():
        progress(f"removing {paths.dir}")
        shutil.rmtree(paths.dir)
    progress(f"pod {pod} is down")


def status(pod_file: str | Path) -> dict:
    pod = pod_name(pod_file)
    paths = Paths(find_root(), pod)
    rows, services = [], []
    for name in dk.ls("container", f"{naming.LABEL_POD}={pod}"):
        info = dk.inspect("container", name) or {}
        labels = info.get("Config", {}).get("Labels") or {}
        binds = (info.get("HostConfig", {}).get("PortBindings") or {}).get("22/tcp") or []
        nets = info.get("NetworkSettings", {}).get("Networks") or {}
        mgmt = nets.get(naming.mgmt_network_name(pod), {}).get("IPAddress") or ""
        state = info.get("State", {}).get("Status", "?")
        if naming.LABEL_HOST not in labels:  # a twin service (the registry), no inventory host
            services.append({"container": name, "service": labels.get(naming.LABEL_SERVICE, ""), "state": state,
                             "mgmt_address": mgmt, "endpoint": labels.get("org.deploy-pod.registry", "")})
            continue
        rows.append({"container": name, "host": labels.get(naming.LABEL_HOST, ""),
                     "role": labels.get(naming.LABEL_ROLE, ""), "state": state,
                     "ssh_port": int(binds[0]["HostPort"]) if binds else None, "mgmt_address": mgmt})
    res = resources(pod)
    return {"pod": pod, "containers": rows, "services": services, "networks": res["network"],
            "volumes": res["volume"], "faults": _read_json(paths.faults, []),
            "sim_dir": str(paths.dir) if paths.dir.exists() else None}


# ---------------------------------------------------------------- faults

def _loaded(pod_file) -> tuple[SimSpec, Paths]:
    pod = pod_name(pod_file)
    paths = Paths(find_root(), pod)
    data = _read_json(paths.dir / "spec.json", None)
    if data is None:
        raise SimError(f"pod {pod} is not up (no {paths.dir / 'spec.json'}); run `deploy-pod sim up` first")
    return spec_from_dict(data), paths


def inject(pod_file: str | Path, host: str, kind: str, args: list[str], progress: Progress = print) -> dict:
    spec, paths = _loaded(pod_file)
    if host not in spec.hosts:
        raise SimError(f"{host} is not a twin host; hosts: {', '.join(spec.hosts)}")
    base = _read_json(paths.hardware_dir / f"{host}.json", {})
    switches = {s.name: s.ports for s in spec.switches.values()}
    current = _read_json(paths.faults, [])
    fabric = flt.render_fabric(_read_json(paths.hardware_dir / "fabric.json", {}), current)
    fault = flt.make_fault(base, kind, args, switches, flt.used_switch_ports(fabric))
    faults = flt.add_fault(current, fault)
    _write_json(paths.faults, faults)
    container = spec.container(host)
    if kind == "node-down":
        dk.stop(container)
    elif dk.state(container) == "running":
        if kind in ("ib-link-down", "miscable"):
            wire_host(spec, host, faults)
        if kind == "ipoib-address" and spec.hosts[host].management == "appliance":
            configure_appliance(spec, host, faults)
        push_hardware(spec, paths, host, faults)
    push_fabric(spec, paths, faults)
    if kind in flt.EMULATOR_KINDS and not push_emulator_faults(spec, faults):
        progress("note: no container runs; the fault is published at the next `sim up`")
    progress(f"fault injected: {flt.describe(fault)}")
    return fault


def clear(pod_file: str | Path, host: str | None = None, kind: str | None = None,
          progress: Progress = print) -> list[dict]:
    spec, paths = _loaded(pod_file)
    kept, removed = flt.clear_faults(_read_json(paths.faults, []), host, kind)
    _write_json(paths.faults, kept)
    for h in sorted({f["host"] for f in removed}):
        container = spec.container(h)
        if dk.state(container) != "running":
            if any(f["host"] == h and f["kind"] == "node-down" for f in kept):
                continue
            dk.start(container)
            wait_systemd(container)
            emulate_kernel_knobs(container)
        wire_host(spec, h, kept)
        if any(f["host"] == h and f["kind"] == "ipoib-address" for f in removed) \
                and spec.hosts[h].management == "appliance":
            configure_appliance(spec, h, kept)
        push_hardware(spec, paths, h, kept)
    push_fabric(spec, paths, kept)
    if any(f["kind"] in flt.EMULATOR_KINDS for f in removed):
        push_emulator_faults(spec, kept)
    state = _read_json(paths.state, {})
    for f in removed:
        if f["kind"] == "node-down" and f["host"] in state.get("ports", {}):
            wait_ssh(paths, state["ports"][f["host"]])
        progress(f"fault cleared: {flt.describe(f)}")
    if not removed:
        progress("no matching fault")
    return removed
