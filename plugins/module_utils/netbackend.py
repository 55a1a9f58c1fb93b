# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""Which tool manages a host's network: decided from what runs there, not from the OS name."""

from __future__ import annotations

BACKENDS = ("netplan", "networkmanager")


def decide(netplan: bool, nm_running: bool, networkd_running: bool, wanted: str = "auto") -> tuple[str | None, str]:
    """(backend, why); backend None means the host cannot be configured and `why` says what to do.

    netplan wins where it is installed: DGX OS renders it for networkd, an Ubuntu desktop for
    NetworkManager, and hand-written NetworkManager profiles next to it would fight it. Without
    netplan a running NetworkManager (RHEL, Rocky, ESS canisters) owns the network. A bare
    systemd-networkd host gets netplan installed (Debian, Ubuntu server images).
    """
    if wanted == "netplan":
        return "netplan", "requested"
    if wanted == "networkmanager":
        if not nm_running:
            return None, ("network backend 'networkmanager' was requested but NetworkManager is not running: "
                          "start it (systemctl enable --now NetworkManager) or leave the backend on auto")
        return "networkmanager", "requested"
    if netplan:
        return "netplan", "netplan is installed"
    if nm_running:
        return "networkmanager", "NetworkManager is running and netplan is not installed"
    if networkd_running:
        return "netplan", "systemd-networkd is running; netplan renders for it"
    return None, ("neither netplan nor a running NetworkManager or systemd-networkd manages this host's network: "
                  "start NetworkManager (RHEL family) or install netplan.io (Debian, Ubuntu)")
