"""Sizing: the largest load a replica serves within the targets, replicas, nodes, pruning.

Owns `Searcher` (one search: the request, the physics, memo tables shared by every offering)
and, for one `Hardware`, the evaluation of every layout × precision the search enumerates:
the memory check, the smallest unit that already serves the load, the monotone search for the
per-replica limit, the replica and node count, and the bounds that skip layouts which cannot
win. The physics is the core's; this module only asks it questions, assuming what the core
guarantees: latency and memory grow with load, and throughput at the memory-limited batch is
the most a replica delivers. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

from advisor.core.deployment import Deployment
from advisor.core.memory import fraction_of_free_memory
from advisor.core.types import Estimate, Fabric, Layout, Load, MemoryBreakdown, Precision
from advisor.domain import ModelProfile
from advisor.search.feasibility import (
    Failure,
    closest_failure,
    latency_failure,
    memory_failure,
    nodes_failure,
    precision_failure,
)
from advisor.search.features import load_features
from advisor.search.request import QuoteRequest
from advisor.search.space import (
    MAX_NODES_PER_REPLICA,
    NODE_SPAN_FACTOR,
    RATE_STEPS,
    Candidate,
    Hardware,
    HardwareOutcome,
    Physics,
    enumerate_layouts,
    kv_choices,
    largest_within,
    single_node,
    sort_key,
    weight_choices,
    weight_rank,
)


class Searcher:
    """One search: a request, the physics, and memo tables shared by every offering."""

    def __init__(self, request: QuoteRequest, model: ModelProfile, physics: Physics, *,
                 memory_fraction: float = 0.9, comm_share_target: float = 0.10) -> None:
        self.request = request
        self.model = model
        self.physics = physics
        self.memory_fraction = memory_fraction
        self.comm_share_target = comm_share_target
        self.estimates: dict[tuple[Any, ...], Estimate] = {}
        self.outcomes: dict[tuple[Any, ...], HardwareOutcome] = {}
        self.memories: dict[tuple[Any, ...], MemoryBreakdown] = {}
        self.memo_keys: dict[tuple[Any, ...], int] = {}
        self.layout_lists: dict[tuple[Fabric, int], list[Layout]] = {}
        self.memo: dict[Any, Any] = {}  # per-search lookups (efficiency choice …)
        self.calls = 0

    def estimate(self, hw: Hardware, layout: Layout, precision: Precision, load: Load) -> Estimate:
        """The core's estimate, memoized: price never changes it, so offerings share it."""
        memo = hw.memo_ids[0] if layout.gpus_per_replica <= hw.fabric.gpus_per_node else hw.memo_ids[1]
        key = (memo, layout, precision, load)
        found = self.estimates.get(key)
        if found is None:
            self.calls += 1
            found = self.physics.estimate(
                self.deployment(hw, layout, precision, load),
                tenancy_factor=hw.tenancy_factor,
                memory_fraction=self.memory_fraction,
                comm_share_target=self.comm_share_target,
            )
            self.estimates[key] = found
        return found

    def deployment(self, hw: Hardware, layout: Layout, precision: Precision, load: Load) -> Deployment:
        """What the core is asked about: this model on `hw`, split and loaded so."""
        return Deployment(model=self.model, accelerator=hw.accelerator, fabric=hw.fabric_for(layout),
                          layout=layout, precision=precision, load=load, factors=hw.efficiency)

    def layouts(self, fabric: Fabric, span: int) -> list[Layout]:
        """`enumerate_layouts`, memoized: offerings with the same fabric share the list."""
        key = (fabric, span)
        found = self.layout_lists.get(key)
        if found is None:
            found = self.layout_lists[key] = enumerate_layouts(self.model, fabric, span)
        return found

    def ceiling(self, hw: Hardware, layout: Layout, precision: Precision, load: Load) -> float:
        """An upper bound on `estimate(...).output_tokens_per_s` (0 when nothing fits)."""
        assert self.physics.throughput_ceiling is not None
        return self.physics.throughput_ceiling(
            self.deployment(hw, layout, precision, load),
            tenancy_factor=hw.tenancy_factor, memory_fraction=self.memory_fraction,
        )

    def memory(self, hw: Hardware, layout: Layout, precision: Precision) -> MemoryBreakdown:
        """Memory of one replica holding one sequence at full context: the cheap fit check.

        Memoized by accelerator and model split: fabrics, prices and replica counts do not
        change it, and many offerings share an accelerator.
        """
        key = (hw.accelerator.id, layout.tp, layout.pp, layout.ep, precision)
        found = self.memories.get(key)
        if found is None:
            found = self.memories[key] = self.physics.memory_breakdown(
                self.model, hw.accelerator, layout, precision,
                context=self.request.max_context, sequences=1, memory_fraction=self.memory_fraction,
                fraction_of_free=fraction_of_free_memory(self.request.engine),
            )
        return found

    def load(self, *, concurrency: int | None = None, rate: float | None = None) -> Load:
        r = self.request
        return Load(r.input_tokens, r.output_tokens, concurrency=concurrency, rate=rate,
                    max_context=r.max_context, **load_features(r))

    def score(self, est: Estimate) -> float:
        """How far an estimate is from the targets: ≤ 1 meets them (inf: does not fit)."""
        r = self.request
        if not est.memory.fits or not est.fits or est.saturated:
            return math.inf
        tpot = est.tpot_s / r.tpot_s if r.tpot_s is not None else 0.0
        first = est.ttft_p90_s if est.ttft_p90_s is not None else est.ttft_s  # lengths as a distribution
        ttft = first / r.ttft_s if r.ttft_s is not None else 0.0
        return max(tpot, ttft)

    def meets_targets(self, est: Estimate) -> bool:
        return self.score(est) <= 1.0

    def outcome(self, hw: Hardware, *, prune: bool = True) -> HardwareOutcome:
        """Candidates for this hardware, best (fewest node-hours per token) first."""
        key = (hw.key, prune)
        if key not in self.outcomes:
            ready = self.with_memo_ids(hw)
            outcome = evaluate_hardware(self, ready, prune=prune)
            if self.request.serving != "agg":
                from advisor.search.disagg import choose_serving

                outcome = choose_serving(self, ready, outcome)
            self.outcomes[key] = outcome
        return self.outcomes[key]

    def with_memo_ids(self, hw: Hardware) -> Hardware:
        """Small integer memo keys: replicas inside one node share results across inter fabrics."""
        base = (hw.accelerator.id, hw.efficiency.id, hw.tenancy_factor)
        one_node = single_node(hw.fabric)
        ids = self.memo_keys.setdefault((*base, one_node), len(self.memo_keys))
        joined = self.memo_keys.setdefault((*base, hw.fabric), len(self.memo_keys))
        return hw._replace(memo_ids=(ids, joined), one_node_fabric=one_node)


