"""deploy_pod.pod.limits_conf: limits.conf(5) parsing, entry checks and the planned file
(plugins/module_utils/limits_conf.py), and the module's main() against a file in tmp_path."""

from __future__ import annotations

import stat

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.limits_conf import (
    LimitsInputError,
    check_entries,
    entry_text,
    parse_limits_conf,
    plan_file,
)
from ansible_collections.deploy_pod.pod.plugins.modules import limits_conf

from tests.modkit import run_module

# the tail of Ubuntu 22.04's /etc/security/limits.conf (tab separated, commented examples) with
# an administrator's own lines after it
UBUNTU_LIMITS = """\
# /etc/security/limits.conf
#
#Each line describes a limit for a user in the form:
#
#<domain>        <type>  <item>  <value>
#

#*               soft    core            0
#root            hard    core            100000
#*               hard    rss             10000
#@student        hard    nproc           20
#@faculty        soft    nproc           20
#ftp             hard    nproc           0
#ftp             -       chroot          /ftp
#@student        -       maxlogins       4

*\t\tsoft\tnofile\t\t4096\t# raised for the build farm
*\t\thard\tmemlock\t\t65536
root            soft    memlock         65536
@hpc            -       nproc           4096

# End of file
"""

BASE = [  # roles/base_os/defaults/main.yml base_os_limits
    {"domain": "*", "limit_type": "soft", "limit_item": "memlock", "value": "unlimited"},
    {"domain": "*", "limit_type": "hard", "limit_item": "memlock", "value": "unlimited"},
    {"domain": "root", "limit_type": "soft", "limit_item": "memlock", "value": "unlimited"},
    {"domain": "root", "limit_type": "hard", "limit_item": "memlock", "value": "unlimited"},
    {"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": 14096},
    {"domain": "root", "limit_type": "soft", "limit_item": "nofile", "value": "14096"},
]


# ---------------------------------------------------------------- pure functions

def test_parse_keeps_comments_and_reads_tab_separated_entries():
    lines = parse_limits_conf(UBUNTU_LIMITS)
    assert len(lines) == len(UBUNTU_LIMITS.splitlines())
    entries = {e["key"]: e["value"] for e in lines if e["key"]}
    assert entries == {("*", "soft", "nofile"): "4096", ("*", "hard", "memlock"): "65536",
                       ("root", "soft", "memlock"): "65536", ("@hpc", "-", "nproc"): "4096"}
    assert parse_limits_conf(None) == []
    # five fields is no entry pam_limits would read: left alone
    assert parse_limits_conf("* soft nofile 1 2\n")[0]["key"] is None


def test_check_entries_normalizes_ints_and_strips():
    out = check_entries([{"domain": " @hpc ", "limit_type": "-", "limit_item": "nice", "value": -5},
                         {"domain": "ftp", "limit_type": "-", "limit_item": "chroot", "value": "/ftp"}])
    assert out == [{"domain": "@hpc", "limit_type": "-", "limit_item": "nice", "value": "-5"},
                   {"domain": "ftp", "limit_type": "-", "limit_item": "chroot", "value": "/ftp"}]
    assert entry_text(out[0]) == "@hpc - nice -5"
    assert check_entries([]) == []


@pytest.mark.parametrize("entries, message", [
    ([{"domain": "", "limit_type": "soft", "limit_item": "nofile", "value": "1"}], "entries[0].domain '' is empty"),
    ([BASE[0], {"domain": "a b", "limit_type": "soft", "limit_item": "nofile", "value": "1"}],
     "entries[1].domain 'a b'"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": "1 # x"}], "entries[0].value"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": ""}], "entries[0].value '' is empty"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": True}], "entries[0].value is a bool"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": "lots"}],
     "entries[0].value 'lots' is not an integer, unlimited or infinity"),
    ([{"domain": "*", "limit_type": "both", "limit_item": "nofile", "value": "1"}],
     "entries[0].limit_type 'both' is not one of soft, hard, -"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "openfiles", "value": "1"}],
     "entries[0].limit_item 'openfiles' is not a limits.conf item"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile"}], "entries[0].value is missing"),
    ([{"domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": "1", "comment": "x"}],
     "entries[0] has unknown keys: comment"),
    (["* soft nofile 1"], "entries[0] is a str, not a dict"),
    ([BASE[4], BASE[1], {**BASE[4], "value": "1"}], "entries[0] and entries[2] are both for * soft nofile"),
])
def test_bad_entries_name_index_and_field(entries, message):
    with pytest.raises(LimitsInputError) as exc:
        check_entries(entries)
    assert message in str(exc.value)


