"""Choosing the efficiency factors for an accelerator and engine.

The most specific entry wins: offering > gpu > family, for the engine asked. When no entry
matches the engine and family, a conservative built-in fallback is returned whose `source`
says so — never a silent guess. Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from advisor.domain import Accelerator, EfficiencyFactors
from advisor.domain.choices import ENGINES

# Used only when no profile entry matches: roughly the lower end of the fitted Hopper/Ampere
# factors, so an unknown chip is not predicted faster than the calibrated ones.
_FALLBACK = {
    "eta_mem": 0.55,
    "eta_compute": 0.40,
    "eta_prefill": 0.40,
    "alpha_s": 2.0e-6,
    "t_fixed_s": 3.0e-3,
    "t_request_s": 0.015,
    "max_batch": 256,
}


def _specificity(f: EfficiencyFactors, acc: Accelerator, offering_id: str | None) -> int:
    """3 offering match, 2 gpu match, 1 family match, 0 no match."""
    if f.offering is not None:
        if offering_id is None or f.offering != offering_id:
            return 0
        return 3 if f.gpu in (None, acc.id) and f.family == acc.family else 0
    if f.gpu is not None:
        return 2 if f.gpu == acc.id else 0
    return 1 if f.family == acc.family else 0


def select(
    factors: Iterable[EfficiencyFactors],
    acc: Accelerator,
    engine: str,
    offering_id: str | None = None,
) -> EfficiencyFactors:
    """The factors for this accelerator and engine (offering > gpu > family > fallback)."""
    best: EfficiencyFactors | None = None
    best_rank = 0
    for f in factors:
        if f.engine != engine:
            continue
        rank = _specificity(f, acc, offering_id)
        if rank > best_rank:
            best, best_rank = f, rank
    return best if best is not None else fallback(acc, engine)


def fallback(acc: Accelerator, engine: str) -> EfficiencyFactors:
    """Conservative factors for a family/engine with no calibration entry, labelled as such."""
    return EfficiencyFactors(
        id=f"fallback-{acc.family}-{engine}",
        family=acc.family,
        engine=engine,  # type: ignore[arg-type]
        source=(
            f"built-in fallback: no efficiency entry for family {acc.family!r} and engine "
            f"{engine!r}; conservative assumption, not fitted"
        ),
        as_of=_dt.date(2026, 1, 1),
        rows=0,
        **_FALLBACK,  # type: ignore[arg-type]
    )


def as_dict(f: EfficiencyFactors) -> dict[str, float]:
    """The numbers the model multiplies by, for reports."""
    return {
        "eta_mem": f.eta_mem,
        "eta_compute": f.eta_compute,
        "eta_prefill": f.eta_prefill,
        "alpha_s": f.alpha_s,
        "t_fixed_s": f.t_fixed_s,
        "t_request_s": f.t_request_s,
        "max_batch": float(f.max_batch),
    }


ENGINE_VENDORS = {"trtllm": ("NVIDIA",), "sglang": ("NVIDIA", "AMD"), "vllm": ("NVIDIA", "AMD", "Intel")}


def engine_reason(acc: Accelerator, engine: str) -> str | None:
    """Why `engine` cannot serve on this accelerator, or None (TensorRT-LLM is NVIDIA-only;
    SGLang runs on NVIDIA and AMD; vLLM also on Intel Gaudi)."""
    if engine not in ENGINE_VENDORS:
        return f"unknown engine {engine!r} (one of {', '.join(ENGINES)})"
    if acc.vendor not in ENGINE_VENDORS[engine]:
        return f"{engine} does not run on {acc.vendor} accelerators ({acc.id})"
    return None
