# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Read-only facts of an IBM Storage Scale (GPFS) node, built from the mm commands' -Y output.

Ansible module_utils style: stdlib only, no deploy_pod imports. Shared by
plugins/modules/scale_facts.py and the unit tests (tests/unit/test_scale_facts.py).

- ``mm(command, *args)`` is the one command builder every Scale module uses (as ceph-ansible's
  module_utils/ca_common.py generate_cmd): ``mm("mmlscluster", "-Y")`` ->
  ``["/usr/lpp/mmfs/bin/mmlscluster", "-Y"]``.
- ``READS`` is the facet -> commands table (``FS``: once per file system); ``read_facts(run,
  facets)`` runs only the commands the facets need, through ``run(argv) -> (rc, stdout, stderr)``
  (``module.run_command``).
- ``parse_*`` turn one command's -Y text into data, ``build_facts(raw)`` the facts dict from
  the raw outputs; all pure and unit-tested against the real samples in tests/fixtures.

Every -Y layout is read by field name (module_utils/scale_y.py); where releases name a field
differently the parsers take the first name found (``_get``), and unknown fields are ignored.
The mmvdisk -Y and mmlsnodeclass -Y layouts are not covered by a captured sample: the names
used by the twin's emulator and those seen in public scripts are both accepted.
"""

from __future__ import annotations

import os
import re

from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_y import parse, records

MMBIN = "/usr/lpp/mmfs/bin"
FS = "<fs>"  # in READS: the command runs once per file system the filesystems facet lists

READS = {
    "cluster": [("mmlscluster", "-Y")],
    "state": [("mmgetstate", "-a", "-Y")],
    "license": [("mmlslicense", "-L", "-Y")],
    "config": [("mmlsconfig", "-Y")],
    "nodeclasses": [("mmlsnodeclass", "--all", "-Y")],
    "nsds": [("mmlsnsd", "-X", "-Y")],
    "filesystems": [("mmlsfs", "all", "-Y")],
    "disks": [("mmlsdisk", FS, "-Y")],
    "capacity": [("mmdf", FS, "-Y")],
    "mounts": [("mmlsmount", "all", "-L", "-Y")],
    "vdisk": [("mmvdisk", "nodeclass", "list", "-Y"), ("mmvdisk", "server", "list", "-Y"),
              ("mmvdisk", "recoverygroup", "list", "-Y"), ("mmvdisk", "vdiskset", "list", "-Y")],
    "health": [("mmhealth", "node", "show", "-Y")],
}
NSD_FALLBACK = ("mmlsnsd", "-Y")  # when -X fails (older releases, no daemon)
FACETS = tuple(READS)
# read one command per file system, so not by default: mmlsdisk and mmdf need the file system manager
# (an active quorum), the other reads work on a cluster that is down
PER_FS = ("disks", "capacity")
DEFAULT_FACETS = tuple(f for f in FACETS if f not in PER_FS)
VDISK_NOUNS = ("nodeclass", "server", "recoverygroup", "vdiskset")

NOT_MEMBER = "does not belong to a GPFS cluster"
NO_DISKS = "No disks were found"


class ScaleReadError(Exception):
    """A read command failed: the command line, its exit status and IBM's own message."""

    def __init__(self, argv: list, rc: int, out: str, err: str):
        self.argv, self.rc, self.out, self.err = list(argv), rc, out or "", err or ""
        self.command = " ".join(str(a) for a in argv)
        self.detail = (self.err.strip() or self.out.strip() or f"exit status {rc}")
        super().__init__(f"{self.command} failed (exit {rc}): {self.detail}")


def mm(command: str, *args) -> list[str]:
    """argv of one Storage Scale command: [f"{MMBIN}/{command}", *args]."""
    return [f"{MMBIN}/{command}", *(str(a) for a in args)]


# ---- small helpers ------------------------------------------------------------------------

def short(name: str | None) -> str:
    return (name or "").split(".")[0]


