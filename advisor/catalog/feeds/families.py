"""What a price feed does not say about an instance type: its fabrics, NVLS, tenancy, cluster size.

A small table of known instance families, each with the source a reader can open (and, where a
feed miscounts them, the GPUs per node the provider states). An instance
type that matches no entry is imported with the conservative reading (`conservative`): PCIe
between its GPUs (none for one GPU), a single node, the provider's usual tenancy, and the note
'fabric inferred'. Patterns are `fnmatch` patterns over the instance type, per cloud (the feed's
folder name). No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from advisor.domain import Accelerator
from advisor.domain.offering import InterFabric, IntraFabric, Tenancy

GBIT = 1e9 / 8  # bytes per second in one Gbit/s


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """The hardware facts of the instance types one pattern matches."""

    cloud: str
    pattern: str
    intra_fabric: IntraFabric
    intra_bytes_per_s: float  # per GPU, per direction
    nvls: bool = False
    inter_fabric: InterFabric = "none"
    inter_bytes_per_s: float | None = None  # per node, per direction, all NICs together
    tenancy: Tenancy = "vm"
    max_nodes: int = 1
    accelerator: str = ""  # accelerator id when the feed's name is ambiguous (SXM vs PCIe)
    gpus: int = 0  # GPUs per node the provider states, where a feed's count is wrong (0: the feed's)
    source: str


_P5 = "https://aws.amazon.com/ec2/instance-types/p5/ (8x NVSwitch NVLink 4; EFA 3,200 Gbit/s)"
_P4 = "https://aws.amazon.com/ec2/instance-types/p4/ (8x NVSwitch NVLink 3; EFA 400 Gbit/s)"
_A3 = "https://cloud.google.com/compute/docs/gpus#h100-gpus (A3 machine types and their NICs)"
_A2 = ("https://cloud.google.com/compute/docs/gpus#a100-gpus (A2: NVSwitch, NVLink 3); "
       "https://cloud.google.com/compute/docs/gpus/gpu-network-bandwidth (A2: 100 Gbps, no GPU-to-GPU networking)")
_GCP_RDMA = ("https://cloud.google.com/compute/docs/gpus/gpu-network-bandwidth (A3 Ultra and A4: "
             "GPUDirect RDMA over 8 ConnectX-7 NICs, 3,200 Gbps of the 3,600 Gbps total)")
_MS = "https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/"
_ND = (_MS + "ndh100v5-series (8x H100 with NVLink 4; one 400 Gb/s Quantum-2 CX7 InfiniBand link per GPU, "
       "3.2 Tb/s per VM)")
_ND_A100 = (_MS + "ndasra100v4-series, " + _MS + "ndma100v4-series (8x A100 SXM on NVSwitch, NVLink 3; "
            "one 200 Gb/s HDR InfiniBand link per GPU, 1.6 Tb/s per VM)")
_NC_A100 = _MS + "nca100v4-series (1, 2 or 4 A100 80GB PCIe)"
_NC_H100 = _MS + "ncadsh100v5-series (H100 NVL 94GB, PCIe; the two-GPU size pairs them with NVLink)"
_OCI = "https://www.oracle.com/cloud/compute/gpu/ (BM.GPU.H100.8: RDMA cluster network 3,200 Gbit/s)"
_LAMBDA = "https://lambda.ai/service/gpu-cloud (HGX 8-GPU instances; single VMs, no cluster fabric)"
_NEBIUS = "https://nebius.com/prices (8-GPU HGX VMs; InfiniBand 3,200 Gbit/s in GPU clusters)"

FAMILIES: tuple[Family, ...] = (
    Family(cloud="aws", pattern="p5.48xlarge", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="efa", inter_bytes_per_s=3200 * GBIT, max_nodes=64,
           accelerator="h100-sxm", source=_P5),
    Family(cloud="aws", pattern="p5e*.48xlarge", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="efa", inter_bytes_per_s=3200 * GBIT, max_nodes=64,
           accelerator="h200-sxm", source=_P5),
    Family(cloud="aws", pattern="p5.4xlarge", intra_fabric="none", intra_bytes_per_s=63e9,
           accelerator="h100-sxm", source=_P5 + "; p5.4xlarge is one GPU"),
    Family(cloud="aws", pattern="p4d.24xlarge", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           inter_fabric="efa", inter_bytes_per_s=400 * GBIT, max_nodes=64,
           accelerator="a100-40gb-sxm", source=_P4),
    Family(cloud="aws", pattern="p4de.24xlarge", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           inter_fabric="efa", inter_bytes_per_s=400 * GBIT, max_nodes=64,
           accelerator="a100-80gb-sxm", source=_P4),
    Family(cloud="gcp", pattern="a3-highgpu-8g", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="tcpx", inter_bytes_per_s=800 * GBIT, max_nodes=64,
           accelerator="h100-sxm", source=_A3 + " (GPUDirect-TCPX 4x200 Gbit/s)"),
    Family(cloud="gcp", pattern="a3-megagpu-8g", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="tcpx", inter_bytes_per_s=1600 * GBIT, max_nodes=64,
           accelerator="h100-sxm", source=_A3 + " (GPUDirect-TCPXO 8x200 Gbit/s)"),
    Family(cloud="gcp", pattern="a2-highgpu-8g", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           accelerator="a100-40gb-sxm", source=_A2),
    Family(cloud="gcp", pattern="a2-megagpu-16g", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           accelerator="a100-40gb-sxm", source=_A2),
    Family(cloud="gcp", pattern="a2-ultragpu-8g", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           accelerator="a100-80gb-sxm", source=_A2),
    Family(cloud="gcp", pattern="a3-ultragpu-8g*", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="roce", inter_bytes_per_s=3200 * GBIT, max_nodes=64,
           accelerator="h200-sxm", source=_GCP_RDMA),
    Family(cloud="gcp", pattern="a4-highgpu-8g", intra_fabric="nvswitch", intra_bytes_per_s=900e9,
           nvls=True, inter_fabric="roce", inter_bytes_per_s=3200 * GBIT, max_nodes=64,
           accelerator="b200", source=_GCP_RDMA + " (NVLink 5, 900 GB/s per direction)"),
    Family(cloud="azure", pattern="Standard_ND96is*_H100_v5", intra_fabric="nvswitch",
           intra_bytes_per_s=450e9, nvls=True, inter_fabric="infiniband",
           inter_bytes_per_s=3200 * GBIT, max_nodes=64, accelerator="h100-sxm", gpus=8, source=_ND),
    Family(cloud="azure", pattern="Standard_ND96asr_v4", intra_fabric="nvswitch", intra_bytes_per_s=300e9,
           inter_fabric="infiniband", inter_bytes_per_s=1600 * GBIT, max_nodes=64,
           accelerator="a100-40gb-sxm", source=_ND_A100),
    Family(cloud="azure", pattern="Standard_ND96amsr_A100_v4", intra_fabric="nvswitch",
           intra_bytes_per_s=300e9, inter_fabric="infiniband", inter_bytes_per_s=1600 * GBIT,
           max_nodes=64, accelerator="a100-80gb-sxm", source=_ND_A100),
    Family(cloud="azure", pattern="Standard_NC24ads_A100_v4", intra_fabric="none", intra_bytes_per_s=31.5e9,
           accelerator="a100-80gb-pcie", source=_NC_A100),
    Family(cloud="azure", pattern="Standard_NC*ads_A100_v4", intra_fabric="pcie", intra_bytes_per_s=31.5e9,
           accelerator="a100-80gb-pcie", source=_NC_A100),
    Family(cloud="azure", pattern="Standard_NC40ads_H100_v5", intra_fabric="none", intra_bytes_per_s=63e9,
           accelerator="h100-nvl", source=_NC_H100),
    Family(cloud="azure", pattern="Standard_NC80adis_H100_v5", intra_fabric="nvlink-bridge",
           intra_bytes_per_s=300e9, accelerator="h100-nvl", source=_NC_H100),
    Family(cloud="oci", pattern="BM.GPU.H100.8", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, inter_fabric="roce", inter_bytes_per_s=3200 * GBIT, tenancy="bare-metal",
           max_nodes=64, accelerator="h100-sxm", source=_OCI),
    Family(cloud="lambda", pattern="gpu_8x_h100_sxm5", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, accelerator="h100-sxm", source=_LAMBDA),
    Family(cloud="lambda", pattern="gpu_[24]x_h100_sxm5", intra_fabric="nvswitch",
           intra_bytes_per_s=450e9, accelerator="h100-sxm", source=_LAMBDA + "; part of an HGX board"),
    Family(cloud="lambda", pattern="gpu_8x_b200_sxm6", intra_fabric="nvswitch", intra_bytes_per_s=900e9,
           nvls=True, accelerator="b200", source=_LAMBDA + " (NVLink 5, 900 GB/s per direction)"),
    Family(cloud="lambda", pattern="gpu_[24]x_b200_sxm6", intra_fabric="nvswitch",
           intra_bytes_per_s=900e9, accelerator="b200", source=_LAMBDA + "; part of an HGX board"),
    Family(cloud="lambda", pattern="gpu_8x_a100_80gb_sxm4", intra_fabric="nvswitch",
           intra_bytes_per_s=300e9, accelerator="a100-80gb-sxm", source=_LAMBDA),
    Family(cloud="lambda", pattern="gpu_1x_gh200", intra_fabric="none", intra_bytes_per_s=450e9,
           accelerator="gh200-96gb", source=_LAMBDA + " (one GPU; NVLink-C2C 900 GB/s to Grace, both ways)"),
    Family(cloud="nebius", pattern="gpu-h*-sxm_8gpu-*", intra_fabric="nvswitch", intra_bytes_per_s=450e9,
           nvls=True, source=_NEBIUS + "; single VMs here: the cluster fabric is sold separately"),
)

# The tenancy of a provider's ordinary product when no family says otherwise.
DEFAULT_TENANCY: dict[str, Tenancy] = {"runpod": "container", "vast": "container"}


def family_for(cloud: str, instance_type: str) -> Family | None:
    """The first family of `cloud` whose pattern matches the instance type, if any."""
    for family in FAMILIES:
        if family.cloud == cloud and fnmatchcase(instance_type, family.pattern):
            return family
    return None


def conservative(cloud: str, gpus: int, acc: Accelerator) -> Family:
    """The reading for an instance type the table does not know: PCIe, one node, no NVLS."""
    return Family(cloud=cloud, pattern="*", intra_fabric="none" if gpus == 1 else "pcie",
                  intra_bytes_per_s=acc.pcie_bytes_per_s,
                  tenancy=DEFAULT_TENANCY.get(cloud, "vm"),
                  source="fabric inferred: instance family not in advisor's table")
