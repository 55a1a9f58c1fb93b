"""File systems: mmcrfs, mmchfs, mmlsfs, mmadddisk, mmlsdisk, mmchdisk, mmdf, mmrestripefs."""

import contextlib
import os
import sys
import time

from . import mount, state, yfmt
from .args import parse
from .common import alive_nodes, failed, local_node, require_cluster, require_quorum
from .errors import MMError, UsageError
from .nsd import parse_stanzas

DEFAULT_MAXBLOCKSIZE = 4 * 1024**2  # Storage Scale 5.x default
FS_VERSION = "35.00 (5.2.1.0)"


def parse_size(text: str) -> int:
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if t and t[-1] in mult:
        return int(float(t[:-1]) * mult[t[-1]])
    return int(t)


def size_text(n: int) -> str:
    for unit, m in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if n % m == 0:
            return f"{n // m}{unit}"
    return str(n)


def maxblocksize(st: dict) -> int:
    for c in st["config"]:
        if c["attr"] == "maxblocksize" and c["scope"] == "":
            return parse_size(c["value"])
    return DEFAULT_MAXBLOCKSIZE


def fs_name(dev: str) -> str:
    return dev.removeprefix("/dev/")


def get_fs(st: dict, dev: str, command: str) -> dict:
    rec = st["filesystems"].get(fs_name(dev))
    if rec is None:
        raise MMError(f"{command}: File system {fs_name(dev)} is not known to the GPFS cluster.",
                      extra=failed(command))
    return rec


def _disk_list(opts: dict, pos: list[str], command: str) -> list[dict]:
    """NSDs named by -F stanza file (%nsd: nsd=...) or by a "nsd1;nsd2" descriptor list."""
    if "-F" in opts:
        return [s for s in parse_stanzas(opts["-F"]) if s.get("nsd")]
    if pos:
        return [{"nsd": d.split(":")[0]} for d in pos[0].split(";") if d]
    raise UsageError(f"{command}: No disks were specified.", "")


def _claim_disks(st: dict, fs: str, disks: list[dict], command: str) -> list[str]:
    names = []
    for d in disks:
        rec = st["nsds"].get(d["nsd"])
        if rec is None:
            raise MMError(f"{command}: Disk {d['nsd']} is not an NSD. Create it with mmcrnsd first.",
                          extra=failed(command))
        if rec["fs"]:
            raise MMError(f"{command}: Disk {d['nsd']} is already in use by file system {rec['fs']}.",
                          extra=failed(command))
        for key, field in (("usage", "usage"), ("failureGroup", "failure_group"), ("pool", "pool")):
            if key in d:
                rec[field] = d[key]
        rec["fs"] = fs
        names.append(d["nsd"])
    return names


def mmcrfs(argv: list[str]) -> int:
    usage = ('mmcrfs Device {"DiskDesc[;DiskDesc...]" | -F StanzaFile} [-A {yes | no | automount}] '
             "[-B BlockSize] [-j {cluster | scatter}] [-m DefaultMetadataReplicas] "
             "[-M MaxMetadataReplicas] [-n NumNodes] [-r DefaultDataReplicas] [-R MaxDataReplicas] "
             "[-T MountPoint] [-v {yes | no}] [--inode-limit MaxNumInodes] ...")
    opts, pos = parse(argv, {"-F", "-A", "-B", "-j", "-m", "-M", "-n", "-r", "-R", "-T", "-v", "-i", "-k",
                             "-L", "-E", "-S", "-t", "-z", "--inode-limit", "--metadata-block-size",
                             "--version", "--filesetdf", "-Q"},
                      {"--nofilesetdf", "--perfileset-quota", "--noperfileset-quota", "-D"}, usage, "mmcrfs")
    if not pos:
        raise UsageError("mmcrfs: Missing argument Device.", usage)
    name = fs_name(pos[0])
    if opts.get("-A", "yes") not in AUTOMOUNT:
        raise UsageError(f"mmcrfs: Incorrect value for -A option: {opts['-A']}", usage)
    bs = parse_size(opts.get("-B", "4M"))
    if bs < 64 * 1024 or bs > 16 * 1024**2 or bs & (bs - 1):
        raise MMError(f"mmcrfs: Incorrect block size {opts.get('-B')}.", extra=failed("mmcrfs"))
    with state.transaction() as st:
        require_cluster(st, "mmcrfs")
        require_quorum(st, "mmcrfs")
        if name in st["filesystems"]:
            raise MMError(f"mmcrfs: File system {name} already exists.", extra=failed("mmcrfs"))
        if bs > maxblocksize(st):
            raise MMError(f"mmcrfs: The specified block size ({size_text(bs)}) exceeds the maximum "
                          f"allowed block size currently in effect ({size_text(maxblocksize(st))}). "
                          "Either specify a smaller value for the -B parameter, or increase the "
                          f"maximum block size by issuing: mmchconfig maxblocksize={size_text(bs)} "
                          "and restarting the GPFS daemon.", extra=failed("mmcrfs"))
        disks = _claim_disks(st, name, _disk_list(opts, pos[1:], "mmcrfs"), "mmcrfs")
        st["filesystems"][name] = new_fs(name, disks, opts, bs)
        me = local_node(st)
    print(f"\nThe following disks of {name} will be formatted on node {me}:")
    snap = state.load()
    for d in disks:
        print(f"    {d}: size {snap['nsds'][d]['size_bytes'] // 1024**2} MB")
    print(f"Formatting file system ...\nCompleted creation of file system /dev/{name}.")
    os.makedirs(mount.source_dir(name), exist_ok=True)
    return 0


