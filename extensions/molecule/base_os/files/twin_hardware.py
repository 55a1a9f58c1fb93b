#!/usr/bin/env python3
"""Print the twin hardware.json of one host (test equipment of the base_os scenarios).

    twin_hardware.py ROOT HOST HW_MODEL [--missing-gpu SLOT ...]

Builds the file with twin/emulators/hw/hwgen.py from the catalog entry of HW_MODEL, the
way `deploy-pod sim up` does; --missing-gpu marks a GPU slot as fallen off the bus
(hwgen.set_gpu_present), the fault `deploy-pod sim fault` injects.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import yaml


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("host")
    ap.add_argument("hw_model")
    ap.add_argument("--missing-gpu", type=int, action="append", default=[])
    args = ap.parse_args()
    hw_dir = args.root / "twin" / "emulators" / "hw"
    sys.path.insert(0, str(hw_dir))
    spec = importlib.util.spec_from_file_location("hwgen", hw_dir / "hwgen.py")
    hwgen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hwgen)
    catalog = yaml.safe_load((args.root / "src" / "deploy_pod" / "data" / "catalog.yml").read_text())
    entry = catalog["models"][args.hw_model]
    hw = hwgen.host_hardware("twin", args.host, "dgx", args.hw_model, entry)
    for slot in args.missing_gpu:
        hwgen.set_gpu_present(hw, slot, False)
    json.dump(hw, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
