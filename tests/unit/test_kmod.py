"""lsmod parsing and modules-load.d helpers of plugins/module_utils/kmod.py, and the twin's
emulated lsmod (twin/emulators/kmod) read back by the same parser."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("kmod", ROOT / "plugins" / "module_utils" / "kmod.py")
kmod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kmod)

# A DGX-1 with DGX OS 6 (kernel 5.15, MLNX OFED), as lsmod (kmod 29) prints it; trimmed.
DGX_LSMOD = """\
Module                  Size  Used by
nvidia_peermem         16384  0
ib_ipoib              135168  0
ib_umad                40960  0
rdma_ucm               28672  0
rdma_cm               122880  1 rdma_ucm
iw_cm                  49152  1 rdma_cm
ib_cm                 131072  2 rdma_cm,ib_ipoib
mlx5_ib               380928  0
ib_uverbs             163840  3 nvidia_peermem,rdma_ucm,mlx5_ib
nvidia_uvm           1466368  4
nvidia_drm             69632  0
nvidia_modeset       1241088  1 nvidia_drm
nvidia              56463360  131 nvidia_uvm,nvidia_peermem,nvidia_modeset
ib_core               397312  8 rdma_cm,ib_ipoib,nvidia_peermem,iw_cm,ib_umad,rdma_ucm,ib_uverbs,mlx5_ib,ib_cm
mlx5_core            1871872  1 mlx5_ib
zfs                  3960832  6 [permanent]
"""


def test_parses_every_module_with_size_count_and_holders():
    mods = kmod.parse_lsmod(DGX_LSMOD)
    assert list(mods)[:3] == ["nvidia_peermem", "ib_ipoib", "ib_umad"]
    assert len(mods) == 16
    assert mods["nvidia_peermem"] == {"size": 16384, "use_count": 0, "used_by": [], "flags": []}
    assert mods["nvidia"]["use_count"] == 131
    assert mods["nvidia"]["used_by"] == ["nvidia_uvm", "nvidia_peermem", "nvidia_modeset"]
    assert mods["ib_core"]["used_by"][-1] == "ib_cm"
    assert mods["nvidia_uvm"]["used_by"] == []  # held by open handles, no holder module


def test_permanent_and_unsafe_flags_and_old_trailing_comma():
    text = ("Module                  Size  Used by\n"
            "zfs                  3960832  6 [permanent]\n"
            "mlx_compat             16384  11 ib_core,mlx5_core,\n"
            "foo                    12288  1 bar [unsafe]\n"
            "bi                     16384  - -\n")
    mods = kmod.parse_lsmod(text)
    assert mods["zfs"]["flags"] == ["permanent"] and mods["zfs"]["used_by"] == []
    assert mods["mlx_compat"]["used_by"] == ["ib_core", "mlx5_core"]
    assert mods["foo"] == {"size": 12288, "use_count": 1, "used_by": ["bar"], "flags": ["unsafe"]}
    assert mods["bi"]["use_count"] is None and mods["bi"]["used_by"] == []


def test_header_only_and_empty_mean_nothing_loaded():
    assert kmod.parse_lsmod("Module                  Size  Used by\n") == {}
    assert kmod.parse_lsmod("") == {}


def test_tabs_blank_lines_and_source_comment_are_tolerated():
    text = "# source: test\n\nModule\tSize\tUsed by\nib_ipoib\t135168\t0\n\n"
    assert kmod.parse_lsmod(text) == {"ib_ipoib": {"size": 135168, "use_count": 0, "used_by": [], "flags": []}}


@pytest.mark.parametrize("text", [
    "lsmod: ERROR: could not open '/proc/modules': No such file or directory\n",
    "Module                  Size  Used by\nnot a module line\n",
    "Module                  Size  Used by\nib_ipoib  big  0\n",
])
def test_not_lsmod_output_raises(text):
    with pytest.raises(kmod.LsmodParseError):
        kmod.parse_lsmod(text)


def test_dash_and_underscore_are_the_same_module():
    mods = kmod.parse_lsmod(DGX_LSMOD)
    assert kmod.is_loaded(mods, "nvidia-peermem")
    assert kmod.is_loaded(mods, "nvidia_peermem")
    assert not kmod.is_loaded(mods, "nv_peer_mem")
    assert kmod.normalize_name(" ib-ipoib ") == "ib_ipoib"


@pytest.mark.parametrize("name,ok", [
    ("nvidia_peermem", True), ("nvidia-peermem", True), ("mlx5_ib", True),
    ("", False), ("nvidia peermem", False), ("/lib/modules/x.ko", False), ("foo.ko", False),
    ("ib_ipoib ipoib_enhanced=0", False), ("x" * 56, False),
])
def test_valid_name(name, ok):
    assert kmod.valid_name(name) is ok


def test_modules_load_content_round_trips():
    content = kmod.modules_load_content("nvidia-peermem", "Managed by Ansible\nsecond line")
    assert content == "# Managed by Ansible\n# second line\nnvidia_peermem\n"
    assert kmod.modules_load_lists(content) == ["nvidia_peermem"]
    assert kmod.modules_load_content("ib_ipoib") == "ib_ipoib\n"
    assert kmod.modules_load_lists("; old comment\n\nib-umad\nrdma_ucm # trailing\n") == ["ib_umad", "rdma_ucm"]


# ------------------------------------------------------------- the twin's emulated lsmod/modprobe

EMULATOR = ROOT / "twin" / "emulators" / "kmod" / "kmodtwin.py"


def _hardware(tmp_path: Path, gpus: int) -> Path:
    hw = {"schema": 1, "host": "dgx01", "hw_model": "dgx-1",
          "gpus": [{"index": i, "model": "Tesla V100-SXM2-32GB"} for i in range(gpus)],
          "hcas": [{"name": "mlx5_0", "ports": [{"num": 1}]}]}
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps(hw))
    return path


def _run(tmp_path: Path, tool: str, *args: str, gpus: int = 8) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DEPLOY_POD_TWIN_HARDWARE": str(_hardware(tmp_path, gpus)),
           "DEPLOY_POD_TWIN_KMOD_STATE": str(tmp_path / "kmod"), "DEPLOY_POD_TWIN_KMOD_TOOL": tool}
    return subprocess.run([sys.executable, str(EMULATOR), *args], capture_output=True, text=True, env=env)


def test_emulated_lsmod_is_parsed_and_modprobe_loads_with_dependencies(tmp_path):
    before = kmod.parse_lsmod(_run(tmp_path, "lsmod").stdout)
    assert "mlx5_ib" in before and "nvidia" in before and "nvidia_peermem" not in before
    assert _run(tmp_path, "modprobe", "nvidia-peermem").returncode == 0
    after = kmod.parse_lsmod(_run(tmp_path, "lsmod").stdout)
    assert list(after)[0] == "nvidia_peermem"  # most recently loaded first, as /proc/modules
    assert "nvidia_peermem" in after["nvidia"]["used_by"] and "nvidia_peermem" in after["ib_core"]["used_by"]
    assert _run(tmp_path, "modprobe", "nvidia_peermem").returncode == 0  # already loaded: no-op, rc 0


def test_emulated_modprobe_fails_like_the_real_one(tmp_path):
    proc = _run(tmp_path, "modprobe", "foo")
    assert proc.returncode == 1
    assert proc.stderr.startswith("modprobe: FATAL: Module foo not found in directory /lib/modules/")
    # no NVIDIA driver on a storage node: nvidia_peermem does not exist there
    proc = _run(tmp_path, "modprobe", "nvidia_peermem", gpus=0)
    assert proc.returncode == 1 and "Module nvidia_peermem not found" in proc.stderr
    proc = _run(tmp_path, "modprobe", "-r", "ib_core")
    assert proc.returncode == 1 and proc.stderr.strip() == "modprobe: FATAL: Module ib_core is in use."
