"""Hand-computed checks of the attention kinds added for 2025–26 models: linear attention
(Gated DeltaNet in Qwen3-Next: a fixed state per sequence, no per-token KV) and DeepSeek
sparse attention (DSA in DeepSeek-V3.2: the MLA latent plus an FP8 indexer key per token,
attention over the top-k tokens only)."""

from __future__ import annotations

import pytest
from core_fixtures import DEEPSEEK_V3, gqa
from test_core_timing import plan_of

from advisor.core.memory import (
    kv_bytes_per_sequence_per_gpu,
    kv_bytes_per_token,
    linear_state_bytes,
)
from advisor.core.params import breakdown, shape
from advisor.core.prefill import prefill_flops
from advisor.core.timing import step_model
from advisor.core.types import Layout

# Qwen/Qwen3-Next-80B-A3B-Instruct config.json: 48 layers, every 4th full attention.
QWEN3_NEXT = gqa(
    "Qwen3-Next-80B-A3B", family="qwen", total_params=81.3e9, active_params=3.0e9,
    layers=48, hidden=2048, intermediate=5120, heads=16, kv_heads=2, head_dim=256,
    vocab=151936, max_context=262144,
    attention=({"kind": "linear", "layers": 36}, {"kind": "full", "layers": 12}),
    linear={"mixer": "gated-deltanet", "key_heads": 16, "value_heads": 32, "key_dim": 128,
            "value_dim": 128, "conv_kernel": 4},
    moe={"experts": 512, "experts_per_token": 10, "shared_experts": 1,
         "expert_intermediate": 512},
)
# deepseek-ai/DeepSeek-V3.2-Exp config.json: DeepSeek-V3 plus index_topk 2048,
# index_n_heads 64, index_head_dim 128 on all 61 layers.
DEEPSEEK_V32 = gqa(
    "DeepSeek-V3.2-Exp", family="deepseek", total_params=671e9, active_params=37e9,
    layers=61, hidden=7168, intermediate=18432, heads=128, kv_heads=128, head_dim=128,
    vocab=129280, max_context=163840,
    attention=({"kind": "sparse", "layers": 61},),
    mla={"kv_lora_rank": 512, "qk_rope_head_dim": 64, "q_lora_rank": 1536,
         "qk_nope_head_dim": 128, "v_head_dim": 128},
    sparse={"topk": 2048, "index_heads": 64, "index_head_dim": 128},
    moe={"experts": 256, "experts_per_token": 8, "shared_experts": 1,
         "expert_intermediate": 2048, "dense_layers": 3},
)

# One Gated DeltaNet layer, one sequence, bf16: state 32 heads x 128 x 128 = 524,288 elements,
# convolution 3 past inputs x (2*16*128 + 32*128 = 8,192 channels) = 24,576 elements.
QWEN3_NEXT_STATE_LAYER = (524_288 + 24_576) * 2  # 1,097,728 bytes
QWEN3_NEXT_STATE_SEQ = 36 * QWEN3_NEXT_STATE_LAYER  # 39,518,208 bytes
QWEN3_NEXT_KV_TOKEN = 12 * 2 * 2 * 256 * 2  # 12 full layers x K+V x 2 heads x 256 x bf16 = 24,576


def test_linear_layers_add_no_kv_per_token() -> None:
    assert kv_bytes_per_token(shape(QWEN3_NEXT), Layout(), "bf16") == (24_576, 24_576)


def test_linear_layers_hold_a_fixed_state_per_sequence() -> None:
    s = shape(QWEN3_NEXT)
    assert linear_state_bytes(s, 1) == QWEN3_NEXT_STATE_LAYER
    at_4k = kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", 4096)
    at_8k = kv_bytes_per_sequence_per_gpu(s, Layout(), "bf16", 8192)
    assert at_4k == 24_576 * 4096 + QWEN3_NEXT_STATE_SEQ  # 140,181,504
    assert at_8k - at_4k == 24_576 * 4096  # only the full layers grow with context


def test_fp8_kv_does_not_shrink_the_linear_state() -> None:
    s = shape(QWEN3_NEXT)
    fp8 = kv_bytes_per_sequence_per_gpu(s, Layout(), "fp8", 4096)
    assert fp8 == 12_288 * 4096 + QWEN3_NEXT_STATE_SEQ


def test_tensor_parallel_splits_the_state_by_value_heads() -> None:
    # tp=4: 8 value heads x 128 x 128 = 131,072 plus 24,576 / 4 = 6,144 conv elements.
    assert linear_state_bytes(shape(QWEN3_NEXT), 4) == (131_072 + 6_144) * 2
    # tp=64 > 32 heads: one head replicated per rank, the conv channels still split.
    assert linear_state_bytes(shape(QWEN3_NEXT), 64) == (16_384 + 24_576 / 64) * 2


