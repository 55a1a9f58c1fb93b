"""deploy_pod.pod.nm_checkpoint: busctl's text replies parsed, and the module's main() against a fake
busctl that keeps NetworkManager's checkpoints in a JSON file (what busctl prints was taken from
NetworkManager 1.42 in the twin)."""

from __future__ import annotations

import json
import sys

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.nmcheckpoint import (
    BusctlParseError,
    check_flags,
    create_argv,
    failed_devices,
    flags_value,
    is_checkpoint_path,
    parse_object_path,
    parse_object_paths,
    parse_rollback_result,
    tokens,
)
from ansible_collections.deploy_pod.pod.plugins.modules import nm_checkpoint

from tests.modkit import run_module, tool_installer

CP = "/org/freedesktop/NetworkManager/Checkpoint/"
DEV = "/org/freedesktop/NetworkManager/Devices/"


# ---------------------------------------------------------------- parsers

def test_object_path_reply():
    assert parse_object_path('o "/org/freedesktop/NetworkManager/Checkpoint/1"\n') == CP + "1"


def test_object_path_array_replies():
    assert parse_object_paths("ao 0\n") == []
    assert parse_object_paths(f'ao 2 "{CP}1" "{CP}7"\n') == [CP + "1", CP + "7"]


def test_rollback_result_reply():
    out = f'a{{su}} 2 "{DEV}2" 0 "{DEV}5" 3\n'
    result = parse_rollback_result(out)
    assert result == {DEV + "2": 0, DEV + "5": 3}
    assert failed_devices(result) == {DEV + "5": "failed"}
    assert failed_devices(parse_rollback_result("a{su} 0\n")) == {}


def test_quoted_strings_keep_spaces_and_escapes():
    assert tokens(r's "a b" "say \"hi\"" x') == ["s", "a b", 'say "hi"', "x"]


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_object_path, ""),
        (parse_object_path, 's "/org/x"'),  # wrong signature
        (parse_object_path, 'o "/a" "/b"'),
        (parse_object_path, 'o "relative"'),
        (parse_object_paths, "ao"),
        (parse_object_paths, 'ao 2 "/a"'),  # fewer elements than its length
        (parse_object_paths, 'ao x "/a"'),
        (parse_rollback_result, 'a{su} 1 "/dev"'),
        (parse_rollback_result, 'a{su} 1 "/dev" ok'),
        (parse_object_path, 'o "/unterminated'),
    ],
)
def test_unexpected_replies_are_refused(parser, text):
    with pytest.raises(BusctlParseError):
        parser(text)


def test_flags():
    assert flags_value([]) == 0
    assert flags_value(["destroy_all", "delete_new_connections", "disconnect_new_devices"]) == 7
    assert flags_value(["allow_overlapping"]) == 8
    with pytest.raises(ValueError):
        flags_value(["rollback"])
    assert check_flags(["disconnect_new_devices"], ["eth0"]) is not None
    assert check_flags(["disconnect_new_devices"], []) is None
    assert check_flags(["delete_new_connections"], ["eth0"]) is None


def test_create_argv_is_busctl_signature_aouu():
    argv = create_argv("busctl", [DEV + "2", DEV + "3"], 60, 2)
    assert argv[-7:] == ["CheckpointCreate", "aouu", "2", DEV + "2", DEV + "3", "60", "2"]
    assert create_argv("busctl", [], 0, 4)[-5:] == ["CheckpointCreate", "aouu", "0", "0", "4"]


def test_checkpoint_paths():
    assert is_checkpoint_path(CP + "12")
    assert not is_checkpoint_path(CP)
    assert not is_checkpoint_path("/org/freedesktop/NetworkManager/Devices/2")


# ---------------------------------------------------------------- module against a fake busctl

