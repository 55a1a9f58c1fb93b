#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""/etc/dgx-release for the deploy-pod twin, from the hardware file's dgx_release block.

    dgx_release.py                 print the content
    dgx_release.py --write PATH    write it (the deploy-pod-twin-dgx postinst writes /etc/dgx-release)

Format of a real DGX OS install: KEY="value" lines, then one blank-line-separated
DGX_OTA_VERSION/DGX_OTA_DATE block per OTA upgrade, the last one current.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402


def render(hw: dict) -> str | None:
    rel = hw.get("dgx_release")
    if not rel:
        return None
    platform = rel.get("platform") or "DGX Server for %s" % (hw.get("dgx_platform") or "DGX")
    lines = [
        f'DGX_NAME="{rel.get("name", "DGX Server")}"',
        f'DGX_PRETTY_NAME="{rel.get("pretty_name", "NVIDIA DGX Server")}"',
        f'DGX_SWBUILD_DATE="{rel.get("swbuild_date", "")}"',
        f'DGX_SWBUILD_VERSION="{rel.get("swbuild_version", "")}"',
        f'DGX_COMMIT_ID="{rel.get("commit_id", "")}"',
        f'DGX_PLATFORM="{platform}"',
        f'DGX_SERIAL_NUMBER="{rel.get("serial_number", "")}"',
    ]
    for ota in rel.get("ota") or []:
        lines += ["", f'DGX_OTA_VERSION="{ota.get("version", "")}"', f'DGX_OTA_DATE="{ota.get("date", "")}"']
    return "\n".join(lines) + "\n"


USAGE = "usage: dgx_release.py [--write PATH]\n"


def main(argv: list[str]) -> int:
    if argv and not (len(argv) == 2 and argv[0] == "--write"):
        sys.stderr.write(USAGE.replace("dgx_release.py", "dgx_release"))
        return 2
    hw = twinhw.load_or_die("dgx-release")
    text = render(hw)
    if text is None:
        sys.stderr.write(f"dgx-release: {hw['host']} is not a DGX (no dgx_release in the hardware file)\n")
        return 1
    if argv:
        tmp = argv[1] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, argv[1])
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
