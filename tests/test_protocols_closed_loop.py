"""Finite benchmark replays (`advisor.core.protocols`): how a closed-loop run of N requests
from C clients differs from the steady state, by hand."""

from __future__ import annotations

import pytest
from core_fixtures import H100, LLAMA_70B, factors

from advisor.core.fabric import fabric_for_gpu
from advisor.core.types import Layout, Precision

FP8 = Precision("fp8", "fp8")


def _closed(users: int, isl: int = 1024, osl: int = 256):
    from advisor.core.deployment import Deployment
    from advisor.core.types import Load

    return Deployment(model=LLAMA_70B, accelerator=H100, fabric=fabric_for_gpu(H100, 8),
                      layout=Layout(tp=8), precision=FP8,
                      load=Load(isl=isl, osl=osl, concurrency=users), factors=factors())


def test_a_closed_loop_run_opens_with_every_client_at_once_by_hand() -> None:
    # bug: a `--max-concurrency 64` run of 128 requests of 30k tokens measured a 15.7 s mean
    # TTFT and the model said 2.2 s, the steady state's: the first 64 prompts arrive together
    from advisor.core.deployment import prepare
    from advisor.core.protocols import finite_closed_loop
    from advisor.core.serving import closed_loop, estimate

    d = _closed(64)
    setup = prepare(d, memory_fraction=0.9)
    t_p, first, t_req = setup.prefill_gpu_s, setup.first(0.0), setup.plan.t_request_s
    steady = closed_loop(setup, 64.0)
    one_wave = finite_closed_loop(d, requests=64)
    # one wave only: the i-th prompt waits for the i−1 before it, mean (64 − 1)/2 prefills
    assert one_wave.ttft_s == pytest.approx(31.5 * t_p + first + t_req)
    assert one_wave.ttft_s > 5 * steady.ttft_s
    # two waves: half the requests see the burst, half the steady state
    two = finite_closed_loop(d, requests=128)
    assert two.ttft_s == pytest.approx((one_wave.ttft_s + steady.ttft_s) / 2)
    # throughput and TPOT are the steady state's, which `estimate` reports
    e = estimate(d, memory_fraction=0.9)
    assert two.output_tokens_per_s == pytest.approx(e.output_tokens_per_s)
    assert two.itl_s == pytest.approx(e.tpot_s)
    # many waves: the opening burst fades into the steady state
    long = finite_closed_loop(d, requests=64_000)
    assert long.ttft_s == pytest.approx(steady.ttft_s, rel=0.02)


def test_a_closed_loop_run_of_varying_lengths_ends_in_a_drain_by_hand() -> None:
    # bug: SGLang's cookbook runs (500 requests from 100 clients, random lengths drawn from 1 to
    # 1000) measured 17-35 % less throughput than the steady state the model reported: once the
    # last request has started, the 100 in flight finish one by one and the batch drains
    import math

    from advisor.core.deployment import prepare
    from advisor.core.protocols import finite_closed_loop
    from advisor.core.serving import closed_loop

    d = _closed(100, isl=500, osl=501)
    setup = prepare(d, memory_fraction=0.9)
    steady = closed_loop(setup, 100.0)
    fixed = finite_closed_loop(d, requests=500)
    assert fixed.requests_per_s == pytest.approx(steady.requests_per_s)  # clients stay in step
    uniform = finite_closed_loop(d, requests=500, lengths="uniform")
    # by hand: outputs uniform on [0, 2n] (n = 500 decode tokens); the requests in flight when
    # the last one starts have residuals R with S_R(x) = (1 − x/2n)², E[R] = 2n/3; x tokens into
    # the drain some request is running with probability 1 − (1 − S_R)^100, with 100·S_R / that
    # of them in the batch; integrated here on a fine grid of its own
    n, c, tiles = 500.0, 100.0, 20_000
    dx = 2 * n / tiles
    drain = 0.0
    for k in range(tiles):
        s_r = (1 - (k + 0.5) * dx / (2 * n)) ** 2
        running = 1 - (1 - s_r) ** c
        drain += running * setup.step.tpot(max(c * s_r / running, 1.0)) * dx
    duration = 500 / steady.requests_per_s - 2 * n / 3 * steady.tpot_s + drain
    assert uniform.requests_per_s == pytest.approx(500 / duration, rel=2e-3)
    assert 0.75 < uniform.requests_per_s / steady.requests_per_s < 0.95
    # the drain's steps carry smaller batches and no prefills: the mean TPOT comes down a little
    assert 0.9 * steady.tpot_s < uniform.itl_s < steady.tpot_s
    # exponential lengths (a chat dataset) drain longer than uniform ones
    exponential = finite_closed_loop(d, requests=500, lengths="exponential")
    assert exponential.requests_per_s < uniform.requests_per_s
    assert not math.isclose(exponential.ttft_s, 0.0) and exponential.ttft_s == uniform.ttft_s


def test_a_one_client_run_has_no_burst() -> None:
    from advisor.core.protocols import finite_closed_loop
    from advisor.core.serving import estimate

    d = _closed(1)
    assert finite_closed_loop(d, requests=100).ttft_s == pytest.approx(estimate(d).ttft_s)


def test_fixed_lengths_keep_an_engine_that_prefills_alone_in_lock_step_by_hand() -> None:
    # bug: InferenceX's SGLang runs (fixed 1k/1k lengths) measured TTFT rising with the clients
    # (200 ms at 4 and 8, 355 at 16, 394 at 32 on 8×B200) while the model held it flat: SGLang
    # prefills each wave's prompts together before any decodes, so every wave is a burst
    import dataclasses

    from advisor.core.deployment import prepare
    from advisor.core.protocols import finite_closed_loop

    sglang = factors(engine="sglang", t_fixed_s=2e-3, t_request_s=0.02, prefill_alone=True)
    d = dataclasses.replace(_closed(64), factors=sglang)
    setup = prepare(d, memory_fraction=0.9)
    t_p, extra, t_req = setup.prefill_gpu_s, setup.alone_extra_s, setup.plan.t_request_s
    forward = extra + 8 * t_p  # 8 prompts of 1,024 tokens fill one 8,192-token forward
    ttft = t_req + (8 + 1) / 2 * forward  # 8 forwards; a prompt's first token ends its forward
    cycle = t_req + 8 * forward + 255 * setup.step.tpot(64.0)
    run = finite_closed_loop(d, requests=640)
    assert run.ttft_s == pytest.approx(ttft)
    assert run.requests_per_s == pytest.approx(64 / cycle)
    assert run.itl_s == pytest.approx((cycle - ttft) / 255)
    # every wave alike: the run's length does not matter
    assert finite_closed_loop(d, requests=64_000).ttft_s == pytest.approx(ttft)
    # varying lengths desynchronise the clients: the steady state and its drain instead
    uniform = finite_closed_loop(d, requests=640, lengths="uniform")
    assert uniform.ttft_s < ttft / 2
    # an engine that mixes prefill chunks into decode steps staggers the clients after the
    # first wave (the opening burst, then the steady state: the test above)
    mixed = finite_closed_loop(_closed(64), requests=64_000)
    assert mixed.ttft_s < ttft / 2
