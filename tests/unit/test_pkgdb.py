"""dpkg-query and rpm -qa parsing and the hold helpers of plugins/module_utils/pkgdb.py, and the
modules deploy_pod.pod.package_state and deploy_pod.pod.package_hold run in-process against a fake
dpkg-query/apt-mark/dpkg/rpm on a temporary PATH (one Python script that reads and rewrites a
dpkg-query listing and logs every call)."""

from __future__ import annotations

import json
import os
import sys

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.pkgdb import (
    DPKG_QUERY_FORMAT,
    RPM_QUERY_FORMAT,
    PkgdbParseError,
    hold_candidates,
    installed_names,
    installed_versions,
    parse_dpkg_query,
    parse_rpm_qa,
    rpm_version_key,
    selection_targets,
    selections_text,
    to_hold,
    to_select,
)
from ansible_collections.deploy_pod.pod.plugins.modules import package_hold, package_state

from tests.modkit import run_module, tool_installer

# A DGX OS 6 (Ubuntu 22.04) node halfway through its life: Scale partly held, the previous kernel
# removed with its configuration files left (rc), a Multi-Arch library in two arches (one held), a
# dkms build interrupted (iF, iU), triggers waiting (it, iW), a purged name dpkg still lists (pn).
DGX_DPKG = (
    "base-files\t12ubuntu4.6\tii \n"
    "bash\t5.1-6ubuntu1.1\tii \n"
    "dkms\t2.8.7-2ubuntu2.2\tiF \n"
    "gpfs.base\t5.1.9-2\thi \n"
    "gpfs.docs\t5.1.9-2\trc \n"
    "gpfs.gpl\t5.1.9-2\tii \n"
    "gpfs.gskit\t8.0.55-19.1\thi \n"
    "gpfs.msg.en-us\t5.1.9-2\tii \n"
    "initramfs-tools\t0.140ubuntu13.4\tiW \n"
    "libc6:amd64\t2.35-0ubuntu3.8\tii \n"
    "libc6:i386\t2.35-0ubuntu3.8\tii \n"
    "libnvidia-compute-535:amd64\t535.183.06-0ubuntu0.22.04.1\thi \n"
    "libnvidia-compute-535:i386\t535.183.06-0ubuntu0.22.04.1\tii \n"
    "linux-headers-5.15.0-1063-nvidia\t5.15.0-1063.64\thi \n"
    "linux-image-5.15.0-1053-nvidia\t5.15.0-1053.54\trc \n"
    "linux-image-5.15.0-1063-nvidia\t5.15.0-1063.64\tii \n"
    "linux-image-nvidia\t5.15.0.1063.63\tii \n"
    "man-db\t2.10.2-1\tit \n"
    "mlnx-ofed-kernel-utils\t23.10.OFED.23.10.2.1.3.1-1\tii \n"
    "nvidia-dkms-535\t535.183.06-0ubuntu0.22.04.1\tiU \n"
    "nvidia-driver-535\t535.183.06-0ubuntu0.22.04.1\tii \n"
    "nvidia-fabricmanager-535\t535.183.06-1\thi \n"
    "snapd\t2.63+22.04ubuntu0.1\trc \n"
    "ubuntu-advantage-tools\t\tpn \n"
    "vim-tiny\t2:8.2.3995-1ubuntu2.17\tii \n"
)

# Debian 12 as dpkg-query 1.21.22 printed it (a build host of this project; trimmed): Multi-Arch
# packages come out arch-qualified, the others bare.
DEBIAN12_DPKG = (
    "apt\t2.6.1\tii \n"
    "base-files\t12.4+deb12u11\tii \n"
    "bash\t5.2.15-2+b8\tii \n"
    "dpkg\t1.21.22\tii \n"
    "gcc-12-base:amd64\t12.2.0-14+deb12u1\tii \n"
    "libc6:amd64\t2.36-9+deb12u14\tii \n"
    "libc6-dev:amd64\t2.36-9+deb12u14\tii \n"
    "libssl3:amd64\t3.0.19-1~deb12u2\tii \n"
    "libstdc++6:amd64\t12.2.0-14+deb12u1\tii \n"
    "python3.11\t3.11.2-6+deb12u6\tii \n"
    "tzdata\t2025b-0+deb12u2\tii \n"
    "vim\t2:9.0.1378-2+deb12u2\tii \n"
)

