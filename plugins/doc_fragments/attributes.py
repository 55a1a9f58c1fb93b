# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""The module attributes every deploy_pod.pod module shares, and the usual variants.

Every module lists C(deploy_pod.pod.attributes) (check mode supported, no diff, POSIX hosts) and
adds what applies: C(.read_only) for modules that only read state, C(.facts) for those that set
ansible_facts. A module overrides only what is its own (a check_mode or diff_mode description,
diff_mode full): Ansible merges the module's keys over the fragment's.
"""

from __future__ import annotations


class ModuleDocFragment:
    # the default: check mode supported, no diff, any POSIX host
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

    # reads state only (facts and check modules)
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Reads state only; runs the same in check mode.
"""

    # sets ansible_facts
    FACTS = r"""
attributes:
  facts:
    support: full
"""
