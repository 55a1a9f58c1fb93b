# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Parsers for InfiniBand tool output: ibstat, ibstatus, ibv_devinfo, ibdev2netdev,
iblinkinfo and ibnetdiscover --ports.

Ansible module_utils style: stdlib only, no deploy_pod imports, pure functions returning
dicts and lists. Every parser tolerates tabs or spaces as indentation, blank lines, a
leading ``# source:`` comment line and a trailing ``ibpanic:`` line (ibstat exits 255
after printing the CAs it could read).
"""

from __future__ import annotations

import re

__all__ = [
    "parse_rate",
    "parse_ibstat",
    "parse_ibstatus",
    "parse_ibv_devinfo",
    "parse_ibdev2netdev",
    "parse_iblinkinfo",
    "parse_ibnetdiscover_ports",
    "switch_name",
    "norm_desc",
]

_RATE = re.compile(
    r"^\s*(?P<gbps>\d+(?:\.\d+)?)\s*(?:Gb/sec|Gbps|Gb/s)?\s*(?:\(\s*(?P<width>\d+X)?\s*(?P<speed>[A-Z0-9]+)?\s*\))?\s*$",
    re.IGNORECASE,
)


def _num(text: str):
    """'100' -> 100, '2.5' -> 2.5, '0x1f' -> 31; anything else unchanged."""
    t = text.strip()
    try:
        if re.fullmatch(r"[+-]?\d+", t):
            return int(t)
        if re.fullmatch(r"0x[0-9a-fA-F]+", t):
            return int(t, 16)
        if re.fullmatch(r"[+-]?\d+\.\d*", t):
            return float(t)
    except ValueError:
        pass
    return t


def parse_rate(text: str) -> dict:
    """'100' | '2.5' | '40 Gb/sec (4X FDR10)' | '200 Gb/sec (4X HDR)' ->
    {'gbps': 40.0, 'width': '4X', 'speed': 'FDR10'} (width/speed None when not given)."""
    m = _RATE.match(str(text))
    if not m:
        return {"gbps": None, "width": None, "speed": None}
    width = m.group("width")
    return {"gbps": float(m.group("gbps")), "width": width.upper() if width else None,
            "speed": m.group("speed").upper() if m.group("speed") else None}


def norm_desc(text):
    """A node description as the fabric means it: real switches pad theirs ('SwitchX -  Mellanox
    Technologies', NUL/space padded 64-byte NodeDescription; iblinkinfo -l right-aligns the local
    name in 30 columns), so leading/trailing blanks go and inner runs of blanks become one space.
    None stays None."""
    if text is None:
        return None
    return " ".join(str(text).replace("\x00", " ").split())


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


_IBSTAT_INT = {"number_of_ports", "base_lid", "lmc", "sm_lid"}


def parse_ibstat(text: str) -> dict:
    """ibstat [ca [port]] output.

    Returns {'cas': {name: {'ca_type', 'number_of_ports', 'firmware_version',
    'hardware_version', 'node_guid', 'system_image_guid', 'ports': {num: {'state',
    'physical_state', 'rate', 'rate_gbps', 'base_lid', 'lmc', 'sm_lid', 'capability_mask',
    'port_guid', 'link_layer'}}}}, 'ports': {num: {...}} (ports printed without a CA, as
    `ibstat mlx5_0 1` does), 'panic': the ibpanic message or None}.
    """
    cas: dict = {}
    loose: dict = {}
    panic = None
    ca = None
    port = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("ibpanic:"):
            panic = line[len("ibpanic:"):].strip()
            continue
        m = re.match(r"^CA\s+'([^']+)'$", line)
        if m:
            ca = {"name": m.group(1), "ports": {}}
            cas[m.group(1)] = ca
            port = None
            continue
        m = re.match(r"^Port\s+(\d+):$", line)
        if m:
            port = {"num": int(m.group(1))}
            (ca["ports"] if ca is not None else loose)[port["num"]] = port
            continue
        if ":" not in line:
            continue
        label, _, value = line.partition(":")
        key, value = _key(label), value.strip()
        target = port if port is not None else ca
        if target is None:
            continue
        if key in _IBSTAT_INT:
            target[key] = _num(value)
        elif key == "rate":
            rate = parse_rate(value)
            target["rate"] = value
            gbps = rate["gbps"]
            target["rate_gbps"] = int(gbps) if gbps is not None and gbps == int(gbps) else gbps
        else:
            target[key] = value
    return {"cas": cas, "ports": loose, "panic": panic}


def parse_ibstatus(text: str) -> list[dict]:
    """ibstatus output -> [{'ca', 'port', 'default_gid', 'base_lid', 'sm_lid', 'state',
    'state_num', 'phys_state', 'phys_state_num', 'rate', 'rate_gbps', 'width', 'speed',
    'link_layer'}] in print order. LIDs are printed in hex and returned as ints."""
    out: list[dict] = []
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^Infiniband device\s+'([^']+)'\s+port\s+(\d+)\s+status:$", line)
        if m:
            cur = {"ca": m.group(1), "port": int(m.group(2))}
            out.append(cur)
            continue
        if cur is None or ":" not in line:
            continue
        label, _, value = line.partition(":")
        key, value = _key(label), value.strip()
        if key in ("base_lid", "sm_lid"):
            cur[key] = _num(value) if value.startswith("0x") else value
        elif key in ("state", "phys_state"):
            num, _, word = value.partition(":")
            cur[key] = word.strip() if word else value
            cur[key + "_num"] = int(num) if num.strip().isdigit() else None
        elif key == "rate":
            cur["rate"] = value
            r = parse_rate(value)
            cur["rate_gbps"] = r["gbps"]
            cur["width"], cur["speed"] = r["width"], r["speed"]
        else:
            cur[key] = value
    return out


def parse_ibv_devinfo(text: str) -> dict:
    """ibv_devinfo [-v] output -> {hca_id: {'transport', 'fw_ver', 'node_guid', ...,
    'phys_port_cnt', 'ports': {num: {'state', 'state_num', 'max_mtu', 'active_mtu',
    'sm_lid', 'port_lid', 'port_lmc', 'link_layer', ...}}}}.

    'X (n)' values are split: state 'PORT_ACTIVE' + state_num 4; MTUs become ints (bytes).
    Verbose-only keys are kept as strings; GID[ n] lines are collected in 'gids'.
    """
    devices: dict = {}
    dev = None
    port = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^hca_id:\s*(\S+)", line)
        if m:
            dev = {"hca_id": m.group(1), "ports": {}}
            devices[m.group(1)] = dev
            port = None
            continue
        if dev is None:
            continue
        m = re.match(r"^port:\s*(\d+)$", line)
        if m:
            port = {"num": int(m.group(1))}
            dev["ports"][port["num"]] = port
            continue
        m = re.match(r"^GID\[\s*(\d+)\]:\s*(\S+)", line)
        if m and port is not None:
            port.setdefault("gids", []).append(m.group(2))
            continue
        if ":" not in line:
            continue
        label, _, value = line.partition(":")
        key, value = _key(label), value.strip()
        target = port if port is not None else dev
        m = re.match(r"^(.*?)\s*\((\d+)\)$", value)
        if key in ("state", "phys_state") and m:
            target[key], target[key + "_num"] = m.group(1), int(m.group(2))
        elif key in ("max_mtu", "active_mtu") and m:
            target[key] = _num(m.group(1))
        elif key in ("sm_lid", "port_lid", "port_lmc", "phys_port_cnt", "vendor_part_id"):
            target[key] = _num(value)
        else:
            target[key] = value
    return devices


_I2N = re.compile(r"^(?P<ca>\S+)\s+port\s+(?P<port>\d+)\s+==>\s+(?P<netdev>\S+)\s+\(\s*(?P<state>[^)]*?)\s*\)")
_I2N_V = re.compile(
    r"^(?P<pci>\S+)\s+(?P<ca>\S+)\s+\((?P<info>[^)]*)\)\s+(?P<desc>.*?)\s+fw\s+(?P<fw>\S+)\s+"
    r"port\s+(?P<port>\d+)\s+\(\s*(?P<port_state>[^)]*?)\s*\)\s+==>\s+(?P<netdev>\S+)\s+\(\s*(?P<state>[^)]*?)\s*\)"
)


def parse_ibdev2netdev(text: str) -> list[dict]:
    """ibdev2netdev [-v] -> [{'ca', 'port', 'netdev', 'state', 'up': bool}];
    -v lines add 'pci', 'fw', 'port_state', 'description'.

    The script prints the netdev's own operstate, capitalised ('Up', 'Down', 'Unknown',
    'Lowerlayerdown', ...), not the HCA port's: 'state' is kept as printed and 'up' is true only
    for 'Up'. Netdev names are whatever the host calls them (ib0, ibp26s0, ibs5f0,
    enp27s0f0np0, net1); anything after the closing parenthesis (a pasted '# comment') and the
    extra blanks of `| column -t` are ignored. The IB port state of -v lines ('ACTIVE', padded
    to 6 columns by the script) comes back stripped."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _I2N_V.match(line)
        if m:
            d = {"ca": m["ca"], "port": int(m["port"]), "netdev": m["netdev"], "state": m["state"],
                 "pci": m["pci"], "fw": m["fw"], "port_state": m["port_state"], "description": m["desc"]}
        else:
            m = _I2N.match(line)
            if not m:
                continue
            d = {"ca": m["ca"], "port": int(m["port"]), "netdev": m["netdev"], "state": m["state"]}
        d["up"] = d["state"].strip().lower() == "up"
        out.append(d)
    return out


