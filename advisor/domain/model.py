"""`ModelProfile`: the architecture of a served LLM, as the memory and time model needs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, Alias, Check, Date, Family, Id, Required, Text, WeightDtype

AttentionKind = Literal["full", "sliding", "chunked", "mla", "linear", "sparse"]
LinearMixer = Literal["gated-deltanet", "mamba2", "lightning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionLayers:
    """A group of layers sharing one attention kind (order does not matter to the model)."""

    __pydantic_config__ = CONFIG

    kind: AttentionKind
    """full (MHA/GQA/MQA), sliding (window), chunked (local chunks, Llama-4), mla (latent KV),
    linear (fixed recurrent state per sequence: Gated DeltaNet, Mamba2, lightning attention),
    sparse (MLA plus a DeepSeek sparse-attention indexer that picks the top-k tokens)."""
    layers: Annotated[int, Check(ge=1, le=1000)]
    """How many layers use this attention kind."""
    window: Annotated[int, Check(ge=1, le=10_000_000)] | None = None
    """Tokens each sequence keeps per layer for sliding/chunked layers."""

    def __post_init__(self) -> None:
        if self.kind in ("sliding", "chunked") and self.window is None:
            raise ValueError(f"{self.kind} layers need a window")
        if self.kind in ("full", "mla", "linear", "sparse") and self.window is not None:
            raise ValueError(f"{self.kind} layers take no window")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mla:
    """Multi-head latent attention (DeepSeek-V2/V3): the KV cache is one compressed latent."""

    __pydantic_config__ = CONFIG

    kv_lora_rank: Annotated[int, Check(ge=1, le=65536)]
    """Width of the compressed KV latent cached per token per layer."""
    qk_rope_head_dim: Annotated[int, Check(ge=0, le=4096)]
    """Width of the decoupled RoPE key cached beside the latent."""
    q_lora_rank: Annotated[int, Check(ge=1, le=65536)] | None = None
    """Width of the compressed query (no cache impact)."""
    qk_nope_head_dim: Annotated[int, Check(ge=1, le=4096)]
    """Per-head query/key width without RoPE."""
    v_head_dim: Annotated[int, Check(ge=1, le=4096)]
    """Per-head value width."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinearAttention:
    """Linear-attention / state-space layers: a fixed-size state per sequence, no per-token KV.

    The state is `value_heads × key_dim × value_dim` per layer (Gated DeltaNet: one key×value
    matrix per value head; Mamba2: heads × head_dim × d_state; lightning: heads × d × d), plus a
    short convolution over `(conv_kernel − 1)` past inputs of `2·key_heads·key_dim +
    value_heads·value_dim` channels where the mixer has one.
    """

    __pydantic_config__ = CONFIG

    mixer: LinearMixer
    """Which recurrence: gated-deltanet (Qwen3-Next), mamba2 (Nemotron-H), lightning (MiniMax)."""
    key_heads: Annotated[int, Check(ge=1, le=4096)]
    """Key (and query) heads; Mamba2: state groups (n_groups)."""
    value_heads: Annotated[int, Check(ge=1, le=4096)]
    """Value heads, each holding one state matrix; Mamba2: SSM heads."""
    key_dim: Annotated[int, Check(ge=1, le=4096)]
    """Per-head key width; Mamba2: d_state."""
    value_dim: Annotated[int, Check(ge=1, le=4096)]
    """Per-head value width; Mamba2: head_dim."""
    conv_kernel: Annotated[int, Check(ge=0, le=64)] = 0
    """Width of the short causal convolution (0: none, as in lightning attention)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseAttention:
    """DeepSeek sparse attention (DSA): MLA whose queries attend only to the `topk` tokens a
    lightweight indexer picks; the indexer caches one `index_head_dim` key per token (FP8)."""

    __pydantic_config__ = CONFIG

    topk: Annotated[int, Check(ge=1, le=10_000_000)]
    """Tokens each query attends to (index_topk, 2048 for DeepSeek-V3.2)."""
    index_heads: Annotated[int, Check(ge=1, le=4096)]
    """Indexer query heads."""
    index_head_dim: Annotated[int, Check(ge=1, le=4096)]
    """Indexer key width cached per token per layer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Moe:
    """Mixture-of-experts shape."""

    __pydantic_config__ = CONFIG

    experts: Annotated[int, Check(ge=2, le=4096)]
    """Routed experts per MoE layer."""
    experts_per_token: Annotated[int, Check(ge=1, le=256)]
    """Routed experts each token activates."""
    shared_experts: Annotated[int, Check(ge=0, le=64)] = 0
    """Always-active shared experts per MoE layer."""
    expert_intermediate: Annotated[int, Check(ge=1, le=1_000_000)]
    """Intermediate (FFN) width of one expert."""
    dense_layers: Annotated[int, Check(ge=0, le=1000)] = 0
    """Layers that use a dense MLP (width `intermediate`) instead of experts."""

    def __post_init__(self) -> None:
        if self.experts_per_token > self.experts:
            raise ValueError("experts_per_token exceeds experts")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProfile:
    """An LLM's architecture, size, names and provenance."""

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id, e.g. 'llama-3.1-70b'."""
    name: Annotated[str, Check(min_length=1, max_length=120)]
    """Display name, e.g. 'Llama-3.1-70B'."""
    aliases: tuple[Alias, ...] = ()
    """Other names that resolve to this model (case-insensitive): '70b', 'Llama-3.1-70B-Instruct'."""
    family: Family
    """Model family (llama, mistral, qwen, deepseek, gemma, phi, gpt-oss, falcon …)."""
    hf_repo: Text = ""
    """Hugging Face repository of the published config."""
    total_params: Annotated[float, Check(gt=1e6, le=1e14)]
    """All parameters, embeddings and every expert included."""
    active_params: Annotated[float, Check(gt=1e6, le=1e14)] | None = None
    """Parameters used per token (MoE); None for dense models (= total)."""
    layers: Annotated[int, Check(ge=1, le=1000)]
    """Transformer blocks."""
    hidden: Annotated[int, Check(ge=64, le=1_000_000)]
    """Residual stream width (hidden_size)."""
    intermediate: Annotated[int, Check(ge=1, le=10_000_000)]
    """Dense MLP width (intermediate_size)."""
    heads: Annotated[int, Check(ge=1, le=4096)]
    """Attention (query) heads."""
    kv_heads: Annotated[int, Check(ge=1, le=4096)]
    """Key/value heads (GQA/MQA); equal to heads for MHA."""
    head_dim: Annotated[int, Check(ge=1, le=4096)]
    """Per-head width, explicit: not hidden/heads for Gemma, Qwen3, gpt-oss."""
    vocab: Annotated[int, Check(ge=1, le=10_000_000)]
    """Vocabulary size (embedding rows)."""
    tie_embeddings: bool = False
    """Whether lm_head shares the embedding matrix."""
    max_context: Annotated[int, Check(ge=128, le=100_000_000)]
    """Native maximum context, tokens."""
    attention: Annotated[tuple[AttentionLayers, ...], Check(min_length=1)]
    """Attention kind per group of layers; layer counts add up to `layers`."""
    mla: Mla | None = None
    """MLA shape, required when any layer is 'mla'."""
    moe: Moe | None = None
    """MoE shape, or None for dense models."""
    linear: LinearAttention | None = None
    """Linear-attention shape, required when any layer is 'linear'."""
    sparse: SparseAttention | None = None
    """Sparse-attention indexer, required (with [mla]) when any layer is 'sparse'."""
    native_dtype: WeightDtype = "bf16"
    """Dtype the weights are published in."""
    source: Required
    """Where the architecture figures come from."""
    as_of: Date
    """Date the source was read."""
    notes: Text = ""
    """Anything a reader should know."""

    def __post_init__(self) -> None:
        if sum(a.layers for a in self.attention) != self.layers:
            raise ValueError("attention layer counts do not add up to `layers`")
        if self.kv_heads > self.heads or self.heads % self.kv_heads:
            raise ValueError("kv_heads must divide heads")
        kinds = {a.kind for a in self.attention}
        if kinds & {"mla", "sparse"} and self.mla is None:
            raise ValueError("mla and sparse layers need an [mla] table")
        if "linear" in kinds and self.linear is None:
            raise ValueError("linear layers need a [linear] table")
        if "sparse" in kinds and self.sparse is None:
            raise ValueError("sparse layers need a [sparse] table")
        if self.active_params is not None and self.active_params > self.total_params:
            raise ValueError("active_params exceeds total_params")
        if self.moe is None and self.active_params not in (None, self.total_params):
            raise ValueError("active_params differs from total_params on a dense model")
        if self.moe is not None and self.moe.dense_layers > self.layers:
            raise ValueError("moe.dense_layers exceeds layers")

    @property
    def active(self) -> float:
        """Parameters per token."""
        return self.active_params if self.active_params is not None else self.total_params
