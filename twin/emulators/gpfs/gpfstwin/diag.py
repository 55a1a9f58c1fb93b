"""mmdiag and mmpmon: what the local (emulated) daemon reports about itself.

Layouts follow real captures in tests/fixtures/real/ (SOURCES.md there names each source):
mmdiag --version/--network/--waiters and mmdiag --config -Y; mmpmon -p fs_io_s / io_s as
IBM's documentation examples. The twin's daemon does no I/O of its own, so every mmpmon
counter is 0 and there are never waiters.
"""

import contextlib
import os
import subprocess
import sys
import time

from . import VERSION, env, state, yfmt
from .args import parse
from .common import alive_nodes, failed, local_node, require_cluster
from .errors import MMError, UsageError

BUILT_ON = "Aug  2 2024 at 10:00:00"  # the twin's own stamp; no capture of a 5.2.1.0 build line

# daemon defaults mmdiag --config lists besides what mmchconfig set (Scale 5.x defaults)
DEFAULTS = [("adminMode", "central"), ("autoload", "0"), ("maxblocksize", "4194304"),
            ("maxFilesToCache", "4000"), ("maxMBpS", "2048"), ("maxStatCache", "1000"),
            ("minReleaseLevel", VERSION), ("nsdbufspace", "30"), ("pagepool", "1073741824"),
            ("prefetchPct", "20"), ("tscTcpPort", "1191"), ("verbsPorts", ""), ("verbsRdma", "0"),
            ("verbsRdmaSend", "0"), ("workerThreads", "48")]
SIZES = {"pagepool", "maxblocksize"}


def _local_daemon(command: str) -> tuple[dict, str, dict]:
    st = state.load()
    require_cluster(st, command)
    me = local_node(st)
    if me not in alive_nodes(st):
        raise MMError(f"{command}: The GPFS daemon is not running on this node ({env.node_name()}).",
                      extra=failed(command))
    return st, me, state.read_node_status(me)


def _running(secs: int) -> str:
    parts, out = [(86400, "days"), (3600, "hours"), (60, "minutes")], []
    for size, name in parts:
        if secs >= size or out:
            out.append(f"{secs // size} {name}")
            secs %= size
    out.append(f"{secs} secs")
    return " ".join(out)


def _applies(st: dict, me: str, scope: str) -> bool:
    if not scope:
        return True
    if scope in st["nodeclasses"]:
        return me in st["nodeclasses"][scope]["members"]
    return me in scope.split(",")


def _config(st: dict, me: str) -> list[tuple[str, str, bool]]:
    from .fs import parse_size
    values = {k: (v, False) for k, v in DEFAULTS}
    for c in st["config"]:
        if c["attr"] in ("clusterName", "clusterId"):
            continue
        if _applies(st, me, c["scope"]):
            v = c["value"]
            if c["attr"] in SIZES:
                with contextlib.suppress(ValueError):
                    v = str(parse_size(v))
            if c["attr"] == "autoload":
                v = "1" if v == "yes" else "0"
            values[c["attr"]] = (v, True)
    return sorted(((k, v, ch) for k, (v, ch) in values.items()), key=lambda x: x[0].lower())


def _iface(ip: str) -> str:
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "eth0"
    for line in out.splitlines():
        f = line.split()
        if len(f) > 3 and f[3].split("/")[0] == ip:
            return f[1]
    return "eth0"


def mmdiag(argv: list[str]) -> int:
    usage = ("mmdiag [--all] [--version] [--waiters] [--deadlock] [--threads] [--memory] [--network] "
             "[--config] [--trace] [--assert] [--iohist] [--tokenmgr] [--commands] [--lroc] [--stats] [-Y]")
    emulated = ["--version", "--config", "--network", "--waiters"]
    others = {"--all", "--deadlock", "--threads", "--memory", "--trace", "--assert", "--iohist", "--tokenmgr",
              "--commands", "--lroc", "--stats", "--rpc", "--dmapi", "--afm", "--nsd"}
    opts, pos = parse(argv, set(), set(emulated) | others | {"-Y"}, usage, "mmdiag")
    if pos:
        raise UsageError(f"mmdiag: Incorrect extra argument: {pos[0]}", usage)
    not_here = sorted(others & set(opts))
    if not_here:
        raise MMError(f"mmdiag: {', '.join(not_here)}: not emulated by the deploy-pod twin.",
                      extra=failed("mmdiag"))
    asked = [o for o in emulated if o in opts] or ["--waiters"]
    st, me, status = _local_daemon("mmdiag")
    out: list[str] = []
    for o in asked:
        name = o[2:]
        if o == "--config" and opts.get("-Y"):
            # -Y layout as tests/fixtures/real/mmdiag_config_Y.1.txt
            out += yfmt.table("mmdiag", "config", ["name", "value", "changed"],
                              [[k, v, "static" if ch else ""] for k, v, ch in _config(st, me)])
            continue
        out += ["", f"=== mmdiag: {name} ==="]
        if o == "--version":
            started = float(status.get("started", time.time()))
            out += [f'Current GPFS build: "{VERSION} ".', f"Built on {BUILT_ON}",
                    f"Running {_running(int(time.time() - started))}, pid {status.get('pid', os.getpid())}"]
        elif o == "--config":
            out += [f" {'!' if ch else ' '} {k} {v}" for k, v, ch in _config(st, me)]
        elif o == "--network":
            out += _network(st, me)
        # --waiters: the emulated daemon never has a waiting thread, so only the title
    print("\n".join(out))
    return 0


