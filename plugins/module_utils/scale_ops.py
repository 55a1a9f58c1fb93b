"""What the state-changing Spectrum Scale modules share: running mm commands with errors that
name the node, the command and IBM's message, and the pure diff functions (read -> diff ->
act -> read back). Stdlib only; unit-tested in tests/unit/test_scale_ops.py.
"""

from __future__ import annotations

import os
import re
import socket
import time

from ansible_collections.deploy_pod.pod.plugins.module_utils.scale_facts import ScaleReadError, mm, read_facts

# Attributes mmchconfig accepts with -i (effective at once, and kept); every other change waits
# for the daemon's next start (IBM Storage Scale mmchconfig, the attribute table's -i/-I column).
IMMEDIATE = frozenset({
    "pagepool", "maxMBpS", "ignorePrefetchLUNCount", "readReplicaPolicy", "unmountOnDiskFail", "adminMode",
    "failureDetectionTime", "panicOnIOHang", "minReleaseLevel", "sharedTmpDir", "proactiveReconnect",
    "tiebreakerDisks", "autoload",
})
# Attributes that can change only while GPFS is down on every node (mmchconfig maxblocksize).
ALL_DOWN = frozenset({"maxblocksize"})
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGTP])(?:I?B)?$", re.IGNORECASE)
_TRUE = {"yes", "enable", "enabled", "true", "on"}
_FALSE = {"no", "disable", "disabled", "false", "off"}
_MULT = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}


class ScaleError(Exception):
    """A failed mm command: node, command and IBM's own message."""

    def __init__(self, node: str, argv: list[str], rc: int, out: str, err: str):
        self.node, self.argv, self.rc = node, argv, rc
        self.ibm = (err or out).strip() or f"exit status {rc}"
        super().__init__(f"{node}: {' '.join(os.path.basename(argv[0]) if i == 0 else a for i, a in enumerate(argv))}"
                         f" failed (rc={rc}): {self.ibm}")


class MM:
    """Runs mm commands through AnsibleModule.run_command; remembers what it ran."""

    def __init__(self, module):
        self.module = module
        self.node = socket.gethostname()
        self.commands: list[str] = []
        self.calls = 0  # every mm command run, reads included: what a converged run costs
        for name in ("exit_json", "fail_json"):
            original = getattr(module, name)
            setattr(module, name, lambda _f=original, **kw: _f(mm_calls=self.calls, mm_node=self.node, **kw))

    def run_raw(self, argv: list[str]):
        self.calls += 1
        rc, out, err = self.module.run_command(argv)
        return rc, out, err

    def run(self, command: str, *args: str, log: bool = True) -> str:
        argv = mm(command, *args)
        self.calls += 1
        rc, out, err = self.module.run_command(argv)
        if log:
            self.commands.append(" ".join([command, *args]))
        if rc != 0:
            raise ScaleError(self.node, argv, rc, out, err)
        return out

    def facts(self, facets: list[str]) -> dict:
        try:
            return read_facts(self.run_raw, facets, hostnames=[self.node])
        except ScaleReadError as exc:
            raise ScaleError(self.node, exc.argv, exc.rc, exc.out, exc.err) from exc

    def fail(self, exc: Exception, **result) -> None:
        self.module.fail_json(msg=str(exc), commands=self.commands, **result)

    def read_member(self, facets: list[str], what: str) -> dict:
        """The facts a module starts from, on a node that must be in the cluster (see require_member)."""
        try:
            facts = self.facts(facets)
        except ScaleError as exc:
            self.fail(exc)
        require_member(self.module, self, facts, what)
        return facts


# ---- values --------------------------------------------------------------------------------

def normalise(attr: str, value) -> str:
    """One spelling per value: sizes in bytes (16M == 16777216), yes/no for the booleans
    (enable == yes), verbsPorts as a sorted blank-separated list."""
    text = str(value).strip().strip('"')
    if attr == "verbsPorts":
        return " ".join(sorted(text.split()))
    low = text.lower()
    if low in _TRUE:
        return "yes"
    if low in _FALSE:
        return "no"
    m = _SIZE.match(text)
    if m:
        return str(int(float(m.group(1)) * _MULT[m.group(2).upper()]))
    return text


def scope_members(scope: str, nodeclasses: dict, nodes: dict) -> list[str]:
    """Daemon names a config scope covers: '' all nodes, a node class, or node names."""
    if not scope:
        return sorted(nodes, key=lambda n: nodes[n].get("number", 0))
    if scope in nodeclasses:
        return list(nodeclasses[scope].get("members") or [])
    return [n for n in scope.split(",") if n]


def current_value(config: dict, attr: str, scope: str) -> str | None:
    """The value set for exactly this scope (mmlsconfig lists nodes with equal values together)."""
    entries = config.get(attr) or {}
    if scope in entries:
        return entries[scope]
    want = {x.strip() for x in scope.split(",") if x.strip()}
    for s, v in entries.items():
        listed = {x.strip() for x in s.split(",")}
        if want and want <= listed:
            return v
    return None


