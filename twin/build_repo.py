#!/usr/bin/env python3
"""Build the twin's local Debian package repository from twin/packages/*.yml.

    .venv/bin/python twin/build_repo.py [--out build/twin-repo] [--force]

Each manifest becomes one .deb (dpkg-deb --build --root-owner-group); the output
directory then holds Packages, Packages.gz and Release for

    deb [trusted=yes] file:/srv/deploy-pod-twin-repo ./

Deterministic: file modes and mtimes are fixed (SOURCE_DATE_EPOCH), so the same inputs
give byte-identical .debs and indexes. Incremental: a package whose inputs (manifest,
source files, this builder's format version) hash the same as last time is reused.

Manifest format (YAML):
    package: infiniband-diags            # required
    version: 99:1.0-twin1                # required (epoch allowed; file names drop it)
    architecture: all                    # required
    description: one line               # required; more lines become the long description
    depends: [python3]                   # optional; also pre_depends, recommends,
                                         #   conflicts, breaks, replaces, provides
    section: net                         # optional (default misc); priority optional
    files:                               # repo-relative src (file, or dir/ = its content)
      - {src: twin/emulators/hw/, dest: /usr/lib/deploy-pod-twin/hw/}   # -> absolute dest
      - {src: twin/emulators/hw/ibstat.py, dest: /usr/lib/deploy-pod-twin/hw/ibstat.py}
    links:                               # symlink path -> target
      /usr/sbin/ibstat: /usr/lib/deploy-pod-twin/hw/ibstat.py
    dirs: [/var/mmfs/tmp]                # optional: empty directories the package owns
    postinst: ""                         # optional shell; also preinst, prerm, postrm
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BUILDER_VERSION = "1"  # bump when the .deb layout this script produces changes
SOURCE_DATE_EPOCH = 1704067200  # 2024-01-01 00:00:00 UTC: fixed, and in every container's past
RELEASE_DATE = "Mon, 01 Jan 2024 00:00:00 UTC"
ORIGIN = "deploy-pod-twin"
MAINTAINER = "deploy-pod twin <deploy-pod-twin@localhost>"
ROOT = Path(__file__).resolve().parents[1]
RELATION_FIELDS = [("pre_depends", "Pre-Depends"), ("depends", "Depends"), ("recommends", "Recommends"),
                   ("conflicts", "Conflicts"), ("breaks", "Breaks"), ("replaces", "Replaces"),
                   ("provides", "Provides")]
SCRIPTS = ("preinst", "postinst", "prerm", "postrm")
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache"}
IGNORED_SUFFIXES = (".pyc", ".pyo", "~", ".swp")


class ManifestError(ValueError):
    pass


def load_manifest(path: Path, root: Path = ROOT) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: expected a mapping at the top level")
    for key in ("package", "version", "architecture", "description"):
        if not data.get(key):
            raise ManifestError(f"{path}: field '{key}' is required")
    data["version"] = str(data["version"])
    files = data.get("files") or []
    if not isinstance(files, list):
        raise ManifestError(f"{path}: 'files' must be a list of {{src, dest}}")
    for i, f in enumerate(files):
        if not isinstance(f, dict) or not f.get("src") or not f.get("dest"):
            raise ManifestError(f"{path}: files[{i}] needs src and dest")
        if not str(f["dest"]).startswith("/"):
            raise ManifestError(f"{path}: files[{i}].dest {f['dest']!r} must be absolute")
        src = root / f["src"]
        if not src.exists():
            raise ManifestError(f"{path}: files[{i}].src {f['src']} does not exist under {root}")
    links = data.get("links") or {}
    if not isinstance(links, dict):
        raise ManifestError(f"{path}: 'links' must be a mapping of link path -> target")
    for link in links:
        if not str(link).startswith("/"):
            raise ManifestError(f"{path}: link {link!r} must be an absolute path")
    dirs = data.get("dirs") or []
    if not isinstance(dirs, list) or not all(isinstance(d, str) and d.startswith("/") for d in dirs):
        raise ManifestError(f"{path}: 'dirs' must be a list of absolute directory paths")
    data["files"], data["links"], data["dirs"] = files, links, dirs
    data["_path"] = str(path)
    return data


def _walk(src: Path) -> list[Path]:
    """Files under src (sorted, caches skipped); src itself if it is a file."""
    if src.is_file():
        return [src]
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_NAMES)
        for name in sorted(filenames):
            if name.endswith(IGNORED_SUFFIXES):
                continue
            out.append(Path(dirpath) / name)
    return out


def _placements(manifest: dict, root: Path) -> list[tuple[Path, str]]:
    """(source file, absolute destination) for every file of the package."""
    out = []
    for f in manifest["files"]:
        src = root / f["src"]
        dest = str(f["dest"])
        if src.is_dir():
            for path in _walk(src):
                rel = path.relative_to(src).as_posix()
                out.append((path, dest.rstrip("/") + "/" + rel))
        else:
            out.append((src, dest.rstrip("/") + "/" + src.name if dest.endswith("/") else dest))
    return out


def input_hash(manifest: dict, root: Path = ROOT) -> str:
    h = hashlib.sha256()
    clean = {k: v for k, v in manifest.items() if not k.startswith("_")}
    h.update(json.dumps({"builder": BUILDER_VERSION, "manifest": clean}, sort_keys=True, default=str).encode())
    for src, dest in _placements(manifest, root):
        h.update(dest.encode() + b"\0")
        h.update(b"x" if os.access(src, os.X_OK) else b"-")
        h.update(hashlib.sha256(src.read_bytes()).digest())
    return h.hexdigest()


def deb_filename(manifest: dict) -> str:
    version = manifest["version"].split(":", 1)[-1]
    return f"{manifest['package']}_{version}_{manifest['architecture']}.deb"


def _description(text: str) -> str:
    lines = str(text).strip().splitlines()
    out = [lines[0].strip()]
    for line in lines[1:]:
        out.append(" " + (line.rstrip() if line.strip() else "."))
    return "\n".join(out)


def control_fields(manifest: dict, installed_kib: int) -> list[tuple[str, str]]:
    fields = [("Package", manifest["package"]), ("Version", manifest["version"]),
              ("Architecture", manifest["architecture"]), ("Maintainer", manifest.get("maintainer") or MAINTAINER),
              ("Installed-Size", str(installed_kib))]
    for key, name in RELATION_FIELDS:
        value = manifest.get(key)
        if value:
            fields.append((name, ", ".join(value) if isinstance(value, list) else str(value)))
    fields.append(("Section", manifest.get("section") or "misc"))
    fields.append(("Priority", manifest.get("priority") or "optional"))
    fields.append(("Description", _description(manifest["description"])))
    return fields


def _render_control(fields: list[tuple[str, str]]) -> str:
    return "".join(f"{k}: {v}\n" for k, v in fields)


def _script(body: str) -> str:
    body = body.strip("\n") + "\n"
    if body.startswith("#!"):
        return body
    return "#!/bin/sh\nset -e\n" + body


def build_deb(manifest: dict, out_dir: Path, root: Path = ROOT) -> Path:
    """Stage the package tree and run dpkg-deb. Returns the .deb path."""
    link_targets = {str(t) for t in manifest["links"].values()}
    with tempfile.TemporaryDirectory(prefix="twin-deb-") as tmp:
        stage = Path(tmp) / "root"
        stage.mkdir()
        total = 0
        for src, dest in _placements(manifest, root):
            target = stage / dest.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            executable = os.access(src, os.X_OK) or dest in link_targets
            target.chmod(0o755 if executable else 0o644)
            total += (target.stat().st_size + 1023) // 1024
        for d in manifest.get("dirs") or []:
            (stage / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for link, dest in sorted(manifest["links"].items()):
            path = stage / str(link).lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink() or path.exists():
                path.unlink()
            os.symlink(str(dest), path)
        debian = stage / "DEBIAN"
        debian.mkdir()
        (debian / "control").write_text(_render_control(control_fields(manifest, max(total, 1))))
        for name in SCRIPTS:
            body = manifest.get(name)
            if body and str(body).strip():
                p = debian / name
                p.write_text(_script(str(body)))
                p.chmod(0o755)
        for dirpath, dirnames, filenames in os.walk(stage):
            for d in dirnames:
                full = Path(dirpath) / d
                if not full.is_symlink():
                    full.chmod(0o755)
            for name in dirnames + filenames:
                full = Path(dirpath) / name
                os.utime(full, (SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH), follow_symlinks=False)
        os.utime(stage, (SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH))
        deb = out_dir / deb_filename(manifest)
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)}
        tmp_deb = deb.with_suffix(".deb.tmp")
        proc = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(tmp_deb)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"dpkg-deb failed for {manifest['package']}: {proc.stderr.strip()}")
        os.replace(tmp_deb, deb)
    return deb


def _hashes(data: bytes) -> dict:
    return {"MD5sum": hashlib.md5(data).hexdigest(), "SHA1": hashlib.sha1(data).hexdigest(),
            "SHA256": hashlib.sha256(data).hexdigest()}


def deb_control(deb: Path) -> str:
    proc = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True)
    return proc.stdout.rstrip("\n")


def write_indexes(out_dir: Path, debs: list[Path]) -> None:
    """Packages, Packages.gz and Release (flat repository)."""
    stanzas = []
    for deb in sorted(debs, key=lambda p: p.name):
        data = deb.read_bytes()
        h = _hashes(data)
        stanzas.append(deb_control(deb) + f"\nFilename: ./{deb.name}\nSize: {len(data)}\n"
                       f"MD5sum: {h['MD5sum']}\nSHA1: {h['SHA1']}\nSHA256: {h['SHA256']}\n")
    packages = "\n".join(stanzas).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(packages)
    files = {"Packages": packages, "Packages.gz": buf.getvalue()}
    release = [f"Origin: {ORIGIN}", f"Label: {ORIGIN}", f"Date: {RELEASE_DATE}",
               "Architectures: all amd64 arm64",
               "Description: deploy-pod digital twin: emulated vendor tools (test equipment, not for real hosts)"]
    for title, algo in (("MD5Sum", hashlib.md5), ("SHA1", hashlib.sha1), ("SHA256", hashlib.sha256)):
        release.append(f"{title}:")
        for name, data in files.items():
            release.append(f" {algo(data).hexdigest()} {len(data):>8} {name}")
    # twin hosts read these through a bind mount while a pod is up: never a half-written index
    _replace(out_dir / "Packages", packages)
    _replace(out_dir / "Packages.gz", buf.getvalue())
    _replace(out_dir / "Release", ("\n".join(release) + "\n").encode())


def _replace(path: Path, data: bytes) -> None:
    """Write `path` whole (temporary file, then rename) and only where its content changes."""
    if path.is_file() and path.read_bytes() == data:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(out_dir: Path, packages_dir: Path | None = None, root: Path = ROOT, force: bool = False,
          log=print) -> list[dict]:
    """Build every manifest; returns [{'package', 'version', 'deb', 'action': built|reused}]."""
    packages_dir = packages_dir or root / "twin" / "packages"
    out_dir.mkdir(parents=True, exist_ok=True)
    state_dir = out_dir / ".state"
    state_dir.mkdir(exist_ok=True)
    manifests = [load_manifest(p, root) for p in sorted(packages_dir.glob("*.yml"))]
    seen: dict[str, str] = {}
    for m in manifests:
        if m["package"] in seen:
            raise ManifestError(f"package {m['package']} defined twice: {seen[m['package']]} and {m['_path']}")
        seen[m["package"]] = m["_path"]
    results = []
    debs = []
    for m in manifests:
        digest = input_hash(m, root)
        deb = out_dir / deb_filename(m)
        state_file = state_dir / f"{m['package']}.json"
        state = {}
        if state_file.exists():
            try:
                state = json.loads(state_file.read_text())
            except ValueError:
                state = {}
        if not force and state.get("hash") == digest and deb.exists() and state.get("deb") == deb.name:
            action = "reused"
        else:
            old = state.get("deb")
            if old and old != deb.name and (out_dir / old).exists():
                (out_dir / old).unlink()
            build_deb(m, out_dir, root)
            state_file.write_text(json.dumps({"hash": digest, "deb": deb.name}, sort_keys=True) + "\n")
            action = "built"
        log(f"{action:<7} {m['package']} {m['version']} ({deb.name})")
        results.append({"package": m["package"], "version": m["version"], "deb": deb, "action": action})
        debs.append(deb)
    keep = {d.name for d in debs}
    for stale in out_dir.glob("*.deb"):
        if stale.name not in keep:
            stale.unlink()
            log(f"removed {stale.name}")
    for stale in state_dir.glob("*.json"):
        if stale.stem not in seen:
            stale.unlink()
    write_indexes(out_dir, debs)
    write_scale_repo(out_dir, debs)
    return results


SCALE_REPO = "scale"


def write_scale_repo(out_dir: Path, debs: list[Path]) -> Path:
    """<out>/scale: the gpfs.* packages alone, as a flat repository of their own.

    IBM's Scale packages reach a site as a repository apart from the OS's (the installer
    unpacks one per OS); pointing pod.scale.repo_url at this one exercises that path without
    naming the twin's whole repository twice in apt's sources. Hard links, no copies.
    """
    sub = out_dir / SCALE_REPO
    sub.mkdir(exist_ok=True)
    keep = {d.name: d for d in debs if d.name.startswith("gpfs.")}
    for name, deb in keep.items():
        target = sub / name
        if target.exists() and target.stat().st_ino == deb.stat().st_ino:
            continue
        target.unlink(missing_ok=True)
        os.link(deb, target)
    for stale in sub.glob("*.deb"):
        if stale.name not in keep:
            stale.unlink()
    write_indexes(sub, [sub / n for n in sorted(keep)])
    return sub


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the deploy-pod twin's local apt repository.")
    ap.add_argument("--out", default=str(ROOT / "build" / "twin-repo"), help="output directory")
    ap.add_argument("--packages", default=str(ROOT / "twin" / "packages"), help="manifest directory")
    ap.add_argument("--force", action="store_true", help="rebuild every package")
    args = ap.parse_args(argv)
    if shutil.which("dpkg-deb") is None:
        print("build_repo: dpkg-deb not found (apt-get install dpkg)", file=sys.stderr)
        return 2
    try:
        build(Path(args.out), Path(args.packages), ROOT, args.force)
    except (ManifestError, RuntimeError) as exc:
        print(f"build_repo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

