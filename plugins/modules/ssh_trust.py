#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssh_trust
short_description: A user's SSH key pair, the keys they trust and the known-hosts block in one round trip
description:
  - Does in one task what M(community.crypto.openssh_keypair), M(ansible.posix.authorized_key)
    (C(exclusive=false)) and M(ansible.builtin.blockinfile) on the known-hosts file do, so a
    converged run costs one round trip that reads three files and runs nothing.
  - The key pair C(~USER/.ssh/id_TYPE) is made with C(ssh-keygen) when the private key is missing.
    An existing private key is never replaced; when only its C(.pub) is missing (or holds no key),
    the C(.pub) is written again from C(ssh-keygen -y).
  - The keys of O(authorized_keys) missing from C(~USER/.ssh/authorized_keys) are appended, one per
    line as given; a key counts as there when a line has the same key type and base64 blob (its
    options and comment are not compared). Other lines are left as they are.
  - O(known_hosts_block) is put between the C(BEGIN) and C(END) lines of O(marker) in
    O(known_hosts_path) byte for byte as M(ansible.builtin.blockinfile) puts a block (the default
    C(insertafter=EOF)), so a file that task wrote with the same marker and block is left as it is.
  - A file is rewritten only when its content changes, through a temporary file in its directory
    that replaces it (the existing file's mode and owner are kept). C(~/.ssh) is made 0700 owned by
    the user when missing; a new C(authorized_keys) is 0600 owned by the user, a new known-hosts
    file 0644.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  user:
    description:
      - The user whose key pair and C(authorized_keys) these are; the home directory is the one in
        the password database.
    type: str
    default: root
  key:
    description:
      - Make the key pair when it is missing. C(false) leaves the key files alone and returns no RV(public_key).
    type: bool
    default: true
  key_type:
    description: The type of the key pair, which names its file (C(~/.ssh/id_ed25519)).
    type: str
    choices: [ed25519, rsa, ecdsa]
    default: ed25519
  key_comment:
    description: The comment of a new key pair (C(ssh-keygen -C)); an existing pair keeps its own.
    type: str
    default: ""
  authorized_keys:
    description:
      - Public keys (C(type base64 [comment]), C(authorized_keys) options before the type allowed)
        that must be in the user's C(authorized_keys). Not exclusive, keys not listed stay.
      - An item of several lines gives each of its keys (blank and C(#) lines skipped); a line that
        is not a key, or whose base64 does not decode to a key of its type, fails the task.
      - Empty, the file is not read.
    type: list
    elements: str
    default: []
  known_hosts_block:
    description:
      - The lines between the marker lines (a trailing newline is not doubled). An empty string
        removes the block; null leaves the known-hosts file alone.
      - When the file is missing it is made with the block; an empty block then makes nothing
        (where M(ansible.builtin.blockinfile) with C(create=true) would make an empty file).
    type: str
  known_hosts_path:
    description: The known-hosts file the block is kept in.
    type: path
    default: /etc/ssh/ssh_known_hosts
  marker:
    description:
      - The marker line, C({mark}) replaced by C(BEGIN) and by C(END), as M(ansible.builtin.blockinfile)'s
        O(ansible.builtin.blockinfile#module:marker); it must contain C({mark}).
    type: str
    default: "# {mark} deploy-pod Spectrum Scale nodes"
attributes:
  check_mode:
    support: full
    description:
      - Reads the files, reports what would change, makes and writes nothing.
      - A key pair that would be made has no RV(public_key) yet (null); a C(.pub) that would be
        written again from its private key is read with C(ssh-keygen -y), which writes nothing.
  diff_mode:
    support: full
    description:
      - A text diff of the C(.pub) (a new key pair, or a rewritten C(.pub)), of C(authorized_keys)
        and of the known-hosts file when they change, and the file module's entry for a C(~/.ssh)
        that is made.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
requirements:
  - C(ssh-keygen) (openssh-client), only when a key pair or a C(.pub) is made
notes:
  - Managing another user's files, or C(/etc/ssh/ssh_known_hosts), needs root (C(become)).
  - The C(.pub) of an existing pair is trusted when it holds a key; it is not checked against the
    private key on every run (that would run C(ssh-keygen -y) each time).
  - Every node's public key is known only once every node has run the task with O(key), so trusting
    them takes a second call (with O(authorized_keys) and O(known_hosts_block)).
seealso:
  - module: community.crypto.openssh_keypair
  - module: ansible.posix.authorized_key
  - module: ansible.builtin.blockinfile
"""

EXAMPLES = r"""
- name: Root's SSH key
  deploy_pod.pod.ssh_trust:
    key_comment: "root@{{ inventory_hostname }} (Spectrum Scale admin)"
  register: root_key

- name: Every node trusts every node's root key and knows its host keys
  deploy_pod.pod.ssh_trust:
    key_comment: "root@{{ inventory_hostname }} (Spectrum Scale admin)"
    authorized_keys: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['root_key', 'public_key'])
         | select('defined') | select | list }}
    known_hosts_block: "{{ known_hosts_lines }}"

- name: Drop the block from the known-hosts file, leave the keys alone
  deploy_pod.pod.ssh_trust:
    key: false
    known_hosts_block: ""
"""

RETURN = r"""
public_key:
  description:
    - The public key, C(type base64) without the comment, as M(community.crypto.openssh_keypair)
      returns it; null with O(key=false) and, in check mode, for a key pair not yet made.
  returned: always
  type: str
  sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2LBmluu2NgoCM6prw7zIn7dyrMIh/gWa1ewAAeFHzb
public_key_path:
  description: The C(.pub) file; null with O(key=false).
  returned: always
  type: str
  sample: /root/.ssh/id_ed25519.pub
key_created:
  description: Whether a new key pair was made (not when only the C(.pub) was written again).
  returned: always
  type: bool
  sample: false
authorized_keys_added:
  description: The lines of O(authorized_keys) appended to the user's C(authorized_keys).
  returned: always
  type: list
  elements: str
  sample: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2LBmluu2NgoCM6prw7zIn7dyrMIh/gWa1ewAAeFHzb root@dgx02"]
known_hosts_changed:
  description: Whether the known-hosts file was (or in check mode would be) written.
  returned: always
  type: bool
  sample: false
"""

import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.ssh_trust import (
    KEY_TYPES,
    SshTrustInputError,
    append_keys,
    check_keys,
    created_dir_diff,
    key_paths,
    keygen_argv,
    marker_lines,
    missing_keys,
    pubkey_argv,
    public_key_of,
    replace_block,
    text_diff,
)


def user_entry(name: str):
    """The password database entry (a seam for the tests, which point the home at tmp_path)."""
    return pwd.getpwnam(name)


class Run:
    """One call: the result built as the parts are handled, so a failure midway reports what was
    already done."""

    def __init__(self, module: AnsibleModule, uid: int, gid: int):
        self.module = module
        self.check = module.check_mode
        self.uid, self.gid = uid, gid
        self.result = {"changed": False, "public_key": None, "public_key_path": None, "key_created": False,
                       "authorized_keys_added": [], "known_hosts_changed": False}
        self.diffs: list[dict] = []
        self.dir_made = False  # check mode: ~/.ssh made earlier in this call, on paper

    def done(self) -> dict:
        if self.module._diff:
            self.result["diff"] = self.diffs
        return self.result

    def fail(self, msg: str, **extra) -> None:
        self.module.fail_json(msg=msg, **{**self.done(), **extra})

    def changed(self, diff: dict) -> None:
        self.result["changed"] = True
        self.diffs.append(diff)

    # ------------------------------------------------------------ files

    def read(self, path: str) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, NotADirectoryError):  # a file in ~/.ssh's place: ssh_dir says so
            return None
        except OSError as exc:
            self.fail(f"cannot read {path}: {exc.strerror or exc}")
        return None  # not reached

    def ssh_dir(self, path: str) -> None:
        """~/.ssh, made 0700 for the user when missing; an existing one is left as it is."""
        if self.dir_made or os.path.isdir(path):
            return
        if os.path.lexists(path):
            self.fail(f"{path} exists and is not a directory")
        self.changed(created_dir_diff(path))
        self.dir_made = True
        if self.check:
            return
        try:
            os.mkdir(path, 0o700)
            os.chown(path, self.uid, self.gid)
            os.chmod(path, 0o700)  # the umask only narrows the mkdir mode; 0700 whatever it is
        except OSError as exc:
            self.fail(f"cannot make {path}: {exc.strerror or exc}")

    def write(self, path: str, data: bytes, new_mode: int, owner: tuple[int, int] | None) -> None:
        """Replace path's content through a temporary file in its directory; an existing file keeps
        its mode and owner (atomic_move copies them), a new one gets new_mode and owner."""
        real = os.path.realpath(path)  # a link stays a link, as blockinfile writes through it
        directory = os.path.dirname(real)
        creating = not os.path.exists(real)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            fd, tmp = tempfile.mkstemp(prefix=".ssh_trust.", dir=directory)
        except OSError as exc:
            self.fail(f"cannot write {path}: {exc.strerror or exc}")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            # atomic_move gives a file it creates 0666 & ~umask after the rename: a umask of
            # ~new_mode keeps a new authorized_keys from being readable by others even briefly
            umask = os.umask(0o777 & ~new_mode) if creating else None
            try:
                self.module.atomic_move(tmp, real)
            except Exception as exc:  # atomic_move raises a bare Exception
                self.fail(f"cannot write {path}: {exc}")
            finally:
                if umask is not None:
                    os.umask(umask)
            if creating:
                if owner is not None:
                    os.chown(real, *owner)
                os.chmod(real, new_mode)
        except OSError as exc:
            self.fail(f"cannot write {path}: {exc.strerror or exc}")
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)

    def ssh_keygen(self, argv: list[str], what: str) -> str:
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            detail = (err or out).strip() or f"exit status {rc}"
            self.fail(f"{what}: {' '.join(['ssh-keygen'] + argv[1:])} failed: {detail}",
                      rc=rc, stdout=out, stderr=err)
        return out

    # ------------------------------------------------------------ the three parts

    def key_pair(self, home: str, key_type: str, comment: str) -> None:
        private, public = key_paths(home, key_type)
        self.result["public_key_path"] = public
        if os.path.isdir(private) or os.path.isdir(public):
            self.fail(f"{private} or its .pub is a directory")
        pub_text = self.read(public)
        if os.path.lexists(private):
            pub_key = public_key_of(pub_text.decode("utf-8", "replace")) if pub_text is not None else None
            if pub_key:
                self.result["public_key"] = pub_key
                return
            # the private key stays; its .pub is made again from it (reading it changes nothing,
            # so check mode does it too and knows the key)
            tool = self.module.get_bin_path("ssh-keygen", required=True)
            out = self.ssh_keygen(pubkey_argv(tool, private), f"cannot read the public key of {private}")
            pub_key = public_key_of(out)
            if not pub_key:
                self.fail(f"ssh-keygen -y -f {private} printed no public key", stdout=out)
            line = out.strip() + "\n"
            self.result["public_key"] = pub_key
            self.changed(text_diff(public, pub_text, line))
            if not self.check:
                self.write(public, line.encode(), 0o644, (self.uid, self.gid))
            return

        self.ssh_dir(os.path.dirname(private))
        self.result["key_created"] = True
        if self.check:
            self.changed(text_diff(public, pub_text, f"(a new {key_type} key pair)\n"))
            return
        tool = self.module.get_bin_path("ssh-keygen", required=True)
        if pub_text is not None:
            os.unlink(public)  # a stray .pub without its private key: ssh-keygen writes a new one
        self.ssh_keygen(keygen_argv(tool, key_type, comment, private), f"cannot make {private}")
        new_pub = self.read(public)
        pub_key = public_key_of(new_pub.decode("utf-8", "replace")) if new_pub is not None else None
        if not pub_key:
            self.fail(f"ssh-keygen made {private} but {public} holds no public key")
        self.result["public_key"] = pub_key
        self.changed(text_diff(public, pub_text, new_pub))
        try:
            for path in (private, public):
                os.chown(path, self.uid, self.gid)  # ssh-keygen ran as the module's user
        except OSError as exc:
            self.fail(f"cannot give {private} to uid {self.uid}: {exc.strerror or exc}")

    def trust(self, home: str, wanted: list) -> None:
        path = os.path.join(home, ".ssh", "authorized_keys")
        data = self.read(path)
        text = data.decode("utf-8", "surrogateescape") if data is not None else None
        added = missing_keys(text, wanted)
        if not added:
            return
        self.ssh_dir(os.path.dirname(path))
        after = append_keys(text, added)
        self.result["authorized_keys_added"] = added
        self.changed(text_diff(path, data, after))
        if not self.check:
            self.write(path, after.encode("utf-8", "surrogateescape"), 0o600, (self.uid, self.gid))

    def known_hosts(self, path: str, block: str, marker: str) -> None:
        if os.path.isdir(path):
            self.fail(f"known_hosts_path {path} is a directory")
        before = self.read(path)
        after = replace_block(before, block, marker)
        if after == before:
            return
        self.result["known_hosts_changed"] = True
        self.changed(text_diff(path, before, after))
        if not self.check:
            self.write(path, after, 0o644, None)


def main():
    module = AnsibleModule(
        argument_spec={
            # no_log False: public keys and their settings, not secrets (ansible-test's
            # no-log-needed check flags every option named *key*)
            "user": {"type": "str", "default": "root"},
            "key": {"type": "bool", "default": True, "no_log": False},
            "key_type": {"type": "str", "choices": list(KEY_TYPES), "default": "ed25519", "no_log": False},
            "key_comment": {"type": "str", "default": "", "no_log": False},
            "authorized_keys": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "known_hosts_block": {"type": "str"},
            "known_hosts_path": {"type": "path", "default": "/etc/ssh/ssh_known_hosts"},
            "marker": {"type": "str", "default": "# {mark} deploy-pod Spectrum Scale nodes"},
        },
        supports_check_mode=True,
    )
    p = module.params
    # every input checked before anything changes
    try:
        wanted = check_keys(p["authorized_keys"])
        if p["known_hosts_block"] is not None:
            marker_lines(p["marker"])
    except SshTrustInputError as exc:
        module.fail_json(msg=str(exc))
    try:
        entry = user_entry(p["user"])
    except KeyError:
        module.fail_json(msg=f"user {p['user']!r}: no such user on this host")
    if not entry.pw_dir or not os.path.isabs(entry.pw_dir):
        module.fail_json(msg=f"user {p['user']!r} has no home directory ({entry.pw_dir!r})")

    run = Run(module, entry.pw_uid, entry.pw_gid)
    if p["key"]:
        run.key_pair(entry.pw_dir, p["key_type"], p["key_comment"])
    if wanted:
        run.trust(entry.pw_dir, wanted)
    if p["known_hosts_block"] is not None:
        run.known_hosts(p["known_hosts_path"], p["known_hosts_block"], p["marker"])
    module.exit_json(**run.done())


if __name__ == "__main__":
    main()
