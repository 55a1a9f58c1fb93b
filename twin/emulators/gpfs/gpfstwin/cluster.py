"""Cluster and node commands: mmcrcluster, mmaddnode, mmdelnode, mmchnode, mmchlicense,
mmlslicense, mmstartup, mmshutdown, mmgetstate, mmlscluster, node classes and mmbuildgpl."""

import os
import random
import sys
import time

from . import VERSION, daemon, env, state, yfmt
from .args import parse
from .common import (
    SYSTEM_CLASSES,
    alive_nodes,
    class_members,
    failed,
    fault_hits,
    find_node,
    local_node,
    node_state,
    quorum_numbers,
    read_node_file,
    require_cluster,
    resolve_ip,
    resolve_nodes,
    short,
    system_class,
    target_nodes,
)
from .errors import MMError, UsageError

PROPAGATING = ("6027-1371 Propagating the cluster configuration data to all\n"
               "  affected nodes.  This is an asynchronous process.")


def _stamp() -> str:
    return time.strftime("%a %b %d %H:%M:%S %Z %Y")


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def parse_node_descs(spec: str, command: str) -> list[dict]:
    """-N node file (daemonName:designation:adminName per line) or a comma list of names."""
    lines = read_node_file(spec) if os.path.isfile(spec) else [p for p in spec.split(",") if p]
    out = []
    for line in lines:
        parts = line.split(":")
        daemon_name = parts[0].strip()
        roles = {r for r in (parts[1].strip().lower().split("-") if len(parts) > 1 else []) if r}
        unknown = roles - {"quorum", "manager", "client", "nonquorum"}
        if unknown or not daemon_name:
            raise MMError(f"{command}: Incorrect node designation in {line}.", extra=failed(command))
        admin = parts[2].strip() if len(parts) > 2 and parts[2].strip() else daemon_name
        out.append({"daemon": daemon_name, "admin": admin, "quorum": "quorum" in roles,
                    "manager": "manager" in roles})
    if not out:
        raise MMError(f"{command}: No nodes specified.", extra=failed(command))
    return out


def _new_node(st: dict, desc: dict, accept: bool, command: str) -> dict:
    ip = resolve_ip(desc["daemon"])
    if ip is None:
        raise MMError(f"{command}: Unable to resolve the IP address of node {desc['daemon']}.",
                      extra=failed(command))
    number = st["next_node_number"]
    st["next_node_number"] += 1
    lic = ("server" if desc["quorum"] or desc["manager"] else "client") if accept else "none"
    return {"number": number, "daemon": desc["daemon"], "admin": desc["admin"], "ip": ip,
            "quorum": desc["quorum"], "manager": desc["manager"], "license": lic}


def _license_warning(st: dict, command: str) -> None:
    if any(n["license"] == "none" for n in st["nodes"].values()):
        _err(f"{command}: 6027-1254 Warning: Not all nodes have proper GPFS license designations.\n"
             "    Use the mmchlicense command to designate licenses as needed.")


def default_config(name: str, cid: str, autoload: bool) -> list[dict]:
    pairs = [("clusterName", name), ("clusterId", cid), ("autoload", "yes" if autoload else "no"),
             ("dmapiFileHandleSize", "32"), ("minReleaseLevel", VERSION),
             ("tscCmdAllowRemoteConnections", "no"), ("ccrEnabled", "yes"),
             ("cipherList", "AUTHONLY"), ("sdrNotifyAuthEnabled", "yes")]
    return [{"attr": a, "value": v, "scope": ""} for a, v in pairs]


