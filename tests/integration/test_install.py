"""A real install: the wheel built from this checkout, installed into a fresh venv outside it, runs
the CLI and a phase playbook from the installed copy of the Ansible content; the collection built
with ansible-galaxy installs and runs with no checkout on any path.

Fast on purpose: the fresh venv reuses the dev venv's installed dependencies through a .pth line
(which adds the directory to sys.path but does not run the .pth files in it, so the editable
deploy_pod finder stays off) and the wheel goes in with --no-deps; an import of every dependency
stands in for installing them from PyPI. The ansible-* scripts are the dev venv's, their shebang
pointed at the fresh interpreter, so ansible-playbook imports deploy_pod from the wheel too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.ansible

# checkout state that a copy for the build leaves out: VCS, venvs, caches (big, or symlink loops)
NOT_COPIED = {".git", ".venv", ".ansible", ".collections", "build", "dist", ".hypothesis", ".pytest_cache",
              ".ruff_cache", ".gl", ".whl", "context"}
# what neither the wheel nor the collection may carry
LOCAL_STATE = {".venv", ".sim", "artifacts", "tests", "__pycache__", ".collections", ".ansible", "twin",
               "build", "dist"}


def _copy_checkout(dest: Path) -> None:
    """The checkout as a build sees it (pip wheel . from a clean tree), minus heavy local state;
    .sim, artifacts, tests and twin stay in, so that the wheel check below means something."""
    def ignore(d: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n.endswith(".egg-info")}
        if Path(d) == ROOT:
            skip |= NOT_COPIED & set(names)
        # sockets, fifos and dangling links (a running twin's .sim) are no source
        return skip | {n for n in names if not (Path(d, n).is_file() or Path(d, n).is_dir())}

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def _setuptools_ok() -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:  # noqa: BLE001 - any doubt: build isolated
        return False


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    """Wheel, fresh venv with it installed, a work dir and an environment, all outside the checkout."""
    tmp = tmp_path_factory.mktemp("install")
    assert ROOT not in tmp.resolve().parents
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    _copy_checkout(src)
    # setuptools>=77 in the dev venv (the dev extra): no network; else pip fetches it (build isolation)
    offline = ["--no-build-isolation"] if _setuptools_ok() else []
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *offline, "-w", str(dist), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = dist.glob("deploy_pod-*.whl")

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_py = venv / "bin" / "python"
    fresh_site = Path(subprocess.run([str(fresh_py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    dev_dirs = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (fresh_site / "zz_dev_dependencies.pth").write_text("".join(f"{d}\n" for d in dev_dirs))
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(fresh_py), "install", "-q", "--no-deps",
                        "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    # the dev venv's ansible-* entry points, run by the fresh interpreter
    dev_bin = Path(sys.executable).parent
    for script in sorted(dev_bin.glob("ansible*")):
        text = script.read_text(errors="replace")
        if script.is_file() and text.startswith("#!") and "python" in text.splitlines()[0]:
            out = venv / "bin" / script.name
            out.write_text(f"#!{fresh_py}\n" + text.split("\n", 1)[1])
            out.chmod(0o755)

    work, home = tmp / "work", tmp / "home"
    work.mkdir()
    home.mkdir()
    shutil.copy(EXAMPLES / "twin.yml", work / "twin.yml")
    (tmp / "empty.cfg").write_text("")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "DEPLOY_POD_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "XDG_CACHE_HOME": str(tmp / "cache"), "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp")}
    return {"tmp": tmp, "wheel": wheel, "venv": venv, "py": fresh_py, "work": work, "env": env,
            "pod": work / "twin.yml"}


def run(site: dict, *argv: str, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, cwd=site["work"],
                          env=site["env"] | (env or {}), timeout=timeout)


def under(path: str | Path, parent: Path) -> bool:
    return Path(path).resolve().is_relative_to(parent.resolve())


def test_the_wheel_carries_the_content_and_no_local_state(site):
    names = zipfile.ZipFile(site["wheel"]).namelist()
    parts = {p for n in names for p in n.split("/")[:-1]}
    assert not parts & LOCAL_STATE, sorted(parts & LOCAL_STATE)
    assert not [n for n in names if n.endswith((".pyc", ".lock.yml"))]
    content = "deploy_pod/_content/"
    for need in ["playbooks/site.yml", "playbooks/plan.yml", "roles/base_os/tasks/main.yml",
                 "plugins/action/pod_plan.py", "plugins/modules/pod_plan.py", "meta/runtime.yml", "galaxy.yml",
                 "ansible.cfg", "README.md"]:
        assert content + need in names, need
    assert "deploy_pod/data/catalog.yml" in names
    # every playbook and role of the checkout is in it
    for d in ["playbooks", "roles"]:
        for f in (ROOT / d).rglob("*"):
            rel = f.relative_to(ROOT).as_posix()
            if f.is_file() and "__pycache__" not in rel and "/molecule/" not in rel \
                    and not rel.endswith((".pyc", ".lock.yml", ".retry")):
                assert content + rel in names, rel


def test_the_installed_package_is_the_wheel_and_its_dependencies_import(site):
    code = """
