"""Steady-state serving under continuous batching: closed loop, open loop, max throughput.

GPU-time conservation per replica (model.md §2): each request costs `t_p` of batched prefill
time plus its share of decode steps. Prefill steals that time from decoding, so with request
rate λ the prefill share is ρ = λ·t_p and TPOT = step(B) / (1 − ρ), where the decode batch B
follows Little's law, B = λ·(O−1)·TPOT. On an engine that prefills new prompts in forwards
of their own (SGLang), t_p also carries a lone forward's weight read and overheads, shared by
the B/(O−1) prompts that arrive within one decode step (`Setup.prompt_gpu_s`).

- closed loop (`load.concurrency`, total over replicas): C users with no think time;
  λ = C / (TTFT + (O−1)·TPOT). Users beyond the KV/batch capacity wait for a slot.
- open loop (`load.rate`): λ given. Prefill is an M/D/1 server of service time t_p and
  utilisation ρ: TTFT adds the mean wait ρ·t_p / (2(1 − ρ)). When no batch within capacity
  keeps up, the replica is saturated: TTFT is unbounded (inf) and throughput is the maximum.
- max throughput (neither): B grows to min(engine cap, KV capacity at the full context).

Tenancy multiplies throughput and divides into latencies. Pure; no I/O, pint, rich, textual.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType
from typing import NamedTuple

from advisor.core.collectives import with_collectives
from advisor.core.comms import interconnect
from advisor.core.deployment import Deployment, Setup, prepare
from advisor.core.efficiency import as_dict
from advisor.core.types import Estimate, Layout, Load
from advisor.domain import EfficiencyFactors
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

MAX_PREFILL_SHARE = 0.98  # beyond this the open loop is treated as saturated


class Operating(NamedTuple):
    """A solved operating point of one replica (before tenancy)."""

    batch: float
    requests_per_s: float
    ttft_s: float
    tpot_s: float
    step_s: float  # decode step without prefill interference
    prefill_share: float
    bound: str
    saturated: bool = False


def _cap_bound(setup: Setup) -> str:
    return "kv-capacity" if setup.batch_cap == setup.parts.max_sequences else "batch-cap"


def max_throughput(setup: Setup) -> Operating:
    """Batch at the cap: KV capacity at the full context or the engine's batch limit."""
    b = float(setup.batch_cap)
    step = setup.step.tpot(b)
    prompt = setup.prompt_gpu_s(b)
    per_request = prompt + setup.decode_tokens * step / b
    rate = 1.0 / per_request
    share = rate * prompt
    if setup.decode_tokens == 0:
        tpot = step  # one output token: no inter-token gap to stretch; report the bare step
    else:
        tpot = step / (1.0 - share) if share < 1.0 else math.inf
    ttft = setup.plan.t_request_s + setup.first(b)
    return Operating(b, rate, ttft, tpot, step, share, _cap_bound(setup))


def _step_bound(setup: Setup, batch: float, share: float) -> str:
    if share > 0.5:
        return "prefill"
    st = setup.step
    micro = batch / setup.plan.pp
    w, gemm, kv, attn = st.terms(micro)
    kernels = st.kernels(micro)
    terms = {
        "memory": kernels if w + kv >= gemm + attn else 0.0,
        "compute": kernels if gemm + attn > w + kv else 0.0,
        "communication": st.comm(micro * st.verify_tokens),
        "overhead": st.t_fixed_s,
    }
    return max(terms, key=terms.__getitem__)


def _md1_wait_s(share: float, service_s: float) -> float:
    """Mean wait in an M/D/1 queue of utilisation `share` and service time `service_s`."""
    return share * service_s / (2.0 * (1.0 - share))


def ttft_s(setup: Setup, batch: float, tpot: float, share: float) -> float:
    """Request overhead + prefill queue wait + the rest of the step in flight + the first step.

    New requests join at iteration boundaries, so one arriving while B sequences decode waits
    half a step on average (min(1, B) is the chance a step is in flight).
    """
    first = setup.first(batch)
    residual = 0.5 * tpot * min(1.0, batch)
    return setup.plan.t_request_s + _md1_wait_s(share, setup.prompt_gpu_s(batch)) + residual + first


