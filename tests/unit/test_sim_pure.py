"""deploy_pod.sim: the pure parts (names, ports, spec, overlay, files) without Docker."""

from __future__ import annotations

import importlib.machinery
import io
import json
import tarfile
import types
from pathlib import Path

import pytest
import yaml

from deploy_pod.sim import appliance, engine, naming, overlay, ports, registry
from deploy_pod.sim import faults as faults_mod
from deploy_pod.sim import spec as spec_mod
from deploy_pod.sim.spec import SpecError, pick_gateway, spec_from_dict

REPO = Path(__file__).resolve().parents[2]


def pod_dict(**over) -> dict:
    d = {
        "pod": "twin",
        "mgmt_cidr": "10.77.0.0/24",
        "hosts": {
            "dgx01": {"role": "dgx", "hw_model": "dgx-1", "mgmt_address": "10.77.0.11",
                      "cables": [{"port": "mlx5_0/1", "switch": "sw1", "switch_port": 5, "netdev": "ib0"},
                                 {"port": "mlx5_1/1", "switch": "sw2", "switch_port": 5, "netdev": "ib1"},
                                 {"port": "mlx5_2/1", "switch": "sw1", "switch_port": 6, "netdev": "ib2"}]},
            "ess01a": {"role": "ess", "hw_model": "ess-3000", "mgmt_address": "10.77.0.21", "unit": "ess01",
                       "cables": [{"port": "mlx5_0/1", "switch": "sw1", "switch_port": 1, "netdev": "ib0"}]},
        },
        "switches": {"sw1": {"hw_model": "sb7800", "ports": 36}, "sw2": {"hw_model": "sb7800", "ports": 36}},
    }
    d.update(over)
    return d


# ---------------------------------------------------------------- naming

def test_names_follow_the_pod_and_host():
    assert naming.container_name("twin", "dgx01") == "dp-twin-dgx01"
    assert naming.mgmt_network_name("twin") == "dp-twin-mgmt"
    assert naming.switch_network_name("twin", "ib-sw1") == "dp-twin-ib-sw1"
    assert naming.volume_name("twin") == "dp-twin-shared"


def test_names_are_docker_safe():
    assert naming.container_name("my pod", "a/b") == "dp-my-pod-a-b"
    with pytest.raises(ValueError):
        naming.slug("///")


def test_kernel_link_names_fit_15_characters_and_differ():
    names = {naming.veth_name("twin", h, f"ib{i}") for h in ("dgx01", "dgx02") for i in range(8)}
    assert len(names) == 16
    assert all(len(n) <= 15 for n in names)
    assert naming.bridge_name("twin", "ib-sw1") != naming.bridge_name("twin", "ib-sw2")
    assert naming.bridge_name("a", "sw") != naming.bridge_name("b", "sw")


def test_labels_carry_twin_and_pod():
    assert naming.labels("twin", host="dgx01") == {
        "org.deploy-pod.twin": "1", "org.deploy-pod.pod": "twin", "org.deploy-pod.host": "dgx01"}


# ---------------------------------------------------------------- ports

def test_ports_are_deterministic_and_in_range():
    a = ports.allocate_ports("twin", ["dgx01", "dgx02", "ess01a"], lambda p: True)
    b = ports.allocate_ports("twin", ["dgx01", "dgx02", "ess01a"], lambda p: True)
    assert a == b
    base = ports.base_port("twin")
    assert a == {"dgx01": base, "dgx02": base + 1, "ess01a": base + 2}
    assert ports.PORT_MIN <= base < ports.PORT_MIN + ports.PORT_SPAN


def test_busy_ports_are_skipped_without_duplicates():
    base = ports.base_port("twin")
    busy = {base, base + 2}
    got = ports.allocate_ports("twin", ["h1", "h2", "h3"], lambda p: p not in busy)
    assert len(set(got.values())) == 3
    assert not busy & set(got.values())


def test_kept_ports_win():
    got = ports.allocate_ports("twin", ["h1", "h2"], lambda p: True, keep={"h2": 30123})
    assert got["h2"] == 30123
    assert got["h1"] != 30123


def test_different_pods_start_in_different_blocks():
    assert ports.base_port("twin") != ports.base_port("half-pod")