def mmcrcluster(argv: list[str]) -> int:
    usage = ("mmcrcluster -N {NodeDesc[,NodeDesc...] | NodeFile} [--ccr-enable] [-r RemoteShellCommand] "
             "[-R RemoteFileCopyCommand] [-C ClusterName] [-U DomainName] [-A] [-c ConfigFile] [--accept]")
    opts, pos = parse(argv, {"-N", "-r", "-R", "-C", "-U", "-c", "-p", "-s"},
                      {"-A", "--ccr-enable", "--accept"}, usage, "mmcrcluster")
    if "-N" not in opts or pos:
        raise UsageError("mmcrcluster: Missing argument -N.", usage)
    descs = parse_node_descs(opts["-N"], "mmcrcluster")
    with state.transaction() as st:
        if st["cluster"]:
            members = [d["daemon"] for d in descs if find_node(st, d["daemon"])]
            if members:
                raise MMError(f"mmcrcluster: Node {members[0]} already belongs to GPFS cluster "
                              f"{st['cluster']['name']}.", extra=failed("mmcrcluster"))
            raise MMError("mmcrcluster: this twin holds one GPFS cluster per shared state "
                          f"directory, and {st['cluster']['name']} exists.", extra=failed("mmcrcluster"))
        if not any(d["quorum"] for d in descs):
            descs[0]["quorum"] = True  # like mmcrcluster: without quorum nodes the first one is
        print("mmcrcluster: Performing preliminary node verification ...")
        print("mmcrcluster: Processing quorum and other critical nodes ...")
        name = opts.get("-C") or descs[0]["daemon"]
        cid = str(random.randrange(10**18, 2**64 - 1))
        st["cluster"] = {"name": name, "id": cid, "uid_domain": opts.get("-U", name),
                         "rsh": opts.get("-r", "/usr/bin/ssh"), "rcp": opts.get("-R", "/usr/bin/scp"),
                         "created": time.time()}
        st["nodes"], st["next_node_number"] = {}, 1
        for d in descs:
            st["nodes"][d["daemon"]] = _new_node(st, d, bool(opts.get("--accept")), "mmcrcluster")
        st["config"] = default_config(name, cid, bool(opts.get("-A")))
        print("mmcrcluster: Finalizing the cluster data structures ...")
        print("mmcrcluster: Command successfully completed")
        _license_warning(st, "mmcrcluster")
    _err(f"mmcrcluster: {PROPAGATING}")
    return 0


def mmaddnode(argv: list[str]) -> int:
    usage = "mmaddnode -N {NodeDesc[,NodeDesc...] | NodeFile} [--accept]"
    opts, pos = parse(argv, {"-N"}, {"--accept"}, usage, "mmaddnode")
    if "-N" not in opts or pos:
        raise UsageError("mmaddnode: Missing argument -N.", usage)
    descs = parse_node_descs(opts["-N"], "mmaddnode")
    with state.transaction() as st:
        require_cluster(st, "mmaddnode")
        for d in descs:
            if find_node(st, d["daemon"]):
                raise MMError(f"mmaddnode: Node {d['daemon']} is already a member of the GPFS "
                              "cluster.", extra=failed("mmaddnode"))
        print(f"{_stamp()}: mmaddnode: Processing node {', '.join(d['daemon'] for d in descs)}")
        for d in descs:
            st["nodes"][d["daemon"]] = _new_node(st, d, bool(opts.get("--accept")), "mmaddnode")
        print("mmaddnode: Command successfully completed")
        _license_warning(st, "mmaddnode")
    _err(f"mmaddnode: {PROPAGATING}")
    return 0


def mmdelnode(argv: list[str]) -> int:
    usage = "mmdelnode {-a | -N {Node[,Node...] | NodeFile | NodeClass}}"
    opts, pos = parse(argv, {"-N"}, {"-a", "-f"}, usage, "mmdelnode")
    if "-N" not in opts or pos:
        raise UsageError("mmdelnode: Missing argument -N.", usage)
    with state.transaction() as st:
        require_cluster(st, "mmdelnode")
        nodes = resolve_nodes(st, opts["-N"], "mmdelnode")
        alive = alive_nodes(st)
        for n in nodes:
            if n in alive:
                raise MMError(f"mmdelnode: GPFS is still active on node {n}. Use "
                              "mmshutdown first.", extra=failed("mmdelnode"))
            for nsd, rec in st["nsds"].items():
                if n in rec["servers"]:
                    raise MMError(f"mmdelnode: Node {n} is an NSD server for disk {nsd}.",
                                  extra=failed("mmdelnode"))
        if all(n in nodes for n, r in st["nodes"].items() if r["quorum"]):
            raise MMError("mmdelnode: Cannot delete all quorum nodes of the cluster.",
                          extra=failed("mmdelnode"))
        print("Verifying GPFS is stopped on all affected nodes ...")
        for n in nodes:
            del st["nodes"][n]
            st["desired"].pop(n, None)
            for nc in st["nodeclasses"].values():
                if n in nc["members"]:
                    nc["members"].remove(n)
        print("mmdelnode: Command successfully completed")
    _err(f"mmdelnode: {PROPAGATING}")
    return 0


