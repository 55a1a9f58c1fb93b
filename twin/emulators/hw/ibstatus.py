#!/usr/bin/python3
"""Emulated ibstatus (infiniband-diags shell script) for the deploy-pod twin: one block per
port as the real script echoes it from sysfs (tab separated), facts from the hardware file."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

STATE_WORDS = {1: "DOWN", 2: "INIT", 3: "ARMED", 4: "ACTIVE"}


def sysfs_rate(port: dict) -> str:
    name = twinhw.speed(port["rate_gbps"], port["width"])[0]
    if port["rate_gbps"] == 40 and port.get("fdr10"):
        name = "FDR10"
    return f"{port['rate_gbps']} Gb/sec ({port['width']} {name})"


def port_block(ca: dict, port: dict) -> str:
    return "".join([
        f"Infiniband device '{ca['name']}' port {port['num']} status:\n",
        f"\tdefault gid:\t {twinhw.default_gid(port['port_guid'])}\n",
        f"\tbase lid:\t 0x{port['lid']:x}\n",
        f"\tsm lid:\t\t 0x{port['sm_lid']:x}\n",
        f"\tstate:\t\t {port['state_num']}: {STATE_WORDS.get(port['state_num'], 'NOP')}\n",
        f"\tphys state:\t {port['phys_num']}: {port['phys_state']}\n",
        f"\trate:\t\t {sysfs_rate(port)}\n",
        f"\tlink_layer:\t {port['link_layer']}\n",
        "\n",
    ])


USAGE = ("Usage:  ibstatus  [-h] [devname[:portnum]]\n"
         "\t-h:\tthis help screen\n"
         "\tExamples:\n"
         "\t\tibstatus mthca1\t\t# shows status of all ports of 'mthca1'\n"
         "\t\tibstatus mthca0:2\t# shows status port number 2 of 'mthca0'\n"
         "\t\tibstatus\t\t# default: shows status of all 'mthca0' ports\n")


def main(argv: list[str]) -> int:
    """infiniband-diags/scripts/ibstatus: only '-h' is an option (usage on stdout, exit 255); any
    other word, '--foo' included, is taken as a device name, and a device without sysfs files is
    'Fatal error:' on stdout, exit 255, after the blocks of the arguments before it."""
    if argv and argv[0] == "-h":
        sys.stdout.write(USAGE)
        return 255
    hw = twinhw.load_or_die("ibstatus")
    if not argv:
        sys.stdout.write("".join(port_block(ca, p) for ca in hw["hcas"] for p in ca["ports"]))
        return 0
    for arg in argv:
        name, _, num = arg.partition(":")
        ca = twinhw.find_hca(hw, name)
        if ca is None:
            print(f"Fatal error:  device '{name}': sys files not found (/sys/class/infiniband/{name}/ports)")
            return 255
        ports = [p for p in ca["ports"] if not num or str(p["num"]) == num]
        sys.stdout.write("".join(port_block(ca, p) for p in ports))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