# A minimal Ubuntu 22.04 cloud image after "apt remove" of two packages and an "apt-mark hold".
UBUNTU_CLOUD_DPKG = (
    "cloud-init\t23.4.4-0ubuntu0~22.04.1\tii \n"
    "linux-image-5.15.0-105-generic\t5.15.0-105.115\trc \n"
    "linux-image-5.15.0-107-generic\t5.15.0-107.117\thi \n"
    "linux-image-virtual\t5.15.0.107.107\tii \n"
    "lxd-agent-loader\t0.5\trc \n"
    "openssh-server\t1:8.9p1-3ubuntu0.7\tii \n"
    "zlib1g:amd64\t1:1.2.11.dfsg-2ubuntu9.2\tii"  # the last line as a caller that stripped the text has it
)

# RHEL 9.3 with three kernels installed (installonly), glibc in two arches, two GPG keys.
RHEL9_RPM = (
    "kernel-core\t5.14.0-362.8.1.el9_3\tx86_64\n"
    "bash\t5.1.8-6.el9_1\tx86_64\n"
    "kernel-core\t5.14.0-362.13.1.el9_3\tx86_64\n"
    "glibc\t2.34-83.el9_3.7\tx86_64\n"
    "gpg-pubkey\tfd431d51-4ae0493b\t(none)\n"
    "kernel-core\t5.14.0-284.30.1.el9_2\tx86_64\n"
    "glibc\t2.34-83.el9_3.7\ti686\n"
    "gpfs.base\t5.1.9-2\tx86_64\n"
    "gpg-pubkey\t5a6340b3-6229229e\t(none)\n"
    "kernel\t5.14.0-362.8.1.el9_3\tx86_64\n"
    "kernel\t5.14.0-362.13.1.el9_3\tx86_64\n"
)

HOLD_PATTERNS = ["gpfs.*", "nvidia-*", "libnvidia-*", "linux-image-*"]


# ---------------------------------------------------------------- dpkg-query

def test_dpkg_record_fields_and_statuses():
    pk = parse_dpkg_query(DGX_DPKG)
    assert pk["gpfs.base"] == {"version": "5.1.9-2", "want": "hold", "status": "installed", "installed": True,
                               "binaries": {"gpfs.base": "hold"}}
    assert pk["gpfs.docs"]["status"] == "config-files" and pk["gpfs.docs"]["want"] == "deinstall"
    assert pk["man-db"]["status"] == "triggers-pending" and pk["man-db"]["installed"]
    assert pk["initramfs-tools"]["status"] == "triggers-awaited" and pk["initramfs-tools"]["installed"]
    assert pk["dkms"]["status"] == "half-configured" and not pk["dkms"]["installed"]
    assert pk["nvidia-dkms-535"]["status"] == "unpacked" and not pk["nvidia-dkms-535"]["installed"]
    assert pk["ubuntu-advantage-tools"] == {"version": "", "want": "purge", "status": "not-installed",
                                            "installed": False, "binaries": {"ubuntu-advantage-tools": "purge"}}
    assert pk["vim-tiny"]["version"] == "2:8.2.3995-1ubuntu2.17"  # the epoch stays


def test_rc_and_interrupted_packages_are_not_installed():
    names = installed_names(parse_dpkg_query(DGX_DPKG))
    for gone in ("gpfs.docs", "linux-image-5.15.0-1053-nvidia", "snapd", "dkms", "nvidia-dkms-535",
                 "ubuntu-advantage-tools"):
        assert gone not in names
    assert "linux-image-5.15.0-1063-nvidia" in names and "man-db" in names
    assert len(names) == 23 - 6  # 25 lines, two of them a second arch


