"""Quality of Service for I/O operations: mmchqos and mmlsqos (the pre-mmqos interface).

Syntax as IBM documents it: `mmchqos Device --enable [--reset] [--force] pool=PoolName[,QOSClass=
{nnnIOPS | unlimited}]...` (pool=* for every pool not named) and `mmchqos Device --disable`;
`mmlsqos Device [-Y] [--pool {all | Pool}] [--seconds N] [--sum-classes {yes|no}] [--sum-nodes {yes|no}]`.
The -Y records and fields are those of the real sample in tests/fixtures/mmlsqos_Y.1.txt:
  mmlsqos:status  enabled:throttling:monitoring:fineStatsSecs:idStats (Yes/No)
  mmlsqos:config  config_enc  the allocations as set, entries joined by ':' (encoded %3A),
                  e.g. pool=*,other=inf,maintenance/all_local=300Iops
  mmlsqos:values  values_enc  the allocation in effect for each pool, same spelling
  mmlsqos:stats   pool:timeEpoch:class:iops:ioql:qsdl:et:MBs
IOPS limits print as NNNIops, unlimited as inf; the maintenance class carries '/all_local'
(the default scope, the cluster's own nodes). The twin keeps the allocations in the file
system's record; it throttles nothing.
"""

import re
import time
from urllib.parse import quote

from . import state
from .args import parse
from .common import failed, require_cluster, require_quorum
from .errors import MMError, UsageError
from .fs import QOS_CLASSES, get_fs

MMCHQOS_USAGE = ("mmchqos Device --enable [--reset] [--force] [--fine-stats Seconds] [--pid-stats {yes|no}]\n"
                 "   [-N {Node[,Node...] | NodeFile | NodeClass}] [-C {all | all_remote | ClusterName}]\n"
                 "   pool=PoolName[,QOSClass={nnnIOPS | unlimited}][,QOSClass=...] ...\n"
                 "or: mmchqos Device --disable")
MMLSQOS_USAGE = ("mmlsqos Device [-Y | --fine-stats DisplayRange] [--pool {all | Pool}] [--seconds Seconds]\n"
                 "   [--sum-classes {yes | no}] [--sum-nodes {yes | no}]")
_IOPS = re.compile(r"^(\d+)\s*iops$", re.IGNORECASE)
_SAFE = " .,-_@()=+*;!#$&'[]{}<>?|~^`\"\\/"  # mmlsqos leaves '/' alone (maintenance/all_local)


def limit(text: str) -> str:
    """'300IOPS' / '300iops' -> '300Iops'; 'unlimited' / 'inf' -> 'inf', as mmlsqos prints them."""
    t = text.strip()
    if t.lower() in ("unlimited", "inf"):
        return "inf"
    m = _IOPS.match(t)
    if not m:
        raise MMError(f"mmchqos: Incorrect QOS class value: {text}", extra=failed("mmchqos"))
    return f"{int(m.group(1))}Iops"


def spec_text(pool: str, classes: dict) -> str:
    """One allocation as mmlsqos prints it: pool=P,other=...,maintenance/all_local=..."""
    return (f"pool={pool},other={classes.get('other', 'inf')},"
            f"maintenance/all_local={classes.get('maintenance', 'inf')}")


def effective(rec: dict, pools: list[str]) -> dict:
    """{pool: {class: value}}: a pool's own allocation, else pool=*'s, else unlimited."""
    qos = rec.get("qos") or {}
    specs = qos.get("pools") or {}
    out = {}
    for p in pools:
        classes = {"other": "inf", "maintenance": "inf"}
        classes.update(specs.get("*", {}))
        classes.update(specs.get(p, {}))
        out[p] = classes
    return out


def fs_pools(st: dict, rec: dict) -> list[str]:
    pools = []
    for d in rec["disks"]:
        pool = (st["nsds"].get(d) or {}).get("pool") or "system"
        if pool not in pools:
            pools.append(pool)
    return pools or ["system"]


