# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Shared loader for the twin's emulated hardware (stdlib only, Python 3.11).

Every emulated vendor tool (ibstat, ibstatus, ibv_devinfo, ibdev2netdev, iblinkinfo,
ibnetdiscover, nvidia-smi, dgx-release, perftest) reads its facts from two JSON files
and nothing else. ``hwgen.py`` (same directory) builds both; ``deploy-pod sim fault``
edits them. Every field below is optional unless marked *required*: a missing field
takes the default shown, so older or hand-written files keep working.

Per host: ``/etc/deploy-pod-twin/hardware.json`` (env ``DEPLOY_POD_TWIN_HARDWARE``)
---------------------------------------------------------------------------------
schema            int, 1
host *            str, inventory hostname (also the first word of every HCA node description)
pod               str, pod name ("twin")
role              str, "dgx" | "ess" | "nsd" | ... (informational)
hw_model          str, catalog key ("dgx-1", "dgx-2", "dgx-a100", "ess-3000")
hw_name           str, catalog display name
dgx_platform      str|null, "DGX-1", "DGX-2", "DGX A100"; null on non-DGX hosts
dgx_release       dict|null, /etc/dgx-release content:
                    name ("DGX Server"), pretty_name ("NVIDIA DGX Server"),
                    swbuild_date, swbuild_version, commit_id, platform
                    ("DGX Server for DGX-1"), serial_number,
                    ota: [{version, date}]  (appended per OTA upgrade; last = current)
driver_version    str, NVIDIA driver ("535.183.06"); picks the nvidia-smi output dialect
cuda_version      str, CUDA version printed by nvidia-smi (derived from the driver if absent)
gpu_interconnect  str, "NVLink hybrid cube-mesh" | "NVSwitch" | ... (informational)
gpus              list of GPU dicts, in slot order:
    index         int *, slot index when all GPUs are present. nvidia-smi renumbers the
                  present GPUs 0..n-1 in slot order, as the real driver enumerates them
    model         str *, name as nvidia-smi prints it ("Tesla V100-SXM2-32GB")
    memory_mib    int, total memory (default 0)
    uuid          str, "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    bus_id        str, "00000000:06:00.0"
    serial        str, board serial (13 digits)
    present       bool, default true; false = fell off the bus: absent from every output
    temperature_c int (default 30), power_draw_w float (default 45.0),
    power_limit_w int (default 300), memory_used_mib int (default 0),
    utilization_pct int (default 0), persistence bool (default true),
    pstate str ("P0"), ecc_errors int (0), mig str ("N/A" | "Disabled"),
    numa_node int (0), cpu_affinity str ("0-19,40-59")
topology          dict|null, what `nvidia-smi topo -m` prints, by slot:
    order         ["GPU0", ..., "mlx5_0", ...]  (GPUs by slot index, then NICs, print order)
    matrix        list of lists of str, matrix[i][j] is the link between order[i] and
                  order[j] ("X", "NV1", "NV12", "PIX", "PXB", "PHB", "NODE", "SYS")
    matrix_pcie   the same with every GPU-GPU cell as its PCIe path (what `topo -mp` prints)
    cpu_affinity  {"GPU0": "0-19,40-59"}; numa_affinity {"GPU0": "0"}
