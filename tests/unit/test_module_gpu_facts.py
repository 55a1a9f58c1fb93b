"""deploy_pod.pod.gpu_facts: the real topo -m and dgx-release fixtures, and the module's main() against
the twin's emulated nvidia-smi (run as a subprocess from a temporary PATH) on a DGX-1 built by hwgen,
with a GPU fallen off the bus, a wrong model and a wrong platform."""

from __future__ import annotations

import sys

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.dgx_release import parse_dgx_release
from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import (
    QUERY_FIELDS,
    gpu_facts,
    gpu_problems,
    same_gpu_model,
    same_platform,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.nvidia_parsers import (
    parse_query_gpu_csv,
    parse_topo_matrix,
)
from ansible_collections.deploy_pod.pod.plugins.modules import gpu_facts as gpu_facts_module

from tests.modkit import FIXTURES, HW_DIR, run_module, tool_installer, twin_host, warning_texts


@pytest.fixture
def tools(tmp_path, monkeypatch):
    return tool_installer(tmp_path, monkeypatch, gpu_facts_module)


# ---------------------------------------------------------------- real fixtures

def test_fixture_topology_dgx1_hybrid_cube_mesh():
    facts = gpu_facts([], parse_topo_matrix((FIXTURES / "nvidia_smi_topo_m.1.txt").read_text()))
    topo = facts["topology"]
    assert topo["gpus"] == [f"GPU{i}" for i in range(8)]
    assert topo["nics"] == ["mlx5_0", "mlx5_2", "mlx5_1", "mlx5_3"]
    assert topo["matrix"]["GPU0"]["GPU3"] == "NV2"
    assert topo["matrix"]["GPU0"]["mlx5_0"] == "PIX"
    assert topo["cpu_affinity"]["GPU4"] == "20-39,60-79"
    nv = topo["nvlink"]
    assert nv["link_counts"] == [1, 2]
    assert nv["by_count"] == {"NV1": 8, "NV2": 8}
    assert set(nv["per_gpu"].values()) == {6}  # every V100 of a DGX-1 uses its 6 NVLinks
    assert nv["pairs"]["GPU0-GPU1"] == 1 and "GPU0-GPU5" not in nv["pairs"]
    assert nv["gpus_without_nvlink"] == []


def test_fixture_dgx_release_current_version_is_the_last_ota():
    facts = gpu_facts([], None, parse_dgx_release((FIXTURES / "dgx_release.1.txt").read_text()))
    rel = facts["dgx_release"]
    assert (rel["name"], rel["platform"]) == ("DGX Server", "DGX Server for DGX A100")
    assert (rel["version"], rel["base_version"], rel["major"]) == ("5.5.1", "5.0.0", 5)
    assert len(rel["ota"]) == 5
    assert facts["topology"] is None and facts["count"] == 0


def test_query_rows_become_devices_with_memory_and_models():
    text = ("0, NVIDIA H100 80GB HBM3, GPU-aaaa, 81559, 00000000:1B:00.0, 1654922006536\n"
            "1, NVIDIA H100 80GB HBM3, GPU-bbbb, 81559, 00000000:43:00.0, [N/A]\n")
    facts = gpu_facts(parse_query_gpu_csv(text, fields=QUERY_FIELDS))
    assert facts["count"] == 2 and facts["models"] == ["NVIDIA H100 80GB HBM3"]
    assert facts["memory_mib"] == 81559 and facts["memory_mib_total"] == 2 * 81559
    assert facts["devices"][0] == {"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-aaaa",
                                   "memory_mib": 81559, "pci_bus_id": "00000000:1B:00.0", "serial": "1654922006536"}
    assert facts["devices"][1]["serial"] is None


def test_model_and_platform_names_compare_loosely():
    assert same_gpu_model("NVIDIA  Tesla V100-SXM2-32GB", "tesla v100-sxm2-32gb")
    assert not same_gpu_model("Tesla V100-SXM2-16GB", "Tesla V100-SXM2-32GB")
    # the classic table (drivers before 530) cuts names to 18 characters
    assert same_gpu_model("Tesla V100-SXM2...", "Tesla V100-SXM2-32GB")
    assert not same_gpu_model("Tesla P100-SXM2...", "Tesla V100-SXM2-32GB") and not same_gpu_model("...", "x")
    assert same_platform("DGX Server for DGX-1", "DGX-1")
    assert same_platform("DGX Server for DGX A100", "DGX-A100")
    assert not same_platform("DGX Server for DGX A100", "DGX-1")
    assert not same_platform(None, "DGX-1")


def test_problem_sentences():
    facts = {"count": 1, "devices": [{"name": "Tesla V100-SXM2-16GB"}], "dgx_release": None}
    assert gpu_problems("dgx01", facts, 2, "Tesla V100-SXM2-32GB") == [
        "dgx01: 1 GPU found, expected 2 (Tesla V100-SXM2-32GB)",
        "dgx01: 1 GPU is Tesla V100-SXM2-16GB, expected Tesla V100-SXM2-32GB",
    ]
    assert gpu_problems("dgx01", facts, 1, None, "dgx-1", "DGX-1") == [
        "dgx01: /etc/dgx-release not found, dgx-1 is a DGX-1"]
    assert gpu_problems("dgx01", facts) == []


# ---------------------------------------------------------------- module against the twin

EXPECT = {"host": "dgx01", "hw_model": "dgx-1", "expected_count": 8, "expected_model": "Tesla V100-SXM2-32GB"}


def _args(tmp_path, **more) -> dict:
    return {**EXPECT, "dgx_release_path": str(tmp_path / "dgx-release"), **more}


def test_clean_dgx1_has_no_problems(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01")
    tools("nvidia-smi", hw=hw, release=True)
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path, expected_platform="DGX-1"), capsys, monkeypatch)
    assert rc == 0, result
    assert result["changed"] is False
    assert result["problems"] == []
    gpus = result["ansible_facts"]["gpus"]
    assert gpus["count"] == 8
    assert gpus["models"] == ["Tesla V100-SXM2-32GB"] and gpus["model"] == "Tesla V100-SXM2-32GB"
    assert gpus["memory_mib"] == 32768 and gpus["memory_mib_total"] == 8 * 32768
    assert [d["uuid"] for d in gpus["devices"]] == [g["uuid"] for g in hw["gpus"]]
    assert [d["pci_bus_id"] for d in gpus["devices"]] == [g["bus_id"] for g in hw["gpus"]]
    assert [d["serial"] for d in gpus["devices"]] == [g["serial"] for g in hw["gpus"]]
    nv = gpus["topology"]["nvlink"]
    assert nv["link_counts"] == [1, 2] and nv["by_count"] == {"NV1": 8, "NV2": 8}
    assert sorted(gpus["topology"]["nics"]) == ["mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"]
    rel = gpus["dgx_release"]
    assert rel["platform"] == "DGX Server for DGX-1"
    assert rel["version"] == hw["dgx_release"]["ota"][-1]["version"]
    assert rel["base_version"] == hw["dgx_release"]["swbuild_version"]
    assert not warning_texts(result)


