"""Finite benchmark protocols, for scoring the model against published measurements.

Serving benchmarks send a fixed number of requests, so their means differ from the steady
state `serving.estimate` predicts:

- `burst`: N requests arrive at once (request rate "inf"). Prefill runs first-come first-served
  at the batched prefill cost t_p, so the i-th request's first token comes after ≈ i·t_p; all N
  then decode together. Mean TTFT ≈ (N+1)/2·t_p plus one step; the run lasts N·t_p + (O−1)·TPOT.
  Beyond the batch cap, later requests wait for slots at the max-throughput rate.
  With a dataset's spread of output lengths (`spread`, e.g. ShareGPT), outputs are taken as
  exponential with the stated mean: the batch drains as requests finish, so the run ends with
  the longest output (≈ O·(ln n + γ) steps) at ever smaller, cheaper but less productive batches.
- `finite_closed_loop`: N requests from C clients, each sending its next request when the last
  one completes (`--max-concurrency C`). The run opens with all C requests at once, a burst whose
  i-th prompt waits for the i−1 before it (mean TTFT ≈ (C−1)/2·t_p plus its own step); their
  completions are then staggered by those prefills, so the later requests see the steady state
  of `serving.closed_loop`. Mean TTFT = (C·burst + (N−C)·steady)/N. On an engine that
  prefills in forwards of their own (`prefill_alone`, SGLang), nothing staggers them: each
  wave's prompts are prefilled together in forwards of up to a chunk's tokens before any of
  them decodes, all C finish at the same step and the next wave arrives at once, so with fixed
  lengths every wave repeats the first (lock-step). When output lengths vary (`lengths`
  uniform or exponential), the C slots desynchronise and the run ends in a tail: once the last
  request has started, the C requests in flight have the residual lengths of a renewal process
  (survival S_R(x) = ∫ₓ P(L > y) dy / E[L]) and the batch drains as they finish, at the cheaper
  steps of smaller batches and without prefills, until the longest is done. The run lasts
  N/λ − E[R]·TPOT + drain; TPOT is the token-weighted mean of the steady and the drain steps.
- `finite_open_loop`: N requests at rate λ. The run lasts ≈ (N−1)/min(λ, μ) plus one request's
  latency, so measured throughput is N·O over that time; when λ > μ the queue grows linearly
  and the mean wait is ≈ (N−1)/2·(1/μ − 1/λ). With a chat dataset's spread of output lengths
  the run does not end one request's latency after the last arrival but when the longest of
  the L = λ·latency requests then in flight is done: the same renewal-residual drain as the
  closed loop's tail, with L slots.

Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from advisor.core.deployment import Deployment, Setup, prepare
from advisor.core.memory import PREFILL_CHUNK_TOKENS
from advisor.core.serving import Operating, closed_loop, max_throughput, open_loop, replica_setup


class RunResult(NamedTuple):
    """Means a finite benchmark run reports, for the whole deployment."""

    requests_per_s: float
    output_tokens_per_s: float
    total_tokens_per_s: float
    ttft_s: float
    itl_s: float
    fits: bool = True


def _result(setup: Setup, replicas: int, requests: float, duration_s: float, ttft_s: float,
            itl_s: float) -> RunResult:
    rate = requests / duration_s * replicas
    return RunResult(
        requests_per_s=rate,
        output_tokens_per_s=rate * setup.osl,
        total_tokens_per_s=rate * (setup.isl + setup.osl),
        ttft_s=ttft_s,
        itl_s=itl_s,
    )


def _no_fit() -> RunResult:
    return RunResult(0.0, 0.0, 0.0, math.inf, math.inf, fits=False)


EULER_GAMMA = 0.5772156649
DRAIN_SLICES = 48


def _drain(setup: Setup, n: float, mean_out: float) -> tuple[float, float]:
    """(seconds, token-weighted mean step) to decode `n` requests started together whose output
    lengths are exponential with mean `mean_out`: n·e^(−t/O) remain after t steps, until the
    expected longest one ends at O·(ln n + γ)."""
    end = mean_out * (math.log(max(n, 1.0)) + EULER_GAMMA) if n > 1 else mean_out
    dt = end / DRAIN_SLICES
    seconds = tokens = weighted = 0.0
    for k in range(DRAIN_SLICES):
        batch = max(n * math.exp(-(k + 0.5) * dt / mean_out), 1.0)
        step = setup.step.tpot(batch)
        seconds += step * dt
        tokens += batch * dt
        weighted += batch * dt * step
    return seconds, (weighted / tokens if tokens else 0.0)


def burst(
    d: Deployment,
    *,
    requests: int,
    memory_fraction: float = 0.9,
    spread: bool = False,
) -> RunResult:
    """`requests` arriving at once, split evenly over the replicas (`spread`: output lengths
    vary as in a chat dataset, exponential around the mean)."""
    setup = prepare(d, memory_fraction=memory_fraction)
    layout = d.layout
    if setup.batch_cap < 1:
        return _no_fit()
    n = requests / layout.replicas
    decode = setup.decode_tokens
    t_p = setup.prefill_gpu_s
    admitted = min(n, float(setup.batch_cap))
    step = setup.step.tpot(admitted)
    first = setup.first(0.0) + setup.plan.t_request_s
    prefill_all = admitted * t_p
    if spread and decode > 0:
        drain_s, step = _drain(setup, admitted, float(decode))
        duration = prefill_all + drain_s + first
    else:
        duration = prefill_all + decode * step + first
    ttft = (admitted + 1) / 2.0 * t_p + first
    if n > admitted:
        full: Operating = max_throughput(setup)
        extra = n - admitted
        duration += extra / full.requests_per_s
        waiting = extra / (2.0 * full.requests_per_s) + prefill_all
        ttft = (admitted * ttft + extra * (waiting + full.ttft_s)) / n
    if spread and decode:  # the drained steps plus the prefill time that fell inside decoding
        itl = step + max(prefill_all - (admitted + 1) / 2.0 * t_p, 0.0) / decode
    else:
        itl = (duration - ttft) / decode if decode else 0.0
    return _result(setup, layout.replicas, n, duration, ttft, itl)


def finite_open_loop(
    d: Deployment,
    *,
    requests: int,
    memory_fraction: float = 0.9,
    lengths: str = "fixed",
) -> RunResult:
    """`requests` arriving at `d.load.rate` per second (whole deployment); with `lengths`
    'uniform' or 'exponential' the run ends in the drain of the requests in flight."""
    load = d.load
    assert load.rate is not None
    setup = prepare(d, memory_fraction=memory_fraction)
    layout = d.layout
    if setup.batch_cap < 1:
        return _no_fit()
    n = requests / layout.replicas
    rate = load.rate / layout.replicas
    decode = setup.decode_tokens
    op = open_loop(setup, rate)
    if op.saturated:
        full = max_throughput(setup)
        wait = (n - 1) / 2.0 * (1.0 / full.requests_per_s - 1.0 / rate)
        ttft = full.ttft_s + max(wait, 0.0)
        duration = (n - 1) / full.requests_per_s + full.ttft_s + decode * full.tpot_s
        return _result(setup, layout.replicas, n, duration, ttft, full.tpot_s)
    last = decode * op.tpot_s  # the last request's decode, when every output is as long
    if lengths != "fixed" and decode > 0:
        # the requests in flight when the last arrives (Little's law) drain as they finish
        in_flight = max(rate * (op.ttft_s + last), 1.0)
        last = max(_tail(setup, in_flight, lengths).seconds, last)
    duration = (n - 1) / rate + op.ttft_s + last
    return _result(setup, layout.replicas, n, duration, op.ttft_s, op.tpot_s)


def _residual_survival(lengths: str, mean: float) -> tuple[Callable[[float], float], float, float]:
    """(S_R, E[R], the longest residual) of the lengths still to decode, in tokens, for the
    requests in flight at a random moment of a steady run whose output lengths (mean `mean`)
    are uniform on [0, 2·mean] or exponential."""
    if lengths == "uniform":
        top = 2.0 * mean
        return (lambda x: (1.0 - x / top) ** 2 if x < top else 0.0), top / 3.0, top
    return (lambda x: math.exp(-x / mean)), mean, mean * 12.0


class _Tail(NamedTuple):
    seconds: float  # from the last request's start to the end of the run
    tokens: float  # decoded in that time
    token_seconds: float  # Σ over those tokens of the step each was decoded in
    mean_residual: float  # E[R], tokens each request in flight still had to decode


def _tail(setup: Setup, slots: float, lengths: str) -> _Tail:
    """The drain that ends a run of varying lengths: `slots` requests in flight with residual
    lengths R; x tokens in, any is still running with probability 1 − (1 − S_R(x))^slots, and
    then slots·S_R(x) / that probability of them are decoding."""
    survival, mean_r, top = _residual_survival(lengths, float(setup.decode_tokens))
    dx = top / DRAIN_SLICES
    seconds = tokens = token_seconds = 0.0
    for k in range(DRAIN_SLICES):
        s = survival((k + 0.5) * dx)
        running = 1.0 - (1.0 - s) ** slots
        if running <= 1e-9:
            break
        step = setup.step.tpot(max(slots * s / running, 1.0))
        seconds += running * step * dx
        tokens += slots * s * dx
        token_seconds += slots * s * dx * step
    return _Tail(seconds, tokens, token_seconds, mean_r)


def finite_closed_loop(
    d: Deployment,
    *,
    requests: int,
    memory_fraction: float = 0.9,
    lengths: str = "fixed",
    drain: bool = True,
) -> RunResult:
    """`requests` sent by `d.load.concurrency` clients with no think time: the first wave
    (one per client, within the batch cap) arrives at once, the rest at the steady state;
    with `lengths` 'uniform' or 'exponential' the run ends in a drain (see the module), unless
    `drain` is off (the steady state to the end)."""
    setup, per_replica = replica_setup(d, memory_fraction)
    ranks = d.layout.attention_ranks
    if setup.batch_cap < 1 or per_replica is None:
        return _no_fit()
    decode = setup.decode_tokens
    if lengths == "fixed" and setup.plan.prefill_alone and decode > 0 and per_replica <= setup.batch_cap:
        return _lockstep(setup, per_replica, ranks)
    op = closed_loop(setup, per_replica)
    n = max(requests / ranks, per_replica)
    wave = min(per_replica, float(setup.batch_cap))
    burst_ttft = (wave - 1.0) / 2.0 * setup.prefill_gpu_s + setup.first(0.0) + setup.plan.t_request_s
    ttft = (wave * max(burst_ttft, op.ttft_s) + (n - wave) * op.ttft_s) / n
    per_rank, itl = op.requests_per_s, op.tpot_s
    if drain and lengths != "fixed" and decode > 0 and n > wave:
        tail = _tail(setup, wave, lengths)
        per_rank = n / (n / op.requests_per_s - tail.mean_residual * op.tpot_s + tail.seconds)
        itl = ((n * decode - tail.tokens) * op.tpot_s + tail.token_seconds) / (n * decode)
    rate = per_rank * ranks
    return RunResult(
        requests_per_s=rate,
        output_tokens_per_s=rate * setup.osl,
        total_tokens_per_s=rate * (setup.isl + setup.osl),
        ttft_s=ttft,
        itl_s=itl,
    )


def _lockstep(setup: Setup, wave: float, ranks: int) -> RunResult:
    """A closed loop of fixed lengths on an engine that prefills alone: each cycle, the `wave`
    prompts arrive together and are prefilled in forwards of up to a chunk's tokens (each one
    a lone forward's weight read and overheads plus its prompts' compute), the first tokens
    coming at the end of each prompt's forward; then all decode `decode_tokens` steps at the
    full batch. TTFT is the mean over the forwards; ITL the rest of the cycle per token."""
    decode = setup.decode_tokens
    together = max(1.0, min(wave, math.floor(PREFILL_CHUNK_TOKENS / max(setup.prefill_tokens, 1.0))))
    forwards = math.ceil(wave / together)
    forward = setup.alone_extra_s + together * setup.prefill_gpu_s
    ttft = setup.plan.t_request_s + (forwards + 1) / 2.0 * forward
    cycle = setup.plan.t_request_s + forwards * forward + decode * setup.step.tpot(wave)
    return _result(setup, ranks, wave, cycle, ttft, (cycle - ttft) / decode)
