"""The emulated IB tools against the real shapes of project issue 9: Ethernet-link-layer ports
print as real ibstat/ibv_devinfo print a RoCE port and stay out of the fabric tools; ibdev2netdev
prints any netdev name with the netdev's own operstate; switch descriptions go out padded as
real ones are; and every emulated IB command refuses an option it does not implement the way the
real tool refuses an unknown one, never with made-up output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("hw_emulators_pod", HERE / "test_hw_emulators.py")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
Pod, ib, HW_DIR = _mod.Pod, _mod.ib, _mod.HW_DIR
ROOT = HERE.parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"


@pytest.fixture
def pod(tmp_path):
    return Pod(tmp_path)


def run(pod, host, name, *args, env=None):
    e = {**pod.env(host), **(env or {})}
    return subprocess.run([sys.executable, str(pod.tool(name)), *args], capture_output=True, text=True,
                          env=e, timeout=30)


def make_ethernet(pod, host, ca, mac=None, fabric_knows=True):
    """Turn `ca` (an Active, cabled HCA of `host`) into an Ethernet-link-layer one."""
    hw = pod.hw[host]
    hca = next(h for h in hw["hcas"] if h["name"] == ca)
    assert all(p.get("remote") for p in hca["ports"])
    for p in hca["ports"]:
        p["link_layer"] = "Ethernet"
        if mac:
            p["mac"] = mac
        p.pop("port_guid", None)
        p.pop("mtu", None)  # a 1500-byte netdev
        p["netdev"] = "enp27s0f0np0"
    if fabric_knows:  # what hwgen would write for the port's fabric link
        for link in pod.fabric["links"]:
            if (link["host"], link["ca"]) == (host, ca):
                link["link_layer"] = "Ethernet"
    pod.save()
    return hca


# ---------------------------------------------------------------- Ethernet ports

def test_ibstat_prints_an_ethernet_port_like_real_roce(pod):
    make_ethernet(pod, "dgx01", "mlx5_0", mac="0c:42:a1:1d:d1:2a")
    real = ib.parse_ibstat((REAL / "ibstat.2.txt").read_text())["cas"]["mlx5_0"]["ports"][1]
    out = ib.parse_ibstat(pod.run("dgx01", "ibstat"))
    port = out["cas"]["mlx5_0"]["ports"][1]
    assert list(port) == list(real)
    assert port["link_layer"] == "Ethernet" and port["state"] == "Active"
    assert (port["base_lid"], port["sm_lid"], port["capability_mask"]) == (0, 0, "0x00010000")
    assert port["port_guid"] == "0x0e42a1fffe1dd12a"  # EUI-64 of the MAC, as in the real sample
    assert isinstance(port["rate_gbps"], int) and port["rate_gbps"] >= 10  # the Ethernet speed in Gb/s
    assert out["cas"]["mlx5_1"]["ports"][1]["link_layer"] == "InfiniBand"


def test_default_mac_comes_from_the_node_guid(pod):
    hca = make_ethernet(pod, "dgx01", "mlx5_0")
    port = ib.parse_ibstat(pod.run("dgx01", "ibstat", "mlx5_0"))["cas"]["mlx5_0"]["ports"][1]
    g = int(hca["node_guid"], 16)
    mac = ((g >> 40) << 24) | (g & 0xFFFFFF)
    b = mac.to_bytes(6, "big")
    assert port["port_guid"] == "0x" + bytes([b[0] ^ 2, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]]).hex()


def test_ibv_devinfo_and_ibstatus_ethernet_port(pod):
    make_ethernet(pod, "dgx01", "mlx5_0")
    dev = ib.parse_ibv_devinfo(pod.run("dgx01", "ibv_devinfo", "-d", "mlx5_0"))["mlx5_0"]
    p = dev["ports"][1]
    assert (p["link_layer"], p["port_lid"], p["sm_lid"], p["state"]) == ("Ethernet", 0, 0, "PORT_ACTIVE")
    assert p["active_mtu"] == 1024  # a 1500-byte netdev, as the real Ethernet sample shows
    st = [s for s in ib.parse_ibstatus(pod.run("dgx01", "ibstatus")) if s["ca"] == "mlx5_0"][0]
    assert (st["link_layer"], st["base_lid"], st["sm_lid"]) == ("Ethernet", 0, 0)


@pytest.mark.parametrize("fabric_knows", [True, False])
def test_ethernet_ports_are_not_in_the_fabric_tools(pod, fabric_knows):
    hca = make_ethernet(pod, "dgx01", "mlx5_0", fabric_knows=fabric_knows)
    guid = ib.parse_ibstat(pod.run("dgx01", "ibstat", "mlx5_0"))["cas"]["mlx5_0"]["ports"][1]["port_guid"]
    linkinfo = ib.parse_iblinkinfo(pod.run("dgx01", "iblinkinfo"))
    assert "dgx01 mlx5_0" not in {e["node_name"] for e in linkinfo}
    assert "dgx01 mlx5_0" not in {(e["remote"] or {}).get("name") for e in linkinfo}
    assert "dgx01 mlx5_1" in {e["node_name"] for e in linkinfo}  # the IB ports still are
    ports = ib.parse_ibnetdiscover_ports(pod.run("dgx01", "ibnetdiscover", "-p"))
    assert guid not in {e["guid"] for e in ports} and hca["node_guid"] not in {e["guid"] for e in ports}
    # through the Ethernet port itself there is no subnet to discover
    proc = run(pod, "dgx01", "iblinkinfo", "-C", "mlx5_0", "-P", "1")
    assert proc.returncode != 0 and proc.stdout == ""


# ---------------------------------------------------------------- ibdev2netdev

def test_ibdev2netdev_state_is_the_netdevs_operstate(pod, tmp_path):
    hw = pod.hw["dgx01"]
    names = ["ibp12s0", "ibs5f0", "ibp75s0", "ibp84s0"]
    for hca, name in zip(hw["hcas"], names, strict=False):
        hca["ports"][0]["netdev"] = name
    hw["hcas"][3]["ports"][0]["state"] = "Down"
    pod.save()
    sysfs = tmp_path / "sysnet"
    for name, state in zip(names, ["up", "down", "unknown", "up"], strict=True):
        (sysfs / name).mkdir(parents=True)
        (sysfs / name / "operstate").write_text(state + "\n")
    proc = run(pod, "dgx01", "ibdev2netdev", env={"DEPLOY_POD_TWIN_SYSFS_NET": str(sysfs)})
    rows = ib.parse_ibdev2netdev(proc.stdout)
    # Active port + admin-down netdev -> (Down); a Down port has no carrier -> (Down) whatever the netdev says
    assert [(r["netdev"], r["state"]) for r in rows] == [
        ("ibp12s0", "Up"), ("ibs5f0", "Down"), ("ibp75s0", "Unknown"), ("ibp84s0", "Down")]
    verbose = ib.parse_ibdev2netdev(run(pod, "dgx01", "ibdev2netdev", "-v",
                                        env={"DEPLOY_POD_TWIN_SYSFS_NET": str(sysfs)}).stdout)
    assert [(r["port_state"], r["state"]) for r in verbose] == [
        ("ACTIVE", "Up"), ("ACTIVE", "Down"), ("ACTIVE", "Unknown"), ("DOWN", "Down")]


def test_ibdev2netdev_without_the_interface_uses_the_hardware_file(pod, tmp_path):
    pod.hw["dgx01"]["hcas"][0]["ports"][0]["netdev_state"] = "down"
    pod.save()
    rows = ib.parse_ibdev2netdev(run(pod, "dgx01", "ibdev2netdev",
                                     env={"DEPLOY_POD_TWIN_SYSFS_NET": str(tmp_path / "none")}).stdout)
    assert [r["up"] for r in rows] == [False, True, True, True]


# ---------------------------------------------------------------- padded switch descriptions

def test_switch_descriptions_go_out_as_written_and_compare_equal(pod):
    from ansible_collections.deploy_pod.pod.plugins.module_utils.fabric import compare, discovered_links
    from ansible_collections.deploy_pod.pod.plugins.module_utils.hostfacts import infiniband_facts

    for sw in pod.fabric["switches"]:
        sw["description"] = sw["description"] + "      "
    pod.fabric["switches"][1]["managed"] = False
    pod.fabric["switches"][1]["hw_model"] = "sx6036"
    pod.save()
    out = pod.run("dgx01", "iblinkinfo")
    assert '"MF0;ib-sw1:MSB7800/U1      "' in out  # printed verbatim, padding inside the quotes
    assert '"SwitchX -  Mellanox Technologies"' in out
    sw2_guid = pod.fabric["switches"][1]["guid"]
    facts = infiniband_facts(ib.parse_ibstat(pod.run("dgx01", "ibstat")))
    links = discovered_links("dgx01", facts["ports"], ib.parse_iblinkinfo(out), switch_guids={"ib-sw2": sw2_guid})
    planned = [{"port": f"{h['name']}/{p['num']}", "switch": p["remote"]["switch"],
                "switch_port": p["remote"]["port"], "rate_gbps": 100}
               for h in pod.hw["dgx01"]["hcas"] for p in h["ports"] if p.get("remote")]
    assert planned and compare("dgx01", planned, links) == []
    # without the GUID map the unmanaged switch is known by its description, blanks normalised
    links = discovered_links("dgx01", facts["ports"], ib.parse_iblinkinfo(out))
    assert {lk["switch"] for lk in links.values() if lk["switch"]} == {"ib-sw1", "SwitchX - Mellanox Technologies"}


# ---------------------------------------------------------------- unknown options

# (command, args, exit status, where the complaint goes, what stdout may hold). The infiniband-diags
# C tools (ibdiag_process_opts) print getopt's message and the usage on stderr and exit 2;
# ibv_devinfo prints getopt's message on stderr and the usage on stdout, exit 255; perftest
# adds its 'Invalid Command or flag.' lines on stderr, usage on stdout, exit 1. The MLNX OFED
# shell scripts print their usage on stdout: ibdev2netdev exits 255, ofed_info 1; ibstatus
# (a shell script of infiniband-diags) takes a non -h word as a device: 'Fatal error:' on stdout, 255.
UNKNOWN = [
    ("ibstat", ["--no-such-option"], 2, "ibstat: unrecognized option '--no-such-option'", None),
    ("ibstat", ["-Q"], 2, "ibstat: invalid option -- 'Q'", None),
    ("ibstat", ["-h"], 2, "Usage: ibstat [options] <ca_name> [portnum]", None),
    ("iblinkinfo", ["--no-such-option"], 2, "iblinkinfo: unrecognized option '--no-such-option'", None),
    ("iblinkinfo", ["--diff", "cache.ibnd"], 2, "iblinkinfo: unrecognized option '--diff'", None),
    ("ibnetdiscover", ["--no-such-option"], 2, "ibnetdiscover: unrecognized option '--no-such-option'", None),
    ("ibnetdiscover", ["-g"], 2, "ibnetdiscover: invalid option -- 'g'", None),
    ("ibv_devinfo", ["--no-such-option"], 255, "ibv_devinfo: unrecognized option '--no-such-option'", "Usage:"),
    ("ibv_devinfo", ["-h"], 255, "ibv_devinfo: invalid option -- 'h'", "Usage:"),
    ("ib_write_bw", ["--no-such-option"], 1, " Invalid Command or flag.", "Usage:"),
    ("ib_read_bw", ["-z"], 1, "ib_read_bw: invalid option -- 'z'", "Usage:"),
    ("ibdev2netdev", ["--no-such-option"], 255, None, "ibdev2netdev <options>"),
    ("ofed_info", ["--no-such-option"], 1, None, "Usage: "),
    ("ibstatus", ["--no-such-option"], 255, None, "Fatal error:  device '--no-such-option'"),
]


@pytest.mark.parametrize(("name", "args", "rc", "stderr", "stdout"), UNKNOWN,
                         ids=[f"{u[0]} {' '.join(u[1])}" for u in UNKNOWN])
def test_unknown_option_fails_like_the_real_tool(pod, name, args, rc, stderr, stdout):
    proc = run(pod, "dgx01", name, *args)
    assert proc.returncode == rc, (proc.stdout, proc.stderr)
    assert proc.returncode != 0
    if stderr is None:
        assert proc.stderr == ""
    else:
        assert stderr in proc.stderr
    if stdout is None:
        assert proc.stdout == ""
    else:
        assert proc.stdout.lstrip().startswith(stdout)
    # never any data: nothing a parser would read as a CA, a port, a link or a netdev
    text = proc.stdout
    assert not ib.parse_ibstat(text)["cas"] and not ib.parse_ibstat(text)["ports"]
    assert not ib.parse_ibv_devinfo(text) and not ib.parse_ibdev2netdev(text)
    assert not ib.parse_iblinkinfo(text) and not ib.parse_ibnetdiscover_ports(text)
    assert not ib.parse_ibstatus(text) and "BW average" not in text and "MLNX_OFED_LINUX-" not in text


def test_every_emulated_ib_command_is_walked():
    walked = {u[0] for u in UNKNOWN}
    shipped = {p.stem for p in HW_DIR.glob("ib*.py")} - {"ibfabric"} | {"ofed_info"}
    assert shipped <= walked, shipped - walked
    assert {"ib_write_bw", "ib_read_bw"} <= walked  # perftest's names