def mmchqos(argv: list[str]) -> int:
    opts, pos = parse(argv, {"--fine-stats", "--pid-stats", "--stat-poll-interval", "--stat-slot-time", "-N", "-C",
                             "-F"}, {"--enable", "--disable", "--reset", "--force"}, MMCHQOS_USAGE, "mmchqos")
    if not pos:
        raise UsageError("mmchqos: Missing argument Device.", MMCHQOS_USAGE)
    device, specs = pos[0], pos[1:]
    if bool(opts.get("--enable")) == bool(opts.get("--disable")):
        raise UsageError("mmchqos: Specify either --enable or --disable.", MMCHQOS_USAGE)
    if opts.get("--disable") and specs:
        raise UsageError("mmchqos: --disable takes no QOS class specification.", MMCHQOS_USAGE)
    parsed = []
    for spec in specs:
        items = [x for x in spec.split(",") if x]
        if not items or not items[0].startswith("pool="):
            raise UsageError(f"mmchqos: Incorrect QOS class specification: {spec}", MMCHQOS_USAGE)
        pool, classes = items[0].split("=", 1)[1], {}
        for item in items[1:]:
            name, _, value = item.partition("=")
            if name not in QOS_CLASSES or not value:
                raise UsageError(f"mmchqos: Incorrect QOS class specification: {item}", MMCHQOS_USAGE)
            classes[name] = limit(value)
        parsed.append((pool, classes))
    with state.transaction() as st:
        require_cluster(st, "mmchqos")
        require_quorum(st, "mmchqos")
        rec = get_fs(st, device, "mmchqos")
        pools = fs_pools(st, rec)
        for pool, _ in parsed:
            if pool != "*" and pool not in pools:
                raise MMError(f"mmchqos: Storage pool {pool} does not exist in file system {rec['name']}.",
                              extra=failed("mmchqos"))
        qos = rec.setdefault("qos", {"enabled": False, "pools": {}})
        if opts.get("--disable"):
            qos["enabled"] = False
        else:
            if opts.get("--reset"):
                qos["pools"] = {}
            for pool, classes in parsed:
                qos["pools"].setdefault(pool, {}).update(classes)
            qos["enabled"] = True
        adjusted = [spec_text(pool, qos["pools"][pool]) for pool, _ in parsed]
    if adjusted:
        print(f"Adjusted QOS Class specification: {':'.join(adjusted)}")
    print("QOS configuration has been installed and broadcast to all nodes.")
    return 0


def _row(record: str, values: list) -> str:
    return ":".join(["mmlsqos", record, "0", "1", "", "", *(quote(str(v), safe=_SAFE) for v in values)]) + ":"


def mmlsqos(argv: list[str]) -> int:
    opts, pos = parse(argv, {"--pool", "--seconds", "--sum-classes", "--sum-nodes", "--fine-stats"}, {"-Y"},
                      MMLSQOS_USAGE, "mmlsqos")
    if len(pos) != 1:
        raise UsageError("mmlsqos: Missing argument Device.", MMLSQOS_USAGE)
    st = state.load()
    require_cluster(st, "mmlsqos")
    require_quorum(st, "mmlsqos")
    rec = get_fs(st, pos[0], "mmlsqos")
    qos = rec.get("qos") or {"enabled": False, "pools": {}}
    pools = fs_pools(st, rec)
    if opts.get("--pool", "all") != "all":
        if opts["--pool"] not in pools:
            raise MMError(f"mmlsqos: Storage pool {opts['--pool']} does not exist in file system {rec['name']}.",
                          extra=failed("mmlsqos"))
        pools = [opts["--pool"]]
    on = "Yes" if qos.get("enabled") else "No"
    config = [spec_text(p, c) for p, c in (qos.get("pools") or {}).items()]
    values = [spec_text(p, c) for p, c in effective(rec, pools).items()]
    now = int(time.time())
    if opts.get("-Y"):
        out = ["mmlsqos:status:HEADER:version:reserved:reserved:enabled:throttling:monitoring:fineStatsSecs:idStats:",
               "mmlsqos:config:HEADER:version:reserved:reserved:config_enc:",
               "mmlsqos:values:HEADER:version:reserved:reserved:values_enc:",
               "mmlsqos:stats:HEADER:version:reserved:reserved:pool:timeEpoch:class:iops:ioql:qsdl:et:MBs:",
               _row("status", [on, on, on, 0, "No"])]
        if qos.get("enabled"):
            out.append(_row("config", [":".join(config)]))
            out.append(_row("values", [":".join(values)]))
            out += [_row("stats", [p, now, "other", 0, 0, 0, 60, 0]) for p in pools]
        print("\n".join(out))
        return 0
    if not qos.get("enabled"):
        print("QOS config::          disabled\nQOS status::          throttling inactive, monitoring inactive")
        return 0
    print(f"QOS config::          enabled -- {':'.join(config)}")
    print(f"QOS values::          {':'.join(values)}")
    print("QOS status::          throttling active, monitoring active")
    for p in pools:
        print(f"=== for pool {p}\n{time.strftime('%H:%M:%S', time.localtime(now))} other   iops=       0.0 "
              "ioql=       0.0 qsdl=       0.0 et=   60")
    return 0
