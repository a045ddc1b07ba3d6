"""Hand-computed memory checks: weights with embeddings and lm_head, KV per token by attention
kind, head replication, sliding windows, quantization overhead, sharding, paging, engine rules."""

from __future__ import annotations

import math

import pytest
from core_fixtures import (
    A100,
    B200,
    DEEPSEEK_V3,
    GEMMA2_9B,
    H100,
    H200,
    LLAMA_8B,
    LLAMA_70B,
    MI300X,
    MISTRAL_7B,
    MIXTRAL_8X7B,
)

from advisor.core.layouts import layout_reason, valid_ep, valid_tp
from advisor.core.memory import (
    BLOCK_TOKENS,
    GIB,
    kv_bytes_per_sequence_per_gpu,
    kv_bytes_per_token,
    memory_breakdown,
    weights_bytes_per_gpu,
    workspace_bytes_per_gpu,
)
from advisor.core.params import breakdown, shape
from advisor.core.types import Layout, Precision

BF16 = Precision("bf16", "bf16")


def test_llama_70b_bf16_weights_include_embeddings_and_lm_head() -> None:
    weights = weights_bytes_per_gpu(LLAMA_70B, H100, Layout(), BF16)
    assert weights == pytest.approx(141e9, rel=0.005)
    edges = 2 * 128256 * 8192 * 2  # embedding + untied lm_head, bf16
    p = breakdown(LLAMA_70B)
    assert p.embedding == p.lm_head == 128256 * 8192
    assert weights - p.body * 2 == pytest.approx(edges)  # 4.2 GB a calculator must not drop


def test_llama_70b_shape_explains_the_published_parameter_count() -> None:
    p = breakdown(LLAMA_70B)
    # 80 × (q 8192² + k,v 2·8192·1024 + o 8192² + MLP 3·8192·28672) + 2·128256·8192
    by_hand = 80 * (2 * 8192**2 + 2 * 8192 * 1024 + 3 * 8192 * 28672) + 2 * 128256 * 8192
    assert p.body_scale == pytest.approx(70.6e9 / by_hand, rel=1e-3)
    assert abs(p.body_scale - 1) < 0.002


def test_llama_70b_kv_is_327680_bytes_per_token_in_bf16() -> None:
    replica, per_gpu = kv_bytes_per_token(shape(LLAMA_70B), Layout(), "bf16")
    assert replica == per_gpu == 80 * 2 * 8 * 128 * 2 == 327_680


def test_kv_dtype_is_its_own_setting_fp8_weights_keep_bf16_kv() -> None:
    fp8_weights = memory_breakdown(LLAMA_70B, H200, Layout(), Precision("fp8", "bf16"),
                                   context=4096, sequences=1, memory_fraction=0.9)
    assert fp8_weights.kv_bytes_per_token == 327_680
    fp8_kv = memory_breakdown(LLAMA_70B, H200, Layout(), Precision("fp8", "fp8"),
                              context=4096, sequences=1, memory_fraction=0.9)
    assert fp8_kv.kv_bytes_per_token == 163_840


def test_deepseek_v3_mla_caches_one_latent_per_layer_on_every_tp_rank() -> None:
    s = shape(DEEPSEEK_V3)
    one = (512 + 64) * 61 * 2
    assert kv_bytes_per_token(s, Layout(), "bf16") == (one, one)
    assert kv_bytes_per_token(s, Layout(), "fp8") == (one / 2, one / 2)
    replica, per_gpu = kv_bytes_per_token(s, Layout(tp=8), "bf16")
    assert per_gpu == one  # not split by TP: every rank holds the whole latent
    assert replica == 8 * one


def test_tp16_on_eight_kv_heads_replicates_heads() -> None:
    s = shape(LLAMA_70B)
    tp8 = kv_bytes_per_token(s, Layout(tp=8), "bf16")
    tp16 = kv_bytes_per_token(s, Layout(tp=16), "bf16")
    assert tp8 == (327_680, 40_960)  # one head per GPU, nothing replicated
    assert tp16[0] == 2 * tp8[0]  # summed over GPUs: every head lives on two GPUs
    assert tp16[1] == tp8[1]  # each GPU still holds one whole head


def test_sliding_window_kv_stops_growing_past_the_window() -> None:
    s = shape(MISTRAL_7B)  # every layer windowed at 4096
    at = {c: kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", c) for c in (2048, 4096, 8192, 32768)}
    assert at[2048] == pytest.approx(at[4096] / 2)
    assert at[4096] == at[8192] == at[32768] == 4096 * 131_072


def test_interleaved_window_model_grows_only_in_its_global_layers() -> None:
    s = shape(GEMMA2_9B)  # 21 global + 21 sliding(4096) layers, head_dim 256 (not hidden/heads)
    per_layer = 2 * 8 * 256 * 2
    grow = kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", 16384) - \
        kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", 8192)
    assert grow == 21 * per_layer * 8192


def test_gqa_tp_splits_kv_heads_without_replication() -> None:
    s = shape(LLAMA_8B)
    tp1, tp2 = kv_bytes_per_token(s, Layout(), "bf16"), kv_bytes_per_token(s, Layout(tp=2), "bf16")
    assert tp2[0] == tp1[0] == 131_072 and tp2[1] == tp1[1] / 2


