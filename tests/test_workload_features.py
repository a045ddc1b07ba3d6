"""Prefix caching, speculative decoding and disaggregated prefill/decode in the core, against
figures computed by hand (written out below)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from core_fixtures import H100, LLAMA_8B, LLAMA_70B, factors
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core.deployment import Deployment
from advisor.core.disagg import KvLink, disagg_estimate, kv_link, kv_transfer_s, prompt_kv_bytes
from advisor.core.fabric import fabric_for_gpu
from advisor.core.prefill import prefill_compute_s, prefill_flops
from advisor.core.serving import estimate
from advisor.core.timing import IDEAL as IDEAL_F
from advisor.core.timing import build_plan, step_model
from advisor.core.types import Layout, Load, Precision
from advisor.errors import AdvisorError

BF16 = Precision("bf16", "bf16")
ONE_GPU = Layout()


def _dep(load: Load, layout: Layout = ONE_GPU, model=LLAMA_70B, **kw: float) -> Deployment:
    return Deployment(model=model, accelerator=H100, fabric=fabric_for_gpu(H100, 8), layout=layout,
                      precision=BF16, load=load, factors=factors(**kw))


# -- KV transfer -------------------------------------------------------------------------------

def test_kv_of_a_32k_prompt_of_70b_over_400_gbit_takes_215_ms() -> None:
    # 2 (K, V) × 80 layers × 8 KV heads × 128 dims × 2 B = 327,680 B per token;
    # × 32,768 tokens = 10,737,418,240 B; 400 Gbit/s = 50 GB/s → 0.2147483648 s
    kv = prompt_kv_bytes(LLAMA_70B, "bf16", 32768)
    assert kv == 327_680 * 32_768 == 10_737_418_240
    assert kv_transfer_s(kv, KvLink("infiniband", 50e9, 0.0)) == pytest.approx(0.2147483648, rel=1e-12)


def test_kv_link_is_the_prefill_replicas_share_of_the_node_nics() -> None:
    fabric = fabric_for_gpu(H100, 8)  # 8 × 400 Gbit/s per node: 400 GB/s per direction
    one_gpu = kv_link(fabric, 1, same_node=False)
    assert one_gpu is not None and one_gpu.bytes_per_s == pytest.approx(50e9 * 0.9)
    in_node = kv_link(fabric, 4, same_node=True)  # NVLink: 450 GB/s per GPU per direction
    assert in_node is not None and in_node.bytes_per_s == pytest.approx(4 * 450e9 * 0.9)
    pcie_box = dataclasses.replace(fabric, inter_kind="none", inter_bytes_per_s=0.0)
    assert kv_link(pcie_box, 1, same_node=False) is None


# -- prefix caching ----------------------------------------------------------------------------

def test_prefix_hit_half_halves_the_prefill_gemm_flops_and_keeps_three_quarters_of_attention() -> None:
    plan = build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 1), Layout(), BF16, IDEAL_F)
    gemm_full, attn_full = prefill_flops(plan, 8192)
    gemm_half, attn_half = prefill_flops(plan, 8192, cached=4096)
    lm = plan.lm_head_flops  # the last position's logits: once per prompt, hit or not
    assert gemm_half - lm == pytest.approx(0.5 * (gemm_full - lm), rel=1e-12)
    # attention FLOPs per query-key pair: 4 × 64 heads × 128 dims × 80 layers = 2,621,440;
    # pairs 8192²/2 = 33,554,432 without a hit, 33,554,432 − 4096²/2 = 25,165,824 with it
    assert attn_full == pytest.approx(2_621_440 * 33_554_432, rel=1e-12)
    assert attn_half == pytest.approx(2_621_440 * 25_165_824, rel=1e-12)


def test_prefix_hit_lowers_ttft_but_not_kv_memory() -> None:
    plain = estimate(_dep(Load(8192, 256, concurrency=8), Layout(tp=4)))
    hit = estimate(_dep(Load(8192, 256, concurrency=8, prefix_hit=0.6), Layout(tp=4)))
    assert hit.prefill_tokens == pytest.approx(8192 * 0.4)
    assert hit.prefill_s < 0.5 * plain.prefill_s
    assert hit.ttft_s < plain.ttft_s
    assert hit.memory.kv_bytes_per_token == plain.memory.kv_bytes_per_token
    assert hit.memory.max_sequences == plain.memory.max_sequences


# -- speculative decoding ----------------------------------------------------------------------

def test_spec_decode_yields_the_acceptance_length_in_tokens_per_step() -> None:
    plan = build_plan(LLAMA_8B, H100, fabric_for_gpu(H100, 1), Layout(), BF16, IDEAL_F)
    plain = step_model(plan, 2048.0)
    spec = step_model(plan, 2048.0, draft_tokens=2, accepted_tokens=1.7)
    # a step verifies 1 + 2 tokens per sequence and keeps 1.7: 1 / 1.7 = 0.588 steps per token
    assert spec.tpot(8.0) == pytest.approx(spec.stage(8.0) / 1.7, rel=1e-12)
    w, gemm, kv, attn = spec.terms(8.0)
    w1, gemm1, kv1, attn1 = plain.terms(8.0)
    assert kv == kv1  # the KV cache is read once per step
    assert attn == pytest.approx(3 * attn1, rel=1e-12)  # three queries per sequence
    assert gemm == pytest.approx(plain.gemm_s(24.0)[1], rel=1e-12)  # 24 GEMM rows
    # batch 1 is a weight read (16.06 GB at 3.35 TB/s = 4.8 ms), so a token costs ≈ 1/1.7 of it
    assert spec.tpot(1.0) / plain.tpot(1.0) == pytest.approx(1 / 1.7, rel=0.02)


def test_spec_decode_bad_acceptance_is_a_user_error() -> None:
    with pytest.raises(AdvisorError, match="accepted tokens"):
        estimate(_dep(Load(1024, 256, concurrency=1, draft_tokens=1, accepted_tokens=2.5), Layout(tp=4)))


def test_features_off_change_nothing() -> None:
    load = Load(4096, 512, concurrency=32)
    same = Load(4096, 512, concurrency=32, prefix_hit=0.0, draft_tokens=0, accepted_tokens=1.0)
    a, b = estimate(_dep(load, Layout(tp=4))), estimate(_dep(same, Layout(tp=4)))
    assert (a.ttft_s, a.tpot_s, a.output_tokens_per_s) == (b.ttft_s, b.tpot_s, b.output_tokens_per_s)


# -- disaggregated serving ---------------------------------------------------------------------

def _pools(load: Load, x: int, y: int, tp: int = 4):
    fabric = fabric_for_gpu(H100, 8)
    link = kv_link(fabric, tp, same_node=False)
    assert link is not None
    return disagg_estimate(_dep(load, Layout(tp=tp, replicas=x)), _dep(load, Layout(tp=tp, replicas=y)), link)


def test_disagg_ttft_is_prefill_plus_transfer_plus_queue() -> None:
    pools = _pools(Load(8192, 512, rate=1.0, max_context=16384), 1, 1)
    p = pools.point
    assert p.ttft_s == pytest.approx(p.prefill_s + p.queue_s + p.transfer_s, rel=1e-12)
    # 8192 tokens × 327,680 B over half a node's NICs (4 of 8 × 50 GB/s × 0.9 = 180 GB/s)
    assert p.transfer_s == pytest.approx(8192 * 327_680 / 180e9 + 52e-6, rel=1e-9)
    assert pools.estimate.ttft_s == pytest.approx(p.ttft_s)


def test_disagg_decode_is_not_slowed_by_prefill() -> None:
    load = Load(8192, 512, rate=1.0, max_context=16384)
    agg = estimate(_dep(load, Layout(tp=4, replicas=2)))
    pools = _pools(load, 1, 1)
    assert pools.estimate.tpot_s < agg.tpot_s  # aggregated decode steps carry prefill chunks
    assert pools.estimate.output_tokens_per_s == pytest.approx(1.0 * 512, rel=1e-6)
    assert pools.estimate.prefill_share == 0.5  # one TP4 replica in each pool


def test_closed_loop_pools_obey_littles_law() -> None:
    pools = _pools(Load(2048, 256, concurrency=64), 1, 2)
    p = pools.point
    assert p.requests_per_s * (p.ttft_s + 255 * p.tpot_s) == pytest.approx(64, rel=1e-6)
    assert p.decode_batch * 2 == pytest.approx(p.requests_per_s * 255 * p.tpot_s, rel=1e-6)
    assert not math.isinf(p.ttft_s)


def test_more_prefill_replicas_cut_the_queue() -> None:
    load = Load(8192, 512, rate=1.2, max_context=16384)
    one, two = _pools(load, 1, 2).point, _pools(load, 2, 2).point
    assert two.queue_s < one.queue_s
    assert two.tpot_s == one.tpot_s



# -- properties ----------------------------------------------------------------------------------

_PLAN_70B = build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 4), Layout(tp=4), BF16, IDEAL_F)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200_000), st.floats(0.0, 0.98), st.floats(0.0, 0.98))
def test_more_prefix_hits_never_cost_more_prefill(prompt: int, hit_a: float, hit_b: float) -> None:
    low, high = sorted((hit_a, hit_b))
    more_hits = prefill_compute_s(_PLAN_70B, prompt, prompt * high)
    fewer_hits = prefill_compute_s(_PLAN_70B, prompt, prompt * low)
    assert more_hits <= fewer_hits * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(1.0, 512.0), st.integers(1, 8), st.floats(0.0, 1.0))
def test_spec_decode_never_beats_the_weight_read_roofline(batch: float, draft: int, kept: float) -> None:
    accepted = 1.0 + kept * draft
    step = step_model(_PLAN_70B, 4096.0, draft, accepted)
    # at η = 1 and no overhead, a step still reads every weight once: per output token at least
    # weights ÷ tokens kept
    assert step.tpot(batch) >= step.weights_s / accepted * (1 - 1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 1_000_000), st.floats(1e9, 1e12))
def test_kv_transfer_is_linear_in_the_prompt(tokens: int, bandwidth: float) -> None:
    link = KvLink("infiniband", bandwidth, 0.0)
    one = kv_transfer_s(prompt_kv_bytes(LLAMA_70B, "bf16", tokens), link)
    assert one == pytest.approx(tokens * 327_680 / bandwidth, rel=1e-9)