def new_fs(name: str, disks: list[str], opts: dict, bs: int) -> dict:
    return {
        "name": name, "disks": disks, "block_size": bs,
        "mount_point": opts.get("-T", f"/gpfs/{name}"),
        "automount": opts.get("-A", "yes"),
        "alloc": opts.get("-j", "cluster"),
        "m": int(opts.get("-m", 1)), "M": int(opts.get("-M", 2)),
        "r": int(opts.get("-r", 1)), "R": int(opts.get("-R", 2)),
        "num_nodes": int(opts.get("-n", 32)), "inode_size": int(opts.get("-i", 4096)),
        "locking": "nfs4", "acl": opts.get("-k", "nfs4"),
        "max_inodes": int(opts.get("--inode-limit", 0) or 0) or 4000000,
        "created": time.strftime("%a %b %d %H:%M:%S %Y"),
        "uid": f"{int(time.time()) & 0xFFFFFFFF:08X}:{os.getpid() & 0xFFFFFFFF:08X}",
    }


AUTOMOUNT = ("yes", "no", "automount")


def mmchfs(argv: list[str]) -> int:
    """The file system record's mount attributes: -A (automatic mount) and -T (default mount point).

    Like the real command these only change the configuration (no daemon needed); -T is refused
    while the file system is mounted anywhere.
    """
    usage = "mmchfs Device [-A {yes | no | automount}] [-T MountPoint] ..."
    opts, pos = parse(argv, {"-A", "-T"}, set(), usage, "mmchfs")
    if len(pos) != 1:
        raise UsageError("mmchfs: Missing argument Device.", usage)
    if not opts:
        raise UsageError("mmchfs: No option was specified.", usage)
    if "-A" in opts and opts["-A"] not in AUTOMOUNT:
        raise UsageError(f"mmchfs: Incorrect value for -A option: {opts['-A']}", usage)
    if "-T" in opts and not opts["-T"].startswith("/"):
        raise MMError(f"mmchfs: Mount point {opts['-T']} is not an absolute path name.",
                      extra=failed("mmchfs"))
    with state.transaction() as st:
        require_cluster(st, "mmchfs")
        rec = get_fs(st, pos[0], "mmchfs")
        if "-T" in opts and opts["-T"] != rec["mount_point"]:
            on = mount.mounted_on(st, rec["name"], alive_nodes(st))
            if on:
                raise MMError(f"mmchfs: File system {rec['name']} is mounted on {len(on)} nodes. "
                              "Unmount it on all nodes before changing its mount point.",
                              extra=failed("mmchfs"))
            if any(o["mount_point"] == opts["-T"] for o in st["filesystems"].values()):
                raise MMError(f"mmchfs: Mount point {opts['-T']} is already used by another file system.",
                              extra=failed("mmchfs"))
            rec["mount_point"] = opts["-T"]
        if "-A" in opts:
            rec["automount"] = opts["-A"]
    print("mmchfs: Propagating the cluster configuration data to all\n"
          "  affected nodes.  This is an asynchronous process.", file=sys.stderr)
    return 0


