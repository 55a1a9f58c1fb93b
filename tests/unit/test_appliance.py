"""deploy_pod.pod.appliance_check: the parsers over output in the real shapes of chronyc -c, ip -j addr,
/etc/hosts, chrony.conf, /proc/1/status, getent, rpm and dpkg-query; each facet's comparison with
the plan; and the module's main() over a temporary file tree with a scripted run_command (it only
reads, never changes, and behaves the same in check mode)."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.deploy_pod.pod.plugins.module_utils import appliance as ap
from ansible_collections.deploy_pod.pod.plugins.modules import appliance_check

from tests.modkit import run_module

# ---------------------------------------------------------------- samples

# /proc/1/status, the capability lines. The shape is the kernel's (fs/proc/array.c, 16 hex
# digits); the first CapBnd was read on a Debian 12 machine, the second is Docker's default
# bounding set (a80425fb, no CAP_SYS_TIME) plus SYS_ADMIN and NET_ADMIN, as the twin's containers run.
STATUS_HOST = ("Name:\tsystemd\nUmask:\t0000\nState:\tS (sleeping)\nCapInh:\t0000000000000000\n"
               "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001fffeffffff\n"
               "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\n")
STATUS_CONTAINER = ("Name:\tsystemd\nCapInh:\t0000000000000000\nCapPrm:\t00000000a82435fb\n"
                    "CapEff:\t00000000a82435fb\nCapBnd:\t00000000a82435fb\nCapAmb:\t0000000000000000\n")

# RHEL 8's chrony package /etc/chrony.conf (abridged; comments as shipped) with the pod's
# server lines added the way IBM's ESS setup leaves them.
CHRONY_RHEL = """\
# Use public servers from the pool.ntp.org project.
# Please consider joining the pool (http://www.pool.ntp.org/join.html).
#pool 2.rhel.pool.ntp.org iburst
server ntp1.example.com iburst
Server 10.0.0.3 iburst prefer

# Record the rate at which the system clock gains/losses time.
driftfile /var/lib/chrony/drift

# Allow the system clock to be stepped in the first three updates
# if its offset is larger than 1 second.
makestep 1.0 3

# Enable kernel synchronization of the real-time clock (RTC).
rtcsync
  ! server commented.out.example iburst
; server commented.too
% peer commented.three
# Specify directory for log files.
logdir /var/log/chrony
"""

# Debian 12's chrony package /etc/chrony/chrony.conf (abridged; directives as shipped): the
# sources come from its pool line and the confdir/sourcedir directories.
CHRONY_DEBIAN = """\
# Welcome to the chrony configuration file. See chrony.conf(5) for more
# information about usable directives.

# Include configuration files found in /etc/chrony/conf.d.
confdir /etc/chrony/conf.d

# Use Debian vendor zone.
pool 2.debian.pool.ntp.org iburst

# Use time sources from DHCP.
sourcedir /run/chrony-dhcp

# Use NTP sources found in /etc/chrony/sources.d.
sourcedir /etc/chrony/sources.d

keyfile /etc/chrony/chrony.keys
driftfile /var/lib/chrony/chrony.drift
ntsdumpdir /var/lib/chrony
logdir /var/log/chrony
maxupdateskew 100.0
rtcsync
makestep 1 3
leapsectz right/UTC
"""

# chronyc -c sources: the CSV of chrony's client.c process_cmd_sources ("%c%c %-27s %2d %2d %3o
# %I %+S[%+S] +/- %S" with CSV mode: no padding, seconds as %.9f, addresses instead of names).
# Rows like the second and third are pasted in public projects' tests (an unreachable server
# shows LastRx 4294967295 and an error of 4000000000).
SOURCES = ("^,*,10.0.0.2,2,6,377,33,-0.000012345,-0.000013210,0.000456789\n"
           "^,-,10.0.0.3,2,6,377,34,0.001199813,0.001264698,0.004567511\n"
           "^,?,192.168.1.1,0,6,0,4294967295,0.000000000,0.000000000,4000000000.000000000\n")
SOURCES_OTHER = "^,*,81.172.248.188,1,10,377,754,0.001199813,0.001264698,0.004567511\n"

# chronyc -c tracking: client.c process_cmd_tracking (14 fields since chrony 2.x): ref ID, its
# address, stratum, ref time, system time, last offset, RMS offset, frequency, residual freq, skew,
# root delay, root dispersion, update interval, leap status. The unsynchronised line is the one
# chronyd prints before its first update (ref ID 0, no name).
TRACKING = ("0A000002,10.0.0.2,3,1732838400.123456789,-0.000001234,-0.000012345,0.000023456,"
            "-12.345,-0.001,0.050,0.001234567,0.000456789,64.5,Normal\n")
TRACKING_UNSYNC = ("00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,"
                   "1.000000000,1.000000000,0.0,Not synchronised\n")
TRACKING_FAR = ("0A000002,10.0.0.2,3,1732838400.123456789,2.500000000,-0.000012345,0.000023456,"
                "-12.345,-0.001,0.050,0.001234567,0.000456789,64.5,Normal\n")

# /etc/hosts in hosts(5) format: RHEL's default localhost lines, then the management and
# high-speed names of the nodes as the ESS Quick Deployment Guide has them on every node, with a
# trailing comment and a name repeated further down (the resolver takes the first line).
HOSTS = """\
127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4
::1         localhost localhost.localdomain localhost6 localhost6.localdomain6