MMCHNODE_ROLES = ("--quorum", "--nonquorum", "--manager", "--nonmanager", "--client")


def _check_roles(chosen: set, usage: str) -> None:
    if {"--quorum", "--nonquorum"} <= chosen or {"--manager", "--nonmanager"} <= chosen or \
            {"--manager", "--client"} <= chosen:
        raise UsageError("mmchnode: Conflicting node designations.", usage)


def _apply_roles(rec: dict, chosen: set) -> None:
    if "--quorum" in chosen:
        rec["quorum"] = True
    if "--nonquorum" in chosen:
        rec["quorum"] = False
    if "--manager" in chosen:
        rec["manager"] = True
    if chosen & {"--nonmanager", "--client"}:
        rec["manager"] = False


def parse_change_file(path: str, st: dict, usage: str) -> list[tuple[list[str], set]]:
    """mmchnode -S: one line per change, 'Node[,Node...] --designation [--designation ...]'
    (the layout IBM's own Scale roles write to /var/mmfs/tmp/ChangeFile); '#' comments."""
    out = []
    for line in read_node_file(path):
        fields = line.split()
        nodes_spec, flags = fields[0], fields[1:]
        unknown = [f for f in flags if f not in MMCHNODE_ROLES]
        if unknown:
            raise UsageError(f"mmchnode: Incorrect option: {unknown[0]}", usage)
        if not flags:
            raise MMError(f"mmchnode: No changes specified for node {nodes_spec}.", extra=failed("mmchnode"))
        chosen = set(flags)
        _check_roles(chosen, usage)
        out.append((resolve_nodes(st, nodes_spec, "mmchnode"), chosen))
    if not out:
        raise MMError(f"mmchnode: The file {path} contains no node changes.", extra=failed("mmchnode"))
    return out


def mmchnode(argv: list[str]) -> int:
    usage = ("mmchnode {--quorum | --nonquorum | --manager | --nonmanager | --client} -N "
             "{Node[,Node...] | NodeFile | NodeClass}\n   or: mmchnode -S Filename")
    opts, pos = parse(argv, {"-N", "-S"}, set(MMCHNODE_ROLES), usage, "mmchnode")
    chosen = set(MMCHNODE_ROLES) & set(opts)
    if pos or ("-S" in opts) == ("-N" in opts) or ("-S" in opts and chosen) or ("-N" in opts and not chosen):
        raise UsageError("mmchnode: Missing arguments.", usage)
    if "-S" in opts and not os.path.isfile(opts["-S"]):
        raise MMError(f"mmchnode: Cannot open file {opts['-S']}.", extra=failed("mmchnode"))
    if chosen:
        _check_roles(chosen, usage)
    with state.transaction() as st:
        require_cluster(st, "mmchnode")
        changes = parse_change_file(opts["-S"], st, usage) if "-S" in opts else \
            [(resolve_nodes(st, opts["-N"], "mmchnode"), chosen)]
        nodes = [n for ns, _ in changes for n in ns]
        print(f"{_stamp()}: mmchnode: Processing node {', '.join(dict.fromkeys(nodes))}")
        for ns, flags in changes:
            for n in ns:
                _apply_roles(st["nodes"][n], flags)
        if not any(r["quorum"] for r in st["nodes"].values()):
            raise MMError("mmchnode: The cluster would have no quorum nodes.", extra=failed("mmchnode"))
    _err(f"mmchnode: {PROPAGATING}")
    return 0


