"""The pod's NGC mirror registry in the twin.

An air-gapped pod pulls its NGC images from a mirror inside the pod (`pod.registry.url`). When
that URL is an IPv4 address of the management network that no pod host has, `sim up` plays the
mirror: a twin container on the management network at that address running Debian's
docker-registry (TLS with a certificate from a per-pod CA, htpasswd user `$oauthtoken` with a
per-pod key, as NGC's own login), filled by scripts/mirror-ngc with the NGC stand-in image under
every name of `pod.registry.images`.

The pure parts (which address, the config text, the certificates, the names) come first; the
steps that touch Docker follow.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import shutil
import ssl
import string
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy_pod.sim import docker as dk
from deploy_pod.sim import naming
from deploy_pod.sim.spec import SimSpec, SpecError

USER = "$oauthtoken"  # NGC's registry user: the literal string, the API key is the password
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 84  # NGC API keys (the classic form) are 84 characters of [A-Za-z0-9]
CONFIG_PATH = "/etc/docker/registry/config.yml"
TLS_DIR = "/etc/docker/registry/tls"
HTPASSWD_PATH = "/etc/docker/registry/htpasswd"
DATA_DIR = "/var/lib/docker-registry"
SERVICE = "docker-registry.service"
READY_TIMEOUT = 60
CERT_DAYS = 825


class RegistryError(RuntimeError):
    pass


# ---------------------------------------------------------------- pure: where, what, names

def split_url(url: str) -> tuple[str, int]:
    """(host, port) of a registry URL: scheme and path dropped, port 443 when none is given."""
    bare = url.split("://", 1)[-1].split("/", 1)[0]
    host, sep, port = bare.rpartition(":")
    if not sep or "]" in port:
        return bare, 443
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SpecError(f"registry URL {url!r}: port {port!r} is not a TCP port")
    return host, int(port)


def registry_address(url: str | None, mgmt_cidr: str, host_addresses: set[str],
                     gateway: str) -> tuple[str, int] | None:
    """(ip, port) the twin's mirror registry takes, or None when the twin runs none: the URL's host
    must be an IPv4 address inside the management network that no pod host has."""
    if not url:
        return None
    host, port = split_url(url)
    try:
        ip = ipaddress.IPv4Address(host)
    except ValueError:
        return None
    net = ipaddress.IPv4Network(mgmt_cidr)
    if ip not in net or str(ip) in host_addresses:
        return None
    if ip in (net.network_address, net.broadcast_address):
        raise SpecError(f"registry address {ip} is not a host address of {mgmt_cidr}")
    if str(ip) == gateway:
        raise SpecError(f"registry address {ip} is the management gateway, which the twin's Docker bridge "
                        "takes; give the registry another address")
    return str(ip), port


def endpoint(address: tuple[str, int]) -> str:
    """host:port as docker login, certs.d and image references write it."""
    return f"{address[0]}:{address[1]}"


def _has_registry(image: str) -> bool:
    first = image.split("/", 1)[0]
    return "/" in image and ("." in first or ":" in first or first == "localhost")


def mirror_ref(image: str, dest: str) -> str:
    """Where an image goes in the mirror: nvcr.io/org/name:tag -> DEST/org/name:tag (the registry part
    replaced, the rest kept; a digest is dropped: the mirror is addressed by tag)."""
    path = image.split("/", 1)[1] if _has_registry(image) else image
    path = path.split("@", 1)[0]
    return f"{dest}/{path}"


def repo_tag(ref: str) -> tuple[str, str]:
    """(repository path without the registry, tag) of a mirror reference; tag 'latest' when none."""
    path = ref.split("/", 1)[1] if _has_registry(ref) else ref
    path = path.split("@", 1)[0]
    head, _, last = path.rpartition("/")
    name, sep, tag = last.partition(":")
    return (f"{head}/{name}" if head else name), (tag if sep else "latest")


def registry_config(port: int, realm: str) -> str:
    """/etc/docker/registry/config.yml: Debian's defaults with TLS and htpasswd auth."""
    return (
        "# deploy-pod twin: the pod's NGC mirror (written by `deploy-pod sim up`)\n"
        "version: 0.1\n"
        "log:\n"
        "  level: info\n"
        "  fields:\n"
        "    service: registry\n"
        "storage:\n"
        "  cache:\n"
        "    blobdescriptor: inmemory\n"
        "  filesystem:\n"
        f"    rootdirectory: {DATA_DIR}\n"
        "  delete:\n"
        "    enabled: true\n"
        "http:\n"
        f"  addr: :{port}\n"
        "  headers:\n"
        "    X-Content-Type-Options: [nosniff]\n"
        "  tls:\n"
        f"    certificate: {TLS_DIR}/registry.crt\n"
        f"    key: {TLS_DIR}/registry.key\n"
        "auth:\n"
        "  htpasswd:\n"
        f"    realm: {json.dumps(realm)}\n"
        f"    path: {HTPASSWD_PATH}\n"
    )


def unit_dropin(port: int) -> str | None:
    """The service runs as user docker-registry: a port below 1024 needs CAP_NET_BIND_SERVICE."""
    if port >= 1024:
        return None
    return "[Service]\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n"