hcas              list of HCA dicts:
    name          str *, "mlx5_0"
    ca_type       str, "MT4115"; vendor_part_id int (derived from ca_type)
    fw            str, firmware "12.28.2006"; hw_ver str ("0")
    node_guid     str, "0x248a0703..." (16 hex digits); sys_guid str (default node_guid)
    board_id      str, "MT_2180110032"
    pci_addr      str, "0000:05:00.0"; description str (for ibdev2netdev -v)
    ports         list of port dicts:
        num        int *, 1-based
        state      str, "Active" | "Down" | "Initializing" | "Armed" (default "Active")
        phys_state str, default "LinkUp", or "Polling" when Down ("Disabled" = admin down)
        rate_gbps  int, 4X rate (10 SDR, 40 QDR, 56 FDR, 100 EDR, 200 HDR, 400 NDR);
                   a Down port prints 10 (4X SDR) as real ibstat does
        width      str, "4X"
        lid        int, base LID (0 when Down); sm_lid int (0 when Down); lmc int (0)
        port_guid  str; cap_mask str ("0x2651e848"); link_layer str ("InfiniBand")
        link_layer "InfiniBand" (default) | "Ethernet": an Ethernet (RoCE) port prints as real
                   ibstat/ibv_devinfo do for one: LID and SM LID 0, cap_mask always 0x00010000, rate the
                   Ethernet speed in Gb/s, port GUID the EUI-64 of its MAC; it never appears in
                   iblinkinfo/ibnetdiscover (its fabric link is dropped)
        mac        str, "0c:42:a1:1d:d1:2a" (Ethernet ports; default: node GUID bytes 0-2 and 5-7
                   plus port - 1, as ConnectX derives it)
        mtu        int, 4096 (1024 for an Ethernet port: active_mtu of a 1500-byte netdev)
        netdev     str, netdev name ("ib0", "ibp26s0", "enp27s0f0np0"); null if none
        netdev_state str, operstate ibdev2netdev prints when the container has no such
                   interface ("up" | "down"; default "up"); with one, /sys/class/net/NAME/operstate
        remote     {"switch": "ib-sw1", "port": 3} or null (not cabled)

Pod-wide: ``/var/lib/deploy-pod-twin/fabric.json`` (env ``DEPLOY_POD_TWIN_FABRIC``)
---------------------------------------------------------------------------------
schema, pod       as above; sm_lid int (LID of the switch running the SM)
switches          list of dicts:
    name *        str, "ib-sw1"
    hw_model      str, "sb7800"
    description   str, node description, "MF0;ib-sw1:MSB7800/U1", printed verbatim (padding
                  included) by iblinkinfo/ibnetdiscover
    managed       bool, default true; false = an unmanaged switch: its description is the
                  firmware's own, padded as real ones are ("SwitchX -  Mellanox Technologies",
                  "SwitchIB Mellanox Technologies", "Quantum Mellanox Technologies") by hw_model
    guid          str, "0x7cfe9003..."; lid int; ports int (36); rate_gbps int (100)
links             list, one per host HCA port (cabled or not):
    host *, ca *, port *   where the cable starts
    node_guid, port_guid   GUIDs of that CA / port; lid int; node_desc ("dgx01 mlx5_0")
    ca_type                "MT4115" (ibnetdiscover -l prints it as devid)
    switch, switch_port    far end (null when not cabled)
    state                  "Active" | "Down" ...; phys_state; rate_gbps; width ("4X")
isls              list of switch-to-switch cables:
    switch, port, peer, peer_port, state, rate_gbps, width