def test_arch_suffix_is_dropped_and_arches_merge():
    pk = parse_dpkg_query(DGX_DPKG)
    assert "libc6:amd64" not in pk and "libc6:i386" not in pk
    assert pk["libc6"]["binaries"] == {"libc6:amd64": "install", "libc6:i386": "install"}
    assert pk["libc6"]["version"] == "2.35-0ubuntu3.8" and pk["libc6"]["installed"]
    # one arch held, the other not: the package is not held, and only the other arch is changed
    assert pk["libnvidia-compute-535"]["want"] == "install"
    assert selection_targets(["libnvidia-compute-535"], pk) == ["libnvidia-compute-535:i386"]
    deb = parse_dpkg_query(DEBIAN12_DPKG)
    assert installed_versions(deb)["libstdc++6"] == "12.2.0-14+deb12u1"
    assert installed_versions(deb)["libssl3"] == "3.0.19-1~deb12u2"
    assert len(deb) == 12 and all(":" not in n for n in deb)


def test_installed_arch_wins_over_a_removed_one():
    pk = parse_dpkg_query("libfoo1:i386\t1.0-1\trc \nlibfoo1:amd64\t1.2-1\thi \n")
    assert pk["libfoo1"] == {"version": "1.2-1", "want": "hold", "status": "installed", "installed": True,
                             "binaries": {"libfoo1:amd64": "hold"}}


def test_stripped_last_line_and_blank_lines():
    pk = parse_dpkg_query(UBUNTU_CLOUD_DPKG + "\n\n")
    assert pk["zlib1g"]["installed"] and pk["zlib1g"]["version"] == "1:1.2.11.dfsg-2ubuntu9.2"
    assert installed_versions(pk) == {
        "cloud-init": "23.4.4-0ubuntu0~22.04.1", "linux-image-5.15.0-107-generic": "5.15.0-107.117",
        "linux-image-virtual": "5.15.0.107.107", "openssh-server": "1:8.9p1-3ubuntu0.7",
        "zlib1g": "1:1.2.11.dfsg-2ubuntu9.2"}
    assert parse_dpkg_query("") == {}


@pytest.mark.parametrize("text", [
    "dpkg-query: error: failed to open package info file '/var/lib/dpkg/status' for reading\n",
    "bash 5.1-6ubuntu1.1 ii\n",                 # spaces, not tabs: another format
    "bash\t5.1-6ubuntu1.1\tinstall ok installed\n",  # ${Status}, not ${db:Status-Abbrev}
    "bash\t5.1-6ubuntu1.1\txi \n",
    "bash\t5.1-6ubuntu1.1\tiiX\n",
    "\t5.1\tii \n",
])
def test_not_dpkg_query_output_raises(text):
    with pytest.raises(PkgdbParseError):
        parse_dpkg_query(text)


def test_query_formats_are_the_documented_ones():
    assert DPKG_QUERY_FORMAT == r"${binary:Package}\t${Version}\t${db:Status-Abbrev}\n"
    assert RPM_QUERY_FORMAT == r"%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n"


# ---------------------------------------------------------------- hold helpers

def test_hold_candidates_patterns_and_installed_names():
    pk = parse_dpkg_query(DGX_DPKG)
    names = ["linux-image-5.15.0-1063-nvidia", "linux-headers-5.15.0-1063-nvidia",
             "linux-headers-5.15.0-1053-nvidia", "gpfs.base"]
    cands = hold_candidates(installed_names(pk), HOLD_PATTERNS, names)
    assert cands == [
        "gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "libnvidia-compute-535",
        "linux-headers-5.15.0-1063-nvidia", "linux-image-5.15.0-1063-nvidia", "linux-image-nvidia",
        "nvidia-driver-535", "nvidia-fabricmanager-535"]
    # rc and interrupted packages match a pattern but are not installed: not candidates
    assert "gpfs.docs" not in cands and "nvidia-dkms-535" not in cands
    assert hold_candidates(installed_names(pk), [], ["libc6:amd64", "nope"]) == ["libc6"]
    assert hold_candidates(installed_names(pk), ["GPFS.*"], []) == []  # case-sensitive, as dpkg
    assert hold_candidates([], HOLD_PATTERNS, names) == []


