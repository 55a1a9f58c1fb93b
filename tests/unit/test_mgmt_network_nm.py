"""deploy_pod.pod.mgmt_network, NetworkManager path: the keyfile template rendered as Ansible renders it
(trim_blocks) and read back as NetworkManager reads a keyfile (an INI-like GLib key file); and the
role's inputs documented where they are declared."""

from __future__ import annotations

import configparser

import pytest
import yaml
from ansible.plugins.filter.core import to_uuid
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tests.modkit import ROOT

ROLE = ROOT / "roles" / "mgmt_network"


def render(profile: dict, **overrides) -> configparser.ConfigParser:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    address = overrides.pop("mgmt_network_address", "10.77.0.11/24")
    variables = {
        **defaults,
        "ansible_managed": "Ansible managed",
        "inventory_hostname": "dgx01",
        "__mgmt_network_ip": address.split("/")[0],
        "__mgmt_network_prefix": address.split("/")[1],
        "__mgmt_network_profile": profile,
        **overrides,
    }
    env = Environment(loader=FileSystemLoader(str(ROLE / "templates")), trim_blocks=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    env.filters["to_uuid"] = to_uuid
    text = env.get_template("nmconnection.j2").render(**variables)
    keyfile = configparser.ConfigParser(interpolation=None, delimiters=("=",), comment_prefixes=("#",))
    keyfile.optionxform = str  # keys are case-sensitive
    keyfile.read_string(text)
    return keyfile


def sections(keyfile: configparser.ConfigParser) -> dict[str, dict[str, str]]:
    return {name: dict(keyfile[name]) for name in keyfile.sections()}


def test_single_interface_profile():
    kf = render({"id": "deploy-pod-mgmt", "interface": "eno1", "kind": "ethernet"},
                mgmt_network_gateway="10.77.0.1", mgmt_network_nameservers=["10.77.0.2", "10.77.0.3"],
                mgmt_network_search_domains=["pod.example"], mgmt_network_mtu=9000)
    got = sections(kf)
    assert got["connection"]["id"] == "deploy-pod-mgmt"
    assert got["connection"]["type"] == "ethernet"
    assert got["connection"]["interface-name"] == "eno1"
    assert got["connection"]["autoconnect"] == "true"
    assert got["connection"]["autoconnect-priority"] == "100"
    assert got["connection"]["uuid"] == to_uuid("dgx01/deploy-pod-mgmt")
    assert got["ethernet"] == {"mtu": "9000"}
    assert got["ipv4"] == {"method": "manual", "address1": "10.77.0.11/24", "gateway": "10.77.0.1",
                           "dns": "10.77.0.2;10.77.0.3;", "dns-search": "pod.example;"}
    assert got["ipv6"] == {"method": "disabled"}
    assert "bond" not in got


def test_minimal_profile_leaves_mtu_route_and_dns_alone():
    got = sections(render({"id": "deploy-pod-mgmt", "interface": "eth0", "kind": "ethernet"}))
    assert set(got) == {"connection", "ipv4", "ipv6"}
    assert got["ipv4"] == {"method": "manual", "address1": "10.77.0.11/24"}


def test_uuid_is_stable_and_per_host_and_profile():
    one = render({"id": "deploy-pod-mgmt", "interface": "eth0", "kind": "ethernet"})["connection"]["uuid"]
    again = render({"id": "deploy-pod-mgmt", "interface": "eth0", "kind": "ethernet"})["connection"]["uuid"]
    other = render({"id": "deploy-pod-mgmt", "interface": "eth0", "kind": "ethernet"},
                   inventory_hostname="dgx02")["connection"]["uuid"]
    assert one == again != other


@pytest.mark.parametrize(
    ("mode", "primary", "bond"),
    [
        ("802.3ad", "", {"mode": "802.3ad", "miimon": "100", "lacp_rate": "fast", "xmit_hash_policy": "layer3+4"}),
        ("active-backup", "ens1f1", {"mode": "active-backup", "miimon": "100", "primary": "ens1f1"}),
        ("active-backup", "", {"mode": "active-backup", "miimon": "100"}),
    ],
)
def test_bond_profile(mode, primary, bond):
    got = sections(render({"id": "deploy-pod-mgmt", "interface": "bond0", "kind": "bond"},
                          mgmt_network_bond_mode=mode, mgmt_network_bond_primary=primary,
                          mgmt_network_interfaces=["ens1f0", "ens1f1"], mgmt_network_mtu=9000))
    assert got["connection"]["type"] == "bond"
    assert got["connection"]["interface-name"] == "bond0"
    assert got["connection"]["autoconnect-slaves"] == "1"
    assert got["bond"] == bond
    assert got["ethernet"] == {"mtu": "9000"}
    assert got["ipv4"]["address1"] == "10.77.0.11/24"


def test_bond_port_profile_has_no_addresses():
    got = sections(render({"id": "deploy-pod-mgmt-port-ens1f0", "interface": "ens1f0", "kind": "port"},
                          mgmt_network_bond_mode="802.3ad", mgmt_network_bond_name="bond1", mgmt_network_mtu=9000))
    assert got["connection"]["type"] == "ethernet"
    assert got["connection"]["master"] == "bond1"
    assert got["connection"]["slave-type"] == "bond"
    assert got["connection"]["autoconnect-priority"] == "100"
    assert got["ethernet"] == {"mtu": "9000"}
    assert "ipv4" not in got and "ipv6" not in got and "bond" not in got


def test_every_input_is_declared_and_documented():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    readme = (ROLE / "README.md").read_text()
    assert sorted(set(defaults) - set(specs)) == []
    assert sorted(set(specs) - set(defaults) - {"mgmt_network_address", "mgmt_network_mtu"}) == []
    for name, spec in specs.items():
        if name in defaults and "default" in spec:
            assert spec["default"] == defaults[name], name
        assert f"`{name}`" in readme or name in readme, name
    assert specs["mgmt_network_backend"]["choices"] == ["auto", "netplan", "networkmanager"]