_LINK_PORT = re.compile(
    r"^\s*(?:(?P<guid>0x[0-9a-fA-F]+)\s+)?(?:\"(?P<lname>[^\"]*)\"\s+)?(?P<lid>\d+)\s+(?P<port>\d+)"
    r"\[(?P<ext>[^\]]*)\]\s+==\((?P<link>.*)\)==>\s*(?P<remote>.*)$"
)
_REMOTE = re.compile(
    r"^(?:(?P<guid>0x[0-9a-fA-F]+)\s+)?(?P<lid>\d+)\s+(?P<port>\d+)\[(?P<ext>[^\]]*)\]\s+"
    r"\"(?P<name>[^\"]*)\"\s*(?:\((?P<note>.*)\))?\s*$"
)


def switch_name(description: str) -> str:
    """Managed Mellanox switches describe themselves 'MF0;<hostname>:<part>/U1'; return the
    hostname, or the description with its padding removed (norm_desc)."""
    desc = norm_desc(description)
    m = re.match(r"^MF0;([^:]+):", desc or "")
    return m.group(1).strip() if m else desc


def _parse_link(link: str) -> dict:
    left, _, phys = link.rpartition("/")
    tokens = left.split()
    state = tokens[-1] if tokens else ""
    rest = tokens[:-1]
    width = rest[0] if rest and re.fullmatch(r"\d+X", rest[0], re.IGNORECASE) else None
    speed = " ".join(rest[1:] if width else rest) or None
    return {"width": width, "speed": speed, "state": state, "phys_state": phys.strip()}


