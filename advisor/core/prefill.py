"""Prompt time: prefill FLOPs (GEMMs and the quadratic, windowed attention term, less what the
prefix cache serves), its compute time, chunking, and the mixed step(s) that prefill a prompt
beside a decoding batch (model.md §2). Pure arithmetic over a `Plan` / `Step` of
`advisor.core.timing`; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import math

from advisor.core.memory import PREFILL_CHUNK_TOKENS
from advisor.core.timing import Plan, Step, experts_touched_fraction


def causal_pairs(tokens: float, window: int) -> float:
    """Query-key pairs of the first `tokens` positions of a causal prompt (window 0: none)."""
    if window and window < tokens:
        return tokens * window - window * window / 2.0
    return tokens * tokens / 2.0


def prefill_flops(plan: Plan, tokens: float, cached: float = 0.0) -> tuple[float, float]:
    """(GEMM FLOPs, attention FLOPs) on one GPU of one stage for a `tokens`-token prompt whose
    first `cached` tokens come from the prefix cache: only the rest run the GEMMs and the
    state layers, and they still attend to every earlier token (pairs(tokens) − pairs(cached))."""
    new = tokens - cached
    gemm = new * (plan.gemm_flops_per_token - plan.lm_head_flops) + plan.lm_head_flops
    attn = new * plan.state_flops
    for per_pair, window in plan.attn_prefill:
        attn += per_pair * (causal_pairs(tokens, window) - causal_pairs(cached, window))
    return gemm, attn


def prefill_compute_s(plan: Plan, tokens: float, cached: float = 0.0) -> float:
    """Compute time of a prompt's prefill on one stage at η_prefill (amortized: no weight read);
    `cached` prompt tokens come from the prefix cache (see `prefill_flops`)."""
    gemm, attn = prefill_flops(plan, tokens, cached)
    if plan.eta_moe != 1.0:  # grouped expert GEMMs below the dense GEMMs' efficiency
        gemm += (tokens - cached) * plan.expert_flops_per_token * (1.0 / plan.eta_moe - 1.0)
    return gemm / plan.prefill_flops_per_s + attn / plan.prefill_attn_flops_per_s


def prefill_chunks(prompt: float) -> int:
    """Chunks a prompt is prefilled in (max_num_tokens per step)."""
    return max(1, math.ceil(prompt / PREFILL_CHUNK_TOKENS))


def first_token_s(step: Step, batch: float, chunks: int, chunk: float, chunk_compute_s: float) -> float:
    """Latency of the step(s) that prefill a prompt alongside `batch` decoding sequences.

    Long prompts are chunked (max_num_tokens, see `prefill_chunks`): `chunks` steps of `chunk`
    tokens, each costing `chunk_compute_s` of prefill compute (`prefill_compute_s` / chunks).
    Every chunk step re-reads the weights (and the experts the decode batch plus the chunk
    touch), runs the batch's decode GEMMs plus the chunk's prefill and the batch's attention,
    carries collectives for batch + chunk tokens and pays the fixed overhead; with pp stages
    the prompt crosses every stage in turn.
    """
    plan = step.plan
    micro = batch / plan.pp
    decoding = micro * step.verify_tokens  # tokens the decoding sequences carry (spec decode)
    tokens = decoding + chunk
    w, gemm = step.gemm_s(decoding, rows=tokens)
    if step.experts_s:  # the experts the chunk's tokens touch too
        w += step.experts_s * (experts_touched_fraction(plan, tokens)
                               - experts_touched_fraction(plan, decoding))
    gemm += chunk_compute_s
    kv = micro * step.kv_per_seq_s
    attn = decoding * step.attn_per_seq_s
    kernels = (w if w > gemm else gemm) + (kv if kv > attn else attn)
    one = kernels + step.exposed_comm(tokens, kernels) + step.t_fixed_s
    return plan.pp * chunks * one
