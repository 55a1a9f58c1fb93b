"""The emulated IB and GPU tools, run as subprocesses against hwgen-made files for a DGX-1,
a DGX-2, a DGX A100 and an ESS 3000 canister; their output goes through the project's own
parsers and is held against the structure of the real fixtures."""

import importlib.util
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
HW_DIR = ROOT / "twin" / "emulators" / "hw"
FIXTURES = ROOT / "tests" / "fixtures"
CATALOG = yaml.safe_load((ROOT / "src" / "deploy_pod" / "data" / "catalog.yml").read_text())["models"]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sys.path.insert(0, str(HW_DIR))
hwgen = _load("twin_hwgen_emu", HW_DIR / "hwgen.py")
sys.path.remove(str(HW_DIR))
ib = _load("ib_parsers", ROOT / "plugins" / "module_utils" / "ib_parsers.py")
nv = _load("nvidia_parsers", ROOT / "plugins" / "module_utils" / "nvidia_parsers.py")
dgxrel = _load("dgx_release_parser", ROOT / "plugins" / "module_utils" / "dgx_release.py")

SWITCHES = [{"name": "ib-sw1", "hw_model": "sb7800", "ports": 36, "rate_gbps": 100},
            {"name": "ib-sw2", "hw_model": "sb7800", "ports": 36, "rate_gbps": 100}]
HOSTS = {  # host -> (role, model, first switch port)
    "dgx01": ("dgx", "dgx-1", 1),
    "dgx02": ("dgx", "dgx-2", 3),
    "dgx03": ("dgx", "dgx-a100", 8),
    "ess01a": ("ess", "ess-3000", 10),
}


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text().split("\n", 1)[1]  # drop the '# source:' line


