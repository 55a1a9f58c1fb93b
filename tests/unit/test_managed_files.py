"""deploy_pod.pod.managed_files: input checks, missing parents and diffs
(plugins/module_utils/managed_files.py), and the module's main() against directories and files in
tmp_path."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.managed_files import (
    ManagedFilesInputError,
    attribute_changes,
    attribute_diff,
    check_input,
    content_diff,
    created_dir_diff,
    missing_dirs,
    mode_text,
    parse_mode,
    validate_argv,
)
from ansible_collections.deploy_pod.pod.plugins.modules import managed_files

from tests.modkit import run_module


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- pure functions

@pytest.mark.parametrize("text, mode", [("0755", 0o755), ("755", 0o755), ("0600", 0o600), ("2775", 0o2775),
                                        (" 0644 ", 0o644)])
def test_modes_are_octal_strings(text, mode):
    assert parse_mode(text, "files[0].mode") == mode


@pytest.mark.parametrize("value, message", [
    ("755x", "files[0].mode '755x' is not an octal mode of 3 or 4 digits"),
    ("75", "is not an octal mode"),
    ("07555", "is not an octal mode"),
    ("0855", "is not an octal mode"),
    ("u+x", "is not an octal mode"),
    (493, "files[0].mode 493 is a int: give the mode as a quoted octal string"),
    (True, "is a bool"),
    (None, "is a NoneType"),
])
def test_bad_modes_are_named(value, message):
    with pytest.raises(ManagedFilesInputError) as exc:
        parse_mode(value, "files[0].mode")
    assert message in str(exc.value)


def test_mode_text_as_the_file_module_prints_it():
    assert mode_text(0o644) == "0644" and mode_text(0o4755) == "04755" and mode_text(0o7) == "0007"


def test_input_normalized():
    dirs, files, sums = check_input(
        [{"path": "/opt/x", "mode": "0755", "owner": "root", "group": None}],
        [{"path": "/opt/x/a", "content": "a\0b ü\n", "mode": "600", "owner": None, "group": "0",
          "validate": "/bin/check %s"}],
        ["/etc/live"])
    assert dirs == [{"path": "/opt/x", "mode": 0o755, "owner": "root", "group": None}]
    assert files == [{"path": "/opt/x/a", "content": "a\0b ü\n".encode(), "mode": 0o600, "owner": None,
                      "group": "0", "validate": "/bin/check %s"}]
    assert sums == ["/etc/live"]
    assert check_input(None, None, None) == ([], [], [])


def _f(**kw):
    return {"path": "/etc/a", "content": "", "mode": "0644", "owner": None, "group": None, "validate": None, **kw}


@pytest.mark.parametrize("dirs, files, sums, message", [
    ([{"path": "opt/x", "mode": "0755"}], [], [], "directories[0].path 'opt/x' is not an absolute path"),
    ([], [_f(), _f(path="etc/b")], [], "files[1].path 'etc/b' is not an absolute path"),
    ([], [], ["/ok", "rel"], "checksums_of[1] 'rel' is not an absolute path"),
    ([], [_f(), _f(path="/etc/b"), _f(path="/etc/c", mode="755x")], [],
     "files[2].mode '755x' is not an octal mode of 3 or 4 digits"),
    ([{"path": "/opt/x", "mode": "0755x"}], [], [], "directories[0].mode '0755x'"),
    ([{"path": "/opt/x", "mode": "0755"}], [_f(path="/opt/x/")], [],
     "files[0].path '/opt/x/' is also directories[0].path: give each path once"),
    ([], [_f(), _f(path="/etc//a")], [], "files[1].path '/etc//a' is also files[0].path"),
    ([{"path": "/d", "mode": "0755"}, {"path": "/d", "mode": "0700"}], [], [], "directories[1].path '/d' is also"),
    ([], [_f(validate="visudo -cf")], [], "files[0].validate 'visudo -cf' has no %s"),
    ([], [_f(validate="printf %%s")], [], "has no %s"),
    ([], [_f(validate="sh -c 'x %s")], [], "files[0].validate \"sh -c 'x %s\" cannot be split"),
    ([], [_f(validate="  ")], [], "files[0].validate is empty"),
    ([], [_f(content=None)], [], "files[0].content is a NoneType, not a string"),
    ([], [_f(content="\ud800")], [], "files[0].content cannot be written as UTF-8"),
    ([], [_f(owner="a b")], [], "files[0].owner 'a b' is empty or has whitespace"),
    ([{"path": "/d", "mode": "0755", "group": "root:root"}], [], [], "directories[0].group 'root:root'"),
    (["/d"], [], [], "directories[0] is a str, not a dict"),
])
def test_bad_input_is_named(dirs, files, sums, message):
    with pytest.raises(ManagedFilesInputError) as exc:
        check_input(dirs, files, sums)
    assert message in str(exc.value)


def test_validate_split_then_substituted():
    assert validate_argv("/usr/sbin/visudo -cf %s", "/etc/sudoers.d/.x y") == ["/usr/sbin/visudo", "-cf",
                                                                             "/etc/sudoers.d/.x y"]
    # a quoted shell script stays one word; the path goes where %s is, %% is a literal %
    assert validate_argv("/bin/sh -c 'date +%%Y; test -s \"$1\"' check %s", "/t") == [
        "/bin/sh", "-c", 'date +%Y; test -s "$1"', "check", "/t"]
    assert validate_argv("check --file=%s --also=%s %d", "/t") == ["check", "--file=/t", "--also=/t", "%d"]


def test_missing_dirs_top_down():
    there = {"/": "dir", "/opt": "dir", "/etc": "dir", "/etc/hosts": "file"}

    def kind(p):
        return there.get(p, "missing")

    assert missing_dirs("/opt/a/b/c", kind) == ["/opt/a", "/opt/a/b", "/opt/a/b/c"]
    assert missing_dirs("/opt/a/b/c/", kind) == ["/opt/a", "/opt/a/b", "/opt/a/b/c"]
    assert missing_dirs("/opt", kind) == []
    with pytest.raises(ManagedFilesInputError, match="/etc/hosts exists and is not a directory"):
        missing_dirs("/etc/hosts/x", kind)


def test_attribute_changes_and_the_file_modules_diff():
    current = {"mode": 0o644, "uid": 0, "gid": 0}
    assert attribute_changes(current, 0o644, None, None) == {}
    assert attribute_changes(current, 0o644, 0, 0) == {}
    changes = attribute_changes(current, 0o600, 1000, None)
    assert changes == {"mode": ("0644", "0600"), "owner": (0, 1000)}
    assert attribute_diff("/etc/a", changes) == {
        "before_header": "/etc/a", "after_header": "/etc/a",
        "before": {"path": "/etc/a", "mode": "0644", "owner": 0},
        "after": {"path": "/etc/a", "mode": "0600", "owner": 1000}}
    assert created_dir_diff("/d")["after"] == {"path": "/d", "state": "directory"}


def test_content_diffs_text_created_and_binary():
    assert content_diff("/etc/a", None, b"x\n") == {"before_header": "/etc/a", "after_header": "/etc/a",
                                                   "before": "", "after": "x\n"}
    assert content_diff("/etc/a", "ü\n".encode(), b"y") == {"before_header": "/etc/a", "after_header": "/etc/a",
                                                           "before": "ü\n", "after": "y"}
    both = content_diff("/b", b"\xff\xfe", b"a\0b")
    assert both["dst_binary"] == 1 and both["src_binary"] == 1 and "before" not in both
    assert "before" not in content_diff("/b", b"text", b"\0") and "dst_binary" not in content_diff("/b", b"t", b"\0")


# ---------------------------------------------------------------- the module

HELPER = """\
#!/bin/sh
# accepts a candidate that says ok, as a real validator would check it
grep -q '^ok$' "$1" || { echo "candidate $1 is not ok" >&2; exit 3; }
"""


def call(tmp_path, capsys, monkeypatch, **args):
    return run_module(managed_files.main, args, capsys, monkeypatch)


def layout(tmp_path):
    """A role's worth: two directories (one two levels deep), a helper, a config validated by it."""
    lib, state = tmp_path / "usr" / "lib" / "dp", tmp_path / "var" / "lib" / "dp" / "state"
    return {
        "directories": [{"path": str(lib), "mode": "0755"}, {"path": str(state), "mode": "0700"}],
        "files": [
            {"path": str(lib / "validate"), "content": HELPER, "mode": "0755"},
            {"path": str(state / "net.yaml"), "content": "ok\n", "mode": "0600",
             "validate": f"{lib / 'validate'} %s"},
        ],
        "checksums_of": [str(tmp_path / "etc" / "live.yaml")],
    }