def _closed_point(setup: Setup, batch: float, users: float) -> tuple[float, float, float, float, float]:
    """For a decode batch B of `users` cycling users: (users implied, λ, TTFT, TPOT, prefill share).

    From B = λ·n·TPOT and ρ = λ·t_p with TPOT = step(B)/(1 − ρ): ρ = x/(1 + x) where
    x = B·t_p/(n·step(B)); the users are then λ·(TTFT + n·TPOT) = B·(1 + TTFT/(n·TPOT)).
    A user's own prefill comes before its decode, never during it (nor ahead of it in the
    queue): only the other users' prefills interrupt it, the share 1 − 1/users of them. For
    the same reason a decoding sequence steps in a batch of itself plus the others decoding,
    1 + B·(1 − 1/users), not the time-average B (which counts the time it spends in prefill).
    """
    n = setup.decode_tokens
    step = setup.step.tpot(_seen_batch(setup, batch, users))
    others = 1.0 - 1.0 / users if users > 1.0 else 0.0
    x = batch * setup.prompt_gpu_s(batch) / (n * step) * others
    share = x / (1.0 + x)
    tpot = step * (1.0 + x)
    rate = batch / (n * tpot)
    ttft = ttft_s(setup, batch, tpot, share)
    return batch * (1.0 + ttft / (n * tpot)), rate, ttft, tpot, share


def _seen_batch(setup: Setup, batch: float, users: float) -> float:
    """The decode batch a decoding sequence is part of: itself plus the others decoding, within
    the engine's batch cap."""
    seen = 1.0 + batch * (1.0 - 1.0 / users) if users > 1.0 else 1.0
    return min(seen, max(float(setup.batch_cap), batch))


def closed_loop(setup: Setup, users: float) -> Operating:
    """`users` per replica cycling request → response with no think time."""
    n = setup.decode_tokens
    if n == 0:
        return _closed_prefill_only(setup, users)
    cap = float(setup.batch_cap)
    at_cap = _closed_point(setup, cap, users)
    if users >= at_cap[0]:
        return _closed_saturated(setup, users)
    # users_implied(B) − users rises with B from −users at B = 0: find its root. Points are
    # kept by batch, so the root's point (always the last one evaluated) is not recomputed.
    hi = min(users, cap)
    points = {cap: at_cap}

    def excess(b: float) -> float:
        point = points[b] = _closed_point(setup, b, users)
        return point[0] - users

    f_hi = points[hi][0] - users if hi in points else excess(hi)
    batch = _illinois(excess, 0.0, -users, hi, f_hi)
    _, rate, ttft, tpot, share = points.get(batch) or _closed_point(setup, batch, users)
    step = setup.step.tpot(_seen_batch(setup, batch, users))
    return Operating(batch, rate, ttft, tpot, step, share, _step_bound(setup, batch, share))


def _illinois(f: Callable[[float], float], lo: float, f_lo: float, hi: float, f_hi: float) -> float:
    """Root of an increasing f on [lo, hi] (f_lo ≤ 0 ≤ f_hi) by the Illinois false position."""
    if f_hi <= 0.0:
        return hi
    side = 0
    x = hi
    for _ in range(60):
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        fx = f(x)
        if abs(fx) <= 1e-7 * max(abs(f_lo), abs(f_hi), 1.0) or hi - lo <= 1e-9 * hi:
            return x
        if fx > 0.0:
            hi, f_hi = x, fx
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = x, fx
            if side == -1:
                f_hi *= 0.5
            side = -1
    return x


rising_root = _illinois  # the same root finder for the disaggregated pools (core/disagg.py)


def _closed_saturated(setup: Setup, users: float) -> Operating:
    """More users than slots: the batch sits at the cap and the rest wait (Little's law)."""
    full = max_throughput(setup)
    cycle = users / full.requests_per_s
    ttft = max(full.ttft_s, cycle - setup.decode_tokens * full.tpot_s)
    return Operating(full.batch, full.requests_per_s, ttft, full.tpot_s, full.step_s,
                     full.prefill_share, full.bound)


def _closed_prefill_only(setup: Setup, users: float) -> Operating:
    """osl = 1: requests are all prefill; users queue on the prefill server."""
    t_p = setup.prefill_gpu_s
    first = setup.plan.t_request_s + setup.first(0.0)
    rate = min(users / first, 1.0 / t_p)
    share = rate * t_p
    ttft = max(first, users / rate)
    return Operating(0.0, rate, ttft, 0.0, 0.0, share, "prefill")