def new_api_key(length: int = KEY_LENGTH) -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(length))


def is_api_key(text: str) -> bool:
    return len(text) >= 32 and all(c in KEY_ALPHABET for c in text)


# ---------------------------------------------------------------- pure: certificates

def make_ca(pod: str) -> tuple[bytes, bytes]:
    """A per-pod CA: (certificate PEM, private key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "deploy-pod twin"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"deploy-pod twin CA of pod {pod}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def make_server_cert(ca_cert_pem: bytes, ca_key_pem: bytes, ip: str) -> tuple[bytes, bytes]:
    """The registry's certificate for `ip` (subject alternative name IP), signed by the pod's CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address(ip))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def cert_ip(cert_pem: bytes) -> str | None:
    """The IP address in a certificate's subject alternative names (None when it has none)."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        ips = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.IPAddress)
    except (ValueError, x509.ExtensionNotFound):
        return None
    return str(ips[0]) if ips else None


# ---------------------------------------------------------------- files on the controller

@dataclass
class Files:
    """.sim/<pod>/: the API key and CA certificate (for the user and the roles), the rest below registry/."""

    dir: Path

    api_key = property(lambda self: self.dir / "ngc-api-key")
    ca_cert = property(lambda self: self.dir / "registry-ca.crt")
    ca_key = property(lambda self: self.dir / "registry" / "ca.key")
    server_cert = property(lambda self: self.dir / "registry" / "registry.crt")
    server_key = property(lambda self: self.dir / "registry" / "registry.key")
    cert_dir = property(lambda self: self.dir / "registry" / "certs")  # skopeo --dest-cert-dir


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    tmp.replace(path)


def ensure_files(files: Files, pod: str, ip: str) -> bool:
    """Key, CA and server certificate, made once and reused; the server certificate is remade when
    the address changed. True when the server certificate is new."""
    if not files.api_key.is_file() or not is_api_key(files.api_key.read_text().strip()):
        _write(files.api_key, (new_api_key() + "\n").encode(), 0o600)
    files.api_key.chmod(0o600)
    if not (files.ca_cert.is_file() and files.ca_key.is_file()):
        cert, key = make_ca(pod)
        _write(files.ca_key, key, 0o600)
        _write(files.ca_cert, cert, 0o644)
        for stale in (files.server_cert, files.server_key):
            stale.unlink(missing_ok=True)
    fresh = False
    if not (files.server_cert.is_file() and files.server_key.is_file()) \
            or cert_ip(files.server_cert.read_bytes()) != ip:
        cert, key = make_server_cert(files.ca_cert.read_bytes(), files.ca_key.read_bytes(), ip)
        _write(files.server_key, key, 0o600)
        _write(files.server_cert, cert, 0o644)
        fresh = True
    _write(files.cert_dir / "ca.crt", files.ca_cert.read_bytes(), 0o644)
    return fresh


# ---------------------------------------------------------------- the registry container

Progress = Callable[[str], None]


def container_labels(pod: str, address: tuple[str, int]) -> dict[str, str]:
    """Labelled with the pod (so `sim down` removes it) but without the host label: it is no inventory host."""
    return naming.labels(pod, service="registry", registry=endpoint(address))


def _ssl_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def _auth_header(key: str) -> str:
    return "Basic " + b64encode(f"{USER}:{key}".encode()).decode()


def api_status(address: tuple[str, int], path: str, ca_file: Path, key: str | None,
               method: str = "GET", accept: str | None = None, timeout: float = 5) -> int:
    """HTTP status of a registry API call over TLS verified with the pod's CA (0: no answer)."""
    req = urllib.request.Request(f"https://{endpoint(address)}{path}", method=method)
    if key:
        req.add_header("Authorization", _auth_header(key))
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, context=_ssl_context(ca_file), timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return 0


MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


def has_tag(address: tuple[str, int], ref: str, ca_file: Path, key: str) -> bool:
    repo, tag = repo_tag(ref)
    return api_status(address, f"/v2/{repo}/manifests/{tag}", ca_file, key, method="HEAD",
                      accept=MANIFEST_TYPES) == 200


def wait_ready(address: tuple[str, int], ca_file: Path, key: str, timeout: float = READY_TIMEOUT) -> None:
    """Until /v2/ answers 401 without and 200 with the credentials (TLS verified)."""
    deadline = time.monotonic() + timeout
    last = 0
    while time.monotonic() < deadline:
        last = api_status(address, "/v2/", ca_file, None)
        if last == 401:
            ok = api_status(address, "/v2/", ca_file, key)
            if ok == 200:
                return
            raise RegistryError(f"registry {endpoint(address)} refuses the pod's key (HTTP {ok})")
        time.sleep(0.5)
    raise RegistryError(f"registry {endpoint(address)} did not answer over TLS within {timeout:.0f} s "
                        f"(last status {last or 'no answer'})")