def test_module_creates_from_nothing_then_is_converged(tmp_path, capsys, monkeypatch):
    args = layout(tmp_path)
    lib, state = args["directories"][0]["path"], args["directories"][1]["path"]
    rc, res = call(tmp_path, capsys, monkeypatch, **args, _ansible_diff=True)
    assert rc == 0, res
    assert res["changed"] is True
    assert res["directories_changed"] == [str(tmp_path / "usr"), str(tmp_path / "usr" / "lib"), lib,
                                          str(tmp_path / "var"), str(tmp_path / "var" / "lib"),
                                          str(tmp_path / "var" / "lib" / "dp"), state]
    assert res["files_changed"] == [f"{lib}/validate", f"{state}/net.yaml"]
    assert res["attributes_changed"] == []
    assert res["checksums"] == {f"{lib}/validate": sha(HELPER.encode()), f"{state}/net.yaml": sha(b"ok\n"),
                                str(tmp_path / "etc" / "live.yaml"): None}
    # parents get the entry's mode, as the file module does
    assert mode_of(tmp_path / "var" / "lib") == 0o700 and mode_of(state) == 0o700 and mode_of(lib) == 0o755
    assert mode_of(f"{lib}/validate") == 0o755 and mode_of(f"{state}/net.yaml") == 0o600
    assert Path(state, "net.yaml").read_text() == "ok\n"
    diff = res["diff"]
    assert diff[0] == {"before_header": str(tmp_path / "usr"), "after_header": str(tmp_path / "usr"),
                       "before": {"path": str(tmp_path / "usr"), "state": "absent"},
                       "after": {"path": str(tmp_path / "usr"), "state": "directory"}}
    assert diff[-1] == {"before_header": f"{state}/net.yaml", "after_header": f"{state}/net.yaml",
                        "before": "", "after": "ok\n"}
    assert len(diff) == 7 + 2
    assert not [n for n in os.listdir(state) if n.startswith(".managed_files.")]

    mtimes = {p: os.stat(p).st_mtime_ns for p in res["files_changed"]}
    rc, res = call(tmp_path, capsys, monkeypatch, **args, _ansible_diff=True)
    assert rc == 0 and res["changed"] is False, res
    assert res["directories_changed"] == res["files_changed"] == res["attributes_changed"] == res["diff"] == []
    assert res["checksums"][f"{state}/net.yaml"] == sha(b"ok\n")
    assert {p: os.stat(p).st_mtime_ns for p in mtimes} == mtimes


