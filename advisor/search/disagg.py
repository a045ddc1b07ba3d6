"""Disaggregated prefill/decode deployments on one hardware, and the choice per offering between
them and aggregated serving (`--serving disagg|auto`).

Each pool is laid out for its phase: the prefill layout that serves the most prompts per GPU
within the TTFT target (prefill + KV transfer + queue), the decode layout that serves the most
requests per GPU within the TPOT target. Then the pools are sized for the load: `x` prefill and
`y` decode replicas ("xPyD") for a rate or a concurrency; without a load, the ratio of the two
capacities on the fewest nodes. The core's `disagg_estimate` checks the result; a pool whose
target is missed gets one more replica until both are met. Both pools sit in one node when they
fit (the KV crosses NVLink), otherwise on nodes of their own joined by the offering's fabric.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, NamedTuple

from advisor.core.deployment import Setup, prepare
from advisor.core.disagg import KvLink, Pools, disagg_estimate, kv_link, kv_transfer_s, prompt_kv_bytes
from advisor.core.serving import MAX_PREFILL_SHARE
from advisor.core.types import Layout, Precision
from advisor.search.feasibility import PROGRESS, Failure, layout_label
from advisor.search.space import (
    MAX_NODES_PER_REPLICA,
    Candidate,
    Hardware,
    HardwareOutcome,
    kv_choices,
    sort_key,
    weight_choices,
)

if TYPE_CHECKING:
    from advisor.search.sizing import Searcher

Miss = tuple[str, str]  # why a precision has no pools: (the `Failure` kind, the message)
MAX_POOL_REPLICAS = 64  # a pool wider than this is not searched
UNIT_RATIO_STEPS = 8  # without a load: prefill replicas 1..8, decode replicas in proportion
TIE = 0.005  # node-hours per output token within 0.5 %: a tie, aggregated serving stays
PAIRS_CHECKED = 3  # (prefill layout, decode layout) pairs sized by the core, fewest node-hours first


class PhaseFit(NamedTuple):
    """One layout's capacity for one phase within its target, per replica."""

    layout: Layout
    rate: float  # requests/s one replica serves within the target (0: cannot meet it)
    detail: str  # why not, when rate is 0
    batch: float = 0.0  # decode: sequences one replica holds at that rate


def pools_label(pools: Pools) -> str:
    """'1P TP4 + 2D TP4': prefill and decode replicas with their layouts."""
    return (f"{pools.prefill.replicas}P {layout_label(pools.prefill)} + "
            f"{pools.decode.replicas}D {layout_label(pools.decode)}")


def layout_text(candidate: Candidate) -> str:
    """'2× TP4', or '1P TP4 + 2D TP4' for disaggregated pools (table cells, documents, TUI)."""
    if candidate.pools is not None:
        return pools_label(candidate.pools)
    return f"{candidate.layout.replicas}× {layout_label(candidate.layout)}"


def _setup(s: Searcher, hw: Hardware, layout: Layout, precision: Precision) -> Setup:
    return prepare(s.deployment(hw, layout, precision, s.load(concurrency=1)), memory_fraction=s.memory_fraction)


def _link(hw: Hardware, gpus: int, same_node: bool) -> KvLink | None:
    return kv_link(hw.fabric, gpus, same_node=same_node)


def prefill_fit(s: Searcher, hw: Hardware, layout: Layout, precision: Precision, link: KvLink) -> PhaseFit:
    """Prompts/s one prefill replica serves with TTFT (p90 prompt when given) within target:
    the M/D/1 wait ρ·t_p/(2(1−ρ)) may take what prefill and transfer leave of the target."""
    setup = _setup(s, hw, layout, precision)
    r = s.request
    prompt = r.input_tokens_p90 or r.input_tokens
    idle = setup.plan.t_request_s + setup.first_for(prompt, 0.0)
    transfer = kv_transfer_s(prompt_kv_bytes(s.model, precision.kv, prompt), link)
    t_p = setup.prefill_gpu_s
    target = r.ttft_s * hw.tenancy_factor if r.ttft_s is not None else math.inf
    budget = target - idle - transfer
    if budget <= 0:
        return PhaseFit(layout, 0.0, f"prefill {idle:.3g} s + KV transfer {transfer:.3g} s ≥ TTFT target")
    share = MAX_PREFILL_SHARE if math.isinf(budget) else min(MAX_PREFILL_SHARE, 2 * budget / (t_p + 2 * budget))
    return PhaseFit(layout, share / t_p, "")


