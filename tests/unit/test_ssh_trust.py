"""deploy_pod.pod.ssh_trust: authorized_keys lines, the known-hosts block (byte for byte what
ansible.builtin.blockinfile writes, checked against the real module) and the diffs
(plugins/module_utils/ssh_trust.py), and the module's main() against a home and files in tmp_path,
with the real ssh-keygen."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.modules import blockinfile
from ansible_collections.deploy_pod.pod.plugins.module_utils.ssh_trust import (
    SshTrustInputError,
    append_keys,
    check_keys,
    key_paths,
    keygen_argv,
    marker_lines,
    missing_keys,
    parse_key_line,
    pubkey_argv,
    public_key_of,
    replace_block,
    text_diff,
)
from ansible_collections.deploy_pod.pod.plugins.modules import ssh_trust

from tests.modkit import run_module

# real keys (their blobs decode to their own type), made once with ssh-keygen for these tests
ED_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2LBmluu2NgoCM6prw7zIn7dyrMIh/gWa1ewAAeFHzb"
ED_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmguWbjCxqNBYUfahCy5fM2md0cnMZvKUqVbeIpkMAS"
ED_C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJZmb3VRjXRAnliYP8K/ob0NU0bf+ZNbwL4aV21d8Yjf"
MARKER = "# {mark} deploy-pod Spectrum Scale nodes"
BEGIN, END = "# BEGIN deploy-pod Spectrum Scale nodes\n", "# END deploy-pod Spectrum Scale nodes\n"
SSH_KEYGEN = shutil.which("ssh-keygen")
needs_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen (openssh-client) not installed")


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- authorized_keys lines

@pytest.mark.parametrize("line, want", [
    (ED_A, ("", "ssh-ed25519", ED_A.split()[1], "")),
    (f"  {ED_A}   root@dgx01 (Spectrum Scale admin)  \n", ("", "ssh-ed25519", ED_A.split()[1],
                                                           "root@dgx01 (Spectrum Scale admin)")),
    # options with quoted blanks and commas, an escaped quote inside the quotes
    (f'from="10.0.0.1,10.0.0.2",command="echo \\"a b\\", c" {ED_A} c',
     ('from="10.0.0.1,10.0.0.2",command="echo \\"a b\\", c"', "ssh-ed25519", ED_A.split()[1], "c")),
    (f"restrict,pty\t{ED_B}", ("restrict,pty", "ssh-ed25519", ED_B.split()[1], "")),
    (f"no-pty {ED_B} x", ("no-pty", "ssh-ed25519", ED_B.split()[1], "x")),
    ("ssh-rsa-cert-v01@openssh.com AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20= ca",
     ("", "ssh-rsa-cert-v01@openssh.com", "AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20=", "ca")),
])
def test_key_lines_parse(line, want):
    key = parse_key_line(line)
    assert (key["options"], key["type"], key["blob"], key["comment"]) == want


@pytest.mark.parametrize("line", ["", "   \n", f"# {ED_A}", f"   #{ED_A}", "not a key", "ssh-ed25519",
                                  "ssh-ed25519 not-base64!", f'from="10.0.0.1 {ED_A}', "restrict"])
def test_non_key_lines_are_none(line):
    assert parse_key_line(line) is None


def test_public_key_without_its_comment():
    assert public_key_of(f"{ED_A} root@dgx01 (Spectrum Scale admin)\n") == ED_A
    assert public_key_of(f"{ED_A} \n") == ED_A  # ssh-keygen -C '' leaves a blank
    assert public_key_of("\n# x\n" + ED_B) == ED_B
    assert public_key_of("garbage\n") is None and public_key_of("") is None


def test_wanted_keys_checked_deduplicated_and_split():
    wanted = check_keys([f"{ED_A} root@dgx01", f"{ED_B} root@dgx02\n\n# dgx03\n{ED_C} root@dgx03\n",
                         f"{ED_A} another comment", f'from="10.0.0.0/8" {ED_B}'])
    assert wanted == [(f"{ED_A} root@dgx01", tuple(ED_A.split())), (f"{ED_B} root@dgx02", tuple(ED_B.split())),
                      (f"{ED_C} root@dgx03", tuple(ED_C.split()))]
    assert check_keys(None) == check_keys([]) == []


@pytest.mark.parametrize("items, message", [
    ([ED_A, "ssh-ed25519"], "authorized_keys[1] 'ssh-ed25519' is not a public key line"),
    ([ED_A[:-8]], "authorized_keys[0]: the ssh-ed25519 key's base64 does not decode to a ssh-ed25519 key"),
    (["ssh-rsa " + ED_A.split()[1]], "authorized_keys[0]: the ssh-rsa key's base64 does not decode to a ssh-rsa "
                                     "key (it names 'ssh-ed25519'"),
    ([ED_A, "  \n# only a comment\n"], "authorized_keys[1] has no key"),
    ([ED_A, 3], "authorized_keys[1] is a int, not a string"),
])
def test_bad_wanted_keys_are_named(items, message):
    with pytest.raises(SshTrustInputError) as exc:
        check_keys(items)
    assert message in str(exc.value)


def test_missing_keys_compare_type_and_blob_only():
    existing = (f"# managed by hand\n\n{ED_A} root@old-name\n"
                f'from="10.0.0.1 ",no-pty {ED_B} with options\n'
                f"# {ED_C} commented out is not there\n")
    wanted = check_keys([f"{ED_A} root@dgx01", f"{ED_B} root@dgx02", f"{ED_C} root@dgx03"])
    assert missing_keys(existing, wanted) == [f"{ED_C} root@dgx03"]
    assert missing_keys(None, wanted) == [line for line, _ in wanted]
    assert missing_keys(f"{ED_A}\n{ED_B}\n{ED_C}", wanted) == []


def test_append_keeps_the_file_and_adds_a_missing_newline():
    assert append_keys(None, [ED_A]) == f"{ED_A}\n"
    assert append_keys("", [ED_A, ED_B]) == f"{ED_A}\n{ED_B}\n"
    assert append_keys(f"# x\n{ED_C}", [ED_A]) == f"# x\n{ED_C}\n{ED_A}\n"
    assert append_keys(f"{ED_C}\n", []) == f"{ED_C}\n"


def test_key_files_and_commands():
    assert key_paths("/root", "ed25519") == ("/root/.ssh/id_ed25519", "/root/.ssh/id_ed25519.pub")
    assert key_paths("/home/a", "ecdsa")[0] == "/home/a/.ssh/id_ecdsa"
    assert keygen_argv("/usr/bin/ssh-keygen", "rsa", "root@x (y)", "/root/.ssh/id_rsa") == [
        "/usr/bin/ssh-keygen", "-q", "-t", "rsa", "-N", "", "-C", "root@x (y)", "-f", "/root/.ssh/id_rsa"]
    assert pubkey_argv("ssh-keygen", "/k") == ["ssh-keygen", "-y", "-P", "", "-f", "/k"]


# ---------------------------------------------------------------- the known-hosts block

def test_marker_lines():
    assert marker_lines(MARKER) == (BEGIN.encode(), END.encode())
    with pytest.raises(SshTrustInputError, match="has no {mark}"):
        marker_lines("# deploy-pod")
    with pytest.raises(SshTrustInputError, match="more than one line"):
        marker_lines("# {mark}\nx")


def real_blockinfile(tmp_path, capsys, monkeypatch, original: bytes | None, block: str) -> bytes | None:
    """What ansible.builtin.blockinfile (as scale_cluster's ssh.yml called it) leaves in the file."""
    path = tmp_path / "bi" / "known_hosts"
    path.parent.mkdir(exist_ok=True)
    if path.exists():
        path.unlink()
    if original is not None:
        path.write_bytes(original)
    (tmp_path / "atmp").mkdir(exist_ok=True)
    rc, res = run_module(blockinfile.main, {"path": str(path), "create": True, "mode": "0644", "marker": MARKER,
                                            "block": block, "_ansible_tmpdir": str(tmp_path / "atmp")},
                         capsys, monkeypatch)
    assert rc == 0, res
    return path.read_bytes() if path.exists() else None


HOSTS = "dgx01,dgx01-ib ssh-ed25519 AAAA1\ndgx02,dgx02-ib ssh-ed25519 AAAA2\n"

BLOCK_CASES = [
    # (original file, block)
    (None, HOSTS),  # created
    (None, HOSTS.rstrip("\n")),  # a newline added to the block
    (b"other ssh-rsa AAAAx", HOSTS),  # appended; the last line gets its newline
    (b"a ssh-rsa X\n" + (BEGIN + "old ssh-rsa Y\n" + END).encode() + b"b ssh-rsa Z\n", HOSTS + "\n"),  # in place
    (b"a ssh-rsa X\n" + (BEGIN + "old ssh-rsa Y\n" + END).encode() + b"b ssh-rsa Z\n", ""),  # removed
    ((END + "x\n" + BEGIN).encode() + b"tail", HOSTS),  # END before BEGIN: that span goes
    (b"a\n" + BEGIN.encode() + b"no end\n", HOSTS),  # BEGIN alone is no block
    (b"a\r\n" + BEGIN.rstrip("\n").encode(), "x\r\ny\n"),  # a marker without its newline is no marker
    (b"first\n", ""),  # nothing to remove
    (b"", HOSTS),
]


@pytest.mark.parametrize("original, block", BLOCK_CASES)
def test_block_as_blockinfile_writes_it(tmp_path, capsys, monkeypatch, original, block):
    want = real_blockinfile(tmp_path, capsys, monkeypatch, original, block)
    assert replace_block(original, block, MARKER) == want
    # and blockinfile's own output is a fixed point of both
    assert replace_block(want, block, MARKER) == want == real_blockinfile(tmp_path, capsys, monkeypatch, want, block)


def test_empty_block_and_missing_file_stays_missing():
    # where blockinfile with create=true makes an empty file, nothing is made
    assert replace_block(None, "", MARKER) is None


def test_text_diff_headers():
    assert text_diff("/f", None, b"x\n") == {"before_header": "/f (absent)", "after_header": "/f",
                                             "before": "", "after": "x\n"}
    assert text_diff("/f", "a", b"\xff")["after"] == "\ufffd"


# ---------------------------------------------------------------- the module

@pytest.fixture
def home(tmp_path, monkeypatch):
    """The module's user (whoever runs the tests) with a home in tmp_path."""
    path = tmp_path / "home"
    path.mkdir()
    me = pwd.getpwuid(os.geteuid())
    entry = pwd.struct_passwd((me.pw_name, "x", me.pw_uid, me.pw_gid, "", str(path), "/bin/sh"))
    monkeypatch.setattr(ssh_trust, "user_entry", lambda name: entry if name == me.pw_name else pwd.getpwnam(name))
    return path


def call(capsys, monkeypatch, **args):
    args.setdefault("user", pwd.getpwuid(os.geteuid()).pw_name)
    return run_module(ssh_trust.main, args, capsys, monkeypatch)


def no_commands(monkeypatch):
    """A converged run reads files only: running anything fails the test."""
    def boom(self, *args, **kwargs):
        raise AssertionError(f"ran {args}")
    monkeypatch.setattr(AnsibleModule, "run_command", boom)


def snapshot(root) -> dict:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_ino) for p in sorted(root.rglob("*"))}