def _get(row: dict, *names, default=None):
    """The first of the field names the row has (case-insensitive), else default."""
    for name in names:
        if name in row:
            return row[name]
    lower = {k.lower(): v for k, v in row.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    return default


_MISSING = object()


def _has(row: dict, *names) -> bool:
    return _get(row, *names, default=_MISSING) is not _MISSING


def _split(value, sep: str = ",") -> list[str]:
    if not value or value == "-":
        return []
    return [v.strip() for v in str(value).replace(";", sep).split(sep) if v.strip() and v.strip() != "-"]


def _int(value):
    """'4' -> 4, '1*' -> 1 (mmgetstate marks a tiebreaker quorum with '*'), '' / None -> None."""
    m = re.match(r"\s*(-?\d+)", str(value)) if value not in (None, "") else None
    return int(m.group(1)) if m else None


def _yes(value) -> bool:
    return str(value or "").strip().lower() in ("yes", "y", "true", "1", "active", "on")


def _none_if_dash(value):
    return None if value in (None, "", "-") else value


_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


def to_bytes(value) -> int | None:
    """'4194304' -> 4194304, '16M' / '16 MiB' / '16m' -> 16777216; None when unreadable."""
    if value in (None, ""):
        return None
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPB]?)(?:i?B)?\s*$", str(value), re.IGNORECASE)
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def _rows(text: str, command: str) -> list:
    """All rows of any record of one command, in output order."""
    out = []
    for (cmd, _), rows in parse(text or "").items():
        if cmd == command:
            out += rows
    return out


# ---- parsers: one command's -Y text each ---------------------------------------------------

def parse_cluster(text: str) -> tuple[dict | None, dict]:
    """mmlscluster -Y -> (cluster summary or None, {daemon name: node})."""
    summary = records(text, "mmlscluster", "clusterSummary")
    cluster = None
    if summary:
        s = summary[0]
        cluster = {"name": _get(s, "clusterName"), "id": _get(s, "clusterId"),
                   "uid_domain": _get(s, "uidDomain"), "rsh": _get(s, "rshPath"),
                   "rcp": _get(s, "rcpPath"), "repository": _get(s, "repositoryType"),
                   "primary_server": _none_if_dash(_get(s, "primaryServer")),
                   "secondary_server": _none_if_dash(_get(s, "secondaryServer"))}
    nodes = {}
    for r in records(text, "mmlscluster", "clusterNode"):
        daemon = _get(r, "daemonNodeName")
        if not daemon:
            continue
        designation = _get(r, "designation", default="") or ""
        roles = designation.lower()
        nodes[daemon] = {
            "number": _int(_get(r, "nodeNumber")), "daemon": daemon,
            "admin": _get(r, "adminNodeName") or daemon, "ip": _get(r, "ipAddress") or "",
            "quorum": "quorum" in roles, "manager": "manager" in roles, "designation": designation,
            "roles": _split(_get(r, "otherNodeRolesAlias")),
            "state": None, "license": None}
    return cluster, nodes


def parse_state(text: str) -> dict:
    """mmgetstate -a -Y -> {'nodes': {node name: state}, 'quorum': {needed, up, total}}.

    Node names are as mmgetstate prints them (short daemon names); newer releases add
    daemonNodeName, which is used when present."""
    states, quorum = {}, {"needed": None, "up": None, "total": None}
    for r in _rows(text, "mmgetstate"):
        name = _get(r, "daemonNodeName") or _get(r, "nodeName")
        if not name:
            continue
        states[name] = _get(r, "state")
        quorum = {"needed": _int(_get(r, "quorum")), "up": _int(_get(r, "nodesUp")),
                  "total": _int(_get(r, "totalNodes"))}
    return {"nodes": states, "quorum": quorum}


def parse_license(text: str) -> dict:
    """mmlslicense -L -Y -> {node name: {'designated': ..., 'required': ...}}."""
    out = {}
    for r in _rows(text, "mmlslicense"):
        name = _get(r, "nodeName")
        if name:
            out[name] = {"designated": _get(r, "designatedLicense"), "required": _get(r, "requiredLicense")}
    return out


def parse_config(text: str) -> dict:
    """mmlsconfig -Y -> {attribute: {scope: value}}; scope '' = cluster-wide, else the nodeList
    (a node class or a comma list of nodes) exactly as printed."""
    out: dict = {}
    for r in _rows(text, "mmlsconfig"):
        attr = _get(r, "configParameter")
        if attr:
            out.setdefault(attr, {})[_get(r, "nodeList") or ""] = _get(r, "value")
    return out


