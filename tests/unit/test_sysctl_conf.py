"""deploy_pod.pod.sysctl_conf: sysctl.d(5) parsing, key spellings and the planned file
(plugins/module_utils/sysctl_conf.py), and the module's main() against a file and a fake
/proc/sys in tmp_path."""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.sysctl_conf import (
    SysctlInputError,
    canonical_key,
    check_values,
    file_values,
    key_parts,
    normalize_value,
    parse_sysctl_conf,
    plan_file,
)
from ansible_collections.deploy_pod.pod.plugins.modules import sysctl_conf

from tests.modkit import run_module

HEADER = "Managed by Ansible (deploy_pod.pod.sysctl_conf)"

# Debian 12's /etc/sysctl.conf (what /etc/sysctl.d/99-sysctl.conf links to), trimmed, with a
# local edit at the end as an administrator leaves one
DEBIAN_99 = """\
#
# /etc/sysctl.conf - Configuration file for setting system variables
# See /etc/sysctl.d/ for additional system variables.
# See sysctl.conf (5) for information.
#

#kernel.domainname = example.com

# Uncomment the following to stop low-level messages on console
#kernel.printk = 3 4 1 3

###################################################################
# Functions previously found in netbase
#

# Uncomment the next two lines to enable Spoof protection (reverse-path filter)
# Turn on Source Address Verification in all interfaces to
# prevent some spoofing attacks
#net.ipv4.conf.default.rp_filter=1
#net.ipv4.conf.all.rp_filter=1

# Uncomment the next line to enable packet forwarding for IPv4
#net.ipv4.ip_forward=1

; local
net.core.rmem_max=4194304
net.ipv4.tcp_rmem = 4096\t131072\t6291456
vm.swappiness = 10
"""


# ---------------------------------------------------------------- pure functions

def test_comments_blanks_and_assignments():
    lines = parse_sysctl_conf(DEBIAN_99)
    assert len(lines) == len(DEBIAN_99.splitlines())
    assert file_values(DEBIAN_99) == {"net.core.rmem_max": "4194304", "net.ipv4.tcp_rmem": "4096 131072 6291456",
                                      "vm.swappiness": "10"}
    assert parse_sysctl_conf(None) == [] and file_values("") == {}


def test_dash_flag_last_line_wins_and_lines_without_equals():
    text = "  -net.ipv4.conf.ib0.rp_filter = 2  \nkernel.pid_max = 1\nnot an assignment\nkernel.pid_max=4194304\n"
    lines = parse_sysctl_conf(text)
    assert lines[0]["key"] == "net.ipv4.conf.ib0.rp_filter" and lines[0]["ignore"] is True
    assert lines[2]["key"] is None
    assert file_values(text)["kernel.pid_max"] == "4194304"


@pytest.mark.parametrize("key, parts, canon", [
    ("kernel.domainname", ["kernel", "domainname"], "kernel.domainname"),
    ("kernel/domainname", ["kernel", "domainname"], "kernel.domainname"),
    # sysctl.d(5): the first separator decides; the other one stands for a dot in the name
    ("net.ipv4.conf.enp3s0/200.forwarding", ["net", "ipv4", "conf", "enp3s0.200", "forwarding"],
     "net.ipv4.conf.enp3s0/200.forwarding"),
    ("net/ipv4/conf/enp3s0.200/forwarding", ["net", "ipv4", "conf", "enp3s0.200", "forwarding"],
     "net.ipv4.conf.enp3s0/200.forwarding"),
    ("-net.core.rmem_max", ["net", "core", "rmem_max"], "net.core.rmem_max"),
])
def test_key_spellings(key, parts, canon):
    assert key_parts(key) == parts
    assert canonical_key(key) == canon


def test_values_compare_with_whitespace_normalized():
    assert normalize_value("4096\t131072\t6291456\n") == "4096 131072 6291456"
    assert normalize_value("  4096   131072 \t 6291456 ") == "4096 131072 6291456"
    assert check_values({"a.b": 1, "c.d": "4096\t87380  6291456", "e.f": None}) == {
        "a.b": "1", "c.d": "4096 87380 6291456", "e.f": None}