def test_module_content_change_keeps_a_hand_set_owner(tmp_path, capsys, monkeypatch):
    conf = tmp_path / "chrony.conf"
    conf.write_text("server a\n")
    conf.chmod(0o644)
    if os.geteuid() == 0:
        os.chown(conf, 65534, 65534)  # owner null: whoever owns it keeps it
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True,
                   files=[{"path": str(conf), "content": "server b\n", "mode": "0644"}])
    assert rc == 0 and res["changed"] is True
    assert res["files_changed"] == [str(conf)] and res["attributes_changed"] == []
    assert res["diff"] == [{"before_header": str(conf), "after_header": str(conf),
                            "before": "server a\n", "after": "server b\n"}]
    assert conf.read_text() == "server b\n" and mode_of(conf) == 0o644
    if os.geteuid() == 0:
        assert (conf.stat().st_uid, conf.stat().st_gid) == (65534, 65534)


def test_module_content_and_mode_change_shows_both(tmp_path, capsys, monkeypatch):
    conf = tmp_path / "secret.conf"
    conf.write_text("old\n")
    conf.chmod(0o644)
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True,
                   files=[{"path": str(conf), "content": "new\n", "mode": "0600"}])
    assert rc == 0 and res["files_changed"] == [str(conf)] and res["attributes_changed"] == []
    assert res["diff"][1] == {"before_header": str(conf), "after_header": str(conf),
                              "before": {"path": str(conf), "mode": "0644"},
                              "after": {"path": str(conf), "mode": "0600"}}
    assert conf.read_text() == "new\n" and mode_of(conf) == 0o600