@needs_keygen
def test_everything_from_nothing_then_converged(tmp_path, home, capsys, monkeypatch):
    kh = tmp_path / "etc" / "ssh" / "ssh_known_hosts"
    args = {"key_comment": "root@dgx01 (Spectrum Scale admin)", "authorized_keys": [f"{ED_A} root@dgx02"],
            "known_hosts_block": HOSTS, "known_hosts_path": str(kh)}
    rc, res = call(capsys, monkeypatch, **args, _ansible_diff=True)
    assert rc == 0, res
    ssh = home / ".ssh"
    pub = (ssh / "id_ed25519.pub").read_text()
    assert res["changed"] is True and res["key_created"] is True
    assert res["public_key_path"] == str(ssh / "id_ed25519.pub")
    assert res["public_key"] == " ".join(pub.split()[:2]) and pub.startswith("ssh-ed25519 ")
    assert pub.rstrip("\n").endswith(" root@dgx01 (Spectrum Scale admin)")
    assert res["authorized_keys_added"] == [f"{ED_A} root@dgx02"] and res["known_hosts_changed"] is True
    assert mode_of(ssh) == 0o700 and mode_of(ssh / "id_ed25519") == 0o600
    assert (ssh / "authorized_keys").read_text() == f"{ED_A} root@dgx02\n" and mode_of(ssh / "authorized_keys") == 0o600
    assert kh.read_text() == BEGIN + HOSTS + END and mode_of(kh) == 0o644
    assert [d["after_header"] for d in res["diff"]] == [str(ssh), str(ssh / "id_ed25519.pub"),
                                                         str(ssh / "authorized_keys"), str(kh)]
    assert res["diff"][0]["after"] == {"path": str(ssh), "state": "directory"}
    assert res["diff"][1]["before_header"] == f"{ssh / 'id_ed25519.pub'} (absent)" and res["diff"][1]["after"] == pub
    assert res["diff"][3] == {"before_header": f"{kh} (absent)", "after_header": str(kh), "before": "",
                              "after": BEGIN + HOSTS + END}
    assert not [n for d in (ssh, kh.parent) for n in os.listdir(d) if n.startswith(".ssh_trust.")]

    # converged: nothing run, nothing written
    before = snapshot(tmp_path)
    no_commands(monkeypatch)
    rc, again = call(capsys, monkeypatch, **args, _ansible_diff=True)
    assert rc == 0 and again["changed"] is False, again
    assert again["public_key"] == res["public_key"] and again["key_created"] is False
    assert again["authorized_keys_added"] == [] and again["known_hosts_changed"] is False and again["diff"] == []
    assert snapshot(tmp_path) == before


