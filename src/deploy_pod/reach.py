"""SSH reachability of the pod's hosts, checked the way Ansible would connect, before Ansible runs.

Hosts and their connection variables come from Ansible's own inventory machinery (the pod
file plus extra sources such as the twin's overlay, group and host vars layered as
ansible-playbook layers them, `--limit` patterns honoured). Each host is then connected to
with paramiko: the address, port, user and key Ansible would use, the host key verified
against the known_hosts file Ansible's ssh would read (always strictly: an unknown or changed
key is a failure, never accepted), and `true` run. Failures are classified into a few plain
reasons so a person knows what to fix.

The pure parts (ssh argument parsing, classification, the table) are unit-tested;
`connect()` and `run()` are shared with status.py, which reads the hosts over the same
connections.
"""

from __future__ import annotations

import concurrent.futures
import errno
import os
import shlex
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# the reasons a host is not reachable, as shown in the table and the JSON
OK = "ok"
RESOLVE = "name does not resolve"
REFUSED = "connection refused"
TIMEOUT = "time-out"
AUTH = "authentication failed"
KEY_CHANGED = "host key changed"
KEY_UNKNOWN = "host key unknown"
OTHER = "other"

# described in the inventory, never connected to (DESIGN.md: the inventory is the contract)
NOT_CONNECTED_GROUPS = ("ib_switches", "mgmt_switches")
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
MAX_WORKERS = 32


class ReachError(ValueError):
    """The inventory cannot be read for its hosts (bad input, exit 2)."""


class UnknownHostKey(Exception):  # noqa: N818 - reads as the reason, like paramiko's BadHostKeyException
    """The host's key is in none of the known_hosts files (raised by the strict policy below)."""

    def __init__(self, name: str, key_type: str, fingerprint: str, files: list[str]):
        self.name, self.key_type, self.fingerprint, self.files = name, key_type, fingerprint, files
        super().__init__(f"{name} ({key_type} {fingerprint}) is not in {', '.join(files) or 'any known_hosts file'}")


@dataclass
class Reach:
    """One host's result."""

    host: str
    address: str
    port: int
    ok: bool
    reason: str
    detail: str
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Target:
    """How Ansible would connect to one host."""

    host: str
    address: str
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    password: str | None = None
    known_hosts: list[str] = field(default_factory=list)
    identities_only: bool = False
    unsupported: str | None = None  # an ssh option this check cannot honour (a jump host): said, not guessed


# ---------------------------------------------------------------- pure: ssh arguments

def ssh_options(args: str | None) -> dict[str, str]:
    """`-o Key=Value` (also `-oKey=Value`, `-o "Key Value"`) and `-i FILE` of an ssh argument
    string -> {lowercased key: value}; `-i` comes back as 'identityfile'. First one wins, as in ssh."""
    out: dict[str, str] = {}
    try:
        words = shlex.split(args or "")
    except ValueError:
        words = (args or "").split()
    i = 0
    while i < len(words):
        w = words[i]
        value = None
        if w in ("-o", "-i", "-J") and i + 1 < len(words):
            value, i = words[i + 1], i + 1
        elif w.startswith(("-o", "-i", "-J")) and len(w) > 2:
            value = w[2:]
        if value is not None:
            if w.startswith("-i"):
                out.setdefault("identityfile", value)
            elif w.startswith("-J"):
                out.setdefault("proxyjump", value)
            else:
                key, sep, val = value.partition("=")
                if not sep:
                    key, _, val = value.strip().partition(" ")
                out.setdefault(key.strip().lower(), val.strip())
        i += 1
    return out