def test_module_mode_only_change_does_not_rewrite(tmp_path, capsys, monkeypatch):
    script = tmp_path / "helper"
    script.write_text(HELPER)
    script.chmod(0o644)
    (tmp_path / "dir").mkdir(mode=0o777)
    os.chmod(tmp_path / "dir", 0o777)
    inode, mtime = script.stat().st_ino, script.stat().st_mtime_ns
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True,
                   directories=[{"path": str(tmp_path / "dir"), "mode": "0750"}],
                   files=[{"path": str(script), "content": HELPER, "mode": "0755"}])
    assert rc == 0 and res["changed"] is True
    assert res["files_changed"] == []
    assert res["attributes_changed"] == [str(tmp_path / "dir"), str(script)]
    assert res["directories_changed"] == [str(tmp_path / "dir")]
    assert res["diff"] == [
        {"before_header": str(tmp_path / "dir"), "after_header": str(tmp_path / "dir"),
         "before": {"path": str(tmp_path / "dir"), "mode": "0777"},
         "after": {"path": str(tmp_path / "dir"), "mode": "0750"}},
        {"before_header": str(script), "after_header": str(script),
         "before": {"path": str(script), "mode": "0644"}, "after": {"path": str(script), "mode": "0755"}}]
    assert mode_of(script) == 0o755 and mode_of(tmp_path / "dir") == 0o750
    assert (script.stat().st_ino, script.stat().st_mtime_ns) == (inode, mtime)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_module_owner_and_group_fixed_by_name_and_number(tmp_path, capsys, monkeypatch):
    conf = tmp_path / "a.conf"
    conf.write_text("x")
    conf.chmod(0o4755)
    files = [{"path": str(conf), "content": "x", "mode": "4755", "owner": "nobody", "group": "65534"}]
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True, files=files)
    assert rc == 0 and res["attributes_changed"] == [str(conf)]
    assert res["diff"][0]["before"] == {"path": str(conf), "owner": 0, "group": 0}
    assert res["diff"][0]["after"] == {"path": str(conf), "owner": 65534, "group": 65534}
    # owner and group before mode: the chown cleared setuid, the chmod put it back
    assert (conf.stat().st_uid, conf.stat().st_gid, mode_of(conf)) == (65534, 65534, 0o4755)
    # a new file and a rewrite get the owner too
    files = [{**files[0], "content": "y"}, {**files[0], "path": str(tmp_path / "new"), "mode": "0640"}]
    rc, res = call(tmp_path, capsys, monkeypatch, files=files)
    assert rc == 0 and res["files_changed"] == [str(conf), str(tmp_path / "new")]
    for path, mode in ((conf, 0o4755), (tmp_path / "new", 0o640)):
        assert (path.stat().st_uid, path.stat().st_gid, mode_of(path)) == (65534, 65534, mode)


def test_module_check_mode_writes_nothing_and_runs_no_validate(tmp_path, capsys, monkeypatch):
    args = layout(tmp_path)
    marker = tmp_path / "validated"
    args["files"][1]["validate"] = f"/bin/sh -c 'touch {marker}; exit 1' x %s"
    rc, res = call(tmp_path, capsys, monkeypatch, **args, _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and res["changed"] is True, res
    assert len(res["directories_changed"]) == 7 and len(res["files_changed"]) == 2
    assert res["checksums"][args["files"][1]["path"]] == sha(b"ok\n")  # what would be there
    assert res["diff"][-1]["after"] == "ok\n"
    assert sorted(os.listdir(tmp_path)) == []
    # a file and an attribute that would change, on an existing tree: reported, left alone
    conf = tmp_path / "a.conf"
    conf.write_text("old\n")
    conf.chmod(0o644)
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_check_mode=True,
                   files=[{"path": str(conf), "content": "new\n", "mode": "0644"},
                          {"path": str(tmp_path / "sub" / "b"), "content": "", "mode": "0600"}],
                   directories=[{"path": str(tmp_path), "mode": "0750"}],
                   checksums_of=[str(conf)])
    assert rc == 0 and res["files_changed"] == [str(conf), str(tmp_path / "sub" / "b")]
    assert res["directories_changed"] == [str(tmp_path), str(tmp_path / "sub")]
    assert res["checksums"][str(conf)] == sha(b"new\n")  # checksums_of a managed file: the new content's
    assert conf.read_text() == "old\n" and not (tmp_path / "sub").exists() and mode_of(tmp_path) == 0o700
    assert not marker.exists()


