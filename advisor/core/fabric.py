"""The links a deployment uses: a `Fabric` from an offering, or a default one for a bare GPU.

Default for `--gpu G --gpus N` without an offering: SXM/OAM chips (NVLink, Infinity Fabric,
Gaudi RoCE) sit 8 to a node behind a switch or full mesh, or as many as their rack-scale NVLink
domain joins (`nvlink_domain_gpus`: 72 for GB200 NVL72), which then acts as one node;
NVLink-bridge cards pair up and fall back to PCIe beyond the pair; PCIe cards talk over PCIe.
Nodes of SXM/OAM chips are assumed joined by 8×400 Gb/s InfiniBand NDR (DGX/HGX reference
design); PCIe servers are not joined.
Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

from advisor.core.types import Fabric
from advisor.domain import Accelerator, Offering

NODE_GPUS = 8

# Achieved all-reduce bus bandwidth / per-direction link spec, from shared/facts/interconnects.csv:
# 8×H200 ring busbw 367.6 of 450 GB/s (0.82), A100 234.9 of 300 (0.78); NVLS 482 of 450 (1.07);
# 8-GPU PCIe Gen5 busbw 37–41 of 63 (0.62); MI300X 8-GPU 312.9 of 448 (0.70) and 2-GPU 47.7 of
# one 64 GB/s peer link (0.75). Bridge, Gaudi RoCE and inter-node values are assumptions.
LINK_EFFICIENCY: dict[str, float] = {
    "nvswitch": 0.80,
    "nvlink-bridge": 0.80,
    "nvlink-c2c": 0.80,
    "infinity-fabric": 0.70,
    "roce": 0.70,
    "pcie": 0.62,
    "none": 0.62,
}
NVLS_EFFICIENCY = 1.07
# Achieved bus bandwidth / NIC line rate across nodes (an assumption: nccl-tests across 2
# InfiniBand NDR nodes reach ~40 of 50 GB/s per GPU).
INTER_EFFICIENCY = 0.80
MESH_LINKS = 7  # Infinity Fabric: 7 point-to-point links per GPU (a TP group of t uses t−1)
MESH_PEER_EFFICIENCY = 0.75

# Latency per ring step added by the link itself. NCCL's small all-reduce floor on 8 PCIe GPUs
# is ~24 µs (interconnects.csv), i.e. ~1.7 µs for each of the 2·(8−1) ring steps.
PCIE_STEP_LATENCY_S = 1.7e-6
INTER_STEP_LATENCY_S: dict[str, float] = {
    "infiniband": 2.0e-6,  # ~1 µs one-way RDMA + a switch hop + software
    "roce": 3.0e-6,
    "efa": 5.0e-6,
    "tcpx": 8.0e-6,
    "ethernet": 15.0e-6,
    "none": 0.0,
}
# One-shot / two-shot custom all-reduce (vLLM, SGLang, TensorRT-LLM, and on ROCm their quick
# all-reduce / MSCCL++ paths) on a fully connected group: each GPU reads its peers' buffers
# directly, so a small all-reduce costs one or two synchronisations instead of 2(t−1) ring
# steps. Measured (profiles/measurements/collectives.csv): SGLang custom all-reduce on H100
# 5.7–7.8 µs at TP8 and 3.9–4.5 µs at TP2 for 16–128 KB, vLLM's 8.7–11.8 µs (sglang#2904,
# 2025-01); MSCCL++ on 8×MI300X 5.8–8.8 µs for 8–64 KB (mscclpp#736, 2026-01); NCCL's ring on
# the same links takes 32–47 µs (8×A100) and RCCL's 14–15 µs (8×MI300X). The latency per
# synchronisation below is the engine-neutral middle of those numbers.
CUSTOM_ALLREDUCE_SYNC_S = 3.5e-6
# Largest message the custom kernels take (their registered buffer: vLLM's
# custom_all_reduce max_size default 8 MiB); beyond it the engines fall back to NCCL/RCCL.
CUSTOM_ALLREDUCE_MAX_BYTES = 8 * 1024 * 1024
CUSTOM_ALLREDUCE_LINKS = ("nvswitch", "nvlink-bridge", "nvlink-c2c", "infinity-fabric")
DEFAULT_INTER_BYTES_PER_S = 400e9  # 8 × 400 Gb/s NDR per node, per direction


def _intra_kind(acc: Accelerator) -> str:
    kind = acc.link_kind
    if kind.startswith("nvlink") and kind not in ("nvlink-bridge",):
        return "nvswitch"
    return kind


def fabric_for_gpu(acc: Accelerator, gpus: int) -> Fabric:
    """A default fabric for `gpus` of this accelerator without a named offering."""
    kind = _intra_kind(acc)
    if kind == "pcie":
        return Fabric(
            intra_kind="pcie",
            intra_bytes_per_s=acc.pcie_bytes_per_s,
            fast_group_gpus=NODE_GPUS,
            gpus_per_node=NODE_GPUS,
            pcie_bytes_per_s=acc.pcie_bytes_per_s,
            step_latency_s=PCIE_STEP_LATENCY_S,
        )
    node = acc.nvlink_domain_gpus or NODE_GPUS  # a rack-scale NVLink domain acts as one node
    group = 2 if kind == "nvlink-bridge" else node
    return Fabric(
        intra_kind=kind,
        intra_bytes_per_s=acc.link_bytes_per_s,
        fast_group_gpus=group,
        gpus_per_node=node,
        pcie_bytes_per_s=acc.pcie_bytes_per_s,
        inter_kind="infiniband" if kind != "nvlink-bridge" else "none",
        inter_bytes_per_s=DEFAULT_INTER_BYTES_PER_S if kind != "nvlink-bridge" else 0.0,
        inter_step_latency_s=INTER_STEP_LATENCY_S["infiniband"] if kind != "nvlink-bridge" else 0.0,
    )


def fabric_for_offering(offering: Offering, acc: Accelerator) -> Fabric:
    """The fabric an offering sells (inter-node only when several nodes can be rented)."""
    intra = offering.intra_fabric
    inter = offering.inter_fabric if offering.multi_node else "none"
    inter_bytes = (offering.inter_bytes_per_s or 0.0) if inter != "none" else 0.0
    return Fabric(
        intra_kind=intra,
        intra_bytes_per_s=offering.intra_bytes_per_s,
        fast_group_gpus=offering.fast_group,
        gpus_per_node=offering.gpus_per_node,
        pcie_bytes_per_s=acc.pcie_bytes_per_s,
        nvls=offering.nvls,
        inter_kind=inter,
        inter_bytes_per_s=inter_bytes,
        step_latency_s=PCIE_STEP_LATENCY_S if intra in ("pcie", "none") else 0.0,
        inter_step_latency_s=INTER_STEP_LATENCY_S.get(inter, 5.0e-6),
    )
