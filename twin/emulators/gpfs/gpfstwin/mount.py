"""GPFS mounts as real bind mounts of <shared>/gpfs/<fs>, so every node sees the same data.

mmmount/mmumount record the wanted mounts in the shared state; the local node acts at once
and every node's daemon reconciles its own mounts on each heartbeat (a container can only
mount inside itself). mmlsmount reports what each live daemon says it has mounted.
"""

import os
import subprocess
import sys
import time

from . import env, state, yfmt
from .args import parse
from .common import alive_nodes, failed, local_node, require_cluster, require_quorum, resolve_nodes
from .errors import MMError


def source_dir(fs: str) -> str:
    return os.path.join(env.shared_dir(), "gpfs", fs)


def _mounted_paths() -> set[str]:
    try:
        with open("/proc/self/mountinfo") as f:
            return {ln.split()[4].replace("\\040", " ") for ln in f if len(ln.split()) > 4}
    except OSError:
        return set()


def is_mounted(mount_point: str) -> bool:
    path = env.sysroot_path(mount_point)
    if env.symlink_mounts():
        return os.path.islink(path)
    return os.path.realpath(path) in _mounted_paths()


def do_mount(fs: str, mount_point: str) -> None:
    src, dst = source_dir(fs), env.sysroot_path(mount_point)
    os.makedirs(src, exist_ok=True)
    if is_mounted(mount_point):
        return
    if env.symlink_mounts():
        if os.path.isdir(dst) and not os.path.islink(dst):
            os.rmdir(dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.symlink(src, dst)
        return
    os.makedirs(dst, exist_ok=True)
    res = subprocess.run(["mount", "--bind", src, dst], capture_output=True, text=True)
    if res.returncode != 0:
        raise MMError(f"mmmount: Cannot mount {fs} on {mount_point}: {res.stderr.strip()}")


def do_umount(mount_point: str) -> None:
    dst = env.sysroot_path(mount_point)
    if not is_mounted(mount_point):
        return
    if env.symlink_mounts():
        os.unlink(dst)
        os.makedirs(dst, exist_ok=True)
        return
    subprocess.run(["umount", "-l", dst], capture_output=True, text=True)


def reconcile(st: dict, node: str | None, active: bool) -> list[str]:
    """Make this node's mounts match the wanted ones; returns the file systems now mounted."""
    mounted = []
    for fs, rec in sorted(st["filesystems"].items()):
        want = active and node in st["mount_desired"].get(fs, [])
        try:
            if want:
                do_mount(fs, rec["mount_point"])
            else:
                do_umount(rec["mount_point"])
        except MMError:
            pass
        if is_mounted(rec["mount_point"]):
            mounted.append(fs)
    return mounted


def mounted_on(st: dict, fs: str, alive: set[str]) -> list[str]:
    nodes = st["nodes"]
    out = [n for n in alive if fs in state.read_node_status(n).get("mounted", [])]
    return sorted(out, key=lambda n: nodes[n]["number"])


def _fs_list(st: dict, dev: str, command: str) -> list[str]:
    if dev in ("all", "all_local"):
        return sorted(st["filesystems"])
    name = dev.removeprefix("/dev/")
    for fs, rec in st["filesystems"].items():
        if name == fs or dev == rec["mount_point"]:
            return [fs]
    raise MMError(f"{command}: File system {name} is not known to the GPFS cluster.",
                  extra=failed(command))


def _targets(st: dict, opts: dict, command: str) -> list[str]:
    if opts.get("-a"):
        return sorted(st["nodes"], key=lambda n: st["nodes"][n]["number"])
    if "-N" in opts:
        return resolve_nodes(st, opts["-N"], command)
    me = local_node(st)
    if me is None:
        raise MMError(f"{command}: This node does not belong to a GPFS cluster.")
    return [me]


def _wait_for(check, timeout: float) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return True
        time.sleep(min(0.2, env.heartbeat_interval() / 4))
    return check()


def _publish_local(node: str) -> None:
    st = state.load()
    status = state.read_node_status(node)
    if status:
        status["mounted"] = reconcile(st, node, state.daemon_alive(status))
        state.write_node_status(node, status)


def mmmount(argv: list[str]) -> int:
    usage = ("mmmount {Device | DefaultMountPoint | all | all_local} [-o MountOptions] [-a | -N "
             "{Node[,Node...] | NodeFile | NodeClass}]")
    opts, pos = parse(argv, {"-N", "-o"}, {"-a"}, usage, "mmmount")
    if len(pos) != 1:
        raise MMError("mmmount: Missing arguments.", extra=(f"Usage: {usage}",))
    st = state.load()
    require_cluster(st, "mmmount")
    require_quorum(st, "mmmount")
    fss = _fs_list(st, pos[0], "mmmount")
    nodes = _targets(st, opts, "mmmount")
    alive = alive_nodes(st)
    print(f"{time.strftime('%a %b %d %H:%M:%S %Z %Y')}: mmmount: Mounting file systems ...")
    with state.transaction() as tx:
        for fs in fss:
            want = tx["mount_desired"].setdefault(fs, [])
            want.extend(n for n in nodes if n in alive and n not in want)
    me = local_node(st)
    if me in nodes:
        _publish_local(me)
    bad = [n for n in nodes if n not in alive]
    ok = _wait_for(lambda: all(fs in state.read_node_status(n).get("mounted", [])
                               for n in nodes if n in alive for fs in fss),
                   3 * env.heartbeat_interval() + 2)
    for n in bad:
        print(f"mmmount: {n}: GPFS is not running on this node.", file=sys.stderr)
    if bad or not ok:
        raise MMError(failed("mmmount")[0])
    return 0


def mmumount(argv: list[str]) -> int:
    usage = "mmumount {Device | MountPoint | all | all_local} [-f] [-a | -N {Node[,Node...] | NodeFile | NodeClass}]"
    opts, pos = parse(argv, {"-N"}, {"-a", "-f"}, usage, "mmumount")
    if len(pos) != 1:
        raise MMError("mmumount: Missing arguments.", extra=(f"Usage: {usage}",))
    st = state.load()
    require_cluster(st, "mmumount")
    fss = _fs_list(st, pos[0], "mmumount")
    nodes = _targets(st, opts, "mmumount")
    print(f"{time.strftime('%a %b %d %H:%M:%S %Z %Y')}: mmumount: Unmounting file systems ...")
    with state.transaction() as tx:
        for fs in fss:
            tx["mount_desired"][fs] = [n for n in tx["mount_desired"].get(fs, []) if n not in nodes]
    me = local_node(st)
    if me in nodes:
        for fs in fss:
            do_umount(st["filesystems"][fs]["mount_point"])
        _publish_local(me)
    alive = alive_nodes(st)
    _wait_for(lambda: not any(fs in state.read_node_status(n).get("mounted", [])
                              for n in nodes if n in alive for fs in fss),
              3 * env.heartbeat_interval() + 2)
    return 0


def mmlsmount(argv: list[str]) -> int:
    usage = "mmlsmount {Device | all | all_local} [-L] [-Y] [-C {all | all_remote | ClusterName}]"
    opts, pos = parse(argv, {"-C"}, {"-L", "-Y"}, usage, "mmlsmount")
    if len(pos) != 1:
        raise MMError("mmlsmount: Missing arguments.", extra=(f"Usage: {usage}",))
    st = state.load()
    cl = require_cluster(st, "mmlsmount")
    fss = _fs_list(st, pos[0], "mmlsmount")
    alive = alive_nodes(st)
    if opts.get("-Y"):
        # fields as IBM's mmlsmount -Y: a data row quoted in a public LTFS-EE launcher script (code
        # index id 37414048, no header line) has these 8 values, nodeName in the 12th ':' field
        fields = ["localDevName", "realDevName", "owningCluster", "totalNodes", "nodeIP", "nodeName",
                  "clusterName", "env"]
        rows = []
        for fs in fss:
            on = mounted_on(st, fs, alive)
            for n in on:
                rows.append([fs, fs, cl["name"], len(on), st["nodes"][n]["ip"], n, cl["name"], "RW"])
        print("\n".join(yfmt.table("mmlsmount", "", fields, rows)))
        return 0
    for fs in fss:
        on = mounted_on(st, fs, alive)
        # plain layouts as tests/fixtures/real/mmlsmount_L.1.txt (IBM's "Determining which nodes
        # have a file system mounted": owning cluster in the title, IP padded to 15, name to 31)
        if not on:
            print(f"File system {fs} is not mounted.")
            continue
        if not opts.get("-L"):
            print(f"File system {fs} is mounted on {len(on)} nodes.")
            continue
        print(f"File system {fs} ({cl['name']}:{fs}) is mounted on {len(on)} nodes:")
        for n in on:
            print(f"  {st['nodes'][n]['ip']:<15} {n:<31} {cl['name']}")
    return 0
