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
    """Plain text: a person reads it in the play output, a machine reads the returned list."""
    width = max([len("host")] + [len(h) for h, _ in rows])
    lines = [f"{'host'.ljust(width)}  problem", f"{'-' * width}  {'-' * 7}"]
    lines += [f"{h.ljust(width)}  {p}" for h, p in rows]
    return "\n".join(lines)


def verdict(hosts: list[str], hostvars: Mapping[str, Mapping], checks: list[str]) -> tuple[list[tuple[str, str]], str]:
    rows: list[tuple[str, str]] = []
    for h in hosts:
        hv = hostvars.get(h, {})
        results = {c: hv.get(c) for c in checks}
        for p in host_problems(h, results):
            # problems already start with the host name; keep the table column clean
            rows.append((h, p[len(h) + 2:] if p.startswith(f"{h}: ") else p))
    return rows, table(rows) if rows else ""