def _solve_open_batch(setup: Setup, rate: float, share: float) -> float | None:
    """B with B = rate·n·tpot(B)/(1−ρ) within the cap, or None (saturated)."""
    c = rate * setup.decode_tokens / (1.0 - share)
    if c == 0.0:
        return 0.0
    tpot, cap = setup.step.tpot, float(setup.batch_cap)
    if c * tpot(cap) > cap:
        return None
    # g(B) = B − c·tpot(B) is negative at 0 and non-negative at the cap.
    def g(batch: float) -> float:
        return batch - c * tpot(batch)

    return _illinois(g, 0.0, g(0.0), cap, cap - c * tpot(cap))


def open_loop(setup: Setup, rate: float) -> Operating:
    """Requests arriving at `rate` per second to one replica."""
    share = rate * setup.prefill_gpu_s
    batch = _solve_open_batch(setup, rate, share) if share < MAX_PREFILL_SHARE else None
    for _ in range(3 if setup.plan.prefill_alone else 0):  # the prompt's cost depends on the batch
        if batch is None:
            break
        share = rate * setup.prompt_gpu_s(batch)
        batch = _solve_open_batch(setup, rate, share) if share < MAX_PREFILL_SHARE else None
    if batch is None:
        full = max_throughput(setup)
        return Operating(full.batch, full.requests_per_s, math.inf, full.tpot_s, full.step_s,
                         full.prefill_share, "saturated", saturated=True)
    step = setup.step.tpot(batch)
    tpot = step / (1.0 - share)
    ttft = ttft_s(setup, batch, tpot, share)
    return Operating(batch, rate, ttft, tpot, step, share, _step_bound(setup, batch, share))


def replica_setup(d: Deployment, memory_fraction: float) -> tuple[Setup, float | None]:
    """One replica's `Setup` and its share of a closed-loop load's users (None otherwise); the
    logits workspace is sized for those users, or for the engine's batch cap."""
    concurrency = d.load.concurrency
    users = concurrency / d.layout.attention_ranks if concurrency is not None else None
    rows = max(1, math.ceil(users)) if users is not None else None
    return prepare(d, memory_fraction=memory_fraction, logit_rows=rows), users


def estimate(
    d: Deployment,
    *,
    tenancy_factor: float = 1.0,
    memory_fraction: float = 0.9,
    comm_share_target: float = 0.10,
) -> Estimate:
    """What a well-run engine achieves for this deployment and load (see module docstring)."""
    if not 0.0 < tenancy_factor <= 1.5 or not 0.0 < memory_fraction <= 1.0:
        raise AdvisorError("tenancy_factor must be in (0, 1.5] and memory_fraction in (0, 1]",
                           exit_code=EXIT_BAD_INPUT)
    load, replicas = d.load, d.layout.attention_ranks
    setup, users = replica_setup(d, memory_fraction)
    if setup.batch_cap < 1:
        return _no_fit(setup, d.factors, tenancy_factor, load)
    if users is not None:
        op, mode = closed_loop(setup, users), "closed-loop"
    elif load.rate is not None:
        op, mode = open_loop(setup, load.rate / replicas), "open-loop"
    else:
        op, mode = max_throughput(setup), "max-throughput"
    return assemble(setup, op, d.factors, d.layout, mode, tenancy_factor, comm_share_target, load)


def throughput_ceiling(
    d: Deployment,
    *,
    tenancy_factor: float = 1.0,
    memory_fraction: float = 0.9,
) -> float:
    """An upper bound on `estimate(d)`'s output tokens/s for the same arguments, without
    solving for the operating point; 0.0 exactly when `estimate` finds that nothing fits.

    A replica's decode batch never exceeds its cap (nor its share of a closed-loop load's users),
    a request's tokens take at least its decode steps (prefill only adds time), and
    batch / step(batch) never falls as the batch grows (every step term is a constant, linear,
    or concave in the batch), so a replica delivers at most B × osl / ((osl − 1) × step(B))
    tokens/s with B the smaller of the two. The search prunes layouts with it.
    """
    setup, users = replica_setup(d, memory_fraction)
    if setup.batch_cap < 1:
        return 0.0
    if setup.decode_tokens == 0:
        return math.inf
    batch = float(setup.batch_cap) if users is None else min(users, float(setup.batch_cap))
    per_replica = batch * setup.osl / (setup.decode_tokens * setup.step.tpot(batch))
    return per_replica * d.layout.attention_ranks * tenancy_factor


