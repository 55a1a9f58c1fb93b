"""The ngc and acceptance plan: image references through a mirror, profiles with overrides, the
sweep and runs, per-host GPUs and link figures, and results.json put together."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from deploy_pod.acceptplan import (
    assemble_results,
    fio_runs,
    image_ref,
    registry_host,
    split_ref,
    tf_runs,
)
from deploy_pod.inventory import load_pod
from deploy_pod.planner import make_plan

ROOT = Path(__file__).resolve().parents[2]
TWIN = ROOT / "inventories" / "examples" / "twin.yml"


def plan_of(tmp_path, edit=None, src=TWIN):
    data = yaml.safe_load(src.read_text())
    if edit:
        edit(data["all"]["vars"]["pod"])
    f = tmp_path / "pod.yml"
    f.write_text(yaml.safe_dump(data))
    res = load_pod(str(f))
    assert not [x for x in res.findings if x.severity == "error"], [x.text() for x in res.findings]
    return make_plan(res.pod).as_dict()


@pytest.mark.parametrize(("image", "url", "ref"), [
    ("nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "nvcr.io", "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"),
    ("nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "10.77.0.5:5000", "10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3"),
    ("nvcr.io/nvidia/pytorch:24.03-py3", "https://mirror.example.com/ngc/",
     "mirror.example.com/ngc/nvidia/pytorch:24.03-py3"),
    ("nvidia/tensorflow:24.03-tf2-py3", "nvcr.io", "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"),
    ("nvidia/tensorflow:24.03-tf2-py3", "mirror:5000", "mirror:5000/nvidia/tensorflow:24.03-tf2-py3"),
    ("localhost/x/y:1", "nvcr.io", "nvcr.io/x/y:1"),
])
def test_image_ref_keeps_the_path_in_a_mirror(image, url, ref):
    assert image_ref(image, url) == ref


def test_registry_host_and_split_ref():
    assert registry_host("https://mirror.example.com:5000/ngc/") == "mirror.example.com:5000"
    assert registry_host("nvcr.io") == "nvcr.io"
    assert split_ref("10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3") == ("10.77.0.5:5000/nvidia/tensorflow",
                                                                         "24.03-tf2-py3")
    assert split_ref("mirror:5000/nvidia/tensorflow") == ("mirror:5000/nvidia/tensorflow", "latest")
    assert split_ref("nvcr.io/nvidia/x@sha256:" + "a" * 64)[1].startswith("@sha256:")


def test_ngc_plan_defaults_to_ngc_with_tensorflow_and_pytorch(tmp_path):
    def drop(pod):
        pod.pop("registry", None)
    ngc = plan_of(tmp_path, drop)["ngc"]
    assert ngc["registry"] == "nvcr.io" and not ngc["mirror"] and ngc["username"] == "$oauthtoken"
    assert [i["ref"] for i in ngc["images"]] == ["nvcr.io/nvidia/tensorflow:24.03-tf2-py3",
                                                "nvcr.io/nvidia/pytorch:24.03-py3"]
    assert ngc["tf_image"] == "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"


def test_ngc_plan_through_a_mirror(tmp_path):
    def mirror(pod):
        pod["registry"] = {"url": "10.77.0.5:5000", "images": ["nvcr.io/nvidia/pytorch:24.03-py3",
                                                             "nvcr.io/nvidia/tensorflow:24.03-tf2-py3"]}
    ngc = plan_of(tmp_path, mirror)["ngc"]
    assert ngc["mirror"] and ngc["registry"] == "10.77.0.5:5000"
    assert ngc["tf_image"] == "10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3"
    assert ngc["images"][0] == {"source": "nvcr.io/nvidia/pytorch:24.03-py3",
                                "ref": "10.77.0.5:5000/nvidia/pytorch:24.03-py3"}


def test_no_tensorflow_image_means_no_tf_image(tmp_path):
    def only_torch(pod):
        pod["registry"] = {"images": ["nvcr.io/nvidia/pytorch:24.03-py3"]}
    assert plan_of(tmp_path, only_torch)["ngc"]["tf_image"] is None


def test_acceptance_plan_of_the_twin_example(tmp_path):
    acc = plan_of(tmp_path)["acceptance"]
    assert acc["clients"] == ["dgx01", "dgx02"] and acc["sweep"] == [1, 2]
    # inventory overrides on top of the quick profile
    assert acc["profile"]["fio"] == {"bs": "1m", "numjobs": 2, "iodepth": 4, "size": "32m", "runtime": 2}
    assert acc["profile"]["tf"]["models"] == ["resnet50"] and acc["profile"]["tf"]["batch_size"] == 16
    assert acc["gpus"] == {"dgx01": 1, "dgx02": 1}
    assert acc["directory"] == "/gpfs/fs1/.deploy-pod-acceptance"
    assert acc["fio_directory"].startswith(acc["directory"] + "/")
    assert acc["tf_directory"].startswith(acc["directory"] + "/") and acc["tf_dataset_synthetic"]
    e = acc["expected"]
    # one ESS 3000 (40 GB/s) and DGX-1 clients with 4 x EDR (4 x 100 Gb/s = 50 GB/s)
    assert e["storage_gbs"] == 40 and e["units"] == 1 and e["client_link_gbs"] == {"dgx01": 50.0, "dgx02": 50.0}


def test_full_profile_and_own_data_set(tmp_path):
    def full(pod):
        pod["acceptance"] = {"profile": "full", "tf": {"data_dir": "/gpfs/fs1/imagenet"}}
    acc = plan_of(tmp_path, full)["acceptance"]
    assert acc["profile"]["fio"]["bs"] == "16m" and "vgg16" in acc["profile"]["tf"]["models"]
    assert acc["tf_directory"] == "/gpfs/fs1/imagenet" and not acc["tf_dataset_synthetic"]
    assert acc["gpus"] == {"dgx01": 8, "dgx02": 8}  # a DGX-1 has 8 GPUs


def test_runs_in_order():
    assert fio_runs([1, 2]) == [{"clients": 1, "workload": "seqread"}, {"clients": 1, "workload": "randread"},
                                {"clients": 2, "workload": "seqread"}, {"clients": 2, "workload": "randread"}]
    runs = tf_runs(["resnet50"])
    assert [(r["source"], r["mode"]) for r in runs] == [("synthetic", "training"), ("ramdisk", "training"),
                                                       ("scale", "training"), ("scale", "inference")]


def test_assemble_results(tmp_path):
    acc = plan_of(tmp_path)["acceptance"]
    fio = [{"item": {"clients": 2, "workload": "randread"}, "result": {"aggregate": {"read_bw_bytes": 1e9}}},
           {"item": {"clients": 1, "workload": "seqread"}, "skipped": True}]
    tf = {"dgx02": [{"item": {"model": "resnet50", "source": "scale", "mode": "training"},
                     "gpus": [{"gpu": 0, "images_per_sec": 10.0}]}]}
    out = assemble_results(copy.deepcopy(acc), fio, tf, pod="twin", run="r1", started="s", finished="f",
                           judge=False, judge_note="twin")
    assert out["schema"] == 1 and out["judge"] is False and out["judge_note"] == "twin"
    assert out["fio"] == [{"workload": "randread", "clients": ["dgx01", "dgx02"],
                           "result": {"aggregate": {"read_bw_bytes": 1e9}}}]
    assert out["tf"] == [{"host": "dgx02", "model": "resnet50", "source": "scale", "mode": "training",
                          "gpus": [{"gpu": 0, "images_per_sec": 10.0}]}]
    assert out["expected"] == acc["expected"] and out["pass_share"] == 0.8
