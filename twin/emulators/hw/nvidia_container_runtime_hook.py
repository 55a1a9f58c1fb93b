#!/usr/bin/python3
"""Emulated nvidia-container-runtime-hook (nvidia-container-toolkit) for the deploy-pod twin.

DGX OS ships nvidia-container-toolkit. Docker's daemon registers its `--gpus` device driver only
when this binary is in its PATH when it starts; `docker run --gpus device=0 ...` then sets
NVIDIA_VISIBLE_DEVICES=0 in the container's environment and adds the OCI prestart hook
`nvidia-container-runtime-hook prestart`, which runc calls with the container state (JSON) on
stdin. The real hook reads the bundle's config.json and execs `nvidia-container-cli configure`,
which mounts the GPU device nodes and the driver's files into the container.

The twin has no GPU and no driver. This hook does what is observable of the real one:
- the command line of cmd/nvidia-container-runtime-hook/main.go: Go flags -debug, -version,
  -config FILE; commands prestart (the work), poststart and poststop (no-ops); no command or an
  unknown one prints the usage on stderr and exits 2; an unknown flag exits 2 as Go's flag package;
- prestart: decodes the state from stdin and the OCI spec of its bundle (the real messages when
  either is unreadable); a container without NVIDIA_VISIBLE_DEVICES (or `void`) is not a GPU
  container: nothing to do; otherwise every requested device (index as the driver enumerates
  the present GPUs, GPU UUID or PCI bus id; `all`; `none`) must exist in the hardware file, else
  `nvidia-container-cli: device error: X: unknown device` and exit 1, as the real CLI fails;
- as nvidia-container-cli mounts the driver's files, it writes into the container's root file
  system the GPUs it sees (/etc/deploy-pod-twin/hardware.json: the host's hardware file with
  only the visible GPUs, renumbered from 0 as inside a real container) and the emulated
  nvidia-smi (/usr/bin/nvidia-smi), so `nvidia-smi -L` in the container lists exactly them.
  A symbolic link on the way is refused (the real CLI resolves paths inside the root).
Stdlib only.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
import twinhw  # noqa: E402

VERSION = "1.14.6"  # the toolkit release this hook claims to be (DGX OS 6 era)
USAGE = """Usage of nvidia-container-runtime-hook:
  -config string
    \tconfiguration file
  -debug
    \tenable debug output
  -version
    \tenable version output

Commands:
  prestart
        run the prestart hook
  poststart
        no-op
  poststop
        no-op
"""
FLAGS = {"config": True, "debug": False, "version": False}  # name -> takes a value
CONTAINER_HW = "/etc/deploy-pod-twin/hardware.json"
SMI_FILES = ("nvidia_smi.py", "twinhw.py")
SMI_DIR = "/usr/lib/deploy-pod-twin/hw"


class HookError(Exception):
    pass


def usage(code: int = 2) -> int:
    sys.stderr.write(USAGE)
    return code


def parse(argv: list[str]) -> tuple[dict, list[str]] | int:
    """Go's flag package: -flag, --flag, -flag=value, -flag value; stops at the first non-flag."""
    opts: dict = {"config": "", "debug": False, "version": False}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        name = a.lstrip("-")
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        if name not in FLAGS:
            sys.stderr.write(f"flag provided but not defined: -{name}\n")
            return usage()
        if FLAGS[name]:
            if value is None:
                if i + 1 >= len(argv):
                    sys.stderr.write(f"flag needs an argument: -{name}\n")
                    return usage()
                i += 1
                value = argv[i]
            opts[name] = value
        else:
            if value is not None and value.lower() not in ("1", "0", "t", "f", "true", "false"):
                sys.stderr.write(f'invalid boolean value "{value}" for -{name}: parse error\n')
                return usage()
            opts[name] = value is None or value.lower() in ("1", "t", "true")
        i += 1
    return opts, argv[i:]


def panic(*parts) -> HookError:
    """log.Panicln: the message on stderr, exit 1 (the real hook recovers and exits 1)."""
    return HookError(" ".join(str(p) for p in parts))