def test_port_is_free_sees_a_listening_socket():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert not ports.port_is_free(s.getsockname()[1])


# ---------------------------------------------------------------- spec

def test_gateway_is_the_highest_unused_address():
    assert pick_gateway("10.77.0.0/24", None, {"10.77.0.11"}) == "10.77.0.254"
    assert pick_gateway("10.77.0.0/24", None, {"10.77.0.254"}) == "10.77.0.253"
    assert pick_gateway("10.77.0.0/24", "10.77.0.1", set()) == "10.77.0.1"
    with pytest.raises(SpecError, match="also a host"):
        pick_gateway("10.77.0.0/24", "10.77.0.11", {"10.77.0.11"})


def test_spec_from_dict_and_names():
    spec = spec_from_dict(pod_dict())
    assert spec.mgmt_gateway == "10.77.0.254"
    assert [c.netdev for c in spec.hosts["dgx01"].cables] == ["ib0", "ib1", "ib2"]
    assert spec.container("dgx01") == "dp-twin-dgx01"
    assert spec.switch_network("sw2") == "dp-twin-sw2"


@pytest.mark.parametrize("change, message", [
    (lambda d: d["hosts"]["dgx01"].update(mgmt_address="10.99.0.1"), "outside"),
    (lambda d: d["hosts"]["dgx01"].update(mgmt_address="10.77.0.21"), "is also"),
    (lambda d: d["hosts"]["dgx01"]["cables"][0].update(switch="sw9"), "unknown switch"),
    (lambda d: d["hosts"]["dgx01"]["cables"][1].update(netdev="ib0"), "share one netdev"),
    (lambda d: d["hosts"]["dgx01"].update(role="ib_switch"), "not a twin container role"),
])
def test_spec_refuses_what_docker_could_not_build(change, message):
    d = pod_dict()
    change(d)
    with pytest.raises(SpecError, match=message):
        spec_from_dict(d)


def test_spec_from_the_example_twin_pod():
    spec, catalog_get = engine.load_spec(REPO / "inventories" / "examples" / "twin.yml")
    assert spec.pod == "twin"
    assert sorted(spec.hosts) == ["dgx01", "dgx02", "ess01a", "ess01b"]
    assert sorted(spec.switches) == ["ib-sw1", "ib-sw2"]
    assert all(type(n) is str for n in spec.hosts)  # plain str: YAML and JSON dumps need it
    assert [c.netdev for c in spec.hosts["dgx01"].cables] == ["ib0", "ib1", "ib2", "ib3"]
    assert catalog_get("dgx-1")["gpus"]["count"] == 8


# ---------------------------------------------------------------- overlay