def parse_nodeclasses(text: str) -> dict:
    """mmlsnodeclass --all -Y -> {class: {members, member_classes, type: 'user'|'system'}}.

    No captured -Y sample: accepts the twin's fields (nodeclass, type, memberClasses,
    memberNodes, allMembers) and the record/field names public parsers use (nodeClass,
    className). Members are allMembers (nested classes expanded) when printed."""
    out = {}
    for r in _rows(text, "mmlsnodeclass"):
        name = _get(r, "nodeclass", "nodeClass", "nodeClassName", "className", "name")
        if not name:
            continue
        members = _split(_get(r, "allMembers")) or _split(_get(r, "memberNodes", "members"))
        kind = str(_get(r, "type", "nodeClassType", default="user") or "user").lower()
        out[name] = {"members": members, "member_classes": _split(_get(r, "memberClasses")),
                     "type": "system" if kind.startswith("sys") else "user"}
    return out


def parse_nsds(text: str) -> dict:
    """mmlsnsd -X -Y, -m -Y or -Y -> {nsd: {fs, servers, volume_id, device, devices, ...}}.

    -X / -m print a row per NSD and server with the local device on that server
    (localDiskName); plain -Y prints one row per NSD. usage, failure_group and pool are only
    known where the layout prints them (mmlsdisk has them per file system)."""
    out: dict = {}
    for r in _rows(text, "mmlsnsd"):
        name = _get(r, "diskName", "nsdName")
        if not name:
            continue
        fs = _get(r, "fileSystem")
        rec = out.setdefault(name, {
            "fs": None if fs in (None, "", "(free disk)", "-") else fs, "servers": [],
            "volume_id": _get(r, "volumeId", "NSDvolumeID", default="") or "", "device": None, "devices": {},
            "device_type": None, "remarks": None, "size_mb": None, "thin": None,
            "usage": _none_if_dash(_get(r, "usage", "diskUsage")),
            "failure_group": _none_if_dash(_get(r, "failureGroup")),
            "pool": _none_if_dash(_get(r, "storagePool", "pool"))})
        for s in _split(_get(r, "serverList", "nsdServers")):
            if s not in rec["servers"]:
                rec["servers"].append(s)
        node = _get(r, "nodeName", "serverName")
        if node and node not in rec["servers"] and "server" in str(_get(r, "remarks", default="server")):
            rec["servers"].append(node)
        device = _none_if_dash(_get(r, "localDiskName", "device", "deviceName"))
        if device:
            rec["devices"][node or (rec["servers"][0] if rec["servers"] else "")] = device
            rec["device"] = rec["device"] or device
        for key, names in (("device_type", ("deviceType", "devType")), ("remarks", ("remarks",)),
                           ("size_mb", ("sizeMB",)), ("thin", ("thinDisk", "thinDiskType"))):
            value = _none_if_dash(_get(r, *names))
            if value and rec[key] is None:
                rec[key] = _int(value) if key == "size_mb" else value
    return out


_FS_FIELDS = {  # mmlsfs fieldName -> fact key (int ones in _FS_INTS)
    "defaultMountPoint": "mount_point", "automaticMountOption": "automount",
    "defaultMetadataReplicas": "default_metadata_replicas", "maxMetadataReplicas": "max_metadata_replicas",
    "defaultDataReplicas": "default_data_replicas", "maxDataReplicas": "max_data_replicas",
    "blockAllocationType": "block_allocation_type", "inodeSize": "inode_size",
    "minFragmentSize": "min_fragment_size", "numNodes": "num_nodes", "filesystemVersion": "version",
    "maxNumberOfInodes": "max_inodes", "quotasEnforced": "quotas_enforced", "logReplicas": "log_replicas",
}
_FS_INTS = {"default_metadata_replicas", "max_metadata_replicas", "default_data_replicas", "max_data_replicas",
            "inode_size", "min_fragment_size", "num_nodes", "max_inodes", "log_replicas"}