def test_check_mode_writes_nothing(tmp_path, home, capsys, monkeypatch):
    kh = tmp_path / "known_hosts"
    no_commands(monkeypatch)  # a missing pair is not made, so ssh-keygen does not run either
    rc, res = call(capsys, monkeypatch, authorized_keys=[ED_A], known_hosts_block=HOSTS,
                   known_hosts_path=str(kh), _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and res["changed"] is True, res
    assert res["public_key"] is None and res["key_created"] is True
    assert res["authorized_keys_added"] == [ED_A] and res["known_hosts_changed"] is True
    assert res["diff"][-1]["after"] == BEGIN + HOSTS + END
    assert os.listdir(home) == [] and not kh.exists()

    # existing files that would change: reported, left alone
    (home / ".ssh").mkdir(mode=0o700)
    (home / ".ssh" / "authorized_keys").write_text(f"{ED_B}\n")
    kh.write_text("x\n")
    before = snapshot(tmp_path)
    rc, res = call(capsys, monkeypatch, key=False, authorized_keys=[ED_A], known_hosts_block=HOSTS,
                   known_hosts_path=str(kh), _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0 and res["changed"] is True and res["public_key"] is None and res["public_key_path"] is None
    assert [d["after"] for d in res["diff"]] == [f"{ED_B}\n{ED_A}\n", "x\n" + BEGIN + HOSTS + END]
    assert snapshot(tmp_path) == before


@needs_keygen
def test_an_existing_pair_is_kept(tmp_path, home, capsys, monkeypatch):
    (home / ".ssh").mkdir(mode=0o755)  # an existing ~/.ssh is left as it is
    key = home / ".ssh" / "id_ed25519"
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "made by hand", "-f", str(key)], check=True)
    pub = (home / ".ssh" / "id_ed25519.pub").read_text()
    before = snapshot(home)
    no_commands(monkeypatch)
    rc, res = call(capsys, monkeypatch, key_comment="another comment")
    assert rc == 0 and res["changed"] is False and res["key_created"] is False
    assert res["public_key"] == " ".join(pub.split()[:2])
    assert snapshot(home) == before and mode_of(home / ".ssh") == 0o755


