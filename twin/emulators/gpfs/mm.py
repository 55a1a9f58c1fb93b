#!/usr/bin/env python3
"""Entry point of the emulated Storage Scale commands: dispatches on the name it is called by.

/usr/lpp/mmfs/bin/mmcrcluster etc. are symlinks to this file; `mm.py COMMAND ARGS` works too.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from gpfstwin import cluster, config, daemon, diag, env, fs, health, hw, mount, nsd, qos, state, vdisk  # noqa: E402
from gpfstwin.common import local_node  # noqa: E402
from gpfstwin.errors import MMError  # noqa: E402

COMMANDS = {
    "mmcrcluster": cluster.mmcrcluster, "mmaddnode": cluster.mmaddnode, "mmdelnode": cluster.mmdelnode,
    "mmchnode": cluster.mmchnode, "mmchlicense": cluster.mmchlicense, "mmlslicense": cluster.mmlslicense,
    "mmstartup": cluster.mmstartup,
    "mmshutdown": cluster.mmshutdown, "mmgetstate": cluster.mmgetstate, "mmlscluster": cluster.mmlscluster,
    "mmcrnodeclass": cluster.mmcrnodeclass, "mmchnodeclass": cluster.mmchnodeclass,
    "mmdelnodeclass": cluster.mmdelnodeclass, "mmlsnodeclass": cluster.mmlsnodeclass,
    "mmbuildgpl": cluster.mmbuildgpl,
    "mmchconfig": config.mmchconfig, "mmlsconfig": config.mmlsconfig,
    "mmcrnsd": nsd.mmcrnsd, "mmlsnsd": nsd.mmlsnsd, "mmdelnsd": nsd.mmdelnsd, "mmchnsd": nsd.mmchnsd,
    "mmcrfs": fs.mmcrfs, "mmchfs": fs.mmchfs, "mmlsfs": fs.mmlsfs, "mmadddisk": fs.mmadddisk,
    "mmlsdisk": fs.mmlsdisk, "mmchdisk": fs.mmchdisk, "mmdf": fs.mmdf, "mmrestripefs": fs.mmrestripefs,
    "mmmount": mount.mmmount, "mmumount": mount.mmumount, "mmlsmount": mount.mmlsmount,
    "mmchqos": qos.mmchqos, "mmlsqos": qos.mmlsqos,
    "mmhealth": health.mmhealth, "mmvdisk": vdisk.mmvdisk, "mmdiag": diag.mmdiag, "mmpmon": diag.mmpmon,
}


def sync_node_local() -> None:
    """Keep /var/mmfs/gen/mmsdrfs in step with the shared state: it marks cluster membership
    on the node itself, as the real mmsdrfs does; publish this host's hardware for peers."""
    st = state.load()
    me = local_node(st)
    path = os.path.join(env.node_root(), "gen", "mmsdrfs")
    if st["cluster"] and me:
        cl = st["cluster"]
        text = f"%%home%%:10_SG_HEADR:{cl['name']}:{cl['id']}:{me}:\n"
        try:
            with open(path) as f:
                if f.read() == text:
                    text = None
        except FileNotFoundError:
            pass
        if text:
            state.atomic_write(path, text)
    elif os.path.exists(path):
        os.unlink(path)
    local = hw.load_local()
    state.publish_hardware(env.node_name(), local)


def main(argv: list[str]) -> int:
    name = os.path.basename(argv[0])
    args = argv[1:]
    if name in ("mm.py", "mm"):
        if not args:
            print("usage: mm.py COMMAND [ARGS...]", file=sys.stderr)
            return 2
        name, args = args[0], args[1:]
    if name == "mmfsd":
        return daemon.run()
    func = COMMANDS.get(name)
    if func is None:
        print(f"{name}: not emulated by the deploy-pod twin", file=sys.stderr)
        return 127
    try:
        sync_node_local()
        rc = func(args)
        sync_node_local()
        return rc
    except MMError as e:
        print(e.message, file=sys.stderr)
        for line in e.extra:
            print(line, file=sys.stderr)
        return e.rc
    except OSError as e:
        print(f"{name}: {e}", file=sys.stderr)
        print(f"{name}: 6027-1639 Command failed. Examine previous error messages to determine cause.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