def mmchlicense(argv: list[str]) -> int:
    usage = "mmchlicense {server | client | fpo | disable} [--accept] -N {Node[,Node...] | NodeFile | NodeClass}"
    opts, pos = parse(argv, {"-N"}, {"--accept"}, usage, "mmchlicense")
    if len(pos) != 1 or pos[0] not in ("server", "client", "fpo", "disable") or "-N" not in opts:
        raise UsageError("mmchlicense: Incorrect or missing license type.", usage)
    if not opts.get("--accept") and not sys.stdin.isatty():
        raise MMError("mmchlicense: The license terms must be accepted: use --accept.",
                      extra=failed("mmchlicense"))
    with state.transaction() as st:
        require_cluster(st, "mmchlicense")
        nodes = resolve_nodes(st, opts["-N"], "mmchlicense")
        lic = "none" if pos[0] == "disable" else pos[0]
        print(f"\nThe following nodes will be designated as possessing {pos[0]} licenses:")
        for n in nodes:
            print(f"\t{n}")
            st["nodes"][n]["license"] = lic
        print("mmchlicense: Command successfully completed")
    _err(f"mmchlicense: {PROPAGATING}")
    return 0


def mmstartup(argv: list[str]) -> int:
    usage = "mmstartup [-a | -N {Node[,Node...] | NodeFile | NodeClass}] [-E EnvVar=value ...]"
    opts, pos = parse(argv, {"-N", "-E"}, {"-a"}, usage, "mmstartup")
    if pos:
        raise UsageError(f"mmstartup: Incorrect extra argument: {pos[0]}", usage)
    with state.transaction() as st:
        require_cluster(st, "mmstartup")
        nodes = target_nodes(st, opts, "mmstartup")
        unlicensed = [n for n in nodes if st["nodes"][n]["license"] == "none"]
        if unlicensed:
            raise MMError("mmstartup: The following nodes do not have a GPFS license "
                          f"designation: {', '.join(unlicensed)}\n"
                          "    Use the mmchlicense command to designate licenses as needed.",
                          extra=failed("mmstartup"))
        print(f"{_stamp()}: mmstartup: Starting GPFS ...")
        now = time.time()
        for n in nodes:
            st["desired"][n] = "up"
            st.setdefault("desired_ts", {})[n] = now
            # file systems with automatic mount (-A yes) come up with the daemon
            for fs, rec in st["filesystems"].items():
                want = st["mount_desired"].setdefault(fs, [])
                if rec.get("automount") == "yes" and n not in want:
                    want.append(n)
        me = local_node(st)
    if me in nodes:
        daemon.ensure_running()
        status = state.read_node_status(me)
        # a daemon hit by the twin fault daemon-stuck starts, but never joins the cluster
        stuck = fault_hits(state.load(), "daemon-stuck", me)
        status.update({"ts": time.time(), "daemon": "arbitrating" if stuck else "active"})
        state.write_node_status(me, status)
    for n in nodes:
        if n != me and not state.agent_alive(state.read_node_status(n)):
            _err(f"mmstartup: {n}: the GPFS daemon did not respond; it starts when the node is up.")
    return 0


def mmshutdown(argv: list[str]) -> int:
    usage = "mmshutdown [-t UnmountTimeout] [-a | -N {Node[,Node...] | NodeFile | NodeClass}]"
    opts, pos = parse(argv, {"-N", "-t"}, {"-a", "-f"}, usage, "mmshutdown")
    if pos:
        raise UsageError(f"mmshutdown: Incorrect extra argument: {pos[0]}", usage)
    with state.transaction() as st:
        require_cluster(st, "mmshutdown")
        nodes = target_nodes(st, opts, "mmshutdown")
        for n in nodes:
            st["desired"][n] = "down"
            for want in st["mount_desired"].values():
                if n in want:
                    want.remove(n)
        me = local_node(st)
    print(f"{_stamp()}: mmshutdown: Starting force unmount of GPFS file systems")
    print(f"{_stamp()}: mmshutdown: Shutting down GPFS daemons")
    from . import mount
    snap = state.load()
    if me in nodes:
        status = state.read_node_status(me)
        status.update({"ts": time.time(), "daemon": "down",
                       "mounted": mount.reconcile(snap, me, False)})
        state.write_node_status(me, status)
    end = time.time() + 3 * env.heartbeat_interval() + 2
    while time.time() < end and alive_nodes(snap) & set(nodes):
        time.sleep(0.1)
    print(f"{_stamp()}: mmshutdown: Finished")
    return 0


