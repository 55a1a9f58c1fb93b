"""This host's emulated hardware (written by `deploy-pod sim up`), with tolerant defaults."""

import json

from . import env


def load_local() -> dict:
    try:
        with open(env.hardware_path()) as f:
            hw = json.load(f)
    except (FileNotFoundError, ValueError):
        hw = {}
    return normalise(hw)


def normalise(hw: dict) -> dict:
    out = dict(hw)
    out.setdefault("host", env.node_name())
    out.setdefault("role", "nsd")
    out.setdefault("hw_model", "generic")
    out.setdefault("memory_gib", 64)
    out["disks"] = [
        {"device": d.get("device", ""), "size_gib": int(d.get("size_gib", 100)),
         "gpfs_descriptor": bool(d.get("gpfs_descriptor", False))}
        for d in hw.get("disks") or [] if d.get("device")
    ]
    ib = hw.get("ib") or {}
    out["ib"] = {"verbs_ports": list(ib.get("verbs_ports") or [])}
    return out


def find_disk(hw: dict, device: str) -> dict | None:
    for d in hw.get("disks", []):
        if d["device"] == device:
            return d
    return None
