"""mmvdisk (Storage Scale RAID): node classes, servers, recovery groups, vdisk sets, file systems.

One ESS 3000 = one shared recovery group served by the two canisters of its node class, with
one log group per server; each vdisk set makes one vdisk NSD per log group. Plain `list`
tables follow tests/fixtures/mmvdisk_nodeclass_list.1.txt and
mmvdisk_recoverygroup_list_lg_vdisk.1.txt (column style); the -Y record and field names are
the twin's own (no captured mmvdisk -Y sample exists in fixtures): parse them by name.
"""

import sys

from . import fs as fsmod
from . import state, yfmt
from .args import parse, split_list
from .common import (
    alive_nodes,
    failed,
    fault_hits,
    node_hardware,
    require_cluster,
    require_quorum,
    resolve_nodes,
    short,
    twin_faults,
)
from .config import set_value
from .errors import MMError, UsageError

CODES = {"3WayReplication": (1, 3), "4WayReplication": (1, 4), "4+2p": (4, 6), "4+3p": (4, 7),
         "8+2p": (8, 10), "8+3p": (8, 11), "16+2p": (16, 18), "16+3p": (16, 19)}
BLOCK_SIZES = {  # valid block sizes per RAID code family (IBM mmcrvdisk documentation)
    "repl": ["256k", "512k", "1m", "2m"],
    "4": ["256k", "512k", "1m", "2m", "4m", "8m"],
    "8": ["512k", "1m", "2m", "4m", "8m", "16m"],
    "16": ["512k", "1m", "2m", "4m", "8m", "16m"],
}
DEFAULT_RG_GIB = 24 * 3840  # 24 x 3.84 TB NVMe, an ESS 3000 when hardware.json has no disks


def say(text: str) -> None:
    print(f"mmvdisk: {text}")


def _fail(text: str) -> MMError:
    return MMError(f"mmvdisk: {text}", extra=failed("mmvdisk"))


def _table(heads: list[str], rows: list[list[str]]) -> list[str]:
    """mmvdisk's plain style: columns two blanks apart, dashes as wide as each column."""
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(heads)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*heads).rstrip(), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*[str(c) for c in r]).rstrip() for r in rows]
    return out


def _emit(record: str, fields: list[str], rows: list[list], heads: list[str], y: bool,
          plain_rows: list[list] | None = None) -> None:
    if y:
        print("\n".join(yfmt.table("mmvdisk", record, fields, rows)))
    else:
        print("\n".join(_table(heads, plain_rows if plain_rows is not None else rows)))


def _nc(st: dict, name: str) -> dict:
    nc = st["nodeclasses"].get(name)
    if nc is None or not nc.get("mmvdisk"):
        raise _fail(f"Node class '{name}' is not an mmvdisk node class.")
    return nc


# ---- nodeclass -------------------------------------------------------------------------

def nodeclass(verb: str, argv: list[str]) -> int:
    if verb == "create":
        opts, _ = parse(argv, {"--node-class", "-N"}, set(),
                "mmvdisk nodeclass create --node-class NcName -N Node[,Node...]", "mmvdisk")
        if "--node-class" not in opts or "-N" not in opts:
            raise UsageError("mmvdisk: Missing --node-class or -N.",
                    "mmvdisk nodeclass create --node-class NcName -N Node[,Node...]")
        with state.transaction() as st:
            require_cluster(st, "mmvdisk")
            name = opts["--node-class"]
            if name in st["nodeclasses"]:
                raise _fail(f"Node class '{name}' already exists.")
            nodes = resolve_nodes(st, opts["-N"], "mmvdisk")
            for n in nodes:
                for other, nc in st["nodeclasses"].items():
                    if nc.get("mmvdisk") and n in nc["members"]:
                        raise _fail(f"Node '{n}' is already a member of mmvdisk node class '{other}'.")
            st["nodeclasses"][name] = {"members": nodes, "mmvdisk": True}
        say(f"Node class '{name}' created.")
        return 0
    if verb == "list":
        opts, _ = parse(argv, {"--node-class", "-N"}, {"-Y"},
                "mmvdisk nodeclass list [--node-class NcName] [-Y]", "mmvdisk")
        st = state.load()
        require_cluster(st, "mmvdisk")
        names = [n for n, nc in sorted(st["nodeclasses"].items()) if nc.get("mmvdisk")]
        if "--node-class" in opts:
            _nc(st, opts["--node-class"])
            names = [opts["--node-class"]]
        rows = []
        for n in names:
            rgs = [rg for rg, r in sorted(st["vdisk"]["recoverygroups"].items()) if r["nodeclass"] == n]
            rows.append([n, ",".join(rgs) or "-", ",".join(short(m) for m in st["nodeclasses"][n]["members"])])
        _emit("nodeClass", ["nodeClass", "recoveryGroups", "memberNodes"], rows,
              ["node class", "recovery groups", "member nodes"], opts.get("-Y", False))
        return 0
    raise UsageError(f"mmvdisk: Unknown nodeclass verb '{verb}'.", "mmvdisk nodeclass {create | list} ...")