def test_overlay_sets_connection_variables_only():
    inv = overlay.overlay_inventory({"dgx01": 20001, "ess01a": 20002}, Path("/x/.sim/twin/id_ed25519"),
                                    Path("/x/.sim/twin/known_hosts"))
    h = inv["all"]["hosts"]["dgx01"]
    assert h["ansible_host"] == "127.0.0.1"
    assert h["ansible_port"] == 20001
    assert h["ansible_user"] == "root"
    assert h["ansible_ssh_private_key_file"] == "/x/.sim/twin/id_ed25519"
    assert "UserKnownHostsFile=/x/.sim/twin/known_hosts" in h["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in h["ansible_ssh_common_args"]
    assert all(k.startswith("ansible_") for k in h)
    yaml.safe_dump(inv)  # plain data


def test_known_hosts_lines_are_pinned_to_the_port():
    scan = "# 127.0.0.1:2222 SSH-2.0-OpenSSH_9.2\n127.0.0.1 ssh-ed25519 AAAAkey\n\n"
    assert overlay.known_hosts_lines(2222, scan) == ["[127.0.0.1]:2222 ssh-ed25519 AAAAkey"]
    assert overlay.known_hosts_lines(2222, "") == []


# ---------------------------------------------------------------- files pushed into containers

def test_host_files_and_tar():
    files = engine.host_files({"host": "dgx01"}, "ssh-ed25519 AAAA k\n", b"Package: *\n")
    assert files["/root/.ssh/authorized_keys"][1] == 0o600
    assert files[naming.APT_SOURCE_PATH][0] == b"deb [trusted=yes] file:/srv/deploy-pod-twin-repo ./\n"
    assert naming.APT_PREF_PATH in files
    assert naming.APT_PREF_PATH not in engine.host_files({}, "k", None)
    blob = engine.make_tar(files)
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        names = tar.getnames()
        assert "root/.ssh/authorized_keys" in names
        hw = json.loads(tar.extractfile("etc/deploy-pod-twin/hardware.json").read())
        assert hw == {"host": "dgx01"}
        assert tar.getmember("root/.ssh/authorized_keys").uid == 0


def test_repo_packages_and_preinstall():
    idx = ("Package: deploy-pod-twin-hw\nVersion: 1\n\nPackage: deploy-pod-twin-dgx\nVersion: 1\n\n"
           "Package: gpfs.base\n\nPackage: infiniband-diags\n")
    avail = engine.repo_packages(idx)
    assert avail == {"deploy-pod-twin-hw", "deploy-pod-twin-dgx", "gpfs.base", "infiniband-diags"}
    assert engine.preinstall("dgx", avail) == ["deploy-pod-twin-hw", "infiniband-diags", "deploy-pod-twin-dgx"]
    # chrony comes from the Debian archive (the ESS OS image has it), not the twin repository
    assert engine.preinstall("ess", avail) == ["deploy-pod-twin-hw", "infiniband-diags", "gpfs.base", "chrony"]
    assert engine.preinstall("dgx", set()) == []


SCALE = {"gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "gpfs.gnr", "gpfs.docs"}


def test_ess_canisters_come_with_scale_installed_and_one_licence():
    avail = set(engine.ALL_PACKAGES) | set(engine.DGX_PACKAGES) | SCALE | {"gpfs.license.std", "gpfs.license.dm"}
    ess = engine.preinstall("ess", avail)
    assert ess == engine.ALL_PACKAGES + ["gpfs.base", "gpfs.gpl", "gpfs.gskit", "gpfs.msg.en-us", "gpfs.gnr",
                                         "gpfs.docs", "gpfs.license.dm", "chrony"]
    # exactly one licence package: Data Management Edition, else Standard where the repo lacks it
    assert [p for p in ess if p.startswith("gpfs.license.")] == ["gpfs.license.dm"]
    assert engine.preinstall("ess", avail - {"gpfs.license.dm"})[-2] == "gpfs.license.std"
    # DGX and other hosts get no gpfs packages: the roles install them
    for role in ("dgx", "nsd"):
        assert not [p for p in engine.preinstall(role, avail) if p.startswith("gpfs.")]
    # the portability layer is built for the running kernel, as the appliance comes
    assert engine.after_preinstall(ess) == [["/usr/lpp/mmfs/bin/mmbuildgpl", "--quiet"]]
    assert engine.after_preinstall(engine.preinstall("dgx", avail)) == []


def test_ess_preinstall_names_real_twin_packages():
    """Every package preinstalled on an ESS canister is built from twin/packages."""
    built = {yaml.safe_load(p.read_text())["package"] for p in (REPO / "twin" / "packages").glob("*.yml")}
    ess = engine.preinstall("ess", built)
    assert set(engine.ESS_PACKAGES) <= set(ess) and "gpfs.license.dm" in ess


def test_emulator_faults_are_published_pod_wide(monkeypatch):
    spec = spec_from_dict(pod_dict())
    calls = []
    monkeypatch.setattr(engine.dk, "state", lambda name: "running" if name.endswith("ess01a") else "exited")
    monkeypatch.setattr(engine.dk, "copy_tar", lambda name, data, dest="/": calls.append(("cp", name, data)))
    monkeypatch.setattr(engine.dk, "exec_", lambda name, *cmd, **kw: calls.append(("exec", name, cmd)))
    faults = [{"host": "dgx01", "kind": "daemon-stuck"}, {"host": "dgx01", "kind": "gpu-missing", "index": 7},
              {"host": "ess01a", "kind": "vdiskset-fail"}]
    assert engine.push_emulator_faults(spec, faults) is True
    (_, name, data), (_, name2, cmd) = calls
    assert name == name2 == spec.container("ess01a")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmembers()[0]
        assert member.name == "var/lib/deploy-pod-twin/cluster/twin-faults.json.tmp"
        body = json.loads(tar.extractfile(member).read())
    assert body == [{"host": "dgx01", "kind": "daemon-stuck"}, {"host": "ess01a", "kind": "vdiskset-fail"}]
    assert cmd == ("mv", "-f", naming.TWIN_FAULTS_PATH + ".tmp", naming.TWIN_FAULTS_PATH)
    monkeypatch.setattr(engine.dk, "state", lambda name: "exited")
    assert engine.push_emulator_faults(spec, faults) is False


def test_cable_wiring_follows_faults():
    spec = spec_from_dict(pod_dict())
    plain = engine.cable_wiring(spec, "dgx01", [])
    assert [(n, b, up) for _, n, b, up in plain] == [
        ("ib0", spec.bridge("sw1"), True), ("ib1", spec.bridge("sw2"), True), ("ib2", spec.bridge("sw1"), True)]
    faults = [{"host": "dgx01", "kind": "ib-link-down", "port": "mlx5_2/1", "netdev": "ib2"},
              {"host": "dgx01", "kind": "miscable", "port": "mlx5_0/1", "netdev": "ib0",
               "switch": "sw2", "switch_port": 30},
              {"host": "ess01a", "kind": "ib-link-down", "port": "mlx5_0/1", "netdev": "ib0"}]
    wired = {n: (b, up) for _, n, b, up in engine.cable_wiring(spec, "dgx01", faults)}
    assert wired == {"ib0": (spec.bridge("sw2"), True), "ib1": (spec.bridge("sw2"), True),
                     "ib2": (spec.bridge("sw1"), False)}


def test_find_root_is_this_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEPLOY_POD_ROOT", raising=False)
    assert engine.find_root() == REPO


def _appliance_spec():
    return spec_mod.spec_from_dict({
        "pod": "t", "mgmt_cidr": "10.77.0.0/24", "mgmt_gateway": "10.77.0.1",
        "ipoib_cidr": "10.78.0.0/24", "ipoib_mode": "datagram", "ntp_servers": ["10.77.0.1"],
        "etc_hosts": [{"address": "10.77.0.21", "names": ["ess01a"]},
                      {"address": "10.78.0.21", "names": ["ess01a-ib"]}],
        "hosts": {"ess01a": {"role": "ess", "hw_model": "ess-3000", "mgmt_address": "10.77.0.21", "unit": "ess01",
                             "ipoib_address": "10.78.0.21", "ipoib_interface": "ib0", "management": "appliance"},
                  "dgx01": {"role": "dgx", "hw_model": "dgx-1", "mgmt_address": "10.77.0.11"}},
        "switches": {}})


def test_storage_hosts_run_networkmanager_dgx_keeps_netplan():
    spec = _appliance_spec()
    assert appliance.network_stack(spec.hosts["ess01a"]) == "networkmanager"
    assert appliance.network_stack(spec.hosts["dgx01"]) == "netplan"


def test_an_appliance_arrives_configured_as_the_plan_says():
    spec = _appliance_spec()
    files = appliance.appliance_files(spec, spec.hosts["ess01a"], [])
    ib0 = files[f"{appliance.NM_DIR}/ib0.nmconnection"]
    assert ib0[1] == 0o600 and b"address1=10.78.0.21/24\n" in ib0[0] and b"mtu=4092" in ib0[0]
    assert b"address1=10.77.0.21/24,10.77.0.1" in files[f"{appliance.NM_DIR}/eth0.nmconnection"][0]
    assert b"server 10.77.0.1 iburst" in files[appliance.CHRONY_CONF][0]
    assert "10.78.0.21\tess01a-ib\n" in appliance.hosts_file(spec)


def test_ipoib_address_fault_changes_only_that_profile():
    spec = _appliance_spec()
    fault = faults_mod.make_fault({"host": "ess01a", "role": "ess"}, "ipoib-address", ["10.78.0.99"], {})
    files = appliance.appliance_files(spec, spec.hosts["ess01a"], [fault])
    assert b"address1=10.78.0.99/24" in files[f"{appliance.NM_DIR}/ib0.nmconnection"][0]
    assert faults_mod.describe(fault) == "ess01a ipoib-address 10.78.0.99"
    with pytest.raises(faults_mod.FaultError, match="not an ESS canister"):
        faults_mod.make_fault({"host": "dgx01", "role": "dgx"}, "ipoib-address", ["10.78.0.99"], {})
    with pytest.raises(faults_mod.FaultError, match="IPv4"):
        faults_mod.make_fault({"host": "ess01a", "role": "ess"}, "ipoib-address", ["nope"], {})


# ---------------------------------------------------------------- the pod's NGC mirror (registry)

def test_registry_address_only_for_a_free_mgmt_ipv4():
    hosts = {"10.77.0.11", "10.77.0.21"}
    addr = registry.registry_address
    assert addr("10.77.0.5:5000", "10.77.0.0/24", hosts, "10.77.0.1") == ("10.77.0.5", 5000)
    assert addr("https://10.77.0.5/ngc", "10.77.0.0/24", hosts, "10.77.0.1") == ("10.77.0.5", 443)
    assert addr("nvcr.io", "10.77.0.0/24", hosts, "10.77.0.1") is None  # NGC itself
    assert addr("registry.example.com:5000", "10.77.0.0/24", hosts, "10.77.0.1") is None  # a name
    assert addr("10.99.0.5:5000", "10.77.0.0/24", hosts, "10.77.0.1") is None  # outside the pod
    assert addr("10.77.0.11:5000", "10.77.0.0/24", hosts, "10.77.0.1") is None  # a pod host serves it
    assert addr(None, "10.77.0.0/24", hosts, "10.77.0.1") is None
    with pytest.raises(SpecError, match="gateway"):
        addr("10.77.0.1:5000", "10.77.0.0/24", hosts, "10.77.0.1")
    with pytest.raises(SpecError, match="not a host address"):
        addr("10.77.0.255:5000", "10.77.0.0/24", hosts, "10.77.0.1")
    with pytest.raises(SpecError, match="not a TCP port"):
        addr("10.77.0.5:99999", "10.77.0.0/24", hosts, "10.77.0.1")


def test_registry_of_the_example_twin_pod():
    spec, _ = engine.load_spec(REPO / "inventories" / "examples" / "twin.yml")
    if registry.address_of(spec) is None:
        pytest.skip("inventories/examples/twin.yml has no twin registry (pod.registry.url)")
    assert registry.address_of(spec) == ("10.77.0.5", 5000)
    assert "nvcr.io/nvidia/tensorflow:24.03-tf2-py3" in spec.registry_images
    assert spec_from_dict(json.loads(json.dumps(spec.as_dict()))).registry_images == spec.registry_images


def test_registry_container_is_labelled_with_the_pod_but_is_no_host():
    labels = registry.container_labels("twin", ("10.77.0.5", 5000))
    assert labels[naming.LABEL_POD] == "twin" and labels[naming.LABEL_TWIN] == "1"
    assert naming.LABEL_HOST not in labels and labels[naming.LABEL_SERVICE] == "registry"
    assert naming.registry_container_name("twin") == "dp-twin-registry"
    with pytest.raises(SpecError, match="registry"):
        spec_from_dict(pod_dict(hosts={"registry": {"role": "dgx", "hw_model": "dgx-1", "mgmt_address": "10.77.0.9"}},
                                switches={}))


def test_mirror_names_keep_org_name_and_tag():
    dest = "10.77.0.5:5000"
    assert registry.mirror_ref("nvcr.io/nvidia/tensorflow:24.03-tf2-py3", dest) == \
        "10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3"
    assert registry.mirror_ref("nvidia/pytorch:24.03-py3", dest) == "10.77.0.5:5000/nvidia/pytorch:24.03-py3"
    assert registry.mirror_ref("nvcr.io/nvidia/clara/monai:1.0", dest) == "10.77.0.5:5000/nvidia/clara/monai:1.0"
    assert registry.mirror_ref("nvcr.io/nvidia/x:1@sha256:" + "0" * 64, dest) == "10.77.0.5:5000/nvidia/x:1"
    assert registry.repo_tag("10.77.0.5:5000/nvidia/tensorflow:24.03-tf2-py3") == ("nvidia/tensorflow", "24.03-tf2-py3")
    assert registry.repo_tag("10.77.0.5:5000/nvidia/tensorflow") == ("nvidia/tensorflow", "latest")


def test_mirror_ngc_script_maps_names_as_the_twin_does():
    loader = importlib.machinery.SourceFileLoader("mirror_ngc", str(REPO / "scripts" / "mirror-ngc"))
    mod = types.ModuleType(loader.name)
    loader.exec_module(mod)
    for image in ("nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "nvidia/pytorch:24.03-py3", "nvcr.io/nvidia/a/b:1"):
        assert mod.mirror_ref(image, "10.77.0.5:5000") == registry.mirror_ref(image, "10.77.0.5:5000")


def test_registry_config_serves_tls_with_htpasswd():
    cfg = yaml.safe_load(registry.registry_config(5000, "deploy-pod twin NGC mirror of pod twin"))
    assert cfg["http"]["addr"] == ":5000"
    assert cfg["http"]["tls"] == {"certificate": f"{registry.TLS_DIR}/registry.crt",
                                  "key": f"{registry.TLS_DIR}/registry.key"}
    assert cfg["auth"] == {"htpasswd": {"realm": "deploy-pod twin NGC mirror of pod twin",
                                        "path": registry.HTPASSWD_PATH}}
    assert cfg["storage"]["filesystem"]["rootdirectory"] == registry.DATA_DIR
    assert registry.unit_dropin(5000) is None and "CAP_NET_BIND_SERVICE" in registry.unit_dropin(443)


def test_registry_key_looks_like_an_ngc_key():
    key = registry.new_api_key()
    assert len(key) == 84 and key.isalnum() and key.isascii()
    assert registry.new_api_key() != key
    assert registry.is_api_key(key) and not registry.is_api_key("short") and not registry.is_api_key("a b" * 20)


def test_registry_certificate_chains_to_the_pod_ca_with_its_ip():
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    ca_pem, ca_key = registry.make_ca("twin")
    cert_pem, key_pem = registry.make_server_cert(ca_pem, ca_key, "10.77.0.5")
    ca, cert = x509.load_pem_x509_certificate(ca_pem), x509.load_pem_x509_certificate(cert_pem)
    assert cert.issuer == ca.subject
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert registry.cert_ip(cert_pem) == "10.77.0.5" and registry.cert_ip(ca_pem) is None
    assert b"PRIVATE KEY" in key_pem


def test_registry_files_are_made_once_and_reused(tmp_path):
    files = registry.Files(tmp_path)
    assert registry.ensure_files(files, "twin", "10.77.0.5") is True
    key, ca = files.api_key.read_text(), files.ca_cert.read_bytes()
    assert files.api_key.stat().st_mode & 0o777 == 0o600 and files.ca_key.stat().st_mode & 0o777 == 0o600
    assert (files.cert_dir / "ca.crt").read_bytes() == ca
    assert registry.ensure_files(files, "twin", "10.77.0.5") is False  # reused: nothing new
    assert files.api_key.read_text() == key and files.ca_cert.read_bytes() == ca
    assert registry.ensure_files(files, "twin", "10.77.0.6") is True  # another address: new server cert, same CA
    assert files.ca_cert.read_bytes() == ca and registry.cert_ip(files.server_cert.read_bytes()) == "10.77.0.6"


def test_overlay_vars_carry_the_registry_ca_and_no_verdict(tmp_path):
    ca = tmp_path / "registry-ca.crt"
    v = overlay.overlay_vars(ca)
    assert v["ngc_registry_ca_file"] == str(ca.resolve()) and Path(v["ngc_registry_ca_file"]).is_absolute()
    assert v["acceptance_judge"] is False and "local disk" in v["acceptance_judge_note"]
    assert "ngc_registry_ca_file" not in overlay.overlay_vars(None)
    inv = overlay.overlay_inventory({"dgx01": 20001}, tmp_path / "k", tmp_path / "kh", v)
    assert inv["all"]["vars"] == v and "dgx01" in inv["all"]["hosts"]
    yaml.safe_dump(inv)


def test_inotify_hint_names_the_limit_only_when_it_is_low(tmp_path):
    from deploy_pod.sim.engine import inotify_hint

    knob = tmp_path / "max_user_instances"
    knob.write_text("128\n")
    assert "max_user_instances is 128, enough for about 25 twin hosts" in inotify_hint(str(knob))
    knob.write_text("8192\n")
    assert inotify_hint(str(knob)) == ""
    assert inotify_hint(str(tmp_path / "absent")) == ""
