#!/usr/bin/python3
"""Emulated ofed_info for the deploy-pod twin: `-s` prints the MLNX OFED release line.
The version comes from the hardware file (key ofed_version), default MLNX_OFED_LINUX-5.8-4.1.5.0."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

USAGE = """Usage: {prog} [options]

Options:
    -s       Show package name and version number.
    -n       Show numerical version number only.
    -l       List installed packages details (Default option).
"""


def main(argv: list[str]) -> int:
    """The MLNX OFED ofed_info script looks at $1 only: -s, -n, -l or nothing; anything else
    prints the usage (on stdout, with $0) and exits 1. -l/no option would list every package:
    the twin prints only the release line for those (it has no package list)."""
    first = argv[0] if argv else ""
    if first not in ("", "-s", "-n", "-l"):
        sys.stdout.write(USAGE.format(prog=sys.argv[0]))
        return 1
    try:
        hw = twinhw.load_hardware()
    except twinhw.TwinHardwareError:
        hw = {}
    version = hw.get("ofed_version") or "MLNX_OFED_LINUX-5.8-4.1.5.0"
    if first == "-n":
        print(version.replace("MLNX_OFED_LINUX-", ""))
    else:
        print(f"{version}:")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
