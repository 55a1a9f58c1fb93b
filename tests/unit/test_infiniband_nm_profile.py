"""The NetworkManager keyfile profile of deploy_pod.pod.infiniband, rendered as Ansible renders it.

The twin's emulated IB netdevs are veth devices, so Molecule activates only the ethernet form of the
profile; the infiniband form (an IPoIB netdev, link_type infiniband) is checked here.
"""

from __future__ import annotations

import configparser
import uuid
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "infiniband"
# ansible.builtin.to_uuid, copied rather than imported: importing ansible's plugins here would
# initialise its configuration before the inventory loader of other tests sets it up
ANSIBLE_UUID_NAMESPACE = uuid.UUID("361E6D51-FAEC-444A-9079-341386DA8E2E")


def to_uuid(string: str, namespace=ANSIBLE_UUID_NAMESPACE) -> str:
    return str(uuid.uuid5(namespace, str(string)))


def render(link_type: str, mode: str = "datagram", mtu: int = 4092, iface: str = "ib0") -> configparser.ConfigParser:
    # Ansible's template module: trim_blocks on, lstrip_blocks off
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["ansible.builtin.to_uuid"] = to_uuid
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    # the profile's type comes from the device's link layer, as tasks/ipoib-networkmanager.yml sets it
    tasks = yaml.safe_load((ROLE / "tasks" / "ipoib-networkmanager.yml").read_text())
    render_task = next(t for t in tasks if "ansible.builtin.template" in t)
    type_expr = render_task["vars"]["__infiniband_nm_type"]
    vars_ = {
        "ansible_managed": "Ansible managed",
        "inventory_hostname": "nsd-1",
        "infiniband_ipoib_interface": iface,
        "infiniband_ipoib_address": "10.10.0.21/24",
        "infiniband_ipoib_mode": mode,
        "infiniband_ipoib_mtu": mtu,
        "__infiniband_mtu_max": role_vars["__infiniband_mtu_max"],
        "__infiniband_nm_autoconnect_priority": role_vars["__infiniband_nm_autoconnect_priority"],
        "__infiniband_ipoib_link_type": link_type,
    }
    vars_["__infiniband_nm_connection"] = env.from_string(role_vars["__infiniband_nm_connection"]).render(vars_)
    vars_["__infiniband_nm_type"] = env.from_string(type_expr).render(vars_)
    text = env.from_string((ROLE / "templates" / "ipoib.nmconnection.j2").read_text()).render(vars_)
    # a keyfile is a GKeyFile: '#' comments, key=value, no interpolation
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",), delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(text)
    return parser


@pytest.mark.parametrize(("mode", "mtu"), [("datagram", 4092), ("connected", 65520)])
def test_ipoib_netdev_gets_an_infiniband_profile(mode, mtu):
    p = render("infiniband", mode, mtu)
    assert p.sections() == ["connection", "infiniband", "ipv4", "ipv6"]
    assert dict(p["infiniband"]) == {"transport-mode": mode, "mtu": str(mtu)}
    conn = p["connection"]
    assert conn["type"] == "infiniband"
    assert conn["id"] == "deploy-pod-ipoib-ib0"
    assert conn["interface-name"] == "ib0"
    assert conn["autoconnect"] == "true"
    assert int(conn["autoconnect-priority"]) > 0


@pytest.mark.parametrize("link_type", ["ether", "", "loopback"])
def test_other_link_layers_get_an_ethernet_profile(link_type):
    # a storage port running an Ethernet link layer (RoCE), or the twin's veth "ib0"
    p = render(link_type, "connected", 9000, iface="ens1f0np0")
    assert p.sections() == ["connection", "ethernet", "ipv4", "ipv6"]
    assert p["connection"]["type"] == "ethernet"
    assert p["connection"]["interface-name"] == "ens1f0np0"
    assert p["connection"]["id"] == "deploy-pod-ipoib-ens1f0np0"
    assert dict(p["ethernet"]) == {"mtu": "9000"}


@pytest.mark.parametrize("link_type", ["infiniband", "ether"])
def test_static_ipv4_and_no_ipv6(link_type):
    p = render(link_type)
    assert dict(p["ipv4"]) == {"method": "manual", "address1": "10.10.0.21/24"}
    assert dict(p["ipv6"]) == {"method": "disabled"}


def test_uuid_is_stable_per_host_and_interface():
    # the same input renders the same file: the second run changes nothing
    a, b = render("infiniband"), render("infiniband")
    assert a["connection"]["uuid"] == b["connection"]["uuid"]
    assert render("infiniband", iface="ib1")["connection"]["uuid"] != a["connection"]["uuid"]
