"""Step times: decode (memory vs compute bound, experts touched, attention over context) and
the plan every step is computed from (model.md §2); prompts are `advisor.core.prefill`.

`build_plan` turns a model × accelerator × layout × precision × efficiency × fabric into a
`Plan` of floats once; the step functions then only do arithmetic, so the serving solver can
call them many times per estimate. Everything is for the most loaded GPU of one pipeline stage.
Sparse (DSA) layers read every indexer key but attend to the top-k tokens only; linear layers
read and write back a fixed state per sequence each step, whatever the context.
Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.collectives import comm_terms
from advisor.core.comms import Link, group_link
from advisor.core.kernels import MOE_PAD_TOKENS, layer_equivalents, pad_tokens
from advisor.core.memory import (
    PREFILL_CHUNK_TOKENS,
    kv_read_groups,
    stage_layers,
    state_bytes_per_sequence,
    weight_split,
)
from advisor.core.params import ModelShape, shape
from advisor.core.precision import (
    ACTIVATION_BYTES,
    KV_BYTES,
    compute_dtype,
    edge_bytes_per_param,
    weight_bytes_per_param,
)
from advisor.core.types import Fabric, Layout, Precision
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile


class Factors(NamedTuple):
    """The efficiency factors as plain floats (read in the hot path)."""

    eta_mem: float
    eta_compute: float
    eta_prefill: float
    alpha_s: float
    t_fixed_s: float
    max_batch: int
    t_request_s: float = 0.0
    eta_moe: float = 1.0
    t_layer_s: float = 0.0
    t_seq_s: float = 0.0
    host_overlap: bool = False
    prefill_alone: bool = False

    @classmethod
    def of(cls, eff: EfficiencyFactors) -> Factors:
        return cls(
            eff.eta_mem,
            eff.eta_compute,
            eff.eta_prefill,
            eff.alpha_s,
            eff.t_fixed_s,
            eff.max_batch,
            eff.t_request_s,
            eff.eta_moe,
            eff.t_layer_s,
            eff.t_seq_s,
            eff.host_overlap,
            eff.prefill_alone,
        )


IDEAL = Factors(1.0, 1.0, 1.0, 0.0, 0.0, 1 << 30, 0.0, 1.0, 0.0, 0.0)


# A GEMM of M token rows reaches η_compute · M / (M + GEMM_HALF_ROWS) of peak: skinny decode
# GEMMs leave most of the tensor cores' tile rows idle (the ramp of measured matmul efficiency
# with M). Prior, the same for every family; it only matters where compute binds.
GEMM_HALF_ROWS = 32.0


class Plan(NamedTuple):
    """Per-GPU, per-stage constants of one deployment."""

    pp: int
    tp: int
    dense_bytes: float  # non-expert weights read every step
    expert_bytes: float  # every local routed expert
    expert_prob: float  # k / E (0 for dense models)
    moe_token_factor: float  # tokens reaching this GPU's experts per local token (ep > tp)
    kv_groups: tuple[tuple[float, int], ...]  # (bytes per token on this GPU, window or 0)
    gemm_flops_per_token: float  # 2 × active params on this GPU, lm_head included
    lm_head_flops: float  # 2 × lm_head params on this GPU (prefill needs it once per prompt)
    attn_decode: tuple[tuple[float, int], ...]  # (FLOPs per token per context token, window)
    attn_prefill: tuple[tuple[float, int], ...]  # (FLOPs per query-key pair, window)
    gemm_flops_per_s: float  # peak for the compute dtype × η_compute
    attn_flops_per_s: float  # bf16 peak × η_compute
    prefill_flops_per_s: float  # peak × η_prefill
    prefill_attn_flops_per_s: float
    hbm_bytes_per_s: float  # peak × η_mem
    allreduces: int  # per stage step
    hidden: int
    tp_link: Link
    pp_link: Link
    ep_groups: int  # ep / tp when ep > tp (all-to-all), else 1
    ep_link: Link
    moe_layers: int  # MoE layers on this stage
    experts_per_token: int
    alpha_s: float
    t_fixed_s: float
    t_request_s: float
    compute_dtype: str
    expert_params: float = 0.0  # parameters of every local routed-expert shard on this GPU
    expert_flops_per_token: float = 0.0  # the routed-expert part of gemm_flops_per_token
    eta_moe: float = 1.0  # grouped expert GEMMs' efficiency relative to dense GEMMs
    dispatch_bytes: float = 2.0  # bytes per element of the EP dispatch (FP8 on FP8/FP4 stacks)
    state_bytes: float = 0.0  # linear-layer state one sequence reads and writes back per step
    state_flops: float = 0.0  # linear-layer recurrence FLOPs per token (decode and prefill)
    alltoall_overlap: bool = False  # EP across nodes: all-to-all hidden behind compute (see below)
    t_seq_s: float = 0.0  # per-step host overhead of each sequence in the batch
    host_overlap: bool = False  # the host prepares step n+1 while the GPU runs step n
    prefill_alone: bool = False  # prompts prefill in forwards of their own, not in decode steps
    moe_pad_tokens: float = MOE_PAD_TOKENS  # padding rows per touched expert (tile / 2)


def _kv_groups(s: ModelShape, layout: Layout, kv: str) -> tuple[tuple[float, int], ...]:
    share = stage_layers(s, layout.pp) / s.layers
    b = KV_BYTES[kv]
    return tuple(
        (g.layers * share * per_token, cap)
        for g in s.groups if g.kind != "linear"
        for per_token, cap in kv_read_groups(s, g.kind, layout.tp, b, g.window)
    )


def _linear_flops(s: ModelShape, layout: Layout) -> float:
    """Recurrence FLOPs per token on one GPU: update each state matrix and read it out
    (2 multiply-adds per element), over the linear layers of the stage."""
    share = stage_layers(s, layout.pp) / s.layers
    layers = sum(g.layers for g in s.groups if g.kind == "linear") * share
    heads = max(1, math.ceil(s.linear_heads / layout.tp)) if s.linear_heads else 0
    per_head = s.linear_state / s.linear_heads if s.linear_heads else 0.0
    return 4.0 * heads * per_head * layers


def _attention_flops(
    s: ModelShape, layout: Layout,
) -> tuple[tuple[tuple[float, int], ...], tuple[tuple[float, int], ...]]:
    """Decode FLOPs per token per context token, and prefill FLOPs per query-key pair."""
    share = stage_layers(s, layout.pp) / s.layers
    heads = s.heads / layout.tp
    decode: list[tuple[float, int]] = []
    prefill: list[tuple[float, int]] = []
    for g in s.groups:
        layers = g.layers * share
        if g.kind == "linear":
            continue  # no attention over the context: see _linear_flops
        if g.kind in ("mla", "sparse"):
            # Decode absorbs the up-projections: scores over the latent+rope, values over the latent.
            cap = s.sparse_topk if g.kind == "sparse" else g.window
            decode.append((2.0 * heads * (s.mla_latent + s.mla_rank) * layers, cap))
            prefill.append((2.0 * heads * (s.mla_qk_dim + s.mla_v_dim) * layers, cap))
            if g.kind == "sparse":  # the indexer scores every earlier token
                index = 2.0 * s.index_heads / layout.tp * s.index_dim * layers
                decode.append((index, 0))
                prefill.append((index, 0))
        else:
            decode.append((4.0 * heads * s.head_dim * layers, g.window))
            prefill.append((4.0 * heads * s.head_dim * layers, g.window))
    return tuple(decode), tuple(prefill)


def build_plan(
    model: ModelProfile,
    acc: Accelerator,
    fabric: Fabric,
    layout: Layout,
    precision: Precision,
    f: Factors,
) -> Plan:
    """Precompute the per-GPU constants of a deployment."""
    s = shape(model)
    p = s.params
    tp, pp = layout.tp, layout.pp
    share = stage_layers(s, pp) / s.layers
    wb = weight_bytes_per_param(precision.weights, acc)
    lm_head = (p.lm_head or p.embedding) / tp  # tied models multiply by the embedding table
    # Per step a GPU reads its body share and the lm_head (last stage); embedding lookups read
    # only B rows of the table, so the table itself is not streamed.
    dense_bytes = p.non_expert_body * wb * share / tp + lm_head * edge_bytes_per_param(precision.weights)
    expert_bytes = weight_split(s, acc, layout, precision.weights)[1]
    k = s.experts_per_token
    gemm = 2.0 * (s.active_body * share / tp + lm_head)
    dtype = compute_dtype(precision.weights, acc, precision.activations)
    decode_attn, prefill_attn = _attention_flops(s, layout)
    bf16 = acc.peak_flops("bf16")
    peak = acc.peak_flops(dtype)
    ep_groups = layout.ep // tp if layout.ep > tp else 1
    return Plan(
        pp=pp,
        tp=tp,
        dense_bytes=dense_bytes,
        expert_bytes=expert_bytes,
        expert_prob=(k / s.experts) if s.experts else 0.0,
        moe_token_factor=float(ep_groups),
        kv_groups=_kv_groups(s, layout, precision.kv),
        gemm_flops_per_token=gemm,
        lm_head_flops=2.0 * lm_head,
        attn_decode=decode_attn,
        attn_prefill=prefill_attn,
        gemm_flops_per_s=peak * f.eta_compute,
        attn_flops_per_s=bf16 * f.eta_compute,
        prefill_flops_per_s=peak * f.eta_prefill,
        prefill_attn_flops_per_s=bf16 * f.eta_prefill,
        hbm_bytes_per_s=acc.hbm_bytes_per_s * f.eta_mem,
        allreduces=2 * stage_layers(s, pp) if tp > 1 else 0,
        hidden=s.hidden,
        tp_link=group_link(fabric, tp),
        pp_link=group_link(fabric, tp * pp),
        ep_groups=ep_groups,
        ep_link=group_link(fabric, layout.ep),
        moe_layers=math.ceil(p.moe_layers * share),
        experts_per_token=k,
        alpha_s=f.alpha_s,
        t_fixed_s=f.t_fixed_s + f.t_layer_s * layer_equivalents(s, dtype in ("fp8", "fp4")) * share,
        t_request_s=f.t_request_s,
        compute_dtype=dtype,
        expert_params=expert_bytes / wb if wb else 0.0,
        expert_flops_per_token=2.0 * k * p.per_expert * p.moe_layers * share / tp if s.experts else 0.0,
        eta_moe=f.eta_moe,
        dispatch_bytes=1.0 if precision.weights in ("fp8", "fp4") else float(ACTIVATION_BYTES),
        state_bytes=2.0 * state_bytes_per_sequence(s, layout),
        state_flops=_linear_flops(s, layout),
        alltoall_overlap=ep_groups > 1 and layout.ep > fabric.gpus_per_node,
        t_seq_s=f.t_seq_s,
        host_overlap=f.host_overlap,
        prefill_alone=f.prefill_alone,
        moe_pad_tokens=pad_tokens(precision.weights, dtype),
    )


def experts_touched_fraction(plan: Plan, tokens: float) -> float:
    """Share of experts a batch of `tokens` routes to: 1 − (1 − k/E)^tokens per layer."""
    if plan.expert_prob <= 0.0 or tokens <= 0.0:
        return 0.0
    touched: float = 1.0 - (1.0 - plan.expert_prob) ** (tokens * plan.moe_token_factor)
    return touched


def _per_context(groups: tuple[tuple[float, int], ...], context: float) -> float:
    """Sum over layer groups of per-token cost × tokens attended (windowed groups capped)."""
    return sum(b * (min(context, w) if w else context) for b, w in groups)


class Step(NamedTuple):
    """A plan's step-time coefficients at one mean decode context (all in seconds).

    Collectives run at the algorithm their message size picks (`comm`); prefill-sized ones are
    linear in the tokens, at `comm_per_token_s`.
    """

    plan: Plan
    weights_s: float  # non-expert weight read
    experts_s: float  # reading every local expert
    gemm_per_seq_s: float
    kv_per_seq_s: float
    attn_per_seq_s: float
    comm_per_token_s: float  # bandwidth slope of prefill-sized collectives (ring/NVLS)
    t_fixed_s: float
    expert_pad_s: float = 0.0  # padding-row compute if every local expert were touched
    expert_extra_per_seq_s: float = 0.0  # extra compute per token of expert GEMMs below dense η
    # Speculative decoding: each sequence verifies 1 + draft tokens per step (GEMM rows, attention
    # queries and collectives grow; weights and the KV cache are read once) and keeps `accepted`
    # of them on average. 1 and 1: plain decoding.
    verify_tokens: float = 1.0
    accepted_tokens: float = 1.0

    def gemm_s(self, batch: float, rows: float | None = None) -> tuple[float, float]:
        """(weight read, GEMM compute) of a step carrying `batch` tokens through the GEMMs:
        the compute ramps with the rows per GEMM (`rows`, default `batch`) and each touched
        expert computes its tile padding."""
        w = self.weights_s
        gemm = batch * (self.gemm_per_seq_s + self.expert_extra_per_seq_s)
        if batch > 0:
            m = batch if rows is None else rows
            gemm *= 1.0 + GEMM_HALF_ROWS / max(m, 1.0)
        if self.experts_s:
            touched = experts_touched_fraction(self.plan, batch)
            w += self.experts_s * touched
            gemm += self.expert_pad_s * touched
        return w, gemm

    def terms(self, batch: float) -> tuple[float, float, float, float]:
        """(weight read, GEMM compute, KV read, attention compute) for `batch` sequences, each
        carrying `verify_tokens` tokens through the GEMMs and attention."""
        tokens = batch * self.verify_tokens
        w, gemm = self.gemm_s(tokens)
        return w, gemm, batch * self.kv_per_seq_s, tokens * self.attn_per_seq_s

    def kernels(self, batch: float) -> float:
        """GEMMs and attention are separate kernels run one after the other: each is bound by
        its own max(memory, compute) and the two add."""
        w, gemm, kv, attn = self.terms(batch)
        return (w if w > gemm else gemm) + (kv if kv > attn else attn)

    def comm(self, tokens: float) -> float:
        """Collectives of a step carrying `tokens` tokens (each at its own algorithm)."""
        return comm_s(self.plan, tokens) if tokens > 0 else 0.0

    def exposed_comm(self, tokens: float, kernels_s: float) -> float:
        """The collectives' time a step waits for: all of it, except that an EP all-to-all across
        nodes runs two micro-batches so each one's dispatch/combine overlaps the other's
        compute (DeepSeek's dual micro-batch, SGLang two-batch overlap, vLLM DBO, as every
        published wide-EP deployment runs) and only its excess over the kernels shows."""
        if tokens <= 0:
            return 0.0
        if not self.plan.alltoall_overlap:
            return comm_s(self.plan, tokens)
        allreduce, alltoall, send = comm_terms(self.plan, tokens)
        return allreduce + send + max(0.0, alltoall - kernels_s)

    def stage(self, batch: float) -> float:
        """One stage step for `batch` sequences: kernels + collectives + fixed overhead, and the
        host's per-sequence work: after it, or, on an engine that overlaps the two, beside it
        (the slower of the two then sets the step)."""
        kernels = self.kernels(batch)
        gpu = kernels + self.exposed_comm(batch * self.verify_tokens, kernels) + self.t_fixed_s
        host = self.plan.t_seq_s * batch
        if self.plan.host_overlap:
            return gpu if gpu > host else host
        return gpu + host

    def tpot(self, batch: float) -> float:
        """Time per output token for a replica decoding `batch` sequences, no prefill: the batch
        flows as pp micro-batches of batch/pp and a token crosses every stage; speculative
        decoding yields `accepted_tokens` per step."""
        pp = self.plan.pp
        if pp == 1:
            return self.stage(batch) / self.accepted_tokens
        return pp * self.stage(batch / pp) / self.accepted_tokens


def step_model(plan: Plan, context: float, draft_tokens: int = 0, accepted_tokens: float = 1.0) -> Step:
    """The step coefficients at mean decode context `context`; with speculative decoding each
    step verifies `draft_tokens` drafted tokens per sequence and keeps `accepted_tokens`."""
    hbm = plan.hbm_bytes_per_s
    chunk = float(PREFILL_CHUNK_TOKENS)
    per_token = (comm_s(plan, 2.0 * chunk) - comm_s(plan, chunk)) / chunk
    return Step(
        plan=plan,
        weights_s=plan.dense_bytes / hbm,
        experts_s=plan.expert_bytes / hbm,
        gemm_per_seq_s=plan.gemm_flops_per_token / plan.gemm_flops_per_s,
        kv_per_seq_s=(_per_context(plan.kv_groups, context) + plan.state_bytes) / hbm,
        attn_per_seq_s=(_per_context(plan.attn_decode, context) + plan.state_flops)
        / plan.attn_flops_per_s,
        comm_per_token_s=per_token,
        t_fixed_s=plan.t_fixed_s,
        expert_pad_s=plan.expert_params * 2.0 * plan.moe_pad_tokens / plan.gemm_flops_per_s / plan.eta_moe,
        expert_extra_per_seq_s=plan.expert_flops_per_token / plan.gemm_flops_per_s * (1.0 / plan.eta_moe - 1.0),
        verify_tokens=1.0 + draft_tokens,
        accepted_tokens=accepted_tokens,
    )


def comm_s(plan: Plan, tokens: float) -> float:
    """Collective time of one stage step carrying `tokens` tokens."""
    allreduce, alltoall, send = comm_terms(plan, tokens)
    return allreduce + alltoall + send


def decode_parts(plan: Plan, batch: float, context: float) -> tuple[float, float, float]:
    """(kernel time, memory time, compute time) of one stage step, without comm and overhead."""
    step = step_model(plan, context)
    w, gemm, kv, attn = step.terms(batch)
    return step.kernels(batch), w + kv, gemm + attn


def decode_step_s(plan: Plan, batch: float, context: float) -> float:
    """Time per output token for a replica decoding `batch` sequences (see `Step.tpot`)."""
    return step_model(plan, context).tpot(batch)