def parse_filesystems(text: str) -> dict:
    """mmlsfs all -Y -> {fs: {mount_point, block_size (bytes), automount, replicas, disks, pools,
    attributes: {every fieldName: data}}}."""
    out: dict = {}
    for r in _rows(text, "mmlsfs"):
        dev, field = _get(r, "deviceName"), _get(r, "fieldName")
        if not dev or not field:
            continue
        name = dev.removeprefix("/dev/")
        rec = out.setdefault(name, {"mount_point": None, "block_size": None, "automount": None,
                                    "disks": [], "storage_pools": [], "attributes": {}})
        value = _get(r, "data")
        rec["attributes"][field] = value
        if field == "blockSize":
            rec["block_size"] = to_bytes(value)
        elif field == "disks":
            rec["disks"] = _split(value, ";")
        elif field == "storagePools":
            rec["storage_pools"] = _split(value, ";")
        elif field in _FS_FIELDS:
            key = _FS_FIELDS[field]
            rec[key] = _int(value) if key in _FS_INTS else value
    return out


def parse_mounts(text: str) -> dict:
    """mmlsmount all -L -Y -> {fs: [node names as printed]} (a node of a remote cluster too)."""
    out: dict = {}
    for r in _rows(text, "mmlsmount"):
        fs = _get(r, "realDevName", "localDevName", "deviceName")
        if not fs:
            continue
        nodes = out.setdefault(fs.removeprefix("/dev/"), [])
        node = _get(r, "nodeName")
        if node and node not in nodes:
            nodes.append(node)
    return out


def parse_disks(text: str) -> dict:
    """mmlsdisk <fs> -Y -> {nsd: {failure_group, status, availability, pool, size_kb, metadata, data}}.

    status (ready, suspended, to be emptied, ...) and availability (up, down, recovering,
    unrecovered) as printed; size_kb from diskSizeKB; failure_group the leading number (an FPO
    topology vector 1,0,1 gives 1)."""
    out: dict = {}
    for r in _rows(text, "mmlsdisk"):
        name = _get(r, "nsdName", "diskName")
        if not name:
            continue
        out[name] = {"failure_group": _int(_get(r, "failureGroup")), "status": _get(r, "status"),
                     "availability": _get(r, "availability"), "pool": _none_if_dash(_get(r, "storagePool")),
                     "size_kb": _int(_get(r, "diskSizeKB")), "metadata": _yes(_get(r, "metadata")),
                     "data": _yes(_get(r, "data"))}
    return out


def parse_capacity(text: str) -> dict:
    """mmdf <fs> -Y -> sizes in KB (mmdf reports 1 KiB units unless --block-size says otherwise):
    {total_kb, free_kb, free_fragments_kb, data_kb, metadata_kb, pools: {pool: {total_kb, free_kb,
    free_pct}}, disks: {nsd: {size_kb, failure_group, free_kb, pool, metadata, data}},
    inodes: {used, free, allocated, max}}. free_kb is the free space in full blocks (freeBlocks);
    free_fragments_kb what is free in fragments besides. Records missing from the output leave
    their values None."""
    rows = parse(text or "")
    out: dict = {"total_kb": None, "free_kb": None, "free_fragments_kb": None, "data_kb": None,
                 "metadata_kb": None, "pools": {}, "disks": {}, "inodes": None}
    for r in rows.get(("mmdf", "fsTotal"), [])[:1]:
        out["total_kb"], out["free_kb"] = _int(_get(r, "fsSize")), _int(_get(r, "freeBlocks"))
        out["free_fragments_kb"] = _int(_get(r, "freeFragments"))
    for r in rows.get(("mmdf", "data"), [])[:1]:
        out["data_kb"] = _int(_get(r, "totalData"))
    for r in rows.get(("mmdf", "metadata"), [])[:1]:
        out["metadata_kb"] = _int(_get(r, "totalMetadata"))
    for r in rows.get(("mmdf", "poolTotal"), []):
        name = _get(r, "poolName")
        if name:
            out["pools"][name] = {"total_kb": _int(_get(r, "poolSize")), "free_kb": _int(_get(r, "freeBlocks")),
                                  "free_pct": _int(_get(r, "freeBlocksPct"))}
    for r in rows.get(("mmdf", "nsd"), []):
        name = _get(r, "nsdName")
        if name:
            out["disks"][name] = {"size_kb": _int(_get(r, "diskSize")), "failure_group": _int(_get(r, "failureGroup")),
                                  "free_kb": _int(_get(r, "freeBlocks")), "pool": _get(r, "storagePool"),
                                  "metadata": _yes(_get(r, "metadata")), "data": _yes(_get(r, "data"))}
    for r in rows.get(("mmdf", "inode"), [])[:1]:
        out["inodes"] = {"used": _int(_get(r, "usedInodes")), "free": _int(_get(r, "freeInodes")),
                         "allocated": _int(_get(r, "allocatedInodes")), "max": _int(_get(r, "maxInodes"))}
    return out


