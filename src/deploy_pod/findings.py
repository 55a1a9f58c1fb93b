"""A finding: one thing wrong (or worth a warning) in a pod, said so a person can fix it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    host: str | None = None
    field: str | None = None
    file: str | None = None

    def text(self) -> str:
        where = [p for p in (rel(self.file), self.host and f"host {self.host}", self.field) if p]
        return f"{self.severity.upper()} [{self.rule}] {': '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def rel(path: str | None) -> str | None:
    """Paths under the working directory shown relative, as the user typed them."""
    if not path:
        return path
    try:
        r = os.path.relpath(path)
    except ValueError:
        return path
    return path if r.startswith("..") else r


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
