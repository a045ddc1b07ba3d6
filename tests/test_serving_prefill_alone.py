"""An engine that prefills new prompts in forwards of their own (SGLang's default: mixed
chunking off), by hand: each such forward reads the weights and pays the step's overheads
again, shared only by the prompts that arrived within the same decode step."""

from __future__ import annotations

import pytest
from core_fixtures import H100, LLAMA_70B, factors

from advisor.core.deployment import Deployment, prepare
from advisor.core.fabric import fabric_for_gpu
from advisor.core.serving import closed_loop, max_throughput, open_loop
from advisor.core.types import Layout, Load, Precision

FP8 = Precision("fp8", "fp8")


def _setup(alone: bool, users: int | None = 100, isl: int = 500, osl: int = 500):
    d = Deployment(model=LLAMA_70B, accelerator=H100, fabric=fabric_for_gpu(H100, 8),
                   layout=Layout(tp=8), precision=FP8,
                   load=Load(isl=isl, osl=osl, concurrency=users),
                   factors=factors(engine="sglang", t_fixed_s=2e-3, prefill_alone=alone))
    return prepare(d, memory_fraction=0.9)


def test_a_prompt_prefilled_alone_pays_a_whole_forward_unless_others_share_it() -> None:
    # bug: SGLang's cookbook runs at 100 clients (500-token prompts) measured 20-45 % less
    # throughput than predicted: the model charged each prompt only its share of a mixed step
    mixed, alone = _setup(False), _setup(True)
    t_p = alone.prefill_gpu_s
    assert t_p == pytest.approx(mixed.prefill_gpu_s)
    lone = alone.first(0.0)  # weights, prompt GEMMs, collectives and the step overhead
    assert lone > t_p + 2e-3  # at least the fixed overhead more than the batched prompt
    assert alone.alone_extra_s == pytest.approx(lone - t_p)
    # 100 sequences decoding 499 tokens: a prompt arrives every ~5 steps, alone in its forward
    assert alone.prompt_gpu_s(100.0) == pytest.approx(lone)
    # 1,996 sequences: 4 prompts arrive per decode step and share one forward
    assert alone.prompt_gpu_s(1996.0) == pytest.approx(t_p + (lone - t_p) / 4.0)
    # an engine that mixes prefill chunks into decode steps pays the batched cost only
    assert mixed.alone_extra_s == 0.0 and mixed.prompt_gpu_s(100.0) == t_p


def test_the_closed_loop_with_prompts_prefilled_alone_by_hand() -> None:
    mixed, alone = _setup(False), _setup(True)
    op = closed_loop(alone, 100.0)
    n, b = alone.decode_tokens, op.batch
    step = alone.step.tpot(1.0 + b * (1.0 - 1.0 / 100.0))
    x = b * alone.first(0.0) / (n * step) * (1.0 - 1.0 / 100.0)  # B/n < 1: a forward per prompt
    assert op.tpot_s == pytest.approx(step * (1.0 + x), rel=1e-6)
    assert op.prefill_share == pytest.approx(x / (1.0 + x), rel=1e-6)
    assert op.requests_per_s == pytest.approx(b / (n * op.tpot_s), rel=1e-6)
    other = closed_loop(mixed, 100.0)
    assert op.requests_per_s < other.requests_per_s and op.tpot_s > other.tpot_s


def test_open_loop_and_max_throughput_charge_the_lone_forwards_too() -> None:
    mixed, alone = _setup(False, users=None), _setup(True, users=None)
    a, m = open_loop(alone, 4.0), open_loop(mixed, 4.0)
    assert a.prefill_share == pytest.approx(4.0 * alone.prompt_gpu_s(a.batch), rel=1e-6)
    assert a.tpot_s > m.tpot_s and a.batch > m.batch
    full_a, full_m = max_throughput(alone), max_throughput(mixed)
    cap = float(alone.batch_cap)
    assert full_a.requests_per_s == pytest.approx(
        1.0 / (alone.prompt_gpu_s(cap) + alone.decode_tokens * full_a.step_s / cap), rel=1e-9)
    assert full_a.requests_per_s < full_m.requests_per_s