@pytest.mark.parametrize("values, message", [
    ({"": "1"}, "is empty"),
    ({"-": "1"}, "is empty"),
    ({"net.core rmem_max": "1"}, "whitespace"),
    ({"net.core.rmem_max=1": "1"}, "'='"),
    ({"--net.core.rmem_max": "1"}, "second '-'"),
    ({"net.ipv4.conf.*.rp_filter": "1"}, "glob"),
    ({"net/../../etc/passwd": "1"}, "'..' component"),
    ({"net..core": "1"}, "empty"),
    ({"/net/core/rmem_max": "1"}, "empty"),
    ({"net.core.rmem_max": "1", "net/core/rmem_max": "2"}, "same parameter net.core.rmem_max"),
    ({"net.core.rmem_max": "1", "-net.core.rmem_max": "2"}, "same parameter"),
    ({"vm.overcommit_memory": True}, "is a bool"),
    ({"vm.overcommit_memory": ["1"]}, "is a list"),
    ({"vm.overcommit_memory": "  "}, "is empty (null removes"),
    ({"kernel.core_pattern": "a\nb"}, "line break"),
])
def test_bad_values_are_named(values, message):
    with pytest.raises(SysctlInputError, match=None) as exc:
        check_values(values)
    assert message in str(exc.value)


def test_new_file_gets_the_header_and_keys_in_order():
    text, changed, flags = plan_file(None, {"b.x": "1", "a.y": "2 3", "-c.z": "4", "d.gone": None}, HEADER)
    assert text == f"# {HEADER}\nb.x = 1\na.y = 2 3\n-c.z = 4\n"
    assert changed == ["b.x", "a.y", "-c.z"]
    assert flags == {"b.x": False, "a.y": False, "-c.z": True}
    assert plan_file(None, {"d.gone": None}, HEADER) == (None, [], {})


def test_debian_file_rewritten_in_place_and_appended():
    values = check_values({"net.core.rmem_max": "8388608", "net.ipv4.tcp_rmem": "4096 131072 6291456",
                           "net/core/wmem_max": "8388608", "vm.swappiness": None})
    text, changed, _ = plan_file(DEBIAN_99, values, HEADER)
    old, new = DEBIAN_99.splitlines(), text.splitlines()
    assert changed == ["net.core.rmem_max", "net/core/wmem_max", "vm.swappiness"]
    assert new[:-3] == old[:-3]  # every comment kept, in place; no header on an existing file
    # tcp_rmem is the same value (tabs vs spaces): its line is left as it was
    assert new[-3:] == ["net.core.rmem_max = 8388608", "net.ipv4.tcp_rmem = 4096\t131072\t6291456",
                        "net/core/wmem_max = 8388608"]
    # idempotent: the result planned again changes nothing and is returned as is
    assert plan_file(text, values, HEADER) == (text, [], {"net.core.rmem_max": False, "net.ipv4.tcp_rmem": False,
                                                          "net/core/wmem_max": False})


def test_duplicates_keep_the_last_position_and_the_dash_is_kept():
    text = "kernel.pid_max = 1\n# note\n-kernel.pid_max = 2\nvm.swappiness = 60\n"
    new, changed, flags = plan_file(text, {"kernel/pid_max": "4194304"})
    assert new == "# note\n-kernel/pid_max = 4194304\nvm.swappiness = 60\n"
    assert changed == ["kernel/pid_max"] and flags == {"kernel/pid_max": True}
    # same value but duplicated: the earlier line still goes (one line per key)
    new, changed, _ = plan_file("vm.swappiness = 1\nvm.swappiness = 10\n", {"vm.swappiness": "10"})
    assert new == "vm.swappiness = 10\n" and changed == ["vm.swappiness"]
    # a '-' on the key given is added to a line that lacks it
    new, changed, _ = plan_file("vm.swappiness = 10\n", {"-vm.swappiness": "10"})
    assert new == "-vm.swappiness = 10\n" and changed == ["-vm.swappiness"]


