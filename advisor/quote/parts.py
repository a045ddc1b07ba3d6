"""The procurement parts of a `Quote`: number, dates, line items, totals, recommendation details
(layout, precision, VRAM, interconnect, SLO check) and the next best alternatives (error bands
and the close call are in `advisor.quote.bands`).

Everything here is derived from the ranked results, the request and the world; nothing is
recomputed from physics. Amounts are `Money` in the quote's currency (converted from USD with
the rate the quote states). Must not import rich, textual, httpx or pint, nor `advisor.quote.build`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from advisor.catalog.world import Origin
from advisor.domain.common import to_json
from advisor.search.disagg import layout_text
from advisor.search.features import FEATURE_DEFAULTS
from advisor.search.ranking import SECONDS_PER_HOUR, SORT_KEYS, Result
from advisor.search.request import QuoteRequest, Sort
from advisor.search.space import Candidate

ESTIMATE_NOTE = (
    "This is an estimate from a performance model and published list prices, not an offer: "
    "confirm prices, availability and terms with the provider before ordering."
)
ALTERNATIVES = 3  # next best feasible deployments a quote lists after the recommendation
QUOTE_NUMBER_PREFIX = "AQ"
# request fields added after quote numbers were first issued, with the value that leaves them out
LATER_FIELDS: dict[str, object] = {"max_price_age_days": None, "sort": "mtok", **FEATURE_DEFAULTS}
TIE_TOLERANCE = 1e-9  # relative: two costs this close are the same price (a tie)
FABRIC_NAMES = {
    "nvswitch": "NVSwitch", "nvlink-bridge": "NVLink bridge", "pcie": "PCIe",
    "infinity-fabric": "Infinity Fabric", "roce": "RoCE", "nvlink-c2c": "NVLink-C2C",
    "infiniband": "InfiniBand", "efa": "EFA", "tcpx": "GPUDirect-TCPX", "ethernet": "Ethernet",
}
TENANCY_NAMES = {"bare-metal": "bare-metal", "vm": "VM", "vgpu": "vGPU", "container": "container"}


class Money(NamedTuple):
    """An amount with its ISO currency code."""

    amount: float
    currency: str

    def text(self, digits: int = 2) -> str:
        """'31.92 USD'; tiny per-token amounts keep two significant digits."""
        if 0 < abs(self.amount) < 0.01:
            return f"{self.amount:.2g} {self.currency}"
        return f"{self.amount:,.{digits}f} {self.currency}"


class LineItem(NamedTuple):
    """One thing to rent: `quantity` units (nodes) at a price per unit-hour, for a month."""

    offering: str
    quantity: int
    unit: str  # "node"
    description: str  # "bare-metal node 8×H200 SXM 141GB, NVSwitch"
    hours_per_month: float
    unit_price_per_hour: Money  # one unit for one hour, in the quote's currency
    per_month: Money  # quantity × unit price × hours
    list_price_per_hour: Money | None = None  # the catalog's own price when in another currency

    @property
    def text(self) -> str:
        """'2 × bare-metal node 8×H200 SXM, NVSwitch, 730 h/month at 31.92 USD/h'."""
        return (f"{self.quantity} × {self.description}, {self.hours_per_month:g} h/month at "
                f"{self.unit_price_per_hour.text()}/h")


class Totals(NamedTuple):
    """What the recommended deployment costs, per month and per million tokens at the utilization."""

    per_hour: Money
    per_month: Money
    per_million_output_tokens: Money  # whole cost over output tokens (the ranking key)
    per_million_input_tokens: Money  # prefill share of GPU time over input tokens
    per_million_output_tokens_decode: Money  # decode share of GPU time over output tokens
    per_million_tokens_blended: Money  # whole cost over input + output tokens
    utilization: float
    output_tokens_per_month: float  # at the utilization
    input_tokens_per_month: float


class SloCheck(NamedTuple):
    """One latency target against the model's prediction at the quoted load."""

    metric: str  # "TTFT" | "TPOT"
    target_s: float
    predicted_s: float

    @property
    def met(self) -> bool:
        return self.predicted_s <= self.target_s * (1 + TIE_TOLERANCE)

    @property
    def headroom(self) -> float:
        """Share of the target left unused (negative when missed)."""
        return 1 - self.predicted_s / self.target_s


class VramBreakdown(NamedTuple):
    """Memory on the most loaded GPU of a replica, bytes."""

    memory_bytes_per_gpu: float  # what the driver reports
    usable_bytes_per_gpu: float  # × engine memory fraction
    engine_memory_fraction: float
    weights_bytes_per_gpu: float
    workspace_bytes_per_gpu: float
    kv_bytes_per_gpu: float  # KV cache for the quoted load at full context
    sequences_per_replica: int  # decode batch the KV is sized for
    kv_capacity_tokens: int  # per replica
    fits: bool

    @property
    def used_bytes_per_gpu(self) -> float:
        return self.weights_bytes_per_gpu + self.workspace_bytes_per_gpu + self.kv_bytes_per_gpu