# mmvdisk -Y: no captured sample. Names: the twin's emulator first, then those seen in public
# scripts that read real output (rgSummary/rgName, vdisksetSummary/vdisksetName/fsName, className).
_VDISK_NAME = {
    "nodeclass": ("nodeClass", "className", "nodeClassName", "nc"),
    "server": ("serverName", "server", "nodeName", "node"),
    "recoverygroup": ("recoveryGroup", "rgName", "recoveryGroupName", "rg"),
    "vdiskset": ("vdiskSet", "vdisksetName", "vdiskSetName", "vs"),
}
_VDISK_RECORD = {"nodeclass": "nodeclass", "server": "server", "recoverygroup": "rg",
                 "vdiskset": "vdiskset"}


def _vdisk_rows(text: str, noun: str) -> list:
    """Rows of the summary record of one mmvdisk list: the record holding the noun's name field,
    a '...Summary' or the noun's own record preferred over detail records (rgLogGroup, ...)."""
    found = [(rec, rows) for (cmd, rec), rows in parse(text or "").items()
             if cmd == "mmvdisk" and rows and _has(rows[0], *_VDISK_NAME[noun])]
    for rec, rows in found:
        low = rec.lower()
        if "summary" in low or low in (noun, _VDISK_RECORD[noun]):
            return rows
    for rec, rows in found:
        if _VDISK_RECORD[noun] in rec.lower() or noun in rec.lower():
            return rows
    return found[0][1] if found else []


def parse_vdisk(outputs) -> dict:
    """mmvdisk nodeclass/server/recoverygroup/vdiskset list -Y -> {nodeclasses, servers,
    recoverygroups, vdisksets}. outputs: {noun: text}, or one text holding them all."""
    if isinstance(outputs, str):
        outputs = {noun: outputs for noun in VDISK_NOUNS}
    outputs = outputs or {}
    facts = {"nodeclasses": {}, "servers": {}, "recoverygroups": {}, "vdisksets": {}}
    for r in _vdisk_rows(outputs.get("nodeclass", ""), "nodeclass"):
        name = _get(r, *_VDISK_NAME["nodeclass"])
        facts["nodeclasses"][name] = {"members": _split(_get(r, "memberNodes", "members", "nodes")),
                                      "recoverygroups": _split(_get(r, "recoveryGroups", "rgNames"))}
    for r in _vdisk_rows(outputs.get("server", ""), "server"):
        name = _get(r, *_VDISK_NAME["server"])
        facts["servers"][name] = {"number": _int(_get(r, "nodeNumber")), "active": _yes(_get(r, "active")),
                                  "remarks": _get(r, "remarks"), "nodeclass": _none_if_dash(_get(r, "nodeClass"))}
    for r in _vdisk_rows(outputs.get("recoverygroup", ""), "recoverygroup"):
        name = _get(r, *_VDISK_NAME["recoverygroup"])
        facts["recoverygroups"][name] = {
            "nodeclass": _none_if_dash(_get(r, "nodeClass", "ncName", "nodeClassName")),
            "active": _yes(_get(r, "active")),
            "current_server": _none_if_dash(_get(r, "currentServer", "currentOrMasterServer", "masterServer")),
            "user_vdisks": _int(_get(r, "userVdisks", "userVdisk"))}
    for r in _vdisk_rows(outputs.get("vdiskset", ""), "vdiskset"):
        name = _get(r, *_VDISK_NAME["vdiskset"])
        facts["vdisksets"][name] = {
            "created": _yes(_get(r, "created")), "fs": _none_if_dash(_get(r, "fileSystem", "fsName")),
            "recoverygroups": _split(_get(r, "recoveryGroups", "recoveryGroup", "rgName")),
            "code": _get(r, "code", "raidCode"), "block_size": _get(r, "blockSize"),
            "set_size": _get(r, "setSize"), "nsd_usage": _get(r, "nsdUsage"),
            "storage_pool": _get(r, "storagePool")}
    return facts


