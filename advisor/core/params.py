"""Parameter breakdown of a model from its shape, and per-model constants for the hot path.

`breakdown(model)` counts embeddings, lm_head (unless tied), attention (GQA, MLA, MLA plus the
DSA indexer, or linear-attention projection shapes), dense MLP, routed experts, shared experts
and routers from the published config, then
reconciles the body with the published `total_params` (norms, biases, vision towers, MTP heads
the shape does not name). `shape(model)` caches the floats the memory and time models use, so
`estimate()` never walks pydantic objects in its loops. Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

from typing import NamedTuple

from advisor.domain import ModelProfile

GATED_MATRICES = 3  # SwiGLU/GeGLU MLPs: gate, up, down
PLAIN_MATRICES = 2  # GELU MLPs (Falcon, GPT-2 style): up, down


class ParamBreakdown(NamedTuple):
    """Parameter counts by role, whole model (all layers, all experts)."""

    embedding: float
    lm_head: float  # 0 when tied to the embedding
    attention: float
    dense_mlp: float
    routed_experts: float  # every routed expert of every MoE layer
    shared_experts: float
    router: float
    per_expert: float  # one routed expert in one layer
    moe_layers: int
    mlp_matrices: int  # 3 gated, 2 plain (chosen by which matches total_params)
    body_scale: float  # published body / shape body (1.0 = the shape explains every parameter)

    @property
    def body(self) -> float:
        """Everything except the embedding and lm_head."""
        return (
            self.attention + self.dense_mlp + self.routed_experts + self.shared_experts + self.router
        )

    @property
    def total(self) -> float:
        return self.embedding + self.lm_head + self.body

    @property
    def non_expert_body(self) -> float:
        """Body parameters every token uses (attention, dense MLP, shared experts, router)."""
        return self.attention + self.dense_mlp + self.shared_experts + self.router


class AttentionGroup(NamedTuple):
    """Layers that share an attention kind; `window` caps tokens kept (0 = no cap)."""

    kind: str
    layers: int
    window: int


class ModelShape(NamedTuple):
    """Per-model constants the core reads in its hot path (floats and ints only)."""

    model_id: str
    params: ParamBreakdown
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied: bool
    groups: tuple[AttentionGroup, ...]
    mla_latent: int  # kv_lora_rank + qk_rope_head_dim (0 when no MLA)
    mla_rank: int
    mla_qk_dim: int  # per-head query/key width (nope + rope), 0 without MLA
    mla_v_dim: int  # per-head value width, 0 without MLA
    experts: int  # routed experts (0 for dense)
    experts_per_token: int
    active_body: float  # body parameters one token multiplies (non-expert + k experts)
    mlp_width: int  # widest per-token MLP intermediate (for activation workspace)
    linear_state: int = 0  # recurrent-state elements of one linear layer, whole (all heads)
    linear_heads: int = 0  # value heads the state splits over under TP
    linear_conv: int = 0  # convolution-state elements of one linear layer, whole
    sparse_topk: int = 0  # tokens a sparse (DSA) layer attends to
    index_heads: int = 0  # DSA indexer query heads
    index_dim: int = 0  # DSA indexer key width cached per token per layer


def _attention_params(model: ModelProfile) -> float:
    """Per-layer attention projections × layers (MLA layers use the latent projections)."""
    h, hd = model.hidden, model.head_dim
    gqa = h * model.heads * hd * 2 + h * model.kv_heads * hd * 2
    total = 0.0
    for group in model.attention:
        if group.kind == "mla" and model.mla is not None:
            total += group.layers * _mla_params(model)
        elif group.kind == "sparse" and model.mla is not None:
            total += group.layers * (_mla_params(model) + _indexer_params(model))
        elif group.kind == "linear":
            total += group.layers * _linear_params(model)
        else:
            total += group.layers * gqa
    return total


def _linear_params(model: ModelProfile) -> float:
    """One linear-attention layer: input projections for q, k (key heads) and v, output gate z
    (value heads), the short convolution over q, k, v, and the output projection.

    Gated DeltaNet, Mamba2 (x, z, B, C) and lightning attention (q, k, v, gate) share this
    shape; per-head decay and gate vectors are a few thousand parameters and left out.
    """
    lin = model.linear
    assert lin is not None
    keys = lin.key_heads * lin.key_dim
    values = lin.value_heads * lin.value_dim
    conv = lin.conv_kernel * (2 * keys + values)
    return float(model.hidden * (2 * keys + 2 * values) + conv + values * model.hidden)


def _indexer_params(model: ModelProfile) -> float:
    """The DSA indexer of one layer: queries from the compressed query (or the hidden state),
    one shared key projection and per-head weights."""
    sp, m = model.sparse, model.mla
    assert sp is not None and m is not None
    q_in = m.q_lora_rank or model.hidden
    h = model.hidden
    return float(q_in * sp.index_heads * sp.index_head_dim + h * sp.index_head_dim + h * sp.index_heads)


def linear_state_elements(model: ModelProfile) -> tuple[int, int]:
    """(recurrent-state elements, convolution-state elements) of one linear layer."""
    lin = model.linear
    if lin is None:
        return 0, 0
    state = lin.value_heads * lin.key_dim * lin.value_dim
    conv_channels = 2 * lin.key_heads * lin.key_dim + lin.value_heads * lin.value_dim
    return state, max(0, lin.conv_kernel - 1) * conv_channels


def _mla_params(model: ModelProfile) -> float:
    """One MLA layer: q (optionally low-rank), kv down-projection, kv up-projection, output."""
    m = model.mla
    assert m is not None
    h, heads = model.hidden, model.heads
    qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
    if m.q_lora_rank:
        q = h * m.q_lora_rank + m.q_lora_rank * heads * qk_dim
    else:
        q = h * heads * qk_dim
    kv_down = h * (m.kv_lora_rank + m.qk_rope_head_dim)
    kv_up = m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
    out = heads * m.v_head_dim * h
    return float(q + kv_down + kv_up + out)


def _raw_breakdown(model: ModelProfile, matrices: int) -> ParamBreakdown:
    h = model.hidden
    embedding = float(model.vocab * h)
    lm_head = 0.0 if model.tie_embeddings else embedding
    moe = model.moe
    moe_layers = 0 if moe is None else model.layers - moe.dense_layers
    dense_layers = model.layers - moe_layers
    per_expert = 0.0 if moe is None else float(matrices * h * moe.expert_intermediate)
    return ParamBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        attention=_attention_params(model),
        dense_mlp=float(dense_layers * matrices * h * model.intermediate),
        routed_experts=0.0 if moe is None else moe_layers * moe.experts * per_expert,
        shared_experts=0.0 if moe is None else moe_layers * moe.shared_experts * per_expert,
        router=0.0 if moe is None else float(moe_layers * h * moe.experts),
        per_expert=per_expert,
        moe_layers=moe_layers,
        mlp_matrices=matrices,
        body_scale=1.0,
    )


def _scaled(raw: ParamBreakdown, published_total: float) -> ParamBreakdown:
    """Scale the body so embedding + lm_head + body equals the published total."""
    body = raw.body
    scale = (published_total - raw.embedding - raw.lm_head) / body if body > 0 else 1.0
    scale = max(scale, 0.05)  # a published total below the embeddings is a profile error
    return ParamBreakdown(
        embedding=raw.embedding,
        lm_head=raw.lm_head,
        attention=raw.attention * scale,
        dense_mlp=raw.dense_mlp * scale,
        routed_experts=raw.routed_experts * scale,
        shared_experts=raw.shared_experts * scale,
        router=raw.router * scale,
        per_expert=raw.per_expert * scale,
        moe_layers=raw.moe_layers,
        mlp_matrices=raw.mlp_matrices,
        body_scale=scale,
    )


def breakdown(model: ModelProfile) -> ParamBreakdown:
    """Parameters by role, reconciled with `total_params`.

    The profile does not say whether the MLP is gated, so both forms are counted and the one
    closer to the published total is kept; any remainder (norms, biases, a vision tower) is
    spread over the body in proportion.
    """
    candidates = [_raw_breakdown(model, m) for m in (GATED_MATRICES, PLAIN_MATRICES)]
    best = min(candidates, key=lambda b: abs(b.total - model.total_params))
    return _scaled(best, model.total_params)


def counted_params(model: ModelProfile) -> tuple[float, float]:
    """(total, active) parameters the shape alone explains, gated MLPs assumed: embeddings,
    lm_head unless tied, attention (GQA, MLA, DSA indexer, linear), dense MLPs, every routed
    expert (active: the top-k), shared experts and routers. Norms and biases are left out."""
    raw = _raw_breakdown(model, GATED_MATRICES)
    k = model.moe.experts_per_token if model.moe else 0
    edges = raw.embedding + raw.lm_head
    return raw.total, edges + raw.non_expert_body + k * raw.per_expert * raw.moe_layers


def _groups(model: ModelProfile) -> tuple[AttentionGroup, ...]:
    return tuple(
        AttentionGroup(kind=g.kind, layers=g.layers, window=g.window or 0) for g in model.attention
    )


def _build_shape(model: ModelProfile) -> ModelShape:
    p = breakdown(model)
    moe = model.moe
    k = moe.experts_per_token if moe else 0
    active_body = p.non_expert_body + k * p.per_expert * p.moe_layers
    mlp_width = model.intermediate
    if moe is not None:
        widths = [moe.expert_intermediate * (k + moe.shared_experts)]
        if moe.dense_layers:
            widths.append(model.intermediate)
        mlp_width = max(widths)
    mla = model.mla
    state, conv = linear_state_elements(model)
    sparse = model.sparse
    return ModelShape(
        model_id=model.id,
        params=p,
        layers=model.layers,
        hidden=model.hidden,
        heads=model.heads,
        kv_heads=model.kv_heads,
        head_dim=model.head_dim,
        vocab=model.vocab,
        tied=model.tie_embeddings,
        groups=_groups(model),
        mla_latent=(mla.kv_lora_rank + mla.qk_rope_head_dim) if mla else 0,
        mla_rank=mla.kv_lora_rank if mla else 0,
        mla_qk_dim=(mla.qk_nope_head_dim + mla.qk_rope_head_dim) if mla else 0,
        mla_v_dim=mla.v_head_dim if mla else 0,
        experts=moe.experts if moe else 0,
        experts_per_token=k,
        active_body=active_body,
        mlp_width=mlp_width,
        linear_state=state,
        linear_heads=model.linear.value_heads if model.linear else 0,
        linear_conv=conv,
        sparse_topk=sparse.topk if sparse else 0,
        index_heads=sparse.index_heads if sparse else 0,
        index_dim=sparse.index_head_dim if sparse else 0,
    )


_CACHE: dict[int, tuple[ModelProfile, ModelShape]] = {}
_CACHE_LIMIT = 4096


def shape(model: ModelProfile) -> ModelShape:
    """The cached constants of a model (keyed by object identity; profiles are frozen)."""
    entry = _CACHE.get(id(model))
    if entry is not None and entry[0] is model:
        return entry[1]
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    built = _build_shape(model)
    _CACHE[id(model)] = (model, built)  # holding the model keeps its id from being reused
    return built