def test_missing_gpu_gives_the_exact_sentence(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01", lambda g, hw, fab: g.set_gpu_present(hw, 3, False))
    tools("nvidia-smi", hw=hw, release=True)
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path), capsys, monkeypatch)
    assert rc == 0
    assert result["problems"] == ["dgx01: 7 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)"]
    gpus = result["ansible_facts"]["gpus"]
    assert gpus["count"] == 7
    assert hw["gpus"][3]["uuid"] not in [d["uuid"] for d in gpus["devices"]]
    assert len(gpus["topology"]["gpus"]) == 7


def test_fail_on_problems_fails_with_the_sentences(tools, capsys, monkeypatch, tmp_path):
    def two_gone(g, hw, fab):
        g.set_gpu_present(hw, 0, False)
        g.set_gpu_present(hw, 7, False)

    hw, _ = twin_host("dgx02", two_gone)
    tools("nvidia-smi", hw=hw, release=True)
    args = _args(tmp_path, host="dgx02", fail_on_problems=True)
    rc, result = run_module(gpu_facts_module.main, args, capsys, monkeypatch)
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"] == "dgx02: 6 GPUs found, dgx-1 has 8 (Tesla V100-SXM2-32GB)"
    assert result["problems"] == [result["msg"]]


def test_wrong_model_and_platform(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01")
    tools("nvidia-smi", hw=hw, release=True)
    args = _args(tmp_path, hw_model="dgx-a100", expected_model="NVIDIA A100-SXM4-80GB", expected_platform="DGX A100")
    rc, result = run_module(gpu_facts_module.main, args, capsys, monkeypatch)
    assert rc == 0
    assert result["problems"] == [
        "dgx01: 8 GPUs are Tesla V100-SXM2-32GB, dgx-a100 has NVIDIA A100-SXM4-80GB",
        f"dgx01: DGX platform is DGX Server for DGX-1 in {tmp_path / 'dgx-release'}, dgx-a100 is a DGX A100",
    ]


def test_no_dgx_release_is_null_without_expected_platform(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01")
    tools("nvidia-smi", hw=hw)
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path), capsys, monkeypatch)
    assert rc == 0 and result["problems"] == []
    assert result["ansible_facts"]["gpus"]["dgx_release"] is None


