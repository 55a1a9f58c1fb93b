"""Fault injection as pure edits of the hardware and fabric files.

A fault is a small dict recorded in `.sim/<pod>/faults.json`. The files a container
sees are always `render(base, active faults)`, so clearing a fault is re-rendering
without it: no undo bookkeeping in the files themselves. The live side of a fault
(a veth set down, a cable moved to another switch, a container stopped) is done by
the engine. The emulator faults (EMULATOR_KINDS) change no file of the host: the engine
publishes them pod-wide for the gpfs emulator (emulator_faults).

Field names follow twin/emulators/hw/twinhw.py (hardware.json / fabric.json contract).
"""

from __future__ import annotations

import copy
import re
from ipaddress import ip_address

from deploy_pod.content import module_utils

split_port = module_utils("plan_types").split_port  # the one HCA port pattern

KINDS: dict[str, tuple[str, str]] = {  # kind -> (arguments, what happens)
    "ib-link-down": ("PORT", "the HCA port (mlx5_2/1, or its netdev ib2) loses its link"),
    "miscable": ("PORT SWITCH:PORT", "the port's cable lands on another switch port"),
    "gpu-missing": ("[INDEX]", "a GPU falls off the bus (default: the last one)"),
    "node-down": ("", "the host's container is stopped (docker stop)"),
    "disk-descriptor": ("DEVICE", "the disk already holds a GPFS descriptor"),
    "daemon-stuck": ("", "the host's GPFS daemon starts but never becomes active (arbitrating)"),
    "vdiskset-fail": ("", "mmvdisk vdiskset create fails for the recovery groups this ESS canister serves"),
    "ipoib-address": ("ADDRESS", "an ESS canister's delivered IPoIB address differs from the plan"),
}
_ARGS = {"ib-link-down": (1, 1), "miscable": (2, 2), "gpu-missing": (0, 1), "node-down": (0, 0),
         "disk-descriptor": (1, 1), "daemon-stuck": (0, 0), "vdiskset-fail": (0, 0),
         "ipoib-address": (1, 1)}
# faults the gpfs emulator applies itself: the engine publishes them pod-wide
# (emulator_faults -> <shared volume>/cluster/twin-faults.json), they change no hardware file
EMULATOR_KINDS = ("daemon-stuck", "vdiskset-fail")
_REMOTE = re.compile(r"^(?P<switch>[^:]+):(?P<port>\d+)$")


class FaultError(ValueError):
    pass


def _ports(hw: dict):
    for hca in hw.get("hcas") or []:
        for p in hca.get("ports") or []:
            yield hca, p


def resolve_port(hw: dict, text: str) -> tuple[str, int, str | None]:
    """'mlx5_2/1' or 'ib2' -> (ca, port number, netdev), checked against hardware.json."""
    try:
        want = split_port(text)
    except ValueError:
        want = None  # a netdev name
    known = []
    for hca, p in _ports(hw):
        ca, num, netdev = hca.get("name"), int(p.get("num", 0)), p.get("netdev")
        known.append(f"{ca}/{num}")
        if (want and (ca, num) == want) or (not want and netdev == text):
            return ca, num, netdev
    raise FaultError(f"{hw.get('host', '?')} has no HCA port {text!r}; it has: {', '.join(known) or 'none'}")


def used_switch_ports(fabric: dict) -> dict[tuple[str, int], str]:
    """(switch, port) -> 'host ca/port' of every cabled link in a (rendered) fabric."""
    return {(lk["switch"], int(lk["switch_port"])): f"{lk['host']} {lk['ca']}/{lk['port']}"
            for lk in fabric.get("links") or [] if lk.get("switch") and lk.get("switch_port")}


def make_fault(hw: dict, kind: str, args: list[str], switches: dict[str, int | None],
               used: dict[tuple[str, int], str] | None = None) -> dict:
    """Check the request against the host's hardware and return the fault record.

    `used`: switch ports already cabled (see used_switch_ports); a miscable onto one is refused.
    """
    if kind not in KINDS:
        raise FaultError(f"unknown fault {kind!r}; known: {', '.join(KINDS)}")
    lo, hi = _ARGS[kind]
    if not lo <= len(args) <= hi:
        raise FaultError(f"{kind} takes {KINDS[kind][0] or 'no arguments'}")
    host = hw.get("host")
    fault: dict = {"host": host, "kind": kind}
    if kind in ("ib-link-down", "miscable"):
        ca, num, netdev = resolve_port(hw, args[0])
        fault.update(port=f"{ca}/{num}", netdev=netdev)
        if kind == "miscable":
            m = _REMOTE.match(args[1])
            if not m:
                raise FaultError(f"miscable wants SWITCH:PORT as the far end, got {args[1]!r}")
            sw, sp = m["switch"], int(m["port"])
            if sw not in switches:
                raise FaultError(f"unknown switch {sw!r}; the pod has: {', '.join(sorted(switches))}")
            limit = switches[sw]
            if sp < 1 or (limit and sp > limit):
                raise FaultError(f"{sw} has ports 1..{limit}, not {sp}")
            if used and (sw, sp) in used:
                raise FaultError(f"{sw} port {sp} already holds the cable of {used[(sw, sp)]}; pick a free port")
            fault.update(switch=sw, switch_port=sp)
    elif kind == "gpu-missing":
        gpus = hw.get("gpus") or []
        if not gpus:
            raise FaultError(f"{host} has no GPUs")
        indexes = sorted(int(g["index"]) for g in gpus)
        index = int(args[0]) if args else indexes[-1]
        if index not in indexes:
            raise FaultError(f"{host} has GPUs {indexes[0]}..{indexes[-1]}, not {index}")
        fault["index"] = index
    elif kind == "disk-descriptor":
        devices = [d.get("device") for d in hw.get("disks") or []]
        if args[0] not in devices:
            raise FaultError(f"{host} has no disk {args[0]!r}; it has: {', '.join(devices) or 'none'}")
        fault["device"] = args[0]
    elif kind == "ipoib-address":
        if hw.get("role") != "ess":
            raise FaultError(f"{host} is not an ESS canister (role {hw.get('role') or 'unknown'}); "
                             "ipoib-address plays a canister delivered with another address")
        try:
            fault["address"] = str(ip_address(args[0]))
        except ValueError:
            raise FaultError(f"ipoib-address wants an IPv4 address, got {args[0]!r}") from None
    elif kind == "vdiskset-fail" and hw.get("role") != "ess":
        raise FaultError(f"{host} is not an ESS canister (role {hw.get('role') or 'unknown'}); "
                         "vdiskset-fail needs a host of an ess unit")
    return fault