import json, sys
from importlib.metadata import requires
import deploy_pod, deploy_pod.content as c
mods = {"ansible-core": "ansible", "ansible": "ansible_collections.community.general",
        "ansible-runner": "ansible_runner", "pyyaml": "yaml"}
deps = [r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
        for r in requires("deploy-pod") or [] if "extra ==" not in r]
for d in deps:
    __import__(mods.get(d, d.replace("-", "_")))
print(json.dumps({"file": deploy_pod.__file__, "root": str(c.ROOT), "checkout": c.CHECKOUT, "deps": deps,
                  "missing": c.content_missing(), "sys_path": sys.path}))
"""
    r = run(site, str(site["py"]), "-c", code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert under(out["file"], site["venv"]), out["file"]
    assert under(out["root"], site["venv"]) and not out["checkout"] and out["missing"] is None, out
    assert {"ansible-core", "ansible-runner", "pydantic", "click"} <= set(out["deps"])
    assert not [p for p in out["sys_path"] if p and under(p, ROOT / "src")], out["sys_path"]


def test_cli_validate_and_plan_from_the_install(site):
    r = run(site, "deploy-pod", "--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout, r.stdout + r.stderr
    r = run(site, "deploy-pod", "validate", "twin.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(site, "deploy-pod", "plan", "twin.yml", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "twin"
    # the inventory reference embeds the example pod the wheel carries
    r = run(site, "deploy-pod", "schema", "--markdown")
    assert r.returncode == 0 and "in the source tree" not in r.stdout, r.stdout[-500:] + r.stderr


def test_a_phase_runs_the_installed_playbooks_through_the_runner(site):
    """validate.yml and plan.yml (localhost only) through deploy_pod.runner, from the installed content;
    the collection link goes to the per-user cache, not into site-packages."""
    art = site["tmp"] / "artifacts"
    code = f"""
