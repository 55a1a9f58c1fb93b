"""The preflight verdict: gather what the live checks registered on each host into one table."""

from __future__ import annotations

from collections.abc import Mapping


def host_problems(host: str, results: Mapping[str, object]) -> list[str]:
    """Problems of one host from its registered check results (name -> result dict).

    A host that could not be reached says so once; its other checks did not run.
    """
    out: list[str] = []
    for name, res in results.items():
        if not isinstance(res, Mapping):
            continue
        if res.get("unreachable"):
            return [f"{host}: unreachable over SSH: {str(res.get('msg', '')).strip() or 'no answer'}"]
        if res.get("skipped"):
            continue
        if res.get("failed"):
            out.append(f"{host}: {name} failed: {str(res.get('msg', '')).strip()}")
        out.extend(str(p) for p in res.get("problems") or [])
    return out


def table(rows: list[tuple[str, str]]) -> str:
    """Plain text for a person; the host column replaces the sentence's leading host name."""
    width = max([len("host")] + [len(h) for h, _ in rows])
    lines = [f"{'host'.ljust(width)}  problem", f"{'-' * width}  {'-' * 7}"]
    for h, p in rows:
        for prefix in (f"{h}: ", f"{h} "):
            if p.startswith(prefix):
                p = p[len(prefix):]
                break
        lines.append(f"{h.ljust(width)}  {p}")
    return "\n".join(lines)


def verdict(hosts: list[str], hostvars: Mapping[str, Mapping], checks: list[str]) -> tuple[list[tuple[str, str]], str]:
    rows: list[tuple[str, str]] = []
    for h in hosts:
        hv = hostvars.get(h, {})
        results = {c: hv.get(c) for c in checks}
        rows += [(h, p) for p in host_problems(h, results)]
    return rows, table(rows) if rows else ""
