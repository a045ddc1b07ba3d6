"""Leave-one-group-out cross-validation of the calibration parts, and its scores per slice
(engine × GPU family × dense/MoE) and error bands. Pure computation; the caller reads files.
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from advisor.calibration.evaluate import Log, Parts, fit_parts, predict, slice_of
from advisor.calibration.fit import Case

# -- cross-validation ---------------------------------------------------------------------------

GROUPINGS: dict[str, Callable[[Case], str]] = {
    "source": lambda c: _source_key(c.row.source) + (f" ({c.row.engine_spec})" if c.row.version else ""),
    "model": lambda c: c.model.family if c.model.family else c.model.id,
    "gpu": lambda c: c.acc.family,
    "engine": lambda c: c.row.engine,
}


def _source_key(source: str) -> str:
    """Rows of one publication share a key, so one blog's or one table's rows leave together
    (with the engine release: one page holding tables of two releases is two measurement sets):
    a URL without its fragment; 'owner/repo: folder/file' up to the folder (one results folder
    is one publication); 'owner/repo#123' as it is."""
    text = source.split(" (")[0].split(" @ ")[0].split(";")[0].strip()
    if "://" in text:
        return text.split("#")[0].rstrip("/")
    repo, colon, path = text.partition(":")
    if colon and "/" in repo and " " not in repo.strip():
        folder = path.strip().rsplit("/", 1)[0] if "/" in path else path.strip()
        return f"{repo.strip()}: {folder}"
    return text or "unknown"


def groups_of(cases: list[Case], by: str) -> dict[str, list[int]]:
    """Case indices per group of a cross-validation grouping."""
    key = GROUPINGS[by]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[key(c)].append(i)
    return dict(sorted(groups.items()))


def _fold(cases: list[Case], idx: list[int], full: Parts) -> list[float]:
    left = set(idx)
    parts = fit_parts([c for i, c in enumerate(cases) if i not in left], start=full, quick=True)
    return predict([cases[i] for i in idx], parts)


def cross_validate(cases: list[Case], by: str, full: Parts, *, log: Log | None = None,
                   jobs: int = 1) -> list[float]:
    """Leave one group (source, model family, GPU family or engine) out at a time: refit on the
    rest (warm-started from `full`) and predict the left-out rows. One prediction per case;
    `jobs` > 1 runs folds in that many processes (the result is the same)."""
    groups = groups_of(cases, by)
    preds = [math.nan] * len(cases)
    if jobs > 1 and len(groups) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {name: pool.submit(_fold, cases, idx, full) for name, idx in groups.items()}
            for n, (name, future) in enumerate(futures.items(), 1):
                for i, p in zip(groups[name], future.result(), strict=True):
                    preds[i] = p
                if log:
                    log(f"cv by {by} {n}/{len(groups)}: left out {name} ({len(groups[name])} rows)")
        return preds
    for n, (name, idx) in enumerate(groups.items(), 1):
        if log:
            log(f"cv by {by} {n}/{len(groups)}: leaving out {name} ({len(idx)} rows)")
        for i, p in zip(idx, _fold(cases, idx, full), strict=True):
            preds[i] = p
    return preds


# -- scores -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SliceScore:
    """Agreement of predictions with measurements for one slice."""

    slice: tuple[str, ...]
    rows: int
    scored: int
    median_abs_pct: float
    within_25: float
    bias_pct: float
    p80_abs_pct: float


def pct_errors(cases: list[Case], preds: list[float]) -> list[float | None]:
    """Signed % error per case, None where there is no finite prediction."""
    out: list[float | None] = []
    for c, p in zip(cases, preds, strict=True):
        if p > 0 and math.isfinite(p) and c.row.value > 0:
            out.append((p - c.row.value) / c.row.value * 100.0)
        else:
            out.append(None)
    return out


def score(key: tuple[str, ...], errors: list[float | None]) -> SliceScore:
    scored = [e for e in errors if e is not None]
    if not scored:
        return SliceScore(key, len(errors), 0, math.nan, math.nan, math.nan, math.nan)
    absolute = sorted(abs(e) for e in scored)
    return SliceScore(key, len(errors), len(scored), statistics.median(absolute),
                      sum(a <= 25.0 for a in absolute) / len(absolute), statistics.median(scored),
                      _quantile(absolute, 0.8))


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def slice_scores(cases: list[Case], preds: list[float]) -> list[SliceScore]:
    """Overall, per engine, and per engine × GPU family × dense/MoE."""
    errors = pct_errors(cases, preds)
    by: dict[tuple[str, ...], list[float | None]] = defaultdict(list)
    for c, e in zip(cases, errors, strict=True):
        engine, family, kind = slice_of(c)
        by[("all",)].append(e)
        by[(engine,)].append(e)
        by[(engine, family, kind)].append(e)
    order = sorted(by, key=lambda k: (len(k) != 1 or k != ("all",), len(k), k))
    return [score(k, by[k]) for k in order]


def bands(cases: list[Case], preds: list[float]) -> dict[tuple[str, str, str], tuple[float, int]]:
    """(80th percentile of |cross-validated error|, rows) per engine × family × dense/MoE."""
    errors = pct_errors(cases, preds)
    by: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for c, e in zip(cases, errors, strict=True):
        if e is not None:
            engine, family, kind = slice_of(c)
            by[(engine, family, kind)].append(abs(e))
            by[(engine, "*", kind)].append(abs(e))  # the engine's band over every family
    return {k: (_quantile(sorted(v), 0.8), len(v)) for k, v in by.items()}
