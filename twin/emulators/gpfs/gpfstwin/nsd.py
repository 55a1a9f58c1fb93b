"""NSDs: stanza files, mmcrnsd (with the disk-descriptor guard), mmlsnsd, mmdelnsd."""

import os
import sys
import time

from . import hw, state, yfmt
from .args import parse
from .common import failed, find_node, local_node, node_hardware, require_cluster, short
from .errors import MMError, UsageError

USAGES = {"dataAndMetadata", "dataOnly", "metadataOnly", "descOnly", "localCache"}


def parse_stanzas(path: str, kind: str = "nsd") -> list[dict]:
    """%nsd: key=value ... stanzas; a stanza runs until the next line starting with '%'."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise MMError(f"Cannot open stanza file {path}: {e.strerror}") from e
    out, cur = [], None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("%"):
            head, _, rest = line.partition(":")
            cur = {} if head[1:].strip() == kind else None
            if cur is not None:
                out.append(cur)
            line = rest
        if cur is None:
            continue
        for tok in line.split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                cur[k.strip()] = v.strip()
    return out


def _volume_id(st: dict, node: str | None, seq: int) -> str:
    ip = st["nodes"].get(node, {}).get("ip", "127.0.0.1") if node else "127.0.0.1"
    try:
        ip_hex = "".join(f"{int(o):02X}" for o in ip.split("."))
    except ValueError:
        ip_hex = "7F000001"
    return f"{ip_hex}{(int(time.time()) + seq) & 0xFFFFFFFF:08X}"


def _disk_of(st: dict, server: str | None, device: str) -> tuple[dict | None, dict | None]:
    """(server's hardware, the disk) - None where the twin has no hardware data for the server."""
    if server is None:
        return None, None
    data = node_hardware(st, server) or state.peer_hardware(short(server)) or state.peer_hardware(server)
    if data is None:
        return None, None
    norm = hw.normalise(data)
    return norm, hw.find_disk(norm, device)


def mmcrnsd(argv: list[str]) -> int:
    usage = "mmcrnsd -F StanzaFile [-v {yes | no}] [--no-check-servers]"
    opts, pos = parse(argv, {"-F", "-v"}, {"--no-check-servers"}, usage, "mmcrnsd")
    if "-F" not in opts or pos or opts.get("-v", "yes") not in ("yes", "no"):
        raise UsageError("mmcrnsd: Missing or incorrect arguments.", usage)
    stanzas = parse_stanzas(opts["-F"])
    if not stanzas:
        raise MMError("mmcrnsd: Error found while checking disk descriptor file.",
                      extra=failed("mmcrnsd"))
    verify = opts.get("-v", "yes") == "yes"
    with state.transaction() as st:
        require_cluster(st, "mmcrnsd")
        seq = len(st["nsd_order"])
        new = []
        for sz in stanzas:
            device = sz.get("device")
            if not device:
                raise MMError("mmcrnsd: Missing device= in an %nsd stanza.", extra=failed("mmcrnsd"))
            seq += 1
            name = sz.get("nsd") or f"gpfs{seq}nsd"
            if name in st["nsds"] or any(n["name"] == name for n in new):
                raise MMError(f"mmcrnsd: Disk name {name} is already registered for use by GPFS.",
                              extra=failed("mmcrnsd"))
            servers = []
            for s in [x for x in sz.get("servers", "").split(",") if x]:
                key = find_node(st, s)
                if key is None:
                    raise MMError(f"mmcrnsd: Node {s} does not belong to the GPFS cluster.",
                                  extra=failed("mmcrnsd"))
                servers.append(key)
            usage_v = sz.get("usage", "dataAndMetadata")
            if usage_v not in USAGES:
                raise MMError(f"mmcrnsd: Incorrect usage {usage_v} for disk {name}.", extra=failed("mmcrnsd"))
            owner = servers[0] if servers else local_node(st)
            node_hw, disk = _disk_of(st, owner, device)
            if node_hw is not None and disk is None:
                raise MMError(f"mmcrnsd: Unable to find disk {device} on node {owner}.",
                              extra=("mmcrnsd: Error found while checking disk "
                                     "descriptor file.", *failed("mmcrnsd")))
            held = st["descriptors"].get(f"{owner}:{device}") or (disk or {}).get("gpfs_descriptor")
            if held and verify:
                raise MMError(f"mmcrnsd: Disk {device} on node {owner} already holds a GPFS disk "
                              "descriptor and may belong to a file system. Use -v no to override.",
                              extra=("mmcrnsd: Error found while checking disk "
                                     "descriptor file.", *failed("mmcrnsd")))
            size = int((disk or {}).get("size_gib", 100)) * 1024**3
            new.append({"name": name, "device": device, "servers": servers, "usage": usage_v,
                        "failure_group": sz.get("failureGroup", "-1"), "pool": sz.get("pool", "system"),
                        "volume_id": _volume_id(st, owner, seq), "fs": None, "size_bytes": size,
                        "vdisk": False, "thin": sz.get("thinDiskType", "")})
        for rec in new:
            print(f"mmcrnsd: Processing disk {os.path.basename(rec['device'])}")
            st["nsds"][rec["name"]] = rec
            st["nsd_order"].append(rec["name"])
            for s in rec["servers"] or [local_node(st)]:
                st["descriptors"][f"{s}:{rec['device']}"] = rec["name"]
    print("mmcrnsd: 6027-1371 Propagating the cluster configuration data to all\n"
          "  affected nodes.  This is an asynchronous process.", file=sys.stderr)
    return 0


def mmdelnsd(argv: list[str]) -> int:
    usage = 'mmdelnsd {"DiskName[;DiskName...]" | -F DiskFile}'
    opts, pos = parse(argv, {"-F"}, {"-p"}, usage, "mmdelnsd")
    if "-F" in opts:
        names = [s.get("nsd") for s in parse_stanzas(opts["-F"])]
    elif len(pos) == 1:
        names = [n for n in pos[0].replace(",", ";").split(";") if n]
    else:
        raise UsageError("mmdelnsd: Missing arguments.", usage)
    with state.transaction() as st:
        require_cluster(st, "mmdelnsd")
        for n in names:
            rec = st["nsds"].get(n)
            if rec is None:
                raise MMError(f"mmdelnsd: Disk {n} is not known to GPFS.", extra=failed("mmdelnsd"))
            if rec["fs"]:
                raise MMError(f"mmdelnsd: Disk {n} belongs to file system {rec['fs']}. Use mmdeldisk "
                              "first.", extra=failed("mmdelnsd"))
        print("mmdelnsd: Processing disk " + ", ".join(names))
        for n in names:
            rec = st["nsds"].pop(n)
            st["nsd_order"].remove(n)
            st["descriptors"] = {k: v for k, v in st["descriptors"].items() if v != n}
    return 0


def _ordered(st: dict) -> list[dict]:
    return [st["nsds"][n] for n in st["nsd_order"] if n in st["nsds"]]


def mmlsnsd(argv: list[str]) -> int:
    usage = 'mmlsnsd [-a | -F | -f Device | -d "DiskName[;DiskName...]"] [-L | -m | -M | -X] [-Y] [-v]'
    opts, pos = parse(argv, {"-f", "-d"}, {"-a", "-F", "-L", "-m", "-M", "-X", "-Y", "-v"}, usage,
                      "mmlsnsd")
    if pos:
        raise UsageError(f"mmlsnsd: Incorrect extra argument: {pos[0]}", usage)
    st = state.load()
    require_cluster(st, "mmlsnsd")
    recs = _ordered(st)
    if opts.get("-F"):
        recs = [r for r in recs if not r["fs"]]
    if "-f" in opts:
        recs = [r for r in recs if r["fs"] == opts["-f"].removeprefix("/dev/")]
    if "-d" in opts:
        want = opts["-d"].replace(",", ";").split(";")
        recs = [r for r in recs if r["name"] in want]
    if opts.get("-Y") and (opts.get("-X") or opts.get("-m") or opts.get("-M")):
        # per-server layout as tests/fixtures/mmlsnsd_m_Y.1.txt (one row per NSD and server)
        rows = [[r["fs"] or "(free disk)", r["name"], r["volume_id"], short(s), "vdisk" if r["vdisk"] else "generic",
                 r["device"], "server node", str(r.get("size_bytes", 0) // 1024**2)]
                for r in recs for s in r["servers"] or [local_node(st) or ""]]
        print("\n".join(yfmt.table("mmlsnsd", "nsd", ["fileSystem", "diskName", "volumeId", "serverList",
                                                      "deviceType", "localDiskName", "remarks", "sizeMB"], rows)))
        return 0
    if opts.get("-Y"):
        # fields as in tests/fixtures/mmlsnsd_Y.1.txt
        print("\n".join(yfmt.table("mmlsnsd", "nsd", ["fileSystem", "diskName", "volumeId",
                                                      "serverList", "thinDisk"],
                                   [[r["fs"] or "(free disk)", r["name"], r["volume_id"],
                                     ",".join(r["servers"]), r.get("thin", "")] for r in recs])))
        return 0
    if opts.get("-X") or opts.get("-m") or opts.get("-M"):
        # -X: layout as tests/fixtures/mmlsnsd_X.1.txt (single-space first and last lines);
        # -m / -M: the same table without the Devtype column, as tests/fixtures/real/mmlsnsd_m.1.txt
        # (a 5.x capture: blank first line, header padded to 87 columns, no closing line)
        devtype = bool(opts.get("-X"))
        head = (f" {'Disk name':<13}{'NSD volume ID':<19}{'Device':<15}" + (f"{'Devtype':<9}" if devtype else "")
                + f"{'Node name':<25}{'Remarks':<14}")
        if devtype:
            head += "  "
        lines = [" " if devtype else "", head, "-" * (len(head) + (1 if devtype else 0))]
        nw = max([13] + [len(r["name"]) + 4 for r in recs])
        for r in recs:
            for s in r["servers"] or [local_node(st) or ""]:
                if devtype:  # the -X capture pads the name column to the longest name + 4
                    lines.append(f" {r['name']:<{nw}}{r['volume_id']:<19}{r['device']:<15}"
                                 f"{'vdisk' if r['vdisk'] else 'generic':<9}{short(s):<25}server node")
                else:  # the -m captures: fixed columns, a long name pushes the row right
                    lines.append(f" {r['name']:<12} {r['volume_id']:<18} {r['device']:<14} {short(s):<24} server node")
        if devtype:
            lines.append(" ")
        print("\n".join(lines))
        return 0
    # default layout from IBM's documentation examples (no captured sample in fixtures)
    lines = ["", f" {'File system':<14}{'Disk name':<16}NSD servers", "-" * 75]
    for r in recs:
        lines.append(f" {r['fs'] or '(free disk)':<14}{r['name']:<16}{','.join(r['servers']) or '(directly attached)'}")
    lines.append("")
    print("\n".join(lines))
    return 0


def mmchnsd(argv: list[str]) -> int:
    """Change the NSD server list of existing NSDs: %nsd stanzas with nsd= and servers=
    (or "nsd:server,server;..." descriptors). Since Storage Scale 5.0 this works while the file
    system is mounted; the servers must be cluster nodes, at most 8 per NSD."""
    usage = 'mmchnsd {"DiskDesc[;DiskDesc...]" | -F StanzaFile}'
    opts, pos = parse(argv, {"-F"}, set(), usage, "mmchnsd")
    if "-F" in opts and not pos:
        descs = [s for s in parse_stanzas(opts["-F"]) if s.get("nsd")]
    elif len(pos) == 1 and "-F" not in opts:
        descs = []
        for d in [x for x in pos[0].split(";") if x]:
            name, _, servers = d.partition(":")
            descs.append({"nsd": name, "servers": servers})
    else:
        raise UsageError("mmchnsd: Missing arguments.", usage)
    if not descs:
        raise MMError("mmchnsd: No NSDs were specified.", extra=failed("mmchnsd"))
    with state.transaction() as st:
        require_cluster(st, "mmchnsd")
        changes = []
        for d in descs:
            rec = st["nsds"].get(d["nsd"])
            if rec is None:
                raise MMError(f"mmchnsd: Disk {d['nsd']} is not known to GPFS.", extra=failed("mmchnsd"))
            if "servers" not in d:
                raise MMError(f"mmchnsd: No servers= specified for disk {d['nsd']}.", extra=failed("mmchnsd"))
            servers = []
            for s in [x for x in d["servers"].split(",") if x]:
                key = find_node(st, s)
                if key is None:
                    raise MMError(f"mmchnsd: Node {s} does not belong to the GPFS cluster.",
                                  extra=failed("mmchnsd"))
                if key not in servers:
                    servers.append(key)
            if len(servers) > 8:
                raise MMError(f"mmchnsd: Too many NSD servers specified for disk {d['nsd']} (at most 8).",
                              extra=failed("mmchnsd"))
            changes.append((rec, servers))
        for rec, servers in changes:
            print(f"mmchnsd: Processing disk {rec['name']}")
            old = rec["servers"] or [local_node(st)]
            rec["servers"] = servers
            for s in old:
                st["descriptors"].pop(f"{s}:{rec['device']}", None)
            for s in servers or [local_node(st)]:
                st["descriptors"][f"{s}:{rec['device']}"] = rec["name"]
    print("mmchnsd: 6027-1371 Propagating the cluster configuration data to all\n"
          "  affected nodes.  This is an asynchronous process.", file=sys.stderr)
    return 0