def test_check_mode_and_default_sentences(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01", lambda g, hw, fab: g.set_gpu_present(hw, 5, False))
    tools("nvidia-smi", hw=hw)
    args = {"host": "dgx01", "expected_count": 8, "dgx_release_path": str(tmp_path / "none"),
            "_ansible_check_mode": True}
    rc, result = run_module(gpu_facts_module.main, args, capsys, monkeypatch)
    assert rc == 0 and result["changed"] is False
    assert result["problems"] == ["dgx01: 7 GPUs found, expected 8"]


def test_topo_failure_is_a_warning(tools, capsys, monkeypatch, tmp_path):
    hw, _ = twin_host("dgx01")
    script = HW_DIR / "nvidia_smi.py"
    tools(hw=hw, fakes={"nvidia-smi": f'[ "$1" = topo ] && {{ echo "topo: not supported" >&2; exit 3; }}\n'
                                      f'exec "{sys.executable}" "{script}" "$@"'})
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path), capsys, monkeypatch)
    assert rc == 0 and result["problems"] == []
    assert result["ansible_facts"]["gpus"]["topology"] is None
    assert any("nvidia-smi topo -m failed (exit 3): topo: not supported" in t for t in warning_texts(result))


def test_driver_not_loaded_fails_with_nvidia_smi_message(tools, capsys, monkeypatch, tmp_path):
    msg = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
           "Make sure that the latest NVIDIA driver is installed and running.")
    tools(fakes={"nvidia-smi": f"echo \"{msg}\"\nexit 9"})
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path), capsys, monkeypatch)
    assert rc == 1
    assert result["msg"] == f"nvidia-smi --query-gpu failed (exit 9): {msg}"


def test_missing_nvidia_smi_fails_with_a_clear_message(tools, capsys, monkeypatch, tmp_path):
    tools()
    # get_bin_path also looks in the sbin directories and /usr/bin: a GPU machine has nvidia-smi there
    monkeypatch.setattr(gpu_facts_module.AnsibleModule, "get_bin_path", lambda self, *a, **k: None)
    rc, result = run_module(gpu_facts_module.main, _args(tmp_path), capsys, monkeypatch)
    assert rc == 1
    assert result["msg"].startswith("nvidia-smi not found on the PATH")
