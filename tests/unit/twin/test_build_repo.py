"""twin/build_repo.py: the twin's local apt repository, built into a temp dir and read back
with dpkg-deb, the way apt and dpkg will see it."""

import gzip
import hashlib
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("twin_build_repo", ROOT / "twin" / "build_repo.py")
build_repo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_repo)

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb not installed")
MANIFESTS = sorted((ROOT / "twin" / "packages").glob("*.yml"))
MINE = ["infiniband-diags", "ibverbs-utils", "rdma-core", "perftest", "deploy-pod-twin-dgx", "deploy-pod-twin-hw"]


def dpkg_field(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def dpkg_contents(deb: Path) -> dict[str, str]:
    """path -> 'mode' or 'mode -> target' for links."""
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in out.splitlines():
        parts = line.split(None, 5)
        mode, name = parts[0], parts[5]
        if " -> " in name:
            name, target = name.split(" -> ", 1)
            entries[name.lstrip(".")] = f"{mode} -> {target}"
        else:
            entries[name.lstrip(".").rstrip("/") or "/"] = mode
    return entries


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    out = tmp_path_factory.mktemp("repo")
    log = []
    results = build_repo.build(out, log=log.append)
    return out, results, log


def test_every_manifest_becomes_a_package(repo):
    out, results, log = repo
    manifests = [build_repo.load_manifest(p) for p in MANIFESTS]
    assert {m["package"] for m in manifests} >= set(MINE)
    assert [r["package"] for r in results] == [m["package"] for m in manifests]
    assert all(line.startswith("built ") for line in log[:len(manifests)])
    for m in manifests:
        deb = out / build_repo.deb_filename(m)
        assert deb.exists(), deb
        assert dpkg_field(deb, "Package") == m["package"]
        assert dpkg_field(deb, "Version") == m["version"]
        assert dpkg_field(deb, "Architecture") == m["architecture"]
        assert dpkg_field(deb, "Depends") == ", ".join(m.get("depends") or [])
        assert dpkg_field(deb, "Description").splitlines()[0] == str(m["description"]).strip().splitlines()[0]
        contents = dpkg_contents(deb)
        for _src, dest in build_repo._placements(m, ROOT):
            assert dest in contents, (m["package"], dest)
            assert contents[dest].startswith("-rw")
        for link, target in m["links"].items():
            assert contents[link] == f"lrwxrwxrwx -> {target}"
            # the link target ships executable, in this package or one it depends on
            owner = [x for x in manifests if target in {d for _, d in build_repo._placements(x, ROOT)}]
            assert owner, (link, target)
            assert dpkg_contents(out / build_repo.deb_filename(owner[0]))[target].startswith("-rwxr-xr-x")


def test_my_packages_hold_the_tools(repo):
    out, _, _ = repo
    expect = {
        "infiniband-diags": ["/usr/sbin/ibstat", "/usr/sbin/ibstatus", "/usr/sbin/iblinkinfo",
                             "/usr/sbin/ibnetdiscover"],
        "ibverbs-utils": ["/usr/bin/ibv_devinfo", "/usr/bin/ibv_devices"],
        "rdma-core": ["/usr/bin/ibdev2netdev", "/usr/bin/ofed_info"],
        "perftest": ["/usr/bin/ib_write_bw", "/usr/bin/ib_read_bw"],
        "deploy-pod-twin-dgx": ["/usr/bin/nvidia-smi"],
        "deploy-pod-twin-hw": ["/usr/lib/deploy-pod-twin/hw/twinhw.py"],
    }
    for package, paths in expect.items():
        (deb,) = out.glob(f"{package}_*.deb")
        contents = dpkg_contents(deb)
        for path in paths:
            assert path in contents, (package, path)
        if package != "deploy-pod-twin-hw":
            assert "deploy-pod-twin-hw" in dpkg_field(deb, "Depends")
    (dgx,) = out.glob("deploy-pod-twin-dgx_*.deb")
    postinst = subprocess.run(["dpkg-deb", "-I", str(dgx), "postinst"], capture_output=True, text=True,
                              check=True).stdout
    assert postinst.startswith("#!/bin/sh\nset -e\n") and "--write /etc/dgx-release" in postinst
    # the epoch stays in the version, not in the file name
    assert (out / "infiniband-diags_1.0-twin1_all.deb").exists()
    assert dpkg_field(out / "infiniband-diags_1.0-twin1_all.deb", "Version").startswith("99:")


def test_packages_and_release_index_every_deb(repo):
    out, results, _ = repo
    packages = (out / "Packages").read_bytes()
    assert gzip.decompress((out / "Packages.gz").read_bytes()) == packages
    stanzas = [dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(" "))
               for block in packages.decode().strip().split("\n\n")]
    assert [s["Package"] for s in stanzas] == sorted(r["package"] for r in results)
    for s in stanzas:
        deb = out / s["Filename"].removeprefix("./")
        data = deb.read_bytes()
        assert int(s["Size"]) == len(data) and s["SHA256"] == hashlib.sha256(data).hexdigest()
    release = (out / "Release").read_text()
    assert f"Origin: {build_repo.ORIGIN}" in release
    for name in ("Packages", "Packages.gz"):
        data = (out / name).read_bytes()
        assert f" {hashlib.sha256(data).hexdigest()} {len(data):>8} {name}" in release


def test_second_build_reuses_everything_and_is_byte_identical(repo, tmp_path):
    out, results, _ = repo
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    log = []
    again = build_repo.build(out, log=log.append)
    assert {r["action"] for r in again} == {"reused"} and all(line.startswith("reused ") for line in log)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    # a fresh build elsewhere gives the same bytes (fixed mtimes, modes, owners)
    other = tmp_path / "other"
    build_repo.build(other, log=lambda _: None)
    assert {p.name: p.read_bytes() for p in other.iterdir() if p.is_file()} == before


