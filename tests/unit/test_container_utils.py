"""module_utils/containers.py and fiojob.py: the pure parts of the ngc and acceptance modules."""

from __future__ import annotations

import json

import pytest

from plugins.module_utils.containers import (
    auth_value,
    gpu_container_argv,
    login_state,
    parse_inspect,
    pull_changed,
    tf_cnn_benchmarks_args,
)
from plugins.module_utils.fiojob import client_argv, data_files, job_file, missing_layout, size_bytes

INSPECT = json.dumps([{"Id": "sha256:abc", "RepoTags": ["m:5000/nvidia/tensorflow:24.03-tf2-py3"],
                       "RepoDigests": ["m:5000/nvidia/tensorflow@sha256:def"]}])


def test_parse_inspect():
    assert parse_inspect(INSPECT) == {"id": "sha256:abc", "repo_digests": ["m:5000/nvidia/tensorflow@sha256:def"],
                                      "repo_tags": ["m:5000/nvidia/tensorflow:24.03-tf2-py3"]}
    assert parse_inspect("[]") is None


def test_pull_changed_only_when_missing_or_moved():
    a, b = {"id": "sha256:a"}, {"id": "sha256:b"}
    assert pull_changed(None, a) and pull_changed(a, b)
    assert not pull_changed(a, dict(a)) and not pull_changed(None, None)


@pytest.mark.parametrize(("config", "state"), [
    ("", "absent"),
    ("{}", "absent"),
    (json.dumps({"auths": {"nvcr.io": {"auth": auth_value("$oauthtoken", "k1")}}}), "current"),
    (json.dumps({"auths": {"https://nvcr.io": {"auth": auth_value("$oauthtoken", "k1")}}}), "current"),
    (json.dumps({"auths": {"nvcr.io": {"auth": auth_value("$oauthtoken", "old")}}}), "differs"),
    (json.dumps({"auths": {"nvcr.io": {}}, "credsStore": "pass"}), "helper"),
    (json.dumps({"credHelpers": {"nvcr.io": "ecr-login"}}), "helper"),
    ("{not json", "differs"),
])
def test_login_state(config, state):
    assert login_state(config, "nvcr.io", "$oauthtoken", "k1") == state


def test_auth_value_is_what_docker_writes():
    # docker login stores base64("user:password")
    assert auth_value("$oauthtoken", "key") == "JG9hdXRodG9rZW46a2V5"


def test_gpu_container_argv():
    argv = gpu_container_argv("docker", "c0", "img", 3, [("/gpfs/x", "/data", True), ("/b", "/w", False)],
                              ["python3", "s.py"])
    assert argv[:6] == ["docker", "run", "--rm", "--name", "c0", "--gpus"] and argv[6] == "device=3"
    assert "--ipc=host" in argv and argv[argv.index("/gpfs/x:/data:ro") - 1:][:2] == ["-v", "/gpfs/x:/data:ro"]
    assert "/b:/w" in argv and argv[-3:] == ["img", "python3", "s.py"]


def test_tf_cnn_benchmarks_args():
    synthetic = tf_cnn_benchmarks_args("/s.py", "resnet50", 64, 100)
    assert synthetic == ["python3", "/s.py", "--model=resnet50", "--batch_size=64", "--num_batches=100", "--num_gpus=1"]
    real = tf_cnn_benchmarks_args("/s.py", "vgg16", 8, 10, "/data", forward_only=True)
    assert real[-3:] == ["--data_dir=/data", "--data_name=imagenet", "--forward_only"]


def test_size_bytes():
    assert size_bytes("64m") == 64 * 2 ** 20 and size_bytes("1G") == 2 ** 30 and size_bytes(4096) == 4096
    with pytest.raises(ValueError):
        size_bytes("1.5g")


def test_layout_reused_when_sizes_match():
    files = data_files("/gpfs/fs1/t/", "dgx01", 2)
    assert files == ["/gpfs/fs1/t/dgx01/data.0.0", "/gpfs/fs1/t/dgx01/data.1.0"]
    sizes = {f: 32 * 2 ** 20 for f in files}
    assert missing_layout(sizes, "/gpfs/fs1/t", ["dgx01", "dgx02"], 2, "32m") == ["dgx02"]
    sizes[files[1]] = 10
    assert missing_layout(sizes, "/gpfs/fs1/t", ["dgx01"], 2, "32m") == ["dgx01"]


def test_job_files():
    read = job_file("randread", "/gpfs/fs1/t", "dgx02", "1m", 4, 16, "1g", 10)
    assert "directory=/gpfs/fs1/t/dgx02" in read and "rw=randread" in read and "runtime=10" in read
    assert "time_based=1" in read and "direct=1" in read and "filename_format=data.$jobnum.$filenum" in read
    assert "unique_filename=0" in read  # else fio --server prefixes the coordinator's address
    layout = job_file("layout", "/gpfs/fs1/t", "dgx02", "1m", 4, 16, "1g", 10, direct=False)
    assert "rw=write" in layout and "time_based" not in layout and "direct=0" in layout
    with pytest.raises(ValueError):
        job_file("write", "/d", "c", "1m", 1, 1, "1m", 1)


def test_client_argv_gives_each_client_its_job():
    assert client_argv("/usr/bin/fio", ["a", "b"], {"a": "/t/a.fio", "b": "/t/b.fio"}) == [
        "/usr/bin/fio", "--output-format=json", "--client=a,8765", "/t/a.fio", "--client=b,8765", "/t/b.fio"]
