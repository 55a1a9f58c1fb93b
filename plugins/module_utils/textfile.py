# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Reading and atomically replacing the small text files the modules own (a sysctl.d or limits.d
drop-in, a modules-load.d file)."""

from __future__ import annotations

import os
import tempfile


def read_text(path: str) -> str | None:
    """The file's text; None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def write_text(module, path: str, content: str, mode: int = 0o644) -> None:
    """Replace `path` with `content` through a temporary file in the same directory (created 0755 when
    missing) and the module's atomic_move: a reader sees the old file or the new one, never a part."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    creating = not os.path.exists(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if creating:  # atomic_move gives a new file 0666 & ~umask
        os.chmod(path, mode)
