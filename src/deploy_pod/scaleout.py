"""Day 2: what `deploy-pod scale-out` adds to a running pod, and the steps that add it.

Pure functions: the inventory's plan against the running cluster's facts (playbooks/live.yml)
gives the hosts joining, the ESS units (and plain NSDs) joining the file system, quorum changes,
capacity and expected GB/s before and after. The steps run in order with a health gate after
each (ceph-ansible's rolling_update pattern); a state file records the finished ones, so a
scale-out that stopped continues where it stopped.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deploy_pod.catalog import Catalog
from deploy_pod.lock import node_key
from deploy_pod.model import Pod
from deploy_pod.sizing import sizing

HOST_PHASES = ["preflight", "base", "network", "scale_install"]


@dataclass
class Step:
    name: str
    what: str  # what a person reads in the plan and the progress
    phases: list[str] = field(default_factory=list)  # deploy-pod phases, or a playbook of its own
    playbook: str | None = None
    limit: list[str] | None = None  # hosts the step is limited to (None: all, run_once steps)
    gate: bool = True


@dataclass
class ScaleOut:
    joining: list[str]  # hosts that are not cluster nodes yet
    dgx: list[str]  # of them, the DGX clients
    units: list[str]  # ESS units whose vdisk set is not in the file system yet
    unit_layout: list[dict]  # the joining units' vdisk sets (code, block size, set size)
    nsds: list[str]  # plain NSDs not created yet
    quorum: list[str]  # quorum changes, one line each
    capacity_kb: int | None  # the file system now (mmdf)
    expected_before: float | None  # GB/s the pod is rated for now
    expected_after: float | None
    units_before: int = 0
    units_after: int = 0
    resumed: bool = False
    steps: list[Step] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.joining or self.units or self.nsds or self.quorum)

    def as_dict(self) -> dict:
        return asdict(self) | {"nothing": self.nothing}


def subpod(pod: Pod, keep: set[str]) -> Pod:
    """The pod with only the servers in `keep` (switches stay): the pod as it runs now."""
    out = copy.copy(pod)
    out.hosts = {n: h for n, h in pod.hosts.items() if not h.is_server or n in keep}
    out.units = {u: hs for u, hs in pod.units.items() if all(h in keep for h in hs)}
    return out


def compute(pod: Pod, plan, facts: dict, catalog: Catalog) -> ScaleOut:
    """What joins, from the plan and the cluster's facts (scale_facts)."""
    if not facts.get("member"):
        raise ValueError(f"{plan.scale.primary} is not in a Spectrum Scale cluster: there is no running pod to "
                         "scale out; deploy it with `deploy-pod up`")
    nodes = facts.get("nodes") or {}
    scale = plan.scale
    joining = [n["host"] for n in scale.nodes if node_key(nodes, n["daemon"], n["admin"]) is None]
    fs = scale.filesystem["name"]
    sets = ((facts.get("vdisk") or {}).get("vdisksets") or {})
    units = [u for u in scale.units if (sets.get(u["vdisk_set"]) or {}).get("fs") != fs]
    have_nsds = facts.get("nsds") or {}
    nsds = [n["name"] for n in scale.nsds if n["name"] not in have_nsds or (have_nsds[n["name"]] or {}).get("fs") != fs]
    quorum = []
    for n in scale.nodes:
        key = node_key(nodes, n["daemon"], n["admin"])
        was = bool(nodes[key].get("quorum")) if key else False
        if n["quorum"] != was:
            quorum.append(f"{n['host']}: {'becomes a quorum node' if n['quorum'] else 'stops being a quorum node'}"
                          + ("" if key else " (joining)"))
    running = {h for h in plan.hosts if h not in joining}
    before = sizing(subpod(pod, running), catalog)
    cap = ((facts.get("capacity") or {}).get(fs) or {}).get("total_kb")
    out = ScaleOut(joining=joining, dgx=[h for h in joining if plan.hosts[h].role == "dgx"],
                   units=[u["unit"] for u in units],
                   unit_layout=[{k: u[k] for k in ("unit", "vdisk_set", "recovery_group", "code", "block_size",
                                                   "set_size", "servers")} for u in units],
                   nsds=nsds, quorum=quorum, capacity_kb=cap, expected_before=before.expected_gbs,
                   expected_after=plan.sizing.expected_gbs,
                   units_before=len(plan.units) - len(units), units_after=len(plan.units))
    out.steps = steps_for(out)
    return out