def parse_health(text: str, node: str | None = None) -> tuple[dict, dict]:
    """mmhealth node show -Y -> ({component: status}, {component: {entity: status}}).

    The first map holds the node-level state of each component (entity type NODE), the second
    every entity's (IB ports, file systems). With node given, other nodes' rows are left out."""
    status: dict = {}
    entities: dict = {}
    for r in records(text, "mmhealth", "State"):
        if node and short(_get(r, "node")) not in (short(node), ""):
            continue
        comp, entity, etype = _get(r, "component"), _get(r, "entityname"), _get(r, "entitytype")
        if not comp:
            continue
        value = _get(r, "status")
        entities.setdefault(comp, {})[entity or comp] = value
        if (etype or "").upper() == "NODE" or comp not in status:
            status[comp] = value
    return status, entities


# ---- facts ---------------------------------------------------------------------------------

def match_node(nodes: dict, name: str | None) -> str | None:
    """The daemon name of a node given by daemon, admin or short name (mmgetstate, mmlsmount
    and mmhealth print short names)."""
    if not name:
        return None
    if name in nodes:
        return name
    for key, n in nodes.items():
        if name == n.get("admin"):
            return key
    for key, n in nodes.items():
        if short(name) in (short(key), short(n.get("admin"))):
            return key
    return None


def local_node(nodes: dict, hostnames) -> str | None:
    """This node's daemon name: the first of its host names (hostname, FQDN, short name, or the
    twin's node name) that matches a node's daemon, admin or short name."""
    for h in hostnames or ():
        found = match_node(nodes, h)
        if found:
            return found
    return None


def empty_facts(installed: bool = False, member: bool = False) -> dict:
    return {"installed": installed, "member": member, "local_node": None, "cluster": None, "nodes": {},
            "quorum": None, "config": None, "nodeclasses": None, "nsds": None, "filesystems": None,
            "disks": None, "capacity": None, "mounts": None, "vdisk": None, "health": None, "health_entities": None,
            "licenses": None,
            "facets": [], "reads": 0}


def build_facts(raw: dict, hostnames=(), installed: bool = True, member: bool = True) -> dict:
    """The facts dict from raw outputs {facet: text} (vdisk: {noun: text} or one text). A facet
    left out of raw is None in the facts (not read); license None leaves node licences None."""
    facts = empty_facts(installed, member)
    facts["facets"] = [f for f in FACETS if f in raw]
    if not member:
        return facts
    facts["cluster"], nodes = parse_cluster(raw.get("cluster") or "")
    facts["nodes"] = nodes
    facts["local_node"] = local_node(nodes, hostnames)
    if "state" in raw:
        st = parse_state(raw["state"] or "")
        for name, value in st["nodes"].items():
            key = match_node(nodes, name)
            if key:
                nodes[key]["state"] = value
        facts["quorum"] = st["quorum"]
    if raw.get("license") is not None:
        lic = parse_license(raw["license"])
        facts["licenses"] = {}
        for name, value in lic.items():
            key = match_node(nodes, name) or name
            facts["licenses"][key] = value
            if key in nodes:
                nodes[key]["license"] = value["designated"]
    if "config" in raw:
        facts["config"] = parse_config(raw["config"] or "")
    if "nodeclasses" in raw:
        facts["nodeclasses"] = parse_nodeclasses(raw["nodeclasses"] or "")
        for nc in facts["nodeclasses"].values():
            nc["members"] = [match_node(nodes, m) or m for m in nc["members"]]
    if "nsds" in raw:
        facts["nsds"] = parse_nsds(raw["nsds"] or "")
    if "filesystems" in raw:
        facts["filesystems"] = parse_filesystems(raw["filesystems"] or "")
    for facet, parser in (("disks", parse_disks), ("capacity", parse_capacity)):
        if facet in raw:
            facts[facet] = {fs: parser(text or "") for fs, text in (raw[facet] or {}).items()}
    if "mounts" in raw:
        mounts = {fs: [] for fs in facts["filesystems"] or {}}
        for fs, names in parse_mounts(raw["mounts"] or "").items():
            mounts[fs] = [match_node(nodes, n) or n for n in names]
        facts["mounts"] = mounts
    if "vdisk" in raw:
        facts["vdisk"] = parse_vdisk(raw["vdisk"] or {})
        for nc in facts["vdisk"]["nodeclasses"].values():
            nc["members"] = [match_node(nodes, m) or m for m in nc["members"]]
    if "health" in raw:
        facts["health"], facts["health_entities"] = parse_health(raw["health"] or "", facts["local_node"])
    return facts