def test_to_hold_skips_what_is_held_and_unhold_only_what_is():
    pk = parse_dpkg_query(DGX_DPKG)
    cands = hold_candidates(installed_names(pk), HOLD_PATTERNS, [])
    assert to_hold(cands, pk) == ["gpfs.gpl", "gpfs.msg.en-us", "libnvidia-compute-535",
                                  "linux-image-5.15.0-1063-nvidia", "linux-image-nvidia", "nvidia-driver-535"]
    assert to_select(cands, pk, "install") == ["gpfs.base", "gpfs.gskit", "libnvidia-compute-535",
                                               "nvidia-fabricmanager-535"]
    assert selection_targets(["libnvidia-compute-535"], pk, "install") == ["libnvidia-compute-535:amd64"]
    assert to_hold(["gpfs.base"], pk) == []


def test_selections_text_is_get_selections_style():
    pk = parse_dpkg_query(DGX_DPKG)
    assert selections_text(["gpfs.gpl", "gpfs.base"], pk) == "gpfs.gpl\tinstall\ngpfs.base\thold\n"
    assert selections_text(["gpfs.gpl"], pk, "hold") == "gpfs.gpl\thold\n"
    assert selections_text([], pk) == ""


# ---------------------------------------------------------------- rpm

def test_rpm_several_versions_sorted_in_rpm_order():
    pk = parse_rpm_qa(RHEL9_RPM)
    assert pk["kernel-core"]["versions"] == ["5.14.0-284.30.1.el9_2", "5.14.0-362.8.1.el9_3",
                                             "5.14.0-362.13.1.el9_3"]
    assert pk["glibc"] == {"versions": ["2.34-83.el9_3.7"], "arches": ["i686", "x86_64"]}
    assert pk["gpg-pubkey"]["arches"] == ["(none)"]
    versions = installed_versions(pk)
    assert versions["kernel-core"] == "5.14.0-362.13.1.el9_3" and versions["kernel"] == "5.14.0-362.13.1.el9_3"
    assert versions["gpg-pubkey"] == "5a6340b3-6229229e"  # a digit segment is newer than a letter one
    assert versions["gpfs.base"] == "5.1.9-2"


@pytest.mark.parametrize("older,newer", [
    ("1.9-1", "1.10-1"),
    ("1.0-2", "1.0.1-1"),          # the version decides before the release
    ("1.0~rc1-1", "1.0-1"),        # tilde: before the release
    ("1.0-1", "1.0^git1-1"),       # caret: after the release, before the next one
    ("1.0^git1-1", "1.0.1-1"),
    ("1.0-1", "1.0a-1"),
    ("1.0a-1", "1.0.1-1"),
    ("5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3"),
    ("2.34-83.el9_3.7", "2.34-83.el9_3.12"),
])
def test_rpm_version_key(older, newer):
    assert rpm_version_key(older) < rpm_version_key(newer)


@pytest.mark.parametrize("text", ["package bash is not installed\n", "bash\t\tx86_64\n", "bash 5.1 x86_64\n"])
def test_not_rpm_output_raises(text):
    with pytest.raises(PkgdbParseError):
        parse_rpm_qa(text)


# ---------------------------------------------------------------- the modules against fake tools

FAKE = r'''
import json, os, sys
db, log = os.environ["FAKE_PKG_DB"], os.environ["FAKE_PKG_LOG"]
tool, args = sys.argv[1], sys.argv[2:]
stdin = sys.stdin.read() if tool == "dpkg" else None
with open(log, "a") as fh:
    fh.write(json.dumps({"tool": tool, "args": args, "stdin": stdin, "lc_all": os.environ.get("LC_ALL")}) + "\n")
if os.environ.get("FAKE_FAIL") == tool:
    sys.stderr.write("E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n")
    sys.exit(100)
if tool in ("dpkg-query", "rpm"):
    sys.stdout.write(open(db).read())
    sys.exit(0)
if tool == "apt-mark":
    verb, wanted = args[0], {a: ("h" if args[0] == "hold" else "i") for a in args[1:]}
else:  # dpkg --set-selections
    wanted = {n: ("h" if s == "hold" else "i") for n, s in (ln.split() for ln in stdin.splitlines() if ln.strip())}
if os.environ.get("FAKE_NOOP") != tool:
    lines = []
    for line in open(db).read().splitlines(keepends=True):
        name, version, abbrev = line.rstrip("\n").split("\t")
        if name in wanted:
            abbrev = wanted[name] + abbrev[1:]
        lines.append(f"{name}\t{version}\t{abbrev}\n")
    open(db, "w").write("".join(lines))
for name in wanted:
    print(f"{name} set on hold." if tool == "apt-mark" and verb == "hold" else f"Canceled hold on {name}.")
'''


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """fake(listing, *tools) -> (the listing file, a function returning the logged calls)."""
    install = tool_installer(tmp_path, monkeypatch)
    script = tmp_path / "fakepkg.py"
    script.write_text(FAKE)

    def setup(listing: str, *tools: str):
        db = tmp_path / "listing.txt"
        db.write_text(listing)
        log = tmp_path / "calls.jsonl"
        monkeypatch.setenv("FAKE_PKG_DB", str(db))
        monkeypatch.setenv("FAKE_PKG_LOG", str(log))
        install(fakes={t: f'exec "{sys.executable}" "{script}" {t} "$@"' for t in tools})

        def calls() -> list[dict]:
            return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []

        return db, calls

    return setup


