"""The emulated nvidia-smi / dgx-release against real captures, per driver era, and their
refusal of everything they do not emulate (a real tool answers or fails, never prints help
with exit 0)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
HW_DIR = ROOT / "twin" / "emulators" / "hw"
REAL = ROOT / "tests" / "fixtures" / "real"
sys.path.insert(0, str(HW_DIR))
_spec = importlib.util.spec_from_file_location("twin_hwgen_fid", HW_DIR / "hwgen.py")
hwgen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hwgen)
sys.path.remove(str(HW_DIR))
_p = importlib.util.spec_from_file_location("nvp", ROOT / "plugins" / "module_utils" / "nvidia_parsers.py")
nv = importlib.util.module_from_spec(_p)
_p.loader.exec_module(nv)
CATALOG = yaml.safe_load((ROOT / "src" / "deploy_pod" / "data" / "catalog.yml").read_text())["models"]
INVALID = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n"


def body(name: str) -> str:
    return (REAL / name).read_text().split("\n", 1)[1]


def host(model: str, tmp_path: Path, **override) -> Path:
    storage = CATALOG[model]["ib"]["storage_ports"]
    cables = [{"port": p, "switch": "ib-sw1", "switch_port": i + 1} for i, p in enumerate(storage)]
    hw = hwgen.host_hardware("twin", "h1", "dgx", model, CATALOG[model], cables, {})
    hw.update(override)
    path = tmp_path / f"{model}.json"
    path.write_text(json.dumps(hw))
    return path


def run(path: Path, tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HW_DIR / f"{tool}.py"), *args], capture_output=True, text=True,
                          env={"DEPLOY_POD_TWIN_HARDWARE": str(path), "PATH": "/usr/bin:/bin"})


def test_dgx1_plays_its_era_driver_classic_layout(tmp_path):
    hw = json.loads(host("dgx-1", tmp_path).read_text())
    assert hw["driver_version"] == "410.104"
    out = run(host("dgx-1", tmp_path), "nvidia_smi").stdout
    t = nv.parse_smi_table(out)
    assert (t["layout"], t["driver_version"], t["cuda_version"]) == ("classic", "410.104", "10.0")
    assert {g["name"] for g in t["gpus"]} == {"Tesla V100-SXM2..."} and len(t["gpus"]) == 8
    real = body("nvidia_smi.5.txt").splitlines()
    mine = out.splitlines()
    assert mine[2] == real[2]  # the header line, byte for byte
    assert mine[3:7] == real[3:7]  # column heads
    assert [ln[:40] for ln in mine[7:31:3]] == [ln[:40] for ln in real[7:31:3]]  # name/bus cells per GPU


def test_classic_rows_byte_for_byte_with_384(tmp_path):
    """Same values as the 384.183 capture -> the same text, except the date line."""
    real = body("nvidia_smi.6.txt")
    rows = nv.parse_smi_table(real)["gpus"]
    hw = json.loads(host("dgx-1", tmp_path).read_text())
    hw["driver_version"], hw["cuda_version"] = "384.183", "9.0"
    for g, r in zip(hw["gpus"], rows, strict=True):
        g.update(temperature_c=r["temperature_c"], power_draw_w=r["power_draw_w"], memory_used_mib=10,
                 memory_mib=32502, power_limit_w=300, utilization_pct=0)
    path = tmp_path / "384.json"
    path.write_text(json.dumps(hw))
    out = run(path, "nvidia_smi").stdout
    assert out.splitlines()[1:] == real.splitlines()[1:]


def test_no_cuda_version_before_410_and_mig_row_from_450(tmp_path):
    p = host("dgx-1", tmp_path, driver_version="396.26", cuda_version="9.2")
    out = run(p, "nvidia_smi").stdout
    assert out.splitlines()[2] == body("nvidia_smi.7.txt").splitlines()[2].replace("396.26", "396.26")
    assert "CUDA Version" not in out and nv.parse_smi_table(out)["cuda_version"] is None
    p = host("dgx-a100", tmp_path, driver_version="450.80.02")
    out = run(p, "nvidia_smi").stdout
    assert out.splitlines()[6] == body("nvidia_smi.9.txt").splitlines()[6]  # '... MIG M. |'
    assert nv.parse_smi_table(out)["gpus"][0]["mig_mode"] == "Disabled"
    assert "|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |" in out


def test_today_a100_stays_on_the_wide_layout(tmp_path):
    t = nv.parse_smi_table(run(host("dgx-a100", tmp_path, driver_version="550.90.07"), "nvidia_smi").stdout)
    assert t["layout"] == "wide" and t["gpus"][0]["name"] == "NVIDIA A100-SXM4-80GB"


def test_a100_topology_matches_the_real_capture(tmp_path):
    """The twin's DGX A100 with one storage card (mlx5_10/11 not fitted) is the real capture."""
    path = host("dgx-a100", tmp_path)
    hw = json.loads(path.read_text())
    hw["hcas"] = [h for h in hw["hcas"] if h["name"] not in ("mlx5_4", "mlx5_5")]
    gpus = hw["gpus"]
    hw["topology"] = hwgen.gpu_topology("dgx-a100", gpus, hw["hcas"])
    path.write_text(json.dumps(hw))
    mine = nv.parse_topo_matrix(run(path, "nvidia_smi", "topo", "-m").stdout)
    real = nv.parse_topo_matrix(body("nvidia_smi_topo_m.2.txt"))
    assert mine["devices"] == real["devices"]
    # the real host names its NICs mlx5_0..9 (no slot-97 card); the twin keeps the 640GB names
    assert list(mine["nics"].values()) == ["mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3", "mlx5_6", "mlx5_7", "mlx5_8",
                                           "mlx5_9", "mlx5_10", "mlx5_11"]
    assert mine["matrix"] == real["matrix"]
    assert mine["cpu_affinity"] == real["cpu_affinity"] and mine["numa_affinity"] == real["numa_affinity"]