def mmgetstate(argv: list[str]) -> int:
    usage = "mmgetstate [-L] [-s] [-v] [-Y] [-a | -N {Node[,Node...] | NodeFile | NodeClass}]"
    opts, pos = parse(argv, {"-N"}, {"-a", "-L", "-s", "-v", "-Y"}, usage, "mmgetstate")
    if pos:
        raise UsageError(f"mmgetstate: Incorrect extra argument: {pos[0]}", usage)
    st = state.load()
    require_cluster(st, "mmgetstate")
    nodes = target_nodes(st, opts, "mmgetstate")
    alive = alive_nodes(st)
    need, _, _ = quorum_numbers(st, alive)
    up = len(alive)
    rows = []
    for n in nodes:
        rec = st["nodes"][n]
        remarks = "quorum node" if rec["quorum"] else ""
        rows.append((short(n), rec["number"], node_state(st, n, alive), remarks, rec["daemon"]))
    if opts.get("-Y"):
        # 5.2 layout as tests/fixtures/mmgetstate_Y.2.txt (a 5.2.1 lab): the 5.0 fields of
        # mmgetstate_Y.1.txt, then daemonShortName and daemonNodeName
        fields = ["nodeName", "nodeNumber", "state", "quorum", "nodesUp", "totalNodes", "remarks",
                  "cnfsState", "daemonShortName", "daemonNodeName"]
        print("\n".join(yfmt.table("mmgetstate", "", fields, [
            [name, num, s, need, up, len(st["nodes"]), rem, "(undefined)", name, daemon]
            for name, num, s, rem, daemon in rows])))
        return 0
    width = max([17] + [len(r[0]) + 2 for r in rows])
    if opts.get("-L"):
        # -L layout from IBM's documentation (no captured sample)
        head = f" Node number  {'Node name':<{width}}Quorum  Nodes up  Total nodes  GPFS state   Remarks    "
        print(f"\n{head}\n{'-' * len(head)}")
        for name, num, s, rem, _ in rows:
            print(f"{num:>8}      {name:<{width}}{need:>4}{up:>10}{len(st['nodes']):>13}       "
                  f"{s:<13}{rem}")
        return 0
    # plain layout byte-for-byte as tests/fixtures/mmgetstate_a.1.txt
    head = f" Node number  {'Node name':<{width}}GPFS state  "
    print(f"\n{head}\n{'-' * len(head)}")
    for name, num, s, _, _ in rows:
        print(f"{num:>8}      {name:<{width}}{s}")
    return 0


def designation(rec: dict, y: bool = False) -> str:
    if rec["quorum"] and rec["manager"]:
        return "quorumManager" if y else "quorum-manager"
    return "quorum" if rec["quorum"] else "manager" if rec["manager"] else ""