def known_hosts_files(options: dict[str, str], home: str | None = None) -> list[str]:
    """The known_hosts files ssh reads with these options: UserKnownHostsFile (space separated,
    `none` for none) else ~/.ssh/known_hosts, then GlobalKnownHostsFile else /etc/ssh/ssh_known_hosts."""
    def expand(p: str) -> str:
        return str(Path(home) / p[2:]) if home and p.startswith("~/") else os.path.expanduser(p)

    user = options.get("userknownhostsfile", DEFAULT_KNOWN_HOSTS)
    glob = options.get("globalknownhostsfile", GLOBAL_KNOWN_HOSTS)
    return [expand(p) for p in (user.split() + glob.split()) if p.lower() != "none"]


def _first(hv: dict, *names):
    for n in names:
        if hv.get(n) not in (None, ""):
            return hv[n]
    return None


def target_from_vars(host: str, hv: dict, defaults: dict | None = None) -> Target:
    """A Target from one host's (templated) Ansible variables, with ansible.cfg's defaults
    (remote_user, remote_port, private_key_file, ssh_args) where the host sets none."""
    d = defaults or {}
    args = " ".join(str(a) for a in (_first(hv, "ansible_ssh_common_args"), _first(hv, "ansible_ssh_extra_args"),
                                     _first(hv, "ansible_ssh_args") or d.get("ssh_args")) if a)
    opts = ssh_options(args)
    port = _first(hv, "ansible_port", "ansible_ssh_port") or opts.get("port") or d.get("port") or 22
    key = _first(hv, "ansible_ssh_private_key_file", "ansible_private_key_file") or d.get("key_file") \
        or opts.get("identityfile")
    jump = opts.get("proxyjump") or opts.get("proxycommand")
    return Target(
        host=host,
        address=str(_first(hv, "ansible_host", "ansible_ssh_host") or opts.get("hostname") or host),
        port=int(port),
        user=str(_first(hv, "ansible_user", "ansible_ssh_user") or opts.get("user") or d.get("user") or "") or None,
        key_file=os.path.expanduser(str(key)) if key else None,
        password=str(_first(hv, "ansible_password", "ansible_ssh_pass", "ansible_ssh_password") or "") or None,
        known_hosts=known_hosts_files(opts),
        identities_only=opts.get("identitiesonly", "no").lower() == "yes",
        unsupported=f"a jump host ({jump}) is set in the ssh arguments; this check connects directly only"
        if jump and jump.lower() != "none" else None,
    )


def skipped(hv: dict, groups: set[str]) -> bool:
    """Hosts never connected to over SSH: switches (described only) and local connections."""
    return bool(groups & set(NOT_CONNECTED_GROUPS)) or str(hv.get("ansible_connection") or "") == "local"


# ---------------------------------------------------------------- pure: classification

