"""The `Deployment` value the core functions take, and preparing one estimate from it: input
checks, the plan and memory, and the `Setup` the serving solvers work from (step model,
memory, batch cap, prefill costs).

Setups are memoised by value (`functools.lru_cache` keyed on the hashable deployment), since a
search asks for the throughput ceiling and then the estimate of the same deployment. Pure; no
I/O, pint, rich or textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from advisor.core.layouts import layout_reason
from advisor.core.memory import MemoryParts, fraction_of_free_memory, memory_parts
from advisor.core.params import shape
from advisor.core.precision import check_formats
from advisor.core.prefill import first_token_s, prefill_chunks, prefill_compute_s
from advisor.core.timing import Factors, Plan, Step, build_plan, step_model
from advisor.core.types import Fabric, Layout, Load, Precision
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.errors import EXIT_BAD_INPUT, AdvisorError


class Setup(NamedTuple):
    """What one estimate computes once before solving for the batch."""

    step: Step
    parts: MemoryParts
    batch_cap: int
    isl: int
    osl: int
    prefill_gpu_s: float  # replica time one prompt costs when prefills are batched
    prefill_compute_s: float  # compute part of one prompt's prefill on one stage
    chunks: int  # chunks the prompt is prefilled in
    prefill_tokens: float = 0.0  # prompt tokens prefilled: isl less the prefix-cache hits
    prefix_hit: float = 0.0  # share of prompt tokens served from the prefix cache
    alone_extra_s: float = 0.0  # a lone prefill forward's time beyond prefill_gpu_s (prefill_alone)

    @property
    def plan(self) -> Plan:
        return self.step.plan

    def first(self, batch: float) -> float:
        """Latency of the step(s) carrying one prompt beside `batch` decoding sequences."""
        chunks = self.chunks
        return first_token_s(self.step, batch, chunks, self.prefill_tokens / chunks,
                             self.prefill_compute_s / chunks)

    def first_for(self, prompt: int, batch: float) -> float:
        """`first` for a prompt of another length (same prefix-hit share)."""
        cached = prompt * self.prefix_hit
        chunks = prefill_chunks(prompt - cached)
        compute = prefill_compute_s(self.plan, prompt, cached)
        return first_token_s(self.step, batch, chunks, (prompt - cached) / chunks, compute / chunks)

    def prompt_gpu_s(self, batch: float) -> float:
        """Replica time one prompt costs beside `batch` decoding sequences: its batched prefill
        time, or, on an engine that prefills in forwards of their own (`prefill_alone`), that
        plus a lone forward's weight read and overheads, shared by the prompts arriving within
        one decode step (batch / decode tokens of them in a steady state: λ·TPOT)."""
        if not self.alone_extra_s:
            return self.prefill_gpu_s
        together = batch / self.decode_tokens if self.decode_tokens else 1.0
        return self.prefill_gpu_s + self.alone_extra_s / max(1.0, together)

    @property
    def decode_tokens(self) -> int:
        """Tokens a request decodes after the first (which its prefill step produces)."""
        return self.osl - 1 if self.osl > 1 else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """One question to the performance model: which model runs on which accelerator and
    fabric, split how, in which formats, under which load, with which efficiency factors.
    A value (hashable, compared by its fields), so it is also the memo key."""

    model: ModelProfile
    accelerator: Accelerator
    fabric: Fabric
    layout: Layout
    precision: Precision
    load: Load
    factors: EfficiencyFactors


def _check(d: Deployment) -> None:
    load = d.load
    try:
        check_formats(d.precision.weights, d.precision.kv)
    except ValueError as err:
        raise AdvisorError(str(err), exit_code=EXIT_BAD_INPUT) from None
    if load.isl < 1 or load.osl < 1:
        raise AdvisorError("isl and osl must be at least 1 token", exit_code=EXIT_BAD_INPUT)
    if load.concurrency is not None and load.concurrency < 1:
        raise AdvisorError("concurrency must be at least 1", exit_code=EXIT_BAD_INPUT)
    if load.rate is not None and not load.rate > 0:
        raise AdvisorError("rate must be a positive number of requests per second",
                           exit_code=EXIT_BAD_INPUT)
    if not 0.0 <= load.prefix_hit < 1.0:
        raise AdvisorError(f"prefix hit {load.prefix_hit!r} must be at least 0 and below 1",
                           exit_code=EXIT_BAD_INPUT)
    if load.draft_tokens < 0 or not 1.0 <= load.accepted_tokens <= 1 + load.draft_tokens:
        raise AdvisorError(f"speculative decoding: {load.accepted_tokens!r} accepted tokens per step "
                           f"must be at least 1 and at most 1 + {load.draft_tokens} drafted",
                           exit_code=EXIT_BAD_INPUT)
    if load.max_context is not None and load.max_context < load.isl + load.osl:
        raise AdvisorError(f"max_context {load.max_context} is below isl + osl = "
                           f"{load.isl + load.osl}", exit_code=EXIT_BAD_INPUT)
    reason = layout_reason(d.model, d.layout, d.fabric)
    if reason:
        raise AdvisorError(reason, exit_code=EXIT_BAD_INPUT)


SMALL_GPU_BYTES = 70 * 1024**3  # vLLM's threshold for its larger batch defaults


def small_gpu(acc: Accelerator) -> bool:
    """Under 70 GiB, or an A100 (vLLM keeps A100s on the small defaults: vllm PR #17885)."""
    return acc.memory_bytes < SMALL_GPU_BYTES or acc.id.startswith("a100")


def prepare(d: Deployment, *, memory_fraction: float, logit_rows: int | None = None) -> Setup:
    """Check the deployment and precompute the step model, the memory and the batch cap.

    `logit_rows` sizes the logits workspace (default: the engine's batch cap).
    """
    return _prepare(d, memory_fraction, logit_rows)


# The search asks for the ceiling and then the estimate of one deployment and load: bench_search.py,
# repeated 405B/32k search 16.0 -> 11.7 ms median (-27 %) with this cache.
@lru_cache(maxsize=4096)
def _prepare(d: Deployment, memory_fraction: float, logit_rows: int | None) -> Setup:
    _check(d)
    f = Factors.of(d.factors)
    small = d.factors.small_gpu_max_batch
    if small is not None and small_gpu(d.accelerator):
        f = f._replace(max_batch=small)
    load, layout = d.load, d.layout
    rows = f.max_batch if logit_rows is None else min(logit_rows, f.max_batch)
    parts = memory_parts(shape(d.model), d.accelerator, layout, d.precision, context=load.context,
                         logit_rows=rows, memory_fraction=memory_fraction,
                         fraction_of_free=fraction_of_free_memory(d.factors.engine))
    plan = build_plan(d.model, d.accelerator, d.fabric, layout, d.precision, f)
    step = step_model(plan, load.isl + load.osl / 2.0, load.draft_tokens, load.accepted_tokens)
    cached = load.isl * load.prefix_hit
    new = load.isl - cached  # prompt tokens the prefill computes
    compute = prefill_compute_s(step.plan, load.isl, cached)
    setup = Setup(
        step=step,
        parts=parts,
        batch_cap=min(f.max_batch, parts.max_sequences),
        isl=load.isl,
        osl=load.osl,
        prefill_gpu_s=compute + step.comm_per_token_s * new,
        prefill_compute_s=compute,
        chunks=prefill_chunks(new),
        prefill_tokens=new,
        prefix_hit=load.prefix_hit,
    )
    if plan.prefill_alone:
        setup = setup._replace(alone_extra_s=max(0.0, setup.first(0.0) - setup.prefill_gpu_s))
    return setup