@needs_keygen
def test_a_missing_pub_is_made_again_from_the_private_key(tmp_path, home, capsys, monkeypatch):
    (home / ".ssh").mkdir(mode=0o700)
    key = home / ".ssh" / "id_rsa"
    subprocess.run([SSH_KEYGEN, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "c", "-f", str(key)], check=True)
    pub = (home / ".ssh" / "id_rsa.pub").read_text()
    private = key.read_bytes()
    (home / ".ssh" / "id_rsa.pub").unlink()

    # check mode reads the key (ssh-keygen -y writes nothing) and writes no .pub
    rc, res = call(capsys, monkeypatch, key_type="rsa", _ansible_check_mode=True)
    assert rc == 0 and res["changed"] is True and res["key_created"] is False
    assert res["public_key"] == " ".join(pub.split()[:2])
    assert not (home / ".ssh" / "id_rsa.pub").exists()

    rc, res = call(capsys, monkeypatch, key_type="rsa", _ansible_diff=True)
    assert rc == 0 and res["changed"] is True and res["key_created"] is False
    assert res["public_key"] == " ".join(pub.split()[:2]) and key.read_bytes() == private
    assert (home / ".ssh" / "id_rsa.pub").read_text().split()[:2] == pub.split()[:2]
    assert mode_of(home / ".ssh" / "id_rsa.pub") == 0o644
    assert res["diff"] == [{"before_header": f"{home}/.ssh/id_rsa.pub (absent)",
                            "after_header": f"{home}/.ssh/id_rsa.pub", "before": "",
                            "after": (home / ".ssh" / "id_rsa.pub").read_text()}]
    rc, res = call(capsys, monkeypatch, key_type="rsa")
    assert rc == 0 and res["changed"] is False