def test_null_removes_every_line_of_the_key():
    text = "vm.swappiness = 1\nkernel.pid_max = 9\nvm/swappiness = 2\n"
    new, changed, _ = plan_file(text, {"vm.swappiness": None})
    assert new == "kernel.pid_max = 9\n" and changed == ["vm.swappiness"]
    assert plan_file(new, {"vm.swappiness": None}) == (new, [], {})


def test_file_without_final_newline_untouched_when_converged():
    assert plan_file("vm.swappiness = 10", {"vm.swappiness": "10"})[0] == "vm.swappiness = 10"


# ---------------------------------------------------------------- the module

@pytest.fixture
def proc(tmp_path):
    """A fake /proc/sys with what a 6.1 kernel prints (tcp_rmem with tabs, a VLAN interface)."""
    root = tmp_path / "proc_sys"
    files = {"net/core/rmem_max": "212992\n", "net/core/wmem_max": "212992\n",
             "net/ipv4/tcp_rmem": "4096\t131072\t6291456\n", "vm/swappiness": "60\n",
             "net/ipv4/conf/ib0.100/rp_filter": "1\n"}
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return root


def args(tmp_path, proc, values, **extra):
    return {"path": str(tmp_path / "etc" / "sysctl.d" / "90-deploy-pod.conf"), "values": values,
            "proc_dir": str(proc), **extra}


WANT = {"net.core.rmem_max": "8388608", "net.ipv4.tcp_rmem": "4096 131072 6291456",
        "net.ipv4.conf.ib0/100.rp_filter": 2}


def test_module_writes_sets_and_then_is_converged(tmp_path, proc, capsys, monkeypatch):
    rc, res = run_module(sysctl_conf.main, {**args(tmp_path, proc, WANT), "_ansible_diff": True}, capsys, monkeypatch)
    assert rc == 0, res
    assert res["changed"] is True and res["file_changed"] is True
    assert res["keys_changed_in_file"] == list(WANT)
    assert res["keys_set_running"] == ["net.core.rmem_max", "net.ipv4.conf.ib0/100.rp_filter"]
    conf = tmp_path / "etc" / "sysctl.d" / "90-deploy-pod.conf"
    assert conf.read_text() == (f"# {HEADER}\nnet.core.rmem_max = 8388608\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n"
                                "net.ipv4.conf.ib0/100.rp_filter = 2\n")
    assert stat.S_IMODE(conf.stat().st_mode) == 0o644
    assert (proc / "net/core/rmem_max").read_text() == "8388608"
    assert (proc / "net/ipv4/conf/ib0.100/rp_filter").read_text() == "2"
    assert (proc / "net/ipv4/tcp_rmem").read_text() == "4096\t131072\t6291456\n"  # equal: not written
    file_diff, running_diff = res["diff"]
    assert file_diff["before"] == "" and file_diff["before_header"].endswith("(absent)")
    assert running_diff["before"] == ("net.core.rmem_max = 212992\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n"
                                      "net.ipv4.conf.ib0/100.rp_filter = 1\n")
    assert running_diff["after"].splitlines()[0] == "net.core.rmem_max = 8388608"

    mtime = conf.stat().st_mtime_ns
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, WANT), capsys, monkeypatch)
    assert rc == 0 and res["changed"] is False
    assert res["keys_changed_in_file"] == [] and res["keys_set_running"] == [] and res["file_changed"] is False
    assert conf.stat().st_mtime_ns == mtime


def test_module_check_mode_writes_nothing(tmp_path, proc, capsys, monkeypatch):
    rc, res = run_module(sysctl_conf.main, {**args(tmp_path, proc, WANT), "_ansible_check_mode": True,
                                            "_ansible_diff": True}, capsys, monkeypatch)
    assert rc == 0 and res["changed"] is True
    assert res["keys_set_running"] == ["net.core.rmem_max", "net.ipv4.conf.ib0/100.rp_filter"]
    assert res["diff"][0]["after"].startswith(f"# {HEADER}\n")
    assert not (tmp_path / "etc").exists()
    assert (proc / "net/core/rmem_max").read_text() == "212992\n"


