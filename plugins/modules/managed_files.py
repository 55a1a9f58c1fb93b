#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: managed_files
short_description: Keep a role's directories and files, and read checksums, in one round trip
description:
  - Does in one task what a run of M(ansible.builtin.file), M(ansible.builtin.template),
    M(ansible.builtin.copy) and M(ansible.builtin.stat) tasks does, so a converged run costs one
    round trip instead of two for each template or copy (stat, then file) and one for each
    directory and stat.
  - O(directories) are made first (with their parents, as C(mkdir -p)), then O(files) are written
    in the order given, each one before the next is validated, so a file's O(files[].validate)
    may run a helper written earlier in the same task. Last, the checksums of O(checksums_of) are
    read.
  - A file is rewritten only when its content differs, through a temporary file in its own
    directory that has the wanted mode (and, for a file that exists, its owner) before it
    replaces the old one. A file whose content is right but whose mode, owner or group is not
    only has those fixed.
  - Paths are followed through symbolic links (the file a link points to is written, the link
    stays a link).
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  directories:
    description:
      - The directories, made when missing (with missing parents, which get the same mode, owner
        and group, as M(ansible.builtin.file) does), their mode, owner and group fixed when
        different.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: An absolute path.
        type: path
        required: true
      mode:
        description: An octal string of 3 or 4 digits (C("0755")); a YAML number is refused.
        type: raw
        required: true
      owner:
        description: A user name or uid; null leaves the owner as it is (a new directory gets the module's user).
        type: str
      group:
        description: A group name or gid; null leaves the group as it is.
        type: str
  files:
    description:
      - The files, processed in the order given; a missing parent directory is made with mode
        0755.
      - A path may appear once across O(directories) and O(files).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: An absolute path.
        type: path
        required: true
      content:
        description:
          - The exact content, written as UTF-8 (no newline is added). Render a template with
            C(lookup('ansible.builtin.template', 'x.j2', convert_data=False)).
        type: str
        required: true
      mode:
        description: An octal string of 3 or 4 digits (C("0644")); a YAML number is refused.
        type: raw
        required: true
      owner:
        description: A user name or uid; null leaves the owner as it is (a new file gets the module's user).
        type: str
      group:
        description: A group name or gid; null leaves the group as it is.
        type: str
      validate:
        description:
          - A command run on a temporary file that holds the new content (in the file's directory,
            with the wanted mode), before it replaces the file, as M(ansible.builtin.template)'s
            C(validate). It is split like a shell command line (no shell runs it) and C(%s) in it
            is replaced by the temporary file's path (C(%%) is a literal C(%)); C(%s) is required.
          - A non-zero exit fails the task with the command's output, and the file is left as it
            was. Files earlier in the list stay written.
          - Runs only when the content changes, and not in check mode.
        type: str
  checksums_of:
    description:
      - Paths whose SHA-256 is returned in RV(checksums) (null for a missing file), read after the
        files are written, so that a managed file can be compared with one the task does not
        manage (a staged configuration with the live one).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
    description:
      - Reads everything, reports what would change, writes nothing and runs no O(files[].validate).
      - RV(checksums) are of what would be there (the new content's for a managed file).
  diff_mode:
    support: full
    description:
      - One before/after text diff for each file whose content changes (a binary file is reported,
        not shown), one entry for each directory made, and the file module's mode/owner/group
        diff for each path whose attributes change.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
notes:
  - Writing under system directories needs root (C(become)); owners and groups are looked up
    before anything is changed, so an unknown name fails the task with nothing done.
  - Bad input fails naming the list, the index and the field (C(files[2].mode '755x' ...)).
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
  - module: ansible.builtin.stat
"""

EXAMPLES = r"""
- name: Helpers, directories and a validated file in one round trip
  deploy_pod.pod.managed_files:
    directories:
      - {path: /usr/local/lib/deploy-pod, mode: "0755", owner: root, group: root}
      - {path: /var/lib/deploy-pod/mgmt-network, mode: "0700", owner: root, group: root}
    files:
      - path: /usr/local/lib/deploy-pod/netplan-validate
        content: "{{ lookup('ansible.builtin.template', 'netplan-validate.j2', convert_data=False) }}"
        mode: "0755"
      - path: /var/lib/deploy-pod/mgmt-network/60-mgmt.yaml
        content: "{{ lookup('ansible.builtin.template', 'netplan.yaml.j2', convert_data=False) }}"
        mode: "0600"
        validate: /usr/local/lib/deploy-pod/netplan-validate %s
    checksums_of:
      - /etc/netplan/60-mgmt.yaml
  register: mgmt_files

- name: The staged file differs from the live one
  ansible.builtin.debug:
    msg: netplan must be applied
  when: >-
    mgmt_files.checksums['/var/lib/deploy-pod/mgmt-network/60-mgmt.yaml']
    != mgmt_files.checksums['/etc/netplan/60-mgmt.yaml']

- name: One file, instead of a template task
  deploy_pod.pod.managed_files:
    files:
      - path: /etc/chrony/chrony.conf
        content: "{{ lookup('ansible.builtin.template', 'chrony.conf.j2', convert_data=False) }}"
        mode: "0644"
        owner: root
        group: root
  notify: Restart chrony
"""

RETURN = r"""
directories_changed:
  description: The directories made (parents included, top-down) or whose mode, owner or group was fixed.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/deploy-pod, /var/lib/deploy-pod/mgmt-network]
files_changed:
  description: The files (as given in O(files)) whose content was written, new files included.
  returned: always
  type: list
  elements: str
  sample: [/etc/chrony/chrony.conf]
attributes_changed:
  description: The paths of O(directories) and O(files) whose mode, owner or group only was fixed.
  returned: always
  type: list
  elements: str
  sample: [/usr/local/lib/deploy-pod/netplan-validate]
checksums:
  description:
    - SHA-256 (hex) of every file of O(files) (its new content) and every path of O(checksums_of)
      (null when missing), keyed by the path as given.
  returned: always
  type: dict
  sample:
    /etc/netplan/60-mgmt.yaml: null
    /var/lib/deploy-pod/mgmt-network/60-mgmt.yaml: 3f1b6cf3e6d0aa9cc2b8b1e0f9d4c5a7e2b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3
"""

import grp
import hashlib
import os
import pwd
import shlex
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.managed_files import (
    ManagedFilesInputError,
    attribute_changes,
    attribute_diff,
    check_input,
    content_diff,
    created_dir_diff,
    missing_dirs,
    sha256_hex,
    validate_argv,
)

ENTRY_SPEC = {
    "path": {"type": "path", "required": True},
    "mode": {"type": "raw", "required": True},
    "owner": {"type": "str"},
    "group": {"type": "str"},
}


class Run:
    """One call: the result built as the entries are handled, so a failure midway reports what
    was already done."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.check = module.check_mode
        self.result = {"changed": False, "directories_changed": [], "files_changed": [],
                       "attributes_changed": [], "checksums": {}}
        self.diffs: list[dict] = []
        self.planned_dirs: set[str] = set()  # check mode: made earlier in this call, on paper
        self.planned_sums: dict[str, str] = {}  # real path -> sha256 of a managed file's new content

    def done(self) -> dict:
        r = self.result
        r["changed"] = bool(r["directories_changed"] or r["files_changed"] or r["attributes_changed"])
        if self.module._diff:
            r["diff"] = self.diffs
        return r

    def fail(self, msg: str, **extra) -> None:
        self.module.fail_json(msg=msg, **{**self.done(), **extra})

    # ------------------------------------------------------------ reading

    def kind(self, path: str) -> str:
        if path in self.planned_dirs or os.path.isdir(path):
            return "dir"
        return "other" if os.path.lexists(path) else "missing"

    def missing(self, path: str, where: str) -> list[str]:
        try:
            return missing_dirs(path, self.kind)
        except ManagedFilesInputError as exc:
            self.fail(f"{where}: {exc}")
        return []  # not reached

    # ------------------------------------------------------------ acting

    def set_attributes(self, path: str, mode: int, uid: int | None, gid: int | None) -> None:
        # owner and group before mode: a chown clears the setuid and setgid bits
        self.module.set_owner_if_different(path, uid, False, expand=False)
        self.module.set_group_if_different(path, gid, False, expand=False)
        self.module.set_mode_if_different(path, mode, False, expand=False)

    def make_dirs(self, paths: list[str], mode: int, uid: int | None, gid: int | None) -> None:
        for path in paths:
            self.result["directories_changed"].append(path)
            self.diffs.append(created_dir_diff(path))
            if self.check:
                self.planned_dirs.add(path)
                continue
            try:
                os.mkdir(path, mode & 0o777)  # the umask only narrows it until set_attributes
            except OSError as exc:
                self.fail(f"cannot make directory {path}: {exc.strerror or exc}")
            self.set_attributes(path, mode, uid, gid)

    def directory(self, entry: dict, where: str) -> None:
        path = os.path.normpath(entry["path"])
        if path in self.planned_dirs:
            return
        missing = self.missing(path, f"{where}.path")
        if missing:
            self.make_dirs(missing, entry["mode"], entry["uid"], entry["gid"])
            return
        real = os.path.realpath(path)
        st = os.stat(real)
        changes = attribute_changes({"mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid},
                                    entry["mode"], entry["uid"], entry["gid"])
        if not changes:
            return
        if path not in self.result["directories_changed"]:  # not made earlier in this call
            self.result["directories_changed"].append(entry["path"])
            self.result["attributes_changed"].append(entry["path"])
        self.diffs.append(attribute_diff(entry["path"], changes))
        if not self.check:
            self.set_attributes(real, entry["mode"], entry["uid"], entry["gid"])

    def file(self, entry: dict, where: str) -> None:
        path, data = entry["path"], entry["content"]
        real = os.path.realpath(path)
        self.make_dirs(self.missing(os.path.dirname(real), f"{where}.path"), 0o755, None, None)
        if self.kind(real) == "dir":
            self.fail(f"{where}.path {path!r} is a directory")
        try:
            with open(real, "rb") as fh:
                st = os.fstat(fh.fileno())
                old = fh.read()
        except FileNotFoundError:
            st = old = None
        except OSError as exc:
            self.fail(f"{where}.path: cannot read {path}: {exc.strerror or exc}")

        sha = sha256_hex(data)
        self.planned_sums[real] = sha
        self.result["checksums"][path] = sha
        rewrite = old != data
        changes = {} if st is None else attribute_changes(
            {"mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid},
            entry["mode"], entry["uid"], entry["gid"])
        if rewrite:
            self.result["files_changed"].append(path)
            self.diffs.append(content_diff(path, old, data))
        elif changes:
            self.result["attributes_changed"].append(path)
        if changes:
            self.diffs.append(attribute_diff(path, changes))
        if self.check:
            return
        if rewrite:
            self.write(entry, real, st, where)
        elif changes:
            self.set_attributes(real, entry["mode"], entry["uid"], entry["gid"])

    def write(self, entry: dict, real: str, st, where: str) -> None:
        module, mode = self.module, entry["mode"]
        # the name ends like the file's, for a validator that looks at the extension
        fd, tmp = tempfile.mkstemp(prefix=".managed_files.", suffix="." + os.path.basename(real)[-64:],
                                   dir=os.path.dirname(real))
        context = None
        try:
            if st is not None and module.selinux_enabled():
                context = module.selinux_context(real)
            with os.fdopen(fd, "wb") as fh:
                fh.write(entry["content"])
            if st is not None:
                # what atomic_move's keep_dest_attrs would keep (owner, ACLs, xattrs), but with the
                # wanted mode before the rename rather than the old one until a later chmod
                try:
                    shutil.copystat(real, tmp)
                    os.utime(tmp)
                    os.chown(tmp, st.st_uid if entry["uid"] is None else entry["uid"],
                             st.st_gid if entry["gid"] is None else entry["gid"])
                except PermissionError:
                    pass  # not root: set_attributes below fails when a wanted owner matters
            os.chmod(tmp, mode)  # after the chown, which clears setuid/setgid
            if entry["validate"]:
                argv = validate_argv(entry["validate"], tmp)
                rc, out, err = module.run_command(argv)
                if rc != 0:
                    # the result says what is there: the old file, not the refused content
                    self.result["files_changed"].remove(entry["path"])
                    self.result["checksums"].pop(entry["path"])
                    detail = (err or out).strip() or "no output"
                    self.fail(f"{where}.validate failed, {entry['path']} not written: {shlex.join(argv)} "
                              f"exited {rc}: {detail}", rc=rc, stdout=out, stderr=err)
            # atomic_move gives a file it creates 0666 & ~umask after the rename: a umask of ~mode
            # keeps that within the wanted mode until set_attributes
            umask = os.umask(0o777 & ~mode) if st is None else None
            try:
                module.atomic_move(tmp, real, keep_dest_attrs=False)
            except Exception as exc:  # atomic_move raises a bare Exception
                self.fail(f"{where}: cannot write {entry['path']}: {exc}")
            finally:
                if umask is not None:
                    os.umask(umask)
        except OSError as exc:
            self.fail(f"{where}: cannot write {entry['path']}: {exc.strerror or exc}")
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        if context is not None:
            module.set_context_if_different(real, context, False)
        self.set_attributes(real, mode, entry["uid"], entry["gid"])

    def checksum_of(self, path: str, where: str) -> str | None:
        real = os.path.realpath(path)
        if self.check and real in self.planned_sums:
            return self.planned_sums[real]
        digest = hashlib.sha256()
        try:
            with open(real, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.fail(f"{where}: cannot read {path}: {exc.strerror or exc}")
        return digest.hexdigest()


def lookup_id(module: AnsibleModule, name: str | None, where: str, group: bool) -> int | None:
    """A name or number as a uid/gid, looked up before anything changes."""
    if name is None:
        return None
    if name.isdigit():
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid if group else pwd.getpwnam(name).pw_uid
    except KeyError:
        module.fail_json(msg=f"{where} {name!r}: no such {'group' if group else 'user'} on this host")
    return None  # not reached


def main():
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": [], "options": ENTRY_SPEC},
            "files": {"type": "list", "elements": "dict", "default": [], "options": {
                **ENTRY_SPEC,
                "content": {"type": "str", "required": True},
                "validate": {"type": "str"},
            }},
            "checksums_of": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        directories, files, checksums_of = check_input(p["directories"], p["files"], p["checksums_of"])
    except ManagedFilesInputError as exc:
        module.fail_json(msg=str(exc))
    for name, entries in (("directories", directories), ("files", files)):
        for index, entry in enumerate(entries):
            entry["uid"] = lookup_id(module, entry["owner"], f"{name}[{index}].owner", False)
            entry["gid"] = lookup_id(module, entry["group"], f"{name}[{index}].group", True)

    run = Run(module)
    for index, entry in enumerate(directories):
        run.directory(entry, f"directories[{index}]")
    for index, entry in enumerate(files):
        run.file(entry, f"files[{index}]")
    for index, path in enumerate(checksums_of):
        run.result["checksums"][path] = run.checksum_of(path, f"checksums_of[{index}]")
    module.exit_json(**run.done())


if __name__ == "__main__":
    main()