def no_sbin(*tools: str) -> bool:
    """get_bin_path always adds /sbin, /usr/sbin, /usr/local/sbin: a test that needs a tool absent
    cannot run where one of those holds it."""
    return not any(os.path.exists(f"{d}/{t}") for d in ("/sbin", "/usr/sbin", "/usr/local/sbin") for t in tools)


def test_state_dpkg_returns_installed_versions_in_one_call(fake, capsys, monkeypatch):
    _, calls = fake(DGX_DPKG, "dpkg-query", "rpm")
    rc, result = run_module(package_state.main, {}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["changed"] is False and result["manager"] == "dpkg"
    facts = result["ansible_facts"]
    pkgs = facts["deploy_pod_packages"]
    assert pkgs["gpfs.base"] == "5.1.9-2" and pkgs["libc6"] == "2.35-0ubuntu3.8"
    assert "libc6:amd64" not in pkgs
    assert "gpfs.docs" not in pkgs and "linux-image-5.15.0-1053-nvidia" not in pkgs and "dkms" not in pkgs
    assert pkgs["man-db"] == "2.10.2-1"
    assert facts["deploy_pod_package_versions"] == {}
    assert facts["deploy_pod_package_holds"] == ["gpfs.base", "gpfs.gskit", "linux-headers-5.15.0-1063-nvidia",
                                                 "nvidia-fabricmanager-535"]
    assert [(c["tool"], c["args"], c["lc_all"]) for c in calls()] == [("dpkg-query", ["-W", "-f", DPKG_QUERY_FORMAT],
                                                                      "C")]


def test_state_rpm_with_several_kernels(fake, capsys, monkeypatch):
    if not no_sbin("dpkg-query"):
        pytest.skip("dpkg-query in an sbin directory")
    _, calls = fake(RHEL9_RPM, "rpm")
    rc, result = run_module(package_state.main, {"_ansible_check_mode": True}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["manager"] == "rpm" and result["changed"] is False
    facts = result["ansible_facts"]
    assert facts["deploy_pod_packages"]["kernel-core"] == "5.14.0-362.13.1.el9_3"
    assert facts["deploy_pod_package_versions"] == {
        "gpg-pubkey": ["fd431d51-4ae0493b", "5a6340b3-6229229e"],
        "kernel": ["5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3"],
        "kernel-core": ["5.14.0-284.30.1.el9_2", "5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3"]}
    assert facts["deploy_pod_package_holds"] == []
    assert [c["args"] for c in calls()] == [["-qa", "--qf", RPM_QUERY_FORMAT]]


def test_state_manager_choice_and_missing_tools(fake, capsys, monkeypatch):
    if not no_sbin("dpkg-query", "rpm"):
        pytest.skip("dpkg-query or rpm in an sbin directory")
    fake(RHEL9_RPM)
    rc, result = run_module(package_state.main, {}, capsys, monkeypatch)
    assert rc == 1 and result["msg"] == "neither dpkg-query nor rpm is on the PATH: no package database to read"
    fake(RHEL9_RPM, "rpm")
    rc, result = run_module(package_state.main, {"manager": "dpkg"}, capsys, monkeypatch)
    assert rc == 1 and result["msg"] == "manager=dpkg: dpkg-query is not on the PATH"


def test_state_query_failure_and_garbage(fake, capsys, monkeypatch):
    fake(DGX_DPKG, "dpkg-query")
    monkeypatch.setenv("FAKE_FAIL", "dpkg-query")
    rc, result = run_module(package_state.main, {}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("dpkg-query -W failed (exit 100): E: Could not open lock file")
    monkeypatch.delenv("FAKE_FAIL")
    fake("Desired=Unknown/Install/Remove/Purge/Hold\n", "dpkg-query")
    rc, result = run_module(package_state.main, {}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("cannot read the dpkg query output: line 1 is not")


HOLD_ARGS = {"patterns": ["gpfs.*"], "names": ["linux-image-5.15.0-1063-nvidia", "linux-headers-5.15.0-1063-nvidia",
                                               "linux-image-5.15.0-1053-nvidia", "mlnx-ofed-kernel-dkms"]}


def test_hold_changes_only_the_unheld_with_one_apt_mark(fake, capsys, monkeypatch):
    db, calls = fake(DGX_DPKG, "dpkg-query", "apt-mark", "dpkg")
    rc, result = run_module(package_hold.main, {**HOLD_ARGS, "_ansible_diff": True}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["changed"] is True
    assert result["changed_packages"] == ["gpfs.gpl", "gpfs.msg.en-us", "linux-image-5.15.0-1063-nvidia"]
    assert result["packages"] == result["held"] == [
        "gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "linux-headers-5.15.0-1063-nvidia",
        "linux-image-5.15.0-1063-nvidia"]
    # the old kernel left only its configuration files: not installed, as the name that never was
    assert result["not_installed"] == ["linux-image-5.15.0-1053-nvidia", "mlnx-ofed-kernel-dkms"]
    assert result["diff"]["before"] == ("gpfs.gpl\tinstall\ngpfs.msg.en-us\tinstall\n"
                                        "linux-image-5.15.0-1063-nvidia\tinstall\n")
    assert result["diff"]["after"] == "gpfs.gpl\thold\ngpfs.msg.en-us\thold\nlinux-image-5.15.0-1063-nvidia\thold\n"
    assert [(c["tool"], c["args"][:1]) for c in calls()] == [("dpkg-query", ["-W"]), ("apt-mark", ["hold"]),
                                                             ("dpkg-query", ["-W"])]
    assert calls()[1]["args"] == ["hold", "gpfs.gpl", "gpfs.msg.en-us", "linux-image-5.15.0-1063-nvidia"]
    assert calls()[1]["lc_all"] == "C"
    assert "gpfs.docs\t5.1.9-2\trc \n" in db.read_text()  # rc packages are never held

    # converged: the re-run reads the database once and changes nothing
    rc, again = run_module(package_hold.main, HOLD_ARGS, capsys, monkeypatch)
    assert rc == 0 and again["changed"] is False and again["changed_packages"] == []
    assert again["held"] == result["held"]
    assert [c["tool"] for c in calls()[3:]] == ["dpkg-query"]


def test_hold_check_mode_never_runs_apt_mark(fake, capsys, monkeypatch):
    db, calls = fake(DGX_DPKG, "dpkg-query", "apt-mark")
    args = {**HOLD_ARGS, "_ansible_check_mode": True, "_ansible_diff": True}
    rc, result = run_module(package_hold.main, args, capsys, monkeypatch)
    assert rc == 0 and result["changed"] is True
    assert result["changed_packages"] == ["gpfs.gpl", "gpfs.msg.en-us", "linux-image-5.15.0-1063-nvidia"]
    assert "gpfs.gpl" in result["held"] and "gpfs.gpl\thold\n" in result["diff"]["after"]
    assert [c["tool"] for c in calls()] == ["dpkg-query"]
    assert db.read_text() == DGX_DPKG


def test_hold_all_held_already_is_unchanged(fake, capsys, monkeypatch):
    _, calls = fake(DGX_DPKG, "dpkg-query", "apt-mark")
    args = {"names": ["gpfs.base", "gpfs.gskit", "nvidia-fabricmanager-535"], "_ansible_diff": True}
    rc, result = run_module(package_hold.main, args, capsys, monkeypatch)
    assert rc == 0 and result["changed"] is False
    assert result["held"] == ["gpfs.base", "gpfs.gskit", "nvidia-fabricmanager-535"]
    assert result["diff"] == {"before_header": "dpkg selections", "after_header": "dpkg selections",
                              "before": "", "after": ""}
    assert len(calls()) == 1


def test_hold_each_arch_of_a_multiarch_package(fake, capsys, monkeypatch):
    _, calls = fake(DGX_DPKG, "dpkg-query", "apt-mark")
    rc, result = run_module(package_hold.main, {"patterns": ["libnvidia-*", "libc6"]}, capsys, monkeypatch)
    assert rc == 0 and result["changed_packages"] == ["libc6", "libnvidia-compute-535"]
    assert calls()[1]["args"] == ["hold", "libc6:amd64", "libc6:i386", "libnvidia-compute-535:i386"]
    assert result["held"] == ["libc6", "libnvidia-compute-535"]


def test_unhold_releases_only_the_held(fake, capsys, monkeypatch):
    db, calls = fake(DGX_DPKG, "dpkg-query", "apt-mark")
    rc, result = run_module(package_hold.main, {"patterns": ["gpfs.*"], "state": "install"}, capsys, monkeypatch)
    assert rc == 0 and result["changed"] is True
    assert result["changed_packages"] == ["gpfs.base", "gpfs.gskit"] and result["held"] == []
    assert calls()[1]["args"] == ["unhold", "gpfs.base", "gpfs.gskit"]
    assert "gpfs.base\t5.1.9-2\tii \n" in db.read_text()


def test_without_apt_mark_dpkg_set_selections_gets_stdin(fake, capsys, monkeypatch):
    if not no_sbin("apt-mark"):
        pytest.skip("apt-mark in an sbin directory")
    db, calls = fake(UBUNTU_CLOUD_DPKG, "dpkg-query", "dpkg")
    rc, result = run_module(package_hold.main, {"patterns": ["linux-image-*"]}, capsys, monkeypatch)
    assert rc == 0, result
    assert result["changed_packages"] == ["linux-image-virtual"]
    assert result["held"] == ["linux-image-5.15.0-107-generic", "linux-image-virtual"]
    assert (calls()[1]["tool"], calls()[1]["args"], calls()[1]["stdin"]) == (
        "dpkg", ["--set-selections"], "linux-image-virtual hold\n")
    assert "linux-image-virtual\t5.15.0.107.107\thi \n" in db.read_text()


def test_apt_mark_failure_and_a_silent_no_op_fail(fake, capsys, monkeypatch):
    fake(DGX_DPKG, "dpkg-query", "apt-mark")
    monkeypatch.setenv("FAKE_FAIL", "apt-mark")
    rc, result = run_module(package_hold.main, {"names": ["gpfs.gpl"]}, capsys, monkeypatch)
    assert rc == 1
    assert result["msg"] == ("apt-mark hold gpfs.gpl failed (exit 100): E: Could not open lock file "
                             "/var/lib/dpkg/lock-frontend - open (13: Permission denied)")
    monkeypatch.delenv("FAKE_FAIL")
    monkeypatch.setenv("FAKE_NOOP", "apt-mark")
    rc, result = run_module(package_hold.main, {"names": ["gpfs.gpl"]}, capsys, monkeypatch)
    assert rc == 1 and result["msg"] == "apt-mark hold exited 0 but dpkg still has gpfs.gpl not on hold"


def test_hold_needs_dpkg_query(fake, capsys, monkeypatch):
    if not no_sbin("dpkg-query"):
        pytest.skip("dpkg-query in an sbin directory")
    fake(RHEL9_RPM, "rpm")
    rc, result = run_module(package_hold.main, {"names": ["gpfs.base"]}, capsys, monkeypatch)
    assert rc == 1 and result["msg"].startswith("dpkg-query is not on the PATH: package_hold is for Debian-family")