def test_only_the_changed_package_is_rebuilt(tmp_path):
    root = tmp_path / "src"
    (root / "twin" / "packages").mkdir(parents=True)
    (root / "tool").mkdir()
    (root / "tool" / "a.py").write_text("print('a')\n")
    (root / "tool" / "a.py").chmod(0o755)
    (root / "tool" / "sub").mkdir()
    (root / "tool" / "sub" / "data.txt").write_text("x\n")
    (root / "tool" / "__pycache__").mkdir()
    (root / "tool" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"junk")
    (root / "b.txt").write_text("b\n")
    for name, files in (("pkg-a", [{"src": "tool/", "dest": "/usr/lib/a/"}]),
                        ("pkg-b", [{"src": "b.txt", "dest": "/usr/share/b/"}])):
        (root / "twin" / "packages" / f"{name}.yml").write_text(yaml.safe_dump({
            "package": name, "version": "1.0", "architecture": "all", "description": f"{name}\nlong text",
            "depends": [], "files": files, "links": {f"/usr/bin/{name}": "/usr/lib/a/a.py"}, "postinst": ""}))
    out = tmp_path / "out"
    first = build_repo.build(out, root / "twin" / "packages", root, log=lambda _: None)
    assert [r["action"] for r in first] == ["built", "built"]
    contents = dpkg_contents(out / "pkg-a_1.0_all.deb")
    assert "/usr/lib/a/a.py" in contents and "/usr/lib/a/sub/data.txt" in contents
    assert not any("__pycache__" in p for p in contents)
    assert contents["/usr/lib/a/a.py"].startswith("-rwxr-xr-x")
    assert "/usr/share/b/b.txt" in dpkg_contents(out / "pkg-b_1.0_all.deb")
    (root / "tool" / "sub" / "data.txt").write_text("y\n")
    second = build_repo.build(out, root / "twin" / "packages", root, log=lambda _: None)
    assert [r["action"] for r in second] == ["built", "reused"]
    # a removed manifest takes its .deb out of the repository
    (root / "twin" / "packages" / "pkg-b.yml").unlink()
    build_repo.build(out, root / "twin" / "packages", root, log=lambda _: None)
    assert not (out / "pkg-b_1.0_all.deb").exists()
    assert "pkg-b" not in (out / "Packages").read_text()


def test_bad_manifest_names_file_and_field(tmp_path):
    (tmp_path / "bad.yml").write_text("package: x\nversion: 1\narchitecture: all\n")
    with pytest.raises(build_repo.ManifestError, match=r"bad.yml: field 'description' is required"):
        build_repo.load_manifest(tmp_path / "bad.yml", tmp_path)
    (tmp_path / "bad.yml").write_text("package: x\nversion: 1\narchitecture: all\ndescription: d\n"
                                      "files: [{src: nope.py, dest: /usr/bin/nope}]\n")
    with pytest.raises(build_repo.ManifestError, match=r"files\[0\].src nope.py does not exist"):
        build_repo.load_manifest(tmp_path / "bad.yml", tmp_path)


def test_apt_pin_targets_the_repo_origin():
    pref = (ROOT / "twin" / "apt" / "99deploy-pod-twin.pref").read_text()
    stanza = [ln for ln in pref.splitlines() if ln and not ln.startswith("#")]
    assert "Package: *" in stanza
    assert f"Pin: release o={build_repo.ORIGIN}" in stanza
    assert "Pin-Priority: 1001" in stanza


def test_scale_debs_as_ibm_ships_them(repo):
    """gpfs.base/gskit/compression/licence/gnr are amd64 (IBM's roles look for gpfs.base*amd64*),
    gpl/docs/msg.en-us are all; gpfs.compression exists; gpfs.base owns /var/mmfs/tmp; the scale/
    sub-repository and its index carry the same files."""
    out, _, _ = repo
    arch = {"gpfs.base": "amd64", "gpfs.gskit": "amd64", "gpfs.compression": "amd64", "gpfs.gnr": "amd64",
            "gpfs.license.std": "amd64", "gpfs.license.dm": "amd64", "gpfs.gpl": "all", "gpfs.docs": "all",
            "gpfs.msg.en-us": "all"}
    for package, want in arch.items():
        (deb,) = out.glob(f"{package}_*_{want}.deb")
        assert dpkg_field(deb, "Architecture") == want
        assert (out / "scale" / deb.name).exists()
        assert f"Filename: ./{deb.name}" in (out / "scale" / "Packages").read_text()
    (base,) = out.glob("gpfs.base_*_amd64.deb")
    contents = dpkg_contents(base)
    for d in ("/var/mmfs/tmp", "/var/mmfs/gen", "/var/mmfs/etc", "/var/mmfs/run"):
        assert contents[d].startswith("drwxr-xr-x"), d
    for cmd in ("mmchnsd", "mmchdisk", "mmdiag", "mmpmon"):
        assert f"/usr/lpp/mmfs/bin/{cmd}" in contents
    assert "Architecture: amd64" in (out / "Packages").read_text()


def test_dirs_must_be_absolute(tmp_path):
    (tmp_path / "bad.yml").write_text("package: x\nversion: 1\narchitecture: all\ndescription: d\ndirs: [var/x]\n")
    with pytest.raises(build_repo.ManifestError, match="dirs"):
        build_repo.load_manifest(tmp_path / "bad.yml", tmp_path)