FAKE_BUSCTL = r'''
import json, os, sys
state_file = os.environ["FAKE_NM_STATE"]
st = json.load(open(state_file))
st["calls"].append(sys.argv[1:])
def save():
    json.dump(st, open(state_file, "w"))
def fail(msg):
    save(); print("Call failed: " + msg, file=sys.stderr); sys.exit(1)
a = sys.argv[1:]
CP = "/org/freedesktop/NetworkManager/Checkpoint/"
if a[0] == "get-property" and a[-1] == "Checkpoints":
    cps = sorted(st["checkpoints"])
    print(" ".join(["ao", str(len(cps))] + ['"%s"' % c for c in cps])); save(); sys.exit(0)
method = a[4]
if method == "GetDeviceByIpIface":
    if a[6] not in st["devices"]:
        fail("No device found for the requested iface.")
    print('o "%s"' % st["devices"][a[6]])
elif method == "CheckpointCreate":
    n = int(a[6]); devs = a[7:7 + n]; flags = int(a[8 + n])
    if flags & 4 and devs:
        fail("the DISCONNECT_NEW_DEVICES flag can only be used with an empty device list")
    for cp, held in st["checkpoints"].items():
        if set(held) & set(devs) and not flags & 8:
            fail("device '%s' is already included in checkpoint %s" % (devs[0], cp))
    st["next"] += 1
    path = CP + str(st["next"])
    st["checkpoints"][path] = devs or list(st["devices"].values())
    print('o "%s"' % path)
elif method in ("CheckpointDestroy", "CheckpointRollback"):
    path = a[6]
    if path not in st["checkpoints"]:
        fail("checkpoint %s does not exist" % path)
    devs = st["checkpoints"].pop(path)
    if method == "CheckpointRollback":
        print(" ".join(["a{su}", str(len(devs))] + ['"%s" %d' % (d, st["rollback_result"]) for d in devs]))
else:
    fail("unknown method " + method)
save()
'''


@pytest.fixture
def nm(tmp_path, monkeypatch):
    """A fake busctl on PATH; returns the state dict loader and writer."""
    state = tmp_path / "nm.json"
    state.write_text(json.dumps({"devices": {"eth0": DEV + "2", "eth1": DEV + "3"}, "checkpoints": {},
                                 "next": 0, "calls": [], "rollback_result": 0}))
    script = tmp_path / "fake_busctl.py"
    script.write_text(FAKE_BUSCTL)
    monkeypatch.setenv("FAKE_NM_STATE", str(state))
    tool_installer(tmp_path, monkeypatch, nm_checkpoint)(fakes={"busctl": f'exec "{sys.executable}" "{script}" "$@"'})

    class Nm:
        @staticmethod
        def read() -> dict:
            return json.loads(state.read_text())

        @staticmethod
        def update(**kw) -> None:
            st = json.loads(state.read_text())
            st.update(kw)
            state.write_text(json.dumps(st))

    return Nm


