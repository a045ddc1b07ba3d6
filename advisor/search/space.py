"""Search space: what is tried for one piece of hardware, and in which order results rank.

Owns `Hardware` (accelerator × fabric × efficiency × tenancy × node caps: everything
performance depends on besides the request — prices never enter), which layouts are tried
(replica sizes that tile nodes; TP × PP × EP validated by the core's `layout_reason`), which
weight/KV precisions an accelerator may use, the monotone search for the largest feasible
load, and the order of candidates on one hardware. Sizing each layout is `advisor.search.sizing`.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from advisor.core.disagg import Pools
from advisor.core.types import Estimate, Fabric, Layout, Load, MemoryBreakdown, Precision
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.search.feasibility import Failure

MAX_NODES_PER_REPLICA = 8  # one model copy spread wider than 8 nodes is not a serving layout
NODE_SPAN_FACTOR = 2  # try replicas up to 2× the fewest nodes that hold the model
RATE_STEPS = 256  # the largest rate per replica is found to within 1/256 of its throughput
WEIGHT_ORDER = ("bf16", "fp16", "fp8", "int8", "fp4", "int4")  # tie-break: higher precision first
_SMALLEST_FIRST = ("fp4", "int4", "fp8", "int8", "bf16", "fp16")  # likely best first: prunes more


class Hardware(NamedTuple):
    """Everything performance depends on besides the request: the cache key of a search."""

    accelerator: Accelerator
    fabric: Fabric
    efficiency: EfficiencyFactors
    tenancy_factor: float
    node_cap: int  # most nodes the whole deployment may use
    span_cap: int = 1  # most nodes one replica may join (needs an inter-node fabric)
    key: tuple[Any, ...] = ()  # what the search result depends on (see `make_hardware`)
    memo_ids: tuple[int, int] = (-1, -1)  # set by the Searcher: estimate memo keys (one node, several)
    one_node_fabric: Fabric | None = None  # set by the Searcher: the fabric as one node sees it

    def fabric_for(self, layout: Layout) -> Fabric:
        """The fabric a replica of `layout` sees: inside one node the inter-node link plays no
        part, so offerings that differ only there share the core's memoised plans."""
        if layout.gpus_per_replica <= self.fabric.gpus_per_node and self.one_node_fabric is not None:
            return self.one_node_fabric
        return self.fabric

    @property
    def joined(self) -> bool:
        """Whether one replica may span nodes."""
        return self.span_cap > 1 and self.fabric.inter_kind != "none" and self.fabric.inter_bytes_per_s > 0


def make_hardware(
    accelerator: Accelerator, fabric: Fabric, efficiency: EfficiencyFactors, tenancy_factor: float,
    *, node_cap: int, span_cap: int = 1,
) -> Hardware:
    """A `Hardware` with its cache key: offerings whose replicas cannot span nodes share results
    whatever their inter-node fabric."""
    hw = Hardware(accelerator, fabric, efficiency, tenancy_factor, node_cap, span_cap)
    joined = hw.joined
    key = (accelerator.id, fabric if joined else single_node(fabric), efficiency.id, tenancy_factor,
           node_cap, span_cap if joined else 1)
    return hw._replace(key=key)


class Candidate(NamedTuple):
    """One layout sized for the request on one `Hardware`; price-free."""

    layout: Layout  # replicas included
    precision: Precision
    estimate: Estimate  # the whole deployment at `load`
    load: Load  # the whole deployment's load (the request's, or the unit filled within targets)
    nodes: int
    per_replica_limit: float | None  # largest concurrency (or rate) per replica within targets;
    # None when the smallest unit already served the whole load (no limit was searched)
    per_replica_limit_kind: str  # "concurrency" | "rate"
    pools: Pools | None = None  # disaggregated prefill/decode pools (`layout` is the decode pool's)
    serving_note: str = ""  # why aggregated or disaggregated serving was chosen (--serving auto)


class HardwareOutcome(NamedTuple):
    """Candidates for one `Hardware`, best first, or the failure closest to feasible."""

    candidates: tuple[Candidate, ...]
    failure: Failure | None


