"""Properties over random valid inputs: no prediction beats the roofline (η = 1, no overhead),
more context never needs less memory, more bandwidth never slows a token down."""

from __future__ import annotations

import dataclasses
import math

from core_fixtures import GPUS, IDEAL, MODELS, factors
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from advisor.core.deployment import Deployment
from advisor.core.fabric import fabric_for_gpu
from advisor.core.layouts import layout_reason
from advisor.core.memory import kv_bytes_per_sequence_per_gpu, memory_breakdown
from advisor.core.params import breakdown, shape
from advisor.core.serving import estimate, throughput_ceiling
from advisor.core.types import Layout, Load, Precision

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@st.composite
def deployments(draw):
    model = draw(st.sampled_from(MODELS))
    acc = draw(st.sampled_from(GPUS))
    tp = draw(st.sampled_from([1, 2, 4, 8]))
    pp = draw(st.sampled_from([1, 1, 2, 4]))
    experts = shape(model).experts
    ep = draw(st.sampled_from([1, tp] if experts and experts % tp == 0 else [1]))
    layout = Layout(tp=tp, pp=pp, ep=ep, replicas=draw(st.integers(1, 3)))
    assume(layout_reason(model, layout, fabric_for_gpu(acc, layout.gpus)) is None)
    precision = Precision(draw(st.sampled_from(["bf16", "fp8", "int4", "fp4"])),
                          draw(st.sampled_from(["bf16", "fp8"])))
    isl = draw(st.integers(1, 32_000))
    osl = draw(st.integers(1, 4_000))
    mode = draw(st.sampled_from(["closed", "open", "max"]))
    load = Load(isl, osl,
                concurrency=draw(st.integers(1, 2_000)) if mode == "closed" else None,
                rate=draw(st.floats(0.01, 200.0)) if mode == "open" else None)
    eff = factors(eta_mem=draw(st.floats(0.2, 1.0)), eta_compute=draw(st.floats(0.1, 1.0)),
                  eta_prefill=draw(st.floats(0.1, 1.0)), alpha_s=draw(st.floats(0.0, 2e-5)),
                  t_fixed_s=draw(st.floats(0.0, 5e-3)), t_request_s=draw(st.floats(0.0, 0.05)),
                  max_batch=draw(st.sampled_from([64, 256, 2048])))
    return model, acc, layout, precision, load, eff


def _run(model, acc, layout, precision, load, eff):
    return estimate(Deployment(model=model, accelerator=acc, fabric=fabric_for_gpu(acc, layout.gpus),
                               layout=layout, precision=precision, load=load, factors=eff))


@SETTINGS
@given(deployments())
def test_no_prediction_beats_the_roofline(case) -> None:
    model, acc, layout, precision, load, eff = case
    real = _run(*case)
    ideal = _run(model, acc, layout, precision, load,
                 factors(max_batch=eff.max_batch, t_request_s=0.0, **IDEAL))
    assert real.output_tokens_per_s <= ideal.output_tokens_per_s * (1 + 1e-9)
    if not real.fits:
        return
    if load.concurrency is None:
        # In a closed loop, off-GPU overhead (t_request) lowers the load the GPU sees, so the
        # latencies are compared with the independent bounds below only.
        assert real.tpot_s >= ideal.tpot_s * (1 - 1e-9)
        assert real.ttft_s >= ideal.ttft_s * (1 - 1e-9)
    # Independent bounds: every output token costs 2 FLOPs per active parameter on chips that
    # at best run their fastest dtype; every token crosses each stage, which reads its share of
    # the dense weights at full HBM bandwidth.
    p = breakdown(model)
    s = shape(model)
    active = s.active_body + (p.lm_head or p.embedding)
    peak = max(acc.dense_flops_per_s.values())
    assert ideal.output_tokens_per_s <= layout.gpus * peak / (2 * active) * (1 + 1e-9)
    dense_read = p.non_expert_body * 0.53 / (layout.tp * layout.pp)  # ≥ 4.25 bits per weight
    if load.osl > 1:  # a one-token answer has no decode step
        assert ideal.tpot_s >= layout.pp * dense_read / acc.hbm_bytes_per_s * (1 - 1e-9)
    first = 2 * s.active_body * load.isl / (layout.tp * layout.pp * peak)
    assert ideal.ttft_s >= first * (1 - 1e-9)


