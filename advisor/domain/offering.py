"""`Offering`: a rentable server (or instance) type from one provider, with its price. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, BytesPerS, Check, Currency, Date, Id, Name, Required, Text

Tenancy = Literal["bare-metal", "vm", "vgpu", "container"]
IntraFabric = Literal[
    "nvswitch", "nvlink-bridge", "pcie", "infinity-fabric", "roce", "nvlink-c2c", "none"
]
InterFabric = Literal["infiniband", "roce", "efa", "tcpx", "ethernet", "none"]
Term = Literal["spot", "on-demand", "1-month", "3-month", "6-month", "1-year", "2-year", "3-year"]

MAX_PRICE_PER_NODE_HOUR = 10_000.0
Price = Annotated[float, Check(gt=0, le=MAX_PRICE_PER_NODE_HOUR)]
GpuCount = Annotated[int, Check(ge=1, le=72)]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitmentPrice:
    """The node-hour price under one commitment term (same currency as the offering)."""

    __pydantic_config__ = CONFIG

    term: Term
    """Commitment length: spot, on-demand, 1-month … 3-year."""
    price_per_node_hour: Price
    """Effective price per node-hour under this term, in the offering's currency."""
    source: Text = ""
    """Where this price comes from, if not the offering's source."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Offering:
    """A server type a provider rents out: GPUs, fabrics, tenancy, price, availability, provenance."""

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id, 'provider/sku' by convention; a team file with the same id shadows a built-in."""
    provider: Name
    """Who rents it out."""
    sku: Annotated[str, Check(min_length=1, max_length=120)]
    """The provider's name for the server or instance type."""
    accelerator: Id
    """Id of the accelerator (see `advisor gpus`)."""
    gpus_per_node: GpuCount
    """GPUs in one node (or one NVLink domain sold as a unit)."""
    intra_fabric: IntraFabric
    """How GPUs inside a node talk: NVSwitch, NVLink bridge pairs, PCIe only, Infinity Fabric …"""
    intra_bytes_per_s: BytesPerS
    """Per-GPU, per-direction bandwidth of that fabric, bytes per second."""
    fast_group_gpus: GpuCount | None = None
    """GPUs that share the fast fabric (2 for bridge pairs); defaults to gpus_per_node."""
    nvls: bool = False
    """NVSwitch with in-switch reduction (NVLink SHARP), which speeds up all-reduce."""
    inter_fabric: InterFabric = "none"
    """Fabric between nodes, or 'none' when the provider sells single nodes only."""
    inter_bytes_per_s: BytesPerS | None = None
    """Per-node, per-direction inter-node bandwidth, bytes per second (all NICs together)."""
    tenancy: Tenancy
    """bare-metal, vm (full GPU passthrough), vgpu (shared/sliced GPU), container (pod on a shared host)."""
    price_per_node_hour: Price
    """List (on-demand unless `price_term` says otherwise) price for one node for one hour."""
    currency: Currency
    """ISO 4217 currency of every price of this offering."""
    price_term: Term = "on-demand"
    """Term of `price_per_node_hour`."""
    commitments: tuple[CommitmentPrice, ...] = ()
    """Prices under other terms."""
    regions: Annotated[tuple[Text, ...], Check(max_length=200)] = ()
    """Regions where it is sold."""
    max_nodes: Annotated[int, Check(ge=1, le=10_000)] = 1
    """Most nodes one customer can rent together (1 when only single nodes are sold)."""
    as_of: Date
    """Date the price was seen."""
    source: Required
    """Where the price and specs come from."""
    confidence: Literal["A", "B", "C"] = "B"
    """A: provider data or machine-made catalog; B: dated community list; C: article or recall."""
    notes: Text = ""
    """Anything a buyer should know."""

    def __post_init__(self) -> None:
        if self.inter_fabric != "none" and self.inter_bytes_per_s is None:
            raise ValueError("inter_fabric is set but inter_bytes_per_s is missing")
        if self.fast_group_gpus is not None and self.fast_group_gpus > self.gpus_per_node:
            raise ValueError("fast_group_gpus exceeds gpus_per_node")

    @property
    def fast_group(self) -> int:
        """GPUs in one fast-fabric group."""
        return self.fast_group_gpus or self.gpus_per_node

    @property
    def multi_node(self) -> bool:
        """Whether nodes can be joined over an inter-node fabric."""
        return self.inter_fabric != "none" and self.max_nodes > 1

    def price_for(self, term: str) -> float | None:
        """Node-hour price under a term, or None when the offering has no price for it."""
        if term == self.price_term:
            return self.price_per_node_hour
        for c in self.commitments:
            if c.term == term:
                return c.price_per_node_hour
        return None
