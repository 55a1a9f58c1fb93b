#!/usr/bin/env python3
"""Print the twin hardware file (hardware.json) of one Molecule instance.

    make_hardware.py HOST HW_MODEL ROLE

Uses the twin's own generator (twin/emulators/hw/hwgen.py host_hardware) and the hardware
catalog, as `deploy-pod sim up` does; every IB port of the model is cabled to switch ib-sw1
(ports 1, 2, ...) so ibstat shows them Active, and the first one is ib0.
"""

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "twin" / "emulators" / "hw"))
import hwgen  # noqa: E402


def main(argv: list[str]) -> int:
    host, hw_model, role = argv
    catalog = yaml.safe_load((ROOT / "src" / "deploy_pod" / "data" / "catalog.yml").read_text())
    entry = catalog["models"][hw_model]
    ports = (entry.get("ib") or {}).get("storage_ports") or []
    cables = [{"port": p, "switch": "ib-sw1", "switch_port": i} for i, p in enumerate(ports, 1)]
    hw = hwgen.host_hardware(pod="molecule", host=host, role=role, hw_model=hw_model, catalog_entry=entry,
                             cables=cables)
    json.dump(hw, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
