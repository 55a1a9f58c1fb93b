"""The inventory contract: pod-wide settings and per-host variables.

This is the one definition of what pod.yml may hold. The CLI validates with it, the
Ansible action plugin validates with it, `deploy-pod schema` exports it as JSON Schema
and docs/inventory.md is generated from it (tests keep the doc in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from deploy_pod.content import module_utils

# the plan's cable and the one HCA port pattern live in the collection's module_utils (stdlib only),
# where the modules on the hosts read them too
plan_types = module_utils("plan_types")

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PORT = plan_types.PORT
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# a DNS name or an IPv4 address (an NTP server, a registry host)
HOST = rf"^{_LABEL}(\.{_LABEL})*$"
# a container registry: host[:port][/path], optionally with http(s)://
REGISTRY = rf"^(https?://)?{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?(/[A-Za-z0-9._-]+)*/?$"

# mount points that would hide part of the operating system
SYSTEM_DIRS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media",
               "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")
SYSTEM_TREES = ("/boot", "/dev", "/etc", "/proc", "/run", "/sys", "/usr", "/var/lib", "/var/log")

ROLE_GROUPS = ("dgx", "ess", "nsd_servers", "ib_switches", "mgmt_switches")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Network(Strict):
    cidr: IPv4Network = Field(description="Network address and prefix.", examples=["10.10.0.0/24"])
    gateway: IPv4Address | None = Field(None, description="Default gateway, if this network has one.",
                                        examples=["10.10.0.1"])
    mtu: int | None = Field(None, ge=576, le=65520, description="Interface MTU; unset keeps the OS default.",
                            examples=[9000])


class MgmtNetwork(Network):
    bond_mode: Literal["none", "active-backup", "802.3ad"] = Field(
        "none", description="Bond the management ports: none, active-backup, or 802.3ad (LACP).",
        examples=["active-backup"],
    )
    interfaces: list[str] = Field(
        default_factory=list,
        description="Management NICs per host (bond members when bonded); empty: the host's default NIC.",
        examples=[["enp1s0f0", "enp1s0f1"]],
    )


class IPoIBNetwork(Network):
    mode: Literal["datagram", "connected"] = Field("datagram", description="IPoIB mode.", examples=["connected"])


class Networks(Strict):
    mgmt: MgmtNetwork = Field(description="The 10GbE management network every pod host is on.",
                              examples=[{"cidr": "10.10.0.0/24", "gateway": "10.10.0.1"}])
    ipoib: IPoIBNetwork = Field(description="IP over InfiniBand: the Spectrum Scale daemon network.",
                                examples=[{"cidr": "10.20.0.0/24", "mode": "datagram"}])


class Filesystem(Strict):
    name: str = Field("fs1", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$", description="Spectrum Scale device name.",
                      examples=["fs1"])
    mount_point: str | None = Field(
        None, pattern=r"^/", description="Where clients mount it; default /gpfs/<name>.", examples=["/gpfs/fs1"]
    )
    block_size: Literal["1M", "2M", "4M", "8M", "16M"] = Field(
        "16M", description="File system block size; 16M suits large-file AI reads (REFERENCE.md section 4).",
        examples=["16M"],
    )
    data_replicas: int = Field(1, ge=1, le=3, description="Default data replicas (mmcrfs -r); ESS vdisks are "
                               "already erasure coded, so 1 is usual.", examples=[1])
    metadata_replicas: int = Field(1, ge=1, le=3, description="Default metadata replicas (mmcrfs -m).",
                                   examples=[2])

    @field_validator("mount_point")
    @classmethod
    def _not_a_system_dir(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import posixpath

        if any(c.isspace() for c in value) or "//" in value or value != posixpath.normpath(value):
            raise ValueError(f"{value!r} is not a plain absolute path (no spaces, '..', '//' or trailing '/'); "
                             "e.g. '/gpfs/fs1'")
        if value in SYSTEM_DIRS or any(value.startswith(t + "/") for t in SYSTEM_TREES):
            raise ValueError(f"{value!r} is a system directory: mounting the file system there would hide "
                             "what the OS keeps in it; use a directory of its own, e.g. '/gpfs/fs1'")
        return value

    @property
    def mount(self) -> str:
        return self.mount_point or f"/gpfs/{self.name}"


class Fabric(Strict):
    subnet_manager: Literal["switch", "opensm"] = Field(
        "switch",
        description="Who runs the InfiniBand subnet manager: 'switch' (managed switches) "
        "or 'opensm' (deploy-pod runs OpenSM on two hosts, with priorities).",
        examples=["opensm"],
    )
    inter_switch_links: int = Field(
        0,
        ge=0,
        description="Ports each IB switch spends on links to other switches. 0: the switches are "
        "separate rails, every host reaches each through its own ports.",
        examples=[4],
    )


DEFAULT_IMAGES = ["nvcr.io/nvidia/tensorflow:24.03-tf2-py3", "nvcr.io/nvidia/pytorch:24.03-py3"]
# an image reference: [registry/]path[:tag][@digest]
IMAGE = r"^[a-z0-9][a-z0-9._:-]*(/[a-z0-9][a-z0-9._-]*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$"


class Registry(Strict):
    url: str = Field("nvcr.io", pattern=REGISTRY,
                     description="Container registry the NGC images come from, or the pod's own mirror "
                     "(air-gapped pods): host[:port][/path]. With a mirror, nvcr.io/org/name:tag is pulled as "
                     "<url>/org/name:tag (scripts/mirror-ngc fills it that way).",
                     examples=["registry.example.com:5000"])
    username: str = Field("$oauthtoken", min_length=1,
                          description="Registry user. NGC takes the literal '$oauthtoken' with the API key as "
                          "password; the key comes from the vault variable ngc_api_key or $NGC_API_KEY.",
                          examples=["$oauthtoken"])
    images: list[Annotated[str, StringConstraints(pattern=IMAGE)]] = Field(
        default_factory=lambda: list(DEFAULT_IMAGES),
        description="Images every DGX pulls (the NGC TensorFlow and PyTorch images by default).",
        examples=[["nvcr.io/nvidia/tensorflow:24.03-tf2-py3"]],
    )
    enroot: bool = Field(False, description="Also import every image as an enroot squashfs (Slurm/pyxis users).",
                         examples=[True])
    enroot_dir: str = Field("/raid/enroot", pattern=r"^/", description="Where the enroot squashfs files go.",
                            examples=["/raid/enroot"])


SIZE = r"^[0-9]+[kKmMgGtT]?$"


class FioSettings(Strict):
    """Overrides of the fio profile (every field defaults to the profile's value)."""

    bs: str | None = Field(None, pattern=SIZE, description="Block size.", examples=["1m"])
    numjobs: int | None = Field(None, ge=1, le=256, description="fio jobs per client.", examples=[8])
    iodepth: int | None = Field(None, ge=1, le=1024, description="I/O depth per job.", examples=[16])
    size: str | None = Field(None, pattern=SIZE, description="File size per job (written once, reused).",
                             examples=["4g"])
    runtime: int | None = Field(None, ge=1, le=3600, description="Seconds each measurement runs.", examples=[30])


class TfSettings(Strict):
    """Overrides of the training/inference profile."""

    models: list[Literal["resnet50", "resnet152", "inception3", "inception4", "alexnet", "googlenet", "vgg16",
                         "lenet", "trivial"]] | None = Field(None, description="tf_cnn_benchmarks models.",
                                                              examples=[["resnet50", "resnet152"]])
    batch_size: int | None = Field(None, ge=1, le=4096, description="Batch size per GPU.", examples=[256])
    num_batches: int | None = Field(None, ge=1, description="Batches each run measures.", examples=[100])
    gpus_per_host: int | None = Field(None, ge=1, le=16, description="GPUs used per DGX (default: all it has); "
                                      "one container per GPU.", examples=[8])
    image: str | None = Field(None, pattern=IMAGE, description="Image the runs use; default: the TensorFlow "
                              "image of registry.images.", examples=["nvcr.io/nvidia/tensorflow:24.03-tf2-py3"])
    data_dir: str | None = Field(None, pattern=r"^/", description="TFRecord data set (ImageNet layout, "
                                 "train-*-of-*) on the Scale mount; default: a synthetic one written there once.",
                                 examples=["/gpfs/fs1/imagenet/tfrecords"])
    dataset_images: int | None = Field(None, ge=16, description="Images in the synthetic data set.",
                                       examples=[4096])
    benchmarks_dir: str | None = Field(None, pattern=r"^/", description="A checkout of tensorflow/benchmarks on "
                                       "the DGX hosts, mounted at /workspace/benchmarks (NGC images do not carry "
                                       "tf_cnn_benchmarks).", examples=["/gpfs/fs1/tools/benchmarks"])


class AcceptanceSettings(Strict):
    """How `deploy-pod acceptance` measures the pod (docs/acceptance.md)."""

    profile: Literal["quick", "full"] = Field("quick", description="Measurement profile: 'quick' (minutes) or "
                                              "'full' (the reference's sizes; an hour or more).", examples=["full"])
    pass_share: float = Field(0.8, gt=0, le=1, description="Share of the expected GB/s a run must reach.",
                              examples=[0.8])
    penalty_max_pct: float = Field(5.0, ge=0, le=100, description="Largest images/s loss from Scale against a RAM "
                                   "disk that passes (the reference: within a few percent).", examples=[5.0])
    directory: str = Field(".deploy-pod-acceptance", pattern=r"^[A-Za-z0-9._-]+$",
                           description="Directory under the mount point that holds the test files; nothing "
                           "outside it is touched.", examples=[".deploy-pod-acceptance"])
    ramdisk: str = Field("/dev/shm/deploy-pod-acceptance", pattern=r"^/dev/shm/[A-Za-z0-9._/-]+$",
                         description="RAM disk directory the data set is copied to for the RAM disk runs "
                         "(removed after).", examples=["/dev/shm/deploy-pod-acceptance"])
    fio: FioSettings = Field(default_factory=FioSettings, description="fio overrides.", examples=[{"runtime": 30}])
    tf: TfSettings = Field(default_factory=TfSettings, description="Training/inference overrides.",
                           examples=[{"models": ["resnet50"]}])


class VdiskSettings(Strict):
    code: Literal["8+2p", "8+3p", "4+2p", "4+3p", "16+2p", "16+3p", "3WayReplication", "4WayReplication"] = Field(
        "8+2p", description="Scale RAID code of each unit's vdisk set (mmvdisk vdiskset define --code).",
        examples=["8+3p"])
    block_size: Literal["1m", "2m", "4m", "8m", "16m"] | None = Field(
        None, description="Vdisk set block size; default: the file system's block size.", examples=["16m"])
    set_size: str = Field("80%", pattern=r"^([1-9][0-9]?%|100%|[0-9]+[KMGT])$",
                          description="Share of each recovery group the vdisk set takes (mmvdisk --set-size).",
                          examples=["80%"])


LICENSE_PACKAGES = ("std", "adv", "dm", "dme", "da", "dae")


class ScaleSettings(Strict):
    """How Spectrum Scale is installed, tuned and laid out (docs/scale.md)."""

    min_version: str = Field("5.1.2", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)?$",
                             description="Lowest Scale level the pod accepts (ESS canisters are checked, never "
                             "upgraded); 5.1.2 is the first with GPUDirect Storage.", examples=["5.2.1"])
    license: Literal["std", "adv", "dm", "dme", "da", "dae"] = Field(
        "std", description="Edition whose licence package is installed: gpfs.license.<this>.", examples=["dm"])
    repo_url: str | None = Field(
        None, pattern=r"^(https?|file|ftp)://\S+$",
        description="Package repository of the Scale packages (a flat apt repository on Debian/Ubuntu, a "
        "yum baseurl on RHEL). Set this or package_dir on pods with managed Scale hosts.",
        examples=["http://repo.example.com/scale/5.2.1/ubuntu"])
    package_dir: str | None = Field(
        None, pattern=r"^/", description="Directory on the controller holding the Scale .deb/.rpm files "
        "(IBM's self-extracting installer unpacks them); copied to the hosts and installed from there.",
        examples=["/srv/scale/5.2.1/gpfs_debs"])
    gpl_package: bool = Field(False, description="Install a prebuilt gpfs.gplbin-<kernel> package instead of "
                              "running mmbuildgpl (it must be in the repository).", examples=[False])
    gds: bool = Field(False, description="Apply the GPUDirect Storage profile to the DGX clients.",
                      examples=[True])
    tuning: dict[str, dict[str, str | int]] = Field(
        default_factory=dict, description="Overrides of the tuning profiles per node class (mmchconfig "
        "attribute -> value); `deploy-pod plan` shows the result.",
        examples=[{"dgx_clients": {"pagepool": "32G"}}])
    vdisk: VdiskSettings = Field(default_factory=VdiskSettings, description="Vdisk sets made on every ESS unit.",
                                 examples=[{"code": "8+2p", "set_size": "80%"}])