class InterconnectAnalysis(NamedTuple):
    """The tensor-parallel all-reduce against the link the offering has, and the node fabric."""

    link_kind: str  # "none" when TP = 1
    tp: int
    pp: int
    nodes: int
    allreduce_bytes_per_step: float  # per GPU, one decode step
    comm_time_per_step_s: float
    comm_share: float  # of the decode step
    target_share: float
    required_bytes_per_s: float  # keeps comm_share under the target (inf: latency-bound)
    available_bytes_per_s: float
    intra_fabric: str
    inter_fabric: str
    inter_bytes_per_s: float  # per node, per direction

    @property
    def within_target(self) -> bool:
        return self.link_kind == "none" or self.comm_share <= self.target_share * (1 + TIE_TOLERANCE)

    @property
    def spans_nodes(self) -> bool:
        """Whether one replica's pipeline crosses nodes (PP over the inter-node fabric)."""
        return self.pp > 1 and self.nodes > 1 and self.inter_fabric != "none"


class Recommendation(NamedTuple):
    """The rank-1 deployment, itemized: what to rent, what it costs, and why it works."""

    result: Result
    line_items: tuple[LineItem, ...]
    totals: Totals
    layout: str  # "2× TP4·PP2"
    weights: str
    kv_dtype: str
    compute_dtype: str
    vram: VramBreakdown
    interconnect: InterconnectAnalysis
    slo: tuple[SloCheck, ...]
    load: str  # "concurrency 64" — what the deployment was sized for

    @property
    def offering(self) -> str:
        return self.result.offering.id


class Alternative(NamedTuple):
    """A next best feasible deployment and how it compares with the recommendation."""

    result: Result
    line_item: LineItem
    per_month: Money
    per_million_output_tokens: Money
    layout: str
    precision: str
    delta: float  # the ranking quantity (`basis`) relative to the recommendation's (0.12 = +12 %)
    basis: Sort = "mtok"  # the sort key the results are ranked by, and `delta` is a difference of

    @property
    def tie(self) -> bool:
        """Same ranking quantity as the recommendation: the order came from the tie-breaks."""
        return abs(self.delta) <= TIE_TOLERANCE


class Pricing(NamedTuple):
    """How amounts are shown: currency, USD per unit of it, hours in a month."""

    currency: str
    usd_per_unit: float
    hours_per_month: float
    term: str = "on-demand"

    def money(self, usd: float) -> Money:
        return Money(usd / self.usd_per_unit, self.currency)


# -- quote number and dates ----------------------------------------------------------------

def quote_number(request: QuoteRequest, files: Iterable[Origin], tool_version: str) -> str:
    """'AQ-1A2B3-C4D5E': a hash of the canonical request, every file's sha256 and the tool version.

    The same question on the same data with the same tool always gets the same number, so a
    quote can be matched with its inputs; paths do not count (a moved checkout is the same data).
    Request fields added later count only when set, so a quote made before they existed keeps
    its number.
    """
    fields = {key: value for key, value in to_json(request).items()
              if key not in LATER_FIELDS or value != LATER_FIELDS[key]}
    canonical = json.dumps(
        {"request": fields,
         "data": sorted(f.sha256 for f in files if f.sha256),
         "tool": tool_version},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).hexdigest().upper()
    return f"{QUOTE_NUMBER_PREFIX}-{digest[:5]}-{digest[5:10]}"


def prices_as_of(items: Iterable[Result]) -> date | None:
    """The oldest price date among the offerings the quote prices."""
    dates = [r.offering.as_of for r in items]
    return min(dates) if dates else None


def valid_until(issued: date, as_of: date | None, validity_days: int) -> date | None:
    """Prices hold `validity_days` from the day they were seen (never counted from after issue)."""
    if as_of is None:
        return None
    return min(as_of, issued) + timedelta(days=validity_days)


# -- recommendation ------------------------------------------------------------------------

def line_item(result: Result, pricing: Pricing) -> LineItem:
    """The nodes of one priced result as a line item."""
    o, cand, cost = result.offering, result.candidate, result.cost
    assert cand is not None and cost is not None
    gpu = result.accelerator.name if result.accelerator else o.accelerator
    parts = [f"{TENANCY_NAMES.get(o.tenancy, o.tenancy)} node {o.gpus_per_node}×{gpu}"]
    if o.gpus_per_node > 1 and o.intra_fabric != "none":
        parts.append(FABRIC_NAMES.get(o.intra_fabric, o.intra_fabric))
    if cand.nodes > 1 and o.multi_node:
        parts.append(f"{FABRIC_NAMES.get(o.inter_fabric, o.inter_fabric)} between nodes")
    listed = o.price_for(pricing.term)
    return LineItem(
        offering=o.id, quantity=cand.nodes, unit="node", description=", ".join(parts),
        hours_per_month=pricing.hours_per_month,
        unit_price_per_hour=pricing.money(cost.usd_per_hour / cand.nodes),
        per_month=pricing.money(cost.usd_per_month),
        list_price_per_hour=(Money(listed, o.currency)
                             if listed is not None and o.currency != pricing.currency else None),
    )