def mmadddisk(argv: list[str]) -> int:
    usage = 'mmadddisk Device {"DiskDesc[;DiskDesc...]" | -F StanzaFile} [-a] [-r] [-v {yes | no}]'
    opts, pos = parse(argv, {"-F", "-v", "-N"}, {"-a", "-r", "--qos"}, usage, "mmadddisk")
    if not pos:
        raise UsageError("mmadddisk: Missing argument Device.", usage)
    with state.transaction() as st:
        require_cluster(st, "mmadddisk")
        require_quorum(st, "mmadddisk")
        rec = get_fs(st, pos[0], "mmadddisk")
        added = _claim_disks(st, rec["name"], _disk_list(opts, pos[1:], "mmadddisk"), "mmadddisk")
        rec["disks"] += added
    print(f"\nThe following disks of {rec['name']} will be formatted on node {local_node(st)}:")
    for d in added:
        print(f"    {d}")
    print(f"Extending Allocation Map\nCompleted adding disks to file system {rec['name']}.")
    if opts.get("-r"):
        print("Restriping file system ...\nDone")
    return 0


QOS_CLASSES = ("maintenance", "other")


def scan_lines(fs: str, steps: int = 1, seconds: float = 0.0):
    """The scan a restripe, mmchdisk start or mmdeldisk prints, as real captures show it (see
    tests/fixtures/mmrestripefs_b.1.txt): four metadata phases (each line ends in a blank), then
    'Scanning user file metadata ...' and progress lines
    '<%7.2f> % complete on <date>  (<%10d> inodes with total <%10d> MB data processed)'.
    A generator: with steps > 1 the progress comes in that many lines, `seconds` apart in all,
    so a restripe run in the background shows its progress in its log as it goes."""
    for phase in range(1, 5):
        yield f"Scanning file system metadata, phase {phase} ... "
        yield "Scan completed successfully."
    yield "Scanning user file metadata ..."
    files = sum(len(f) for _, _, f in os.walk(mount.source_dir(fs)))
    inodes = 65792 + files  # a new file system already holds the reserved inodes the samples count
    mb = _used_bytes(fs) // 1024**2
    for i in range(1, steps + 1):
        if seconds > 0:
            time.sleep(seconds / steps)
        yield (f"{100.0 * i / steps:7.2f} % complete on {time.strftime('%a %b %d %H:%M:%S %Y')}  "
               f"({inodes * i // steps:>10} inodes with total {mb * i // steps:>10} MB data processed)")
    yield "Scan completed successfully."


def restripe_seconds() -> float:
    """How long the twin's mmrestripefs takes (DEPLOY_POD_TWIN_RESTRIPE_SECONDS, default 4): long
    enough that a rebalance polled from Ansible shows progress, short enough for a rehearsal."""
    try:
        return max(0.0, float(os.environ.get("DEPLOY_POD_TWIN_RESTRIPE_SECONDS", "4")))
    except ValueError:
        return 4.0


def mmrestripefs(argv: list[str]) -> int:
    usage = ("mmrestripefs Device {-m | -r | -b [--strict] | -R | -p | -z} [-N {Node[,Node...] | NodeFile | "
             "NodeClass}] [-o InodeResultFile] [-P PoolName] [--qos QosClass]")
    opts, pos = parse(argv, {"-N", "-P", "-o", "--qos", "--inode-criteria"},
                      {"-b", "-m", "-r", "-R", "-p", "-c", "-z", "--strict", "--metadata-only"}, usage,
                      "mmrestripefs")
    if len(pos) != 1 or not {"-b", "-m", "-r", "-R", "-p", "-c", "-z"} & set(opts):
        raise UsageError("mmrestripefs: Missing arguments.", usage)
    if "--qos" in opts and opts["--qos"] not in QOS_CLASSES:
        raise UsageError(f"mmrestripefs: Incorrect value for --qos option: {opts['--qos']}", usage)
    with state.transaction() as st:
        require_cluster(st, "mmrestripefs")
        require_quorum(st, "mmrestripefs")
        rec = get_fs(st, pos[0], "mmrestripefs")
        name = rec["name"]
    steps = 4 if opts.get("-b") else 1
    for line in scan_lines(name, steps, restripe_seconds() if opts.get("-b") else 0.0):
        print(line, flush=True)
    with state.transaction() as st:
        if name in st["filesystems"]:
            st["filesystems"][name]["last_restripe"] = time.time()
    return 0


