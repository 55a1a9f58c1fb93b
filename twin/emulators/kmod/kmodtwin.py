#!/usr/bin/python3
"""Emulated lsmod and modprobe for the deploy-pod twin (package deploy-pod-twin-kmod).

A twin container cannot load kernel modules (no /lib/modules, no CAP_SYS_MODULE, and the
real lsmod would list the *host's* modules). These stand-ins, installed in /usr/local/sbin
ahead of kmod's /usr/sbin tools on the PATH, keep a per-container list of loaded modules
under /run/deploy-pod-twin/kmod/ (tmpfs: gone at "reboot", as real modules are), print
exactly what kmod prints, and fail with kmod's messages.

Which modules exist follows the twin's hardware file (/etc/deploy-pod-twin/hardware.json,
see twinhw.py): a host with HCAs has the inbox RDMA stack (mlx5_core, mlx5_ib, ib_ipoib,
...) loaded at boot, as udev does on real hardware; a host with GPUs has the NVIDIA driver
(nvidia, nvidia_uvm, ...) loaded and can load nvidia_peermem, which is NOT loaded at boot
(DGX OS does not load it until asked). A storage node without GPUs has no nvidia_peermem:
`modprobe nvidia_peermem` fails there as on a real ESS canister.

One script, three names (argv[0], or env DEPLOY_POD_TWIN_KMOD_TOOL in tests):
    lsmod
    modprobe [-q] [-v] [-n] [-a] [-r] [--first-time] NAME [param=value ...]
    deploy-pod-twin-modules-load      what systemd-modules-load does at boot (that unit is
                                      masked in the twin image): load every module named in
                                      /etc/modules-load.d/*.conf, /run/modules-load.d/*.conf,
                                      /usr/lib/modules-load.d/*.conf and /etc/modules
Environment: DEPLOY_POD_TWIN_KMOD_STATE (state directory), DEPLOY_POD_TWIN_HARDWARE.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import sys

STATE_DIR = os.environ.get("DEPLOY_POD_TWIN_KMOD_STATE") or "/run/deploy-pod-twin/kmod"
HARDWARE = os.environ.get("DEPLOY_POD_TWIN_HARDWARE") or "/etc/deploy-pod-twin/hardware.json"
RELEASE = os.uname().release

# name -> (size in bytes as lsmod prints it, dependencies). Sizes from a DGX OS 6 kernel.
GENERIC = {
    "x_tables": (53248, []), "ip_tables": (32768, ["x_tables"]), "autofs4": (49152, []),
    "bonding": (196608, []), "mrp": (20480, []), "garp": (16384, []), "8021q": (45056, ["garp", "mrp"]),
    "br_netfilter": (32768, []), "overlay": (151552, []), "nfsd": (770048, []),
}
RDMA = {
    "mlxfw": (36864, []), "mlx5_core": (1871872, ["mlxfw"]), "ib_core": (397312, []),
    "ib_uverbs": (163840, ["ib_core"]), "mlx5_ib": (380928, ["mlx5_core", "ib_uverbs", "ib_core"]),
    "ib_cm": (131072, ["ib_core"]), "iw_cm": (49152, ["ib_core"]),
    "ib_ipoib": (135168, ["ib_cm", "ib_core"]), "ib_umad": (40960, ["ib_core"]),
    "rdma_cm": (122880, ["iw_cm", "ib_cm", "ib_core"]), "rdma_ucm": (28672, ["rdma_cm", "ib_uverbs", "ib_core"]),
    "scsi_transport_srp": (28672, []), "ib_srp": (61440, ["scsi_transport_srp", "rdma_cm", "ib_cm", "ib_core"]),
    "ib_iser": (45056, ["rdma_cm", "ib_core"]), "nvme_fabrics": (32768, []),
    "nvme_rdma": (49152, ["nvme_fabrics", "rdma_cm", "ib_core"]),
    "udp_tunnel": (32768, []), "ip6_udp_tunnel": (16384, []),
    "rdma_rxe": (147456, ["ip6_udp_tunnel", "udp_tunnel", "ib_uverbs", "ib_core"]),
}
NVIDIA = {
    "nvidia": (56463360, []), "nvidia_uvm": (1466368, ["nvidia"]), "nvidia_modeset": (1241088, ["nvidia"]),
    "nvidia_drm": (69632, ["nvidia_modeset"]), "nvidia_peermem": (16384, ["nvidia", "ib_core"]),
}
BOOT_GENERIC = ["x_tables", "ip_tables", "autofs4"]
BOOT_RDMA = ["mlxfw", "mlx5_core", "ib_core", "ib_uverbs", "mlx5_ib", "ib_cm", "iw_cm", "ib_ipoib", "ib_umad",
             "rdma_cm", "rdma_ucm"]
BOOT_NVIDIA = ["nvidia", "nvidia_modeset", "nvidia_uvm", "nvidia_drm"]
MODULES_LOAD_DIRS = ["/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
                     "/usr/lib/modules-load.d"]

USAGE = """Usage:
\tmodprobe [options] [-i] [-b] modulename
\tmodprobe [options] -a [-i] [-b] modulename [modulename...]
\tmodprobe [options] -r [-i] modulename
\tmodprobe [options] -r -a [-i] modulename [modulename...]
"""


def norm(name: str) -> str:
    return name.replace("-", "_")


def hardware() -> dict:
    try:
        with open(HARDWARE, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def available() -> tuple[dict, list[str]]:
    """(modules this host's kernel has, modules loaded at boot) from the hardware file."""
    hw = hardware()
    mods, boot = dict(GENERIC), list(BOOT_GENERIC)
    mods.update(RDMA)  # every DGX OS / ESS kernel ships the inbox RDMA modules
    if hw.get("hcas"):
        boot += BOOT_RDMA
    if hw.get("gpus"):  # the NVIDIA driver is installed only where there are GPUs
        mods.update(NVIDIA)
        boot += BOOT_NVIDIA
    return mods, boot


@contextlib.contextmanager
def state():
    """Locked, read-modify-write list of loaded modules, oldest first: [{name, params}]."""
    os.makedirs(STATE_DIR, exist_ok=True)
    path = os.path.join(STATE_DIR, "loaded.json")
    with open(os.path.join(STATE_DIR, ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as fh:
                loaded = json.load(fh)["modules"]
        except (OSError, ValueError, KeyError):
            loaded = [{"name": n, "params": []} for n in available()[1]]
        before = json.dumps(loaded)
        yield loaded
        if json.dumps(loaded) != before or not os.path.exists(path):
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"modules": loaded}, fh, indent=1)
            os.replace(tmp, path)


def holders(loaded: list[dict], name: str, mods: dict) -> list[str]:
    """Loaded modules that depend on `name`, most recently loaded first (as lsmod lists them)."""
    return [m["name"] for m in reversed(loaded) if name in mods.get(m["name"], (0, []))[1]]


def lsmod(argv: list[str]) -> int:
    if argv:
        print("Usage: lsmod", file=sys.stderr)
        return 1
    mods, _ = available()
    with state() as loaded:
        snapshot = list(loaded)
    print("Module                  Size  Used by")
    for m in reversed(snapshot):
        size = mods.get(m["name"], (16384, []))[0]
        users = holders(snapshot, m["name"], mods)
        line = f"{m['name']:<19} {size:>8}  {len(users)}"
        if users:
            line += " " + ",".join(users)
        print(line)
    return 0


def _load(loaded: list[dict], mods: dict, name: str, params: list[str], first_time: bool,
          verbose: bool, dry_run: bool) -> str | None:
    """Load name and its dependencies; returns an error message or None."""
    names = [m["name"] for m in loaded]
    if name in names:
        if first_time:
            return f"modprobe: ERROR: could not insert '{name}': Module already in kernel"
        return None
    for dep in mods[name][1]:
        err = _load(loaded, mods, dep, [], False, verbose, dry_run)
        if err:
            return err
    if verbose:
        extra = (" " + " ".join(params)) if params else ""
        print(f"insmod /lib/modules/{RELEASE}/kernel/drivers/{name}.ko{extra} ")
    if not dry_run:
        loaded.append({"name": name, "params": params})
    return None


def _remove(loaded: list[dict], mods: dict, name: str, verbose: bool, dry_run: bool, top: bool) -> str | None:
    names = [m["name"] for m in loaded]
    if name not in names:
        return f"modprobe: FATAL: Module {name} is not in kernel." if top else None
    if holders(loaded, name, mods):
        return f"modprobe: FATAL: Module {name} is in use." if top else None
    if verbose:
        print(f"rmmod {name}")
    if not dry_run:
        loaded[:] = [m for m in loaded if m["name"] != name]
    for dep in mods.get(name, (0, []))[1]:  # kmod also removes dependencies nobody uses any more
        _remove(loaded, mods, dep, verbose, dry_run, False)
    return None


def modprobe(argv: list[str]) -> int:
    opts, args = set(), []
    it = iter(argv)
    for a in it:
        if a in ("-r", "--remove"):
            opts.add("remove")
        elif a in ("-q", "--quiet"):
            opts.add("quiet")
        elif a in ("-v", "--verbose"):
            opts.add("verbose")
        elif a in ("-n", "--dry-run", "--show"):
            opts.add("dry_run")
        elif a in ("-a", "--all"):
            opts.add("all")
        elif a in ("-b", "--use-blacklist", "-i", "--ignore-install", "--ignore-remove"):
            continue
        elif a == "--first-time":
            opts.add("first_time")
        elif a in ("-V", "--version"):
            print("kmod version 30 (deploy-pod twin emulation)\n+ZSTD +XZ -ZLIB +LIBCRYPTO -EXPERIMENTAL")
            return 0
        elif a in ("-h", "--help"):
            print(USAGE, end="")
            return 0
        elif a in ("-S", "--set-version", "-C", "--config", "-d", "--dirname"):
            next(it, None)
        elif a.startswith("-") and len(a) > 1:
            print(f"modprobe: unrecognized option '{a}'", file=sys.stderr)
            print(USAGE, end="", file=sys.stderr)
            return 1
        else:
            args.append(a)
    if not args:
        print("modprobe: ERROR: missing parameters. See -h.", file=sys.stderr)
        return 1
    if "all" in opts:
        names, params = [norm(a) for a in args], []
    else:
        names, params = [norm(args[0])], args[1:]
    quiet, verbose, dry_run = "quiet" in opts, "verbose" in opts, "dry_run" in opts
    mods, _ = available()
    rc = 0
    with state() as loaded:
        for name in names:
            if name not in mods:
                if not quiet:
                    if "remove" in opts:
                        print(f"modprobe: FATAL: Module {name} not found.", file=sys.stderr)
                    else:
                        print(f"modprobe: FATAL: Module {name} not found in directory /lib/modules/{RELEASE}",
                              file=sys.stderr)
                rc = 1
                continue
            if "remove" in opts:
                err = _remove(loaded, mods, name, verbose, dry_run, True)
            else:
                err = _load(loaded, mods, name, params, "first_time" in opts, verbose, dry_run)
            if err:
                if not quiet:
                    print(err, file=sys.stderr)
                rc = 1
    return rc


def modules_load(argv: list[str]) -> int:
    """Boot: load the modules the modules-load.d files name (systemd-modules-load's rules:
    a file name in an earlier directory hides the same name in later ones)."""
    chosen: dict[str, str] = {}
    for d in MODULES_LOAD_DIRS:
        for path in sorted(glob.glob(os.path.join(d, "*.conf"))):
            chosen.setdefault(os.path.basename(path), path)
    files = [chosen[k] for k in sorted(chosen)] + (["/etc/modules"] if os.path.isfile("/etc/modules") else [])
    rc = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for raw in lines:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            name = line.split()[0]
            if modprobe(["-q", name]) != 0:
                print(f"Failed to find module '{name}'", file=sys.stderr)
                rc = 1
            else:
                print(f"Inserted module '{norm(name)}'")
    return rc


def main(argv: list[str]) -> int:
    tool = os.environ.get("DEPLOY_POD_TWIN_KMOD_TOOL") or os.path.basename(argv[0])
    if tool == "lsmod":
        return lsmod(argv[1:])
    if tool == "modprobe":
        return modprobe(argv[1:])
    if tool == "deploy-pod-twin-modules-load":
        return modules_load(argv[1:])
    print(f"kmodtwin: called as {tool!r}; expected lsmod, modprobe or deploy-pod-twin-modules-load",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