def emulator_faults(faults: list[dict]) -> list[dict]:
    """The pod-wide file the gpfs emulator reads: [{host, kind}] of the active emulator faults."""
    return sorted(({"host": f["host"], "kind": f["kind"]} for f in faults if f["kind"] in EMULATOR_KINDS),
                  key=lambda f: (f["host"], f["kind"]))


def same_target(a: dict, b: dict) -> bool:
    keys = ("host", "kind", "port", "index", "device")
    return all(a.get(k) == b.get(k) for k in keys)


def add_fault(faults: list[dict], fault: dict) -> list[dict]:
    """Record a fault; the same fault on the same target replaces the earlier one.

    A port is either down or miscabled-and-up, never both at once: a new fault on a port
    replaces any other port fault there.
    """
    def clash(f: dict) -> bool:
        if same_target(f, fault):
            return True
        return (f.get("host") == fault.get("host") and f.get("port") is not None
                and f.get("port") == fault.get("port"))
    return [f for f in faults if not clash(f)] + [fault]


def clear_faults(faults: list[dict], host: str | None = None, kind: str | None = None
                 ) -> tuple[list[dict], list[dict]]:
    """(kept, removed) for `--clear` [HOST] [KIND]."""
    kept, removed = [], []
    for f in faults:
        hit = (host is None or f["host"] == host) and (kind is None or f["kind"] == kind)
        (removed if hit else kept).append(f)
    return kept, removed


def _port_entry(hw: dict, port: str) -> dict | None:
    ca, num = split_port(port)
    for hca, p in _ports(hw):
        if hca.get("name") == ca and int(p.get("num", 0)) == int(num):
            return p
    return None


def render_hardware(base: dict, faults: list[dict]) -> dict:
    """hardware.json of one host = its base file with that host's active faults applied."""
    hw = copy.deepcopy(base)
    for f in faults:
        if f["host"] != hw.get("host"):
            continue
        if f["kind"] == "ib-link-down":
            p = _port_entry(hw, f["port"])
            if p is not None:
                p.update(state="Down", phys_state="Polling", lid=0, sm_lid=0)
        elif f["kind"] == "miscable":
            p = _port_entry(hw, f["port"])
            if p is not None:
                p["remote"] = {"switch": f["switch"], "port": f["switch_port"]}
        elif f["kind"] == "gpu-missing":
            for g in hw.get("gpus") or []:
                if int(g["index"]) == f["index"]:
                    g["present"] = False
        elif f["kind"] == "disk-descriptor":
            for d in hw.get("disks") or []:
                if d.get("device") == f["device"]:
                    d["gpfs_descriptor"] = True
    return hw


def render_fabric(base: dict, faults: list[dict]) -> dict:
    fabric = copy.deepcopy(base)
    for f in faults:
        if f["kind"] not in ("ib-link-down", "miscable"):
            continue
        ca, num = split_port(f["port"])
        for link in fabric.get("links") or []:
            if link.get("host") == f["host"] and link.get("ca") == ca and int(link.get("port", 0)) == int(num):
                if f["kind"] == "ib-link-down":
                    link.update(state="Down", phys_state="Polling")
                else:
                    link.update(switch=f["switch"], switch_port=f["switch_port"])
    return fabric


def describe(f: dict) -> str:
    extra = {"ib-link-down": lambda: f["port"],
             "miscable": lambda: f"{f['port']} -> {f['switch']}:{f['switch_port']}",
             "gpu-missing": lambda: f"GPU {f['index']}",
             "node-down": lambda: "",
             "disk-descriptor": lambda: f["device"],
             "daemon-stuck": lambda: "",
             "vdiskset-fail": lambda: "",
             "ipoib-address": lambda: f["address"]}[f["kind"]]()
    return f"{f['host']} {f['kind']} {extra}".strip()