def configure(container: str, address: tuple[str, int], files: Files, realm: str) -> None:
    """Config, TLS files and the htpasswd user inside the container; the service enabled and (re)started."""
    from deploy_pod.sim.engine import make_tar  # the engine's tar helper (no import cycle at load time)

    ip, port = address
    tar = {
        CONFIG_PATH: (registry_config(port, realm).encode(), 0o644),
        f"{TLS_DIR}/registry.crt": (files.server_cert.read_bytes(), 0o644),
        f"{TLS_DIR}/registry.key": (files.server_key.read_bytes(), 0o640),
        f"{TLS_DIR}/ca.crt": (files.ca_cert.read_bytes(), 0o644),
    }
    dropin = unit_dropin(port)
    if dropin:
        tar[f"/etc/systemd/system/{SERVICE}.d/10-deploy-pod-twin.conf"] = (dropin.encode(), 0o644)
    dk.copy_tar(container, make_tar(tar))
    key = files.api_key.read_text().strip()
    # the key goes through stdin (htpasswd -i), never on a command line
    dk.exec_(container, "sh", "-c",
             f"htpasswd -B -i -c {HTPASSWD_PATH} '{USER}' 2>/dev/null"
             f" && chown root:docker-registry {HTPASSWD_PATH} {TLS_DIR}/registry.key"
             f" && chmod 0640 {HTPASSWD_PATH} {TLS_DIR}/registry.key",
             input=key + "\n", timeout=60)
    dk.exec_(container, "sh", "-c", f"systemctl daemon-reload && systemctl enable {SERVICE} >/dev/null 2>&1"
             f" && systemctl restart {SERVICE}", timeout=60)


def address_of(spec: SimSpec) -> tuple[str, int] | None:
    return registry_address(spec.registry_url, spec.mgmt_cidr, {h.mgmt_address for h in spec.hosts.values()},
                            spec.mgmt_gateway)


def start(spec: SimSpec, address: tuple[str, int], image: str, progress: Progress) -> tuple[str, bool]:
    """The registry container created (or recreated for another address) and started: (name, created)."""
    name = naming.registry_container_name(spec.pod)
    labels = container_labels(spec.pod, address)
    info = dk.inspect("container", name)
    have = info.get("Config", {}).get("Labels") or {} if info is not None else {}
    if info is not None and any(have.get(k) != v for k, v in labels.items()):
        progress(f"registry {name} has another address than {endpoint(address)}: recreating it")
        dk.remove("container", [name])
        info = None
    if info is None:
        progress(f"registry {name} ({endpoint(address)} on {spec.mgmt_network})")
        dk.container_create_service(name, image, hostname="registry", labels=labels, network=spec.mgmt_network,
                                    ip=address[0])
    if dk.state(name) != "running":
        dk.start(name)
    return name, info is None


def ready(spec: SimSpec, address: tuple[str, int], files: Files, created: bool,
          wait_systemd: Callable[[str], str], progress: Progress) -> None:
    """Configured (when new, its certificate new, or not answering with the pod's key) and answering over TLS."""
    name = naming.registry_container_name(spec.pod)
    fresh_cert = ensure_files(files, spec.pod, address[0])
    wait_systemd(name)
    key = files.api_key.read_text().strip()
    active = dk.exec_(name, "systemctl", "is-active", SERVICE, check=False).stdout.decode().strip() == "active"
    if created or fresh_cert or not active or api_status(address, "/v2/", files.ca_cert, key) != 200:
        configure(name, address, files, realm=f"deploy-pod twin NGC mirror of pod {spec.pod}")
        progress(f"registry {endpoint(address)}: TLS (CA {files.ca_cert}), user {USER}, key {files.api_key}")
    wait_ready(address, files.ca_cert, key)


def fill(root: Path, address: tuple[str, int], images: list[str], standin: str, files: Files,
         progress: Progress) -> list[str]:
    """Copy the stand-in image to every name of `images` that the mirror lacks (scripts/mirror-ngc,
    docker-daemon transport); returns the references copied."""
    key = files.api_key.read_text().strip()
    dest = endpoint(address)
    missing = [i for i in images if not has_tag(address, mirror_ref(i, dest), files.ca_cert, key)]
    if not missing:
        if images:
            progress(f"mirror {dest} has every image: " + ", ".join(mirror_ref(i, dest) for i in images))
        return []
    if shutil.which("skopeo") is None:
        raise RegistryError("skopeo is not installed on this machine: run scripts/testbed")
    progress(f"filling mirror {dest} from {standin}: " + ", ".join(mirror_ref(i, dest) for i in missing))
    cmd = [str(root / "scripts" / "mirror-ngc"), "--dest", dest, "--dest-cert-dir", str(files.cert_dir),
           "--src-transport", "docker-daemon", "--src-image", standin, "--api-key-file", str(files.api_key),
           *missing]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RegistryError(f"scripts/mirror-ngc failed (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    still = [i for i in missing if not has_tag(address, mirror_ref(i, dest), files.ca_cert, key)]
    if still:
        raise RegistryError(f"mirror {dest} still lacks {', '.join(still)} after scripts/mirror-ngc")
    return [mirror_ref(i, dest) for i in missing]