def layout_conflicts(plan, facts: dict) -> list[str]:
    """A joining unit must get a vdisk set like the existing ones (same RAID code and block size)."""
    sets = ((facts.get("vdisk") or {}).get("vdisksets") or {})
    fs = plan.scale.filesystem["name"]
    existing = [s for s in sets.values() if s.get("fs") == fs]
    out = []
    for u in plan.scale.units:
        if u["vdisk_set"] in sets:
            continue
        for s in existing:
            for key in ("code", "block_size"):
                if s.get(key) and str(s[key]).lower() != str(u[key]).lower():
                    out.append(f"{u['unit']}: the plan's vdisk set has {key} {u[key]}, the file system's existing "
                               f"ones {s[key]}; a file system's vdisk sets share one layout")
    return sorted(set(out))


def steps_for(so: ScaleOut) -> list[Step]:
    """The steps in order; empty when nothing joins."""
    if so.nothing:
        return []
    steps = []
    if so.joining:
        steps.append(Step("hosts", f"preflight, base, network and the Scale install on {', '.join(so.joining)}",
                          phases=list(HOST_PHASES), limit=list(so.joining), gate=False))
        steps.append(Step("names", "the joining hosts' names in /etc/hosts of the managed servers already there",
                          playbook="scaleout_names.yml", gate=False))
    # cluster-wide, run once on the primary; every host takes part (the new nodes' SSH keys go to
    # the old ones): mmaddnode, licences, node classes, configuration, start, wait for active
    steps.append(Step("join", "mmaddnode with the planned designations, licences, node classes, configuration; "
                      "quorum one node at a time; every node active", phases=["scale_cluster"]))
    if so.units or so.nsds:
        steps.append(Step("storage", "new units: mmvdisk server configure, recovery group, vdisk set defined like "
                          "the existing ones, created, mmvdisk filesystem add" + ("; new NSDs: mmcrnsd, mmadddisk"
                                                                                  if so.nsds else ""),
                          phases=["storage"]))
    if so.dgx:
        steps.append(Step("clients", f"client tuning and the mount on {', '.join(so.dgx)}", phases=["clients"],
                          limit=list(so.dgx)))
        steps.append(Step("ngc", f"NGC images on {', '.join(so.dgx)}", phases=["ngc"], limit=list(so.dgx),
                          gate=False))
    return steps


def rebalance_step(qos: str) -> Step:
    return Step("rebalance", f"mmrestripefs -b (QoS maintenance class {qos}), with its progress",
                playbook="scaleout_rebalance.yml")


def acceptance_step() -> Step:
    return Step("acceptance", "fio (every client, the new units included), training and inference; the report",
                phases=["acceptance"], gate=False)


# ---- the state file: a stopped scale-out continues where it stopped ---------------------------

def state_path(artifacts: Path, pod_file: str) -> Path:
    return artifacts / Path(pod_file).stem / "scaleout.json"


def load_state(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return None if data.get("finished") else data


def new_state(so: ScaleOut, options: dict) -> dict:
    return {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "finished": False, "plan": so.as_dict(),
            "steps": [s.name for s in so.steps], "done": [], "options": options, "runs": []}


def save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, default=str))
    tmp.replace(path)


def resumed(state: dict) -> ScaleOut:
    """The scale-out a state file describes, its steps as planned then."""
    p = dict(state["plan"])
    p.pop("nothing", None)
    steps = [Step(**s) for s in p.pop("steps")]
    so = ScaleOut(**p)
    so.steps, so.resumed = steps, True
    return so


# ---- what a person reads ----------------------------------------------------------------------

def tib(kb: int | None) -> str:
    return "unknown" if kb is None else f"{kb / 2**30:.2f} TiB"


def _gbs(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.0f} GB/s"