# ---- server ----------------------------------------------------------------------------

def server(verb: str, argv: list[str]) -> int:
    if verb == "configure":
        usage = "mmvdisk server configure --node-class NcName [--recycle {none | one | all | Number}] [--update]"
        opts, _ = parse(argv, {"--node-class", "--recycle", "--pagepool", "--maxblocksize", "-N"},
                        {"--update", "--confirm"}, usage, "mmvdisk")
        if "--node-class" not in opts:
            raise UsageError("mmvdisk: Missing --node-class.", usage)
        name = opts["--node-class"]
        with state.transaction() as st:
            require_cluster(st, "mmvdisk")
            nc = _nc(st, name)
            say("Checking resources for specified nodes.")
            for n in nc["members"]:
                hw = node_hardware(st, n)
                if hw is not None and hw.get("role", "ess") != "ess":
                    raise _fail(f"Node '{n}' does not have a supported disk topology for Scale RAID.")
            if any(r["nodeclass"] == name for r in st["vdisk"]["recoverygroups"].values()) \
                    and not opts.get("--update"):
                raise _fail(f"Node class '{name}' already serves recovery groups; use --update.")
            say(f"Node class '{name}' has a shared recovery group disk topology.")
            say(f"Setting configuration for node class '{name}'.")
            mem = min((int((node_hardware(st, n) or {}).get("memory_gib", 64))
                       for n in nc["members"]), default=64)
            pagepool = opts.get("--pagepool", f"{max(1, int(mem * 0.6))}G")
            for attr, value in (("pagepool", pagepool), ("nsdRAIDTracks", "131072"),
                                ("nsdRAIDBufferPoolSizePct", "80"), ("nsdbufspace", "80"),
                                ("nspdQueues", "64")):
                set_value(st["config"], attr, value, name)
            for n in nc["members"]:
                st["vdisk"]["servers"][n] = {"nodeclass": name}
            alive = alive_nodes(st) & set(nc["members"])
        say(f"Node class '{name}' is now configured to be recovery group servers.")
        recycle = opts.get("--recycle", "none")
        if alive and recycle == "none":
            say(f"For configuration changes to take effect, GPFS should be restarted on node class '{name}'.")
        elif alive:
            # the twin's daemons re-read the configuration on every heartbeat: a restart is instant
            for n in sorted(alive):
                say(f"Restarting GPFS on the following nodes:\n  {n}")
        return 0
    if verb == "list":
        opts, _ = parse(argv, {"--node-class", "-N", "--recovery-group"}, {"-Y", "--version", "--config"},
                        "mmvdisk server list [--node-class NcName] [-Y]", "mmvdisk")
        st = state.load()
        require_cluster(st, "mmvdisk")
        alive = alive_nodes(st)
        servers = st["vdisk"]["servers"]
        keys = sorted(servers, key=lambda n: st["nodes"].get(n, {}).get("number", 0))
        if "--node-class" in opts:
            keys = [k for k in keys if servers[k]["nodeclass"] == opts["--node-class"]]
        rows = []
        for n in keys:
            rgs = [rg for rg, r in sorted(st["vdisk"]["recoverygroups"].items()) if n in r["servers"]]
            rows.append([st["nodes"].get(n, {}).get("number", ""), n, "yes" if n in alive else "no",
                         f"serving {','.join(rgs)}" if rgs else "configured"])
        _emit("server", ["nodeNumber", "serverName", "active", "remarks"], rows,
              [" node\nnumber", "server", "active", "remarks"], opts.get("-Y", False))
        return 0
    raise UsageError(f"mmvdisk: Unknown server verb '{verb}'.", "mmvdisk server {configure | list} ...")


