"""Several phases in one ansible-playbook: what `deploy-pod up` runs when it runs consecutive phases.

Each phase as its own ansible-playbook costs about 0.8 s of start-up (Python, ansible-core, the
inventory, the playbooks) before its first event, eight times on a whole-pod run. One process for
all of them keeps the per-phase behaviour through a gate play before each phase and one after the
last, on every host of the run (`all:localhost`):

- the gate lists the hosts that failed or were unreachable so far (Ansible drops them from every later
  play: `ansible_play_hosts_all` minus `ansible_play_hosts`); those are the failures of the phase
  before it;
- when there are any, it fails with any_errors_fatal, which ends the playbook: the next phase never
  starts, as when each phase was its own process and the runner stopped after a failed one.

PhaseSplitter reads the event stream and cuts it back into phases: where each starts and ends, its
events (the gates' own are left out), its changed tasks per host, its failed and unreachable hosts.
Phases that take their own extra vars (acceptance: where its results go) still run alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

GATE = "deploy-pod phase: "
END = "(end)"
# these phases get extra vars of their own from the runner: always their own ansible-playbook
ALONE = {"acceptance"}


def group_phases(phases: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Consecutive phases that can share one ansible-playbook, in order."""
    groups: list[list[tuple[str, str]]] = []
    for p in phases:
        if p[0] in ALONE or not groups or groups[-1][-1][0] in ALONE:
            groups.append([p])
        else:
            groups[-1].append(p)
    return groups


def _gate(name: str, stop: bool) -> str:
    # tagged always: --tags/--skip-tags select within the phases, never the gates
    text = f"""- name: "{GATE}{name}"
  hosts: all:localhost
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: Hosts that failed or were unreachable so far
      ansible.builtin.debug:
        msg: "{{{{ ansible_play_hosts_all | difference(ansible_play_hosts) }}}}"
      run_once: true
      tags: [always]
"""
    if stop:
        text += """    - name: Stop before this phase when a host failed in the one before
      ansible.builtin.fail:
        msg: "a host failed in the phase before: not starting this one"
      when: ansible_play_hosts_all | difference(ansible_play_hosts) | length > 0
      run_once: true
      tags: [always]
"""
    return text


def combined_playbook(phases: list[tuple[str, str]], playbooks: Path, then: list[str] = ()) -> str:
    """The playbook that runs `phases` (name, file under `playbooks`) in one ansible-playbook, and after
    them, when every phase succeeded, the playbooks `then` (read-only helpers: the live read of `up`)."""
    parts = ["---\n# written by deploy-pod for one run (deploy_pod.phasegroup): the phases with a gate before each\n"]
    for i, (name, book) in enumerate(phases):
        parts.append(_gate(name, stop=i > 0))
        parts.append(f"- ansible.builtin.import_playbook: \"{(playbooks / book).resolve()}\"\n")
    parts.append(_gate(END, stop=bool(then)))
    parts += [f"- ansible.builtin.import_playbook: \"{(playbooks / book).resolve()}\"\n" for book in then]
    return "".join(parts)


@dataclass
class Phase:
    name: str
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    changed: dict[str, int] = field(default_factory=dict)
    unreachable_seen: set[str] = field(default_factory=set)
    failed_seen: set[str] = field(default_factory=set)
    removed: list[str] | None = None  # hosts its gate found failed or unreachable; None: not reached
    events: list[dict] = field(default_factory=list)


class PhaseSplitter:
    """Feed it ansible-runner's events in order; it calls on_start(name) when a phase starts, and
    on_end(phase) when its gate says how it ended (the caller turns that into a result)."""

    def __init__(self, on_start, on_end, on_event=None, started: float | None = None):
        self.on_start, self.on_end, self.on_event = on_start, on_end, on_event or (lambda ev: None)
        self._first_started = started
        self.current: Phase | None = None
        self.ended: list[Phase] = []
        self._in_gate: str | None = None
        self._done = False  # past the last gate: the helpers that follow the phases
        self.after_failed = False  # one of those failed (not a phase: the caller says so on its own)

    def feed(self, event: dict) -> None:
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            play = str(data.get("play") or data.get("name") or "")
            if play.startswith(GATE):
                self._in_gate = play[len(GATE):]
                return
            self._in_gate = None
        if self._in_gate is not None:
            if kind == "runner_on_ok" and data.get("task") == "Hosts that failed or were unreachable so far":
                self._gate_says(self._in_gate, list((data.get("res") or {}).get("msg") or []))
            return
        if self._done:
            self.after_failed |= kind in ("runner_on_failed", "runner_on_unreachable")
            return
        if self.current is None:
            return  # playbook_on_start, before the first gate
        ph = self.current
        host = data.get("host")
        if kind == "runner_on_ok" and (data.get("res") or {}).get("changed") and host:
            ph.changed[host] = ph.changed.get(host, 0) + 1
        elif kind == "runner_on_unreachable" and host:
            ph.unreachable_seen.add(host)
        elif kind == "runner_on_failed" and host:
            ph.failed_seen.add(host)
        if kind != "playbook_on_stats":
            ph.events.append(event)
            self.on_event(event)

    def _gate_says(self, gate: str, removed: list[str]) -> None:
        if self.current is not None:
            ph, self.current = self.current, None
            ph.seconds = round(time.monotonic() - ph.started, 1)
            ph.removed = sorted(str(h) for h in removed)
            self.ended.append(ph)
            self.on_end(ph)
            if removed:
                return  # the gate stops the playbook here
        if gate == END:
            self._done = True
        elif not removed:
            self.current = Phase(gate)
            if self._first_started is not None:
                self.current.started, self._first_started = self._first_started, None
            self.on_start(gate)

    def close(self) -> Phase | None:
        """The phase that was running when the events stopped without its gate (interrupted, or the
        playbook ended early), with its time so far; None when every started phase reached its gate."""
        ph, self.current = self.current, None
        if ph is not None:
            ph.seconds = round(time.monotonic() - ph.started, 1)
        return ph


def outcome(ph: Phase) -> tuple[list[str], list[str]]:
    """(hosts that failed a task, localhost included; unreachable hosts, localhost left out) of a phase
    its gate reported on."""
    removed = set(ph.removed or [])
    dark = sorted(h for h in removed & ph.unreachable_seen if h != "localhost")
    failures = sorted(removed - set(dark))
    return failures, dark
