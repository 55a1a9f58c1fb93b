"""Emulated IBM Storage Scale (GPFS) admin commands for the deploy-pod digital twin.

Stdlib only: this package runs inside the twin's Debian containers, installed by the
gpfs.* twin packages under /usr/lpp/mmfs/lib/twin/ and reached through symlinks in
/usr/lpp/mmfs/bin/ (see mm.py, which dispatches on the name it was called by).

Environment overrides (tests only need them; containers use the defaults):
  DEPLOY_POD_TWIN_SHARED     cluster-wide state dir   (/var/lib/deploy-pod-twin/cluster)
  DEPLOY_POD_TWIN_NODE_ROOT  node-local state dir     (/var/mmfs)
  DEPLOY_POD_TWIN_NODE       this node's name         (short hostname)
  DEPLOY_POD_TWIN_HARDWARE   this host's hardware     (/etc/deploy-pod-twin/hardware.json)
  DEPLOY_POD_TWIN_SYSROOT    prefix for /lib/modules, /usr/lpp/mmfs/src and mount points (/)
  DEPLOY_POD_TWIN_MOUNT_MODE "symlink" replaces the bind mount by a symlink; unit tests only,
                             refused unless DEPLOY_POD_TWIN_SYSROOT is set too.
  DEPLOY_POD_TWIN_HEARTBEAT  seconds between daemon heartbeats (2); a node is 'down' once its
                             heartbeat is older than 5x this (10 s by default).

hardware.json fields read (all optional, missing ones get defaults):
  host (str), role ("ess"|"dgx"|"nsd"), hw_model (str), ip (str, admin/daemon address),
  memory_gib (int, default 64),
  disks: [{device (str), size_gib (int), gpfs_descriptor (bool: disk already holds a GPFS
          descriptor, so mmcrnsd refuses it without -v no)}],
  ib: {verbs_ports: ["mlx5_0/1", ...]}.
Every mm command publishes this node's hardware into <shared>/hardware/<node>.json so that
commands run elsewhere (mmcrnsd naming this node as NSD server) can check its disks;
`deploy-pod sim up` may pre-seed those files too.
"""

VERSION = "5.2.1.0"
