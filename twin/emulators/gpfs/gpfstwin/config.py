"""mmchconfig / mmlsconfig: configuration attributes, cluster-wide or per node / node class."""

import sys

from . import state, yfmt
from .args import parse
from .common import alive_nodes, failed, require_cluster, resolve_nodes
from .errors import MMError, UsageError

# attributes the twin accepts; anything else is refused like an unknown attribute
KNOWN = {
    "autoload", "pagepool", "maxMBpS", "workerThreads", "maxFilesToCache", "maxStatCache",
    "maxblocksize", "ignorePrefetchLUNCount", "numaMemoryInterleave", "verbsRdma", "verbsPorts",
    "verbsRdmaSend", "verbsRdmaCm", "verbsGPUDirectStorage", "minReleaseLevel", "nsdRAIDTracks",
    "nsdRAIDBufferPoolSizePct", "nsdbufspace", "nsdMaxWorkerThreads", "nsdMinWorkerThreads",
    "nsdMultiQueue", "nsdThreadsPerQueue", "nsdSmallThreadRatio", "prefetchPct", "prefetchThreads",
    "maxReceiverThreads", "maxInodeDeallocPrefetch", "readReplicaPolicy", "tiebreakerDisks",
    "unmountOnDiskFail", "adminMode", "cipherList", "maxTcpConnsPerNodeConn", "socketMaxListenConnections",
    "idleSocketTimeout", "failureDetectionTime", "leaseRecoveryWait", "minMissedPingTimeout",
    "maxMissedPingTimeout", "sharedTmpDir", "dmapiFileHandleSize", "tscCmdAllowRemoteConnections",
    "sdrNotifyAuthEnabled", "ccrEnabled", "nsdRAIDSmallThreadRatio", "nspdQueues",
    "panicOnIOHang", "pagepoolMaxPhysMemPct", "maxAllocRegionsPerNode", "enforceFilesetQuotaOnRoot",
    "verbsRdmasPerNode", "verbsRdmasPerConnection", "verbsSendBufferMemoryMB", "scatterBuffers",
    "nsdClientCksumTypeLocal", "nsdClientCksumTypeRemote", "proactiveReconnect",
}
# set by mmcrcluster, not by mmchconfig
READ_ONLY = {"clusterName", "clusterId", "ccrEnabled"}
# take effect at once with -i/-I; everything else waits for the daemon's next start
IMMEDIATE = {"autoload", "pagepool", "maxMBpS", "ignorePrefetchLUNCount", "readReplicaPolicy",
             "unmountOnDiskFail", "adminMode", "failureDetectionTime", "panicOnIOHang",
             "minReleaseLevel", "sharedTmpDir", "proactiveReconnect", "tiebreakerDisks"}
# may only change while GPFS is down on every node
ALL_DOWN = {"maxblocksize"}


def parse_assignments(text: str, usage: str) -> list[tuple[str, str]]:
    out = []
    for part in text.split(","):
        if "=" not in part:
            # a value with commas (verbsPorts lists use blanks, tiebreakerDisks ';')
            if out and part:
                out[-1] = (out[-1][0], out[-1][1] + "," + part)
                continue
            raise UsageError(f"mmchconfig: Incorrect attribute specification: {part}", usage)
        key, val = part.split("=", 1)
        out.append((key.strip(), val.strip()))
    return out


def canonical(attr: str) -> str | None:
    for k in KNOWN | READ_ONLY:
        if k.lower() == attr.lower():
            return k
    return None