def test_module_null_removes_from_the_file_and_leaves_the_kernel(tmp_path, proc, capsys, monkeypatch):
    conf = tmp_path / "etc" / "sysctl.d" / "90-deploy-pod.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("# mine\nvm.swappiness = 10\nnet.core.wmem_max = 212992\n")
    conf.chmod(0o600)
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"vm.swappiness": None, "net.core.wmem_max": "212992"}),
                         capsys, monkeypatch)
    assert rc == 0 and res["changed"] is True
    assert res["keys_changed_in_file"] == ["vm.swappiness"] and res["keys_set_running"] == []
    assert conf.read_text() == "# mine\nnet.core.wmem_max = 212992\n"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600  # an existing file keeps its mode
    assert (proc / "vm/swappiness").read_text() == "60\n"


def test_module_follows_a_symlink_debian_style(tmp_path, proc, capsys, monkeypatch):
    etc = tmp_path / "etc"
    (etc / "sysctl.d").mkdir(parents=True)
    (etc / "sysctl.conf").write_text(DEBIAN_99)
    link = etc / "sysctl.d" / "99-sysctl.conf"
    link.symlink_to("../sysctl.conf")
    rc, res = run_module(sysctl_conf.main, {"path": str(link), "values": {"vm.swappiness": "10"}, "apply": False},
                         capsys, monkeypatch)
    assert rc == 0 and res["changed"] is False
    rc, res = run_module(sysctl_conf.main, {"path": str(link), "values": {"vm.swappiness": "1"}, "apply": False},
                         capsys, monkeypatch)
    assert rc == 0 and res["changed"] is True
    assert link.is_symlink() and (etc / "sysctl.conf").read_text().endswith("\nvm.swappiness = 1\n")


def test_module_unknown_key_fails_unless_dashed(tmp_path, proc, capsys, monkeypatch):
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"net.ipv4.conf.ib1.rp_filter": "2"}),
                         capsys, monkeypatch)
    assert rc == 1
    assert res["msg"].startswith("net.ipv4.conf.ib1.rp_filter: this kernel has no such parameter")
    assert not (tmp_path / "etc").exists()
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"-net.ipv4.conf.ib1.rp_filter": "2"}),
                         capsys, monkeypatch)
    assert rc == 0 and res["keys_changed_in_file"] == ["-net.ipv4.conf.ib1.rp_filter"]
    assert res["keys_set_running"] == []
    # apply=false reads nothing under /proc/sys
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"net.ipv4.conf.ib1.rp_filter": "2"}, apply=False),
                         capsys, monkeypatch)
    assert rc == 0 and res["keys_set_running"] == []


def test_module_value_the_kernel_changes_fails_and_file_untouched(tmp_path, proc, capsys, monkeypatch):
    real_open = open

    def clamping_open(path, mode="r", *a, **kw):  # a kernel that stores its maximum instead
        fh = real_open(path, mode, *a, **kw)
        if "w" in mode and str(path).endswith("swappiness"):
            fh.write("100")
            fh.close()
            return real_open(os.devnull, "w")
        return fh

    monkeypatch.setattr("builtins.open", clamping_open)
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"vm.swappiness": "250"}), capsys, monkeypatch)
    monkeypatch.undo()
    assert rc == 1
    assert res["msg"] == f"vm.swappiness: wrote '250' to {proc}/vm/swappiness but read back '100'"
    assert res["keys_set_running"] == ["vm.swappiness"] and res["file_changed"] is False
    assert not (tmp_path / "etc").exists()


def test_module_bad_input_fails_with_the_key(tmp_path, proc, capsys, monkeypatch):
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"vm.swappiness": True}), capsys, monkeypatch)
    assert rc == 1 and res["msg"].startswith("values: value of 'vm.swappiness' is a bool")
    rc, res = run_module(sysctl_conf.main, args(tmp_path, proc, {"net/../../x": "1"}), capsys, monkeypatch)
    assert rc == 1 and "'..' component" in res["msg"]
