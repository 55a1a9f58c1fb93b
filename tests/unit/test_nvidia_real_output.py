"""Every nvidia-smi / dgx-release parser against every real capture of its command.

Fixtures: tests/fixtures/<command>.<n>.txt and tests/fixtures/real/<command>.<n>.txt (each
starts with a '# source:' line). A capture the parser cannot read fails here; nothing is skipped.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = [ROOT / "tests" / "fixtures", ROOT / "tests" / "fixtures" / "real"]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nv = _load("nvidia_parsers", ROOT / "plugins" / "module_utils" / "nvidia_parsers.py")
dgxrel = _load("dgx_release_parser", ROOT / "plugins" / "module_utils" / "dgx_release.py")


def captures(command: str) -> list[Path]:
    found = sorted(p for d in FIXTURES for p in d.glob(f"{command}.*.txt")
                   if p.name[len(command) + 1:-4].isdigit())
    assert found, f"no fixture for {command}"
    return found


def body(path: Path) -> str:
    text = path.read_text()
    assert text.startswith("# source:"), f"{path} has no source line"
    return text.split("\n", 1)[1]


@pytest.mark.parametrize("path", captures("nvidia_smi"), ids=lambda p: p.parent.name + "/" + p.name)
def test_smi_table_reads_every_capture(path):
    t = nv.parse_smi_table(body(path))
    assert t["driver_version"] and t["smi_version"], "driver version not read"
    assert t["layout"] in ("wide", "classic")
    assert t["gpus"], "no GPU row read"
    for g in t["gpus"]:
        assert g["name"] and g["bus_id"] and "temperature_c" in g, g
        assert isinstance(g["memory_total_mib"], int) and g["memory_total_mib"] > 0
        assert g["name_truncated"] == g["name"].endswith("...")
    assert [g["index"] for g in t["gpus"]] == list(range(len(t["gpus"])))
    # CUDA Version is printed from driver 410 (and by late 384 builds), never before 384
    major = int(t["driver_version"].split(".")[0])
    if major >= 410:
        assert t["cuda_version"]
    if major < 384:
        assert t["cuda_version"] is None


def test_classic_layout_versions_and_truncation():
    by = {p.name: nv.parse_smi_table(body(p)) for p in captures("nvidia_smi")}
    t410 = by["nvidia_smi.5.txt"]
    assert (t410["driver_version"], t410["cuda_version"], t410["layout"]) == ("410.104", "10.0", "classic")
    assert len(t410["gpus"]) == 8 and t410["gpus"][7]["bus_id"] == "00000000:8A:00.0"
    assert t410["gpus"][0]["power_draw_w"] == 286 and t410["gpus"][0]["utilization_pct"] == 96
    assert t410["no_processes"] is False
    t396 = by["nvidia_smi.7.txt"]
    assert (t396["driver_version"], t396["cuda_version"]) == ("396.26", None)
    assert by["nvidia_smi.6.txt"]["cuda_version"] == "9.0" and by["nvidia_smi.6.txt"]["no_processes"]
    assert by["nvidia_smi.9.txt"]["gpus"][0]["mig_mode"] == "N/A" and by["nvidia_smi.9.txt"]["gpus"][0]["fan"] == "23%"
    t4 = by["nvidia_smi.8.txt"]["gpus"][0]
    assert (t4["name"], t4["name_truncated"]) == ("Tesla T4", False)


def test_truncated_names_match_by_prefix_only():
    assert nv.gpu_name_matches("Tesla V100-SXM2...", "Tesla V100-SXM2-32GB")
    assert nv.gpu_name_matches("Tesla V100-SXM2...", "Tesla V100-SXM2-16GB")  # the table cannot tell them apart
    assert not nv.gpu_name_matches("Tesla V100-SXM2...", "Tesla V100-SXM3-32GB")
    assert nv.gpu_name_matches("NVIDIA RTX PRO 6000 Blac...", "NVIDIA RTX PRO 6000 Blackwell Server Edition")
    assert nv.gpu_name_matches("NVIDIA H100 80GB HBM3", "H100 80GB HBM3")
    assert not nv.gpu_name_matches("Tesla V100-SXM2-16GB", "Tesla V100-SXM2-32GB")
    assert not nv.gpu_name_matches("...", "Tesla V100-SXM2-32GB")


@pytest.mark.parametrize("path", captures("nvidia_smi_topo_m"), ids=lambda p: p.parent.name + "/" + p.name)
def test_topo_matrix_reads_every_capture(path):
    t = nv.parse_topo_matrix(body(path))
    assert t["gpus"], "no GPU row read"
    for a in t["devices"]:
        assert t["matrix"][a][a] == "X"
        for b in t["devices"]:
            assert t["matrix"][a][b] == t["matrix"][b][a], (a, b)
            assert t["matrix"][a][b] in {"X", "SYS", "NODE", "PHB", "PXB", "PIX"} or t["matrix"][a][b].startswith("NV")
    for g in t["gpus"]:
        assert t["cpu_affinity"][g]
    assert set(t["nics"].values()) <= {f"mlx5_{i}" for i in range(16)}


def test_dgx_a100_topology_capture():
    t = nv.parse_topo_matrix(body(ROOT / "tests" / "fixtures" / "real" / "nvidia_smi_topo_m.2.txt"))
    assert t["nics"]["NIC8"] == "mlx5_8" and t["matrix"]["NIC8"]["NIC9"] == "PIX"
    assert t["numa_affinity"] == {"GPU0": "3", "GPU1": "3", "GPU2": "1", "GPU3": "1", "GPU4": "7", "GPU5": "7",
                                  "GPU6": "5", "GPU7": "5"}
    assert t["cpu_affinity"]["GPU4"] == "112-127,240-255" and t["gpu_numa_id"]["GPU7"] == "N/A"
    assert [n for n in t["nics"] if t["matrix"]["GPU6"][n] == "PXB"] == ["NIC6", "NIC7"]


@pytest.mark.parametrize("path", captures("nvidia_smi_query_gpu_csv"), ids=lambda p: p.name)
def test_query_gpu_csv_reads_every_capture(path):
    rows = nv.parse_query_gpu_csv(body(path))
    assert rows and all(r.get("index") is not None for r in rows)


@pytest.mark.parametrize("path", captures("dgx_release"), ids=lambda p: p.parent.name + "/" + p.name)
def test_dgx_release_reads_every_capture(path):
    r = dgxrel.parse_dgx_release(body(path))
    assert r["platform"] and r["platform"].startswith("DGX Server for")
    assert r["base_version"] and r["major"] in (4, 5, 6, 7)
    assert r["version"] == ([o["version"] for o in r["ota"] if o["version"]] or [r["base_version"]])[-1]


def test_dgx_release_ota_date_in_date_format():
    r = dgxrel.parse_dgx_release(body(ROOT / "tests" / "fixtures" / "real" / "dgx_release.2.txt"))
    assert (r["base_version"], r["version"], r["major"]) == ("5.1.0", "5.2.0", 5)
    assert r["ota"] == [{"version": "5.2.0", "date": "Thu 24 Mar 2022 01:43:22 PM PDT"}]
    assert r["serial_number"] == "1573020000041"