def parse_iblinkinfo(text: str) -> list[dict]:
    """iblinkinfo (default or -l line mode) -> one dict per port:
    {'node_type' ('CA'|'Switch'|'Router'), 'node_name', 'node_guid' (switches; None for CAs
    unless -l), 'port_guid' (CAs), 'lid', 'port', 'width', 'speed', 'state', 'phys_state',
    'remote': None | {'lid', 'port', 'name', 'guid', 'switch_name'}, 'note'}.
    """
    out = []
    node_type = node_name = node_guid = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = re.match(r"^\s*Switch:\s+(0x[0-9a-fA-F]+)\s+(.*):\s*$", raw)
        if m:
            node_type, node_guid, node_name = "Switch", m.group(1), norm_desc(m.group(2))
            continue
        m = re.match(r"^\s*(CA|Router):\s+(.*):\s*$", raw)
        if m:
            node_type, node_guid, node_name = m.group(1), None, norm_desc(m.group(2))
            continue
        m = _LINK_PORT.match(raw)
        if not m:
            continue
        entry = {"node_type": node_type, "node_name": node_name, "node_guid": node_guid, "port_guid": None,
                 "lid": int(m["lid"]), "port": int(m["port"])}
        if m["lname"] is not None:  # line mode: guid "name" lid port
            entry["node_name"] = norm_desc(m["lname"])
            entry["port_guid"] = m["guid"]
            if entry["node_type"] is None:
                entry["node_type"] = "Switch" if entry["node_name"].startswith("MF0;") else "CA"
        elif m["guid"]:
            entry["port_guid"] = m["guid"]
        entry.update(_parse_link(m["link"]))
        remote = m["remote"].strip()
        r = _REMOTE.match(remote)
        entry["remote"] = None
        entry["note"] = None
        if r:
            name = norm_desc(r["name"])
            entry["remote"] = {"lid": int(r["lid"]), "port": int(r["port"]), "name": name, "guid": r["guid"],
                               "switch_name": switch_name(name)}
            note = (r["note"] or "").strip()
            entry["note"] = note or None
        elif "Port not available" in remote:
            entry["note"] = "Port not available"
        out.append(entry)
    return out


_NETDISC = re.compile(
    r"^(?P<type>CA|SW|RT)\s+(?P<lid>\d+)\s+(?P<port>\d+)\s+(?P<guid>0x[0-9a-fA-F]+)\s+(?P<width>\S+)\s+"
    r"(?P<speed>\S+)(?P<rest>.*)$"
)
_NETDISC_REMOTE = re.compile(
    r"^\s*-\s+(?P<type>CA|SW|RT)\s+(?P<lid>\d+)\s+(?P<port>\d+)\s+(?P<guid>0x[0-9a-fA-F]+)\s+"
    r"\(\s*'(?P<name>.*)'\s+-\s+'(?P<rname>.*)'\s*\)\s*$"
)


def parse_ibnetdiscover_ports(text: str) -> list[dict]:
    """ibnetdiscover --ports -> [{'type', 'lid', 'port', 'guid', 'width', 'speed', 'name',
    'remote': None | {'type', 'lid', 'port', 'guid', 'name'}}]. Names are norm_desc()'d."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        m = _NETDISC.match(line)
        if not m:
            continue
        entry = {"type": m["type"], "lid": int(m["lid"]), "port": int(m["port"]), "guid": m["guid"],
                 "width": m["width"], "speed": m["speed"], "name": None, "remote": None}
        rest = m["rest"]
        r = _NETDISC_REMOTE.match(rest)
        if r:
            entry["name"] = norm_desc(r["name"])
            entry["remote"] = {"type": r["type"], "lid": int(r["lid"]), "port": int(r["port"]),
                               "guid": r["guid"], "name": norm_desc(r["rname"])}
        else:
            n = re.search(r"'(.*)'\s*$", rest)
            entry["name"] = norm_desc(n.group(1)) if n else None
        out.append(entry)
    return out