def test_decode_reads_and_writes_the_state_every_step() -> None:
    plan = plan_of(QWEN3_NEXT)
    hbm = plan.hbm_bytes_per_s
    assert plan.state_bytes == 2 * QWEN3_NEXT_STATE_SEQ
    at_zero = step_model(plan, 0).kv_per_seq_s * hbm
    at_10k = step_model(plan, 10_000).kv_per_seq_s * hbm
    assert at_zero == pytest.approx(2 * QWEN3_NEXT_STATE_SEQ)
    assert at_10k - at_zero == pytest.approx(24_576 * 10_000)


def test_linear_prefill_is_linear_in_the_prompt() -> None:
    plan = plan_of(QWEN3_NEXT)
    # 36 layers x 32 heads x 4 x 128 x 128 FLOPs per token = 75,497,472
    assert plan.state_flops == 36 * 32 * 4 * 128 * 128
    full_pair = 12 * 4 * 16 * 256  # FLOPs per query-key pair in the 12 full layers
    _, attn = prefill_flops(plan, 1000)
    assert attn == pytest.approx(1000 * plan.state_flops + full_pair * 1000 * 1000 / 2)


def test_linear_layer_parameters_follow_the_projection_shapes() -> None:
    # in: 2048 x (2*16*128 + 2*32*128 = 12,288); conv: 4 x 8,192; out: 4,096 x 2,048
    one = 2048 * 12_288 + 4 * 8_192 + 4_096 * 2048
    full = 2048 * 16 * 256 * 2 + 2048 * 2 * 256 * 2
    raw = breakdown(QWEN3_NEXT)
    assert raw.attention / raw.body_scale == pytest.approx(36 * one + 12 * full)


def test_sparse_attention_caches_latent_and_indexer_key() -> None:
    s = shape(DEEPSEEK_V32)
    # per layer: (512 + 64) x 2 bytes latent + 128 FP8 indexer bytes + one fp32 scale = 1,284
    assert kv_bytes_per_token(s, Layout(), "bf16") == (61 * 1284, 61 * 1284)
    assert kv_bytes_per_token(s, Layout(tp=8), "bf16")[1] == 61 * 1284  # whole on every rank


def test_sparse_decode_reads_the_latent_of_topk_tokens_only() -> None:
    plan = plan_of(DEEPSEEK_V32)
    read = step_model(plan, 100_000).kv_per_seq_s * plan.hbm_bytes_per_s
    # 61 x 1,152 x 2,048 latent bytes + 61 x 132 indexer bytes x 100,000 tokens
    assert read == pytest.approx(143_917_056 + 805_200_000)
    dense = plan_of(DEEPSEEK_V3)
    assert step_model(dense, 100_000).kv_per_seq_s * dense.hbm_bytes_per_s == pytest.approx(
        61 * 1152 * 100_000)
    short = step_model(plan, 1000).kv_per_seq_s * plan.hbm_bytes_per_s
    assert short == pytest.approx(61 * 1284 * 1000)  # below top-k it reads everything


def test_sparse_prefill_attends_to_topk_keys_per_query() -> None:
    plan = plan_of(DEEPSEEK_V32)
    mla_pair = 61 * 2 * 128 * (192 + 128)
    index_pair = 61 * 2 * 64 * 128
    _, attn = prefill_flops(plan, 10_000)
    pairs_topk = 10_000 * 2048 - 2048 * 2048 / 2
    assert attn == pytest.approx(mla_pair * pairs_topk + index_pair * 10_000 * 10_000 / 2)


def test_indexer_parameters_are_counted() -> None:
    # q from the 1,536 query latent to 64 x 128, k 7,168 x 128, head weights 7,168 x 64
    indexer = 1536 * 64 * 128 + 7168 * 128 + 7168 * 64
    v32 = breakdown(DEEPSEEK_V32)
    v3 = breakdown(DEEPSEEK_V3)
    assert v32.attention / v32.body_scale - v3.attention / v3.body_scale == pytest.approx(61 * indexer)


def test_new_kinds_need_their_tables() -> None:
    with pytest.raises(ValueError, match=r"\[linear\]"):
        gqa("x", total_params=1e9, layers=2, hidden=64, intermediate=64, heads=1, kv_heads=1,
            head_dim=64, vocab=10, max_context=128, attention=({"kind": "linear", "layers": 2},))