def evaluate_hardware(s: Searcher, hw: Hardware, *, prune: bool = True) -> HardwareOutcome:
    """Size every layout × precision on one hardware; keep the feasible ones, best first.

    With `prune`, a layout that cannot beat the best candidate found so far (see
    `_cannot_win`) is not sized further.
    """
    acc, request = hw.accelerator, s.request
    weights = weight_choices(acc, request.weights)
    if not weights:
        return HardwareOutcome((), precision_failure(acc, request))
    span = min(MAX_NODES_PER_REPLICA, hw.span_cap, hw.node_cap) if hw.joined else 1
    layouts = s.layouts(hw.fabric, span)
    candidates: list[Candidate] = []
    failures: list[Failure] = []
    misses: list[MemoryMiss] = []  # described only if no layout fits (most never are)
    best: Candidate | None = None
    for precision in (Precision(w, kv) for w in weights for kv in kv_choices(acc, request.kv_dtypes)):
        fit_nodes: int | None = None
        for layout in layouts:
            nodes_per_replica = -(-layout.gpus_per_replica // hw.fabric.gpus_per_node)
            if fit_nodes is not None and nodes_per_replica > NODE_SPAN_FACTOR * fit_nodes:
                break  # layouts come smallest first; far wider replicas only add node-hours
            outcome = size_layout(s, hw, layout, precision, best if prune else None)
            if isinstance(outcome, MemoryMiss):
                misses.append(outcome)
                continue
            if isinstance(outcome, Failure):
                failures.append(outcome)
            elif outcome is not None:  # None: pruned, but it did fit
                candidates.append(outcome)
                if best is None or sort_key(outcome) < sort_key(best):
                    best = outcome
            fit_nodes = nodes_per_replica if fit_nodes is None else min(fit_nodes, nodes_per_replica)
    candidates.sort(key=sort_key)
    if candidates:
        return HardwareOutcome(tuple(candidates), None)
    failures += [memory_failure(acc, m.layout, m.precision, m.memory, m.estimate) for m in misses]
    return HardwareOutcome((), closest_failure(failures))


class MemoryMiss(NamedTuple):
    """A layout that does not hold one sequence at full context (see `memory_failure`)."""

    layout: Layout
    precision: Precision
    memory: MemoryBreakdown
    estimate: Estimate | None = None


def size_layout(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, best: Candidate | None
) -> Candidate | Failure | MemoryMiss | None:
    """Size one layout: fit, load at the memory-limited batch, largest load within the targets.

    Returns None when pruned: it cannot beat `best` (see `_cannot_win`).
    """
    memory = s.memory(hw, layout, precision)
    if not memory.fits:
        return MemoryMiss(layout, precision, memory)
    # Concurrency per replica: each attention-DP rank (DEP) batches its own sequences.
    cap = max(1, min(memory.max_sequences, hw.efficiency.max_batch) * layout.dp)
    if s.request.concurrency is not None:
        cap = min(cap, s.request.concurrency)
    # Without a budget only the best candidate of a hardware counts, so a layout whose
    # throughput ceiling already loses is dropped before any estimate (its smallest unit
    # could not win either: the ceiling bounds every deployment of the layout per GPU).
    # With a budget, cheaper-but-worse candidates matter: the ceiling waits for the unit.
    early = s.request.max_usd_per_month is None
    if early and _ceiling_loses(s, hw, layout, precision, cap, best):
        return None
    smallest = _smallest_unit(s, hw, layout, precision, cap)
    if smallest is not None:
        return smallest
    if not early and _ceiling_loses(s, hw, layout, precision, cap, best):
        return None
    full = s.estimate(hw, layout, precision, s.load(concurrency=cap))
    if not full.fits:
        return MemoryMiss(layout, precision, full.memory, full)
    if best is not None and _cannot_win(s, hw, layout, precision, full.output_tokens_per_s,
                                        full.requests_per_s, best):
        return None
    if s.score(full) > 1:
        single = s.estimate(hw, layout, precision, s.load(concurrency=1))
        if not s.meets_targets(single):
            return latency_failure(s.request, layout, precision, single)

    def score(concurrency: int) -> float:
        return s.score(s.estimate(hw, layout, precision, s.load(concurrency=concurrency)))

    if s.request.request_rate is not None:
        return _deploy_rate(s, hw, layout, precision, full)
    return _deploy_concurrency(s, hw, layout, precision, largest_within(score, cap))


def _ceiling_loses(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, cap: int, best: Candidate | None
) -> bool:
    """Whether even the throughput ceiling cannot beat `best` (strictly), for any deployment
    of this layout. False when nothing fits at the memory-limited batch: the estimate says so.

    No replica's batch exceeds `cap`, nor the request's concurrency when one is given, and the
    ceiling grows with the batch, so the ceiling at the smaller of the two bounds them all.
    """
    if best is None or s.physics.throughput_ceiling is None:
        return False
    ceiling = s.ceiling(hw, layout, precision, s.load(concurrency=cap))
    if ceiling <= 0:
        return False
    users = s.request.concurrency
    if users is not None and users < cap:
        ceiling = s.ceiling(hw, layout, precision, s.load(concurrency=users))
    requests = ceiling / s.request.output_tokens
    return _cannot_win(s, hw, layout, precision, ceiling, requests, best, ties=False)


def _smallest_unit(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, cap: int
) -> Candidate | None:
    """The fewest whole nodes this layout needs, if they already serve the requested load.

    With a load given, no deployment of this layout is cheaper than its smallest unit (the
    nodes one replica needs, filled with replicas), so when that unit holds every sequence in
    memory and meets the targets, no search for the per-replica limit is needed.
    """
    r = s.request
    if r.concurrency is None and r.request_rate is None:
        return None
    per_node, gpus = hw.fabric.gpus_per_node, layout.gpus_per_replica
    nodes = -(-gpus // per_node)
    replicas = max(1, nodes * per_node // gpus)
    if r.concurrency is not None:
        replicas = min(replicas, r.concurrency)
        if -(-r.concurrency // replicas) > cap:
            return None
    load = s.load(concurrency=r.concurrency, rate=r.request_rate)
    deployed = dataclasses.replace(layout, replicas=replicas)
    est = s.estimate(hw, deployed, precision, load)
    if nodes > hw.node_cap or not s.meets_targets(est):
        return None
    return Candidate(deployed, precision, est, load, nodes, None,
                     "concurrency" if r.concurrency is not None else "rate")


def _cannot_win(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, tokens_per_s: float,
    requests_per_s: float, best: Candidate, *, ties: bool = True,
) -> bool:
    """Whether this layout cannot beat `best` under `sort_key` if one replica delivers at most
    `tokens_per_s` and `requests_per_s` (its estimate at the memory-limited batch, or a
    ceiling above that).

    Node-hours per output token are then at least gpus_per_replica / (gpus_per_node ×
    tokens/s). At a fixed request rate every deployment on the hardware serves the same
    tokens, so cost follows nodes, and the fewest nodes follow from the requests per second.
    Ties on that bound go on to the next keys of `sort_key` (precision, replica size), unless
    `ties` is False (a ceiling's tie says nothing about the estimate).
    """
    per_node = hw.fabric.gpus_per_node
    rate = s.request.request_rate
    if rate is None:
        best_cost = sort_key(best)[0]
        bound = layout.gpus_per_replica / (per_node * max(tokens_per_s, 1e-30))
    else:  # every deployment on this hardware serves the same rate: cost follows the nodes
        replicas = max(1, math.ceil(rate / max(requests_per_s, 1e-30) - 1e-9))
        best_cost = float(best.nodes)
        bound = float(-(-(replicas * layout.gpus_per_replica) // per_node))
    if bound > best_cost * (1 + 1e-9):
        return True
    if bound < best_cost * (1 - 1e-9) or not ties:
        return False
    mine = (weight_rank(precision.weights), layout.gpus_per_replica)
    theirs = (weight_rank(best.precision.weights), best.layout.gpus_per_replica)
    return mine > theirs


def _deploy_concurrency(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, per_replica: int
) -> Candidate | Failure:
    per_node, gpus = hw.fabric.gpus_per_node, layout.gpus_per_replica
    wanted = s.request.concurrency
    if wanted is None:  # one rentable unit, every replica in it at its largest load
        nodes = -(-gpus // per_node)
        replicas = max(1, nodes * per_node // gpus)
        total = per_replica * replicas
    else:
        needed = -(-wanted // per_replica)
        nodes = -(-(needed * gpus) // per_node)
        replicas = min(max(needed, nodes * per_node // gpus), wanted)  # use spare GPUs in paid nodes
        total = wanted
    return _finish(s, hw, layout, precision, replicas, nodes, s.load(concurrency=total),
                   per_replica, "concurrency")


def _deploy_rate(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, full: Estimate
) -> Candidate | Failure:
    """Largest request rate one replica serves within targets, then replicas for the total rate.

    The rate is searched on a grid of RATE_STEPS steps up to the replica's throughput at its
    memory-limited batch (which no open-loop rate can exceed).
    """
    top = full.requests_per_s

    def score(step: int) -> float:
        return s.score(s.estimate(hw, layout, precision, s.load(rate=top * step / RATE_STEPS)))

    if score(1) > 1:
        est = s.estimate(hw, layout, precision, s.load(rate=top / RATE_STEPS))
        return latency_failure(s.request, layout, precision, est)
    per_replica = top * largest_within(score, RATE_STEPS) / RATE_STEPS
    wanted = float(s.request.request_rate or 0.0)
    needed = max(1, math.ceil(wanted / per_replica - 1e-9))
    per_node, gpus = hw.fabric.gpus_per_node, layout.gpus_per_replica
    nodes = -(-(needed * gpus) // per_node)
    replicas = max(needed, nodes * per_node // gpus)
    return _finish(s, hw, layout, precision, replicas, nodes, s.load(rate=wanted), per_replica, "rate")


def _finish(
    s: Searcher, hw: Hardware, layout: Layout, precision: Precision, replicas: int, nodes: int,
    load: Load, per_replica: float, kind: str,
) -> Candidate | Failure:
    deployed = dataclasses.replace(layout, replicas=replicas)
    if nodes > hw.node_cap:
        return nodes_failure(s.request, hw.node_cap, deployed, precision, nodes, per_replica, kind)
    est = s.estimate(hw, deployed, precision, load)
    if not s.meets_targets(est):  # an uneven split of the load; one more replica settles it
        deployed = dataclasses.replace(layout, replicas=replicas + 1)
        nodes = -(-deployed.gpus // hw.fabric.gpus_per_node)
        if nodes > hw.node_cap:
            return nodes_failure(s.request, hw.node_cap, deployed, precision, nodes, per_replica, kind)
        est = s.estimate(hw, deployed, precision, load)
        if not s.meets_targets(est):
            return latency_failure(s.request, deployed, precision, est)
    return Candidate(deployed, precision, est, load, nodes, per_replica, kind)