def test_dgx2_topology_rows_seen_in_a_real_capture(tmp_path):
    t = nv.parse_topo_matrix(run(host("dgx-2", tmp_path), "nvidia_smi", "topo", "-m").stdout)
    assert t["devices"][16:] == [f"mlx5_{i}" for i in range(10)]  # driver 418: NICs by name
    # NVIDIA/nccl-tests issue #78: GPU0/1 PIX PXB NODE NODE then SYS, GPU2/3 PXB PIX, GPU4 NODE NODE PIX PXB
    assert [t["matrix"]["GPU0"][f"mlx5_{i}"] for i in range(10)] == ["PIX", "PXB", "NODE", "NODE"] + ["SYS"] * 6
    assert [t["matrix"]["GPU3"][f"mlx5_{i}"] for i in range(4)] == ["PXB", "PIX", "NODE", "NODE"]
    assert [t["matrix"]["GPU4"][f"mlx5_{i}"] for i in range(4)] == ["NODE", "NODE", "PIX", "PXB"]
    assert t["cpu_affinity"]["GPU0"] == "0-23,48-71"


def test_topo_mp_p2p_and_nvlink(tmp_path):
    p = host("dgx-1", tmp_path)
    mp = nv.parse_topo_matrix(run(p, "nvidia_smi", "topo", "-mp").stdout)
    assert mp["matrix"]["GPU0"]["GPU1"] == "PIX" and mp["matrix"]["GPU0"]["GPU2"] == "PHB"
    assert mp["matrix"]["GPU0"]["GPU4"] == "SYS" and not any(v.startswith("NV") for r in mp["matrix"].values()
                                                              for v in r.values())
    p2p = run(p, "nvidia_smi", "topo", "-p2p", "n")
    assert p2p.returncode == 0
    rows = {ln.split("\t")[0].strip(): ln.split("\t")[1:-1] for ln in p2p.stdout.splitlines()[1:9]}
    assert rows["GPU0"] == ["X", "OK", "OK", "OK", "OK", "NS", "NS", "NS"]
    assert "  NS   = Not supported" in p2p.stdout
    nvl = run(p, "nvidia_smi", "nvlink", "--status")
    assert nvl.returncode == 0 and nvl.stdout.count("\t Link ") == 48
    assert nvl.stdout.splitlines()[1] == "\t Link 0: 25.781 GB/s"


def test_query_fields_by_driver(tmp_path):
    old = host("dgx-1", tmp_path)
    r = run(old, "nvidia_smi", "--query-gpu=index,pci.device_id,clocks.max.sm,pcie.link.gen.max",
            "--format=csv,noheader")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "0, 0x1DB510DE, 1530 MHz, 3"
    r = run(old, "nvidia_smi", "--query-gpu=mig.mode.current", "--format=csv")  # no MIG before 450
    assert (r.returncode, r.stdout) == (2, 'Field "mig.mode.current" is not a valid field to query.\n\n')
    new = host("dgx-h100", tmp_path)
    r = run(new, "nvidia_smi", "--query-gpu=compute_cap,mig.mode.pending", "--format=csv,noheader")
    assert r.stdout.splitlines()[0] == "9.0, Disabled"


UNKNOWN = [["--bogus"], ["-x"], ["topo"], ["topo", "-z"], ["topo", "-p2p"], ["topo", "-p2p", "q"],
           ["topo", "-m", "extra"], ["nvlink"], ["nvlink", "--bogus"], ["-L", "extra"], ["nonsense"]]


@pytest.mark.parametrize("args", UNKNOWN, ids=" ".join)
def test_nvidia_smi_fails_on_what_it_does_not_know(tmp_path, args):
    r = run(host("dgx-a100", tmp_path), "nvidia_smi", *args)
    if args == ["topo"]:  # the bare sub-command prints its usage, as the real one does
        assert r.returncode == 0 and "Usage: nvidia-smi topo" in r.stdout
        return
    assert (r.returncode, r.stdout) == (2, INVALID)


def test_dgx_release_tool_refuses_unknown_options(tmp_path):
    p = host("dgx-1", tmp_path)
    ok = run(p, "dgx_release")
    assert ok.returncode == 0 and 'DGX_PLATFORM="DGX Server for DGX-1"' in ok.stdout
    assert 'DGX_OTA_VERSION="4.0.4"' in ok.stdout
    for args in (["--bogus"], ["--write"], ["x", "y"]):
        r = run(p, "dgx_release", *args)
        assert r.returncode == 2 and r.stderr.startswith("usage: dgx_release"), args
