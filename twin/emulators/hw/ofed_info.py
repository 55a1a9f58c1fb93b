#!/usr/bin/python3
"""Emulated ofed_info for the deploy-pod twin: `-s` prints the MLNX OFED release line.
The version comes from the hardware file (key ofed_version), default MLNX_OFED_LINUX-5.8-4.1.5.0."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402


def main(argv: list[str]) -> int:
    try:
        hw = twinhw.load_hardware()
    except twinhw.TwinHardwareError:
        hw = {}
    version = hw.get("ofed_version") or "MLNX_OFED_LINUX-5.8-4.1.5.0"
    if "-n" in argv:
        print(version.replace("MLNX_OFED_LINUX-", ""))
    else:
        print(f"{version}:")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