def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) of a failed connection attempt."""
    import paramiko

    for e in _chain(exc):
        if isinstance(e, paramiko.BadHostKeyException):
            return KEY_CHANGED, (f"the host offers {e.key.get_name()} {e.key.fingerprint}, known_hosts has "
                                 f"{e.expected_key.fingerprint}: reinstalled, or not the host you mean")
        if isinstance(e, UnknownHostKey):
            return KEY_UNKNOWN, str(e)
        if isinstance(e, socket.gaierror):
            return RESOLVE, e.strerror or str(e)
        if isinstance(e, paramiko.ssh_exception.NoValidConnectionsError):
            errs = list(e.errors.values())
            if errs and all(getattr(x, "errno", None) == errno.ECONNREFUSED for x in errs):
                return REFUSED, "nothing listens on the SSH port (host down, sshd stopped, or wrong port)"
            return OTHER, "; ".join(sorted({x.strerror or str(x) for x in errs})) or str(e)
        if isinstance(e, ConnectionRefusedError):
            return REFUSED, "nothing listens on the SSH port (host down, sshd stopped, or wrong port)"
        if isinstance(e, paramiko.AuthenticationException):
            if "timeout" in str(e).lower():
                return TIMEOUT, "no answer to the authentication request"
            return AUTH, str(e) or type(e).__name__
        if isinstance(e, (socket.timeout, TimeoutError)):
            return TIMEOUT, "no answer within the time-out"
        # paramiko's start_client gives up at the time-out without saying so; the next step finds no session
        if isinstance(e, paramiko.SSHException) and str(e) == "No existing session":
            return TIMEOUT, "the SSH handshake did not finish within the time-out"
    for e in _chain(exc):  # after the chain: a key file that cannot be read is an authentication problem
        if isinstance(e, OSError) and e.errno in (errno.ENOENT, errno.EACCES) and e.filename:
            return AUTH, f"cannot read the private key {e.filename}: {e.strerror}"
        if isinstance(e, EOFError):
            return OTHER, "the connection was closed before SSH answered"
    return OTHER, f"{type(exc).__name__}: {exc}".rstrip(": ")


def credentials(target: Target) -> str:
    """What was offered, so a failed login says which user and key to look at (never the password)."""
    key = f"key {target.key_file}" if target.key_file else "the agent's and ~/.ssh keys"
    return f"user {target.user or 'of this session'}, {key}" + (", a password" if target.password else "")


# ---------------------------------------------------------------- pure: table

def reach_table(results: list[Reach]) -> str:
    """One plain-text table: host, address:port, reason, detail."""
    rows = [(r.host, f"{r.address}:{r.port}", r.reason, r.detail) for r in results]
    head = ("host", "address:port", "reason", "detail")
    widths = [max([len(head[i])] + [len(row[i]) for row in rows]) for i in range(3)]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths, strict=True)) + "  " + cells[3]

    return "\n".join([line(head).rstrip(), line(tuple("-" * w for w in widths) + ("-" * 6,)).rstrip(),
                      *(line(r).rstrip() for r in rows)])


# ---------------------------------------------------------------- inventory

def _ansible_defaults() -> dict:
    from ansible import constants as C

    return {"user": getattr(C, "DEFAULT_REMOTE_USER", None), "port": getattr(C, "DEFAULT_REMOTE_PORT", None),
            "key_file": getattr(C, "DEFAULT_PRIVATE_KEY_FILE", None)}


CONNECTION_VARS = ("ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port", "ansible_user",
                   "ansible_ssh_user", "ansible_ssh_private_key_file", "ansible_private_key_file",
                   "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_ssh_common_args",
                   "ansible_ssh_extra_args", "ansible_ssh_args", "ansible_connection")


def _templated(templar, hv: dict) -> tuple[dict, str | None]:
    """The connection variables with their Jinja2 resolved, as Ansible resolves them before connecting;
    a variable that cannot be resolved is the host's problem, not the whole check's."""
    out, problem = {}, None
    for key in CONNECTION_VARS:
        if key not in hv:
            continue
        try:
            out[key] = templar.template(hv[key])
        except Exception as exc:  # noqa: BLE001 - Ansible's templating errors have no common base before 2.19
            problem = problem or f"cannot resolve {key}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return out, problem


def targets(pod_file: str, inventories: list[str], limit: str | None = None) -> list[Target]:
    """The hosts Ansible would connect to over SSH, in inventory order, with their connection
    settings. Raises ReachError when the sources cannot be read."""
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    sources = [str(pod_file), *map(str, inventories)]
    for src in sources:
        if not Path(src).exists():
            raise ReachError(f"{src}: no such file or directory")
    try:
        loader = DataLoader()
        inventory = InventoryManager(loader=loader, sources=sources)
        variables = VariableManager(loader=loader, inventory=inventory)
        if limit:
            inventory.subset(limit)
        defaults = _ansible_defaults()
        out = []
        for host in inventory.get_hosts("all"):
            hv = variables.get_vars(host=host, include_hostvars=False)
            groups = {g.name for g in host.get_groups()}
            wanted, problem = _templated(Templar(loader=loader, variables=hv), hv)
            if skipped(wanted, groups):
                continue
            target = target_from_vars(host.name, wanted, defaults)
            target.unsupported = problem or target.unsupported
            out.append(target)
        return out
    except AnsibleError as exc:
        raise ReachError(str(exc).splitlines()[0] if str(exc) else "the inventory cannot be read") from exc


# ---------------------------------------------------------------- connections

def _strict_policy(files: list[str]):
    import paramiko

    class Reject(paramiko.MissingHostKeyPolicy):
        """As StrictHostKeyChecking=yes: an unknown key is refused, never added."""

        def missing_host_key(self, client, hostname, key):
            present = [f for f in files if os.path.isfile(f)]
            raise UnknownHostKey(hostname, key.get_name(), key.fingerprint,
                                 present or [f"{f} (no such file)" for f in files[:1]])

    return Reject()


def connect(target: Target, timeout: float = 10.0):
    """An authenticated paramiko SSHClient, the host key verified; raises on any failure
    (classify() names it). The caller closes it."""
    import paramiko

    if target.unsupported:
        raise paramiko.SSHException(target.unsupported)
    client = paramiko.SSHClient()
    for f in target.known_hosts:
        if os.path.isfile(f):
            client.load_host_keys(f)  # loaded, never saved: this check writes nothing
    client.set_missing_host_key_policy(_strict_policy(target.known_hosts))
    try:
        client.connect(target.address, port=target.port, username=target.user, password=target.password,
                       key_filename=target.key_file, timeout=timeout, banner_timeout=timeout,
                       auth_timeout=timeout, channel_timeout=timeout,
                       # with a key named, ssh offers that (and the agent's unless IdentitiesOnly),
                       # not ~/.ssh/id_*; without one it tries the defaults
                       look_for_keys=target.key_file is None,
                       allow_agent=not target.identities_only)
    except BaseException:
        client.close()
        raise
    return client


def run(client, command: str, timeout: float = 10.0) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one command; TimeoutError when it does not finish in time."""
    _, stdout, stderr = client.exec_command(command, timeout=timeout)
    chan = stdout.channel
    out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    if not chan.status_event.wait(timeout):
        raise TimeoutError(f"{command!r} did not finish within {timeout:g} s")
    return chan.recv_exit_status(), out, err


