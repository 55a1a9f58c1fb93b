"""Storage hosts as their vendors deliver them (pure): what the twin writes before deploy-pod runs.

ESS canisters are IBM appliances: RHEL with NetworkManager, their management and IPoIB
networks, /etc/hosts and NTP configured by IBM's ESS deployment (essrun) as the plan says.
Plain NSD servers are ordinary RHEL-family servers: NetworkManager runs, nothing of the pod
is configured yet. DGX OS hosts keep the image's netplan + systemd-networkd.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from deploy_pod.sim.spec import SimHost, SimSpec

NM_DIR = "/etc/NetworkManager/system-connections"
CHRONY_CONF = "/etc/chrony/chrony.conf"  # Debian's path; on RHEL /etc/chrony.conf
IPOIB_MTU = {"datagram": 4092, "connected": 65520}


def network_stack(host: SimHost) -> str:
    """netplan on DGX OS; NetworkManager on the RHEL-family storage hosts."""
    return "netplan" if host.role == "dgx" else "networkmanager"


def ipoib_address(spec: SimSpec, host: SimHost, faults: list[dict]) -> str | None:
    """The address the canister really has: the plan's, unless an ipoib-address fault says otherwise."""
    for f in faults:
        if f["host"] == host.name and f["kind"] == "ipoib-address":
            return f["address"]
    return host.ipoib_address


def _keyfile(conn_id: str, iface: str, address: str, prefix: int, mtu: int | None,
             gateway: str | None = None) -> bytes:
    # the ethernet form: the twin's netdevs are veths (a real canister's IPoIB profile is type=infiniband)
    lines = ["[connection]", f"id={conn_id}", "type=ethernet", f"interface-name={iface}", "autoconnect=true", "",
             "[ethernet]"] + ([f"mtu={mtu}"] if mtu else []) + [
             "", "[ipv4]", "method=manual", f"address1={address}/{prefix}" + (f",{gateway}" if gateway else ""), "",
             "[ipv6]", "method=disabled", ""]
    return "\n".join(lines).encode()


def appliance_files(spec: SimSpec, host: SimHost, faults: list[dict]) -> dict[str, tuple[bytes, int]]:
    """NetworkManager profiles and chrony.conf of an ESS canister, as IBM's deployment leaves them."""
    mgmt_prefix = IPv4Network(spec.mgmt_cidr).prefixlen
    files = {
        f"{NM_DIR}/eth0.nmconnection": (_keyfile("eth0", "eth0", host.mgmt_address, mgmt_prefix, spec.mgmt_mtu,
                                                 spec.mgmt_gateway), 0o600),
        CHRONY_CONF: (("# written by IBM's ESS deployment (twin)\n"
                       + "".join(f"server {s} iburst\n" for s in spec.ntp_servers)
                       + "driftfile /var/lib/chrony/chrony.drift\nmakestep 1.0 3\n").encode(), 0o644),
    }
    address = ipoib_address(spec, host, faults)
    if address and host.ipoib_interface and spec.ipoib_cidr:
        mtu = spec.ipoib_mtu or IPOIB_MTU[spec.ipoib_mode]
        files[f"{NM_DIR}/{host.ipoib_interface}.nmconnection"] = (
            _keyfile(host.ipoib_interface, host.ipoib_interface, address, IPv4Network(spec.ipoib_cidr).prefixlen,
                     mtu), 0o600)
    return files


def hosts_file(spec: SimSpec) -> str:
    """/etc/hosts of a canister: localhost and every pod name (management and -ib), as delivered."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{e['address']}\t{' '.join(e['names'])}" for e in spec.etc_hosts]
    return "\n".join(lines) + "\n"


def connection_ids(spec: SimSpec, host: SimHost) -> list[str]:
    return ["eth0"] + ([host.ipoib_interface] if host.ipoib_interface and host.ipoib_address else [])