def test_module_validate_failing_leaves_the_old_file(tmp_path, capsys, monkeypatch):
    args = layout(tmp_path)
    rc, res = call(tmp_path, capsys, monkeypatch, **args)
    assert rc == 0
    target = args["files"][1]["path"]
    mtime = os.stat(target).st_mtime_ns
    args["files"][1]["content"] = "broken\n"
    rc, res = call(tmp_path, capsys, monkeypatch, **args)
    assert rc == 1
    assert res["msg"].startswith(f"files[1].validate failed, {target} not written: ")
    assert " exited 3: candidate " in res["msg"] and res["msg"].endswith(" is not ok")
    assert "is not ok" in res["stderr"] and res["rc"] == 3
    assert res["changed"] is False and res["files_changed"] == [] and target not in res["checksums"]
    # a file written before the failing one stays written, and the result says so
    helper = args["files"][0]["path"]
    args["files"][0]["content"] = HELPER + "# v2\n"
    rc, res = call(tmp_path, capsys, monkeypatch, **args)
    assert rc == 1 and res["changed"] is True and res["files_changed"] == [helper]
    assert Path(helper).read_text().endswith("# v2\n")
    assert Path(target).read_text() == "ok\n" and os.stat(target).st_mtime_ns == mtime
    assert sorted(os.listdir(os.path.dirname(target))) == ["net.yaml"]  # no temporary file left


def test_module_validate_runs_a_helper_written_in_the_same_call(tmp_path, capsys, monkeypatch):
    helper, seen = tmp_path / "bin" / "check", tmp_path / "seen"
    # the helper records the candidate's mode: it already has the wanted one before the rename
    body = f"#!/bin/sh\nstat -c %a \"$1\" > {seen}\ngrep -q '^ok$' \"$1\"\n"
    files = [{"path": str(helper), "content": body, "mode": "0755"},
             {"path": str(tmp_path / "etc" / "net.yaml"), "content": "ok\n", "mode": "0640",
              "validate": f"{helper} %s"}]
    rc, res = call(tmp_path, capsys, monkeypatch, files=files)
    assert rc == 0, res
    assert res["files_changed"] == [str(helper), str(tmp_path / "etc" / "net.yaml")]
    assert seen.read_text() == "640\n"
    # parents of files: 0755
    assert res["directories_changed"] == [str(tmp_path / "bin"), str(tmp_path / "etc")]
    assert mode_of(tmp_path / "etc") == 0o755


def test_module_parent_made_for_one_entry_fixed_for_a_later_one(tmp_path, capsys, monkeypatch):
    a = tmp_path / "a"
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True,
                   directories=[{"path": str(a / "b"), "mode": "0700"}, {"path": str(a), "mode": "0755"}])
    assert rc == 0 and res["directories_changed"] == [str(a), str(a / "b")] and res["attributes_changed"] == []
    assert mode_of(a) == 0o755 and mode_of(a / "b") == 0o700
    assert res["diff"][-1]["after"] == {"path": str(a), "mode": "0755"}


def test_module_checksums_of_read_after_the_files(tmp_path, capsys, monkeypatch):
    live, staged = tmp_path / "live.yaml", tmp_path / "staged.yaml"
    live.write_text("v2\n")
    rc, res = call(tmp_path, capsys, monkeypatch,
                   files=[{"path": str(staged), "content": "v2\n", "mode": "0600"}],
                   checksums_of=[str(live), str(staged), str(tmp_path / "missing"), str(tmp_path / "no" / "dir")])
    assert rc == 0
    assert res["checksums"] == {str(staged): sha(b"v2\n"), str(live): sha(b"v2\n"),
                                str(tmp_path / "missing"): None, str(tmp_path / "no" / "dir"): None}
    rc, res = call(tmp_path, capsys, monkeypatch, checksums_of=[str(tmp_path)])
    assert rc == 1 and res["msg"].startswith("checksums_of[0]: cannot read")