# pod management network
10.0.0.2    ntp1.example.com ntp1
10.0.0.21   ess01a.example.com ess01a   # canister A
10.0.0.22   ess01b.example.com ess01b
# high-speed (IPoIB) names
10.78.0.21  ess01a-ib.example.com ess01a-ib
10.78.0.22  ess01b-ib.example.com ESS01B-IB
fd00::21    ess01a-ib6 ess01a-ib
10.78.9.99  ess01b-ib
"""

# getent ahostsv4 NAME: glibc's getent prints "%-15s %-6s %s" per address and socket type, the
# canonical name on the first line only (read with getent on Debian 12).
GETENT = "10.0.0.31       STREAM dgx01.example.com\n10.0.0.31       DGRAM  \n10.0.0.31       RAW    \n"

# ip -j addr show: iproute2's JSON. lo and eth0 are verbatim from iproute2 6.1.0 on Debian 12;
# the canister's bond, its port and the IPoIB link use the same keys, the IPoIB link with the
# link_type, 20-byte address, broadcast and MTU 2044 of ConnectX ports as `ip -j link` prints them.
LO = ('{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue",'
      '"operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback",'
      '"address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet",'
      '"local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,'
      '"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host",'
      '"valid_life_time":4294967295,"preferred_life_time":4294967295}]}')
ETH0 = ('{"ifindex":4,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,'
        '"qdisc":"pfifo_fast","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether",'
        '"address":"02:fc:00:00:00:01","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet",'
        '"local":"192.0.2.2","prefixlen":24,"broadcast":"192.0.2.255","scope":"global","label":"eth0",'
        '"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fd00::2",'
        '"prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,'
        '"preferred_life_time":4294967295}]}')
PORT = ('{"ifindex":2,"ifname":"enP1p8s0f0","flags":["BROADCAST","MULTICAST","SLAVE","UP","LOWER_UP"],'
        '"mtu":1500,"qdisc":"mq","master":"bond0","operstate":"UP","group":"default","txqlen":1000,'
        '"link_type":"ether","address":"98:03:9b:5a:11:20","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[]}')
BOND = ('{"ifindex":5,"ifname":"bond0","flags":["BROADCAST","MULTICAST","MASTER","UP","LOWER_UP"],'
        '"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether",'
        '"address":"98:03:9b:5a:11:20","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet",'
        '"local":"10.0.0.21","prefixlen":24,"broadcast":"10.0.0.255","scope":"global","noprefixroute":true,'
        '"label":"bond0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}')
IB0 = ('{"ifindex":7,"ifname":"ib0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":2044,'
       '"qdisc":"mq","operstate":"UP","group":"default","txqlen":256,"link_type":"infiniband",'
       '"address":"00:00:10:29:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:0b:cc:d6",'
       '"broadcast":"00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff","addr_info":[{"family":"inet",'
       '"local":"10.78.0.21","prefixlen":16,"broadcast":"10.78.255.255","scope":"global","noprefixroute":true,'
       '"label":"ib0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}')
# the twin's stand-in for IPoIB: a Docker network's eth1 renamed ib0 (an Ethernet link, no mode)
IB0_TWIN = ('{"ifindex":12,"ifname":"ib0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,'
            '"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether",'
            '"address":"02:42:0a:4e:00:15","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,'
            '"addr_info":[{"family":"inet","local":"10.78.0.21","prefixlen":16,"broadcast":"10.78.255.255",'
            '"scope":"global","label":"ib0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}')
IP_ALL = f"[{LO},{PORT},{BOND},{IB0}]\n"
IP_HOST = f"[{LO},{ETH0}]\n"

# rpm -q --qf '%{VERSION}-%{RELEASE}\n' PKG (rpm's own not-installed message) and
# dpkg-query -W -f='${Status}\t${Version}\n' PKG (installed and unknown as read on Debian 12; a
# removed package that kept its configuration files is listed with status deinstall).
RPM_OK = "5.1.9-3\n"
RPM_MISSING = "package gpfs.gnr is not installed\n"
DPKG_OK = "install ok installed\t5.2.1-1\n"
DPKG_REMOVED = "deinstall ok config-files\t5.2.1-1\n"
DPKG_MISSING_ERR = "dpkg-query: no packages found matching gpfs.gnr\n"

PLAN_MGMT = {"address": "10.0.0.21", "prefix": 24, "mtu": 1500, "interfaces": ["enP1p8s0f0"]}
PLAN_IPOIB = {"interface": "ib0", "address": "10.78.0.21", "prefix": 16, "mtu": 2044, "mode": "datagram"}


def fields(mismatches) -> list[str]:
    return [m["field"] for m in mismatches]


# ---------------------------------------------------------------- time

def test_capability_bit_25_of_the_bounding_set():
    assert ap.has_capability(STATUS_HOST) is True
    assert ap.has_capability(STATUS_CONTAINER) is False
    assert ap.has_capability("Name:\tinit\n") is None
    assert ap.has_capability(STATUS_CONTAINER, bit=21) is True  # CAP_SYS_ADMIN was added


def test_chrony_conf_sources_comments_and_case():
    parsed = ap.parse_chrony_conf(CHRONY_RHEL)
    assert parsed["sources"] == [{"kind": "server", "host": "ntp1.example.com"},
                                 {"kind": "server", "host": "10.0.0.3"}]
    assert ap.parse_chrony_conf(CHRONY_DEBIAN) == {
        "sources": [{"kind": "pool", "host": "2.debian.pool.ntp.org"}],
        "confdir": ["/etc/chrony/conf.d"], "sourcedir": ["/run/chrony-dhcp", "/etc/chrony/sources.d"],
        "include": []}


def fake_fs(files: dict):
    import fnmatch

    def read(path):
        return files.get(path)

    def glob(pattern):
        return [p for p in files if fnmatch.fnmatch(p, pattern)]

    return read, glob


def test_chrony_config_follows_confdir_sourcedir_and_include():
    read, glob = fake_fs({
        "/etc/chrony/chrony.conf": CHRONY_DEBIAN + "include /etc/chrony/extra/*.conf\n",
        "/etc/chrony/conf.d/10-pod.conf": "server ntp1.example.com iburst\n",
        "/etc/chrony/conf.d/README": "server not.a.conf.file\n",
        "/etc/chrony/sources.d/pod.sources": "server 10.0.0.3 iburst\n",
        "/etc/chrony/extra/a.conf": "peer 10.0.0.4\n",
    })
    cfg = ap.chrony_config(read, glob)
    assert cfg["files"][0] == "/etc/chrony/chrony.conf"
    assert [(s["kind"], s["host"], s["file"]) for s in cfg["sources"]] == [
        ("pool", "2.debian.pool.ntp.org", "/etc/chrony/chrony.conf"),
        ("peer", "10.0.0.4", "/etc/chrony/extra/a.conf"),
        ("server", "ntp1.example.com", "/etc/chrony/conf.d/10-pod.conf"),
        ("server", "10.0.0.3", "/etc/chrony/sources.d/pod.sources")]


def test_chrony_config_prefers_rhel_path_and_first_confdir_wins():
    read, glob = fake_fs({
        "/etc/chrony.conf": "confdir /etc/chrony.d /usr/lib/chrony.d\n",
        "/etc/chrony/chrony.conf": "server debian.example\n",
        "/etc/chrony.d/pod.conf": "server ntp1.example.com\n",
        "/usr/lib/chrony.d/pod.conf": "server vendor.example\n",
        "/usr/lib/chrony.d/other.conf": "server 10.0.0.3\n",
    })
    cfg = ap.chrony_config(read, glob)
    assert [s["host"] for s in cfg["sources"]] == ["10.0.0.3", "ntp1.example.com"]
    assert ap.chrony_config(*fake_fs({})) == {"files": [], "sources": []}


def test_chronyc_csv_sources_and_tracking():
    rows = ap.parse_chronyc_sources(SOURCES)
    assert [(r["mode"], r["state"], r["address"]) for r in rows] == [
        ("^", "*", "10.0.0.2"), ("^", "-", "10.0.0.3"), ("^", "?", "192.168.1.1")]
    assert rows[0]["reach"] == 255 and rows[0]["stratum"] == 2 and rows[0]["offset"] == -0.000012345
    assert rows[2]["reach"] == 0
    t = ap.parse_chronyc_tracking(TRACKING)
    assert (t["reference"], t["stratum"], t["leap"], t["system_time"]) == ("10.0.0.2", 3, "Normal", -0.000001234)
    assert ap.parse_chronyc_tracking(TRACKING_UNSYNC)["leap"] == "Not synchronised"
    assert ap.parse_chronyc_tracking("506 Cannot talk to daemon\n") is None


NTP = ["ntp1.example.com", "10.0.0.3"]
RESOLVED = {"ntp1.example.com": ["10.0.0.2"], "10.0.0.3": ["10.0.0.3"]}
CONFIG_OK = {"files": ["/etc/chrony.conf"], "sources": [{"kind": "server", "host": "ntp1.example.com"}]}


def test_time_clean():
    out, notes = ap.time_mismatches(NTP, RESOLVED, CONFIG_OK, True, ap.parse_chronyc_tracking(TRACKING),
                                    ap.parse_chronyc_sources(SOURCES), 1.0)
    assert out == [] and notes == []


def test_time_config_by_address_matches_plan_by_name():
    config = {"files": ["/etc/chrony.conf"], "sources": [{"kind": "server", "host": "10.0.0.2"}]}
    out, _ = ap.time_mismatches(["ntp1.example.com"], {"ntp1.example.com": ["10.0.0.2"], "10.0.0.2": ["10.0.0.2"]},
                                config, False, None, None, 1.0)
    assert out == []


def test_time_unconfigured_not_selected_unsynchronised_and_far():
    config = {"files": ["/etc/chrony.conf"], "sources": [{"kind": "pool", "host": "2.rhel.pool.ntp.org"}]}
    out, _ = ap.time_mismatches(NTP, RESOLVED, config, True, ap.parse_chronyc_tracking(TRACKING_UNSYNC),
                                ap.parse_chronyc_sources(SOURCES_OTHER), 1.0)
    assert fields(out) == ["time.ntp_servers", "time.source", "time.leap"]
    assert out[0] == {"field": "time.ntp_servers", "found": "pool 2.rhel.pool.ntp.org",
                      "planned": "ntp1.example.com, 10.0.0.3"}
    assert out[1]["found"] == "81.172.248.188 selected"
    out, _ = ap.time_mismatches(NTP, RESOLVED, CONFIG_OK, True, ap.parse_chronyc_tracking(TRACKING_FAR),
                                ap.parse_chronyc_sources(SOURCES.replace("^,*", "^,+")), 1.0)
    assert fields(out) == ["time.source", "time.offset"]
    assert out[0]["found"].startswith("no selected source (sources: 10.0.0.2 (+)")
    assert out[1] == {"field": "time.offset", "found": "+2.500000 s", "planned": "within 1 s"}


def test_time_chronyd_not_running_and_no_config():
    out, _ = ap.time_mismatches(NTP, RESOLVED, {"files": [], "sources": []}, True, None, None, 1.0,
                                "506 Cannot talk to daemon")
    assert fields(out) == ["time.ntp_servers", "time.chronyd"]
    assert out[0]["found"] == "no chrony configuration (/etc/chrony.conf or /etc/chrony/chrony.conf)"
    assert out[1]["found"] == "chronyd not running (506 Cannot talk to daemon)"


def test_time_in_a_container_checks_the_config_only():
    out, notes = ap.time_mismatches(NTP, RESOLVED, CONFIG_OK, False, None, None, 1.0, "not asked")
    assert out == [] and len(notes) == 1 and "CAP_SYS_TIME" in notes[0]


# ---------------------------------------------------------------- names

def test_hosts_file_comments_aliases_first_line_and_family():
    entries = ap.parse_hosts(HOSTS)
    assert ("10.0.0.21", ["ess01a.example.com", "ess01a"]) in entries
    assert ap.hosts_addresses(entries, "ess01a") == ["10.0.0.21"]
    assert ap.hosts_addresses(entries, "ess01b-ib") == ["10.78.0.22", "10.78.9.99"]  # first line wins
    assert ap.hosts_addresses(entries, "ess01a-ib") == ["10.78.0.21"]
    assert ap.hosts_addresses(entries, "ess01a-ib", fam=6) == ["fd00::21"]
    assert ap.hosts_addresses(entries, "localhost") == ["127.0.0.1"]
    assert ap.hosts_addresses(entries, "canister") == []  # only a comment says it


def test_getent_ahosts():
    assert ap.parse_getent_ahosts(GETENT) == ["10.0.0.31"]
    assert ap.parse_getent_ahosts("") == []


def test_names_one_line_per_wrong_name_then_a_summary():
    plan = [{"address": "10.78.0.21", "names": ["ess01a-ib"]}, {"address": "10.78.0.22", "names": ["ess01b-ib"]},
            {"address": "10.0.0.31", "names": ["dgx01"]}]
    resolved = {"ess01a-ib": ("10.78.0.21", None), "ess01b-ib": ("10.78.9.99", None), "dgx01": (None, None)}
    out = ap.names_mismatches(plan, resolved)
    assert out == [{"field": "names.ess01b-ib", "found": "10.78.9.99", "planned": "10.78.0.22"},
                   {"field": "names.dgx01", "found": "no address (not in /etc/hosts, not resolvable)",
                    "planned": "10.0.0.31"}]
    many = [{"address": f"10.0.1.{i}", "names": [f"dgx{i:02d}"]} for i in range(1, 13)]
    out = ap.names_mismatches(many, {})
    assert fields(out) == ["names"]
    assert out[0]["found"].startswith("12 names resolve elsewhere or not at all: dgx01 -> unresolved (not 10.0.1.1)")


# ---------------------------------------------------------------- interfaces

def test_ip_json_real_shape():
    ifaces = ap.parse_ip_addr(IP_ALL)
    assert [i["name"] for i in ifaces] == ["lo", "enP1p8s0f0", "bond0", "ib0"]
    assert ifaces[1]["master"] == "bond0" and ifaces[1]["inet"] == []
    assert ifaces[3]["link_type"] == "infiniband" and ifaces[3]["inet"] == [("10.78.0.21", 16)]
    assert ap.parse_ip_addr(IP_HOST)[1]["inet"] == [("192.0.2.2", 24), ("fd00::2", 64)]
    assert ap.parse_ip_addr("[{}, " + LO + "]")[0]["name"] == "lo"  # iproute2 prints {} for filtered links
    with pytest.raises(ap.ReadError, match="not JSON"):
        ap.parse_ip_addr("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")


def test_link_up_accepts_unknown_with_lower_up():
    assert ap.link_up({"operstate": "UP", "flags": []})
    assert ap.link_up({"operstate": "UNKNOWN", "flags": ["UP", "LOWER_UP"]})
    assert not ap.link_up({"operstate": "UNKNOWN", "flags": ["UP"]})
    assert not ap.link_up({"operstate": "DOWN", "flags": ["NO-CARRIER", "UP"]})


def test_mgmt_clean_on_the_bond_and_on_any_interface():
    ifaces = ap.parse_ip_addr(IP_ALL)
    assert ap.mgmt_mismatches(PLAN_MGMT, ifaces) == []
    assert ap.mgmt_mismatches({**PLAN_MGMT, "interfaces": [], "mtu": None}, ifaces) == []


def test_mgmt_wrong_interface_prefix_state_mtu_and_missing():
    bond = json.loads(BOND)
    bond.update(ifname="eno3", operstate="DOWN", flags=["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"], mtu=9000)
    bond["addr_info"][0]["prefixlen"] = 16
    ifaces = ap.parse_ip_addr(json.dumps([json.loads(LO), bond]))
    out = ap.mgmt_mismatches(PLAN_MGMT, ifaces)
    assert fields(out) == ["mgmt.interface", "mgmt.prefix", "mgmt.state", "mgmt.mtu"]
    assert out[0] == {"field": "mgmt.interface", "found": "10.0.0.21 on eno3", "planned": "on enP1p8s0f0 or bond0"}
    assert out[1]["found"] == "10.0.0.21/16 on eno3" and out[1]["planned"] == "10.0.0.21/24"
    assert out[2]["found"] == "DOWN (NO-CARRIER,BROADCAST,MULTICAST,UP) on eno3"
    assert out[3] == {"field": "mgmt.mtu", "found": "9000 on eno3", "planned": "1500"}
    out = ap.mgmt_mismatches(PLAN_MGMT, ap.parse_ip_addr(IP_HOST))
    assert out == [{"field": "mgmt.address", "found": "not on any interface (192.0.2.2/24 on eth0)",
                    "planned": "10.0.0.21/24 on enP1p8s0f0 or bond0"}]


def test_ipoib_on_infiniband_compares_the_mode():
    ib = ap.parse_ip_addr(f"[{IB0}]")[0]
    assert ap.ipoib_mismatches(PLAN_IPOIB, ib, "datagram\n") == []
    out = ap.ipoib_mismatches({**PLAN_IPOIB, "mtu": 65520, "mode": "connected"}, ib, "datagram\n")
    assert out == [{"field": "ipoib.mtu", "found": "2044 on ib0", "planned": "65520"},
                   {"field": "ipoib.mode", "found": "datagram on ib0", "planned": "connected"}]
    assert ap.ipoib_mismatches(PLAN_IPOIB, ib, None)[0]["found"] == "unreadable (/sys/class/net/ib0/mode)"


def test_ipoib_on_an_ethernet_stand_in_has_no_mode():
    twin = ap.parse_ip_addr(f"[{IB0_TWIN}]")[0]
    assert ap.ipoib_mismatches({**PLAN_IPOIB, "mtu": 1500, "mode": "connected"}, twin, None) == []


def test_ipoib_missing_interface_address_and_link():
    assert ap.ipoib_mismatches(PLAN_IPOIB, None, None) == [
        {"field": "ipoib.interface", "found": "no interface ib0", "planned": "ib0 with 10.78.0.21/16"}]
    down = json.loads(IB0)
    down.update(operstate="DOWN", flags=["BROADCAST", "MULTICAST"], addr_info=[])
    out = ap.ipoib_mismatches(PLAN_IPOIB, ap.parse_ip_addr(json.dumps([down]))[0], "datagram")
    assert out == [{"field": "ipoib.address", "found": "no address on ib0", "planned": "10.78.0.21/16 on ib0"},
                   {"field": "ipoib.state", "found": "DOWN (BROADCAST,MULTICAST) on ib0", "planned": "UP"}]


# ---------------------------------------------------------------- level

@pytest.mark.parametrize(("found", "minimum", "ok"), [
    ("5.1.9-3", "5.0.4", True), ("5.0.10", "5.0.9", True), ("5.0.9", "5.0.10", False),
    ("5.0.4-0", "5.0.4", True), ("5.0.3-2", "5.0.4", False), ("1:5.2.1-1", "5.2.1", True),
    ("5.1.9-3.el8", "5.1.9.3", True), ("5.1.9-2", "5.1.9.3", False), ("5.1", "5.1.0", True),
])
def test_version_compare_by_numeric_components(found, minimum, ok):
    assert ap.version_ge(found, minimum) is ok


def test_package_versions_from_rpm_and_dpkg():
    assert ap.parse_rpm_versions(RPM_OK) == ["5.1.9-3"]
    assert ap.parse_rpm_versions(RPM_MISSING) == []
    assert ap.newest(ap.parse_rpm_versions("5.1.8-2\n5.1.9-3\n")) == "5.1.9-3"  # two installed (an upgrade)
    assert ap.parse_dpkg_versions(DPKG_OK) == ["5.2.1-1"]
    assert ap.parse_dpkg_versions(DPKG_REMOVED) == []


def test_level_missing_and_old():
    out = ap.level_mismatches(["gpfs.gnr", "gpfs.base"], {"gpfs.gnr": None, "gpfs.base": "5.0.3-2"}, "5.0.4")
    assert out == [{"field": "level.gpfs.gnr", "found": "not installed", "planned": "gpfs.gnr 5.0.4 or later"},
                   {"field": "level.gpfs.base", "found": "gpfs.base 5.0.3-2", "planned": "gpfs.base 5.0.4 or later"}]


# ---------------------------------------------------------------- report

def test_report_lines_and_message():
    fixes = {"level": ap.render_fix(ap.FIX["level"], {"host": "ess01a", "min_version": "5.1.9"})}
    mism, lines = ap.report("ess01a", [ap.mismatch("level.gpfs.gnr", "not installed", "gpfs.gnr 5.1.9 or later")],
                            fixes)
    assert mism[0]["fix"] == fixes["level"] and "essrun -N ess01a update --offline" in fixes["level"]
    assert lines == [f"ess01a: level.gpfs.gnr: found not installed; the plan says gpfs.gnr 5.1.9 or later. "
                     f"Fix: {fixes['level']}"]
    assert ap.failure_message("ess01a", lines).splitlines()[0] == (
        "ess01a is an appliance (deploy-pod does not change it) and differs from the plan in 1 field(s):")
    assert ap.render_fix("x {host} {nope} <connection> {empty}", {"host": "h", "empty": ""}) == \
        "x h {nope} <connection> {empty}"


# ---------------------------------------------------------------- the module

class FakeHost:
    """Scripted commands by program name: {name: fn(argv) -> (rc, out, err)}; records every argv."""

    def __init__(self, tools: dict):
        self.tools, self.calls = tools, []

    def install(self, monkeypatch):
        host = self

        def get_bin_path(self, arg, required=False, opt_dirs=None):
            return f"/usr/bin/{arg}" if arg in host.tools else None

        def run_command(self, args, **kwargs):
            assert isinstance(args, list), "argv lists only, never a shell string"
            assert not kwargs.get("use_unsafe_shell")
            host.calls.append(args)
            return host.tools[args[0].rsplit("/", 1)[-1]](args)

        monkeypatch.setattr(appliance_check.AnsibleModule, "get_bin_path", get_bin_path)
        monkeypatch.setattr(appliance_check.AnsibleModule, "run_command", run_command)


def ip_tool(text: str = IP_ALL):
    def ip(argv):
        if "dev" not in argv:
            return 0, text, ""
        dev = argv[argv.index("dev") + 1]
        links = [x for x in json.loads(text) if x["ifname"] == dev]
        return (0, json.dumps(links), "") if links else (1, "", f'Device "{dev}" does not exist.\n')
    return ip


def chronyc_tool(tracking: str = TRACKING, sources: str = SOURCES, rc: int = 0):
    def chronyc(argv):
        if rc:
            return rc, "", "506 Cannot talk to daemon\n"
        return 0, tracking if argv[-1] == "tracking" else sources, ""
    return chronyc


def rpm_tool(versions: dict):
    def rpm(argv):
        pkg = argv[-1]
        return (0, versions[pkg] + "\n", "") if pkg in versions else (1, f"package {pkg} is not installed\n", "")
    return rpm


def getent_tool(table: dict):
    def getent(argv):
        addr = table.get(argv[-1])
        return (0, f"{addr:<15s} STREAM {argv[-1]}\n{addr:<15s} DGRAM  \n{addr:<15s} RAW    \n", "") if addr \
            else (2, "", "")
    return getent


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A canister's file tree (RHEL layout) under a temporary root."""
    files = {"etc/hosts": HOSTS, "etc/chrony.conf": CHRONY_RHEL, "proc/1/status": STATUS_HOST,
             "sys/class/net/ib0/mode": "datagram\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setattr(appliance_check, "ROOT", str(tmp_path))
    return tmp_path


def canister(**over) -> dict:
    return {"ip": ip_tool(), "chronyc": chronyc_tool(), "getent": getent_tool({"dgx01": "10.0.0.31"}),
            "rpm": rpm_tool({"gpfs.gnr": "5.1.9-3", "gpfs.base": "5.1.9-3"}), **over}


ARGS = {"host": "ess01a", "checks": ["time", "names", "mgmt", "ipoib", "level"],
        "ntp_servers": ["ntp1.example.com", "10.0.0.3"],
        "hosts_entries": [{"address": "10.0.0.21", "names": ["ess01a"]},
                          {"address": "10.78.0.21", "names": ["ess01a-ib"]},
                          {"address": "10.0.0.31", "names": ["dgx01"]}],
        "mgmt": PLAN_MGMT, "ipoib": PLAN_IPOIB, "min_version": "5.1.9"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_module_clean_canister_reads_only(root, capsys, monkeypatch, check_mode):
    fake = FakeHost(canister())
    fake.install(monkeypatch)
    args = {**ARGS, "_ansible_check_mode": check_mode}
    rc, res = run_module(appliance_check.main, args, capsys, monkeypatch)
    assert rc == 0, res
    assert (res["changed"], res["mismatches"], res["lines"], res["notes"]) == (False, [], [], [])
    assert res["observed"]["time"]["selected"] == "10.0.0.2" and res["observed"]["level"]["versions"] == {
        "gpfs.gnr": "5.1.9-3", "gpfs.base": "5.1.9-3"}
    assert res["observed"]["names"] == {"resolved": {"ess01a": "10.0.0.21", "ess01a-ib": "10.78.0.21",
                                                     "dgx01": "10.0.0.31"}, "via_getent": ["dgx01"]}
    assert res["observed"]["ipoib"]["mode"] == "datagram"
    programs = [c[0].rsplit("/", 1)[-1] for c in fake.calls]
    assert set(programs) <= {"ip", "chronyc", "rpm", "getent"}  # readers only
    assert ["/usr/bin/chronyc", "-c", "tracking"] in fake.calls


def test_module_fails_with_every_mismatch_and_the_fix(root, capsys, monkeypatch):
    (root / "etc/chrony.conf").write_text("pool 2.rhel.pool.ntp.org iburst\n")
    (root / "sys/class/net/ib0/mode").write_text("connected\n")
    FakeHost(canister(chronyc=chronyc_tool(TRACKING_FAR, SOURCES_OTHER),
                      rpm=rpm_tool({"gpfs.base": "5.0.3-2"}))).install(monkeypatch)
    args = {**ARGS, "hosts_entries": [{"address": "10.78.0.22", "names": ["ess01b-ib"]}],
            "mgmt": {**PLAN_MGMT, "mtu": 9000}, "max_offset": 0.5}
    rc, res = run_module(appliance_check.main, args, capsys, monkeypatch)
    assert rc == 1 and res["failed"] and res["changed"] is False
    assert fields(res["mismatches"]) == ["time.ntp_servers", "time.source", "time.offset", "mgmt.mtu", "ipoib.mode",
                                         "level.gpfs.gnr", "level.gpfs.base"]
    msg = res["msg"].splitlines()
    assert msg[0] == "ess01a is an appliance (deploy-pod does not change it) and differs from the plan in 7 field(s):"
    assert msg[1:] == res["lines"]
    assert res["lines"][4].startswith("ess01a: ipoib.mode: found connected on ib0; the plan says datagram. Fix: "
                                      "rebuild the high-speed network from the ESS deployment container: "
                                      "`essrun -N ess01a network --suffix=-ib`")
    assert "ethernet.mtu 9000" in res["mismatches"][3]["fix"]
    assert "ntp1.example.com, 10.0.0.3" in res["mismatches"][0]["fix"]


def test_module_in_a_container_debian_layout(root, capsys, monkeypatch):
    (root / "etc/chrony.conf").unlink()
    (root / "proc/1/status").write_text(STATUS_CONTAINER)
    for rel, text in {"etc/chrony/chrony.conf": CHRONY_DEBIAN,
                      "etc/chrony/sources.d/pod.sources": "server ntp1.example.com iburst\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    dpkg = {"gpfs.gnr": "install ok installed\t5.2.1-1\n", "gpfs.base": "install ok installed\t5.2.1-1\n"}
    fake = FakeHost({"ip": ip_tool(f"[{LO},{BOND},{IB0_TWIN}]"), "getent": getent_tool({"dgx01": "10.0.0.31"}),
                     "dpkg-query": lambda argv: (0, dpkg[argv[-1]], "")})
    fake.install(monkeypatch)
    args = {**ARGS, "mgmt": {**PLAN_MGMT, "interfaces": []}, "ipoib": {**PLAN_IPOIB, "mtu": 1500}}
    rc, res = run_module(appliance_check.main, args, capsys, monkeypatch)
    assert rc == 0, res
    assert len(res["notes"]) == 1 and "CAP_SYS_TIME" in res["notes"][0]
    assert res["observed"]["time"]["config_files"] == ["/etc/chrony/chrony.conf", "/etc/chrony/sources.d/pod.sources"]
    assert res["observed"]["time"]["can_run_chronyd"] is False and res["observed"]["time"]["running"] is False
    assert res["observed"]["ipoib"]["mode"] is None  # an Ethernet stand-in has no IPoIB mode
    assert not any(c[0].endswith("chronyc") for c in fake.calls)
    assert ["/usr/bin/dpkg-query", "-W", "-f", r"${Status}\t${Version}\n", "gpfs.gnr"] in fake.calls


def test_module_chronyd_not_running_and_tools_missing(root, capsys, monkeypatch):
    FakeHost({"chronyc": chronyc_tool(rc=1), "getent": getent_tool({})}).install(monkeypatch)
    rc, res = run_module(appliance_check.main, ARGS, capsys, monkeypatch)
    assert rc == 1
    by_field = {m["field"]: m for m in res["mismatches"]}
    assert by_field["time.chronyd"]["found"] == "chronyd not running (506 Cannot talk to daemon)"
    assert by_field["names.dgx01"]["found"] == "no address (not in /etc/hosts, not resolvable)"
    assert by_field["mgmt.address"]["found"] == "unreadable: ip not found (install iproute2)"
    assert by_field["ipoib.interface"]["found"] == "unreadable: ip not found (install iproute2)"
    assert by_field["level"]["found"] == "unreadable: neither rpm nor dpkg-query is installed"
    assert by_field["level"]["planned"] == "gpfs.gnr, gpfs.base 5.1.9 or later"


def test_module_missing_ib_device_and_fix_override(root, capsys, monkeypatch):
    FakeHost(canister(ip=ip_tool(f"[{LO},{PORT},{BOND}]"))).install(monkeypatch)
    args = {**ARGS, "checks": ["ipoib"], "fix": {"ipoib": "ask the storage team to cable {ipoib_interface} on {host}"}}
    rc, res = run_module(appliance_check.main, args, capsys, monkeypatch)
    assert rc == 1
    assert res["lines"] == ["ess01a: ipoib.interface: found no interface ib0; the plan says ib0 with 10.78.0.21/16. "
                            "Fix: ask the storage team to cable ib0 on ess01a"]


def test_module_only_reads_the_checks_asked_and_needs_their_plan(root, capsys, monkeypatch):
    fake = FakeHost(canister())
    fake.install(monkeypatch)
    rc, res = run_module(appliance_check.main, {"host": "ess01a", "checks": ["level"], "min_version": "5.1.9"},
                         capsys, monkeypatch)
    assert rc == 0 and list(res["observed"]) == ["level"]
    assert {c[0] for c in fake.calls} == {"/usr/bin/rpm"}
    rc, res = run_module(appliance_check.main, {"checks": ["mgmt", "time"]}, capsys, monkeypatch)
    assert rc == 1 and res["msg"] == "checks mgmt, time need mgmt, ntp_servers"


# ---------------------------------------------------------------- documentation

def _doc_options(options: dict) -> dict:
    out = {}
    for name, o in options.items():
        entry = {k: o[k] for k in ("type", "elements", "choices", "default") if k in o}
        entry["required"] = bool(o.get("required", False))
        if "suboptions" in o:
            entry["options"] = _doc_options(o["suboptions"])
        out[name] = entry
    return out


def _spec_options(spec: dict) -> dict:
    out = {}
    for name, o in spec.items():
        entry = {k: o[k] for k in ("type", "elements", "choices", "default") if k in o}
        entry["required"] = bool(o.get("required", False))
        if "options" in o:
            entry["options"] = _spec_options(o["options"])
        out[name] = entry
    return out


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(appliance_check.DOCUMENTATION)
    assert doc["module"] == "appliance_check"
    assert _doc_options(doc["options"]) == _spec_options(appliance_check.ARGUMENT_SPEC)
    assert set(yaml.safe_load(appliance_check.RETURN)) == {"mismatches", "lines", "notes", "observed"}
    assert isinstance(yaml.safe_load(appliance_check.EXAMPLES), list)