def config_changes(desired: list[dict], config: dict) -> list[dict]:
    """[{attr, scope, before, after}] for each desired setting whose current value differs."""
    out = []
    for d in desired:
        before = current_value(config, d["attr"], d.get("scope", ""))
        if before is None or normalise(d["attr"], before) != normalise(d["attr"], d["value"]):
            out.append({"attr": d["attr"], "scope": d.get("scope", ""), "before": before, "after": str(d["value"])})
    return out


def group_by_scope(changes: list[dict]) -> list[tuple[str, list[dict]]]:
    """One mmchconfig per scope, in the order scopes first appear."""
    out: dict[str, list[dict]] = {}
    for c in changes:
        out.setdefault(c["scope"], []).append(c)
    return list(out.items())


def assignment(attr: str, value: str) -> str:
    """attr=value as mmchconfig takes it; a value with blanks (verbsPorts) is quoted by argv already."""
    return f"{attr}={value}"


# ---- nodes ---------------------------------------------------------------------------------

def designation(quorum: bool, manager: bool) -> str:
    return {(True, True): "quorum-manager", (True, False): "quorum", (False, True): "manager"}.get(
        (quorum, manager), "client")


def node_file(nodes: list[dict]) -> str:
    """mmcrcluster/mmaddnode node file: daemonName:designation:adminName per line."""
    return "".join(f"{n['daemon']}:{designation(n['quorum'], n['manager'])}:{n['admin']}\n" for n in nodes)


def find_current(nodes: dict, daemon: str, admin: str) -> str | None:
    """Key of a desired node in the cluster's node table (daemon name, admin name or short name)."""
    if daemon in nodes:
        return daemon
    for key, n in nodes.items():
        if daemon in (n.get("daemon"), n.get("admin")) or admin == n.get("admin") or \
                key.split(".")[0] == daemon.split(".")[0]:
            return key
    return None


def node_changes(current: dict, desired: list[dict]) -> dict:
    """What brings the cluster's node table to the desired one. Nodes the cluster has and the plan
    lacks are reported, never deleted."""
    add, quorum_on, quorum_off, manager_on, manager_off, licences = [], [], [], [], [], {}
    seen = set()
    for d in desired:
        key = find_current(current, d["daemon"], d["admin"])
        if key is None:
            add.append(d)
            if d.get("license"):
                licences.setdefault(d["license"], []).append(d["daemon"])
            continue
        seen.add(key)
        cur = current[key]
        if bool(cur.get("quorum")) != bool(d["quorum"]):
            (quorum_on if d["quorum"] else quorum_off).append(key)
        if bool(cur.get("manager")) != bool(d["manager"]):
            (manager_on if d["manager"] else manager_off).append(key)
        # None: the licence could not be read (no mmlslicense); unknown is left alone, not re-applied
        if d.get("license") and cur.get("license") not in (d["license"], None):
            licences.setdefault(d["license"], []).append(key)
    return {"add": add, "quorum_on": quorum_on, "quorum_off": quorum_off, "manager_on": manager_on,
            "manager_off": manager_off, "licences": licences, "extra": sorted(set(current) - seen)}


def quorum_after(current: dict, changes: dict) -> int:
    q = {k for k, n in current.items() if n.get("quorum")}
    q |= set(changes["quorum_on"]) | {d["daemon"] for d in changes["add"] if d["quorum"]}
    q -= set(changes["quorum_off"])
    return len(q)


# ---- daemon state ---------------------------------------------------------------------------

def not_active(nodes: dict, wanted: list[str]) -> dict[str, str]:
    """{node: state} of the wanted nodes that are not active ('unknown' when mmgetstate left them out)."""
    out = {}
    for w in wanted:
        state = (nodes.get(w) or {}).get("state")
        if state != "active":
            out[w] = state or "unknown"
    return out


def wait_active(read_nodes, wanted: list[str], timeout: float, interval: float = 2.0,
                clock=time.monotonic, sleep=time.sleep) -> dict[str, str]:
    """Poll until every wanted node is active or the time is up; {node: state} of those still not active."""
    deadline = clock() + timeout
    while True:
        missing = not_active(read_nodes(), wanted)
        if not missing or clock() >= deadline:
            return missing
        sleep(interval)


def not_active_message(missing: dict[str, str], timeout: float) -> str:
    lines = [f"{len(missing)} node(s) not active after {timeout:g} s:"]
    lines += [f"  {n}: {s}" for n, s in sorted(missing.items())]
    lines.append("Look at /var/adm/ras/mmfs.log.latest on each node (mmhealth node show); "
                 "'arbitrating' means the node waits for quorum, 'down' that its daemon is not running.")
    return "\n".join(lines)


def quorum_safe_to_stop(nodes: dict, node: str) -> bool:
    """Stopping `node` keeps a majority of the quorum nodes active."""
    quorum = [k for k, n in nodes.items() if n.get("quorum")]
    active = [k for k in quorum if nodes[k].get("state") == "active" and k != node]
    return len(active) >= len(quorum) // 2 + 1


# ---- storage -------------------------------------------------------------------------------