def _network(st: dict, me: str) -> list[str]:
    rec = st["nodes"][me]
    ip = rec["ip"]
    octets = ip.split(".")
    subnet = ".".join(octets[:3] + ["0"]) + "/24" if len(octets) == 4 else ip
    iface = _iface(ip)
    out = ["", "Pending messages:", "  (none)", "Inter-node communication configuration:",
           f"  {'tscTcpPort':<16}1191",
           f"  {'my address':<16}{ip}/24 ({iface}) <c0n{rec['number'] - 1}>",
           f"  {'my addr list':<16}{ip}/24 ({iface})",
           f"  {'my subnet list':<16}{subnet}",
           f"  {'my node number':<16}{rec['number']}",
           "TCP Connections between nodes:",
           f"    {'hostname':<36}{'node':<9}{'idx':>3} {'destination':<16}{'status':<11}{'err':<5}{'sock':<6}"
           f"{'sent(MB)':<10}{'recvd(MB)':<11}ostype"]
    alive = alive_nodes(st)
    for i, (key, n) in enumerate(sorted(st["nodes"].items(), key=lambda kv: kv[1]["number"])):
        if key == me or key not in alive:
            continue
        out.append(f"    {key:<36}{'<c0n' + str(n['number'] - 1) + '>':<9}{0:>3} {n['ip']:<16}"
                   f"{'connected':<11}{0:<5}{100 + i:<6}{0:<10}{0:<11}Linux/L")
    return out


# ---- mmpmon ------------------------------------------------------------------------------

def mmpmon(argv: list[str]) -> int:
    usage = ("mmpmon [-i CommandFile] [-d IntegerDelayValue] [-p] [-r IntegerRepeatValue] [-s] "
             "[-t IntegerTimeoutValue]")
    opts, pos = parse(argv, {"-i", "-d", "-r", "-t"}, {"-p", "-s"}, usage, "mmpmon")
    if pos:
        raise UsageError(f"mmpmon: Incorrect extra argument: {pos[0]}", usage)
    try:
        repeat = int(opts.get("-r", 1))
        delay = int(opts.get("-d", 1000)) / 1000
    except ValueError as e:
        raise UsageError("mmpmon: -r and -d take integers.", usage) from e
    if "-i" in opts:
        try:
            with open(opts["-i"]) as f:
                text = f.read()
        except OSError as e:
            raise MMError(f"mmpmon: Cannot open {opts['-i']}: {e.strerror}", extra=failed("mmpmon")) from e
    else:
        text = sys.stdin.read()
    reqs = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    st, me, status = _local_daemon("mmpmon")
    ip, name, cluster = st["nodes"][me]["ip"], me, st["cluster"]["name"]
    n = 0
    once_done = False
    while True:
        for req in reqs:
            once = req.startswith("once ")
            if once:
                if once_done:
                    continue
                req = req[5:].strip()
            _request(req, opts.get("-p"), ip, name, cluster, st, status)
        once_done = True
        n += 1
        if repeat and n >= repeat:
            break
        time.sleep(delay)
    return 0


def _request(req: str, parseable: bool, ip: str, name: str, cluster: str, st: dict, status: dict) -> None:
    now = time.time()
    t, tu = int(now), int(now * 1e6) % 1000000
    head = f"_n_ {ip} _nn_ {name} _rc_ 0 _t_ {t} _tu_ {tu}"
    counters = [("_br_", "bytes read"), ("_bw_", "bytes written"), ("_oc_", "opens"), ("_cc_", "closes"),
                ("_rdc_", "reads"), ("_wc_", "writes"), ("_dir_", "readdir"), ("_iu_", "inode updates")]
    if req == "fs_io_s":
        for fs in status.get("mounted", []):
            disks = len(st["filesystems"].get(fs, {}).get("disks", []))
            if parseable:
                print(f"_fs_io_s_ {head} _cl_ {cluster} _fs_ {fs} _d_ {disks} "
                      + " ".join(f"{k} 0" for k, _ in counters))
            else:
                print(f"mmpmon node {ip} name {name} fs_io_s OK\ncluster: {cluster}\nfilesystem: {fs}\n"
                      f"disks: {disks}\ntimestamp: {t}/{tu}\n" + "\n".join(f"{d}: 0" for _, d in counters))
    elif req == "io_s":
        if parseable:
            print(f"_io_s_ {head} " + " ".join(f"{k} 0" for k, _ in counters))
        else:
            print(f"mmpmon node {ip} name {name} io_s OK\ntimestamp: {t}/{tu}\n"
                  + "\n".join(f"{d}: 0" for _, d in counters))
    elif req == "reset":
        print(f"_reset_ {head}" if parseable else f"mmpmon node {ip} name {name} reset OK")
    else:
        raise MMError(f"mmpmon: request '{req}' is not emulated by the deploy-pod twin (fs_io_s, io_s, "
                      "reset and 'once' are).", extra=failed("mmpmon"))