class Physics(NamedTuple):
    """The core entry points the search calls (swappable for unit tests)."""

    estimate: Callable[..., Estimate]
    fabric_for_offering: Callable[..., Fabric]
    select_efficiency: Callable[..., EfficiencyFactors]
    memory_breakdown: Callable[..., MemoryBreakdown]
    throughput_ceiling: Callable[..., float] | None = None  # an upper bound on estimate's tokens/s


def core_physics() -> Physics:
    """The real performance model."""
    from advisor.core.efficiency import select
    from advisor.core.fabric import fabric_for_offering
    from advisor.core.memory import memory_breakdown
    from advisor.core.serving import estimate, throughput_ceiling

    return Physics(estimate=estimate, fabric_for_offering=fabric_for_offering, select_efficiency=select,
                   memory_breakdown=memory_breakdown, throughput_ceiling=throughput_ceiling)


def single_node(fabric: Fabric) -> Fabric:
    """The fabric as a replica inside one node sees it: the inter-node link plays no part."""
    return dataclasses.replace(fabric, inter_kind="none", inter_bytes_per_s=0.0, inter_step_latency_s=0.0)


def divisors(n: int) -> list[int]:
    """Positive divisors of n in increasing order."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def enumerate_layouts(model: ModelProfile, fabric: Fabric, max_nodes_per_replica: int) -> list[Layout]:
    """Every (TP, PP, EP, DEP) to try for one replica, smallest replicas first, widest TP first.

    A replica uses a divisor of a node's GPUs (several replicas share the node) or whole nodes
    (only when nodes are joined by an inter-node fabric: TP fills the fast domain and PP spans
    the nodes, or TP spans the nodes itself where a whole node is one fast domain). EP (MoE
    only) is 1 or the widest valid degree up to TP; MoE models also try DEP (one-GPU attention
    ranks sharing an expert group as wide as the replica, redundant experts filling the slots
    EP does not divide). Validity (TP divides the heads, KV-head replication, TP across nodes
    in whole nodes, PP ≤ layers, EP divides the expert slots) is the core's `layout_reason`.
    """
    from advisor.core.layouts import layout_reason

    per_node = fabric.gpus_per_node
    joined = fabric.inter_kind != "none" and fabric.inter_bytes_per_s > 0
    sizes = [(g, list(reversed(divisors(g)))) for g in divisors(per_node)]
    if joined and max_nodes_per_replica > 1:
        fast = [t for t in divisors(per_node) if t <= fabric.fast_group_gpus and model.heads % t == 0]
        widest = [max(fast)] if fast else [1]
        # TP across nodes only where the whole node is one fast domain (not over PCIe inside it)
        across = fabric.fast_group_gpus >= per_node
        sizes += [(per_node * n, [per_node * n] * across + widest) for n in range(2, max_nodes_per_replica + 1)]
    layouts: list[Layout] = []
    for gpus, tps in sizes:
        tried = [layout for tp in tps for layout in _tp_layouts(model, gpus, tp)]
        tried += _dep_layouts(model, gpus, per_node)
        layouts += [lay for lay in dict.fromkeys(tried) if layout_reason(model, lay, fabric) is None]
    return layouts


def _tp_layouts(model: ModelProfile, gpus: int, tp: int) -> list[Layout]:
    """TP × PP layouts of one replica of `gpus` GPUs, with EP 1 and the widest EP up to TP."""
    from advisor.core.layouts import valid_ep

    if model.heads % tp:
        return []
    eps = valid_ep(model, tp, tp) if model.moe is not None else [1]
    return [Layout(tp=tp, pp=gpus // tp, ep=ep, replicas=1) for ep in sorted({max(eps), 1}, reverse=True)]


MIN_DEP_GPUS = 8  # narrower expert groups are what TP·EP inside a node already covers
# Redundant copies the search adds: at most 1/8 of the experts, DeepSeek's own ratio (32
# redundant for 256 routed experts, "DeepSeek-V3/R1 Inference System Overview", 2025-02).
REDUNDANT_SHARE_MAX = 8


def _dep_layouts(model: ModelProfile, gpus: int, per_node: int) -> list[Layout]:
    """DEP over the whole replica (MoE only, at least a node's or 8 GPUs): attention
    data-parallel on every GPU, experts spread over all of them, redundant copies filling
    the slots the expert count leaves."""
    if model.moe is None or gpus < min(MIN_DEP_GPUS, per_node) or gpus < 2:
        return []
    experts = model.moe.experts
    redundant = -experts % gpus
    if redundant * REDUNDANT_SHARE_MAX > experts:
        return []
    return [Layout(tp=1, pp=1, ep=gpus, dp=gpus, replicas=1, redundant_experts=redundant)]


def weight_choices(acc: Accelerator, allowed: tuple[str, ...]) -> list[str]:
    """Allowed weight formats the accelerator runs natively (fp16 only where bf16 is not)."""
    native = [w for w in allowed if w in acc.native_weight_dtypes]
    if "bf16" in native and "fp16" in native:
        native.remove("fp16")  # same size and speed: trying both doubles the work for nothing
    return sorted(native, key=_SMALLEST_FIRST.index)


def kv_choices(acc: Accelerator, allowed: tuple[str, ...]) -> list[str]:
    """Allowed KV dtypes; bf16 KV becomes fp16 (same size) on chips without bf16."""
    chosen = []
    for kv in allowed:
        if kv == "bf16" and "bf16" not in acc.native_weight_dtypes and "fp16" in acc.native_weight_dtypes:
            kv = "fp16"
        chosen.append(kv)
    return sorted(dict.fromkeys(chosen), key=lambda k: (k != "fp8", k))


def largest_within(score: Callable[[int], float], high: int) -> int:
    """Largest n in [1, high] with score(n) ≤ 1, given score(1) ≤ 1 and score non-decreasing.

    Latency grows smoothly with load, so the first guess interpolates between the bracket's
    ends and later ones extrapolate the secant through the last two feasible points; a step
    that does not halve the bracket is followed by a plain bisection step, so the search never
    takes more than about twice the bisection count.
    """
    high_score = score(high)
    if high_score <= 1:
        return high
    low, low_score = 1, score(1)
    previous: tuple[int, float] | None = None
    bisect = False
    while high - low > 1:
        width = high - low
        mid = (low + high) // 2
        if not bisect:
            guess = _secant_guess(low, low_score, previous, high, high_score)
            if guess is not None:
                mid = min(max(int(guess), low + 1), high - 1)
        value = score(mid)
        if value <= 1:
            previous, low, low_score = (low, low_score), mid, value
        else:
            high, high_score = mid, value
        bisect = not bisect and (high - low) > width // 2
    return low


def _secant_guess(
    low: int, low_score: float, previous: tuple[int, float] | None, high: int, high_score: float
) -> float | None:
    """Where score reaches 1: secant through the last two feasible points, else the chord."""
    if previous is not None and low_score > previous[1]:
        return low + (1.0 - low_score) * (low - previous[0]) / (low_score - previous[1])
    if math.isfinite(high_score) and high_score > low_score:
        return low + (1.0 - low_score) * (high - low) / (high_score - low_score)
    return None


def sort_key(candidate: Candidate) -> tuple[Any, ...]:
    """Deterministic order of candidates on one hardware: node-hours per output token, then
    fewer nodes, higher weight precision, smaller replicas, lower TPOT, bf16 KV, then the layout."""
    lay, prec = candidate.layout, candidate.precision
    return (
        candidate.nodes / max(candidate.estimate.output_tokens_per_s, 1e-30),
        candidate.nodes,
        weight_rank(prec.weights),
        lay.gpus_per_replica,
        candidate.estimate.tpot_s,
        prec.kv != "bf16",
        lay.tp, lay.pp, lay.ep,
    )


def weight_rank(weights: str) -> int:
    return WEIGHT_ORDER.index(weights) if weights in WEIGHT_ORDER else len(WEIGHT_ORDER)