A Down link is not discovered by the subnet manager: iblinkinfo/ibnetdiscover show the
switch port as Down/Polling and leave the CA out unless another of its ports is up, as a
real fabric does. A miscabled port is just a different (switch, switch_port).
"""

from __future__ import annotations

import json
import os
import signal
import sys

if hasattr(signal, "SIGPIPE"):  # die quietly on `| head`, as the C tools do
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

HARDWARE_ENV = "DEPLOY_POD_TWIN_HARDWARE"
FABRIC_ENV = "DEPLOY_POD_TWIN_FABRIC"
HARDWARE_PATH = "/etc/deploy-pod-twin/hardware.json"
FABRIC_PATH = "/var/lib/deploy-pod-twin/fabric.json"

# 4X link rate (Gb/s) -> (speed name, per-lane signalling as iblinkinfo prints it,
#                         ibv_devinfo -v active_speed, its enum value)
SPEEDS = {
    10: ("SDR", "2.5 Gbps", "2.5 Gbps", 1),
    20: ("DDR", "5.0 Gbps", "5.0 Gbps", 2),
    40: ("QDR", "10.0 Gbps", "10.0 Gbps", 4),
    56: ("FDR", "14.0625 Gbps", "14.0 Gbps", 16),
    100: ("EDR", "25.78125 Gbps", "25.0 Gbps", 32),
    200: ("HDR", "53.125 Gbps", "50.0 Gbps", 64),
    400: ("NDR", "106.25 Gbps", "100.0 Gbps", 128),
    800: ("XDR", "212.5 Gbps", "200.0 Gbps", 256),
}
WIDTH_LANES = {"1X": 1, "2X": 2, "4X": 4, "8X": 8, "12X": 12}

PORT_STATES = {"down": (1, "Down"), "initializing": (2, "Initializing"), "init": (2, "Initializing"),
               "armed": (3, "Armed"), "active": (4, "Active")}
PHYS_STATES = {"sleep": (1, "Sleep"), "polling": (2, "Polling"), "disabled": (3, "Disabled"),
               "portconfigurationtraining": (4, "PortConfigurationTraining"),
               "linkup": (5, "LinkUp"), "linkerrorrecovery": (6, "LinkErrorRecovery"),
               "phytest": (7, "PhyTest")}


class TwinHardwareError(Exception):
    """The hardware or fabric file is missing or unreadable."""


def _read_json(path: str, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError as exc:
        raise TwinHardwareError(f"{what} file {path} not found") from exc
    except (OSError, ValueError) as exc:
        raise TwinHardwareError(f"{what} file {path} unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise TwinHardwareError(f"{what} file {path}: top level is not an object")
    return data


def hardware_path() -> str:
    return os.environ.get(HARDWARE_ENV) or HARDWARE_PATH


def fabric_path() -> str:
    return os.environ.get(FABRIC_ENV) or FABRIC_PATH


def load_hardware(path: str | None = None) -> dict:
    """Read and normalise the per-host hardware file."""
    return normalize_hardware(_read_json(path or hardware_path(), "hardware"))


def load_fabric(path: str | None = None) -> dict:
    """Read and normalise the pod-wide fabric file."""
    return normalize_fabric(_read_json(path or fabric_path(), "fabric"))


def port_state(state: str | None) -> tuple[int, str]:
    return PORT_STATES.get(str(state or "Active").strip().lower(), (4, "Active"))


def phys_state(name: str | None, state_num: int) -> tuple[int, str]:
    if name:
        key = str(name).strip().lower().replace(" ", "")
        if key in PHYS_STATES:
            return PHYS_STATES[key]
    return (2, "Polling") if state_num == 1 else (5, "LinkUp")


def normalize_port(port: dict, ca: dict | None = None) -> dict:
    p = dict(port)
    p["num"] = int(p.get("num", 1))
    num, name = port_state(p.get("state"))
    p["state"], p["state_num"] = name, num
    p["phys_num"], p["phys_state"] = phys_state(p.get("phys_state"), num)
    p["width"] = str(p.get("width") or "4X").upper()
    p["configured_rate_gbps"] = int(p.get("rate_gbps") or 100)
    down = num == 1
    # C14-24.2.1: a down port reports SDR; LIDs are unassigned
    p["rate_gbps"] = 10 if down else p["configured_rate_gbps"]
    p["lid"] = 0 if down else int(p.get("lid") or 0)
    p["sm_lid"] = 0 if down else int(p.get("sm_lid") or 0)
    p["lmc"] = int(p.get("lmc") or 0)
    base = (ca or {}).get("node_guid") or "0x0000000000000000"
    p["link_layer"] = "Ethernet" if str(p.get("link_layer") or "").strip().lower() == "ethernet" else "InfiniBand"
    if p["link_layer"] == "Ethernet":
        # RoCE: no subnet manager, no LIDs (ibstat prints 0, ibv_devinfo port_lid 0); the port GUID
        # is the MAC's modified EUI-64 (0c:42:a1:1d:d1:2a -> 0x0e42a1fffe1dd12a)
        p["lid"], p["sm_lid"] = 0, 0
        p["mac"] = p.get("mac") or default_mac(base, p["num"])
        p["port_guid"] = fmt_guid(p.get("port_guid") or mac_guid(p["mac"]))
        p["cap_mask"] = "0x00010000"  # what real ConnectX RoCE ports show, whatever an IB mask says
        p["mtu"] = int(p.get("mtu") or 1024)
    else:
        p["port_guid"] = fmt_guid(p.get("port_guid") or (guid_int(base) + p["num"] - 1))
        p["cap_mask"] = p.get("cap_mask") or "0x2651e848"
        p["mtu"] = int(p.get("mtu") or 4096)
    p.setdefault("netdev", None)
    p.setdefault("remote", None)
    return p


def normalize_hca(hca: dict) -> dict:
    h = dict(hca)
    h["ca_type"] = h.get("ca_type") or "MT4115"
    h["fw"] = h.get("fw") or "12.28.2006"
    h["hw_ver"] = str(h.get("hw_ver") if h.get("hw_ver") is not None else "0")
    h["node_guid"] = fmt_guid(h.get("node_guid") or 0)
    h["sys_guid"] = fmt_guid(h.get("sys_guid") or h["node_guid"])
    digits = "".join(c for c in h["ca_type"] if c.isdigit())
    h["vendor_part_id"] = int(h.get("vendor_part_id") or (digits or 0))
    h["board_id"] = h.get("board_id") or "MT_0000000000"
    h["ports"] = sorted((normalize_port(p, h) for p in h.get("ports") or []), key=lambda p: p["num"])
    return h


def normalize_gpu(gpu: dict, pos: int) -> dict:
    g = dict(gpu)
    g["index"] = int(g.get("index", pos))
    g.setdefault("model", "Unknown GPU")
    g["memory_mib"] = int(g.get("memory_mib") or 0)
    g.setdefault("uuid", "GPU-00000000-0000-0000-0000-%012d" % g["index"])
    g.setdefault("bus_id", "00000000:%02X:00.0" % (g["index"] + 1))
    g.setdefault("serial", "0000000000000")
    g["present"] = bool(g.get("present", True))
    defaults = {"temperature_c": 30, "power_draw_w": 45.0, "power_limit_w": 300, "memory_used_mib": 0,
                "utilization_pct": 0, "persistence": True, "pstate": "P0", "ecc_errors": 0,
                "mig": "N/A", "numa_node": 0, "cpu_affinity": ""}
    for key, value in defaults.items():
        if g.get(key) is None:
            g[key] = value
    return g


def normalize_hardware(hw: dict) -> dict:
    h = dict(hw)
    h.setdefault("host", os.uname().nodename)
    h.setdefault("pod", "twin")
    h.setdefault("role", "")
    h.setdefault("hw_model", "")
    h.setdefault("dgx_platform", None)
    h.setdefault("dgx_release", None)
    h["driver_version"] = str(h.get("driver_version") or "535.183.06")
    h["cuda_version"] = str(h.get("cuda_version") or cuda_for_driver(h["driver_version"]))
    h["gpus"] = sorted((normalize_gpu(g, i) for i, g in enumerate(h.get("gpus") or [])),
                       key=lambda g: g["index"])
    h["hcas"] = sorted((normalize_hca(c) for c in h.get("hcas") or []), key=lambda c: c["name"])
    h.setdefault("topology", None)
    return h


def normalize_fabric(fab: dict) -> dict:
    f = dict(fab)
    f.setdefault("pod", "twin")
    switches = []
    for sw in f.get("switches") or []:
        s = dict(sw)
        s["guid"] = fmt_guid(s.get("guid") or 0)
        s["lid"] = int(s.get("lid") or 0)
        s["ports"] = int(s.get("ports") or 36)
        s["rate_gbps"] = int(s.get("rate_gbps") or 100)
        s.setdefault("description", "MF0;%s:%s/U1" % (s.get("name", "switch"), "MSB7800"))
        if s.get("managed") is False:
            s["description"] = unmanaged_description(s.get("hw_model"))
        switches.append(s)
    f["switches"] = switches
    links = []
    for link in f.get("links") or []:
        lk = normalize_port({**link, "num": link.get("port", 1)})
        lk.update({k: link.get(k) for k in ("host", "ca", "switch", "switch_port")})
        lk["port_guid"] = fmt_guid(link.get("port_guid") or lk["port_guid"])
        lk["node_guid"] = fmt_guid(link.get("node_guid") or lk["port_guid"])
        lk["node_desc"] = link.get("node_desc") or f"{link.get('host')} {link.get('ca')}"
        lk["port"] = lk["num"]
        links.append(lk)
    f["links"] = links
    isls = []
    for isl in f.get("isls") or []:
        i = normalize_port({**isl, "num": isl.get("port", 1)})
        i.update({k: isl.get(k) for k in ("switch", "port", "peer", "peer_port")})
        isls.append(i)
    f["isls"] = isls
    f["sm_lid"] = int(f.get("sm_lid") or (switches[0]["lid"] if switches else 1))
    return f


# NodeDescription of unmanaged Mellanox switches, as real fabrics show them (the SwitchX one
# with its two spaces: ibswitches/ibnetdiscover output pasted in public docs and issues)
UNMANAGED_DESCRIPTIONS = {"sx": "SwitchX -  Mellanox Technologies", "sb": "SwitchIB Mellanox Technologies",
                          "qm8": "Quantum Mellanox Technologies"}


def unmanaged_description(hw_model) -> str:
    model = str(hw_model or "").lower()
    for prefix, desc in sorted(UNMANAGED_DESCRIPTIONS.items(), key=lambda kv: -len(kv[0])):
        if model.startswith(prefix):
            return desc
    return "SwitchIB Mellanox Technologies"


def guid_int(value) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace(":", "")
    return int(text, 16) if text else 0


def default_mac(node_guid, num: int = 1) -> str:
    """ConnectX node GUID 0x0c42a103001dd12a -> MAC 0c:42:a1:1d:d1:2a (bytes 0-2 and 5-7) + port - 1."""
    h = "%016x" % guid_int(node_guid)
    mac = (int(h[:6] + h[10:], 16) + max(num, 1) - 1) & 0xFFFFFFFFFFFF
    m = "%012x" % mac
    return ":".join(m[i:i + 2] for i in range(0, 12, 2))


def mac_guid(mac: str) -> int:
    """MAC -> modified EUI-64 (universal/local bit flipped, ff:fe in the middle), as RoCE port GUIDs."""
    b = [int(x, 16) for x in str(mac).replace("-", ":").split(":")]
    b[0] ^= 0x02
    return int("".join("%02x" % x for x in b[:3] + [0xFF, 0xFE] + b[3:]), 16)


def fmt_guid(value) -> str:
    return "0x%016x" % guid_int(value)


def colon_guid(value) -> str:
    """0x248a070300928186 -> 248a:0703:0092:8186 (ibv_devinfo style)."""
    h = "%016x" % guid_int(value)
    return ":".join(h[i:i + 4] for i in range(0, 16, 4))


def default_gid(port_guid) -> str:
    return "fe80:0000:0000:0000:" + colon_guid(port_guid)


def speed(rate_gbps: int, width: str = "4X") -> tuple[str, str, str, int]:
    lanes = WIDTH_LANES.get(width.upper(), 4)
    per_lane_4x = rate_gbps * 4 // lanes if lanes else rate_gbps
    return SPEEDS.get(per_lane_4x, SPEEDS[10])


def cuda_for_driver(driver: str) -> str:
    try:
        major = int(driver.split(".")[0])
    except ValueError:
        return "12.2"
    table = [(570, "12.8"), (560, "12.6"), (555, "12.5"), (550, "12.4"), (545, "12.3"), (535, "12.2"),
             (530, "12.1"), (525, "12.0"), (520, "11.8"), (515, "11.7"), (510, "11.6"), (495, "11.5"),
             (470, "11.4"), (465, "11.3"), (460, "11.2"), (455, "11.1"), (450, "11.0"), (440, "10.2"),
             (418, "10.1"), (410, "10.0"), (0, "9.2")]
    for floor, cuda in table:
        if major >= floor:
            return cuda
    return "12.2"


def driver_major(hw: dict) -> int:
    try:
        return int(str(hw.get("driver_version", "535")).split(".")[0])
    except ValueError:
        return 535


def present_gpus(hw: dict) -> list[dict]:
    """GPUs the driver sees, renumbered 0..n-1 in slot order (key 'display_index')."""
    out = []
    for g in hw.get("gpus") or []:
        if g.get("present", True):
            out.append({**g, "display_index": len(out)})
    return out


def find_hca(hw: dict, name: str) -> dict | None:
    for hca in hw.get("hcas") or []:
        if hca["name"] == name:
            return hca
    return None


def die(message: str, code: int = 1) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.exit(code)


def load_or_die(tool: str) -> dict:
    try:
        return load_hardware()
    except TwinHardwareError as exc:
        die(f"{tool}: deploy-pod twin: {exc}", 1)
    raise AssertionError("unreachable")


def fabric_or_die(tool: str) -> dict:
    try:
        return load_fabric()
    except TwinHardwareError as exc:
        die(f"{tool}: deploy-pod twin: {exc}", 1)
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- command lines

class GetoptError(Exception):
    """An option glibc's getopt_long rejects; the message is the one it prints (without the prog)."""