def subblock(rec: dict) -> int:
    """Scale 5 file systems split a block into up to 1024 subblocks of at least 8 KiB."""
    return max(rec["block_size"] // 1024, 8192)


def lsfs_rows(rec: dict, st: dict) -> list[tuple[str, str, str, str]]:
    """(flag, -Y field name, value, description) in the order of tests/fixtures/mmlsfs_Y.1.txt."""
    pools = sorted({st["nsds"][d]["pool"] for d in rec["disks"] if d in st["nsds"]}) or ["system"]
    return [
        ("-f", "minFragmentSize", str(subblock(rec)), "Minimum fragment (subblock) size in bytes"),
        ("-i", "inodeSize", str(rec["inode_size"]), "Inode size in bytes"),
        ("-I", "indirectBlockSize", "32768", "Indirect block size in bytes"),
        ("-m", "defaultMetadataReplicas", str(rec["m"]), "Default number of metadata replicas"),
        ("-M", "maxMetadataReplicas", str(rec["M"]), "Maximum number of metadata replicas"),
        ("-r", "defaultDataReplicas", str(rec["r"]), "Default number of data replicas"),
        ("-R", "maxDataReplicas", str(rec["R"]), "Maximum number of data replicas"),
        ("-j", "blockAllocationType", rec["alloc"], "Block allocation type"),
        ("-D", "fileLockingSemantics", rec["locking"], "File locking semantics in effect"),
        ("-k", "ACLSemantics", rec["acl"], "ACL semantics in effect"),
        ("-n", "numNodes", str(rec["num_nodes"]), "Estimated number of nodes that will mount file system"),
        ("-B", "blockSize", str(rec["block_size"]), "Block size"),
        ("-Q", "quotasAccountingEnabled", "none", "Quotas accounting enabled"),
        ("", "quotasEnforced", "none", "Quotas enforced"),
        ("", "defaultQuotasEnabled", "none", "Default quotas enabled"),
        ("--perfileset-quota", "perfilesetQuotas", "No", "Per-fileset quota enforcement"),
        ("--filesetdf", "filesetdfEnabled", "No", "Fileset df enabled?"),
        ("-V", "filesystemVersion", FS_VERSION, "File system version"),
        ("", "filesystemVersionLocal", FS_VERSION, "File system version (local)"),
        ("", "filesystemVersionManager", FS_VERSION, "File system version (manager)"),
        ("", "filesystemVersionOriginal", FS_VERSION, "File system version (original)"),
        ("", "filesystemHighestSupported", FS_VERSION, "Highest supported version"),
        ("--create-time", "create-time", rec["created"], "File system creation time"),
        ("-z", "DMAPIEnabled", "No", "Is DMAPI enabled?"),
        ("-L", "logfileSize", "33554432", "Logfile size"),
        ("-E", "exactMtime", "Yes", "Exact mtime mount option"),
        ("-S", "suppressAtime", "relatime", "Suppress atime mount option"),
        ("-K", "strictReplication", "whenpossible", "Strict replica allocation option"),
        ("--fastea", "fastEAenabled", "Yes", "Fast external attributes enabled?"),
        ("--encryption", "encryption", "No", "Encryption enabled?"),
        ("--inode-limit", "maxNumberOfInodes", str(rec["max_inodes"]), "Maximum number of inodes"),
        ("", "maxSnapshotId", "0", "Maximum snapshot id"),
        ("", "UID", rec["uid"], "File system UID"),
        ("--log-replicas", "logReplicas", "0", "Number of log replicas"),
        ("--is4KAligned", "is4KAligned", "Yes", "is4KAligned"),
        ("--rapid-repair", "rapidRepairEnabled", "Yes", "rapidRepair"),
        ("--write-cache-threshold", "write-cache-threshold", "0", "HAWC Threshold (max 65536)"),
        ("--subblocks-per-full-block", "subblocksPerFullBlock",
         str(rec["block_size"] // subblock(rec)), "Number of subblocks per full block"),
        ("-P", "storagePools", ";".join(pools), "Disk storage pools in file system"),
        ("--file-audit-log", "file-audit-log", "No", "File Audit Logging enabled?"),
        ("--maintenance-mode", "maintenance-mode", "No", "Maintenance Mode enabled?"),
        ("-d", "disks", ";".join(rec["disks"]), "Disks in file system"),
        ("-A", "automaticMountOption", rec["automount"], "Automatic mount option"),
        ("-o", "additionalMountOptions", "none", "Additional mount options"),
        ("-T", "defaultMountPoint", rec["mount_point"], "Default mount point"),
    ]


def mmlsfs(argv: list[str]) -> int:
    usage = "mmlsfs {Device | all | all_local} [-Y] [Attribute ...]"
    opts, pos = parse(argv, set(), {"-Y", "-a", "-d", "-B", "-T", "-A", "-j", "-m", "-M", "-r", "-R",
                                    "-i", "-n", "-V", "-f", "-k"}, usage, "mmlsfs")
    if len(pos) != 1:
        raise UsageError("mmlsfs: Missing argument Device.", usage)
    st = state.load()
    require_cluster(st, "mmlsfs")
    names = sorted(st["filesystems"]) if pos[0] in ("all", "all_local") else [get_fs(st, pos[0], "mmlsfs")["name"]]
    flags = {k for k in opts if k not in ("-Y", "-a")}
    out = []
    if opts.get("-Y"):
        out.append(yfmt.header("mmlsfs", "", ["deviceName", "fieldName", "data", "remarks"]))
    for name in names:
        rows = [r for r in lsfs_rows(st["filesystems"][name], st) if not flags or r[0] in flags]
        if opts.get("-Y"):
            out += [yfmt.row("mmlsfs", "", [name, field, value, ""]) for _, field, value, _ in rows]
            continue
        # plain layout from IBM's documentation examples (no captured sample in fixtures)
        out += [f"{'flag':<20}{'value':<25}description", f"{'-' * 19} {'-' * 24} {'-' * 35}"]
        out += [f" {flag:<19}{value:<25}{desc}" for flag, _, value, desc in rows if flag]
    print("\n".join(out))
    return 0


def _availability(st: dict, nsd: dict, alive: set[str]) -> str:
    if nsd.get("stopped"):
        return "down"  # mmchdisk stop
    return "up" if not nsd["servers"] or set(nsd["servers"]) & alive else "down"


CHDISK_ACTIONS = ("start", "stop", "suspend", "resume", "empty", "change")


def mmchdisk(argv: list[str]) -> int:
    """Disk state in a file system: stop (availability down), start (up again, after a
    recovery scan), suspend (status suspended: no new blocks go to the disk), resume (ready).
    'empty' marks the disk 'to be emptied'; 'change' is refused (not emulated)."""
    usage = ('mmchdisk Device {resume | start} -a [-N {Node[,Node...] | NodeFile | NodeClass}]\n'
             '   or: mmchdisk Device {suspend | empty | resume | stop | start | change}\n'
             '       {-d "DiskDesc[;DiskDesc...]" | -F StanzaFile} [-N {Node[,Node...] | NodeFile | NodeClass}]')
    opts, pos = parse(argv, {"-d", "-F", "-N", "--qos"}, {"-a"}, usage, "mmchdisk")
    if len(pos) != 2 or pos[1] not in CHDISK_ACTIONS:
        raise UsageError("mmchdisk: Missing or incorrect arguments.", usage)
    action = pos[1]
    if action == "change":
        raise MMError("mmchdisk: the change action is not emulated by the deploy-pod twin.",
                      extra=failed("mmchdisk"))
    given = [k for k in ("-a", "-d", "-F") if k in opts]
    if len(given) != 1 or (opts.get("-a") and action not in ("start", "resume")):
        raise UsageError("mmchdisk: Specify exactly one of -a (start and resume only), -d or -F.", usage)
    with state.transaction() as st:
        require_cluster(st, "mmchdisk")
        require_quorum(st, "mmchdisk")
        rec = get_fs(st, pos[0], "mmchdisk")
        if opts.get("-a"):
            names = list(rec["disks"])
        elif "-F" in opts:
            names = [d["nsd"] for d in parse_stanzas(opts["-F"]) if d.get("nsd")]
        else:
            names = [d.split(":")[0] for d in opts["-d"].split(";") if d]
        for n in names:
            if n not in rec["disks"]:
                raise MMError(f"mmchdisk: Disk {n} does not belong to file system {rec['name']}.",
                              extra=failed("mmchdisk"))
        for n in names:
            nsd = st["nsds"][n]
            if action == "stop":
                nsd["stopped"] = True
            elif action == "start":
                nsd["stopped"] = False
            elif action == "suspend":
                nsd["status"] = "suspended"
            elif action == "empty":
                nsd["status"] = "to be emptied"
            elif action == "resume":
                nsd["status"] = "ready"
    if action == "start":
        for line in scan_lines(rec["name"]):
            print(line)
    return 0


def mmlsdisk(argv: list[str]) -> int:
    usage = 'mmlsdisk Device [-d "DiskName[;DiskName...]"] [-e] [-L] [-Y]'
    opts, pos = parse(argv, {"-d"}, {"-e", "-L", "-Y", "-m", "-M"}, usage, "mmlsdisk")
    if len(pos) != 1:
        raise UsageError("mmlsdisk: Missing argument Device.", usage)
    st = state.load()
    require_cluster(st, "mmlsdisk")
    require_quorum(st, "mmlsdisk")
    rec = get_fs(st, pos[0], "mmlsdisk")
    alive = alive_nodes(st)
    disks = [st["nsds"][d] for d in rec["disks"]]
    if "-d" in opts:
        disks = [d for d in disks if d["name"] in opts["-d"].split(";")]
    rows = []
    for i, d in enumerate(disks, 1):
        meta = "yes" if d["usage"] in ("dataAndMetadata", "metadataOnly") else "no"
        data = "yes" if d["usage"] in ("dataAndMetadata", "dataOnly") else "no"
        rows.append([d["name"], "nsd", 512, d["failure_group"], meta, data, d.get("status", "ready"),
                     _availability(st, d, alive), i, d["pool"], "desc" if i <= 3 else "",
                     min(3, len(rec["disks"])), 2 if len(rec["disks"]) >= 3 else 1,
                     2 if len(rec["disks"]) >= 3 else 1, d["size_bytes"] // 1024, d["volume_id"], ""])
    if opts.get("-Y"):
        # fields as in tests/fixtures/mmlsdisk_Y.1.txt
        fields = ["nsdName", "driverType", "sectorSize", "failureGroup", "metadata", "data", "status",
                  "availability", "diskID", "storagePool", "remarks", "numQuorumDisks",
                  "readQuorumValue", "writeQuorumValue", "diskSizeKB", "diskUID", "thinDiskType"]
        print("\n".join(yfmt.table("mmlsdisk", "", fields, rows)))
        return 0
    # plain layout from IBM's documentation examples (no captured sample in fixtures)
    print("disk         driver   sector     failure holds    holds                            storage")
    print("name         type       size       group metadata data  status        availability pool")
    print("------------ -------- ------ ----------- -------- ----- ------------- ------------ ------------")
    for r in rows:
        print(f"{r[0]:<12} {r[1]:<8} {r[2]:>6} {r[3]:>11} {r[4]:<8} {r[5]:<5} {r[6]:<13} {r[7]:<12} {r[9]}")
    return 0


def _used_bytes(fs: str) -> int:
    total = 0
    for root, _, files in os.walk(mount.source_dir(fs)):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
    return total


def mmdf(argv: list[str]) -> int:
    usage = "mmdf Device [-d | -F | -m] [-P PoolName] [--block-size {BlockSize | auto}] [-Y]"
    opts, pos = parse(argv, {"-P", "--block-size"}, {"-d", "-F", "-m", "-Y"}, usage, "mmdf")
    if len(pos) != 1:
        raise UsageError("mmdf: Missing argument Device.", usage)
    st = state.load()
    require_cluster(st, "mmdf")
    require_quorum(st, "mmdf")
    rec = get_fs(st, pos[0], "mmdf")
    disks = [st["nsds"][d] for d in rec["disks"]]
    total_kb = sum(d["size_bytes"] for d in disks) // 1024 or 1
    used_kb = min(_used_bytes(rec["name"]) // 1024, total_kb)

    def free(kb):  # a disk's share of the free space, in KB, spread by size
        return kb - used_kb * kb // total_kb

    def pct(part, whole):
        return part * 100 // whole if whole else 0

    pools: dict[str, list[dict]] = {}
    for d in disks:
        pools.setdefault(d["pool"], []).append(d)
    inodes_max = rec["max_inodes"]
    inodes_used = 4038 + sum(len(f) for _, _, f in os.walk(mount.source_dir(rec["name"])))
    meta_kb = sum(d["size_bytes"] // 1024 for d in disks if d["usage"] != "dataOnly")
    data_kb = sum(d["size_bytes"] // 1024 for d in disks if d["usage"] != "metadataOnly")
    if opts.get("-Y"):
        # records and fields as in tests/fixtures/mmdf_Y.1.txt
        heads = {
            "nsd": ["nsdName", "storagePool", "diskSize", "failureGroup", "metadata", "data", "freeBlocks",
                    "freeBlocksPct", "freeFragments", "freeFragmentsPct", "diskAvailableForAlloc"],
            "poolTotal": ["poolName", "poolSize", "freeBlocks", "freeBlocksPct", "freeFragments",
                          "freeFragmentsPct", "maxDiskSize"],
            "data": ["totalData", "freeBlocks", "freeBlocksPct", "freeFragments", "freeFragmentsPct"],
            "metadata": ["totalMetadata", "freeBlocks", "freeBlocksPct", "freeFragments", "freeFragmentsPct"],
            "fsTotal": ["fsSize", "freeBlocks", "freeBlocksPct", "freeFragments", "freeFragmentsPct"],
            "inode": ["usedInodes", "freeInodes", "allocatedInodes", "maxInodes"],
        }
        out = [yfmt.header("mmdf", k, v) for k, v in heads.items()]
        for d in disks:
            kb = d["size_bytes"] // 1024
            out.append(yfmt.row("mmdf", "nsd", [
                d["name"], d["pool"], kb, d["failure_group"],
                "Yes" if d["usage"] != "dataOnly" else "No", "Yes" if d["usage"] != "metadataOnly" else "No",
                free(kb), pct(free(kb), kb), 0, 0, ""]))
        for pool, ds in pools.items():
            kb = sum(d["size_bytes"] // 1024 for d in ds)
            out.append(yfmt.row("mmdf", "poolTotal", [pool, kb, free(kb), pct(free(kb), kb), 0, 0, kb * 4]))
        out.append(yfmt.row("mmdf", "data", [data_kb, free(data_kb), pct(free(data_kb), data_kb), 0, 0]))
        out.append(yfmt.row("mmdf", "metadata", [meta_kb, free(meta_kb), pct(free(meta_kb), meta_kb), 0, 0]))
        out.append(yfmt.row("mmdf", "fsTotal", [total_kb, free(total_kb), pct(free(total_kb), total_kb), 0, 0]))
        out.append(yfmt.row("mmdf", "inode", [inodes_used, inodes_max - inodes_used, inodes_max, inodes_max]))
        print("\n".join(out))
        return 0
    # plain layout from IBM's documentation examples (no captured sample in fixtures)
    print("disk                disk size  failure holds    holds           free in KB          free in KB")
    print("name                    in KB    group metadata data        in full blocks        in fragments")
    print("--------------- ------------- -------- -------- ----- -------------------- -------------------")
    for pool, ds in pools.items():
        print(f"Disks in storage pool: {pool}")
        for d in ds:
            kb = d["size_bytes"] // 1024
            print(f"{d['name']:<15} {kb:>13} {d['failure_group']:>8} "
                  f"{'Yes' if d['usage'] != 'dataOnly' else 'No':<8} "
                  f"{'Yes' if d['usage'] != 'metadataOnly' else 'No':<5} "
                  f"{free(kb):>13} ({pct(free(kb), kb):>3}%) {0:>12} ( 0%)")
    print(f"{'(total)':<15} {total_kb:>13}                         "
          f"{free(total_kb):>13} ({pct(free(total_kb), total_kb):>3}%) {0:>12} ( 0%)")
    print("\nInode Information\n-----------------")
    print(f"Number of used inodes:      {inodes_used:>10}\nNumber of free inodes:      "
          f"{inodes_max - inodes_used:>10}\nNumber of allocated inodes: {inodes_max:>10}\n"
          f"Maximum number of inodes:   {inodes_max:>10}")
    return 0