# ---- recovery groups -------------------------------------------------------------------

def _require_servers_active(st: dict, servers: list[str]) -> None:
    require_quorum(st, "mmvdisk")
    down = [s for s in servers if s not in alive_nodes(st)]
    if down:
        raise _fail(f"GPFS is not active on server '{down[0]}'.")


def recoverygroup(verb: str, argv: list[str]) -> int:
    if verb == "create":
        usage = "mmvdisk recoverygroup create --recovery-group RgName --node-class NcName"
        opts, _ = parse(argv, {"--recovery-group", "--node-class"}, {"--complete-log-format"}, usage, "mmvdisk")
        if "--recovery-group" not in opts or "--node-class" not in opts:
            raise UsageError("mmvdisk: Missing --recovery-group or --node-class.", usage)
        rg, name = opts["--recovery-group"], opts["--node-class"]
        with state.transaction() as st:
            require_cluster(st, "mmvdisk")
            nc = _nc(st, name)
            if rg in st["vdisk"]["recoverygroups"]:
                raise _fail(f"Recovery group '{rg}' already exists.")
            if any(st["vdisk"]["servers"].get(n, {}).get("nodeclass") != name for n in nc["members"]):
                raise _fail(f"Node class '{name}' is not configured; run 'mmvdisk server configure' first.")
            if any(r["nodeclass"] == name for r in st["vdisk"]["recoverygroups"].values()):
                raise _fail(f"Node class '{name}' already serves a shared recovery group.")
            say("Checking node class configuration.")
            _require_servers_active(st, nc["members"])
            hw = node_hardware(st, nc["members"][0]) or {}
            gib = sum(int(d.get("size_gib", 0)) for d in hw.get("disks", [])) or DEFAULT_RG_GIB
            say(f"Analyzing disk topology for node '{nc['members'][0]}'.")
            say(f"Creating recovery group '{rg}'.")
            index = len(st["vdisk"]["recoverygroups"]) + 1
            st["vdisk"]["recoverygroups"][rg] = {
                "nodeclass": name, "servers": list(nc["members"]), "capacity_bytes": gib * 1024**3,
                "index": index, "log_groups": [f"LG{i + 1:03d}" for i in range(len(nc["members"]))]}
        say("Formatting log vdisks for recovery group.")
        say(f"Created recovery group '{rg}'.")
        return 0
    if verb == "list":
        opts, _ = parse(argv, {"--recovery-group", "--node-class"}, {"-Y", "--lg", "--vdisk"},
                        "mmvdisk recoverygroup list [--recovery-group RgName] [-Y]", "mmvdisk")
        st = state.load()
        require_cluster(st, "mmvdisk")
        alive = alive_nodes(st)
        rgs = st["vdisk"]["recoverygroups"]
        names = sorted(rgs)
        if "--recovery-group" in opts:
            if opts["--recovery-group"] not in rgs:
                raise _fail(f"Recovery group '{opts['--recovery-group']}' not found.")
            names = [opts["--recovery-group"]]
        rows = []
        for rg in names:
            r = rgs[rg]
            up = [s for s in r["servers"] if s in alive]
            vdisks = sum(len(r["log_groups"]) for vs in st["vdisk"]["vdisksets"].values()
                         if rg in vs["rgs"] and vs["created"])
            rows.append([rg, "yes" if up else "no", up[0] if up else "-", r["nodeclass"], vdisks])
        _emit("recoveryGroup", ["recoveryGroup", "active", "currentServer", "nodeClass", "userVdisks"], rows,
              ["recovery group", "active", "current or master server", "node class", "user vdisks"],
              opts.get("-Y", False))
        return 0
    raise UsageError(f"mmvdisk: Unknown recoverygroup verb '{verb}'.", "mmvdisk recoverygroup {create | list} ...")