def test_create_resolves_interfaces_and_returns_the_checkpoint(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0"], "rollback_timeout": 60}, capsys, monkeypatch)
    assert rc == 0, out
    assert out["changed"] is True
    assert out["checkpoint"] == CP + "1"
    assert out["devices"] == {"eth0": DEV + "2"}
    create = nm.read()["calls"][-1]
    assert create[4:] == ["CheckpointCreate", "aouu", "1", DEV + "2", "60", "2"]  # delete_new_connections


def test_create_of_an_unknown_interface_fails_before_any_checkpoint(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0", "bond0"]}, capsys, monkeypatch)
    assert rc == 1
    assert "no device 'bond0'" in out["msg"] and "No device found" in out["msg"]
    assert nm.read()["checkpoints"] == {}


def test_create_over_a_pending_checkpoint_says_what_to_do(nm, capsys, monkeypatch):
    nm.update(checkpoints={CP + "4": [DEV + "2"]}, next=4)
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0"]}, capsys, monkeypatch)
    assert rc == 1
    assert "already included in checkpoint" in out["msg"] and "interrupted run" in out["msg"]


def test_disconnect_new_devices_needs_all_devices(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0"], "flags": ["disconnect_new_devices"]},
                         capsys, monkeypatch)
    assert rc == 1 and "empty device list" in out["msg"]
    assert nm.read()["calls"] == []
    rc, out = run_module(nm_checkpoint.main, {"flags": ["delete_new_connections", "disconnect_new_devices"]},
                         capsys, monkeypatch)
    assert rc == 0 and out["checkpoint"] == CP + "1"
    assert nm.read()["calls"][-1][4:] == ["CheckpointCreate", "aouu", "0", "120", "6"]


def test_check_mode_creates_nothing(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0"], "_ansible_check_mode": True}, capsys, monkeypatch)
    assert rc == 0 and out["changed"] is True and out["checkpoint"] is None
    assert nm.read()["calls"] == []


def test_commit_destroys_a_pending_checkpoint(nm, capsys, monkeypatch):
    nm.update(checkpoints={CP + "1": [DEV + "2"]}, next=1)
    rc, out = run_module(nm_checkpoint.main, {"state": "absent", "checkpoint": CP + "1"}, capsys, monkeypatch)
    assert rc == 0 and out["changed"] is True and out["found"] is True
    assert nm.read()["checkpoints"] == {}
    assert nm.read()["calls"][-1][4:] == ["CheckpointDestroy", "o", CP + "1"]


def test_commit_after_the_timeout_rolled_back_is_reported_as_not_found(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"state": "absent", "checkpoint": CP + "1"}, capsys, monkeypatch)
    assert rc == 0
    assert out["changed"] is False and out["found"] is False
    assert "already rolled it back" in out["msg"]
    assert all(call[0] == "get-property" for call in nm.read()["calls"])


def test_commit_in_check_mode_only_looks(nm, capsys, monkeypatch):
    nm.update(checkpoints={CP + "1": [DEV + "2"]}, next=1)
    rc, out = run_module(nm_checkpoint.main, {"state": "absent", "checkpoint": CP + "1", "_ansible_check_mode": True},
                         capsys, monkeypatch)
    assert rc == 0 and out["changed"] is True and out["found"] is True
    assert CP + "1" in nm.read()["checkpoints"]


def test_rollback_now(nm, capsys, monkeypatch):
    nm.update(checkpoints={CP + "1": [DEV + "2", DEV + "3"]}, next=1)
    rc, out = run_module(nm_checkpoint.main, {"state": "rolled_back", "checkpoint": CP + "1"}, capsys, monkeypatch)
    assert rc == 0 and out["changed"] is True and out["found"] is True
    assert out["rollback"] == {DEV + "2": "ok", DEV + "3": "ok"}
    assert out["failed_devices"] == {}
    assert nm.read()["checkpoints"] == {}


def test_rollback_that_failed_on_a_device_warns(nm, capsys, monkeypatch):
    nm.update(checkpoints={CP + "1": [DEV + "2"]}, next=1, rollback_result=2)
    rc, out = run_module(nm_checkpoint.main, {"state": "rolled_back", "checkpoint": CP + "1"}, capsys, monkeypatch)
    assert rc == 0
    assert out["failed_devices"] == {DEV + "2": "device-unmanaged"}
    assert any("could not roll back" in str(w) for w in out.get("warnings", []))


def test_rollback_of_a_checkpoint_that_already_rolled_back(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"state": "rolled_back", "checkpoint": CP + "3"}, capsys, monkeypatch)
    assert rc == 0 and out["changed"] is False and out["found"] is False


def test_a_path_that_is_no_checkpoint_is_refused(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"state": "absent", "checkpoint": DEV + "2"}, capsys, monkeypatch)
    assert rc == 1 and "Checkpoint/1" in out["msg"]


def test_absent_needs_the_checkpoint(nm, capsys, monkeypatch):
    rc, out = run_module(nm_checkpoint.main, {"state": "absent"}, capsys, monkeypatch)
    assert rc == 1 and "checkpoint" in out["msg"]


def test_without_busctl(tmp_path, capsys, monkeypatch):
    tool_installer(tmp_path, monkeypatch, nm_checkpoint)()
    rc, out = run_module(nm_checkpoint.main, {"devices": ["eth0"]}, capsys, monkeypatch)
    assert rc == 1 and "busctl" in out["msg"]