import json
from pathlib import Path
from deploy_pod.runner import run_phases
res = run_phases("twin.yml", [], [("validate", "validate.yml"), ("plan", "plan.yml")], artifacts=Path({str(art)!r}))
print("RESULT " + json.dumps([[r.phase, r.status, r.rc] for r in res]))
"""
    r = run(site, str(site["py"]), "-c", code, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(r.stdout.split("RESULT ", 1)[1])
    assert result == [["validate", "successful", 0], ["plan", "successful", 0]], r.stdout
    # the tasks that ran are the installed copy's (each phase's own events: the run's gate plays
    # live in the combined playbook the runner writes, deploy_pod.phasegroup)
    paths = set()
    for ev in [e for phase in ("validate", "plan") for e in art.glob(f"twin/*/{phase}/artifacts/*/job_events/*.json")]:
        tp = json.loads(ev.read_text()).get("event_data", {}).get("task_path")
        if tp:
            paths.add(tp.rsplit(":", 1)[0])
    assert paths, "no task ran"
    assert all(under(p, site["venv"]) for p in paths), paths
    assert {Path(p).name for p in paths} == {"validate.yml", "plan.yml"}
    links = list((site["tmp"] / "cache" / "deploy-pod").glob("collections-*/ansible_collections/deploy_pod/pod"))
    assert len(links) == 1 and under(links[0].resolve(), site["venv"]), links
    assert not list(site["venv"].rglob(".collections"))


def test_sim_says_it_needs_a_checkout(site):
    for argv in (["sim", "status", "twin.yml"], ["sim", "up", "twin.yml"], ["up", "twin.yml", "--twin"]):
        r = run(site, "deploy-pod", *argv)
        assert r.returncode != 0, argv
        assert "Traceback" not in r.stderr, r.stderr
        assert "checkout" in r.stderr and "DEPLOY_POD_ROOT" in r.stderr, (argv, r.stderr)


def test_the_collection_builds_installs_and_runs_without_the_checkout(site):
    tmp, env = site["tmp"], {"ANSIBLE_CONFIG": str(site["tmp"] / "empty.cfg")}
    out = tmp / "collection"
    r = run(site, "ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(out), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    (tarball,) = out.glob("deploy_pod-pod-*.tar.gz")
    with tarfile.open(tarball) as tf:
        names = tf.getnames()
    tops = {n.split("/")[0] for n in names}
    assert {"playbooks", "roles", "plugins", "meta", "MANIFEST.json"} <= tops, tops
    parts = {p for n in names for p in n.split("/")}
    assert not parts & (LOCAL_STATE | {"src", "scripts", ".git"}), sorted(parts & (LOCAL_STATE | {"src"}))

    colls = tmp / "collections"
    r = run(site, "ansible-galaxy", "collection", "install", str(tarball), "-p", str(colls), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env |= {"ANSIBLE_COLLECTIONS_PATH": str(colls)}
    r = run(site, "ansible-galaxy", "collection", "list", "deploy_pod.pod", "--format", "json", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert list(json.loads(r.stdout)) == [str(colls / "ansible_collections")], r.stdout

    # a collection playbook by name, and a playbook of the user's calling the collection's action plugin
    r = run(site, "ansible-playbook", "-vv", "-i", "twin.yml", "deploy_pod.pod.validate", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "topology OK" in r.stdout, r.stdout
    task_paths = [ln.split("task path:", 1)[1].strip() for ln in r.stdout.splitlines() if "task path:" in ln]
    assert task_paths and all(under(p.rsplit(":", 1)[0], colls) for p in task_paths), task_paths
    (site["work"] / "mine.yml").write_text(
        "- name: Plan with the installed collection\n  hosts: localhost\n  connection: local\n"
        "  gather_facts: false\n  tasks:\n"
        "    - name: Plan\n      deploy_pod.pod.pod_plan:\n"
        "    - name: Show it\n      ansible.builtin.debug:\n"
        "        msg: \"PLANNED {{ deploy_pod_plan.hosts | length }} hosts\"\n")
    r = run(site, "ansible-playbook", "-i", "twin.yml", "mine.yml", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    planned = json.loads(run(site, "deploy-pod", "plan", "twin.yml", "--json").stdout)["hosts"]
    assert f"PLANNED {len(planned)} hosts" in r.stdout, r.stdout

    # as execution-environment.yml installs it: into site-packages/ansible_collections, which Ansible
    # searches even under a project's ansible.cfg that points collections_path elsewhere (the repo's)
    purelib = run(site, str(site["py"]), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    r = run(site, "ansible-galaxy", "collection", "install", "--offline", "-p", purelib.stdout.strip(), str(tarball))
    assert r.returncode == 0, r.stdout + r.stderr
    project = site["work"] / "project"
    project.mkdir()
    shutil.copy(ROOT / "ansible.cfg", project / "ansible.cfg")
    shutil.copy(site["pod"], project / "pod.yml")
    r = subprocess.run(["ansible-playbook", "-vv", "-i", "pod.yml", "deploy_pod.pod.validate"], capture_output=True,
                       text=True, cwd=project, env=site["env"], timeout=180)
    assert r.returncode == 0 and "topology OK" in r.stdout, r.stdout + r.stderr
    task_paths = [ln.split("task path:", 1)[1].strip() for ln in r.stdout.splitlines() if "task path:" in ln]
    assert task_paths and all(under(p.rsplit(":", 1)[0], Path(purelib.stdout.strip())) for p in task_paths)
