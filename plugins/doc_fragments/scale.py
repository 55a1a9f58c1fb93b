# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""What every cluster-wide Spectrum Scale module of deploy_pod.pod shares in its documentation."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: posix
requirements:
  - Spectrum Scale installed on the node the module runs on (C(/usr/lpp/mmfs/bin))
notes:
  - It acts on the whole cluster - run it on one cluster node (C(run_once), delegated to the primary).
  - It returns C(commands) (the mm commands it ran, or in check mode would run), C(mm_calls) (every mm
    command, reads included) and C(mm_node) (where it ran).
  - A failing mm command fails the module with the node, the command and IBM's own message.
"""
