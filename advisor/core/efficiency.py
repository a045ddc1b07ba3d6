"""Choosing the efficiency factors for an accelerator and engine.

The most specific entry wins: offering > gpu > family, for the engine asked. When no entry
matches the engine and family, a conservative built-in fallback is returned whose `source`
says so — never a silent guess. Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable
from typing import Any

from advisor.domain import Accelerator, EfficiencyFactors
from advisor.domain.choices import ENGINES
from advisor.domain.engines import behaviours, in_range, range_floor, range_is_open, split_engine

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


def _version_rank(f: EfficiencyFactors, version: str | None) -> tuple[int, ...] | None:
    """How well an entry's version range fits the version asked (None: it does not).

    A version asked: an entry whose range holds it beats one without a range. No version: the
    newest profile, i.e. an open-ended range with the highest floor."""
    if version is None:
        if not f.versions:
            return (0,)
        return (1 if range_is_open(f.versions) else 0, *range_floor(f.versions))
    if not f.versions:
        return (0,)
    return (1,) if in_range(version, f.versions) else None


def select(
    factors: Iterable[EfficiencyFactors],
    acc: Accelerator,
    engine: str,
    offering_id: str | None = None,
) -> EfficiencyFactors:
    """The factors for this accelerator and engine spec ('vllm' = newest profile, 'vllm@0.6'
    = the profile whose version range holds 0.6): offering > gpu > family > fallback."""
    name, version = split_engine(engine)
    best: EfficiencyFactors | None = None
    best_rank: tuple[int, ...] = (0,)
    for f in factors:
        if f.engine != name:
            continue
        rank = _specificity(f, acc, offering_id)
        if not rank:
            continue
        fit = _version_rank(f, version)
        if fit is None:
            continue
        key = (rank, *fit)
        if best is None or key > best_rank:
            best, best_rank = f, key
    return with_behaviours(best if best is not None else fallback(acc, name), version)


def with_behaviours(f: EfficiencyFactors, version: str | None) -> EfficiencyFactors:
    """The factors with the engine defaults of the version asked (`BEHAVIOURS`) where the entry
    spans releases that differ in them; its notes and source say what was changed and why. An entry
    fitted for one offering or GPU (a team's calibration) is taken as measured and kept."""
    if f.offering is not None or f.gpu is not None:
        return f
    applying = [(field, value, why) for field, value, why in behaviours(f.engine, version)
                if getattr(f, field) != value]
    if not applying:
        return f
    changes: dict[str, Any] = {field: value for field, value, _ in applying}
    why = "; ".join(w for _, _, w in applying)
    return dataclasses.replace(f, notes=f"{f.notes}; {why}" if f.notes else why,
                               source=f"{f.source}; for this release: {why}", **changes)


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
        prefill_alone=engine == "sglang",  # its documented default, whatever the factors
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


def band_pct(f: EfficiencyFactors, moe: bool) -> float | None:
    """The ± error band (%) of predictions with these factors for a dense or MoE model: the
    80th percentile of the slice's cross-validated errors; None for a prior (no measurements)."""
    return f.band_moe_pct if moe else f.band_pct


def band_text(f: EfficiencyFactors, moe: bool) -> str:
    """'±18 % (cross-validated on 54 rows)' or 'prior, not fitted — no measurements'."""
    band = band_pct(f, moe)
    if band is None:
        if f.rows == 0:
            return "prior, not fitted — no measurements"
        return f"no cross-validated band for {'MoE' if moe else 'dense'} models (fitted on {f.rows} rows)"
    return f"±{band:.0f} % (cross-validated on {f.band_rows} rows)"


ENGINE_VENDORS = {"trtllm": ("NVIDIA",), "sglang": ("NVIDIA", "AMD"), "vllm": ("NVIDIA", "AMD", "Intel")}


def engine_reason(acc: Accelerator, engine: str) -> str | None:
    """Why `engine` cannot serve on this accelerator, or None (TensorRT-LLM is NVIDIA-only;
    SGLang runs on NVIDIA and AMD; vLLM also on Intel Gaudi)."""
    try:
        engine = split_engine(engine)[0]
    except ValueError:
        return f"unknown engine {engine!r} (one of {', '.join(ENGINES)})"
    if acc.vendor not in ENGINE_VENDORS[engine]:
        return f"{engine} does not run on {acc.vendor} accelerators ({acc.id})"
    return None