class PodSettings(Strict):
    """Pod-wide settings: the `pod` variable of group `all`."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$", description="Short pod name.", examples=["pod1"])
    cluster_name: str | None = Field(
        None, pattern=NAME, description="Spectrum Scale cluster name; default <name>.gpfs.", examples=["pod1.gpfs"]
    )
    filesystem: Filesystem = Field(default_factory=Filesystem, description="The Spectrum Scale file system.",
                                   examples=[{"name": "fs1", "block_size": "16M"}])
    networks: Networks = Field(description="Management and IPoIB networks.",
                               examples=[{"mgmt": {"cidr": "10.10.0.0/24"}, "ipoib": {"cidr": "10.20.0.0/24"}}])
    ntp_servers: list[Annotated[str, StringConstraints(pattern=HOST)]] = Field(
        default_factory=list, description="NTP servers every host syncs with (addresses or DNS names).",
        examples=[["10.10.0.1"]]
    )
    registry: Registry = Field(default_factory=Registry, description="Where NGC containers come from.",
                               examples=[{"url": "nvcr.io"}])
    acceptance: AcceptanceSettings = Field(default_factory=AcceptanceSettings, description="Acceptance "
                                           "measurements (fio, training, inference).",
                                           examples=[{"profile": "quick"}])
    fabric: Fabric = Field(default_factory=Fabric, description="InfiniBand fabric settings.",
                           examples=[{"subnet_manager": "switch"}])
    scale: ScaleSettings = Field(default_factory=ScaleSettings, description="Spectrum Scale install, tuning "
                                 "and vdisk settings.", examples=[{"license": "std", "min_version": "5.1.2"}])

    extra_groups: list[Annotated[str, StringConstraints(pattern=NAME)]] = Field(
        default_factory=list,
        description="Inventory groups whose hosts are not part of the pod (a login node, a jump host): deploy-pod "
        "leaves them alone. Any other group that holds a host of no role group is an error (a misspelt group).",
        examples=[["login"]])

    @property
    def cluster(self) -> str:
        return self.cluster_name or f"{self.name}.gpfs"


class Cable(Strict):
    port: str = Field(pattern=PORT, description="HCA and port on the host.", examples=["mlx5_0/1"])
    switch: str = Field(description="IB switch (a host of group ib_switches).", examples=["ib-sw1"])
    switch_port: int = Field(ge=1, description="Port number on that switch.", examples=[7])
    netdev: str | None = Field(None, description="IPoIB netdev of this port; default ib<N> in port order.",
                               examples=["ib0"])

    def to_plan(self, index: int) -> plan_types.Cable:
        """The plan's Cable (plan_types.Cable) for the index-th cable of its host: netdev ib<index> unless set."""
        return plan_types.Cable(self.port, self.switch, self.switch_port, self.netdev or f"ib{index}")


