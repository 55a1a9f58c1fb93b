"""Deterministic SSH port per host (pure, the 'is it free' test is injected)."""

from __future__ import annotations

import socket
import zlib
from collections.abc import Callable, Iterable

PORT_MIN = 20000
PORT_SPAN = 20000  # ports 20000..39999
BLOCK = 100  # every pod starts at its own block of 100 ports


def base_port(pod: str) -> int:
    blocks = PORT_SPAN // BLOCK
    return PORT_MIN + (zlib.crc32(pod.encode()) % blocks) * BLOCK


def allocate_ports(pod: str, hosts: Iterable[str], is_free: Callable[[int], bool],
                   keep: dict[str, int] | None = None) -> dict[str, int]:
    """Host -> port: ports kept from an earlier run first, then base+index, probing upwards.

    The same pod and host list give the same ports on a machine where they are free.
    """
    keep = dict(keep or {})
    hosts = list(hosts)
    out: dict[str, int] = {}
    taken: set[int] = set()
    for h in hosts:
        if h in keep and keep[h] not in taken:
            out[h] = keep[h]
            taken.add(keep[h])
    base = base_port(pod)
    for i, h in enumerate(hosts):
        if h in out:
            continue
        port = base + i
        for _ in range(PORT_SPAN):
            if port not in taken and is_free(port):
                break
            port += 1
            if port >= PORT_MIN + PORT_SPAN:
                port = PORT_MIN
        else:  # pragma: no cover - 20000 busy ports
            raise RuntimeError("no free TCP port for SSH")
        out[h] = port
        taken.add(port)
    return out


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
