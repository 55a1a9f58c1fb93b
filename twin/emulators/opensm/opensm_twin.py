#!/usr/bin/python3
"""Emulated opensm (OpenSM InfiniBand subnet manager) for the deploy-pod twin.

Debian's real opensm needs an InfiniBand device (umad) and fails in a twin container. This
stand-in behaves like the daemon as far as a role can see: it reads /etc/opensm/opensm.conf
(or -F FILE), prints what the real one prints on start (banner, " Loading Cached
Option:KEY = VALUE" for every option read, the port GUID it binds to, the state changes),
appends the same lines to its log file (log_file, default /var/log/opensm.log), re-reads the
configuration on SIGHUP and exits on SIGTERM. An invalid configuration (unknown option, a
value of the wrong kind, sm_priority outside 0-15, a guid no local port has) makes it exit
1 with the message, so `systemctl restart opensm` fails as it would on a broken host.

It runs no subnet: the port to bind comes from the twin's hardware file (guid, or the first
Active port), and its state is MASTER; the status (pid, guid, sm_priority, state) is kept in
/run/deploy-pod-twin/opensm.json for twin tooling.

    opensm [-F|--config FILE] [-c|--create-config FILE] [-g|--guid GUID] [-p|--priority N]
           [-f|--log_file FILE] [-B|--daemon] [--version]
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time

VERSION = "OpenSM 3.3.24"
DEFAULT_CONFIG = "/etc/opensm/opensm.conf"
HARDWARE = os.environ.get("DEPLOY_POD_TWIN_HARDWARE") or "/etc/deploy-pod-twin/hardware.json"
STATUS = os.environ.get("DEPLOY_POD_TWIN_OPENSM_STATUS") or "/run/deploy-pod-twin/opensm.json"

# option -> (kind, default). kind: int (decimal or 0x), bool (TRUE/FALSE), str, guid (hex)
OPTIONS = {
    "guid": ("guid", "0x0000000000000000"),
    "m_key": ("guid", "0x0000000000000000"),
    "sm_key": ("guid", "0x0000000000000001"),
    "sa_key": ("guid", "0x0000000000000001"),
    "subnet_prefix": ("guid", "0xfe80000000000000"),
    "lmc": ("int", "0"),
    "sm_priority": ("int", "0"),
    "ignore_other_sm": ("bool", "FALSE"),
    "sminfo_polling_timeout": ("int", "10000"),
    "polling_retry_number": ("int", "4"),
    "honor_guid2lid_file": ("bool", "FALSE"),
    "sweep_interval": ("int", "10"),
    "reassign_lids": ("bool", "FALSE"),
    "force_heavy_sweep": ("bool", "FALSE"),
    "sweep_on_trap": ("bool", "TRUE"),
    "routing_engine": ("str", "(null)"),
    "max_wire_smps": ("int", "4"),
    "transaction_timeout": ("int", "200"),
    "transaction_retries": ("int", "3"),
    "daemon": ("bool", "FALSE"),
    "sm_inactive": ("bool", "FALSE"),
    "log_flags": ("int", "0x03"),
    "force_log_flush": ("bool", "FALSE"),
    "log_file": ("str", "/var/log/opensm.log"),
    "log_max_size": ("int", "0"),
    "accum_log_file": ("bool", "TRUE"),
    "dump_files_dir": ("str", "/var/log/"),
    "partition_config_file": ("str", "/etc/opensm/partitions.conf"),
    "no_partition_enforcement": ("bool", "FALSE"),
    "qos": ("bool", "FALSE"),
    "qos_policy_file": ("str", "/etc/opensm/qos-policy.conf"),
    "console": ("str", "off"),
    "console_port": ("int", "10000"),
    "node_name_map_name": ("str", "(null)"),
    "subnet_timeout": ("int", "18"),
    "packet_life_time": ("int", "0x12"),
    "max_op_vls": ("int", "5"),
    "exit_on_fatal": ("bool", "TRUE"),
    "log_prefix": ("str", "(null)"),
}
_INT = re.compile(r"^(0x[0-9a-fA-F]+|\d+)$")
_GUID = re.compile(r"^0x[0-9a-fA-F]{1,16}$")


class ConfigError(Exception):
    pass


def _stamp() -> str:
    return time.strftime("%b %d %H:%M:%S") + f" {int(time.time() * 1e6) % 1000000:06d} [{os.getpid():08X}]"


class Log:
    def __init__(self) -> None:
        self.path = None

    def out(self, text: str, level: str = "0x80") -> None:
        """stdout (journal) as the real daemon prints it, and the log file line."""
        print(text, flush=True)
        self.file(text, level)

    def file(self, text: str, level: str = "0x80") -> None:
        if not self.path or not text.strip():
            return
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(f"{_stamp()} {level} -> {text.strip()}\n")
        except OSError:
            pass


def parse_config(path: str) -> dict:
    """{option: value string}; raises ConfigError naming the file, line and option."""
    opts = {}
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return opts
    except OSError as exc:
        raise ConfigError(f"cannot open config file {path}: {exc.strerror}") from exc
    for n, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        key, value = key.strip(), value.strip()
        if key.startswith("qos_") or key.startswith("perfmgr") or key.startswith("event_"):
            opts[key] = value  # families this emulation accepts without checking
            continue
        if key not in OPTIONS:
            raise ConfigError(f"{path}:{n}: Unrecognized option: {key}")
        kind = OPTIONS[key][0]
        if value == "":
            raise ConfigError(f"{path}:{n}: option {key} has no value")
        if kind == "int" and not _INT.match(value):
            raise ConfigError(f"{path}:{n}: Invalid Cached Option: {key} = {value}: not a number")
        if kind == "bool" and value not in ("TRUE", "FALSE"):
            raise ConfigError(f"{path}:{n}: Invalid Cached Option: {key} = {value}: expected TRUE or FALSE")
        if kind == "guid" and not _GUID.match(value):
            raise ConfigError(f"{path}:{n}: Invalid Cached Option: {key} = {value}: expected a 0x-prefixed GUID")
        opts[key] = value
    return opts


def check(opts: dict) -> None:
    prio = int(opts.get("sm_priority", "0"), 0)
    if not 0 <= prio <= 15:
        raise ConfigError(f"Invalid Cached Option: sm_priority = {prio}: must be between 0 (lowest) and 15 (highest)")


def local_ports() -> list[tuple[str, str]]:
    """[(port_guid, state)] of this host's HCA ports from the twin's hardware file."""
    try:
        with open(HARDWARE, encoding="utf-8") as fh:
            hw = json.load(fh)
    except (OSError, ValueError):
        return []
    out = []
    for ca in hw.get("hcas") or []:
        for p in ca.get("ports") or []:
            if p.get("port_guid"):
                out.append((str(p["port_guid"]).lower(), str(p.get("state") or "Active")))
    return out


def choose_guid(opts: dict) -> str:
    want = int(opts.get("guid", "0x0"), 16)
    ports = local_ports()
    if want:
        for guid, _ in ports:
            if int(guid, 16) == want:
                return guid
        raise ConfigError(f"0x{want:016x} is not a port GUID of this host (ibstat -p lists them)")
    for guid, st in ports:
        if st == "Active":
            return guid
    if ports:
        return ports[0][0]
    raise ConfigError("no InfiniBand port found (no local HCA)")


def write_status(pid: int, guid: str, prio: int, state: str) -> None:
    try:
        os.makedirs(os.path.dirname(STATUS), exist_ok=True)
        tmp = STATUS + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"pid": pid, "guid": guid, "sm_priority": prio, "state": state}, fh)
        os.replace(tmp, STATUS)
    except OSError:
        pass


def create_config(path: str) -> int:
    lines = ["#", "# DEVICE ATTRIBUTES OPTIONS", "#", "# (deploy-pod twin emulation of opensm --create-config)", ""]
    for key, (_, default) in OPTIONS.items():
        lines.append(f"{key} {default}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"-------------------------------------------------\n{VERSION}\n"
          f"Creating config file template '{path}'.")
    return 0


def load(config: str, cli: dict, log: Log) -> tuple[dict, str]:
    print(f"-------------------------------------------------\n{VERSION}")
    print(f"Config file is `{config}`:")
    opts = {}
    if os.path.exists(config):
        print(f" Reading Cached Option File: {config}")
        opts = parse_config(config)
        for key, value in opts.items():
            print(f" Loading Cached Option:{key} = {value}")
    else:
        print(f" Reading Cached Option File: {config}\n Failed to open config file {config}: using defaults")
    opts.update(cli)
    check(opts)
    log.path = opts.get("log_file", OPTIONS["log_file"][1])
    print("Command Line Arguments:")
    if "sm_priority" in cli:
        print(f" Priority = {cli['sm_priority']}")
    if "guid" in cli:
        print(f" Guid <0x{int(cli['guid'], 16):016x}>")
    print(f" Log File: {log.path}\n-------------------------------------------------", flush=True)
    guid = choose_guid(opts)
    return opts, guid


def main(argv: list[str]) -> int:
    config, cli, it = DEFAULT_CONFIG, {}, iter(argv)
    for a in it:
        if a in ("-F", "--config"):
            config = next(it, DEFAULT_CONFIG)
        elif a in ("-c", "--create-config"):
            return create_config(next(it, "/tmp/opensm.conf"))
        elif a in ("-g", "--guid"):
            cli["guid"] = next(it, "0x0")
        elif a in ("-p", "--priority"):
            cli["sm_priority"] = next(it, "0")
        elif a in ("-f", "--log_file"):
            cli["log_file"] = next(it, OPTIONS["log_file"][1])
        elif a in ("-B", "--daemon", "-e", "--erase_log_file", "-v", "--verbose", "-V", "--vf"):
            continue
        elif a == "--version":
            print(f"-------------------------------------------------\n{VERSION}\n")
            return 0
        else:
            print(f"opensm: invalid option -- '{a.lstrip('-')}'\n\nUsage: opensm [options] (see: man opensm)",
                  file=sys.stderr)
            return 1
    log = Log()
    try:
        opts, guid = load(config, cli, log)
    except ConfigError as exc:
        print(f"opensm: {exc}", file=sys.stderr)
        print("Exiting SM", file=sys.stderr)
        return 1
    prio = int(opts.get("sm_priority", "0"), 0)
    log.file(VERSION)
    log.out(f"\nUsing default GUID {guid}" if not int(opts.get("guid", "0x0"), 16) else f"\nBinding to port {guid}")
    log.file(f"sm_priority = {prio}")
    log.out("Entering DISCOVERING state\n")
    state = "MASTER"  # a lone SM; the twin runs no election
    log.out(f"Entering {state} state\n")
    log.out("SUBNET UP")
    write_status(os.getpid(), guid, prio, state)

    running = {"on": True, "reload": False}

    def stop(_sig, _frm):
        running["on"] = False

    def hup(_sig, _frm):
        running["reload"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)
    while running["on"]:
        time.sleep(1)
        if running["reload"]:
            running["reload"] = False
            try:
                opts = parse_config(config)
                opts.update(cli)
                check(opts)
                prio = int(opts.get("sm_priority", "0"), 0)
                log.out(f"Reread config: sm_priority = {prio}", "0x02")
                write_status(os.getpid(), guid, prio, state)
            except ConfigError as exc:
                log.out(f"Reread config failed, keeping the running configuration: {exc}", "0x01")
    log.out("Exiting SM\n")
    with contextlib.suppress(OSError):
        os.unlink(STATUS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