def totals(result: Result, pricing: Pricing, utilization: float) -> Totals:
    """Monthly and per-million-token totals of one priced result at the utilization."""
    cost, est = result.cost, result.estimate
    assert cost is not None and est is not None
    busy_s = pricing.hours_per_month * SECONDS_PER_HOUR * utilization
    return Totals(
        per_hour=pricing.money(cost.usd_per_hour),
        per_month=pricing.money(cost.usd_per_month),
        per_million_output_tokens=pricing.money(cost.usd_per_million_output_tokens),
        per_million_input_tokens=pricing.money(cost.usd_per_million_input_tokens),
        per_million_output_tokens_decode=pricing.money(cost.usd_per_million_output_tokens_decode),
        per_million_tokens_blended=pricing.money(cost.usd_per_million_tokens_blended),
        utilization=utilization,
        output_tokens_per_month=est.output_tokens_per_s * busy_s,
        input_tokens_per_month=(est.total_tokens_per_s - est.output_tokens_per_s) * busy_s,
    )


def slo_checks(request: QuoteRequest, result: Result) -> tuple[SloCheck, ...]:
    """Each latency target of the request against the prediction."""
    est = result.estimate
    assert est is not None
    checks = []
    if request.ttft_s is not None:
        checks.append(SloCheck("TTFT", request.ttft_s, est.ttft_s))
    if request.tpot_s is not None:
        checks.append(SloCheck("TPOT", request.tpot_s, est.tpot_s))
    return tuple(checks)


def vram(result: Result, engine_memory_fraction: float) -> VramBreakdown:
    """The memory breakdown of one result's estimate."""
    est = result.estimate
    assert est is not None
    m = est.memory
    physical = float(result.accelerator.memory_bytes) if result.accelerator else m.usable_bytes_per_gpu
    return VramBreakdown(
        memory_bytes_per_gpu=physical, usable_bytes_per_gpu=m.usable_bytes_per_gpu,
        engine_memory_fraction=engine_memory_fraction,
        weights_bytes_per_gpu=m.weights_bytes_per_gpu, workspace_bytes_per_gpu=m.workspace_bytes_per_gpu,
        kv_bytes_per_gpu=m.kv_needed_bytes_per_gpu, sequences_per_replica=est.batch,
        kv_capacity_tokens=m.kv_capacity_tokens, fits=m.fits,
    )


def interconnect(result: Result) -> InterconnectAnalysis:
    """The all-reduce analysis of one result's estimate, with the offering's fabrics."""
    est, cand, o = result.estimate, result.candidate, result.offering
    assert est is not None and cand is not None
    ic = est.interconnect
    return InterconnectAnalysis(
        link_kind=ic.link_kind or "none", tp=cand.layout.tp, pp=cand.layout.pp, nodes=cand.nodes,
        allreduce_bytes_per_step=ic.allreduce_bytes_per_step, comm_time_per_step_s=ic.comm_time_per_step_s,
        comm_share=ic.comm_share, target_share=ic.target_share,
        required_bytes_per_s=ic.required_bytes_per_s, available_bytes_per_s=ic.available_bytes_per_s,
        intra_fabric=o.intra_fabric, inter_fabric=o.inter_fabric,
        inter_bytes_per_s=float(o.inter_bytes_per_s or 0.0),
    )


def recommendation(
    request: QuoteRequest, best: Result | None, pricing: Pricing, engine_memory_fraction: float
) -> Recommendation | None:
    """The rank-1 result itemized, or None when nothing is feasible."""
    if best is None or best.candidate is None or best.cost is None:
        return None
    cand = best.candidate
    return Recommendation(
        result=best,
        line_items=(line_item(best, pricing),),
        totals=totals(best, pricing, request.utilization),
        layout=layout_text(cand),
        weights=cand.precision.weights,
        kv_dtype=cand.precision.kv,
        compute_dtype=cand.estimate.compute_dtype,
        vram=vram(best, engine_memory_fraction),
        interconnect=interconnect(best),
        slo=slo_checks(request, best),
        load=_load(cand),
    )


def _load(cand: Candidate) -> str:
    load = cand.load
    if load.concurrency is not None:
        return f"concurrency {load.concurrency}"
    return f"{load.rate:g} req/s" if load.rate is not None else "—"


def alternatives(feasible: tuple[Result, ...], pricing: Pricing, sort: Sort = "mtok",
                 count: int = ALTERNATIVES) -> tuple[Alternative, ...]:
    """The next `count` feasible results after the first, compared with it on the quantity they
    are ranked by (`SORT_KEYS[sort]`)."""
    if not feasible or feasible[0].cost is None:
        return ()
    value = SORT_KEYS[sort].value
    best = value(feasible[0])
    found = []
    for result in feasible[1:1 + count]:
        cand, cost = result.candidate, result.cost
        if cand is None or cost is None:
            continue
        found.append(Alternative(
            result=result, line_item=line_item(result, pricing),
            per_month=pricing.money(cost.usd_per_month),
            per_million_output_tokens=pricing.money(cost.usd_per_million_output_tokens),
            layout=layout_text(cand),
            precision=f"{cand.precision.weights} · KV {cand.precision.kv}",
            delta=value(result) / best - 1 if best > 0 else 0.0,
            basis=sort,
        ))
    return tuple(found)
