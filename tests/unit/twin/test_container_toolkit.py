"""What the twin's DGX Docker engines rely on: the emulated nvidia-container-runtime-hook (package
deploy-pod-twin-dgx), the runc wrapper that lowers limits the twin cannot grant (twin/image), and
scripts/mirror-ngc, which fills a pod's NGC mirror without putting the key on a command line."""

from __future__ import annotations

import base64
import importlib.machinery
import json
import os
import resource
import stat
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HOOK = ROOT / "twin" / "emulators" / "hw" / "nvidia_container_runtime_hook.py"
RUNC = ROOT / "twin" / "image" / "deploy-pod-twin-runc"
MIRROR = ROOT / "scripts" / "mirror-ngc"


def _load(name: str, path: Path):
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    mod = types.ModuleType(loader.name)
    mod.__file__ = str(path)
    loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- nvidia-container-runtime-hook

def _hardware(tmp_path: Path, missing: int | None = None) -> Path:
    gpus = [{"index": i, "model": "Tesla V100-SXM2-32GB", "uuid": f"GPU-{i:08x}-0000-0000-0000-000000000000",
             "bus_id": f"00000000:{6 + i:02X}:00.0", "present": i != missing} for i in range(8)]
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps({"schema": 1, "host": "dgx01", "driver_version": "535.183.06", "gpus": gpus,
                                "hcas": []}))
    return path


def _bundle(tmp_path: Path, env: list[str]) -> tuple[Path, Path]:
    bundle, rootfs = tmp_path / "bundle", tmp_path / "rootfs"
    bundle.mkdir()
    rootfs.mkdir()
    (bundle / "config.json").write_text(json.dumps({"ociVersion": "1.0.2-dev", "root": {"path": str(rootfs)},
                                                    "process": {"env": ["PATH=/usr/bin", *env]}}))
    return bundle, rootfs