def decode_fit(s: Searcher, hw: Hardware, layout: Layout, precision: Precision) -> PhaseFit:
    """Requests/s one decode replica serves with TPOT within target: the largest batch B within
    the memory and engine caps with step(B) ≤ target, at B / ((O−1)·step(B))."""
    setup = _setup(s, hw, layout, precision)
    n = setup.decode_tokens
    target = s.request.tpot_s * hw.tenancy_factor if s.request.tpot_s is not None else math.inf
    tpot = setup.step.tpot
    cap = float(min(setup.batch_cap, s.request.concurrency or setup.batch_cap))  # no more users than asked
    if cap < 1 or tpot(1.0) > target:
        return PhaseFit(layout, 0.0, f"one sequence decodes at {tpot(1.0) * 1e3:.3g} ms > TPOT target")
    lo, hi = 1.0, cap
    if tpot(cap) > target:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if tpot(mid) <= target else (lo, mid)
        hi = lo
    batch = math.floor(hi)
    return PhaseFit(layout, batch / (max(n, 1) * tpot(batch)), "", batch)


def _counts(s: Searcher, prefill: PhaseFit, decode: PhaseFit, per_node: int, node_cap: int) -> tuple[int, int]:
    """Prefill and decode replicas for the request's load (see the module docstring)."""
    r = s.request
    if r.request_rate is not None:
        return math.ceil(r.request_rate / prefill.rate - 1e-9), math.ceil(r.request_rate / decode.rate - 1e-9)
    if r.concurrency is not None:  # every user decoding at once is the most the decode pool holds
        y = max(1, math.ceil(r.concurrency / max(decode.batch, 1.0)))
        return max(1, math.ceil(y * decode.rate / prefill.rate - 1e-9)), y
    gp, gd = prefill.layout.gpus_per_replica, decode.layout.gpus_per_replica
    best = (0.0, -1, -1)  # (requests/s per node, −x, −y)
    for x in range(1, UNIT_RATIO_STEPS + 1):
        y = max(1, round(x * prefill.rate / decode.rate))
        nodes = _nodes(x * gp, y * gd, per_node)[0]
        if nodes <= node_cap:
            best = max(best, (min(x * prefill.rate, y * decode.rate) / nodes, -x, -y))
    return -int(best[1]), -int(best[2])