@needs_keygen
def test_a_stray_pub_without_its_private_key_is_replaced(tmp_path, home, capsys, monkeypatch):
    (home / ".ssh").mkdir(mode=0o700)
    (home / ".ssh" / "id_ecdsa.pub").write_text(f"{ED_A} stale\n")
    rc, res = call(capsys, monkeypatch, key_type="ecdsa")
    assert rc == 0 and res["key_created"] is True and res["public_key"].startswith("ecdsa-sha2-nistp256 ")
    assert (home / ".ssh" / "id_ecdsa").exists()


def test_authorized_keys_appended_keeping_the_file(tmp_path, home, capsys, monkeypatch):
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700)
    keys = ssh / "authorized_keys"
    keys.write_text(f'# by hand\nfrom="10.0.0.1 ",no-pty {ED_A} old comment')  # no newline at the end
    keys.chmod(0o640)
    rc, res = call(capsys, monkeypatch, key=False, _ansible_diff=True,
                   authorized_keys=[f"{ED_A} root@dgx01", f"{ED_B} root@dgx02\n{ED_C} root@dgx03", ED_B])
    assert rc == 0 and res["changed"] is True, res
    # ED_A is there under other options and another comment: not added again
    assert res["authorized_keys_added"] == [f"{ED_B} root@dgx02", f"{ED_C} root@dgx03"]
    want = f'# by hand\nfrom="10.0.0.1 ",no-pty {ED_A} old comment\n{ED_B} root@dgx02\n{ED_C} root@dgx03\n'
    assert keys.read_text() == want and mode_of(keys) == 0o640  # the file's own mode stays
    assert res["diff"] == [{"before_header": str(keys), "after_header": str(keys),
                            "before": f'# by hand\nfrom="10.0.0.1 ",no-pty {ED_A} old comment', "after": want}]
    rc, res = call(capsys, monkeypatch, key=False, authorized_keys=[ED_C, ED_A])
    assert rc == 0 and res["changed"] is False and keys.read_text() == want


