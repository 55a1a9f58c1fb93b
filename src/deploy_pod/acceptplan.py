"""What the ngc and acceptance phases work from (pure): the image references to pull (through a
mirror when the pod has one), the measurement profile resolved with the inventory's overrides,
the client sweep, and the figures the results are held against (REFERENCE.md section 2)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from deploy_pod.catalog import Catalog, dig, link_gbs
from deploy_pod.model import Pod
from deploy_pod.sizing import Sizing

NGC = "nvcr.io"


@cache
def profiles() -> dict:
    return yaml.safe_load(resources.files("deploy_pod.data").joinpath("acceptance.yml").read_text())["profiles"]


def registry_host(url: str) -> str:
    """host[:port] of a registry URL (what `docker login` and certs.d take)."""
    bare = url.split("://", 1)[-1].rstrip("/")
    return bare.split("/", 1)[0]


def _has_registry(image: str) -> bool:
    first = image.split("/", 1)[0]
    return "/" in image and ("." in first or ":" in first or first == "localhost")


def image_ref(image: str, registry_url: str) -> str:
    """The reference a DGX pulls: the image itself from its own registry, or the same path in the
    pod's mirror (nvcr.io/nvidia/tensorflow:24.03-tf2-py3 -> mirror:5000/nvidia/tensorflow:24.03-tf2-py3)."""
    bare = registry_url.split("://", 1)[-1].rstrip("/")
    path = image.split("/", 1)[1] if _has_registry(image) else image
    source = image.split("/", 1)[0] if _has_registry(image) else NGC
    if bare == source:
        return image if _has_registry(image) else f"{source}/{image}"
    return f"{bare}/{path}"


def split_ref(ref: str) -> tuple[str, str]:
    """(repository, tag) of a reference; digests stay in the repository part's tag slot."""
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, f"@{digest}"
    head, _, last = ref.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return f"{head}/{name}" if head else name, tag
    return ref, "latest"


def plan_ngc(pod: Pod) -> dict:
    r = pod.settings.registry
    images = [{"source": i, "ref": image_ref(i, r.url)} for i in r.images]
    tf = pod.settings.acceptance.tf.image
    tf_ref = image_ref(tf, r.url) if tf else next(
        (i["ref"] for i in images if "tensorflow" in split_ref(i["ref"])[0].rsplit("/", 1)[-1]), None)
    return {"url": r.url, "registry": registry_host(r.url), "username": r.username, "images": images,
            "mirror": registry_host(r.url) != NGC, "tf_image": tf_ref, "enroot": r.enroot,
            "enroot_dir": r.enroot_dir}


def resolve_profile(pod: Pod) -> dict:
    a = pod.settings.acceptance
    base = profiles()[a.profile]
    fio = dict(base["fio"]) | {k: v for k, v in a.fio.model_dump().items() if v is not None}
    tf = dict(base["tf"]) | {k: v for k, v in a.tf.model_dump().items()
                             if v is not None and k in ("models", "batch_size", "num_batches", "dataset_images")}
    tf["gpus_per_host"] = a.tf.gpus_per_host
    return {"name": a.profile, "fio": fio, "tf": tf}


def _gpus(entry: dict, per_host: int | None) -> int:
    """GPUs the training runs use on a host of this model: all it has, or at most per_host."""
    have = dig(entry, "gpus.count") or 0
    return min(have, per_host) if per_host else have


def plan_acceptance(pod: Pod, catalog: Catalog, sizing: Sizing, clients: list[str], mount_point: str) -> dict:
    """Everything the acceptance playbook and the report need besides the measurements.

    `clients` are the DGX hosts in plan order: the sweep takes the first 1, 2, ... N of them."""
    a = pod.settings.acceptance
    links = {h: round(link_gbs(catalog.get(pod.hosts[h].vars.hw_model) or {}), 3) for h in clients}
    gpus = {h: _gpus(catalog.get(pod.hosts[h].vars.hw_model) or {}, a.tf.gpus_per_host) for h in clients}
    base = f"{mount_point.rstrip('/')}/{a.directory}"
    sweep = list(range(1, len(clients) + 1))
    profile = resolve_profile(pod)
    return {
        "clients": clients,
        "gpus": gpus,
        "sweep": sweep,
        "fio_runs": fio_runs(sweep),
        "tf_runs": tf_runs(profile["tf"]["models"]),
        "pass_share": a.pass_share,
        "penalty_max_pct": a.penalty_max_pct,
        "profile": profile,
        "directory": base,
        "fio_directory": f"{base}/fio",
        "tf_directory": a.tf.data_dir or f"{base}/tfrecords",
        "tf_dataset_synthetic": a.tf.data_dir is None,
        "tf_benchmarks_dir": a.tf.benchmarks_dir,
        "ramdisk": a.ramdisk,
        "expected": {
            "storage_gbs": sizing.storage_gbs,
            "unit_gbs": sizing.unit_gbs,
            "units": len(pod.units),
            "unit_model": sizing.unit_model,
            "client_link_gbs": links,
            "reference_unit_gbs": sizing.unit_gbs,
            "reference": "REFERENCE.md section 2: read bandwidth grows linearly with the ESS units "
                         "(about 40 GB/s per ESS 3000 unit); Scale within a few percent of a RAM disk; "
                         "inference 1.5x to almost 4x the training rate",
        },
    }


WORKLOADS = ("seqread", "randread")
SOURCES = ("synthetic", "ramdisk", "scale")


def tf_runs(models: list[str]) -> list[dict]:
    """Per model the reference's three training runs (synthetic, RAM disk copy, Scale mount), then
    inference from the Scale mount."""
    runs = [{"model": m, "source": s, "mode": "training"} for m in models for s in SOURCES]
    return runs + [{"model": m, "source": "scale", "mode": "inference"} for m in models]


def fio_runs(sweep: list[int]) -> list[dict]:
    return [{"clients": n, "workload": w} for n in sweep for w in WORKLOADS]


def assemble_results(acceptance: dict, fio: list[dict], tf: dict[str, list[dict]], *, pod: str, run: str,
                     started: str, finished: str, judge: bool, judge_note: str) -> dict:
    """results.json (schema 1, read by deploy_pod.acceptance and the report) from the registered
    results of the fio_bench and tf_bench loops. fio: the loop's results (item: a fio_runs entry);
    tf: host -> that host's loop results (item: a tf_runs entry)."""
    clients = acceptance["clients"]
    out_fio = [{"workload": r["item"]["workload"], "clients": clients[:r["item"]["clients"]],
                "result": r["result"]} for r in fio if r.get("result")]
    out_tf = [{"host": host, "model": r["item"]["model"], "source": r["item"]["source"],
               "mode": r["item"]["mode"], "gpus": r["gpus"]}
              for host, results in sorted(tf.items()) for r in results if r.get("gpus")]
    return {"schema": 1, "pod": pod, "run": run, "started": started, "finished": finished,
            "judge": judge, "judge_note": judge_note, "pass_share": acceptance["pass_share"],
            "penalty_max_pct": acceptance["penalty_max_pct"], "profile": acceptance["profile"],
            "expected": acceptance["expected"], "fio": out_fio, "tf": out_tf}
