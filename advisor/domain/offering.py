"""`Offering`: a rentable server (or instance) type from one provider, with its price. No I/O."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from advisor.domain.common import BytesPerS, Currency, Date, Frozen, Id, Text

Tenancy = Literal["bare-metal", "vm", "vgpu", "container"]
IntraFabric = Literal[
    "nvswitch", "nvlink-bridge", "pcie", "infinity-fabric", "roce", "nvlink-c2c", "none"
]
InterFabric = Literal["infiniband", "roce", "efa", "tcpx", "ethernet", "none"]
Term = Literal["spot", "on-demand", "1-month", "3-month", "6-month", "1-year", "2-year", "3-year"]

MAX_PRICE_PER_NODE_HOUR = 10_000.0


def _split_price(data: Any) -> Any:
    """Accept `price_per_node_hour = "31.92 USD/h"`: take the currency from the string."""
    if not isinstance(data, dict):
        return data
    raw = data.get("price_per_node_hour")
    if isinstance(raw, str):
        from advisor.units import parse_price  # lazy: pint only when a string arrives

        amount, currency = parse_price(raw)
        declared = data.get("currency")
        if declared is not None and declared != currency:
            raise ValueError(f"price is in {currency} but currency = {declared!r}")
        data = {**data, "price_per_node_hour": amount, "currency": currency}
    return data


class CommitmentPrice(Frozen):
    """The node-hour price under one commitment term (same currency as the offering)."""

    term: Term
    """Commitment length: spot, on-demand, 1-month … 3-year."""
    price_per_node_hour: float = Field(gt=0, le=MAX_PRICE_PER_NODE_HOUR)
    """Effective price per node-hour under this term, in the offering's currency."""
    source: Text = ""
    """Where this price comes from, if not the offering's source."""


class Offering(Frozen):
    """A server type a provider rents out: GPUs, fabrics, tenancy, price, availability, provenance."""

    id: Id
    """Stable id, 'provider/sku' by convention; a team file with the same id shadows a built-in."""
    provider: Text = Field(min_length=1, max_length=80)
    """Who rents it out."""
    sku: Text = Field(min_length=1, max_length=120)
    """The provider's name for the server or instance type."""
    accelerator: Id
    """Id of the accelerator (see `advisor gpus`)."""
    gpus_per_node: int = Field(ge=1, le=72)
    """GPUs in one node (or one NVLink domain sold as a unit)."""
    intra_fabric: IntraFabric
    """How GPUs inside a node talk: NVSwitch, NVLink bridge pairs, PCIe only, Infinity Fabric …"""
    intra_bytes_per_s: BytesPerS
    """Per-GPU, per-direction bandwidth of that fabric, bytes per second."""
    fast_group_gpus: int | None = Field(default=None, ge=1, le=72)
    """GPUs that share the fast fabric (2 for bridge pairs); defaults to gpus_per_node."""
    nvls: bool = False
    """NVSwitch with in-switch reduction (NVLink SHARP), which speeds up all-reduce."""
    inter_fabric: InterFabric = "none"
    """Fabric between nodes, or 'none' when the provider sells single nodes only."""
    inter_bytes_per_s: BytesPerS | None = None
    """Per-node, per-direction inter-node bandwidth, bytes per second (all NICs together)."""
    tenancy: Tenancy
    """bare-metal, vm (full GPU passthrough), vgpu (shared/sliced GPU), container (pod on a shared host)."""
    price_per_node_hour: float = Field(gt=0, le=MAX_PRICE_PER_NODE_HOUR)
    """List (on-demand unless `price_term` says otherwise) price for one node for one hour."""
    currency: Currency
    """ISO 4217 currency of every price of this offering."""
    price_term: Term = "on-demand"
    """Term of `price_per_node_hour`."""
    commitments: tuple[CommitmentPrice, ...] = ()
    """Prices under other terms."""
    regions: tuple[Text, ...] = Field(default=(), max_length=200)
    """Regions where it is sold."""
    max_nodes: int = Field(default=1, ge=1, le=10_000)
    """Most nodes one customer can rent together (1 when only single nodes are sold)."""
    as_of: Date
    """Date the price was seen."""
    source: Text = Field(min_length=1)
    """Where the price and specs come from."""
    confidence: Literal["A", "B", "C"] = "B"
    """A: provider data or machine-made catalog; B: dated community list; C: article or recall."""
    notes: Text = ""
    """Anything a buyer should know."""

    _split = model_validator(mode="before")(_split_price)

    @model_validator(mode="after")
    def _check_fabrics(self) -> "Offering":
        if self.inter_fabric != "none" and self.inter_bytes_per_s is None:
            raise ValueError("inter_fabric is set but inter_bytes_per_s is missing")
        if self.fast_group_gpus is not None and self.fast_group_gpus > self.gpus_per_node:
            raise ValueError("fast_group_gpus exceeds gpus_per_node")
        return self

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