@SETTINGS
@given(deployments(), st.integers(1, 200_000), st.integers(1, 200_000))
def test_more_context_never_needs_less_memory(case, c1, c2) -> None:
    model, acc, layout, precision, _, _ = case
    short, long_ = sorted((c1, c2))
    s = shape(model)
    assert kv_bytes_per_sequence_per_gpu(s, layout, precision.kv, short) <= \
        kv_bytes_per_sequence_per_gpu(s, layout, precision.kv, long_)
    a = memory_breakdown(model, acc, layout, precision, context=short, sequences=4, memory_fraction=0.9)
    b = memory_breakdown(model, acc, layout, precision, context=long_, sequences=4, memory_fraction=0.9)
    assert a.kv_needed_bytes_per_gpu <= b.kv_needed_bytes_per_gpu
    assert a.max_sequences >= b.max_sequences
    assert b.fits <= a.fits  # fitting a long context implies fitting a shorter one


@SETTINGS
@given(deployments(), st.floats(1.01, 4.0))
def test_more_bandwidth_never_raises_tpot(case, scale) -> None:
    model, acc, layout, precision, load, eff = case
    faster = dataclasses.replace(acc, hbm_bytes_per_s=acc.hbm_bytes_per_s * scale)
    slow, fast = _run(*case), _run(model, faster, layout, precision, load, eff)
    assume(slow.fits)
    if slow.saturated:
        assert fast.output_tokens_per_s >= slow.output_tokens_per_s * (1 - 1e-9)
        return
    assert not fast.saturated
    assert fast.output_tokens_per_s >= slow.output_tokens_per_s * (1 - 1e-6)
    decoding = (slow.output_tokens_per_s * slow.tpot_s, fast.output_tokens_per_s * fast.tpot_s)  # Little
    if load.concurrency is not None and decoding[1] > decoding[0] * (1 + 1e-9):
        # Closed loop: a faster prompt phase leaves more of the users decoding at once, and a
        # compute-bound step grows with its batch; TPOT may rise only through that larger batch.
        return
    assert fast.tpot_s <= slow.tpot_s * (1 + 1e-6)
    assert math.isfinite(fast.ttft_s)


@SETTINGS
@given(deployments(), st.floats(0.5, 1.0))
def test_the_throughput_ceiling_is_never_below_the_estimate(case, tenancy) -> None:
    model, acc, layout, precision, load, eff = case
    assume(load.concurrency is not None)  # the search bounds closed-loop estimates
    fabric = fabric_for_gpu(acc, layout.gpus)
    d = Deployment(model=model, accelerator=acc, fabric=fabric, layout=layout, precision=precision,
                   load=load, factors=eff)
    est = estimate(d, tenancy_factor=tenancy)
    ceiling = throughput_ceiling(d, tenancy_factor=tenancy)
    assert (ceiling == 0.0) == (not est.fits)
    assert est.output_tokens_per_s <= ceiling * (1 + 1e-9)


def test_one_user_decodes_alone_whatever_the_bandwidth() -> None:
    """Regression (found by the property above): one closed-loop user used to decode at the
    time-average batch (under 1, the time spent in prefill left out) and to be slowed by its
    own prefill, so doubling the bandwidth raised its TPOT (3.22 → 3.75 ms). Its own prefill
    never runs during its decode: it steps in a batch of exactly 1."""
    model = next(m for m in MODELS if m.id == "llama-3.1-8b")
    acc = next(a for a in GPUS if a.id == "h100-sxm")
    eff = factors(eta_mem=0.5, eta_compute=0.1, eta_prefill=0.5, alpha_s=0.0, t_fixed_s=0.0,
                  t_request_s=0.0, max_batch=256)
    layout, precision = Layout(tp=1, pp=1, ep=1, replicas=1), Precision("int4", "bf16")
    load = Load(10, 3, concurrency=1)
    slow = _run(model, acc, layout, precision, load, eff)
    fast = _run(model, dataclasses.replace(acc, hbm_bytes_per_s=2 * acc.hbm_bytes_per_s), layout, precision, load, eff)
    assert fast.tpot_s <= slow.tpot_s
    assert fast.ttft_s < slow.ttft_s