def mmchconfig(argv: list[str]) -> int:
    usage = ("mmchconfig Attribute=value[,Attribute=value...] [-i | -I] "
             "[-N {Node[,Node...] | NodeFile | NodeClass}]")
    opts, pos = parse(argv, {"-N"}, {"-i", "-I", "--force"}, usage, "mmchconfig")
    if len(pos) != 1:
        raise UsageError("mmchconfig: Missing arguments.", usage)
    pairs = parse_assignments(pos[0], usage)
    with state.transaction() as st:
        require_cluster(st, "mmchconfig")
        scope = ""
        if "-N" in opts:
            spec = opts["-N"]
            resolve_nodes(st, spec, "mmchconfig")  # fails on unknown nodes / classes
            scope = spec if spec in st["nodeclasses"] else ",".join(
                resolve_nodes(st, spec, "mmchconfig"))
            if spec.lower() == "all":
                scope = ""
        alive = alive_nodes(st)
        restart = []
        for attr, value in pairs:
            name = canonical(attr)
            if name is None:
                raise MMError(f"mmchconfig: Unknown attribute: {attr}", extra=failed("mmchconfig"))
            if name in READ_ONLY:
                raise MMError(f"mmchconfig: Attribute {name} cannot be changed with mmchconfig.",
                              extra=failed("mmchconfig"))
            if (opts.get("-i") or opts.get("-I")) and name not in IMMEDIATE:
                raise MMError(f"mmchconfig: The -i and -I options are not allowed for attribute {name}.",
                              extra=failed("mmchconfig"))
            if name in ALL_DOWN and alive:
                raise MMError(f"mmchconfig: GPFS must be shut down on all nodes to change {name}.",
                              extra=failed("mmchconfig"))
            set_value(st["config"], name, value, scope)
            if name not in IMMEDIATE and alive:
                restart.append(name)
        if restart:
            print(f"mmchconfig: Attention: the new value of {', '.join(restart)} takes effect when "
                  "GPFS is restarted on the affected nodes.", file=sys.stderr)
    print("mmchconfig: Command successfully completed", file=sys.stderr)
    return 0


def set_value(config: list[dict], attr: str, value: str, scope: str) -> None:
    """Replace the attribute's entry for this scope; DEFAULT drops it (back to the built-in)."""
    for i, c in enumerate(config):
        if c["attr"] == attr and c["scope"] == scope:
            if value.upper() == "DEFAULT":
                del config[i]
            else:
                c["value"] = value
            return
    if value.upper() != "DEFAULT":
        config.append({"attr": attr, "value": value, "scope": scope})


def mmlsconfig(argv: list[str]) -> int:
    usage = "mmlsconfig [Attribute[,Attribute...]] [-Y]"
    opts, pos = parse(argv, set(), {"-Y"}, usage, "mmlsconfig")
    st = state.load()
    cl = require_cluster(st, "mmlsconfig")
    entries = st["config"]
    if pos:
        wanted = [canonical(a) or a for p in pos for a in p.split(",")]
        entries = [c for c in entries if c["attr"] in wanted]
        missing = [a for a in wanted if not any(c["attr"] == a for c in entries)]
        if missing and not entries:
            raise MMError(f"mmlsconfig: No value for attribute {missing[0]} was found.",
                          extra=failed("mmlsconfig"))
    if opts.get("-Y"):
        # fields as in tests/fixtures/mmlsconfig_Y.1.txt
        print("\n".join(yfmt.table("mmlsconfig", "", ["configParameter", "value", "nodeList"],
                                   [[c["attr"], c["value"], c["scope"]] for c in entries])))
        return 0
    if pos:
        for c in entries:
            print(f"{c['attr']} {c['value']}" + (f" [{c['scope']}]" if c["scope"] else ""))
        return 0
    # plain layout from IBM's documentation examples (no captured sample in fixtures)
    title = f"Configuration data for cluster {cl['name']}:"
    lines = [title, "-" * len(title)]
    scope = ""
    for c in entries:
        if c["scope"] != scope:
            lines.append(f"[{c['scope'] or 'common'}]")
            scope = c["scope"]
        lines.append(f"{c['attr']} {c['value']}")
    fs_title = f"File systems in cluster {cl['name']}:"
    lines += ["", fs_title, "-" * len(fs_title)]
    lines += [f"/dev/{fs}" for fs in sorted(st["filesystems"])] or ["(none)"]
    print("\n".join(lines))
    return 0
