"""What manages a host's network, decided from what runs there."""

from __future__ import annotations

import pytest
from ansible_collections.deploy_pod.pod.plugins.module_utils.netbackend import decide


@pytest.mark.parametrize(
    ("netplan", "nm", "networkd", "wanted", "backend"),
    [
        (True, False, True, "auto", "netplan"),  # DGX OS: netplan renders for networkd
        (True, True, False, "auto", "netplan"),  # Ubuntu desktop: netplan renders for NetworkManager
        (False, True, False, "auto", "networkmanager"),  # RHEL, Rocky, ESS canister
        (False, False, True, "auto", "netplan"),  # bare Debian with networkd: netplan gets installed
        (True, True, False, "networkmanager", "networkmanager"),
        (False, True, False, "netplan", "netplan"),
    ],
)
def test_backend_follows_what_runs(netplan, nm, networkd, wanted, backend):
    assert decide(netplan, nm, networkd, wanted)[0] == backend


def test_nothing_manages_the_network_says_what_to_do():
    backend, why = decide(False, False, False)
    assert backend is None
    assert "NetworkManager" in why and "netplan.io" in why


def test_networkmanager_requested_where_it_does_not_run():
    backend, why = decide(True, False, True, "networkmanager")
    assert backend is None
    assert "not running" in why
