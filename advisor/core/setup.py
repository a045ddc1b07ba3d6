"""Preparing one estimate: input checks, the memoised plan and memory, and the `Setup` the
serving solvers work from (step model, memory, batch cap, prefill costs).

Plans and memory figures are memoised by object identity plus the layout and precision, since
searches ask for the same deployment under many loads. Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from advisor.core.efficiency import as_dict
from advisor.core.layouts import layout_reason
from advisor.core.memory import MemoryParts, fraction_of_free_memory, memory_parts
from advisor.core.params import shape
from advisor.core.precision import check_formats
from advisor.core.timing import (
    Factors,
    Plan,
    Step,
    build_plan,
    first_token_s,
    prefill_chunks,
    prefill_compute_s,
    step_model,
)
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

    @property
    def plan(self) -> Plan:
        return self.step.plan

    def first(self, batch: float) -> float:
        """Latency of the step(s) carrying one prompt beside `batch` decoding sequences."""
        chunks = self.chunks
        return first_token_s(self.step, batch, chunks, self.isl / chunks,
                             self.prefill_compute_s / chunks)

    @property
    def decode_tokens(self) -> int:
        """Tokens a request decodes after the first (which its prefill step produces)."""
        return self.osl - 1 if self.osl > 1 else 0


def _check(model: ModelProfile, fabric: Fabric, layout: Layout, precision: Precision,
           load: Load) -> None:
    try:
        check_formats(precision.weights, precision.kv)
    except ValueError as err:
        raise AdvisorError(str(err), exit_code=EXIT_BAD_INPUT) from None
    if load.isl < 1 or load.osl < 1:
        raise AdvisorError("isl and osl must be at least 1 token", exit_code=EXIT_BAD_INPUT)
    if load.concurrency is not None and load.concurrency < 1:
        raise AdvisorError("concurrency must be at least 1", exit_code=EXIT_BAD_INPUT)
    if load.rate is not None and not load.rate > 0:
        raise AdvisorError("rate must be a positive number of requests per second",
                           exit_code=EXIT_BAD_INPUT)
    if load.max_context is not None and load.max_context < load.isl + load.osl:
        raise AdvisorError(f"max_context {load.max_context} is below isl + osl = "
                           f"{load.isl + load.osl}", exit_code=EXIT_BAD_INPUT)
    reason = layout_reason(model, layout, fabric)
    if reason:
        raise AdvisorError(reason, exit_code=EXIT_BAD_INPUT)


_PLANS: dict[tuple, tuple[ModelProfile, Accelerator, Plan]] = {}


def _plan(model: ModelProfile, acc: Accelerator, fabric: Fabric, layout: Layout,
          precision: Precision, f: Factors) -> Plan:
    """`build_plan`, memoised: searches call estimate with the same deployment many times."""
    key = (id(model), id(acc), fabric, layout.tp, layout.pp, layout.ep, precision, f)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is model and hit[1] is acc:
        return hit[2]
    if len(_PLANS) > 20_000:
        _PLANS.clear()
    plan = build_plan(model, acc, fabric, layout, precision, f)
    _PLANS[key] = (model, acc, plan)
    return plan


_FACTORS: dict[int, tuple[EfficiencyFactors, Factors, Mapping[str, float]]] = {}


def plain_factors(eff: EfficiencyFactors) -> Factors:
    return factor_entry(eff)[1]


def factor_entry(eff: EfficiencyFactors) -> tuple[EfficiencyFactors, Factors, Mapping[str, float]]:
    """Plain-float factors and their (read-only, shared) report mapping, once per factor entry."""
    hit = _FACTORS.get(id(eff))
    if hit is None or hit[0] is not eff:
        if len(_FACTORS) > 10_000:
            _FACTORS.clear()
        hit = _FACTORS[id(eff)] = (eff, Factors.of(eff), MappingProxyType(as_dict(eff)))
    return hit


_STEPS: dict[tuple[int, float], tuple[Plan, Step]] = {}


def _step(plan: Plan, context: float) -> Step:
    """`step_model`, memoised by plan identity (plans are memoised) and mean decode context."""
    key = (id(plan), context)
    hit = _STEPS.get(key)
    if hit is not None and hit[0] is plan:
        return hit[1]
    if len(_STEPS) > 20_000:
        _STEPS.clear()
    step = step_model(plan, context)
    _STEPS[key] = (plan, step)
    return step


_MEMORY: dict[tuple, tuple[ModelProfile, Accelerator, MemoryParts]] = {}


def _memory(model: ModelProfile, acc: Accelerator, layout: Layout, precision: Precision,
            context: int, rows: int, fraction: float, of_free: bool) -> MemoryParts:
    """`memory_parts`, memoised like `_plan`."""
    key = (id(model), id(acc), layout.tp, layout.pp, layout.ep, precision, context, rows,
           fraction, of_free)
    hit = _MEMORY.get(key)
    if hit is not None and hit[0] is model and hit[1] is acc:
        return hit[2]
    if len(_MEMORY) > 20_000:
        _MEMORY.clear()
    parts = memory_parts(shape(model), acc, layout, precision, context=context, logit_rows=rows,
                         memory_fraction=fraction, fraction_of_free=of_free)
    _MEMORY[key] = (model, acc, parts)
    return parts


def prepare(
    model: ModelProfile,
    acc: Accelerator,
    fabric: Fabric,
    layout: Layout,
    precision: Precision,
    load: Load,
    f: Factors,
    engine: str,
    *,
    memory_fraction: float,
    logit_rows: int,
) -> Setup:
    """Check the inputs and precompute the step model, the memory and the batch cap.

    Memoised like `_plan` (the search asks for the throughput ceiling and then the estimate of
    the same deployment and load, both of which start here).
    """
    key = (id(model), id(acc), fabric, layout, precision, load, f, engine, memory_fraction, logit_rows)
    hit = _SETUPS.get(key)
    if hit is not None and hit[0] is model and hit[1] is acc:
        return hit[2]
    if len(_SETUPS) > 20_000:
        _SETUPS.clear()
    setup = _prepare(model, acc, fabric, layout, precision, load, f, engine, memory_fraction, logit_rows)
    _SETUPS[key] = (model, acc, setup)
    return setup


_SETUPS: dict[tuple, tuple[ModelProfile, Accelerator, Setup]] = {}


def _prepare(model: ModelProfile, acc: Accelerator, fabric: Fabric, layout: Layout,
             precision: Precision, load: Load, f: Factors, engine: str, memory_fraction: float,
             logit_rows: int) -> Setup:
    _check(model, fabric, layout, precision, load)
    parts = _memory(model, acc, layout, precision, load.context, min(logit_rows, f.max_batch),
                    memory_fraction, fraction_of_free_memory(engine))
    step = _step(_plan(model, acc, fabric, layout, precision, f), load.isl + load.osl / 2.0)
    compute = prefill_compute_s(step.plan, load.isl)
    return Setup(
        step=step,
        parts=parts,
        batch_cap=min(f.max_batch, parts.max_sequences),
        isl=load.isl,
        osl=load.osl,
        prefill_gpu_s=compute + step.comm_per_token_s * load.isl,
        prefill_compute_s=compute,
        chunks=prefill_chunks(load.isl),
    )
