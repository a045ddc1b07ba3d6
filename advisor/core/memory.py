"""The VRAM floor: weights, KV cache, workspace per GPU, and KV capacity (model.md §1).

Weights: the body splits over tp·pp (experts over max(tp, ep)·pp), the embedding and lm_head
are vocabulary-parallel over tp and sit on the first and last pipeline stage, and stay bf16
when the body is quantized. KV per token per layer: GQA `2·ceil(kv_heads/tp)·head_dim·b_kv`
(heads replicate when tp > kv_heads), MLA `(kv_lora_rank + rope)·b_kv` on every TP rank,
sliding/chunked layers capped at their window, sparse (DSA) layers the MLA latent plus one FP8
indexer key, linear-attention layers none: they hold a fixed recurrent state per sequence
instead (`linear_state_bytes`). Capacity is paged in 16-token blocks.
Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.params import ModelShape, shape
from advisor.core.precision import (
    ACTIVATION_BYTES,
    KV_BYTES,
    check_formats,
    edge_bytes_per_param,
    weight_bytes_per_param,
)
from advisor.core.types import Layout, MemoryBreakdown, Precision
from advisor.domain import Accelerator, ModelProfile

GIB = 1024.0**3
BLOCK_TOKENS = 16  # paged-KV block (vLLM default; TRT-LLM tokens_per_block 32 is close enough)
RUNTIME_BYTES = 0.75 * GIB  # CUDA context + cuBLAS/NCCL workspaces (model.md: 0.5–1 GiB)
CUDA_GRAPH_BYTES = 0.5 * GIB  # captured decode graphs (model.md: 0.5–2 GiB)
PREFILL_CHUNK_TOKENS = 8192  # tokens in the largest prefill chunk (max_num_tokens default)
LOGIT_BYTES = 4.0  # fp32 logits for sampling
# Linear-attention / Mamba state stays in the model dtype (vLLM mamba_ssm_cache_dtype "auto"):
# an FP8 KV cache does not shrink it.
STATE_BYTES = ACTIVATION_BYTES
INDEX_SCALE_BLOCK = 128  # DSA indexer keys: FP8 with one fp32 scale per 128 elements


def stage_layers(s: ModelShape, pp: int) -> int:
    """Layers on the most loaded pipeline stage."""
    return math.ceil(s.layers / pp)


def kv_heads_per_gpu(s: ModelShape, tp: int) -> int:
    """KV heads each TP rank stores: a share, or one replicated head when tp > kv_heads."""
    return max(1, math.ceil(s.kv_heads / tp))


def index_key_bytes(s: ModelShape) -> float:
    """Bytes of one DSA indexer key (FP8 elements plus their fp32 scales), whole on every rank."""
    return s.index_dim + 4.0 * math.ceil(s.index_dim / INDEX_SCALE_BLOCK)


def kv_layer_bytes(s: ModelShape, kind: str, tp: int, kv_bytes: float) -> float:
    """KV bytes one token adds to one layer on one TP rank (0 for linear layers)."""
    if kind == "mla":
        return s.mla_latent * kv_bytes  # one latent, not K and V; whole on every rank
    if kind == "sparse":
        return s.mla_latent * kv_bytes + index_key_bytes(s)
    if kind == "linear":
        return 0.0
    return 2.0 * kv_heads_per_gpu(s, tp) * s.head_dim * kv_bytes


def kv_read_groups(s: ModelShape, kind: str, tp: int, kv_bytes: float, window: int
                   ) -> tuple[tuple[float, int], ...]:
    """(bytes per context token, tokens cap or 0) one decode step reads from one layer.

    A sparse layer reads every indexer key but the latent of only its top-k tokens.
    """
    if kind == "sparse":
        return ((s.mla_latent * kv_bytes, s.sparse_topk), (index_key_bytes(s), 0))
    return ((kv_layer_bytes(s, kind, tp, kv_bytes), window),)


def linear_state_bytes(s: ModelShape, tp: int) -> float:
    """Fixed state one sequence holds in one linear layer on one TP rank: the recurrent state
    splits by value heads (replicated when tp > heads), the convolution state by channels."""
    if not s.linear_state:
        return 0.0
    heads = max(1, math.ceil(s.linear_heads / tp))
    state = s.linear_state / s.linear_heads * heads
    return (state + s.linear_conv / tp) * STATE_BYTES


def state_bytes_per_sequence(s: ModelShape, layout: Layout) -> float:
    """Linear-layer state of one sequence on the most loaded GPU (independent of context)."""
    layers = sum(g.layers for g in s.groups if g.kind == "linear")
    return layers * linear_state_bytes(s, layout.tp) * stage_layers(s, layout.pp) / s.layers


def kv_bytes_per_token(s: ModelShape, layout: Layout, kv: str) -> tuple[float, float]:
    """(summed over the GPUs of one replica, on the most loaded GPU) for one token."""
    b = KV_BYTES[kv]
    per_rank = sum(g.layers * kv_layer_bytes(s, g.kind, layout.tp, b) for g in s.groups)
    return per_rank * layout.tp, per_rank * stage_layers(s, layout.pp) / s.layers


def kv_bytes_per_sequence_per_gpu(s: ModelShape, layout: Layout, kv: str, context: int) -> float:
    """KV bytes one sequence of `context` tokens holds on the most loaded GPU, paged.

    Windowed layers keep at most `window` tokens; each layer group rounds up to whole blocks;
    linear layers add their fixed state.
    """
    b = KV_BYTES[kv]
    total = 0.0
    for g in s.groups:
        tokens = min(context, g.window) if g.window else context
        blocks = math.ceil(tokens / BLOCK_TOKENS)
        total += g.layers * kv_layer_bytes(s, g.kind, layout.tp, b) * blocks * BLOCK_TOKENS
    return total * stage_layers(s, layout.pp) / s.layers + state_bytes_per_sequence(s, layout)


def weight_split(s: ModelShape, acc: Accelerator, layout: Layout, weights: str) -> tuple[float, float]:
    """(non-expert bytes, routed-expert bytes) on the most loaded GPU of one replica."""
    p = s.params
    wb = weight_bytes_per_param(weights, acc)
    stage_share = stage_layers(s, layout.pp) / s.layers
    tp = layout.tp
    dense = p.non_expert_body * wb * stage_share / tp
    edges = (p.embedding + p.lm_head) if layout.pp == 1 else max(p.embedding, p.lm_head or p.embedding)
    dense += edges * edge_bytes_per_param(weights) / tp
    experts = p.routed_experts * wb * stage_share / max(tp, layout.ep)
    return dense, experts


def weights_bytes_per_gpu(
    model: ModelProfile, acc: Accelerator, layout: Layout, precision: Precision
) -> float:
    """Weight bytes on the most loaded GPU, every expert included."""
    dense, experts = weight_split(shape(model), acc, layout, precision.weights)
    return dense + experts


def workspace_bytes_per_gpu(s: ModelShape, layout: Layout, sequences: int) -> float:
    """Runtime, CUDA graphs, prefill-chunk activations and logits for `sequences` rows."""
    tp = layout.tp
    act_width = 4 * s.hidden + 2 * s.mlp_width / tp  # residual, qkv/attn out, MLP up+gate
    activations = PREFILL_CHUNK_TOKENS * act_width * ACTIVATION_BYTES
    logits = max(1, sequences) * s.vocab / tp * LOGIT_BYTES
    return RUNTIME_BYTES + CUDA_GRAPH_BYTES + activations + logits


def kv_budget_bytes(
    memory_bytes: float, fixed_bytes: float, memory_fraction: float, fraction_of_free: bool
) -> tuple[float, float]:
    """(usable bytes, bytes left for KV) under the engine's memory rule.

    vLLM/SGLang: the engine may use `fraction` of the whole memory. TRT-LLM: KV gets
    `fraction` of what is free after weights and workspace.
    """
    if fraction_of_free:
        kv = max(0.0, memory_fraction * (memory_bytes - fixed_bytes))
        return fixed_bytes + kv, kv
    usable = memory_bytes * memory_fraction
    return usable, max(0.0, usable - fixed_bytes)


class MemoryParts(NamedTuple):
    """Per-GPU memory figures that do not depend on how many sequences run."""

    weights: float
    workspace: float
    usable: float
    kv_budget: float
    kv_token_replica: float
    kv_token_gpu: float
    seq_bytes: float  # one sequence at the requested context, paged, most loaded GPU

    @property
    def max_sequences(self) -> int:
        return int(self.kv_budget // self.seq_bytes) if self.seq_bytes > 0 else 0

    def breakdown(self, sequences: int) -> MemoryBreakdown:
        """The breakdown with the KV for `sequences` concurrent sequences."""
        block = self.kv_token_gpu * BLOCK_TOKENS
        capacity = int(self.kv_budget // block) * BLOCK_TOKENS if block > 0 else 0
        needed = self.seq_bytes * sequences
        return MemoryBreakdown(
            weights_bytes_per_gpu=self.weights,
            kv_bytes_per_token=self.kv_token_replica,
            kv_bytes_per_token_per_gpu=self.kv_token_gpu,
            workspace_bytes_per_gpu=self.workspace,
            usable_bytes_per_gpu=self.usable,
            kv_capacity_tokens=capacity,
            kv_needed_bytes_per_gpu=needed,
            max_sequences=self.max_sequences,
            fits=self.weights + self.workspace + needed <= self.usable and self.max_sequences >= 1,
            kv_budget_bytes_per_gpu=self.kv_budget,
            kv_bytes_per_sequence_per_gpu=self.seq_bytes,
        )


def memory_parts(
    s: ModelShape,
    acc: Accelerator,
    layout: Layout,
    precision: Precision,
    *,
    context: int,
    logit_rows: int,
    memory_fraction: float,
    fraction_of_free: bool = False,
) -> MemoryParts:
    """Weights, workspace (logits sized for `logit_rows`), KV budget and per-sequence KV."""
    dense, experts = weight_split(s, acc, layout, precision.weights)
    weights = dense + experts
    workspace = workspace_bytes_per_gpu(s, layout, logit_rows)
    usable, kv_budget = kv_budget_bytes(
        acc.memory_bytes, weights + workspace, memory_fraction, fraction_of_free
    )
    kv_replica, kv_gpu = kv_bytes_per_token(s, layout, precision.kv)
    seq = kv_bytes_per_sequence_per_gpu(s, layout, precision.kv, context)
    return MemoryParts(weights, workspace, usable, kv_budget, kv_replica, kv_gpu, seq)


def fraction_of_free_memory(engine: str) -> bool:
    """Whether the engine's memory fraction applies to the memory left after weights and
    workspace (TensorRT-LLM's kv_cache_free_gpu_mem_fraction) rather than to all of it (vLLM's
    gpu_memory_utilization, SGLang's mem_fraction_static)."""
    return engine.partition("@")[0] == "trtllm"


def memory_breakdown(
    model: ModelProfile,
    acc: Accelerator,
    layout: Layout,
    precision: Precision,
    *,
    context: int,
    sequences: int,
    memory_fraction: float,
    fraction_of_free: bool = False,
) -> MemoryBreakdown:
    """Memory per GPU of one replica for `sequences` concurrent sequences of `context` tokens.

    `memory_fraction` follows the engine's rule: of the whole memory (vLLM, SGLang), or of
    what is free after weights and workspace when `fraction_of_free` (TRT-LLM).
    """
    check_formats(precision.weights, precision.kv)
    parts = memory_parts(
        shape(model),
        acc,
        layout,
        precision,
        context=context,
        logit_rows=sequences,
        memory_fraction=memory_fraction,
        fraction_of_free=fraction_of_free,
    )
    return parts.breakdown(sequences)