def nsd_stanza(nsds: list[dict]) -> str:
    """%nsd stanzas for mmcrnsd (and mmcrfs/mmadddisk, which read the nsd= names)."""
    out = []
    for n in nsds:
        line = f"%nsd: device={n['device']} nsd={n['name']} servers={','.join(n['servers'])} " \
               f"usage={n.get('usage', 'dataAndMetadata')} pool={n.get('pool', 'system')}"
        if n.get("failure_group") is not None:
            line += f" failureGroup={n['failure_group']}"
        out.append(line)
    return "\n".join(out) + "\n"


def nsd_changes(current: dict, desired: list[dict]) -> dict:
    """NSDs to create, and desired NSDs whose name exists on another device or server."""
    create, conflicts = [], []
    for d in desired:
        cur = current.get(d["name"])
        if cur is None:
            create.append(d)
        elif cur.get("device") and cur["device"] != d["device"]:
            conflicts.append(f"NSD {d['name']} exists on {cur['device']}, the plan says {d['device']}")
        elif cur.get("servers") and {s.split(".")[0] for s in cur["servers"]} != \
                {s.split(".")[0] for s in d["servers"]}:
            conflicts.append(f"NSD {d['name']} is served by {','.join(cur['servers'])}, the plan says "
                             f"{','.join(d['servers'])} (change it with mmchnsd)")
    return {"create": create, "conflicts": conflicts}


def vdisk_steps(facts_vdisk: dict, filesystems: dict, units: list[dict], fs: dict) -> tuple[list[dict], list[str]]:
    """The mmvdisk steps still to do for the planned ESS units, in order, and plan conflicts.

    Never proposes a delete: a vdisk set defined differently from the plan is a conflict the
    user resolves by hand.
    """
    steps, conflicts = [], []
    servers = facts_vdisk.get("servers") or {}
    rgs = facts_vdisk.get("recoverygroups") or {}
    sets = facts_vdisk.get("vdisksets") or {}
    fs_exists = fs["name"] in filesystems
    for u in units:
        nc = u["node_class"]
        configured = all(any(s == m or s.split(".")[0] == m.split(".")[0] for s in servers) for m in u["servers"])
        if not configured:
            steps.append({"unit": u["unit"], "step": "server configure",
                          "args": ["server", "configure", "--node-class", nc, "--recycle", "one"]})
        if u["recovery_group"] not in rgs:
            steps.append({"unit": u["unit"], "step": "recoverygroup create",
                          "args": ["recoverygroup", "create", "--recovery-group", u["recovery_group"],
                                   "--node-class", nc]})
        vs = sets.get(u["vdisk_set"])
        if vs is None:
            steps.append({"unit": u["unit"], "step": "vdiskset define",
                          "args": ["vdiskset", "define", "--vdisk-set", u["vdisk_set"], "--recovery-group",
                                   u["recovery_group"], "--code", u["code"], "--block-size", u["block_size"],
                                   "--set-size", u["set_size"]]})
        else:
            for key, want in (("code", u["code"]), ("block_size", u["block_size"]), ("set_size", u["set_size"])):
                have = vs.get(key)
                if have and str(have).lower() != str(want).lower():
                    conflicts.append(f"vdisk set {u['vdisk_set']} has {key} {have}, the plan says {want}")
        if vs is None or not vs.get("created"):
            steps.append({"unit": u["unit"], "step": "vdiskset create",
                          "args": ["vdiskset", "create", "--vdisk-set", u["vdisk_set"]]})
        if vs is not None and vs.get("fs") not in (None, "", fs["name"]):
            conflicts.append(f"vdisk set {u['vdisk_set']} belongs to file system {vs['fs']}, not {fs['name']}")
        elif vs is None or not vs.get("fs"):
            if not fs_exists:
                steps.append({"unit": u["unit"], "step": "filesystem create",
                              "args": ["filesystem", "create", "--file-system", fs["name"], "--vdisk-set",
                                       u["vdisk_set"], "--mmcrfs", "-T", fs["mount_point"], "-A", "yes",
                                       "-m", str(fs.get("metadata_replicas", 1)),
                                       "-r", str(fs.get("data_replicas", 1))]})
                fs_exists = True
            else:
                steps.append({"unit": u["unit"], "step": "filesystem add",
                              "args": ["filesystem", "add", "--file-system", fs["name"], "--vdisk-set",
                                       u["vdisk_set"]]})
    return steps, conflicts


def require_member(module, runner: MM, facts: dict, what: str) -> None:
    """A module that needs the cluster: in check mode on a pod without one yet, say what would
    happen and stop (nothing exists to compare with); otherwise fail naming the node."""
    if facts.get("member"):
        return
    if module.check_mode:
        module.exit_json(changed=True, commands=[], msg=f"{runner.node}: no Spectrum Scale cluster yet; {what} "
                         "would be created with it")
    if not facts.get("installed"):
        module.fail_json(msg=f"{runner.node}: Spectrum Scale is not installed (no /usr/lpp/mmfs/bin/mmlscluster); "
                             "run the scale_install phase first")
    module.fail_json(msg=f"{runner.node} is not in a Spectrum Scale cluster; run the scale_cluster phase first")