def check(target: Target, timeout: float = 10.0, then=None) -> tuple[Reach, object]:
    """Connect and run `true`; on success `then(client)` (status.py's reads) runs on the same
    connection. Returns (Reach, then's result or None); never raises for the host's failures."""
    start = time.monotonic()
    extra = None
    client = None
    try:
        client = connect(target, timeout)
        rc, _, err = run(client, "true", timeout)
        if rc != 0:
            reason, detail = OTHER, f"`true` exited {rc}: {err.strip()}".rstrip(": ")
        else:
            reason, detail = OK, ""
            if then is not None:
                extra = then(client)
    except Exception as exc:  # noqa: BLE001 - every failure of one host is that host's result
        reason, detail = classify(exc)
        if reason == AUTH:
            detail = f"{detail} ({credentials(target)})"
    finally:
        if client is not None:
            client.close()
    return (Reach(target.host, target.address, target.port, reason == OK, reason, detail,
                  round(time.monotonic() - start, 3)), extra)


def in_parallel(items: list, fn) -> list:
    """fn over items on threads (SSH waits on the network, not the CPU), results in item order."""
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        return list(pool.map(fn, items))


def reach_hosts(pod_file: str, inventories: list[str], limit: str | None = None,
                timeout: float = 10.0) -> list[Reach]:
    """Every SSH host of the pod (switches and local connections left out), checked in parallel."""
    return [r for r, _ in in_parallel(targets(pod_file, inventories, limit), lambda t: check(t, timeout))]


def unreachable_hosts(pod_file: str, inventories: list[str], limit: str | None = None,
                      timeout: float = 10.0) -> list[Reach]:
    """Only the hosts that failed."""
    return [r for r in reach_hosts(pod_file, inventories, limit, timeout) if not r.ok]