# ---- vdisk sets ------------------------------------------------------------------------

def _set_fraction(text: str, capacity: int) -> float:
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return fsmod.parse_size(text) / capacity


def _vdisk_size(st: dict, vs: dict, rg: str) -> int:
    r = st["vdisk"]["recoverygroups"][rg]
    data, total = CODES[vs["code"]]
    usable = r["capacity_bytes"] * _set_fraction(vs["set_size"], r["capacity_bytes"]) * data / total
    return int(usable // len(r["log_groups"]))


def vdiskset(verb: str, argv: list[str]) -> int:
    if verb == "define":
        usage = ("mmvdisk vdiskset define --vdisk-set VdiskSet --recovery-group RgName[,RgName...] --code "
                 "RaidCode --block-size BlockSize --set-size SetSize [--nsd-usage NsdUsage] [--storage-pool Pool]")
        opts, _ = parse(argv, {"--vdisk-set", "--recovery-group", "--code", "--block-size", "--set-size",
                               "--nsd-usage", "--storage-pool", "--declustered-array"}, set(), usage, "mmvdisk")
        missing = [k for k in ("--vdisk-set", "--recovery-group", "--code", "--block-size", "--set-size")
                   if k not in opts]
        if missing:
            raise UsageError(f"mmvdisk: Missing {missing[0]}.", usage)
        code, bs = opts["--code"], opts["--block-size"].lower()
        if code not in CODES:
            raise _fail(f"Incorrect RAID code '{code}'.")
        family = "repl" if "Way" in code else code.split("+")[0]
        if bs not in BLOCK_SIZES[family]:
            raise _fail(f"Block size '{opts['--block-size']}' is not valid for RAID code '{code}'.")
        with state.transaction() as st:
            require_cluster(st, "mmvdisk")
            name = opts["--vdisk-set"]
            if name in st["vdisk"]["vdisksets"]:
                raise _fail(f"Vdisk set '{name}' already exists.")
            rgs = split_list(opts["--recovery-group"])
            if rgs == ["all"]:
                rgs = sorted(st["vdisk"]["recoverygroups"])
            for rg in rgs:
                r = st["vdisk"]["recoverygroups"].get(rg)
                if r is None:
                    raise _fail(f"Recovery group '{rg}' not found.")
                used = sum(_set_fraction(v["set_size"], r["capacity_bytes"])
                           for v in st["vdisk"]["vdisksets"].values() if rg in v["rgs"])
                if used + _set_fraction(opts["--set-size"], r["capacity_bytes"]) > 1.0 + 1e-9:
                    raise _fail(f"Insufficient free space in recovery group '{rg}' for vdisk set '{name}'.")
            st["vdisk"]["vdisksets"][name] = {
                "rgs": rgs, "code": code, "block_size": bs, "set_size": opts["--set-size"],
                "nsd_usage": opts.get("--nsd-usage", "dataAndMetadata"),
                "pool": opts.get("--storage-pool", "system"), "created": False, "fs": None, "vdisks": []}
        say(f"Vdisk set '{name}' has been defined.")
        for rg in rgs:
            say(f"Recovery group '{rg}' has been defined in vdisk set '{name}'.")
        return 0
    if verb == "create":
        usage = "mmvdisk vdiskset create --vdisk-set {all | VdiskSet[,VdiskSet...]}"
        opts, _ = parse(argv, {"--vdisk-set"}, set(), usage, "mmvdisk")
        if "--vdisk-set" not in opts:
            raise UsageError("mmvdisk: Missing --vdisk-set.", usage)
        with state.transaction() as st:
            require_cluster(st, "mmvdisk")
            sets = st["vdisk"]["vdisksets"]
            names = sorted(sets) if opts["--vdisk-set"] == "all" else split_list(opts["--vdisk-set"])
            for name in names:
                if name not in sets:
                    raise _fail(f"Vdisk set '{name}' not found.")
            todo = [n for n in names if not sets[n]["created"]]
            if not todo:
                say("All vdisk sets are already created.")
                return 0
            # twin fault vdiskset-fail: a server of the recovery group refuses to create vdisks;
            # checked before anything is created, and the transaction is not saved on failure
            faults = twin_faults()
            for name in todo:
                for rg in sets[name]["rgs"]:
                    r = st["vdisk"]["recoverygroups"][rg]
                    bad = [s for s in r["servers"] if fault_hits(st, "vdiskset-fail", s, faults)]
                    if bad:
                        raise MMError(
                            f"mmvdisk: Error creating vdisks in recovery group '{rg}' for vdisk set "
                            f"'{name}': server '{bad[0]}' returned an error (Input/output error).",
                            extra=(f"mmvdisk: No vdisks were created for vdisk set '{name}'.",
                                   *failed("mmvdisk")))
            for name in todo:
                vs = sets[name]
                vs_index = sorted(sets).index(name) + 1
                for rg in vs["rgs"]:
                    r = st["vdisk"]["recoverygroups"][rg]
                    _require_servers_active(st, r["servers"])
                    say(f"Creating {len(r['log_groups'])} vdisks in recovery group '{rg}' for vdisk set '{name}'.")
                    for i, lg in enumerate(r["log_groups"]):
                        vd = f"RG{r['index']:03d}{lg}VS{vs_index:03d}"
                        servers = r["servers"][i:] + r["servers"][:i]  # the log group's server first
                        st["nsds"][vd] = {
                            "name": vd, "device": vd, "servers": servers, "usage": vs["nsd_usage"],
                            "failure_group": str(r["index"]), "pool": vs["pool"],
                            "volume_id": f"{0xC0A80000 + r['index']:08X}{0x5E000000 + vs_index * 16 + i:08X}",
                            "fs": None, "size_bytes": _vdisk_size(st, vs, rg), "vdisk": True, "thin": "",
                            "rg": rg}
                        st["nsd_order"].append(vd)
                        vs["vdisks"].append(vd)
                vs["created"] = True
        say(f"Created all vdisks in vdisk set{'s' if len(todo) > 1 else ''} '{', '.join(todo)}'.")
        return 0
    if verb == "list":
        opts, _ = parse(argv, {"--vdisk-set", "--recovery-group", "--file-system"}, {"-Y"},
                        "mmvdisk vdiskset list [--vdisk-set {all | VdiskSet}] [-Y]", "mmvdisk")
        st = state.load()
        require_cluster(st, "mmvdisk")
        sets = st["vdisk"]["vdisksets"]
        names = sorted(sets)
        if opts.get("--vdisk-set", "all") != "all":
            names = [n for n in split_list(opts["--vdisk-set"]) if n in sets]
        if opts.get("--recovery-group", "all") != "all":
            names = [n for n in names if set(split_list(opts["--recovery-group"])) & set(sets[n]["rgs"])]
        if opts.get("--file-system", "all") != "all":
            names = [n for n in names if sets[n]["fs"] in split_list(opts["--file-system"])]
        rows = [[n, "yes" if sets[n]["created"] else "no", sets[n]["fs"] or "-", ",".join(sets[n]["rgs"]),
                 sets[n]["code"], sets[n]["block_size"], sets[n]["set_size"], sets[n]["nsd_usage"],
                 sets[n]["pool"]] for n in names]
        _emit("vdiskSet", ["vdiskSet", "created", "fileSystem", "recoveryGroups", "code", "blockSize",
                           "setSize", "nsdUsage", "storagePool"], rows,
              ["vdisk set", "created", "file system", "recovery groups"], opts.get("-Y", False),
              [r[:4] for r in rows])
        return 0
    raise UsageError(f"mmvdisk: Unknown vdiskset verb '{verb}'.", "mmvdisk vdiskset {define | create | list} ...")


# ---- file systems ----------------------------------------------------------------------

def _vdisks_for(st: dict, names: list[str]) -> list[str]:
    out = []
    for name in names:
        vs = st["vdisk"]["vdisksets"].get(name)
        if vs is None:
            raise _fail(f"Vdisk set '{name}' not found.")
        if not vs["created"]:
            raise _fail(f"Vdisk set '{name}' has not been created; run 'mmvdisk vdiskset create'.")
        if vs["fs"]:
            raise _fail(f"Vdisk set '{name}' already belongs to file system '{vs['fs']}'.")
        out += vs["vdisks"]
    return out


def filesystem(verb: str, argv: list[str]) -> int:
    if verb in ("create", "add"):
        usage = f"mmvdisk filesystem {verb} --file-system FsName --vdisk-set VdiskSet[,VdiskSet...] [--mmcrfs ...]"
        rest = []
        if "--mmcrfs" in argv:
            i = argv.index("--mmcrfs")
            argv, rest = argv[:i], argv[i + 1:]
        opts, _ = parse(argv, {"--file-system", "--vdisk-set"}, set(), usage, "mmvdisk")
        if "--file-system" not in opts or "--vdisk-set" not in opts:
            raise UsageError("mmvdisk: Missing --file-system or --vdisk-set.", usage)
        fsname, names = opts["--file-system"], split_list(opts["--vdisk-set"])
        st = state.load()
        require_cluster(st, "mmvdisk")
        vdisks = _vdisks_for(st, names)
        sizes = {st["vdisk"]["vdisksets"][n]["block_size"] for n in names}
        if verb == "create":
            if fsname in st["filesystems"]:
                raise _fail(f"File system '{fsname}' already exists.")
            if len(sizes) > 1:
                raise _fail("The vdisk sets of one file system must share a block size.")
            say(f"Creating file system '{fsname}'.")
            rc = fsmod.mmcrfs([fsname, ";".join(vdisks), "-B", sizes.pop().upper(), "-j", "scatter", *rest])
        else:
            if fsname not in st["filesystems"]:
                raise _fail(f"File system '{fsname}' not found.")
            say(f"Adding vdisk sets '{', '.join(names)}' to file system '{fsname}'.")
            rc = fsmod.mmadddisk([fsname, ";".join(vdisks)])
        with state.transaction() as tx:
            for n in names:
                tx["vdisk"]["vdisksets"][n]["fs"] = fsname
        return rc
    if verb == "list":
        opts, _ = parse(argv, {"--file-system"}, {"-Y"}, "mmvdisk filesystem list [--file-system FsName] [-Y]",
                "mmvdisk")
        st = state.load()
        require_cluster(st, "mmvdisk")
        by_fs: dict[str, list[str]] = {}
        for n, vs in sorted(st["vdisk"]["vdisksets"].items()):
            if vs["fs"]:
                by_fs.setdefault(vs["fs"], []).append(n)
        names = sorted(by_fs)
        if "--file-system" in opts:
            if opts["--file-system"] not in by_fs:
                raise _fail(f"File system '{opts['--file-system']}' is not an mmvdisk file system.")
            names = [opts["--file-system"]]
        rows = [[n, ",".join(by_fs[n])] for n in names]
        _emit("fileSystem", ["fileSystem", "vdiskSets"], rows, ["file system", "vdisk sets"],
              opts.get("-Y", False), [[n, ", ".join(by_fs[n])] for n in names])
        return 0
    raise UsageError(f"mmvdisk: Unknown filesystem verb '{verb}'.", "mmvdisk filesystem {create | add | list} ...")


NOUNS = {"nodeclass": nodeclass, "nc": nodeclass, "server": server, "recoverygroup": recoverygroup,
         "rg": recoverygroup, "vdiskset": vdiskset, "vs": vdiskset, "filesystem": filesystem, "fs": filesystem}


def mmvdisk(argv: list[str]) -> int:
    usage = "mmvdisk {nodeclass | server | recoverygroup | vdiskset | filesystem} Verb [Parameters]"
    if len(argv) < 2 or argv[0] not in NOUNS:
        print(f"Usage: {usage}", file=sys.stderr)
        return 2
    return NOUNS[argv[0]](argv[1], argv[2:])