def assemble(
    setup: Setup,
    op: Operating,
    eff: EfficiencyFactors,
    layout: Layout,
    mode: str,
    tenancy_factor: float,
    comm_share_target: float,
    load: Load,
) -> Estimate:
    """Turn a replica operating point into the deployment-wide `Estimate`."""
    plan = setup.plan
    replicas = layout.attention_ranks
    micro = op.batch / plan.pp
    w, gemm, kv, attn = setup.step.terms(micro)
    stage_step = setup.step.stage(micro)
    link = interconnect(
        link=plan.tp_link,
        allreduces=plan.allreduces,
        message_bytes=micro * plan.hidden * 2.0,
        tp=plan.tp,
        alpha_s=plan.alpha_s,
        step_s=stage_step,
        target_share=comm_share_target,
    )
    link = with_collectives(link, setup.step, micro, stage_step)
    out = op.requests_per_s * setup.osl * replicas * tenancy_factor
    sequences = max(1, math.ceil(op.batch))
    notes = []
    if mode == "max-throughput":
        notes.append("max-throughput: TTFT is for an admitted request; queueing is unbounded")
    if op.saturated:
        notes.append("open loop saturated: the rate exceeds capacity; TTFT grows without bound")
    return Estimate(
        memory=setup.parts.breakdown(min(sequences, max(setup.batch_cap, 1))),
        batch=sequences,
        output_tokens_per_s=out,
        total_tokens_per_s=out * (setup.isl + setup.osl) / setup.osl,
        ttft_s=op.ttft_s / tenancy_factor,
        tpot_s=op.tpot_s / tenancy_factor,
        prefill_s=(plan.t_request_s + setup.first(0.0)) / tenancy_factor,
        decode_step_s=op.step_s / tenancy_factor,
        interconnect=link,
        bound=op.bound,
        factors=MappingProxyType(as_dict(eff)),
        factor_source=f"{eff.id}: {eff.source}",
        notes=tuple(notes),
        mode=mode,
        saturated=op.saturated,
        requests_per_s=op.requests_per_s * replicas * tenancy_factor,
        prefill_share=op.prefill_share,
        tenancy_factor=tenancy_factor,
        compute_dtype=plan.compute_dtype,
        t_mem_s=w + kv,
        t_compute_s=gemm + attn,
        stage_parts_s=(w, gemm, kv, attn),
        stage_comm_s=setup.step.exposed_comm(micro * setup.step.verify_tokens, setup.step.kernels(micro)),
        stage_fixed_s=setup.step.t_fixed_s,
        stage_host_s=plan.t_seq_s * micro,
        host_overlap=plan.host_overlap,
        fits=True,
        ttft_p90_s=_ttft_p90(setup, op, load, tenancy_factor),
        prefill_tokens=setup.prefill_tokens,
    )


def _ttft_p90(setup: Setup, op: Operating, load: Load, tenancy_factor: float) -> float | None:
    """TTFT of a 90th-percentile prompt: the mean prompt's TTFT with that prompt's first step(s)
    in place of the mean prompt's (the queue ahead of it is the same)."""
    if load.isl_p90 is None or not math.isfinite(op.ttft_s):
        return None
    longer = setup.first_for(load.isl_p90, op.batch) - setup.first(op.batch)
    return (op.ttft_s + longer) / tenancy_factor


def _no_fit(setup: Setup, eff: EfficiencyFactors, tenancy_factor: float, load: Load) -> Estimate:
    """An estimate for a deployment where not even one sequence fits: zero throughput."""
    plan = setup.plan
    link = interconnect(link=plan.tp_link, allreduces=plan.allreduces, message_bytes=0.0,
                        tp=plan.tp, alpha_s=plan.alpha_s, step_s=1.0, target_share=0.1)
    return Estimate(
        memory=setup.parts.breakdown(1),
        batch=0,
        output_tokens_per_s=0.0,
        total_tokens_per_s=0.0,
        ttft_s=math.inf,
        tpot_s=math.inf,
        prefill_s=math.inf,
        decode_step_s=math.inf,
        interconnect=link,
        bound="does-not-fit",
        factors=as_dict(eff),
        factor_source=f"{eff.id}: {eff.source}",
        notes=("weights + workspace leave no room for one sequence's KV cache",),
        mode="closed-loop" if load.concurrency else ("open-loop" if load.rate else "max-throughput"),
        tenancy_factor=tenancy_factor,
        compute_dtype=plan.compute_dtype,
        fits=False,
    )
