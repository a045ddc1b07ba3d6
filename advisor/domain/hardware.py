"""`Accelerator`: one GPU or accelerator model as the physics needs it. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from advisor.domain.common import (
    CONFIG,
    Alias,
    Bytes,
    BytesPerS,
    Check,
    ComputeDtype,
    Date,
    Family,
    FlopsPerS,
    FrozenMap,
    Id,
    Name,
    Required,
    Text,
    Watts,
    WeightDtype,
)

LinkKind = Literal[
    "nvlink3", "nvlink4", "nvlink5", "nvlink-bridge", "nvlink-c2c",
    "infinity-fabric", "roce", "pcie",
]
Vendor = Literal["NVIDIA", "AMD", "Intel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Accelerator:
    """A GPU (or other accelerator) model: memory, bandwidth, compute, links, provenance."""

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id used by offerings, e.g. 'h100-sxm'."""
    name: Name
    """Display name, e.g. 'H100 SXM 80GB'."""
    aliases: tuple[Alias, ...] = ()
    """Other names that resolve to this accelerator (case-insensitive), e.g. 'H100-SXM-80GB'."""
    vendor: Vendor
    """Maker of the chip."""
    family: Family
    """Architecture family, the key for efficiency factors: ampere, ada, hopper, blackwell, cdna2, cdna3, cdna4, gaudi2, gaudi3."""  # noqa: E501 - the schema shows it as one line
    memory_bytes: Bytes
    """Device memory usable by software (what the driver reports), in bytes; below the marketed figure."""
    memory_marketed_bytes: Bytes | None = None
    """Memory as marketed, in bytes (for display only)."""
    hbm_bytes_per_s: BytesPerS
    """Peak device-memory bandwidth, bytes per second."""
    dense_flops_per_s: Annotated[dict[ComputeDtype, FlopsPerS], Check(min_length=1)]
    """Dense (not 2:4-sparse) tensor throughput per dtype, FLOP/s."""
    native_weight_dtypes: Annotated[tuple[WeightDtype, ...], Check(min_length=1)]
    """Weight formats the chip runs natively (FP8 needs Hopper/Ada/CDNA3, FP4 Blackwell/CDNA4)."""
    link_kind: LinkKind
    """Fastest GPU-to-GPU link the chip has, when the server wires it."""
    link_bytes_per_s: BytesPerS
    """Per-GPU, per-direction bandwidth of that link, bytes per second."""
    pcie_gen: Annotated[int, Check(ge=3, le=7)]
    """PCIe generation of the host link."""
    pcie_bytes_per_s: BytesPerS
    """Per-direction PCIe x16 bandwidth, bytes per second."""
    tdp_watts: Watts
    """Board power, watts."""
    nvlink_domain_gpus: Annotated[int, Check(ge=2, le=576)] | None = None
    """GPUs one NVLink domain joins when it is larger than a server (72 for GB200 NVL72);
    None: 8 to a node for SXM/OAM chips, as on HGX/DGX."""
    form_factor: Text = ""
    """SXM, OAM, PCIe card …"""
    source: Required
    """Where the figures come from (URL or repo + path)."""
    as_of: Date
    """Date the source carried or was read."""
    notes: Text = ""
    """Anything a reader should know about these figures."""

    def __post_init__(self) -> None:
        if type(self.dense_flops_per_s) is not FrozenMap:
            object.__setattr__(self, "dense_flops_per_s", FrozenMap(self.dense_flops_per_s))

    def peak_flops(self, dtype: str) -> float:
        """Dense FLOP/s for a compute dtype, falling back to bf16/fp16 when the chip lacks it."""
        table: Mapping[Any, float] = self.dense_flops_per_s
        for key in (dtype, "bf16", "fp16"):
            if key in table:
                return table[key]
        return max(table.values())
