"""reach.py: ssh arguments, connection variables as Ansible layers them, failure classification,
the table, and real unreachable reasons from local sockets (no SSH server needed)."""

from __future__ import annotations

import errno
import socket
import threading

import paramiko
import pytest
import yaml
from click.testing import CliRunner

from deploy_pod import reach
from deploy_pod.cli import EXIT_INPUT, EXIT_UNREACHABLE, main
from deploy_pod.reach import (
    AUTH,
    KEY_CHANGED,
    KEY_UNKNOWN,
    OTHER,
    REFUSED,
    RESOLVE,
    TIMEOUT,
    Reach,
    Target,
    classify,
    known_hosts_files,
    reach_table,
    ssh_options,
    target_from_vars,
)
from deploy_pod.sim.overlay import overlay_inventory

# ---------------------------------------------------------------- ssh arguments


def test_ssh_options_reads_every_spelling_and_the_first_wins():
    opts = ssh_options('-o UserKnownHostsFile=/k/h -oStrictHostKeyChecking=yes -o "IdentitiesOnly yes" '
                       "-i /k/id -o UserKnownHostsFile=/other -J jump@bastion")
    assert opts == {"userknownhostsfile": "/k/h", "stricthostkeychecking": "yes", "identitiesonly": "yes",
                    "identityfile": "/k/id", "proxyjump": "jump@bastion"}
    assert ssh_options(None) == {} and ssh_options("") == {}


def test_known_hosts_files_default_given_and_none():
    assert known_hosts_files({}, home="/h") == ["/h/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts"]
    assert known_hosts_files({"userknownhostsfile": "/a /b", "globalknownhostsfile": "none"}) == ["/a", "/b"]
    assert known_hosts_files({"userknownhostsfile": "none"}) == ["/etc/ssh/ssh_known_hosts"]


def test_target_from_the_twin_overlay_vars(tmp_path):
    hv = overlay_inventory({"dgx01": 33000}, tmp_path / "id", tmp_path / "kh")["all"]["hosts"]["dgx01"]
    t = target_from_vars("dgx01", hv)
    assert (t.address, t.port, t.user, t.key_file) == ("127.0.0.1", 33000, "root", str(tmp_path / "id"))
    assert t.known_hosts[0] == str(tmp_path / "kh") and t.identities_only and t.unsupported is None


def test_target_falls_back_as_ansible_does():
    t = target_from_vars("dgx01", {"ansible_ssh_host": "10.0.0.1", "ansible_ssh_user": "ops"},
                         {"port": 2222, "key_file": "/keys/pod", "user": "cfg"})
    assert (t.address, t.port, t.user, t.key_file) == ("10.0.0.1", 2222, "ops", "/keys/pod")
    bare = target_from_vars("dgx02", {})
    assert (bare.address, bare.port, bare.user, bare.key_file) == ("dgx02", 22, None, None)


def test_a_jump_host_is_said_not_guessed():
    t = target_from_vars("dgx01", {"ansible_ssh_common_args": "-o ProxyJump=bastion"})
    assert "bastion" in t.unsupported
    assert target_from_vars("dgx01", {"ansible_ssh_common_args": "-o ProxyCommand=none"}).unsupported is None


def test_switches_and_local_connections_are_not_connected_to():
    assert reach.skipped({}, {"ib_switches", "all"})
    assert reach.skipped({}, {"mgmt_switches"})
    assert reach.skipped({"ansible_connection": "local"}, {"dgx"})
    assert not reach.skipped({"ansible_connection": "ssh"}, {"dgx"})


# ---------------------------------------------------------------- classification


@pytest.fixture(scope="module")
def keys():
    return paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)


def _chained(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception:
            raise outer  # noqa: B904 - the implicit context is what paramiko leaves
    except Exception as exc:
        return exc


def test_classify_host_keys(keys):
    got, expected = keys
    reason, detail = classify(paramiko.BadHostKeyException("h", got, expected))
    assert reason == KEY_CHANGED and got.fingerprint in detail and expected.fingerprint in detail
    reason, detail = classify(reach.UnknownHostKey("[127.0.0.1]:2222", "ssh-rsa", "SHA256:x", ["/k"]))
    assert reason == KEY_UNKNOWN and "[127.0.0.1]:2222" in detail and "/k" in detail


@pytest.mark.parametrize("exc,reason", [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), RESOLVE),
    (paramiko.ssh_exception.NoValidConnectionsError(
        {("127.0.0.1", 22): ConnectionRefusedError(errno.ECONNREFUSED, "refused")}), REFUSED),
    (paramiko.ssh_exception.NoValidConnectionsError(
        {("10.0.0.1", 22): OSError(errno.EHOSTUNREACH, "No route to host")}), OTHER),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), REFUSED),
    (paramiko.AuthenticationException("Authentication failed."), AUTH),
    (paramiko.ssh_exception.PasswordRequiredException("Private key file is encrypted"), AUTH),
    (paramiko.AuthenticationException("Authentication timeout."), TIMEOUT),
    (TimeoutError("timed out"), TIMEOUT),
    (paramiko.SSHException("No existing session"), TIMEOUT),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/keys/missing"), AUTH),
    (RuntimeError("something odd"), OTHER),
])
def test_classify(exc, reason):
    assert classify(exc)[0] == reason


