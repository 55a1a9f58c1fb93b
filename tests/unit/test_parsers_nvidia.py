"""nvidia-smi parsers (plugins/module_utils/nvidia_parsers.py) against the real fixtures."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
_spec = importlib.util.spec_from_file_location("nvidia_parsers",
                                               ROOT / "plugins" / "module_utils" / "nvidia_parsers.py")
nv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nv)


def fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    assert text.startswith("# source:")
    return text


def test_query_gpu_csv_fixture_units_in_header_and_values():
    rows = nv.parse_query_gpu_csv(fixture("nvidia_smi_query_gpu_csv.1.txt"))
    assert len(rows) == 91
    assert list(rows[0]) == ["index", "power.draw", "timestamp"]
    assert rows[0] == {"index": 0, "power.draw": 16.48, "timestamp": "2022/09/28 15:36:51.68"}
    assert max(r["power.draw"] for r in rows) == 73.24


def test_query_gpu_csv_na_and_memory_units():
    text = "index, name, memory.total [MiB], memory.used [MiB], fan.speed [%], driver_version, pci.bus_id\n" \
           "0, NVIDIA H100 80GB HBM3, 81559 MiB, 1 MiB, [N/A], 550.90, 00000000:19:00.0\n" \
           "1, NVIDIA H100 80GB HBM3, 81559 MiB, [N/A], [Not Supported], 550.90, 00000000:3B:00.0\n"
    rows = nv.parse_query_gpu_csv(text)
    assert rows[0]["memory.total"] == 81559 and rows[0]["memory.used"] == 1
    assert rows[0]["fan.speed"] is None and rows[1]["memory.used"] is None and rows[1]["fan.speed"] is None
    assert rows[0]["driver_version"] == "550.90"  # a version, not a float
    assert rows[1]["pci.bus_id"] == "00000000:3B:00.0"


def test_query_gpu_csv_noheader_nounits_with_field_list():
    text = "0, Tesla V100-SXM2-32GB, 32768, 42.10\n1, Tesla V100-SXM2-32GB, 32768, [N/A]\n"
    fields = ["index", "name", "memory.total", "power.draw"]
    rows = nv.parse_query_gpu_csv(text, fields)
    assert rows == [{"index": 0, "name": "Tesla V100-SXM2-32GB", "memory.total": 32768, "power.draw": 42.1},
                    {"index": 1, "name": "Tesla V100-SXM2-32GB", "memory.total": 32768, "power.draw": None}]
    # a header is recognised and skipped even when fields are given
    assert nv.parse_query_gpu_csv("index, name\n0, X\n", ["index", "name"]) == [{"index": 0, "name": "X"}]


def test_topo_matrix_dgx1_fixture():
    t = nv.parse_topo_matrix(fixture("nvidia_smi_topo_m.1.txt"))
    assert t["devices"] == [f"GPU{i}" for i in range(8)] + ["mlx5_0", "mlx5_2", "mlx5_1", "mlx5_3"]
    assert t["gpus"] == [f"GPU{i}" for i in range(8)]
    assert t["nics"] == {"mlx5_0": "mlx5_0", "mlx5_2": "mlx5_2", "mlx5_1": "mlx5_1", "mlx5_3": "mlx5_3"}
    assert t["matrix"]["GPU0"]["GPU0"] == "X"
    assert t["matrix"]["GPU0"]["GPU1"] == "NV1" and t["matrix"]["GPU0"]["GPU3"] == "NV2"
    assert t["matrix"]["GPU0"]["GPU5"] == "SYS"
    assert t["matrix"]["GPU4"]["mlx5_2"] == "PIX" and t["matrix"]["mlx5_3"]["GPU7"] == "PIX"
    assert t["cpu_affinity"]["GPU0"] == "0-19,40-59" and t["cpu_affinity"]["GPU7"] == "20-39,60-79"
    assert "mlx5_0" not in t["cpu_affinity"]
    assert t["nic_legend"] == {} and t["numa_affinity"] == {}
    assert t["legend"]["X"] == "Self" and t["legend"]["NV#"].startswith("Connection traversing a bonded set")
    assert set(t["legend"]) == {"X", "SYS", "NODE", "PHB", "PXB", "PIX", "NV#"}
    # symmetric NVLink bonds, 6 per GPU on the hybrid cube-mesh
    for a in t["gpus"]:
        bonds = sum(int(v[2:]) for v in t["matrix"][a].values() if v.startswith("NV"))
        assert bonds == 6
        for b in t["gpus"]:
            assert t["matrix"][a][b] == t["matrix"][b][a]


NEW_TOPO = (
    "\tGPU0\tGPU1\tNIC0\tNIC1\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID\n"
    "GPU0\t X \tNV12\tPXB\tSYS\t48-63,176-191\t3\t\tN/A\n"
    "GPU1\tNV12\t X \tPXB\tSYS\t48-63,176-191\t3\t\tN/A\n"
    "NIC0\tPXB\tPXB\t X \tSYS\t\t\t\t\n"
    "NIC1\tSYS\tSYS\tSYS\t X \t\t\t\t\n"
    "\nLegend:\n\n  X    = Self\n  NV#  = Connection traversing a bonded set of # NVLinks\n"
    "\nNIC Legend:\n\n  NIC0: mlx5_0\n  NIC1: mlx5_1\n\n"
)


def test_topo_matrix_nic_legend_and_extra_columns():
    t = nv.parse_topo_matrix("\x1b[4m" + NEW_TOPO.replace("\tGPU NUMA ID", "\tGPU NUMA ID\x1b[0m", 1))
    assert t["devices"] == ["GPU0", "GPU1", "NIC0", "NIC1"]
    assert t["nic_legend"] == {"NIC0": "mlx5_0", "NIC1": "mlx5_1"}
    assert t["nics"] == {"NIC0": "mlx5_0", "NIC1": "mlx5_1"}
    assert t["numa_affinity"] == {"GPU0": "3", "GPU1": "3"}
    assert t["matrix"]["NIC0"]["GPU1"] == "PXB" and t["matrix"]["GPU1"]["GPU0"] == "NV12"


def test_topo_matrix_space_separated_copy():
    spaced = NEW_TOPO.replace("\t", "    ")
    t = nv.parse_topo_matrix(spaced)
    assert t["devices"] == ["GPU0", "GPU1", "NIC0", "NIC1"]
    assert t["matrix"]["GPU0"]["GPU1"] == "NV12" and t["cpu_affinity"]["GPU0"] == "48-63,176-191"


def test_smi_table_h100_fixture():
    t = nv.parse_smi_table(fixture("nvidia_smi.1.txt"))
    assert (t["smi_version"], t["driver_version"], t["cuda_version"]) == ("550.90.07", "550.90.07", "12.4")
    assert [g["index"] for g in t["gpus"]] == list(range(8))
    g0 = t["gpus"][0]
    assert g0 == {"index": 0, "name": "NVIDIA H100 80GB HBM3", "name_truncated": False,
                  "persistence": "On", "bus_id": "00000000:19:00.0",
                  "display_active": "Off", "ecc": 0, "fan": None, "temperature_c": 27, "perf": "P0",
                  "power_draw_w": 72, "power_cap_w": 700, "memory_used_mib": 1, "memory_total_mib": 81559,
                  "utilization_pct": 0, "compute_mode": "Default", "mig_mode": "Disabled"}
    assert t["gpus"][7]["bus_id"] == "00000000:DB:00.0"
    assert t["no_processes"] is True


def test_smi_table_truncated_name_fixture():
    t = nv.parse_smi_table(fixture("nvidia_smi.4.txt"))
    assert t["driver_version"] == "570.172.08" and t["cuda_version"] == "12.8"
    (g,) = t["gpus"]
    assert g["name"] == "NVIDIA RTX PRO 6000 Blac..." and g["perf"] == "P8"
    assert g["memory_total_mib"] == 97887 and g["power_cap_w"] == 600


def test_smi_table_old_narrow_layout():
    text = (
        "| NVIDIA-SMI 418.67       Driver Version: 418.67       CUDA Version: 10.1     |\n"
        "|   0  Tesla V100-SXM2...  On   | 00000000:06:00.0 Off |                    0 |\n"
        "| N/A   34C    P0    42W / 300W |      0MiB / 32480MiB |      0%      Default |\n"
    )
    t = nv.parse_smi_table(text)
    assert t["driver_version"] == "418.67"
    (g,) = t["gpus"]
    assert g["name"] == "Tesla V100-SXM2..." and g["memory_total_mib"] == 32480 and g["power_cap_w"] == 300


def test_list_gpus():
    text = "GPU 0: Tesla V100-SXM2-32GB (UUID: GPU-b52c5af0-bbc2-af0c-6130-965c1aceede6)\n" \
           "GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-fc1b38a8-1c6c-e800-10f8-d26d3521ba7c)\n"
    assert nv.parse_list_gpus(text) == [
        {"index": 0, "name": "Tesla V100-SXM2-32GB", "uuid": "GPU-b52c5af0-bbc2-af0c-6130-965c1aceede6"},
        {"index": 1, "name": "NVIDIA A100-SXM4-80GB", "uuid": "GPU-fc1b38a8-1c6c-e800-10f8-d26d3521ba7c"}]