def test_quantized_formats_carry_scales_and_keep_edges_in_bf16() -> None:
    p = breakdown(LLAMA_70B)
    edges = (p.embedding + p.lm_head) * 2
    int4 = weights_bytes_per_gpu(LLAMA_70B, H100, Layout(), Precision("int4", "bf16"))
    assert int4 == pytest.approx(p.body * 4.25 / 8 + edges)
    fp8 = weights_bytes_per_gpu(LLAMA_70B, H100, Layout(), Precision("fp8", "bf16"))
    assert fp8 == pytest.approx(p.body + edges)
    nvfp4 = weights_bytes_per_gpu(LLAMA_70B, B200, Layout(), Precision("fp4", "bf16"))
    mxfp4 = weights_bytes_per_gpu(LLAMA_70B, MI300X, Layout(), Precision("fp4", "bf16"))
    assert nvfp4 == pytest.approx(p.body * 4.5 / 8 + edges)
    assert mxfp4 == pytest.approx(p.body * 4.25 / 8 + edges)


def test_moe_memory_holds_every_expert() -> None:
    weights = weights_bytes_per_gpu(MIXTRAL_8X7B, H100, Layout(), BF16)
    assert weights == pytest.approx(46.7e9 * 2, rel=1e-6)  # not the 12.9B active


def test_expert_parallel_beyond_tp_splits_experts_over_ep() -> None:
    p = breakdown(DEEPSEEK_V3)
    fp8 = Precision("fp8", "bf16")
    dp_ep = weights_bytes_per_gpu(DEEPSEEK_V3, H200, Layout(tp=1, ep=8, replicas=8), fp8)
    dense = p.non_expert_body + (p.embedding + p.lm_head) * 2
    assert dp_ep == pytest.approx(dense + p.routed_experts / 8)
    tp8 = weights_bytes_per_gpu(DEEPSEEK_V3, H200, Layout(tp=8), fp8)
    assert tp8 == pytest.approx((p.non_expert_body + p.routed_experts + (p.embedding + p.lm_head) * 2) / 8)


def test_pipeline_stages_split_layers_and_hold_one_edge_each() -> None:
    p = breakdown(LLAMA_70B)
    pp2 = weights_bytes_per_gpu(LLAMA_70B, H100, Layout(pp=2), BF16)
    assert pp2 == pytest.approx(p.body * 2 / 2 + p.embedding * 2)


def test_paged_capacity_and_sequences_at_context() -> None:
    mem = memory_breakdown(LLAMA_8B, H100, Layout(), BF16, context=8192, sequences=4,
                           memory_fraction=0.9)
    assert mem.kv_capacity_tokens % BLOCK_TOKENS == 0
    assert mem.kv_capacity_tokens * 131_072 <= mem.kv_budget_bytes_per_gpu
    assert mem.max_sequences == int(mem.kv_budget_bytes_per_gpu // (8192 * 131_072))
    assert mem.usable_bytes_per_gpu == pytest.approx(H100.memory_bytes * 0.9)
    assert mem.fits and mem.kv_needed_bytes_per_gpu == 4 * 8192 * 131_072


def test_blocks_round_each_sequence_up() -> None:
    s = shape(LLAMA_8B)
    assert kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", 17) == 32 * 131_072


def test_engine_memory_rules_differ() -> None:
    total = memory_breakdown(LLAMA_70B, H100, Layout(), Precision("fp8", "fp8"), context=2176,
                             sequences=1, memory_fraction=0.95)
    free = memory_breakdown(LLAMA_70B, H100, Layout(), Precision("fp8", "fp8"), context=2176,
                            sequences=1, memory_fraction=0.95, fraction_of_free=True)
    fixed = total.weights_bytes_per_gpu + total.workspace_bytes_per_gpu
    assert total.kv_budget_bytes_per_gpu == pytest.approx(0.95 * H100.memory_bytes - fixed)
    assert free.kv_budget_bytes_per_gpu == pytest.approx(0.95 * (H100.memory_bytes - fixed))
    assert free.max_sequences > total.max_sequences


def test_workspace_is_runtime_graphs_activations_and_logits() -> None:
    s = shape(LLAMA_8B)
    one, many = workspace_bytes_per_gpu(s, Layout(), 1), workspace_bytes_per_gpu(s, Layout(), 257)
    assert 1.25 * GIB < one < 2.5 * GIB
    assert many - one == pytest.approx(256 * 128256 * 4)


def test_model_that_does_not_fit_says_so() -> None:
    mem = memory_breakdown(LLAMA_70B, A100, Layout(), BF16, context=4096, sequences=1,
                           memory_fraction=0.9)
    assert not mem.fits and mem.max_sequences == 0 and mem.kv_budget_bytes_per_gpu == 0


def test_layout_rules() -> None:
    assert valid_tp(LLAMA_70B, 16) == [1, 2, 4, 8, 16]
    assert "does not divide" in (layout_reason(LLAMA_70B, Layout(tp=3)) or "")
    assert "dense model" in (layout_reason(LLAMA_70B, Layout(tp=2, ep=2)) or "")
    assert "does not divide the 8 experts" in (
        layout_reason(MIXTRAL_8X7B, Layout(tp=1, ep=3, replicas=3)) or "")
    assert layout_reason(MIXTRAL_8X7B, Layout(tp=8, ep=8)) is None
    assert "replicas" in (layout_reason(DEEPSEEK_V3, Layout(tp=1, ep=8)) or "")
    assert valid_ep(MIXTRAL_8X7B, 4, 8) == [1, 2, 4, 8]
    assert math.isclose(breakdown(MIXTRAL_8X7B).total, 46.7e9)