def plan_lines(so: ScaleOut) -> list[str]:
    if so.nothing:
        return ["Nothing to add: every host of the inventory is a cluster node and every unit serves the file "
                "system."]
    out = []
    if so.joining:
        out.append(f"Hosts joining ({len(so.joining)}): {', '.join(so.joining)}")
    for u in so.unit_layout:
        out.append(f"ESS unit {u['unit']} joining: recovery group {u['recovery_group']} on "
                   f"{', '.join(u['servers'])}; vdisk set {u['vdisk_set']} ({u['code']}, block size "
                   f"{u['block_size']}, {u['set_size']} of the recovery group) added to the file system")
    if so.nsds:
        out.append(f"NSDs joining: {', '.join(so.nsds)}")
    out.append("Quorum: " + ("; ".join(so.quorum) if so.quorum else "unchanged"))
    grow = " + the new units' vdisk sets" if so.units else ""
    out.append(f"Capacity: {tib(so.capacity_kb)} now{grow}")
    out.append(f"ESS units: {so.units_before} -> {so.units_after}; expected read: {_gbs(so.expected_before)} -> "
               f"{_gbs(so.expected_after)}")
    out.append("Steps (a health gate after each that changes the cluster):")
    out += [f"  {i}. {s.name}: {s.what}" for i, s in enumerate(so.steps, 1)]
    return out


def gate_failed_message(step: str, findings: list[str], pod_file: str) -> str:
    lines = [f"health gate after step {step} failed:"] + [f"  {f}" for f in findings]
    lines.append(f"The scale-out stopped here; the cluster keeps serving. Fix the above, then run "
                 f"`deploy-pod scale-out {pod_file}` again: finished steps are skipped.")
    return "\n".join(lines)


def compare_runs(before: dict | None, after: dict | None) -> list[dict]:
    """Sequential read GB/s and its expected ceiling at each client count, before and after, from two
    evaluations (deploy_pod.acceptance.evaluate)."""
    def points(ev):
        return {p["clients"]: p for p in (((ev or {}).get("fio") or {}).get("scaling") or {}).get("seqread") or []}
    b, a = points(before), points(after)
    return [{"clients": n, "before": b.get(n, {}).get("gbs"), "after": a.get(n, {}).get("gbs"),
             "expected_before": b.get(n, {}).get("expected_gbs"), "expected_after": a.get(n, {}).get("expected_gbs")}
            for n in sorted(set(a) | set(b))]


def write_comparison(before: dict | None, after: dict, out_dir: Path, run: str = "") -> dict[str, Path]:
    """scaleout.md (a table) and scaleout.png (bars) of sequential read before and after, with the
    expected ceilings; before is None when the pod had no acceptance run to compare with."""
    from deploy_pod.report import plot_before_after

    rows = compare_runs(before, after)
    units = [((ev or {}).get("expected") or {}) for ev in (before, after)]
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_before_after(rows, out_dir / "scaleout.png")
    md = ["# Scale-out: sequential read before and after", "",
          f"Before: acceptance run {(before or {}).get('run') or 'none (no earlier acceptance run)'}, "
          f"{units[0].get('units', '-')} ESS unit(s), storage rated {_num(units[0].get('storage_gbs'))} GB/s; "
          f"after: {run or after.get('run')}, {units[1].get('units', '-')} ESS unit(s), storage rated "
          f"{_num(units[1].get('storage_gbs'))} GB/s.", "",
          "| clients | before GB/s | expected before | after GB/s | expected after |",
          "|---:|---:|---:|---:|---:|"]
    md += [f"| {r['clients']} | {_num(r['before'])} | {_num(r['expected_before'])} | {_num(r['after'])} | "
           f"{_num(r['expected_after'])} |" for r in rows]
    md.append("")
    if after.get("judge") is False:
        md += [f"Not judged: {after.get('judge_note') or 'the twin measures a local disk'}.", ""]
    if png:
        md.append(f"![sequential read before and after]({png.name})")
    path = out_dir / "scaleout.md"
    path.write_text("\n".join(md) + "\n")
    return {"md": path, **({"png": png} if png else {})}


def _num(x) -> str:
    return "-" if x is None else f"{x:,.2f}"