def getopt(argv: list[str], options: list[tuple]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """glibc getopt_long over argv (GNU order: options and operands mixed, '--' ends options).

    options: (long name, short letter or None, takes an argument). Returns ([(long name, value)],
    operands). A long option may be given by a unique prefix, as getopt_long allows. Raises
    GetoptError with glibc's wording: "unrecognized option '--foo'", "invalid option -- 'q'",
    "option requires an argument -- 'd'", "option '--ib-dev' requires an argument".
    """
    by_long = {o[0]: o for o in options}
    by_short = {o[1]: o for o in options if o[1]}
    out: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands += argv[i:]
            break
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            opt = by_long.get(name)
            if opt is None:
                hits = [o for n, o in by_long.items() if n.startswith(name)] if name else []
                if len(hits) > 1:
                    raise GetoptError(f"option '{a.split('=')[0]}' is ambiguous; possibilities:"
                                      + "".join(f" '--{o[0]}'" for o in hits))
                if not hits:
                    raise GetoptError(f"unrecognized option '{a}'")
                opt = hits[0]
            if opt[2]:
                if not eq:
                    if i >= len(argv):
                        raise GetoptError(f"option '--{opt[0]}' requires an argument")
                    value = argv[i]
                    i += 1
                out.append((opt[0], value))
            else:
                if eq:
                    raise GetoptError(f"option '--{opt[0]}' doesn't allow an argument")
                out.append((opt[0], None))
            continue
        if a.startswith("-") and a != "-":
            j = 1
            while j < len(a):
                ch = a[j]
                opt = by_short.get(ch)
                if opt is None:
                    raise GetoptError(f"invalid option -- '{ch}'")
                if opt[2]:
                    value = a[j + 1:]
                    if not value:
                        if i >= len(argv):
                            raise GetoptError(f"option requires an argument -- '{ch}'")
                        value = argv[i]
                        i += 1
                    out.append((opt[0], value))
                    break
                out.append((opt[0], None))
                j += 1
            continue
        operands.append(a)
    return out, operands


IBDIAG_CONFIG = "/etc/infiniband-diags/ibdiag.conf"


def ibdiag_usage(prog: str, args: str, options: list[tuple], examples: list[str] | None = None) -> str:
    """ibdiag_show_usage() of infiniband-diags/ibdiag_common.c; options are (long, letter, has_arg,
    arg template, description). The real one then exits 2, usage on stderr."""
    lines = [f"\nUsage: {prog} [options] {args}\n", "Options:"]
    for name, letter, has_arg, tmpl, desc in options:
        text = f"  --{name}"
        if letter:
            text += f", -{letter}"
        if has_arg:
            text += f" {tmpl or '<val>'}"
        if desc:
            text += " " * max(24 - len(text), 0) + "  " + desc
        lines.append(text)
    if examples:
        lines += ["", "Examples:"] + [f"  {prog} {e}" for e in examples]
    return "\n".join(lines) + "\n\n"


def ibdiag_options(prog: str, argv: list[str], options: list[tuple], args: str,
                   examples: list[str] | None = None):
    """Parse like ibdiag_process_opts(): an unknown option (or one the twin does not emulate, which
    is left out of `options`) prints getopt's message and the usage on stderr and exits 2, as the
    real tool does; -h/--help prints the usage and exits 2 too; -V prints the version on stderr."""
    try:
        opts, operands = getopt(argv, [(o[0], o[1], bool(o[2])) for o in options])
    except GetoptError as exc:
        sys.stderr.write(f"{prog}: {exc}\n" + ibdiag_usage(prog, args, options, examples))
        sys.exit(2)
    for name, _ in opts:
        if name == "help":
            sys.stderr.write(ibdiag_usage(prog, args, options, examples))
            sys.exit(2)
        if name == "version":
            sys.stderr.write(f"{prog} BUILD VERSION: 44.0 (deploy-pod twin)\n")
            sys.exit(0)
    return opts, operands


# common options of infiniband-diags that do not change what the twin prints
IBDIAG_COMMON = [
    ("config", "z", 1, "<config>", f"use config file, default: {IBDIAG_CONFIG}"),
    ("timeout", "t", 1, "<ms>", "timeout in ms"),
    ("help", "h", 0, None, "help message"),
    ("version", "V", 0, None, "show version"),
]