def test_classify_follows_paramikos_chain():
    banner = _chained(paramiko.SSHException("Error reading SSH protocol banner"), TimeoutError())
    assert classify(banner)[0] == TIMEOUT
    closed = _chained(paramiko.SSHException("Error reading SSH protocol banner"), EOFError())
    assert classify(closed) == (OTHER, "the connection was closed before SSH answered")
    assert classify(RuntimeError("something odd")) == (OTHER, "RuntimeError: something odd")


def test_credentials_names_user_and_key_never_the_password():
    text = reach.credentials(Target("h", "a", user="ops", key_file="/k/id", password="s3cret"))
    assert "ops" in text and "/k/id" in text and "s3cret" not in text


# ---------------------------------------------------------------- table


def test_reach_table_has_every_host_its_address_and_reason():
    rows = [Reach("dgx01", "127.0.0.1", 33000, True, "ok", "", 0.1),
            Reach("ess01b-long-name", "10.0.0.22", 22, False, REFUSED, "nothing listens", 0.0)]
    lines = reach_table(rows).splitlines()
    assert lines[0].split() == ["host", "address:port", "reason", "detail"]
    assert lines[2].split() == ["dgx01", "127.0.0.1:33000", "ok"]
    assert lines[3].startswith("ess01b-long-name  10.0.0.22:22     connection refused  nothing listens")
    # columns line up: the address column starts at the same place on every line
    assert len({ln.index(c) for ln, c in zip(lines[2:], ("127.", "10.0"), strict=True)}) == 1


# ---------------------------------------------------------------- real sockets, no SSH server


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_closed_port_is_connection_refused():
    result, _ = reach.check(Target("h", "127.0.0.1", _closed_port()), timeout=2)
    assert (result.ok, result.reason) == (False, REFUSED)


def test_an_unresolvable_name_does_not_resolve():
    result, _ = reach.check(Target("h", "nonexistent.invalid", 22), timeout=2)
    assert (result.ok, result.reason) == (False, RESOLVE)


def test_a_listener_that_never_answers_is_a_time_out():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # the kernel completes the handshake; nobody ever sends the SSH banner
    try:
        result, _ = reach.check(Target("h", "127.0.0.1", server.getsockname()[1]), timeout=0.5)
    finally:
        server.close()
    assert (result.ok, result.reason) == (False, TIMEOUT)
    assert result.seconds < 5


def test_a_listener_that_hangs_up_is_other():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def hang_up():
        conn, _ = server.accept()
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        result, _ = reach.check(Target("h", "127.0.0.1", server.getsockname()[1]), timeout=2)
    finally:
        thread.join(5)
        server.close()
    assert (result.ok, result.reason) == (False, OTHER)


# ---------------------------------------------------------------- inventory, through Ansible


@pytest.fixture
def pod_and_overlay(inv, write_inv, tmp_path):
    """The twin example and an overlay pointing every host at a closed local port."""
    port = _closed_port()
    hosts = ["dgx01", "dgx02", "ess01a", "ess01b"]
    overlay = overlay_inventory(dict.fromkeys(hosts, port), tmp_path / "id", tmp_path / "known_hosts")
    path = tmp_path / "overlay.yml"
    path.write_text(yaml.safe_dump(overlay))
    return write_inv(inv), path, port


def test_targets_layer_the_overlay_and_leave_switches_out(pod_and_overlay):
    pod, overlay, port = pod_and_overlay
    found = {t.host: t for t in reach.targets(str(pod), [str(overlay)])}
    assert sorted(found) == ["dgx01", "dgx02", "ess01a", "ess01b"]
    assert {(t.address, t.port, t.user) for t in found.values()} == {("127.0.0.1", port, "root")}
    assert [t.host for t in reach.targets(str(pod), [str(overlay)], limit="dgx:!dgx02")] == ["dgx01"]


def test_targets_template_connection_vars(inv, write_inv, tmp_path):
    inv["all"]["children"]["dgx"]["hosts"]["dgx01"]["ansible_host"] = "{{ mgmt_address }}"
    inv["all"]["children"]["dgx"]["hosts"]["dgx02"]["ansible_host"] = "{{ no_such_var }}"
    found = {t.host: t for t in reach.targets(str(write_inv(inv)), [])}
    assert found["dgx01"].address == "10.77.0.11" and found["dgx01"].unsupported is None
    assert "no_such_var" in found["dgx02"].unsupported


def test_unreachable_hosts_and_the_cli_exit_3(pod_and_overlay):
    pod, overlay, _ = pod_and_overlay
    bad = reach.unreachable_hosts(str(pod), [str(overlay)], timeout=2)
    assert sorted(r.host for r in bad) == ["dgx01", "dgx02", "ess01a", "ess01b"]
    assert {r.reason for r in bad} == {REFUSED}
    r = CliRunner().invoke(main, ["preflight", str(pod), "--reach-only", "-i", str(overlay), "--timeout", "2"])
    assert r.exit_code == EXIT_UNREACHABLE, r.output
    assert "dgx01" in r.output and "connection refused" in r.output and "0/4 reachable" in r.output


def test_cli_preflight_needs_reach_only_and_a_matching_limit(pod_and_overlay):
    pod, overlay, _ = pod_and_overlay
    r = CliRunner().invoke(main, ["preflight", str(pod), "-i", str(overlay)])
    assert r.exit_code == EXIT_INPUT and "--reach-only" in r.output
    r = CliRunner().invoke(main, ["preflight", str(pod), "--reach-only", "-i", str(overlay), "--limit", "nohost"])
    assert r.exit_code == EXIT_INPUT
