#!/usr/bin/python
# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
# ruff: noqa: E402  (Ansible convention: imports follow DOCUMENTATION, EXAMPLES and RETURN)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: limits_conf
short_description: Keep many pam_limits entries in one limits.d file
description:
  - Writes every entry of O(entries) to one limits.d drop-in in one task, instead of one
    M(community.general.pam_limits) call per entry, so a converged run costs one round trip.
  - Reads the file once; an entry whose (domain, type, item) has a line gets that line's value
    replaced in place (its separators and a trailing comment kept), missing entries are appended
    in the order given, other lines are left alone. The file is written atomically and only when
    it changes.
  - A (domain, type, item) with several lines is kept once, where its last line was (pam_limits
    applies the last one).
  - Only new login sessions read the file; running processes keep their limits.
version_added: "0.1.0"
author:
  - deploy-pod developers
options:
  path:
    description:
      - The limits.d drop-in the task owns, such as C(/etc/security/limits.d/90-deploy-pod.conf).
      - Created with its directory when missing (mode 0644). A symbolic link is followed.
    type: path
    required: true
  entries:
    description:
      - The entries, each one line C(DOMAIN TYPE ITEM VALUE) of limits.conf(5).
      - Two entries for the same (domain, type, item) are refused.
    type: list
    elements: dict
    required: true
    suboptions:
      domain:
        description: A user name, C(@group), C(%group), a uid/gid range or C(*) (which does not cover root).
        type: str
        required: true
      limit_type:
        description: C(soft), C(hard), or C(-) for both.
        type: str
        required: true
        choices: [soft, hard, "-"]
      limit_item:
        description: The resource.
        type: str
        required: true
        choices: [core, data, fsize, memlock, nofile, rss, stack, cpu, nproc, as, maxlogins, maxsyslogins,
                  nonewprivs, priority, locks, sigpending, msgqueue, nice, rtprio, chroot]
      value:
        description:
          - An integer (given as a string or a number), C(unlimited) or C(infinity); a directory for
            C(chroot).
        type: raw
        required: true
  comment:
    description:
      - Written as a C(#) comment line at the top of the file when the task creates it.
      - An empty string writes no comment.
    type: str
    default: deploy-pod base_os
attributes:
  check_mode:
    support: full
    description: Reads the file, reports what would change, writes nothing.
  diff_mode:
    support: full
    description: The file before and after.
extends_documentation_fragment:
  - deploy_pod.pod.attributes
notes:
  - Writing under C(/etc/security) needs root (C(become)).
seealso:
  - module: community.general.pam_limits
"""

EXAMPLES = r"""
- name: Let RDMA pin memory and jobs open many files
  deploy_pod.pod.limits_conf:
    path: /etc/security/limits.d/90-deploy-pod.conf
    entries:
      - {domain: "*", limit_type: soft, limit_item: memlock, value: unlimited}
      - {domain: "*", limit_type: hard, limit_item: memlock, value: unlimited}
      - {domain: root, limit_type: soft, limit_item: memlock, value: unlimited}
      - {domain: root, limit_type: hard, limit_item: memlock, value: unlimited}
      - {domain: "*", limit_type: soft, limit_item: nofile, value: 14096}
"""

RETURN = r"""
entries_changed:
  description: The entries added or changed (in check mode, that would be), as C(DOMAIN TYPE ITEM VALUE).
  returned: always
  type: list
  elements: str
  sample: ["* soft nofile 14096"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.deploy_pod.pod.plugins.module_utils.limits_conf import (
    LIMIT_ITEMS,
    LIMIT_TYPES,
    LimitsInputError,
    check_entries,
    plan_file,
)
from ansible_collections.deploy_pod.pod.plugins.module_utils.textfile import read_text, write_text


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "entries": {"type": "list", "elements": "dict", "required": True, "options": {
                "domain": {"type": "str", "required": True},
                "limit_type": {"type": "str", "required": True, "choices": list(LIMIT_TYPES)},
                "limit_item": {"type": "str", "required": True, "choices": list(LIMIT_ITEMS)},
                "value": {"type": "raw", "required": True},
            }},
            "comment": {"type": "str", "default": "deploy-pod base_os"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        entries = check_entries(p["entries"])
    except LimitsInputError as exc:
        module.fail_json(msg=str(exc))
    path = os.path.realpath(p["path"])  # keep a symbolic link a link

    before = read_text(path)
    after, changed = plan_file(before, entries, p["comment"])
    file_change = after != before
    result = {"changed": file_change, "entries_changed": changed}
    if module._diff:
        result["diff"] = {"before_header": path if before is not None else f"{path} (absent)",
                          "after_header": path, "before": before or "", "after": after or ""}
    if file_change and not module.check_mode:
        write_text(module, path, after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
