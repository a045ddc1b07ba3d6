"""Preparing one estimate: input checks, the memoised plan and memory, and the `Setup` the
serving solvers work from (step model, memory, batch cap, prefill costs).

Plans, step models, memory figures and setups are memoised (`_Memo`), since searches ask for
the same deployment under many loads. Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

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


class _Memo:
    """A bounded table of results keyed by the objects they were built from (by identity,
    so frozen records need not hash their fields) plus plain values. An entry is used only
    while its owners compare equal to the ones asked for, so a recycled id is never trusted;
    holding the owners keeps their ids from being reused meanwhile."""

    __slots__ = ("table", "limit")

    def __init__(self, limit: int = 20_000) -> None:
        self.table: dict[tuple, tuple[tuple, Any]] = {}
        self.limit = limit

    def get(self, owners: tuple, key: tuple, build: Callable[[], Any]) -> Any:
        full = (*map(id, owners), *key)
        hit = self.table.get(full)
        if hit is not None and hit[0] == owners:  # tuple equality checks identity first
            return hit[1]
        if len(self.table) > self.limit:
            self.table.clear()
        value = build()
        self.table[full] = (owners, value)
        return value


# Searches ask for the same deployment under many loads: plans, step models, memory figures
# and whole setups are memoised.
_PLANS, _STEPS, _MEMORY, _SETUPS, _FACTORS = _Memo(), _Memo(), _Memo(), _Memo(), _Memo(10_000)


def _plan(model: ModelProfile, acc: Accelerator, fabric: Fabric, layout: Layout,
          precision: Precision, f: Factors) -> Plan:
    """`build_plan`, memoised."""
    return _PLANS.get((model, acc), (fabric, layout.tp, layout.pp, layout.ep, precision, f),
                      lambda: build_plan(model, acc, fabric, layout, precision, f))


def plain_factors(eff: EfficiencyFactors) -> Factors:
    return factor_entry(eff)[1]


def factor_entry(eff: EfficiencyFactors) -> tuple[EfficiencyFactors, Factors, Mapping[str, float]]:
    """Plain-float factors and their (read-only, shared) report mapping, once per factor entry."""
    return _FACTORS.get((eff,), (), lambda: (eff, Factors.of(eff), MappingProxyType(as_dict(eff))))


def _step(plan: Plan, context: float) -> Step:
    """`step_model`, memoised by plan (plans are memoised) and mean decode context."""
    return _STEPS.get((plan,), (context,), lambda: step_model(plan, context))


def _memory(model: ModelProfile, acc: Accelerator, layout: Layout, precision: Precision,
            context: int, rows: int, fraction: float, of_free: bool) -> MemoryParts:
    """`memory_parts`, memoised."""
    return _MEMORY.get(
        (model, acc), (layout.tp, layout.pp, layout.ep, precision, context, rows, fraction, of_free),
        lambda: memory_parts(shape(model), acc, layout, precision, context=context, logit_rows=rows,
                             memory_fraction=fraction, fraction_of_free=of_free),
    )


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

    Memoised (the search asks for the throughput ceiling and then the estimate of the same
    deployment and load, both of which start here).
    """
    return _SETUPS.get(
        (model, acc), (fabric, layout, precision, load, f, engine, memory_fraction, logit_rows),
        lambda: _prepare(model, acc, fabric, layout, precision, load, f, engine, memory_fraction,
                         logit_rows),
    )


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