def load_spec(bundle: str) -> dict:
    path = os.path.join(bundle, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise panic("could not open OCI spec:", f"open {path}: {exc.strerror.lower()}") from exc
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise panic("could not decode OCI spec:", exc) from exc
    if not isinstance(spec, dict) or spec.get("ociVersion") is None:
        raise panic("Version is empty in OCI spec")
    if spec.get("process") is None:
        raise panic("Process is empty in OCI spec")
    if spec.get("root") is None:
        raise panic("Root is empty in OCI spec")
    return spec


def visible_devices(env: list[str]) -> str | None:
    """NVIDIA_VISIBLE_DEVICES of the container (the last one wins, as in the process env)."""
    value = None
    for item in env or []:
        if item.startswith("NVIDIA_VISIBLE_DEVICES="):
            value = item.split("=", 1)[1]
    if value is None or value.strip() in ("", "void"):
        return None
    return value.strip()


def _norm_bus(bus: str) -> str:
    bus = bus.lower()
    dom, _, rest = bus.partition(":")
    if rest and len(dom) < 8 and rest.count(":") == 1:
        return dom.rjust(8, "0") + ":" + rest
    return bus


def _matches(dev: str, g: dict) -> bool:
    if dev.isdigit():
        return int(dev) == g["display_index"]
    if dev.startswith("GPU-"):
        return dev.lower() == str(g.get("uuid", "")).lower()
    return ":" in dev and bool(g.get("bus_id")) and _norm_bus(dev) == _norm_bus(g["bus_id"])


def select_gpus(hw: dict, devices: str) -> list[dict]:
    """The GPUs `devices` names, as nvidia-container-cli resolves --device (index, UUID, bus id)."""
    gpus = twinhw.present_gpus(hw)
    if devices == "all":
        return gpus
    if devices == "none":
        return []
    out = []
    for dev in (d.strip() for d in devices.split(",")):
        found = next((g for g in gpus if _matches(dev, g)), None)
        if found is None:
            raise panic(f"nvidia-container-cli: device error: {dev}: unknown device")
        if found not in out:
            out.append(found)
    return out


def _inside(root: str, path: str) -> str:
    """root + path, refusing a symbolic link on the way (nothing may leave the container's root)."""
    cur = os.path.realpath(root)
    for part in [p for p in path.split("/") if p]:
        cur = os.path.join(cur, part)
        if os.path.islink(cur):
            raise panic(f"nvidia-container-cli: mount error: {path}: symbolic link in the container root")
    return cur


def _write(root: str, path: str, data: bytes, mode: int) -> None:
    target = _inside(root, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as f:
        f.write(data)
    os.chmod(target, mode)


def inject(rootfs: str, hw: dict, gpus: list[dict]) -> None:
    """What the container sees of the driver: its GPUs and nvidia-smi."""
    keep = {g["index"] for g in gpus}
    inner = dict(hw)
    inner["gpus"] = []
    for n, g in enumerate(g for g in hw.get("gpus") or [] if g.get("present", True) and g["index"] in keep):
        inner["gpus"].append({**g, "index": n})
    inner["topology"] = None
    _write(rootfs, CONTAINER_HW, (json.dumps(inner, indent=2, sort_keys=True) + "\n").encode(), 0o644)
    for name in SMI_FILES:
        src = os.path.join(HERE, name)
        if os.path.isfile(src):
            with open(src, "rb") as f:
                _write(rootfs, f"{SMI_DIR}/{name}", f.read(), 0o755)
    link = _inside(rootfs, "/usr/bin/nvidia-smi")
    if os.path.lexists(link):
        os.remove(link)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(f"{SMI_DIR}/nvidia_smi.py", link)


def prestart(stdin_text: str) -> None:
    try:
        state = json.loads(stdin_text)
        if not isinstance(state, dict):
            raise ValueError("json: cannot unmarshal into Go value of type main.HookState")
    except ValueError as exc:
        raise panic("could not decode container state:", exc) from exc
    bundle = state.get("bundle") or state.get("bundlePath") or ""
    spec = load_spec(bundle)
    devices = visible_devices((spec.get("process") or {}).get("env") or [])
    if devices is None:
        return  # not a GPU container
    try:
        hw = twinhw.load_hardware()
    except twinhw.TwinHardwareError as exc:
        raise panic("nvidia-container-cli: initialization error: nvml error: driver not loaded") from exc
    if not hw.get("gpus"):
        raise panic("nvidia-container-cli: initialization error: nvml error: driver not loaded")
    gpus = select_gpus(hw, devices)
    rootfs = (spec.get("root") or {}).get("path") or ""
    if not os.path.isabs(rootfs):
        rootfs = os.path.join(bundle, rootfs)
    if not os.path.isdir(rootfs):
        raise panic(f"nvidia-container-cli: mount error: open {rootfs}: no such file or directory")
    inject(rootfs, hw, gpus)


def main(argv: list[str]) -> int:
    parsed = parse(argv)
    if isinstance(parsed, int):
        return parsed
    opts, args = parsed
    if opts["version"]:
        sys.stdout.write(f"NVIDIA Container Runtime Hook version {VERSION}\n")
        return 0
    if not args:
        return usage()
    cmd = args[0]
    if cmd in ("poststart", "poststop"):
        return 0
    if cmd != "prestart":
        return usage()
    try:
        prestart(sys.stdin.read())
    except HookError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