class Pod:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.hw = {}
        for host, (role, model, first) in HOSTS.items():
            ports = CATALOG[model]["ib"]["storage_ports"]
            cables = [{"port": p, "switch": SWITCHES[i % 2]["name"], "switch_port": first + i // 2}
                      for i, p in enumerate(ports)]
            self.hw[host] = hwgen.host_hardware("twin", host, role, model, CATALOG[model], cables, {})
        self.fabric = hwgen.fabric("twin", list(self.hw.values()), SWITCHES,
                                   isls=[{"switch": "ib-sw1", "port": 36, "peer": "ib-sw2", "peer_port": 36}])
        self.bin = tmp / "bin"
        self.bin.mkdir()
        for link, target in {"ib_write_bw": "perftest.py", "ib_read_bw": "perftest.py",
                             "ibv_devices": "ibv_devinfo.py"}.items():
            (self.bin / link).symlink_to(HW_DIR / target)
        self.save()

    def save(self):
        for host, hw in self.hw.items():
            (self.tmp / f"{host}.json").write_text(json.dumps(hw, indent=1))
        (self.tmp / "fabric.json").write_text(json.dumps(self.fabric, indent=1))

    def env(self, host):
        return {"PATH": "/usr/bin:/bin", "DEPLOY_POD_TWIN_HARDWARE": str(self.tmp / f"{host}.json"),
                "DEPLOY_POD_TWIN_FABRIC": str(self.tmp / "fabric.json")}

    def tool(self, name):
        return self.bin / name if (self.bin / name).exists() else HW_DIR / f"{name}.py"

    def run(self, host, name, *args, rc=0):
        proc = subprocess.run([sys.executable, str(self.tool(name)), *args], capture_output=True, text=True,
                              env=self.env(host), timeout=30)
        assert proc.returncode == rc, (proc.stdout, proc.stderr)
        return proc.stdout

    def proc(self, host, name, *args):
        return subprocess.Popen([sys.executable, str(self.tool(name)), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(host))


@pytest.fixture
def pod(tmp_path):
    return Pod(tmp_path)


def key_order(d: dict) -> list[str]:
    return [k for k in d if k != "ports"]


# ---- ibstat ---------------------------------------------------------------------------

# every HCA of the model (catalog ib.hcas), cabled or not: DGX-2 10, DGX A100 12
@pytest.mark.parametrize("host,cas", [("dgx01", 4), ("dgx02", 10), ("dgx03", 12), ("ess01a", 2)])
def test_ibstat_structure_matches_fixture(pod, host, cas):
    real = ib.parse_ibstat(fixture_text("ibstat.1.txt"))["cas"]["mlx5_0"]
    out = pod.run(host, "ibstat")
    assert "\tCA type: " in out and "\t\tState: " in out  # tabs, as the real binary prints
    parsed = ib.parse_ibstat(out)
    assert parsed["panic"] is None and len(parsed["cas"]) == cas
    hw = pod.hw[host]
    cabled = {(h["name"], p["num"]) for h in hw["hcas"] for p in h["ports"] if p["remote"]}
    for ca in parsed["cas"].values():
        assert key_order(ca) == key_order(real)
        for num, port in ca["ports"].items():
            assert list(port) == list(real["ports"][1])
            if (ca["name"], num) not in cabled:
                assert port["state"] == "Down"
                continue
            assert port["state"] == "Active" and port["physical_state"] == "LinkUp"
            assert port["rate_gbps"] == 100 and port["sm_lid"] == 1 and port["base_lid"] > 2
    assert list(parsed["cas"]) == [h["name"] for h in hw["hcas"]]
    assert pod.run(host, "ibstat", "-l").split() == [h["name"] for h in hw["hcas"]]


def test_ibstat_ess_dual_port_and_single_port_query(pod):
    ca = ib.parse_ibstat(pod.run("ess01a", "ibstat", "mlx5_1"))["cas"]["mlx5_1"]
    assert ca["number_of_ports"] == 2 and list(ca["ports"]) == [1, 2]
    alone = pod.run("ess01a", "ibstat", "mlx5_1", "2")
    assert alone.startswith("Port 2:\nState: Active\n")  # no indentation when one port is asked for
    assert ib.parse_ibstat(alone)["ports"][2]["port_guid"] == ca["ports"][2]["port_guid"]


def test_ibstat_unknown_ca_panics_like_the_real_tool(pod):
    proc = subprocess.run([sys.executable, str(HW_DIR / "ibstat.py"), "mlx5_8"], capture_output=True, text=True,
                          env=pod.env("dgx01"))
    assert proc.returncode == 255
    assert re.match(r"^ibpanic: \[\d+\] main: stat of IB device 'mlx5_8' failed: No such file or directory$",
                    proc.stderr.strip())


# ---- ibstatus, ibv_devinfo, ibdev2netdev ----------------------------------------------------

def test_ibstatus_matches_fixture_layout(pod):
    out = pod.run("dgx01", "ibstatus")
    real = ib.parse_ibstatus(fixture_text("ibstatus.1.txt"))
    mine = ib.parse_ibstatus(out)
    assert len(mine) == 4 and [list(p) for p in mine] == [list(real[0])] * 4
    first = mine[0]
    assert (first["state"], first["phys_state"], first["rate"]) == ("ACTIVE", "LinkUp", "100 Gb/sec (4X EDR)")
    # same column layout as the fixture once tabs are expanded
    real_lines = fixture_text("ibstatus.1.txt").splitlines()[1:8]
    mine_lines = out.expandtabs().splitlines()[1:8]
    assert [ln.index(":") for ln in mine_lines] == [ln.index(":") for ln in real_lines]
    assert [len(ln.split(":", 1)[1]) - len(ln.split(":", 1)[1].lstrip()) for ln in mine_lines] == \
        [len(ln.split(":", 1)[1]) - len(ln.split(":", 1)[1].lstrip()) for ln in real_lines]
    ibstat = ib.parse_ibstat(pod.run("dgx01", "ibstat"))["cas"]
    assert first["base_lid"] == ibstat["mlx5_0"]["ports"][1]["base_lid"]


def test_ibv_devinfo_matches_fixture_keys(pod):
    real = ib.parse_ibv_devinfo(fixture_text("ibv_devinfo.1.txt"))["mlx5_0"]
    out = pod.run("dgx02", "ibv_devinfo")
    devs = ib.parse_ibv_devinfo(out)
    assert len(devs) == 10  # 8 VPI ports + the dual-port Ethernet card mlx5_4/5
    for name, d in devs.items():
        assert key_order(d) == key_order(real)
        assert list(d["ports"][1]) == list(real["ports"][1])
        assert d["vendor_part_id"] == 4119
        assert (d["ports"][1]["state"] == "PORT_ACTIVE") == (name not in ("mlx5_4", "mlx5_5"))
    one = ib.parse_ibv_devinfo(pod.run("dgx02", "ibv_devinfo", "-d", "mlx5_6"))
    assert list(one) == ["mlx5_6"]
    verbose = ib.parse_ibv_devinfo(pod.run("dgx02", "ibv_devinfo", "-v", "-d", "mlx5_0"))["mlx5_0"]["ports"][1]
    assert verbose["active_width"] == "4X (2)" and verbose["gids"][0].startswith("fe80:0000:0000:0000:")
    assert pod.run("dgx02", "ibv_devinfo", "-l").startswith("10 HCAs found:\n\tmlx5_0\n")
    devices = pod.run("dgx02", "ibv_devices").splitlines()
    assert devices[0] == "    device          \t   node GUID" and len(devices) == 12


def test_ibdev2netdev(pod):
    out = ib.parse_ibdev2netdev(pod.run("dgx02", "ibdev2netdev"))
    assert [(d["ca"], d["netdev"], d["up"]) for d in out][:7] == [
        ("mlx5_0", "ib0", True), ("mlx5_1", "ib1", True), ("mlx5_2", "ib2", True), ("mlx5_3", "ib3", True),
        ("mlx5_4", "enp134s0f0", False), ("mlx5_5", "enp134s0f1", False), ("mlx5_6", "ib4", True)]
    assert pod.run("dgx01", "ibdev2netdev").splitlines()[0] == "mlx5_0 port 1 ==> ib0 (Up)"
    verbose = ib.parse_ibdev2netdev(pod.run("dgx01", "ibdev2netdev", "-v"))
    assert verbose[0]["fw"] == "12.28.2006" and verbose[0]["port_state"] == "ACTIVE"


# ---- iblinkinfo / ibnetdiscover ---------------------------------------------------------------

def shape(line: str) -> str:
    return re.sub(r"[0-9a-f]", "9", line)


def test_iblinkinfo_every_cable_shows_its_far_end(pod):
    out = pod.run("dgx01", "iblinkinfo")
    ports = ib.parse_iblinkinfo(out)
    ca_ports = {(p["node_name"], p["port"]): p for p in ports if p["node_type"] == "CA"}
    for link in pod.fabric["links"]:
        key = (f"{link['host']} {link['ca']}", link["port"])
        if link["switch"] is None:
            assert key not in ca_ports or ca_ports[key]["remote"] is None
            continue
        remote = ca_ports[key]["remote"]
        assert (remote["switch_name"], remote["port"]) == (link["switch"], link["switch_port"])
    switch_ports = [p for p in ports if p["node_type"] == "Switch"]
    assert len(switch_ports) == 72
    isl = [p for p in switch_ports if p["port"] == 36]
    assert all(p["remote"]["switch_name"] in ("ib-sw1", "ib-sw2") for p in isl)


def test_iblinkinfo_lines_have_the_fixture_layout(pod):
    real = fixture_text("iblinkinfo.1.txt").splitlines()
    out = pod.run("dgx01", "iblinkinfo").splitlines()
    # CA line: lid 1 digit, port 1, remote lid 1 digit, remote port 2 digits, EDR (like n02 HCA-1)
    mine = next(ln for ln in out if '"MF0;ib-sw1:MSB7800/U1"' in ln and "    1[  ]" in ln and "   10[  ]" in ln)
    ref = real[1]
    for marker in ("0x", "[  ] ==(", ")==>", '"'):
        assert mine.index(marker) == ref.index(marker), marker
    assert mine[mine.index("==("):mine.index(")==>")] == ref[ref.index("==("):ref.index(")==>")]
    # a switch port nobody is cabled to
    down_ref = real[5]  # port 1 of the fixture's switch
    down = next(ln for ln in out if "Down/ Polling" in ln and re.search(r"\s[1-9]\[  \]", ln))
    assert shape(down) == shape(down_ref)
    assert any(ln.startswith("Switch: 0x") and ln.endswith(" MF0;ib-sw2:MSB7800/U1:") for ln in out)
    assert "CA: dgx01 mlx5_0:" in out


def test_iblinkinfo_without_isl_sees_only_its_own_subnet(pod):
    pod.fabric["isls"] = []
    pod.save()
    ports = ib.parse_iblinkinfo(pod.run("dgx01", "iblinkinfo", "-C", "mlx5_1"))
    assert {p["node_name"] for p in ports if p["node_type"] == "Switch"} == {"MF0;ib-sw2:MSB7800/U1"}


def test_ibnetdiscover_ports_like_fixture(pod):
    out = pod.run("ess01a", "ibnetdiscover", "-p")
    entries = ib.parse_ibnetdiscover_ports(out)
    real = ib.parse_ibnetdiscover_ports(fixture_text("ibnetdiscover_ports.1.txt"))
    assert {tuple(e) for e in entries} == {tuple(real[0])}
    ess = [e for e in entries if e["type"] == "CA" and e["name"] == "ess01a mlx5_0"]
    assert {(e["port"], e["remote"]["name"], e["remote"]["port"]) for e in ess} == {
        (1, "MF0;ib-sw1:MSB7800/U1", 10), (2, "MF0;ib-sw2:MSB7800/U1", 10)}
    idle = [e for e in entries if e["type"] == "SW" and e["remote"] is None]
    assert idle and all(e["speed"] == "SDR" for e in idle)
    # same columns as the fixture for an unconnected switch port
    unconnected = next(ln for ln in out.splitlines() if ln.endswith("'MF0;ib-sw1:MSB7800/U1'")
                       and " - " not in ln)
    ref = fixture_text("ibnetdiscover_ports.1.txt").splitlines()[8]
    assert unconnected.index("'") == ref.index("'")


# ---- faults ------------------------------------------------------------------------------------

def test_port_down_everywhere(pod):
    hwgen.set_port_state(pod.hw["dgx01"], pod.fabric, "mlx5_2", 1, "Down")
    pod.save()
    port = ib.parse_ibstat(pod.run("dgx01", "ibstat"))["cas"]["mlx5_2"]["ports"][1]
    assert (port["state"], port["physical_state"], port["rate_gbps"], port["base_lid"], port["sm_lid"]) == \
        ("Down", "Polling", 10, 0, 0)
    st = ib.parse_ibstatus(pod.run("dgx01", "ibstatus", "mlx5_2"))[0]
    assert (st["state"], st["state_num"], st["phys_state"], st["rate"]) == ("DOWN", 1, "Polling", "10 Gb/sec (4X SDR)")
    dev = ib.parse_ibv_devinfo(pod.run("dgx01", "ibv_devinfo", "-d", "mlx5_2"))["mlx5_2"]["ports"][1]
    assert (dev["state"], dev["state_num"]) == ("PORT_DOWN", 1)
    links = {d["ca"]: d for d in ib.parse_ibdev2netdev(pod.run("dgx01", "ibdev2netdev"))}
    assert links["mlx5_2"]["up"] is False and links["mlx5_0"]["up"] is True
    fab = ib.parse_iblinkinfo(pod.run("dgx01", "iblinkinfo"))
    assert "dgx01 mlx5_2" not in {p["node_name"] for p in fab}  # a down CA is not discovered
    sw_port = [p for p in fab if p["node_name"] == "MF0;ib-sw1:MSB7800/U1" and p["port"] == 2][0]
    assert (sw_port["state"], sw_port["phys_state"], sw_port["remote"]) == ("Down", "Polling", None)


def test_all_ports_down_iblinkinfo_fails(pod):
    for hca in pod.hw["dgx01"]["hcas"]:
        hwgen.set_port_state(pod.hw["dgx01"], pod.fabric, hca["name"], 1, "Down")
    pod.save()
    proc = subprocess.run([sys.executable, str(HW_DIR / "iblinkinfo.py")], capture_output=True, text=True,
                          env=pod.env("dgx01"))
    assert proc.returncode != 0 and "Failed to discover fabric" in proc.stderr


def test_miscabled_port_shows_the_wrong_far_end(pod):
    hwgen.recable(pod.hw["dgx01"], pod.fabric, "mlx5_1", 1, "ib-sw1", 20)
    pod.save()
    fab = ib.parse_iblinkinfo(pod.run("dgx01", "iblinkinfo"))
    p = [p for p in fab if p["node_name"] == "dgx01 mlx5_1"][0]
    assert (p["remote"]["switch_name"], p["remote"]["port"]) == ("ib-sw1", 20)
    nd = ib.parse_ibnetdiscover_ports(pod.run("dgx01", "ibnetdiscover", "-p"))
    e = [e for e in nd if e["name"] == "dgx01 mlx5_1"][0]
    assert (e["remote"]["name"], e["remote"]["port"]) == ("MF0;ib-sw1:MSB7800/U1", 20)
    # the port the cable should be in is empty now
    old = [p for p in fab if p["node_name"] == "MF0;ib-sw2:MSB7800/U1" and p["port"] == 1][0]
    assert old["state"] == "Down"


def test_missing_gpu_disappears_from_every_output(pod):
    gone = pod.hw["dgx02"]["gpus"][3]
    hwgen.set_gpu_present(pod.hw["dgx02"], 3, False)
    pod.save()
    listed = nv.parse_list_gpus(pod.run("dgx02", "nvidia_smi", "-L"))
    assert [g["index"] for g in listed] == list(range(15)) and gone["uuid"] not in {g["uuid"] for g in listed}
    rows = nv.parse_query_gpu_csv(pod.run("dgx02", "nvidia_smi", "--query-gpu=index,pci.bus_id,count",
                                          "--format=csv,noheader"), ["index", "pci.bus_id", "count"])
    assert len(rows) == 15 and {r["count"] for r in rows} == {15}
    assert gone["bus_id"] not in {r["pci.bus_id"] for r in rows}
    assert rows[3]["pci.bus_id"] == pod.hw["dgx02"]["gpus"][4]["bus_id"]  # renumbered, as the driver does
    table = nv.parse_smi_table(pod.run("dgx02", "nvidia_smi"))
    assert len(table["gpus"]) == 15
    topo = nv.parse_topo_matrix(pod.run("dgx02", "nvidia_smi", "topo", "-m"))
    assert topo["gpus"] == [f"GPU{i}" for i in range(15)]


# ---- nvidia-smi -------------------------------------------------------------------------------

def test_topo_dgx1_old_driver_is_the_fixture_byte_for_byte(pod):
    pod.hw["dgx01"]["driver_version"] = "418.67"
    pod.save()
    assert pod.run("dgx01", "nvidia_smi", "topo", "-m") == fixture_text("nvidia_smi_topo_m.1.txt")


def test_topo_new_driver_nic_legend(pod):
    pod.hw["dgx01"]["driver_version"] = "535.183.06"  # the catalog's DGX-1 runs 410 (DGX OS 4)
    pod.save()
    t = nv.parse_topo_matrix(pod.run("dgx01", "nvidia_smi", "topo", "-m"))
    assert t["nic_legend"] == {"NIC0": "mlx5_0", "NIC1": "mlx5_2", "NIC2": "mlx5_1", "NIC3": "mlx5_3"}
    assert t["matrix"]["GPU0"]["NIC0"] == "PIX" and t["numa_affinity"]["GPU7"] == "1"
    real = nv.parse_topo_matrix(fixture_text("nvidia_smi_topo_m.1.txt"))
    relabel = {f"NIC{i}": n for i, n in enumerate(["mlx5_0", "mlx5_2", "mlx5_1", "mlx5_3"])}
    for a, row in t["matrix"].items():
        for b, v in row.items():
            assert real["matrix"][relabel.get(a, a)][relabel.get(b, b)] == v


def test_topo_dgx2_nvswitch_and_a100(pod):
    t2 = nv.parse_topo_matrix(pod.run("dgx02", "nvidia_smi", "topo", "-m"))
    assert len(t2["gpus"]) == 16 and len(t2["nics"]) == 10
    assert {t2["matrix"][a][b] for a in t2["gpus"] for b in t2["gpus"] if a != b} == {"NV6"}
    t3 = nv.parse_topo_matrix(pod.run("dgx03", "nvidia_smi", "topo", "-m"))
    assert {t3["matrix"][a][b] for a in t3["gpus"] for b in t3["gpus"] if a != b} == {"NV12"}
    assert set(t3["nic_legend"].values()) == {f"mlx5_{i}" for i in range(12)}
    assert t3["numa_affinity"]["GPU0"] == "3"


def test_smi_table_reproduces_the_h100_fixture(pod):
    bus = ["19", "3B", "4C", "5D", "9B", "BB", "CB", "DB"]
    temps, watts = [27, 24, 23, 23, 27, 22, 24, 23], [72, 74, 70, 72, 73, 74, 73, 72]
    pod.hw["dgx03"].update(driver_version="550.90.07", cuda_version="12.4", gpus=[
        {"index": i, "model": "NVIDIA H100 80GB HBM3", "memory_mib": 81559, "bus_id": f"00000000:{b}:00.0",
         "temperature_c": temps[i], "power_draw_w": watts[i], "power_limit_w": 700, "memory_used_mib": 1,
         "mig": "Disabled"} for i, b in enumerate(bus)])
    pod.save()
    out = pod.run("dgx03", "nvidia_smi")
    real = fixture_text("nvidia_smi.1.txt")
    assert re.fullmatch(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", out.splitlines()[0])
    assert out.split("\n", 1)[1] == real.split("\n", 1)[1]


@pytest.mark.parametrize("host,model,count", [("dgx01", "Tesla V100-SXM2-32GB", 8),
                                              ("dgx02", "Tesla V100-SXM3-32GB", 16),
                                              ("dgx03", "NVIDIA A100-SXM4-80GB", 8)])
def test_query_gpu_csv(pod, host, model, count):
    fields = "index,name,uuid,memory.total,memory.used,pci.bus_id,driver_version,serial,temperature.gpu," \
             "utilization.gpu,power.draw,count"
    out = pod.run(host, "nvidia_smi", f"--query-gpu={fields}", "--format=csv")
    header = out.splitlines()[0]
    assert header == "index, name, uuid, memory.total [MiB], memory.used [MiB], pci.bus_id, driver_version, " \
                     "serial, temperature.gpu, utilization.gpu [%], power.draw [W], count"
    assert re.fullmatch(r"\d+, .+, GPU-[0-9a-f-]+, \d+ MiB, \d+ MiB, \S+, [\d.]+, \d+, \d+, \d+ %, [\d.]+ W, \d+",
                        out.splitlines()[1])
    rows = nv.parse_query_gpu_csv(out)
    assert len(rows) == count and {r["name"] for r in rows} == {model} and rows[0]["count"] == count
    assert rows[0]["uuid"] == pod.hw[host]["gpus"][0]["uuid"]
    bare = pod.run(host, "nvidia_smi", "--query-gpu=memory.total,power.draw", "--format=csv,noheader,nounits")
    assert re.fullmatch(r"\d+, \d+\.\d\d", bare.splitlines()[0])
    bad = subprocess.run([sys.executable, str(HW_DIR / "nvidia_smi.py"), "--query-gpu=bogus", "--format=csv"],
                         capture_output=True, text=True, env=pod.env(host))
    assert bad.returncode == 2 and bad.stdout.startswith('Field "bogus" is not a valid field to query.')


def test_nvidia_smi_on_a_host_without_gpus(pod):
    proc = subprocess.run([sys.executable, str(HW_DIR / "nvidia_smi.py")], capture_output=True, text=True,
                          env=pod.env("ess01a"))
    assert proc.returncode == 9 and "couldn't communicate with the NVIDIA driver" in proc.stdout


# ---- dgx-release, ofed_info --------------------------------------------------------------------

def test_dgx_release_reproduces_the_fixture(pod):
    pod.hw["dgx03"]["dgx_release"] = {
        "name": "DGX Server", "pretty_name": "NVIDIA DGX Server", "swbuild_date": "2020-10-26-11-53-11",
        "swbuild_version": "5.0.0", "commit_id": "7501dff", "platform": "DGX Server for DGX A100",
        "serial_number": "XXXXXXXXXXXX",
        "ota": [{"version": v, "date": "XXXXXXXXXXXXXXXXX"} for v in ("5.0.5", "5.1.1", "5.2.0", "5.3.1", "5.5.1")]}
    pod.save()
    assert pod.run("dgx03", "dgx_release") == fixture_text("dgx_release.1.txt")


def test_dgx_release_per_model_and_write(pod, tmp_path):
    for host in ("dgx01", "dgx02", "dgx03"):
        r = dgxrel.parse_dgx_release(pod.run(host, "dgx_release"))
        assert r["platform"].startswith("DGX Server for DGX") and r["version"] and r["serial_number"]
    assert dgxrel.parse_dgx_release(pod.run("dgx01", "dgx_release"))["platform"] == "DGX Server for DGX-1"
    target = tmp_path / "dgx-release"
    pod.run("dgx02", "dgx_release", "--write", str(target))
    assert target.read_text() == pod.run("dgx02", "dgx_release")
    pod.run("ess01a", "dgx_release", rc=1)


def test_ofed_info_format(pod):
    real = fixture_text("ofed_info_s.1.txt").strip()
    mine = pod.run("dgx01", "ofed_info", "-s").strip()
    pattern = r"MLNX_OFED_LINUX-[\d.]+-[\d.]+:"
    assert re.fullmatch(pattern, real) and re.fullmatch(pattern, mine)


# ---- perftest ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RESULT = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def test_perftest_server_and_client_meet_over_tcp(pod):
    port = str(free_port())
    server = pod.proc("dgx01", "ib_write_bw", "-d", "mlx5_0", "-p", port)
    banner = [server.stdout.readline() for _ in range(4)]  # printed once the server listens
    assert banner[2] == "* Waiting for client to connect... *\n"
    client = pod.run("ess01a", "ib_write_bw", "-a", "-p", port, "127.0.0.1")
    s_out = "".join(banner) + server.communicate(timeout=10)[0]
    assert server.returncode == 0
    real = fixture_text("perftest_ib_write_bw.1.txt").splitlines()
    for out in (client, s_out):
        lines = out.splitlines()
        assert "                    RDMA_Write BW Test" in lines
        assert " #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]" in lines
        rows = [RESULT.match(ln) for ln in lines if RESULT.match(ln)]
        assert len(rows) == 23 and rows[-1].group(1) == "8388608"
        big = float(rows[-1].group(4))
        assert 0.95 * 11920 < big < 11920  # EDR: 100 Gb/s = 11920 MiB/s, nothing really measured
    # the fixture's rows match the same pattern (its lines lack perftest's leading space)
    assert sum(1 for ln in real if RESULT.match(ln)) >= 23
    # perftest's header fields, in the fixture's order, once tabs are expanded
    fields = [ln.split(":")[0].strip() for ln in real[11:23]]
    mine = [ln.split(":")[0].strip() for ln in client.expandtabs().splitlines()[2:14]]
    assert mine == fields
    assert "local address: LID" in client and "remote address: LID" in client


def test_perftest_fails_like_the_real_tool(pod):
    port = str(free_port())
    proc = subprocess.run([sys.executable, str(pod.tool("ib_write_bw")), "-p", port, "127.0.0.1"],
                          capture_output=True, text=True, env=pod.env("dgx01"))
    assert proc.returncode == 1 and f"Couldn't connect to 127.0.0.1:{port}" in proc.stderr
    hwgen.set_port_state(pod.hw["dgx01"], pod.fabric, "mlx5_0", 1, "Down")
    pod.save()
    proc = subprocess.run([sys.executable, str(pod.tool("ib_write_bw")), "-d", "mlx5_0", "127.0.0.1"],
                          capture_output=True, text=True, env=pod.env("dgx01"))
    assert proc.returncode == 1 and "Port number 1 state is Down" in proc.stderr