def mmlscluster(argv: list[str]) -> int:
    usage = "mmlscluster [-Y] [--ces] [--cnfs] [--cloud-gateway]"
    opts, pos = parse(argv, set(), {"-Y", "--ces", "--cnfs", "--cloud-gateway"}, usage, "mmlscluster")
    if pos:
        raise UsageError(f"mmlscluster: Incorrect extra argument: {pos[0]}", usage)
    st = state.load()
    cl = require_cluster(st, "mmlscluster")
    nodes = sorted(st["nodes"].values(), key=lambda r: r["number"])
    if opts.get("-Y"):
        # every header first, then the rows: as tests/fixtures/mmlscluster_Y.1.txt
        heads = [
            ("clusterSummary", ["clusterName", "clusterId", "uidDomain", "rshPath", "rshSudoWrapper",
                                "rcpPath", "rcpSudoWrapper", "repositoryType", "primaryServer",
                                "secondaryServer"]),
            ("clusterNode", ["nodeNumber", "daemonNodeName", "ipAddress", "adminNodeName",
                             "designation", "otherNodeRoles", "adminLoginName", "otherNodeRolesAlias"]),
            ("cnfsSummary", ["cnfsSharedRoot", "cnfsMoundPort", "cnfsNFSDprocs", "cnfsReboot",
                             "cnfsMonitorEnabled", "cnfsGanesha"]),
            ("cnfsNode", ["nodeNumber", "daemonNodeName", "ipAddress", "cnfsState", "cnfsGroupId",
                          "cnfsIplist"]),
            ("cesSummary", ["cesSharedRoot", "EnabledServices", "logLevel", "addressPolicy"]),
            ("cesNode", ["nodeNumber", "daemonNodeName", "ipAddress", "cesGroup", "cesState",
                         "cesIpList"]),
            ("cloudGatewayNode", ["nodeNumber", "daemonNodeName"]),
        ]
        out = [yfmt.header("mmlscluster", rec, f) for rec, f in heads]
        primary = next((r["daemon"] for r in nodes if r["quorum"]), "")
        out.append(yfmt.row("mmlscluster", "clusterSummary", [
            cl["name"], cl["id"], cl["uid_domain"], cl["rsh"], "no", cl["rcp"], "no", "CCR", primary, ""]))
        for r in nodes:
            out.append(yfmt.row("mmlscluster", "clusterNode", [
                r["number"], r["daemon"], r["ip"], r["admin"], designation(r, True), "", "", ""]))
        print("\n".join(out))
        return 0
    # plain layout as tests/fixtures/mmlscluster.1.txt and .2.txt
    dw = max([16] + [len(r["daemon"]) for r in nodes]) + 2
    iw = max([10] + [len(r["ip"]) for r in nodes]) + 2
    aw = max([15] + [len(r["admin"]) for r in nodes]) + 2
    head = f" Node  {'Daemon node name':<{dw}}{'IP address':<{iw}}{'Admin node name':<{aw}}Designation"
    lines = ["", "GPFS cluster information", "========================",
             f"  GPFS cluster name:         {cl['name']}",
             f"  GPFS cluster id:           {cl['id']}",
             f"  GPFS UID domain:           {cl['uid_domain']}",
             f"  Remote shell command:      {cl['rsh']}",
             f"  Remote file copy command:  {cl['rcp']}",
             "  Repository type:           CCR", "", head, "-" * (len(head) + 1)]
    for r in nodes:
        lines.append(f"{r['number']:>4}   {r['daemon']:<{dw}}{r['ip']:<{iw}}{r['admin']:<{aw}}"
                     f"{designation(r)}")
    print("\n".join(lines))
    return 0


# ---- node classes ------------------------------------------------------------------------

def _check_class_name(name: str, st: dict, command: str) -> None:
    if system_class(name) or not name.replace("_", "").replace("-", "").isalnum():
        raise MMError(f"{command}: Incorrect node class name {name}.", extra=failed(command))


def mmcrnodeclass(argv: list[str]) -> int:
    usage = "mmcrnodeclass ClassName -N {Node[,Node...] | NodeFile | NodeClass}"
    opts, pos = parse(argv, {"-N"}, set(), usage, "mmcrnodeclass")
    if len(pos) != 1 or "-N" not in opts:
        raise UsageError("mmcrnodeclass: Missing arguments.", usage)
    with state.transaction() as st:
        require_cluster(st, "mmcrnodeclass")
        _check_class_name(pos[0], st, "mmcrnodeclass")
        if pos[0] in st["nodeclasses"]:
            raise MMError(f"mmcrnodeclass: Node class {pos[0]} already exists.",
                          extra=failed("mmcrnodeclass"))
        members = resolve_nodes(st, opts["-N"], "mmcrnodeclass")
        st["nodeclasses"][pos[0]] = {"members": members, "mmvdisk": False}
    print("mmcrnodeclass: Propagating the cluster configuration data to all\n"
          "  affected nodes.  This is an asynchronous process.", file=sys.stderr)
    return 0


