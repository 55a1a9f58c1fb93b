"""Tuning profiles (data/tuning.yml) resolved into one mmchconfig configuration per node class.

Pure functions: the planner calls resolve_config() with the node classes it planned and the
catalog entries of their members; roles receive the resolved values only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

GIB = 1024**3
CLASS_PROFILE = {"dgx": "client", "nsd": "nsd_server", "ess": "ess"}


@dataclass
class Setting:
    attr: str
    value: str
    scope: str  # '' cluster-wide, a node class, or one daemon node name
    source: str


@cache
def load_profiles() -> dict:
    text = resources.files("deploy_pod").joinpath("data/tuning.yml").read_text()
    return yaml.safe_load(text)["profiles"]


def gib_text(n: float) -> str:
    return f"{max(1, int(n))}G"


def client_pagepool(memory_gib: float) -> str:
    return gib_text(min(0.12 * memory_gib + 1, 16))


def quarter_ram(memory_gib: float) -> str:
    return gib_text(0.25 * memory_gib)


def twice_link_mbps(link_gbps_total: float) -> str:
    """2 x the node's storage bandwidth: Gb/s of all storage ports -> MB/s."""
    return str(int(2 * link_gbps_total * 1000 / 8))


def apply_rule(rule: str, memory_gib: float | None, link_gbps: float | None) -> str | None:
    if rule == "client_pagepool":
        return client_pagepool(memory_gib) if memory_gib else None
    if rule == "quarter_ram":
        return quarter_ram(memory_gib) if memory_gib else None
    if rule == "twice_link_mbps":
        return twice_link_mbps(link_gbps) if link_gbps else None
    raise ValueError(f"tuning.yml: unknown rule {rule!r}")


def profile_settings(profile: str, scope: str, memory_gib: float | None, link_gbps: float | None,
                     block_size: str, profiles: dict | None = None) -> tuple[list[Setting], list[str]]:
    """(settings, notes) of one profile for one scope; rules use the smallest member's figures."""
    profiles = profiles or load_profiles()
    out, notes = [], []
    for attr, spec in (profiles.get(profile) or {}).items():
        value = spec["value"]
        if isinstance(value, dict):
            value = apply_rule(value["rule"], memory_gib, link_gbps)
            if value is None:
                notes.append(f"{scope or 'cluster'}: {attr} left at the Scale default (no catalog figure)")
                continue
        elif value == "filesystem_block_size":
            value = block_size
        out.append(Setting(attr, str(value), scope, spec["source"]))
    return out, notes


def merge_overrides(settings: list[Setting], overrides: dict, scope: str, why: str) -> list[Setting]:
    """User values win over the profile's; new attributes are added."""
    out = [s for s in settings if s.attr not in overrides]
    out += [Setting(a, str(v), scope, why) for a, v in overrides.items()]
    return out
