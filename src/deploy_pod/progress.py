"""What a person (or a program) sees while the phases run: built from ansible-runner's events.

Three ways to show it, one interface (phase_start, event, phase_end, note, close):
- PlainProgress: short lines, one per event worth a line (logs, pipes, CI; scripts and tests parse
  them: "==> phase", "changed:", "done:", "progress:", "failed:", "unreachable:");
- RichProgress: on a terminal, one progress bar per phase over the host results (done out of
  those started so far: a task starting on N hosts adds N), the task running, failures printed
  above the bar as they happen;
- JsonProgress: one JSON object per line (phase_start, task_start, host_result, progress,
  phase_end; the CLI adds run_end), nothing else on stdout.
Levels: "quiet" (phase summaries and failures only), "normal", "verbose" (every host result).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

MAX_MSG_LINES = 40

Echo = Callable[[str], None]

# a host finished a task: these count towards the bar
RESULT_EVENTS = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_skipped": "skipped",
                 "runner_on_unreachable": "unreachable"}
LEVELS = ("quiet", "normal", "verbose")


def _host(data: dict) -> str | None:
    return data.get("host") or data.get("remote_addr")


def failure_text(data: dict, what: str) -> str:
    """'failed: host: message', the whole message up to MAX_MSG_LINES (preflight's verdict is a table)."""
    res = data.get("res") or {}
    msg = str(res.get("msg", "")).strip().splitlines() or [""]
    shown = msg[:MAX_MSG_LINES] + ([f"(+{len(msg) - MAX_MSG_LINES} lines)"] if len(msg) > MAX_MSG_LINES else [])
    return f"{what}: {_host(data)}: " + "\n        ".join(shown)


def progress_line(event: dict, verbose: bool = False) -> str | None:
    """One short line per event a person wants to see; None for the rest. verbose: every host result."""
    kind = event.get("event")
    data = event.get("event_data") or {}
    host = _host(data)
    if kind == "playbook_on_play_start":
        return f"  play: {data.get('play', '').strip()}"
    if kind == "playbook_on_task_start":
        return f"    task: {data.get('task', '').strip()}"
    if kind == "runner_on_ok":
        if (data.get("res") or {}).get("changed"):
            return f"      changed: {host}"
        return f"      ok: {host}" if verbose else None
    if kind == "runner_on_skipped":
        return f"      skipped: {host}" if verbose else None
    if kind == "runner_item_on_ok":
        # each step of a long loop (the acceptance sweep, the training runs) as it finishes;
        # labels that are whole data structures say nothing to a person and are left out
        label = (data.get("res") or {}).get("_ansible_item_label")
        if isinstance(label, str) and len(label) <= 80:
            return f"      done: {host}: {label}"
        return None
    if kind == "runner_retry":
        # a task polled until done (the rebalance): its progress as each poll reports it
        msg = str((data.get("res") or {}).get("msg", "")).strip().splitlines()
        return f"      progress: {host}: {msg[0]}" if msg else None
    if kind in ("runner_on_failed", "runner_on_unreachable"):
        if data.get("ignore_errors"):
            return None
        return "      " + failure_text(data, "unreachable" if kind == "runner_on_unreachable" else "failed")
    return None


def is_failure(event: dict) -> bool:
    data = event.get("event_data") or {}
    return event.get("event") in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors")


def phase_header(phase: str, playbook: str, check: bool) -> str:
    return f"==> phase {phase} ({playbook}){' [check mode]' if check else ''}"


def phase_summary(result: Any) -> str:
    """The line that ends a phase: status, time, changes, failed and unreachable hosts."""
    changed = result.changed or {}
    if result.status == "interrupted":
        return f"    {result.phase}: interrupted after {result.seconds} s"
    unreachable = list(getattr(result, "unreachable", None) or [])
    failed = [h for h in result.failed_hosts if h not in unreachable]
    return (f"    {result.phase}: {result.status} in {result.seconds} s; changed "
            f"{sum(changed.values())} task(s) on {len([h for h, n in changed.items() if n])} host(s)"
            + (f"; failed: {', '.join(failed)}" if failed else "")
            + (f"; unreachable: {', '.join(unreachable)}" if unreachable else ""))


class PlainProgress:
    """Lines through echo, as in logs and pipes."""

    def __init__(self, echo: Echo = print, level: str = "normal"):
        self.echo, self.level = echo, level

    def phase_start(self, phase: str, playbook: str, check: bool) -> None:
        if self.level != "quiet":
            self.echo(phase_header(phase, playbook, check))

    def event(self, event: dict) -> None:
        if self.level == "quiet" and not is_failure(event):
            return
        line = progress_line(event, verbose=self.level == "verbose")
        if line:
            self.echo(line)

    def phase_end(self, result: Any) -> None:
        self.echo(phase_summary(result))

    def note(self, line: str) -> None:
        self.echo(line)

    def close(self) -> None:
        pass


class RichProgress:
    """A progress bar per phase on a terminal; failures (and with verbose every result) above it."""

    def __init__(self, console=None, level: str = "normal"):
        from rich.console import Console

        self.console = console or Console(highlight=False)
        self.level = level
        self.bar = None
        self.task_id = None
        self.phase = ""
        self.task = ""
        self.started = self.done = self.changed = 0

    def _print(self, text: str) -> None:
        # messages carry [brackets] (tables, lists): never read as rich markup
        (self.bar.console if self.bar else self.console).print(text, markup=False, highlight=False)

    def _describe(self, extra: str = "") -> str:
        what = extra or self.task
        what = what if len(what) <= 60 else what[:57] + "..."
        return f"{self.phase}: {what}" if what else self.phase

    def _refresh(self, extra: str = "") -> None:
        if self.bar is not None:
            self.bar.update(self.task_id, description=self._describe(extra), total=max(self.started, self.done, 1),
                            completed=self.done, changed=self.changed)

    def phase_start(self, phase: str, playbook: str, check: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.close()
        self.phase, self.task = phase, ""
        self.started = self.done = self.changed = 0
        self._print(phase_header(phase, playbook, check))
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                            MofNCompleteColumn(), TextColumn("host results, changed {task.fields[changed]}"),
                            TimeElapsedColumn(), console=self.console, transient=True)
        self.task_id = self.bar.add_task(phase, total=1, changed=0)
        self.bar.start()

    def event(self, event: dict) -> None:
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            self.task = str(data.get("task", "")).strip()
        elif kind == "runner_on_start":
            self.started += 1
        elif kind in RESULT_EVENTS:
            self.done += 1
            if kind == "runner_on_ok" and (data.get("res") or {}).get("changed"):
                self.changed += 1
        if is_failure(event) or self.level == "verbose":
            line = progress_line(event, verbose=self.level == "verbose")
            if line:
                self._print(line)
        extra = ""
        if kind == "runner_retry":
            msg = str((data.get("res") or {}).get("msg", "")).strip().splitlines()
            extra = f"{self.task} ({_host(data)}: {msg[0]})" if msg else ""
        elif kind == "runner_item_on_ok":
            label = (data.get("res") or {}).get("_ansible_item_label")
            extra = f"{self.task} ({_host(data)}: {label})" if isinstance(label, str) and len(label) <= 40 else ""
        self._refresh(extra)

    def phase_end(self, result: Any) -> None:
        self.close()
        self._print(phase_summary(result))

    def note(self, line: str) -> None:
        self._print(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


class JsonProgress:
    """One JSON object per line on stdout (write); notes go to note_echo (stderr)."""

    def __init__(self, write: Echo = print, note_echo: Echo | None = None):
        self.write = write
        self.note_echo = note_echo or (lambda line: None)
        self.phase = ""
        self.task = ""

    def emit(self, kind: str, **fields) -> None:
        self.write(json.dumps({"type": kind, **fields}, default=str))

    def phase_start(self, phase: str, playbook: str, check: bool) -> None:
        self.phase = phase
        self.emit("phase_start", phase=phase, playbook=playbook, check=check)

    def event(self, event: dict) -> None:
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            self.task = str(data.get("task", "")).strip()
            self.emit("task_start", phase=self.phase, play=str(data.get("play", "")).strip(), task=self.task)
        elif kind in RESULT_EVENTS:
            res = data.get("res") or {}
            msg = res.get("msg")
            self.emit("host_result", phase=self.phase, host=_host(data), task=str(data.get("task", self.task)).strip(),
                      status=RESULT_EVENTS[kind], changed=bool(res.get("changed")),
                      msg=None if msg is None else str(msg), ignored=bool(data.get("ignore_errors")))
        elif kind == "runner_retry":
            msg = (data.get("res") or {}).get("msg")
            self.emit("progress", phase=self.phase, host=_host(data), task=self.task,
                      msg=None if msg is None else str(msg))

    def phase_end(self, result: Any) -> None:
        self.emit("phase_end", **(asdict(result) if is_dataclass(result) else dict(result)))

    def note(self, line: str) -> None:
        self.note_echo(line)

    def close(self) -> None:
        pass


def make_progress(*, as_json: bool = False, level: str = "normal", tty: bool = False, echo: Echo = print,
                  err: Echo | None = None, console=None):
    """The right view: JSON lines, a rich bar on a terminal, plain lines otherwise (and always with quiet)."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r}: one of {', '.join(LEVELS)}")
    if as_json:
        return JsonProgress(echo, err)
    if tty and level != "quiet":
        return RichProgress(console, level)
    return PlainProgress(echo, level)