def _nodes(prefill_gpus: int, decode_gpus: int, per_node: int) -> tuple[int, bool]:
    """(nodes, both pools in one node)."""
    if prefill_gpus + decode_gpus <= per_node:
        return 1, True
    return -(-prefill_gpus // per_node) + -(-decode_gpus // per_node), False


def disagg_outcome(s: Searcher, hw: Hardware) -> HardwareOutcome:
    """Disaggregated candidates on this hardware (one per precision), best first, or why none."""
    weights = weight_choices(hw.accelerator, s.request.weights)
    span = min(MAX_NODES_PER_REPLICA, hw.span_cap, hw.node_cap) if hw.joined else 1
    layouts = s.layouts(hw.fabric, span)
    candidates: list[Candidate] = []
    misses: list[Miss] = []
    for precision in (Precision(w, kv) for w in weights for kv in kv_choices(hw.accelerator, s.request.kv_dtypes)):
        fitting = [lay for lay in layouts if s.memory(hw, lay, precision).fits]
        found = _size_pools(s, hw, fitting, precision) if fitting else ("memory", "no layout holds one sequence")
        if isinstance(found, Candidate):
            candidates.append(found)
        else:
            misses.append((found[0], f"disaggregated {precision.weights}: {found[1]}"))
    candidates.sort(key=sort_key)
    if candidates:
        return HardwareOutcome(tuple(candidates), None)
    kind = max((kind for kind, _ in misses), key=lambda k: PROGRESS.get(k, 0), default="precision")
    message = "; ".join(text for _, text in misses[:2]) or "no precision allowed"
    return HardwareOutcome((), Failure(kind, message, math.inf))


def _size_pools(s: Searcher, hw: Hardware, layouts: list[Layout], precision: Precision) -> Candidate | Miss:
    """The pools for one precision, or why there are none: every pair of a prefill and a decode
    layout is sized from its capacities, and the PAIRS_CHECKED with the fewest node-hours per
    request are checked by the core (one replica more in a pool while it misses its target)."""
    apart = _link(hw, 1, same_node=False) is not None
    prefills = [prefill_fit(s, hw, lay, precision, link) for lay in layouts
                if (link := _link(hw, lay.gpus_per_replica, same_node=not apart)) is not None]
    decodes = [fit for fit in (decode_fit(s, hw, lay, precision) for lay in layouts) if fit.rate > 0]
    usable = [fit for fit in prefills if fit.rate > 0]
    if not usable:
        return ("ttft", prefills[0].detail) if prefills else ("nodes", "no link between the pools")
    if not decodes:
        return "tpot", "one decode sequence misses the TPOT target"
    pairs = sorted(((_node_hours(s, hw, p, d), i, j) for i, p in enumerate(usable) for j, d in enumerate(decodes)))
    found: list[Candidate] = []
    miss: Miss = ("ttft", "no pool sizes meet the targets")
    for _, i, j in pairs[:PAIRS_CHECKED]:
        sized = _grow(s, hw, usable[i], decodes[j], precision)
        if isinstance(sized, Candidate):
            found.append(sized)
        else:
            miss = sized
    return min(found, key=sort_key) if found else miss


def _node_hours(s: Searcher, hw: Hardware, prefill: PhaseFit, decode: PhaseFit) -> tuple[float, float]:
    """The ranking of pairs by their first sizing: with a load, the fewest nodes (every pair
    serves the same load), then nodes per request/s of capacity; without one, the latter."""
    x, y = _counts(s, prefill, decode, hw.fabric.gpus_per_node, hw.node_cap)
    nodes = _nodes(x * prefill.layout.gpus_per_replica, y * decode.layout.gpus_per_replica,
                   hw.fabric.gpus_per_node)[0]
    per_rate = nodes / min(x * prefill.rate, y * decode.rate)
    unit = s.request.concurrency is None and s.request.request_rate is None
    return (per_rate if unit else float(nodes)), per_rate


def _grow(s: Searcher, hw: Hardware, prefill: PhaseFit, decode: PhaseFit, precision: Precision) -> Candidate | Miss:
    """Sized pools for one pair, adding a replica to the pool that misses its target."""
    x, y = _counts(s, prefill, decode, hw.fabric.gpus_per_node, hw.node_cap)
    unit = s.request.concurrency is None and s.request.request_rate is None
    for _ in range(2 * MAX_POOL_REPLICAS):
        if x > MAX_POOL_REPLICAS or y > MAX_POOL_REPLICAS:
            return "nodes", f"needs more than {MAX_POOL_REPLICAS} replicas in a pool"
        rate = min(x * prefill.rate, y * decode.rate) if unit else None
        checked = _check(s, hw, prefill.layout, decode.layout, x, y, precision, rate)
        if isinstance(checked, Candidate):
            return checked
        if rate is not None and checked in ("ttft", "tpot"):
            # without a load the pools serve the largest rate within the targets: the sizing's
            # capacity can sit where the prefill queue already breaks TTFT, so back off first
            lower = _largest_rate(s, hw, prefill.layout, decode.layout, x, y, precision, rate)
            if lower is not None:
                return lower
        if checked in ("none", "nodes"):
            return "nodes", ("the pools need more nodes than the offering allows" if checked == "nodes" else
                             "the pools do not fit in one node and the offering has no inter-node fabric for the KV")
        x, y = (x + 1, y) if checked == "ttft" else (x, y + 1)
    return "ttft", "no pool sizes meet the targets"


RATE_STEPS = 12  # bisections of the unit rate (to 1/4096 of it)


def _largest_rate(s: Searcher, hw: Hardware, p_layout: Layout, d_layout: Layout, x: int, y: int,
                  precision: Precision, rate: float) -> Candidate | None:
    """The candidate at the largest rate below `rate` whose pools meet the targets, or None
    when neither half nor a quarter of it meets them (more replicas, not less load, are what it
    needs)."""
    best: Candidate | None = None
    lo, hi = 0.0, rate
    for _ in range(RATE_STEPS):
        mid = (lo + hi) / 2.0
        checked = _check(s, hw, p_layout, d_layout, x, y, precision, mid)
        if isinstance(checked, Candidate):
            best, lo = checked, mid
        elif checked in ("ttft", "tpot"):
            if best is None and mid < rate / 2.0:
                return None
            hi = mid
        else:
            return None
    return best


def _check(s: Searcher, hw: Hardware, p_layout: Layout, d_layout: Layout, x: int, y: int,
           precision: Precision, unit_rate: float | None) -> Candidate | str:
    """The candidate for x prefill and y decode replicas, or which pool misses its target
    ("ttft": prefill, "tpot": decode; "none": no link or too many nodes). Without a load the
    pools are loaded at `unit_rate`, what both serve within the targets."""
    per_node = hw.fabric.gpus_per_node
    prefill = dataclasses.replace(p_layout, replicas=x)
    decode = dataclasses.replace(d_layout, replicas=y)
    nodes, same = _nodes(prefill.gpus, decode.gpus, per_node)
    link = _link(hw, p_layout.gpus_per_replica, same)
    if link is None:
        return "none"
    r = s.request
    load = s.load(concurrency=r.concurrency, rate=r.request_rate if unit_rate is None else unit_rate)
    result = disagg_estimate(s.deployment(hw, prefill, precision, load), s.deployment(hw, decode, precision, load),
                             link, tenancy_factor=hw.tenancy_factor, memory_fraction=s.memory_fraction,
                             comm_share_target=s.comm_share_target)
    est = result.estimate
    if not s.meets_targets(est):
        point = result.point
        if point.saturated:
            return "ttft" if point.prefill_utilization >= MAX_PREFILL_SHARE else "tpot"
        return "ttft" if r.tpot_s is None or est.tpot_s <= r.tpot_s else "tpot"
    if nodes > hw.node_cap:
        return "nodes"
    pools = Pools(prefill, decode, link, result.kv_bytes, result.point, same)
    kind = "concurrency" if r.concurrency is not None else "rate"
    return Candidate(decode, precision, est, load, nodes, None, kind, pools)


def choose_serving(s: Searcher, hw: Hardware, aggregated: HardwareOutcome) -> HardwareOutcome:
    """The outcome `--serving` asks for: disaggregated only, or both with the better first and
    a note on each offering's choice (auto)."""
    pooled = disagg_outcome(s, hw)
    if s.request.serving == "disagg":
        memory = aggregated.failure is not None and aggregated.failure.kind == "memory"
        if not pooled.candidates and memory and pooled.failure is not None and pooled.failure.kind == "memory":
            return aggregated  # nothing holds the model either way: that reason has the numbers
        return pooled
    agg = aggregated.candidates[0] if aggregated.candidates else None
    dis = pooled.candidates[0] if pooled.candidates else None
    if agg is None and dis is None:
        return aggregated
    if dis is None:
        assert agg is not None and pooled.failure is not None
        note = f"aggregated: {pooled.failure.message}"
        return aggregated._replace(candidates=(agg._replace(serving_note=note), *aggregated.candidates[1:]))
    if agg is None:
        why = aggregated.failure.message if aggregated.failure is not None else "no aggregated layout fits"
        return pooled._replace(candidates=(dis._replace(serving_note=f"disaggregated: aggregated fails ({why})"),
                                           *pooled.candidates[1:]))
    return _compare(aggregated, pooled, agg, dis)


def _compare(aggregated: HardwareOutcome, pooled: HardwareOutcome, agg: Candidate, dis: Candidate) -> HardwareOutcome:
    """Both kinds ranked together, the winner first with a note on by how much it won. On a tie
    in node-hours per output token aggregated serving stays (one kind of server, no transfer)."""
    agg_cost, dis_cost = (c.nodes / max(c.estimate.output_tokens_per_s, 1e-30) for c in (agg, dis))
    winner, loser = (dis, agg) if dis_cost < agg_cost * (1 - TIE) else (agg, dis)
    kind = "disaggregated" if winner is dis else "aggregated"
    cheaper, dearer = min(agg_cost, dis_cost), max(agg_cost, dis_cost)
    if cheaper < dearer * (1 - TIE):
        note = (f"{_describe(winner)} uses {1 - cheaper / dearer:.0%} fewer node-hours per output token "
                f"than {_describe(loser)}")
    else:
        note = (f"{_describe(agg)} ties with {_describe(dis)} on node-hours per output token; aggregated kept "
                "(one kind of server, no KV transfer)")
    rest = sorted((c for c in (*aggregated.candidates, *pooled.candidates) if c is not winner), key=sort_key)
    return HardwareOutcome((winner._replace(serving_note=f"{kind}: {note}"), *rest), None)


def _describe(c: Candidate) -> str:
    what = pools_label(c.pools) if c.pools is not None else f"aggregated {c.layout.replicas}× {layout_label(c.layout)}"
    return f"{what} ({c.nodes} node(s), TTFT {c.estimate.ttft_s:.3g} s, TPOT {c.estimate.tpot_s * 1e3:.3g} ms)"