def test_new_file_comment_then_entries_tab_separated():
    text, changed = plan_file(None, check_entries(BASE), "deploy-pod base_os")
    assert text.splitlines()[0] == "# deploy-pod base_os"
    assert text.splitlines()[1] == "*\tsoft\tmemlock\tunlimited"
    assert len(text.splitlines()) == 7
    assert changed[-1] == "root soft nofile 14096"
    assert plan_file(None, [], "x") == (None, [])
    assert plan_file(None, check_entries(BASE[:1]), "")[0] == "*\tsoft\tmemlock\tunlimited\n"


def test_existing_file_values_replaced_in_place():
    entries = check_entries(BASE)
    text, changed = plan_file(UBUNTU_LIMITS, entries, "deploy-pod base_os")
    old, new = UBUNTU_LIMITS.splitlines(), text.splitlines()
    assert changed == ["* soft memlock unlimited", "* hard memlock unlimited", "root soft memlock unlimited",
                       "root hard memlock unlimited", "* soft nofile 14096", "root soft nofile 14096"]
    # separators and the trailing comment kept; the rest of the file untouched; no comment added
    assert new[16] == "*\t\tsoft\tnofile\t\t14096\t# raised for the build farm"
    assert new[17] == "*\t\thard\tmemlock\t\tunlimited"
    assert new[18] == "root            soft    memlock         unlimited"
    assert new[:16] == old[:16] and new[19:22] == old[19:22]
    # missing entries appended in the order given, after the end-of-file comment
    assert new[22:] == ["*\tsoft\tmemlock\tunlimited", "root\thard\tmemlock\tunlimited", "root\tsoft\tnofile\t14096"]
    # idempotent: planned again, nothing changes
    assert plan_file(text, entries, "deploy-pod base_os") == (text, [])


def test_duplicates_keep_the_last_position():
    text = "* soft nofile 1024\n# later\n*\tsoft\tnofile\t2048\n"
    new, changed = plan_file(text, check_entries([{**BASE[4], "value": "2048"}]))
    assert new == "# later\n*\tsoft\tnofile\t2048\n" and changed == ["* soft nofile 2048"]


# ---------------------------------------------------------------- the module

def args(tmp_path, entries, **extra):
    return {"path": str(tmp_path / "security" / "limits.d" / "90-deploy-pod.conf"), "entries": entries, **extra}


def test_module_creates_then_is_converged(tmp_path, capsys, monkeypatch):
    rc, res = run_module(limits_conf.main, {**args(tmp_path, BASE), "_ansible_diff": True}, capsys, monkeypatch)
    assert rc == 0, res
    assert res["changed"] is True and len(res["entries_changed"]) == 6
    conf = tmp_path / "security" / "limits.d" / "90-deploy-pod.conf"
    assert conf.read_text().startswith("# deploy-pod base_os\n*\tsoft\tmemlock\tunlimited\n")
    assert stat.S_IMODE(conf.stat().st_mode) == 0o644
    assert res["diff"]["before"] == "" and res["diff"]["after"] == conf.read_text()
    mtime = conf.stat().st_mtime_ns
    rc, res = run_module(limits_conf.main, args(tmp_path, BASE), capsys, monkeypatch)
    assert rc == 0 and res["changed"] is False and res["entries_changed"] == []
    assert conf.stat().st_mtime_ns == mtime


def test_module_check_mode_writes_nothing(tmp_path, capsys, monkeypatch):
    rc, res = run_module(limits_conf.main, {**args(tmp_path, BASE), "_ansible_check_mode": True,
                                            "_ansible_diff": True}, capsys, monkeypatch)
    assert rc == 0 and res["changed"] is True
    assert res["diff"]["after"].startswith("# deploy-pod base_os\n")
    assert not (tmp_path / "security").exists()


def test_module_edits_a_real_file(tmp_path, capsys, monkeypatch):
    conf = tmp_path / "limits.conf"
    conf.write_text(UBUNTU_LIMITS)
    rc, res = run_module(limits_conf.main, {"path": str(conf), "entries": BASE[4:5]}, capsys, monkeypatch)
    assert rc == 0 and res["entries_changed"] == ["* soft nofile 14096"]
    assert conf.read_text() == UBUNTU_LIMITS.replace("\t\t4096\t#", "\t\t14096\t#")


def test_module_bad_input_names_index_and_field(tmp_path, capsys, monkeypatch):
    bad = [BASE[0], {"domain": "hpc users", "limit_type": "soft", "limit_item": "nofile", "value": "1"}]
    rc, res = run_module(limits_conf.main, args(tmp_path, bad), capsys, monkeypatch)
    assert rc == 1 and res["msg"].startswith("entries[1].domain 'hpc users'")
    # the argument spec refuses an unknown item before the module reads anything
    bad = [{"domain": "*", "limit_type": "soft", "limit_item": "files", "value": "1"}]
    rc, res = run_module(limits_conf.main, args(tmp_path, bad), capsys, monkeypatch)
    assert rc == 1 and "limit_item" in res["msg"] and "files" in res["msg"]
    assert not (tmp_path / "security").exists()