class HostVars(BaseModel):
    """Per-host variables deploy-pod reads. Every derived one may be set to override the planner."""

    # Hosts carry any other Ansible variable too (ansible_host, role settings, ...).
    model_config = ConfigDict(extra="allow")

    hw_model: str | None = Field(None, description="Catalog model of the host.", examples=["dgx-1"])
    mgmt_address: IPv4Address | None = Field(
        None, description="Address on the management network (required for servers).", examples=["10.10.0.11"]
    )
    ipoib_address: IPv4Address | None = Field(
        None, description="IPoIB address; derived: the management host number on the IPoIB network.",
        examples=["10.20.0.11"],
    )
    ipoib_interface: str | None = Field(None, description="Netdev carrying ipoib_address; derived: ib0.",
                                        examples=["ib0"])
    ib_cables: list[Cable] | None = Field(
        None, description="Where each storage-fabric port is cabled; derived: ports spread over the switches.",
        examples=[[{"port": "mlx5_0/1", "switch": "ib-sw1", "switch_port": 1}]],
    )
    quorum: bool | None = Field(
        None, description="Spectrum Scale quorum node; derived: storage nodes first, spread over ESS units.",
        examples=[True],
    )
    manager: bool | None = Field(None, description="Spectrum Scale manager node; derived: storage nodes.",
                                 examples=[False])
    failure_group: int | None = Field(None, ge=1, description="NSD failure group; derived: one per ESS unit.",
                                      examples=[2])
    node_classes: list[str] | None = Field(None, description="Spectrum Scale node classes; derived from the role.",
                                           examples=[["dgx_clients"]])
    verbs_ports: list[str] | None = Field(
        None, description="verbsPorts for this node; derived from its cabled ports (device/port/fabric).",
        examples=[["mlx5_0/1/1", "mlx5_1/1/2"]],
    )
    nsd_devices: list[str] | None = Field(
        None, description="Block devices a plain NSD server (group nsd_servers) gives to Spectrum Scale.",
        examples=[["/dev/nvme0n1", "/dev/nvme1n1"]])
    scale_config: dict[str, str | int] | None = Field(
        None, description="mmchconfig attributes for this node alone; win over its node classes' profile.",
        examples=[{"pagepool": "64G"}])
    management: Literal["managed", "appliance"] | None = Field(
        None, description="How deploy-pod treats the host's OS: managed (base and network phases configure it) or "
        "appliance (they only check it against the plan and report; nothing is changed). Derived from the catalog "
        "model: appliance for ESS canisters, managed for DGX and plain servers.",
        examples=["appliance"],
    )
    opensm_priority: int | None = Field(
        None, ge=0, le=15,
        description="Run OpenSM here with this priority (fabric.subnet_manager: opensm); derived: the first "
        "two managed storage servers (never an appliance), else DGX nodes; 15 (master) and 14 (standby).",
        examples=[15],
    )


HOST_FIELDS = tuple(HostVars.model_fields)

Role = Literal["dgx", "ess", "nsd", "ib_switch", "mgmt_switch"]
GROUP_ROLE: dict[str, Role] = {
    "dgx": "dgx",
    "ess": "ess",
    "nsd_servers": "nsd",
    "ib_switches": "ib_switch",
    "mgmt_switches": "mgmt_switch",
}


@dataclass
class PodHost:
    name: str
    role: Role
    vars: HostVars
    unit: str | None = None  # the ESS unit group of an ESS canister
    origin: str = ""  # file (and line) the host was declared in

    @property
    def is_server(self) -> bool:
        return self.role in ("dgx", "ess", "nsd")

    @property
    def is_storage(self) -> bool:
        return self.role in ("ess", "nsd")


@dataclass
class Pod:
    source: str
    settings: PodSettings | None
    hosts: dict[str, PodHost] = field(default_factory=dict)
    units: dict[str, list[str]] = field(default_factory=dict)  # ESS unit -> its hosts
    settings_origin: str = ""  # file:line of the `pod` settings

    def by_role(self, *roles: str) -> list[PodHost]:
        return [h for h in self.hosts.values() if h.role in roles]