def mmchnodeclass(argv: list[str]) -> int:
    usage = "mmchnodeclass ClassName {add | delete | replace} -N {Node[,Node...] | NodeFile | NodeClass}"
    opts, pos = parse(argv, {"-N"}, set(), usage, "mmchnodeclass")
    if len(pos) != 2 or pos[1] not in ("add", "delete", "replace") or "-N" not in opts:
        raise UsageError("mmchnodeclass: Missing or incorrect arguments.", usage)
    name, action = pos
    with state.transaction() as st:
        require_cluster(st, "mmchnodeclass")
        nc = st["nodeclasses"].get(name)
        if nc is None:
            raise MMError(f"mmchnodeclass: Node class {name} does not exist.",
                          extra=failed("mmchnodeclass"))
        if nc.get("mmvdisk"):
            raise MMError(f"mmchnodeclass: Node class {name} is managed by mmvdisk.",
                          extra=failed("mmchnodeclass"))
        nodes = resolve_nodes(st, opts["-N"], "mmchnodeclass")
        if action == "add":
            nc["members"] += [n for n in nodes if n not in nc["members"]]
        elif action == "delete":
            missing = [n for n in nodes if n not in nc["members"]]
            if missing:
                raise MMError(f"mmchnodeclass: Node {missing[0]} is not a member of node class "
                              f"{name}.", extra=failed("mmchnodeclass"))
            nc["members"] = [n for n in nc["members"] if n not in nodes]
        else:
            nc["members"] = nodes
    return 0


def mmdelnodeclass(argv: list[str]) -> int:
    usage = "mmdelnodeclass ClassName[,ClassName...]"
    _, pos = parse(argv, set(), set(), usage, "mmdelnodeclass")
    if len(pos) != 1:
        raise UsageError("mmdelnodeclass: Missing arguments.", usage)
    with state.transaction() as st:
        for name in pos[0].split(","):
            if name not in st["nodeclasses"]:
                raise MMError(f"mmdelnodeclass: Node class {name} does not exist.",
                              extra=failed("mmdelnodeclass"))
            if any(c["scope"] == name for c in st["config"]):
                raise MMError(f"mmdelnodeclass: Node class {name} is in use by mmchconfig.",
                              extra=failed("mmdelnodeclass"))
            del st["nodeclasses"][name]
    return 0


def mmlsnodeclass(argv: list[str]) -> int:
    usage = "mmlsnodeclass [ClassName[,ClassName...] | --user | --system | --all] [-Y]"
    opts, pos = parse(argv, set(), {"-Y", "--user", "--system", "--all"}, usage, "mmlsnodeclass")
    st = state.load()
    require_cluster(st, "mmlsnodeclass")
    if pos:
        names = pos[0].split(",")
    else:
        names = []
        if opts.get("--system") or opts.get("--all"):
            names += list(SYSTEM_CLASSES)
        if opts.get("--user") or opts.get("--all") or not opts.get("--system"):
            names += sorted(st["nodeclasses"])
    rows, missing = [], []
    for name in names:
        members = class_members(st, name)
        if members is None:
            missing.append(name)
            continue
        kind = "User" if name in st["nodeclasses"] else "System"
        rows.append((system_class(name) if kind == "System" else name, kind, [short(m) for m in members]))
    if opts.get("-Y"):
        # field names after IBM's documentation; no captured -Y sample in fixtures
        fields = ["nodeclass", "type", "memberClasses", "memberNodes", "allMembers"]
        print("\n".join(yfmt.table("mmlsnodeclass", "", fields, [
            [n, k, "", ",".join(m), ",".join(m)] for n, k, m in rows])))
    else:
        # plain layout from IBM's documentation examples
        print(f"{'Node Class Name':<21} Members")
        print(f"{'-' * 21} {'-' * 59}")
        for n, _, m in rows:
            print(f"{n:<21} {','.join(m)}")
    if missing:
        raise MMError(f"mmlsnodeclass: Node class {missing[0]} not found.", extra=failed("mmlsnodeclass"))
    return 0


# ---- licences ----------------------------------------------------------------------------

def required_license(st: dict, key: str) -> str:
    """Quorum, manager, NSD and Scale RAID server nodes need a server licence, the rest a client one."""
    rec = st["nodes"][key]
    nsd_servers = {s for n in st["nsds"].values() for s in n["servers"]}
    if rec["quorum"] or rec["manager"] or key in nsd_servers or key in st["vdisk"]["servers"]:
        return "server"
    return "client"