def test_module_new_file_mode_does_not_depend_on_the_umask(tmp_path, capsys, monkeypatch):
    old = os.umask(0)
    try:
        rc, res = call(tmp_path, capsys, monkeypatch,
                       files=[{"path": str(tmp_path / "k"), "content": "s", "mode": "0600"}])
        assert os.umask(0) == 0  # the module's own umask is put back
    finally:
        os.umask(old)
    assert rc == 0 and mode_of(tmp_path / "k") == 0o600


def test_module_follows_a_symlink(tmp_path, capsys, monkeypatch):
    (tmp_path / "real.conf").write_text("a\n")
    (tmp_path / "real.conf").chmod(0o644)
    link = tmp_path / "link.conf"
    link.symlink_to("real.conf")
    rc, res = call(tmp_path, capsys, monkeypatch, files=[{"path": str(link), "content": "b\n", "mode": "0644"}])
    assert rc == 0 and res["files_changed"] == [str(link)]
    assert link.is_symlink() and (tmp_path / "real.conf").read_text() == "b\n"
    rc, res = call(tmp_path, capsys, monkeypatch, files=[{"path": str(link), "content": "b\n", "mode": "0644"}])
    assert rc == 0 and res["changed"] is False


def test_module_binary_content(tmp_path, capsys, monkeypatch):
    rc, res = call(tmp_path, capsys, monkeypatch, _ansible_diff=True,
                   files=[{"path": str(tmp_path / "b"), "content": "a\0b", "mode": "0644"}])
    assert rc == 0 and (tmp_path / "b").read_bytes() == b"a\0b"
    assert res["diff"][0]["src_binary"] == 1 and res["checksums"][str(tmp_path / "b")] == sha(b"a\0b")


@pytest.mark.parametrize("args, message", [
    ({"files": [{"path": "/tmp/x", "content": "", "mode": "0644"}, {"path": "/tmp/y", "content": "", "mode": "0644"},
                {"path": "/tmp/z", "content": "", "mode": "755x"}]},
     "files[2].mode '755x' is not an octal mode of 3 or 4 digits"),
    ({"directories": [{"path": "var/x", "mode": "0755"}]}, "directories[0].path 'var/x' is not an absolute path"),
    ({"directories": [{"path": "/tmp/x", "mode": "0755"}],
      "files": [{"path": "/tmp/x", "content": "", "mode": "0644"}]},
     "files[0].path '/tmp/x' is also directories[0].path"),
    ({"files": [{"path": "/tmp/x", "content": "", "mode": 420}]}, "files[0].mode 420 is a int"),
    ({"files": [{"path": "/tmp/x", "content": "", "mode": "0644", "validate": "true"}]},
     "files[0].validate 'true' has no %s"),
    ({"files": [{"path": "/tmp/x", "content": "", "mode": "0644", "owner": "no-such-user-dp"}]},
     "files[0].owner 'no-such-user-dp': no such user on this host"),
    ({"directories": [{"path": "/tmp/x", "mode": "0755", "group": "no-such-group-dp"}]},
     "directories[0].group 'no-such-group-dp': no such group on this host"),
])
def test_module_bad_input_fails_naming_the_entry(tmp_path, capsys, monkeypatch, args, message):
    rc, res = call(tmp_path, capsys, monkeypatch, **args)
    assert rc == 1 and message in res["msg"], res


def test_module_in_the_way(tmp_path, capsys, monkeypatch):
    (tmp_path / "f").write_text("")
    rc, res = call(tmp_path, capsys, monkeypatch, directories=[{"path": str(tmp_path / "f" / "d"), "mode": "0755"}])
    assert rc == 1 and res["msg"] == f"directories[0].path: {tmp_path / 'f'} exists and is not a directory"
    rc, res = call(tmp_path, capsys, monkeypatch, files=[{"path": str(tmp_path), "content": "", "mode": "0644"}])
    assert rc == 1 and res["msg"] == f"files[0].path {str(tmp_path)!r} is a directory"