@pytest.mark.skipif(os.geteuid() != 0, reason="files for another user need root")
def test_another_users_files_are_theirs(tmp_path, capsys, monkeypatch):
    home = tmp_path / "nobody"
    home.mkdir()
    entry = pwd.struct_passwd(("nobody", "x", 65534, 65534, "", str(home), "/bin/sh"))
    monkeypatch.setattr(ssh_trust, "user_entry", lambda name: entry)
    args = {"user": "nobody", "authorized_keys": [ED_A]}
    if SSH_KEYGEN is None:
        args["key"] = False
    rc, res = call(capsys, monkeypatch, **args)
    assert rc == 0, res
    for path in home.rglob("*"):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path
    assert mode_of(home / ".ssh") == 0o700 and mode_of(home / ".ssh" / "authorized_keys") == 0o600


def test_known_hosts_written_by_blockinfile_is_recognised(tmp_path, home, capsys, monkeypatch):
    kh = tmp_path / "bi" / "known_hosts"
    written = real_blockinfile(tmp_path, capsys, monkeypatch, b"other ssh-rsa AAAAx\n", HOSTS)
    kh.chmod(0o640)
    before = snapshot(tmp_path / "bi")
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_block=HOSTS, known_hosts_path=str(kh))
    assert rc == 0 and res["changed"] is False and res["known_hosts_changed"] is False, res
    assert snapshot(tmp_path / "bi") == before

    # a new node: the block changes in place, the file keeps its mode
    more = HOSTS + "dgx03 ssh-ed25519 AAAA3\n"
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_block=more, known_hosts_path=str(kh), _ansible_diff=True)
    assert rc == 0 and res["changed"] is True and res["known_hosts_changed"] is True
    assert kh.read_bytes() == replace_block(written, more, MARKER) and mode_of(kh) == 0o640
    assert res["diff"] == [{"before_header": str(kh), "after_header": str(kh), "before": written.decode(),
                            "after": kh.read_text()}]

    # an empty block removes it; a missing file and an empty block make nothing
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_block="", known_hosts_path=str(kh))
    assert rc == 0 and res["changed"] is True and kh.read_text() == "other ssh-rsa AAAAx\n"
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_block="", known_hosts_path=str(tmp_path / "none"))
    assert rc == 0 and res["changed"] is False and not (tmp_path / "none").exists()


def test_known_hosts_null_leaves_the_file_alone(tmp_path, home, capsys, monkeypatch):
    kh = tmp_path / "known_hosts"
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_path=str(kh), marker="no mark")
    assert rc == 0 and res["changed"] is False and not kh.exists()


@pytest.mark.parametrize("args, message", [
    ({"authorized_keys": [ED_A, "ssh-ed25519 AAAA"]},
     "authorized_keys[1]: the ssh-ed25519 key's base64 does not decode to a ssh-ed25519 key"),
    ({"known_hosts_block": HOSTS, "marker": "# deploy-pod"}, "marker '# deploy-pod' has no {mark}"),
    ({"user": "no-such-user-dp"}, "user 'no-such-user-dp': no such user on this host"),
    ({"key_type": "dsa"}, "value of key_type must be one of: ed25519, rsa, ecdsa"),
])
def test_bad_input_fails_before_anything_changes(tmp_path, home, capsys, monkeypatch, args, message):
    rc, res = call(capsys, monkeypatch, known_hosts_path=str(tmp_path / "kh"), **args)
    assert rc == 1 and message in res["msg"], res
    assert os.listdir(home) == [] and not (tmp_path / "kh").exists()


def test_in_the_way(tmp_path, home, capsys, monkeypatch):
    (home / ".ssh").write_text("")
    rc, res = call(capsys, monkeypatch, key=False, authorized_keys=[ED_A])
    assert rc == 1 and res["msg"] == f"{home / '.ssh'} exists and is not a directory"
    rc, res = call(capsys, monkeypatch, key=False, known_hosts_block=HOSTS, known_hosts_path=str(tmp_path))
    assert rc == 1 and res["msg"] == f"known_hosts_path {tmp_path} is a directory"