def hook(*args: str, stdin: str = "", hw: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEPLOY_POD_TWIN_HARDWARE=str(hw or "/nonexistent"))
    return subprocess.run([sys.executable, str(HOOK), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


def test_hook_command_line_is_the_real_one():
    proc = hook()
    assert proc.returncode == 2 and proc.stderr.startswith("Usage of nvidia-container-runtime-hook:\n")
    assert "  prestart\n        run the prestart hook\n" in proc.stderr
    assert hook("createRuntime").returncode == 2
    assert hook("poststart").returncode == 0 and hook("poststop").returncode == 0
    bad = hook("-x", "prestart")
    assert bad.returncode == 2 and bad.stderr.startswith("flag provided but not defined: -x\n")
    assert hook("-version").stdout.startswith("NVIDIA Container Runtime Hook version ")


def test_hook_needs_a_container_state_on_stdin(tmp_path):
    proc = hook("prestart", stdin="{", hw=_hardware(tmp_path))
    assert proc.returncode == 1 and proc.stderr.startswith("could not decode container state:")
    proc = hook("prestart", stdin=json.dumps({"bundle": str(tmp_path / "nope")}), hw=_hardware(tmp_path))
    assert proc.returncode == 1 and proc.stderr.startswith("could not open OCI spec:")


def test_hook_gives_the_container_the_requested_gpu(tmp_path):
    hw = _hardware(tmp_path, missing=3)
    bundle, rootfs = _bundle(tmp_path, ["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_VISIBLE_DEVICES=4"])
    proc = hook("prestart", stdin=json.dumps({"ociVersion": "1.0.2", "pid": 1, "bundle": str(bundle)}), hw=hw)
    assert proc.returncode == 0, proc.stderr
    inner = json.loads((rootfs / "etc" / "deploy-pod-twin" / "hardware.json").read_text())
    # display index 4 is slot 5 once slot 3 fell off the bus; inside the container it is GPU 0
    assert [(g["index"], g["uuid"]) for g in inner["gpus"]] == [(0, "GPU-00000005-0000-0000-0000-000000000000")]
    assert os.readlink(rootfs / "usr" / "bin" / "nvidia-smi") == "/usr/lib/deploy-pod-twin/hw/nvidia_smi.py"
    assert (rootfs / "usr" / "lib" / "deploy-pod-twin" / "hw" / "twinhw.py").is_file()


def test_hook_selects_by_uuid_and_bus_id_and_refuses_unknown_devices(tmp_path):
    hw = _hardware(tmp_path, missing=3)
    bundle, rootfs = _bundle(tmp_path, ["NVIDIA_VISIBLE_DEVICES=GPU-00000001-0000-0000-0000-000000000000,0000:0D:00.0"])
    state = json.dumps({"bundle": str(bundle)})
    assert hook("prestart", stdin=state, hw=hw).returncode == 0
    inner = json.loads((rootfs / "etc" / "deploy-pod-twin" / "hardware.json").read_text())
    assert [g["bus_id"] for g in inner["gpus"]] == ["00000000:07:00.0", "00000000:0D:00.0"]
    (bundle / "config.json").write_text(json.dumps({"ociVersion": "1", "root": {"path": str(rootfs)},
                                                    "process": {"env": ["NVIDIA_VISIBLE_DEVICES=7"]}}))
    proc = hook("prestart", stdin=state, hw=hw)  # 7 GPUs are present: 0..6
    assert proc.returncode == 1 and proc.stderr == "nvidia-container-cli: device error: 7: unknown device\n"


def test_hook_leaves_containers_without_gpus_alone(tmp_path):
    bundle, rootfs = _bundle(tmp_path, [])
    assert hook("prestart", stdin=json.dumps({"bundle": str(bundle)}), hw=_hardware(tmp_path)).returncode == 0
    assert list(rootfs.iterdir()) == []
    (tmp_path / "x").mkdir()
    bundle2, _ = _bundle(tmp_path / "x", ["NVIDIA_VISIBLE_DEVICES=0"])
    proc = hook("prestart", stdin=json.dumps({"bundle": str(bundle2)}))  # no hardware file: no driver
    assert proc.returncode == 1 and "driver not loaded" in proc.stderr


def test_hook_never_writes_through_a_symlink(tmp_path):
    bundle, rootfs = _bundle(tmp_path, ["NVIDIA_VISIBLE_DEVICES=0"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (rootfs / "etc").symlink_to(outside)
    proc = hook("prestart", stdin=json.dumps({"bundle": str(bundle)}), hw=_hardware(tmp_path))
    assert proc.returncode == 1 and "symbolic link" in proc.stderr
    assert list(outside.iterdir()) == []


def test_the_dgx_package_ships_the_hook_in_dockerds_path():
    import yaml

    manifest = yaml.safe_load((ROOT / "twin" / "packages" / "deploy-pod-twin-dgx.yml").read_text())
    assert manifest["links"]["/usr/bin/nvidia-container-runtime-hook"].endswith("nvidia_container_runtime_hook.py")
    assert os.access(HOOK, os.X_OK)


# ---------------------------------------------------------------- deploy-pod-twin-runc

def test_runc_wrapper_finds_the_bundle_only_on_create():
    runc = _load("twin_runc", RUNC)
    assert runc.bundle_of(["--root", "/r", "create", "--bundle", "/b", "id"]) == "/b"
    assert runc.bundle_of(["create", "--bundle=/b", "id"]) == "/b"
    assert runc.bundle_of(["run", "-b", "/c", "id"]) == "/c"
    assert runc.bundle_of(["--root", "/r", "start", "id"]) is None
    assert runc.bundle_of(["create", "id"]) == "."


def test_runc_wrapper_lowers_only_what_cannot_be_granted(tmp_path):
    config = tmp_path / "config.json"
    _, nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    config.write_text(json.dumps({"process": {"rlimits": [
        {"type": "RLIMIT_MEMLOCK", "hard": 2**64 - 1, "soft": 2**64 - 1},
        {"type": "RLIMIT_NOFILE", "hard": min(nofile_hard, 1024), "soft": min(nofile_hard, 1024)}]}}))
    code = (f"import importlib.machinery, types; l = importlib.machinery.SourceFileLoader('r', {str(RUNC)!r}); "
            f"m = types.ModuleType('r'); l.exec_module(m); m.LOG = {str(tmp_path / 'log')!r}; "
            f"m.clamp({str(tmp_path)!r})")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    limits = {r["type"]: r for r in json.loads(config.read_text())["process"]["rlimits"]}
    assert limits["RLIMIT_NOFILE"]["hard"] == min(nofile_hard, 1024)  # within the limits: untouched
    memlock = limits["RLIMIT_MEMLOCK"]
    _, hard_now = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if memlock["hard"] == 2**64 - 1:  # this machine lets root raise it: nothing to lower
        assert not (tmp_path / "log").exists()
    else:
        assert memlock["hard"] == hard_now and memlock["soft"] == hard_now
        assert "lowered RLIMIT_MEMLOCK" in (tmp_path / "log").read_text()


# ---------------------------------------------------------------- scripts/mirror-ngc

def test_mirror_names_and_auth_file():
    m = _load("mirror_ngc_t", MIRROR)
    assert m.mirror_ref("nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "mirror:5000") == \
        "mirror:5000/nvidia/tensorflow:24.03-tf2-py3"
    assert m.source_ref("nvidia/pytorch:24.03-py3") == "nvcr.io/nvidia/pytorch:24.03-py3"
    content = m.auth_file_content("KEY123", "mirror:5000", "$oauthtoken", None)
    assert base64.b64decode(content["auths"]["nvcr.io"]["auth"]) == b"$oauthtoken:KEY123"
    assert base64.b64decode(content["auths"]["mirror:5000"]["auth"]) == b"$oauthtoken:KEY123"
    other = m.auth_file_content("KEY123", "mirror:5000", "admin", "pw")
    assert base64.b64decode(other["auths"]["mirror:5000"]["auth"]) == b"admin:pw"
    assert m.auth_file_content(None, "mirror:5000", "$oauthtoken", None) == {"auths": {}}
    args = m.skopeo_args("docker", "nvcr.io/nvidia/x:1@sha256:" + "a" * 64, "mirror:5000/nvidia/x:1", "/t/auth.json",
                         "/certs", False)
    assert args[:2] == ["skopeo", "copy"] and "--preserve-digests" in args and "--authfile" in args
    assert args[-2:] == ["docker://nvcr.io/nvidia/x:1@sha256:" + "a" * 64, "docker://mirror:5000/nvidia/x:1"]
    assert m.skopeo_args("docker-daemon", "standin:1", "m:5/a/b:c", None, None, True)[-3:] == \
        ["--all", "docker-daemon:standin:1", "docker://m:5/a/b:c"]


def test_mirror_dry_run_and_usage_errors():
    dry = subprocess.run([str(MIRROR), "--dest", "10.77.0.5:5000", "--dry-run",
                          "nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "nvidia/pytorch:24.03-py3"],
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0
    assert dry.stdout.splitlines() == [
        "docker:nvcr.io/nvidia/tensorflow:24.03-tf2-py3 -> 10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3",
        "docker:nvcr.io/nvidia/pytorch:24.03-py3 -> 10.77.0.5:5000/nvidia/pytorch:24.03-py3"]
    bad = subprocess.run([str(MIRROR), "--dest", "10.77.0.5:5000", "NVIDIA/Bad Name"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "is not an image reference" in bad.stderr
    helptext = subprocess.run([str(MIRROR), "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--dest-cert-dir" in helptext and "never on a command line" in helptext


def test_mirror_key_travels_only_in_a_private_auth_file(tmp_path):
    """A fake skopeo records its command line and the auth file it was given (mode, content)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.jsonl"
    fake = bindir / "skopeo"
    fake.write_text(f"""#!{sys.executable}
import json, os, stat, sys
args = sys.argv[1:]
auth = args[args.index("--authfile") + 1]
info = {{"args": args, "env": dict(os.environ), "auth": json.load(open(auth)),
         "mode": stat.S_IMODE(os.stat(auth).st_mode), "dirmode": stat.S_IMODE(os.stat(os.path.dirname(auth)).st_mode)}}
open({str(record)!r}, "a").write(json.dumps(info) + "\\n")
""")
    fake.chmod(0o755)
    key = "K" * 84
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", NGC_API_KEY=key)
    proc = subprocess.run([str(MIRROR), "--dest", "10.77.0.5:5000", "nvcr.io/nvidia/tensorflow:24.03-tf2-py3",
                           "nvcr.io/nvidia/pytorch:24.03-py3"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    calls = [json.loads(x) for x in record.read_text().splitlines()]
    assert len(calls) == 2
    for call in calls:
        assert not any(key in a for a in call["args"])
        assert "NGC_API_KEY" not in call["env"]
        assert call["mode"] == 0o600 and call["dirmode"] == 0o700
        assert base64.b64decode(call["auth"]["auths"]["nvcr.io"]["auth"]).decode() == f"$oauthtoken:{key}"
    auth_path = Path(calls[0]["args"][calls[0]["args"].index("--authfile") + 1])
    assert not auth_path.exists() and not auth_path.parent.exists()  # removed when done
    assert stat.S_IMODE(MIRROR.stat().st_mode) & 0o111
