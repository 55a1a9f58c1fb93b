# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""The plan's cable: the one definition the planner builds and every consumer reads.

The controller (deploy_pod.planner, the inventory schema, the twin's spec, the lock) imports this
file as the collection's module_utils (deploy_pod.content.module_utils), and the modules on the
hosts take the same shape back from the plan's JSON (fabric_check's ``expected``), so it is
Ansible module_utils style: stdlib only.

- ``PORT``: an HCA port as the tools name it, ``<ca>/<port number>`` (mlx5_0/1); the inventory
  schema's pattern and ``split_port`` are this one expression.
- ``Cable``: a planned cable; ``as_dict`` gives the plan's JSON record, ``from_dict`` reads it
  back (or a hand-written subset: a cable without switch is checked for state and rate only).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

__all__ = ["PORT", "PLACEMENT", "Cable", "split_port"]

# a JSON Schema pattern too (model.Cable.port): plain syntax, no named groups. The CA may hold '-' and
# '.': fabrics name a CA by node description ('HCA-1' in the real ibnetdiscover fixture), and renamed
# RDMA devices (rdma dev set ... name) are not bound to mlx5_N
PORT = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*/[0-9]+$"
_PORT = re.compile(PORT)
# what places a cable, and what the lock pins (the rate is the catalog's, derived on every plan)
PLACEMENT = ("port", "switch", "switch_port", "netdev")


def split_port(name) -> tuple[str, int]:
    """'mlx5_2/1' -> ('mlx5_2', 1); ValueError otherwise."""
    text = str(name).strip()
    if not _PORT.match(text):
        raise ValueError(f"port {name!r} is not of the form <ca>/<port>, for example mlx5_0/1")
    ca, _, num = text.partition("/")
    return ca, int(num)


def _text(value) -> str | None:
    """A plain, stripped str (inventory and module arguments arrive as str subclasses); '' -> None."""
    if value is None:
        return None
    return " ".join(str.__str__(str(value)).split()) or None


def _number(value):
    """100.0 -> 100, '2.5' -> 2.5, None or '' -> None; ValueError/TypeError on anything else."""
    if value is None or value == "":
        return None
    f = float(value)
    return int(f) if f == int(f) else f


@dataclass
class Cable:
    """One planned cable. Field order is the plan JSON's key order (`deploy-pod plan --json`)."""

    port: str  # HCA port, mlx5_0/1
    switch: str | None = None  # IB switch, as named in the inventory
    switch_port: int | None = None
    netdev: str | None = None  # IPoIB netdev of the port, ib0
    rate_gbps: int | float | None = None  # what the link should train at: the slower of HCA and switch

    @property
    def ca(self) -> str:
        return split_port(self.port)[0]

    @property
    def num(self) -> int:
        return split_port(self.port)[1]

    def as_dict(self) -> dict:
        return asdict(self)

    def placement(self) -> dict:
        """The fields the lock keeps (PLACEMENT)."""
        return {k: getattr(self, k) for k in PLACEMENT}

    @classmethod
    def from_dict(cls, data, where: str = "cable") -> Cable:
        """A plan record (or a Cable) -> Cable with plain types: the port spelt <ca>/<num>, numbers
        as numbers ('5' -> 5, 100.0 -> 100). ValueError naming `where` when it cannot be one."""
        if isinstance(data, Cable):
            data = data.as_dict()
        if not isinstance(data, dict) or not data.get("port"):
            raise ValueError(f"{where}: needs at least 'port' (for example mlx5_0/1)")
        try:
            ca, num = split_port(data["port"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from exc
        try:
            switch_port = _number(data.get("switch_port"))
            rate = _number(data.get("rate_gbps"))
            if switch_port is not None and switch_port != int(switch_port):
                raise ValueError(switch_port)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} ({data['port']}): switch_port and rate_gbps must be numbers") from exc
        switch = _text(data.get("switch"))
        if (switch is None) != (switch_port is None):
            raise ValueError(f"{where} ({data['port']}): give both switch and switch_port, or neither")
        return cls(f"{ca}/{num}", switch, switch_port, _text(data.get("netdev")), rate)