def mmlslicense(argv: list[str]) -> int:
    usage = "mmlslicense [-L] [-Y] [--capacity [--formatted]] [--licensed-usage]"
    opts, pos = parse(argv, set(), {"-L", "-Y", "--capacity", "--formatted", "--licensed-usage"}, usage,
                      "mmlslicense")
    if pos:
        raise UsageError(f"mmlslicense: Incorrect extra argument: {pos[0]}", usage)
    if opts.get("--capacity") or opts.get("--licensed-usage"):
        raise MMError("mmlslicense: --capacity and --licensed-usage are not emulated by the deploy-pod twin.",
                      extra=failed("mmlslicense"))
    st = state.load()
    require_cluster(st, "mmlslicense")
    keys = sorted(st["nodes"], key=lambda k: st["nodes"][k]["number"])
    rows = [(st["nodes"][k]["daemon"], required_license(st, k), st["nodes"][k]["license"]) for k in keys]
    servers = sum(1 for _, _, d in rows if d == "server")
    clients = sum(1 for _, _, d in rows if d == "client")
    fpo = sum(1 for _, _, d in rows if d == "fpo")
    unl_servers = sum(1 for _, r, d in rows if r == "server" and d != "server")
    unl_clients = sum(1 for _, r, d in rows if r == "client" and d == "none")
    if opts.get("-Y"):
        # -Y layout as tests/fixtures/mmlslicense_Y.1.txt, a real capture quoted in a public admin
        # script (NCSA; release not stated):
        #   mmlslicense::HEADER:version:reserved:reserved:nodeName:requiredLicense:designatedLicense:
        #   totalNodes:licensedServers:licensedClients:unlicensedServers:unlicensedClients:licensedFpo:
        # one row per node (daemon node name), the cluster totals repeated on every row.
        fields = ["nodeName", "requiredLicense", "designatedLicense", "totalNodes", "licensedServers",
                  "licensedClients", "unlicensedServers", "unlicensedClients", "licensedFpo"]
        print("\n".join(yfmt.table("mmlslicense", "", fields, [
            [n, r, d, len(rows), servers, clients, unl_servers, unl_clients, fpo] for n, r, d in rows])))
        return 0
    out = []
    if opts.get("-L"):
        # columns as in a public capture of `mmlslicense -L` (2017); the 5.x summary lines for FPO
        # and the edition are left out: no capture of them was found
        out += [f" {'Node name':<30} {'Required license':<18} Designated license", "-" * 69]
        out += [f"{n:<34} {r:<19} {d}" for n, r, d in rows]
        out.append("")
    summary = [("Number of nodes defined in the cluster:", len(rows)),
               ("Number of nodes with server license designation:", servers),
               ("Number of nodes with client license designation:", clients),
               ("Number of nodes still requiring server license designation:", unl_servers),
               ("Number of nodes still requiring client license designation:", unl_clients)]
    out += [" Summary information", "-" * 21]
    out += [f"{label}{value:>{66 - len(label)}}" for label, value in summary]
    print("\n".join(out))
    return 0


# ---- portability layer -------------------------------------------------------------------

GPL_MARKER = "/usr/lpp/mmfs/src/gpl-linux/Makefile"


def mmbuildgpl(argv: list[str]) -> int:
    usage = "mmbuildgpl [--quiet] [--build-package] [-v]"
    opts, pos = parse(argv, set(), {"--quiet", "--build-package", "-v"}, usage, "mmbuildgpl")
    if pos:
        raise UsageError(f"mmbuildgpl: Incorrect extra argument: {pos[0]}", usage)
    if not os.path.exists(env.sysroot_path(GPL_MARKER)):
        raise MMError("mmbuildgpl: Cannot find the GPFS portability layer source in "
                      "/usr/lpp/mmfs/src. Install the gpfs.gpl package.", rc=1)
    release = os.uname().release
    extra = env.sysroot_path(f"/lib/modules/{release}/extra")
    bar = "-" * 56
    if not opts.get("--quiet"):
        print(f"{bar}\nmmbuildgpl: Building GPL ({VERSION}) module begins at {_stamp()}.\n{bar}")
        print(f"Verifying Kernel Header...\n  kernel version = {release}")
    os.makedirs(extra, exist_ok=True)
    for mod in ("mmfs26.ko", "mmfslinux.ko", "tracedev.ko"):
        with open(os.path.join(extra, mod), "w") as f:
            f.write(f"deploy-pod twin emulated {mod} for {release}\n")
    if not opts.get("--quiet"):
        print(f"{bar}\nmmbuildgpl: Building GPL module completed successfully at {_stamp()}.\n{bar}")
    return 0