def _exists(path: str) -> bool:
    return os.path.exists(path)


def read_facts(run, facets=None, hostnames=(), exists=_exists) -> dict:
    """Run the reads the facets need and build the facts.

    facets None: DEFAULT_FACETS (all but the per-file-system reads disks and capacity, which
    need an active quorum). Asking for disks or capacity reads filesystems too: mmlsdisk <fs> -Y
    and mmdf <fs> -Y run once per file system it lists.

    run(argv) -> (rc, stdout, stderr); exists(path) -> bool (os.path.exists by default).
    mmlscluster is always read (membership, node names). A node that is not a member (or has
    no /usr/lpp/mmfs/bin/mmlscluster) gets installed/member only. mmlslicense and mmvdisk may
    be absent or fail: licence stays None, vdisk empty. Any other failing read raises
    ScaleReadError."""
    asked = DEFAULT_FACETS if facets is None else facets
    if any(f in asked for f in PER_FS):
        asked = [*asked, "filesystems"]  # the file systems disks and capacity are read for
    wanted = [f for f in FACETS if f in asked]
    reads = 0

    def call(args) -> tuple:
        nonlocal reads
        argv = mm(*args)
        reads += 1
        rc, out, err = run(argv)
        return argv, rc, out or "", err or ""

    if not exists(mm("mmlscluster")[0]):
        return empty_facts(False, False)
    argv, rc, out, err = call(READS["cluster"][0])
    if rc != 0:
        if NOT_MEMBER in out + err:
            facts = empty_facts(True, False)
            facts["reads"] = reads
            return facts
        raise ScaleReadError(argv, rc, out, err)
    raw: dict = {"cluster": out}
    for facet in wanted:
        if facet == "cluster":
            continue
        if facet == "license":
            raw["license"] = None
            if exists(mm("mmlslicense")[0]):
                _, rc, out, err = call(READS["license"][0])
                raw["license"] = out if rc == 0 else None
            continue
        if facet == "vdisk":
            raw["vdisk"] = {}
            if exists(mm("mmvdisk")[0]):
                for noun, args in zip(VDISK_NOUNS, READS["vdisk"], strict=True):
                    argv, rc, out, err = call(args)
                    if rc != 0:
                        raise ScaleReadError(argv, rc, out, err)
                    raw["vdisk"][noun] = out
            continue
        if facet in PER_FS:
            raw[facet] = {}
            for fs in parse_filesystems(raw.get("filesystems") or ""):
                args = [fs if a == FS else a for a in READS[facet][0]]
                argv, rc, out, err = call(args)
                if rc != 0:
                    raise ScaleReadError(argv, rc, out, err)
                raw[facet][fs] = out
            continue
        argv, rc, out, err = call(READS[facet][0])
        if rc != 0 and facet == "nsds":
            if NO_DISKS in out + err:
                out, rc = "", 0
            else:
                argv, rc, out, err = call(NSD_FALLBACK)
                if rc != 0 and NO_DISKS in out + err:
                    out, rc = "", 0
        if rc != 0:
            raise ScaleReadError(argv, rc, out, err)
        raw[facet] = out
    facts = build_facts(raw, hostnames)
    facts["facets"] = wanted if "cluster" in wanted else ["cluster", *wanted]
    facts["reads"] = reads
    return facts
