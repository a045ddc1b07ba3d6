"""Fitting one accelerator/engine (optionally one offering) to a team's measurements.

The objective and optimizer are the shipped fit's (`fit.loss`, `fit.fit_group`). What differs
is what is free: a team's runs rarely pin every factor down, so only the factors the data can
identify are fitted and the rest keep the prior (the entry `advisor` uses today):

- sensitivity: at the prior, each factor is lowered 10 % and the change in every log
  prediction recorded (a column of the Jacobian);
- greedy selection: the factor whose column, after removing what the factors already chosen
  explain, is largest is taken next, as long as that remainder would pin it to about ±15 %
  with ~3 % measurement noise (RMS ≥ 0.03 / (0.15·√rows)); confounded or invisible factors
  (α on one TP degree, η_compute without large batches, t_request next to η_prefill on one
  prompt length) stay at the prior;
- evidence: a factor the greedy selection left out (its sensitivity at the prior was small,
  e.g. an overhead the prior puts near zero) is freed after all when fitting it lowers χ² (log
  errors over the 3 % noise) by at least 9 — the data demand it at three sigma;
- a fitted factor that runs to its limit frees the next factor in that order; when none is
  left and the data cannot tell the limit from the prior's value (Δχ² < 4), the data only
  bound that factor and it keeps the prior;
- the engine batch cap is searched on the shipped grid only when some run's prediction depends
  on it (many short sequences at once, before the KV cache binds); among equally good caps the
  one nearest the prior's is kept.

A fit is refused when the measurements are faster than the roofline allows (any η > 1 — e.g.
decode faster than HBM bandwidth permits), when a factor must sit at the optimizer's limit
(η at 0.98, an overhead at its ceiling) to fit, or when too few usable rows remain.
Pure; no I/O. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from advisor.calibration.fit import (
    BATCH_GRID,
    ETA_LIMIT,
    NAMES,
    SOFT_L1_SCALE,
    TIME_LIMITS_S,
    Case,
    Log,
    factors_of,
    fit_group,
    loss,
    predictions,
    values_of,
)
from advisor.core.scoring import THROUGHPUT_METRICS, Score, summarize
from advisor.domain import EfficiencyFactors
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

NOISE = 0.03  # typical run-to-run scatter of a serving benchmark's means (log units)
TARGET = 0.15  # a factor is fitted when the data would pin it to about ±15 %
STEP = math.log(1.1)  # sensitivity probe: the factor lowered by 10 %
MIN_ROWS = 3
ROOFLINE_SLACK = 1.05  # measured up to 5 % past the roofline is noise, beyond it physics
FLAT_CHI2 = 4.0  # a factor at its limit that the data cannot tell from the prior keeps the prior
CAP_SENSITIVITY = 0.01  # the batch cap is searched when it moves some prediction by 1 %
KINDS = ("throughput", "TTFT", "ITL/TPOT")


@dataclass(frozen=True)
class TeamFit:
    """A finished fit: the prior, the fitted numbers, what was free, errors before and after."""

    prior: EfficiencyFactors
    fitted: EfficiencyFactors  # numbers only; id/source/scope are the writer's
    free: tuple[str, ...]  # factors fitted (NAMES order, plus "max_batch" when searched)
    bounded: tuple[str, ...]  # factors the data only bound from one side: kept at the prior
    sensitivity: dict[str, float]  # RMS change of log predictions per log change of a factor
    before: dict[str, Score]
    after: dict[str, Score]
    rows: int
    mode: str = "full"  # "full" (identifiability-driven) or "scale and offset" (few runs)
    runs: int = 0  # distinct operating points measured
    scaled: tuple[str, ...] = ()  # what the throughput scale moved: the bound η (×), step overheads (÷)
    scale: float = 1.0  # that scale: how much faster the decode step is than the prior says
    bound: str = ""  # what the runs' decode is bound by: "memory", "compute", "memory and compute"
    bound_why: str = ""  # the sensitivities that say so, in words


def refuse(message: str) -> AdvisorError:
    return AdvisorError(f"calibrate: refused: {message}", exit_code=EXIT_BAD_INPUT)


def kind_of(metric: str) -> str:
    if metric in THROUGHPUT_METRICS:
        return "throughput"
    return "TTFT" if metric == "ttft_mean_ms" else "ITL/TPOT"


def metric_scores(cases: list[Case], eff: EfficiencyFactors) -> dict[str, Score]:
    """Median abs % error etc. per kind of metric, and over all rows ("all")."""
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for c, p in zip(cases, predictions(cases, eff), strict=False):
        by[kind_of(c.row.metric)].append((p, c.row.value))
        by["all"].append((p, c.row.value))
    return {k: summarize(v) for k, v in by.items()}


# -- checks --------------------------------------------------------------------------------

def _roofline(prior: EfficiencyFactors, max_batch: int) -> EfficiencyFactors:
    """Every η at 1 and no overheads: nothing real runs faster."""
    vals = dict.fromkeys(("eta_mem", "eta_compute", "eta_prefill"), 1.0)
    vals.update(alpha_s=0.0, t_fixed_s=0.0, t_request_s=0.0)
    return factors_of(prior.family, prior.engine, vals, max_batch)


def _open_loop_throughput(case: Case) -> bool:
    """Throughput of an unsaturated open loop is the offered rate: it says nothing of speed."""
    load = case.row.concurrency.lower()
    return case.row.metric in THROUGHPUT_METRICS and "rate" in load and "inf" not in load


def _bounds(cases: list[Case], prior: EfficiencyFactors) -> list[float]:
    """The roofline's best case per row whatever the engine's batch cap (1, the shipped grid,
    the prior's): the most throughput and the shortest latency. (The cap also sizes the logits
    workspace, so an unbounded cap is not the best case.)"""
    caps = sorted({1, *BATCH_GRID, prior.max_batch})
    runs = [predictions(cases, _roofline(prior, cap)) for cap in caps]
    return [max(values) if c.row.metric in THROUGHPUT_METRICS else min(values)
            for c, *values in zip(cases, *runs, strict=False)]


def roofline_problems(cases: list[Case], prior: EfficiencyFactors) -> list[str]:
    """Rows measured faster than the roofline permits, worst first."""
    found: list[tuple[float, str]] = []
    for c, bound in zip(cases, _bounds(cases, prior), strict=False):
        if _open_loop_throughput(c) or not (bound > 0 and math.isfinite(bound)):
            continue
        r = c.row
        latency = r.metric not in THROUGHPUT_METRICS
        ratio = bound / r.value if latency else r.value / bound
        if ratio > ROOFLINE_SLACK:
            what = {"ttft_mean_ms": "TTFT", "itl_mean_ms": "time per output token"}.get(r.metric, "throughput")
            unit = "ms" if latency else "req/s" if r.metric == "requests_per_s" else "tokens/s"
            found.append((ratio, f"{r.id}: measured {what} {r.value:,.4g} {unit} is "
                          f"{'below' if latency else 'above'} the roofline's {bound:,.4g} {unit} "
                          f"for {r.model} {r.precision} tp={r.tp} on {r.gpu} (an efficiency of "
                          f"{ratio:.2f} > 1: faster than memory bandwidth and peak FLOP/s allow)"))
    return [text for _, text in sorted(found, key=lambda item: -item[0])]


def limit_problems(fitted: EfficiencyFactors, names: list[str],
                   limits: dict[str, float] = TIME_LIMITS_S) -> list[str]:
    problems = []
    for name in names:
        if name.startswith("eta"):
            problems.append(f"{name} reached the {ETA_LIMIT} ceiling (faster than any engine "
                            "gets; check --gpu, --tp, --weights and --kv-dtype)")
        else:
            problems.append(f"{name} reached its {limits[name]:g} s limit (slower than "
                            "overheads explain; check the layout flags and the files)")
    return problems


# -- identifiability -----------------------------------------------------------------------

def _log_predictions(cases: list[Case], eff: EfficiencyFactors) -> list[float | None]:
    return [math.log(p) if p > 0 and math.isfinite(p) else None for p in predictions(cases, eff)]


def sensitivities(cases: list[Case], prior: EfficiencyFactors, *,
                  keep: EfficiencyFactors | None = None) -> dict[str, list[float]]:
    """d log(prediction) / d log(factor) per row, by lowering each factor 10 %; with `keep`
    (the prior itself) its fields outside NAMES stay as they are (see `fit.factors_of`)."""
    base = _start(prior)
    p0 = _log_predictions(cases, factors_of(prior.family, prior.engine, base, prior.max_batch, keep))
    columns: dict[str, list[float]] = {}
    for name in NAMES:
        probe = {**base, name: base[name] / 1.1}
        p1 = _log_predictions(cases, factors_of(prior.family, prior.engine, probe, prior.max_batch, keep))
        columns[name] = [(b - a) / -STEP if a is not None and b is not None else 0.0
                         for a, b in zip(p0, p1, strict=False)]
    return columns


def rms(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v) / len(v)) if v else 0.0


def _remove(v: list[float], basis: list[list[float]]) -> list[float]:
    out = list(v)
    for b in basis:
        dot = sum(x * y for x, y in zip(out, b, strict=False))
        out = [x - dot * y for x, y in zip(out, b, strict=False)]
    return out


def ranked(columns: dict[str, list[float]]) -> list[tuple[str, float]]:
    """Greedy order: the factor whose column, less what the factors before it explain, is
    largest comes next; with that unexplained part's RMS. Invisible factors are left out."""
    order: list[tuple[str, float]] = []
    basis: list[list[float]] = []
    remaining = list(NAMES)
    while remaining:
        parts = {n: _remove(columns[n], basis) for n in remaining}
        best = max(remaining, key=lambda n: rms(parts[n]))
        size = rms(parts[best])
        if size < 1e-6:
            break
        norm = math.sqrt(sum(x * x for x in parts[best]))
        basis.append([x / norm for x in parts[best]])
        order.append((best, size))
        remaining.remove(best)
    return order


def threshold(rows: int) -> float:
    """The unexplained sensitivity that pins a factor to ±TARGET at NOISE on `rows` values."""
    return NOISE / (TARGET * math.sqrt(max(rows, 1)))


def identifiable(columns: dict[str, list[float]], rows: int) -> list[str]:
    """The factors the data pins down: the greedy order up to the first below the threshold."""
    chosen: list[str] = []
    for name, size in ranked(columns):
        if size < threshold(rows):
            break
        chosen.append(name)
    return [n for n in NAMES if n in chosen]


# -- the fit -------------------------------------------------------------------------------

def _start(prior: EfficiencyFactors) -> dict[str, float]:
    """The prior's numbers inside the optimizer's domain (η in (0, 0.97], times > 0)."""
    vals = values_of(prior)
    out = {}
    for name in NAMES:
        v = float(vals[name])
        out[name] = min(max(v, 0.01), 0.97) if name.startswith("eta") else \
            min(max(v, 1e-9), TIME_LIMITS_S[name] * 0.9)
    return out


def _batch_grid(cases: list[Case], prior: EfficiencyFactors) -> tuple[int, ...]:
    """The shipped grid of engine batch caps when some run's prediction depends on the cap
    (by 1 % or more: many short sequences at once), else just the prior's cap."""
    grid = tuple(sorted(set(BATCH_GRID) | {prior.max_batch}))
    start = _start(prior)
    by_cap = [predictions(cases, factors_of(prior.family, prior.engine, start, cap)) for cap in grid]
    for row in zip(*by_cap, strict=False):
        finite = [p for p in row if p > 0 and math.isfinite(p)]
        if len(finite) != len(row) or max(finite) > min(finite) * (1.0 + CAP_SENSITIVITY):
            return grid
    return (prior.max_batch,)


def _settle_cap(cases: list[Case], found: EfficiencyFactors, grid: tuple[int, ...],
                prior_cap: int) -> EfficiencyFactors:
    """Of the caps that fit equally well (the data only bounds the cap), the one nearest the
    prior's: a cap the runs never reached is not evidence for a different one."""
    vals = {n: getattr(found, n) for n in NAMES}
    best = loss(cases, found)
    same = [cap for cap in grid
            if loss(cases, factors_of(found.family, found.engine, vals, cap)) <= best * (1 + 1e-4) + 1e-12]
    cap = min(same or [found.max_batch], key=lambda c: (abs(math.log(c / prior_cap)), c))
    return factors_of(found.family, found.engine, vals, cap)


def usable(cases: list[Case], prior: EfficiencyFactors) -> tuple[list[Case], list[str]]:
    """Cases the model can predict at the prior (the rest: a warning each)."""
    kept, dropped = [], []
    for c, p in zip(cases, predictions(cases, prior), strict=False):
        if p > 0 and math.isfinite(p):
            kept.append(c)
        else:
            dropped.append(f"{c.row.id}: not predicted ({c.row.model} does not fit on "
                           f"{c.row.tp}×{c.row.gpu} at this load?); left out of the fit")
    return kept, dropped


def fit_team(cases: list[Case], prior: EfficiencyFactors, *, max_evals: int = 400,
             log: Log | None = None) -> TeamFit:
    """Fit what the measurements identify; AdvisorError (refused) when unphysical or too few.

    A fitted factor pinned at its limit means either that a factor held at the prior is off by
    more than the selection could see — so the next factor in the greedy order is freed too and
    the fit repeated — or, once none is left, that the data only bound it (the loss is flat up
    to the limit: Δχ² < 4 between the limit and the prior's value), and it keeps the prior.
    Otherwise the fit is refused."""
    problems = roofline_problems(cases, prior)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise refuse(problems[0] + more)
    columns = sensitivities(cases, prior)
    free = identifiable(columns, len(cases))
    if not free:
        raise refuse("the measurements do not pin down any efficiency factor (they hardly "
                     "change when a factor changes); measure decode speed (ITL/TPOT) or TTFT")
    grid = _batch_grid(cases, prior)
    order = [n for n, _ in ranked(columns)]
    found, free, bounded = _fit_within_limits(cases, prior, free, order, grid, max_evals, log)
    found, free, bounded = _free_on_evidence(cases, prior, (found, free, bounded), order, grid,
                                             max_evals)
    searched = ("max_batch",) if len(grid) > 1 else ()
    return TeamFit(prior=prior, fitted=found, free=tuple(free) + searched,
                   bounded=tuple(n for n in NAMES if n in bounded),
                   sensitivity={n: rms(columns[n]) for n in NAMES},
                   before=metric_scores(cases, prior), after=metric_scores(cases, found),
                   rows=len(cases))


EVIDENCE_CHI2 = 9.0  # Δχ² a left-out factor must buy to be freed (three sigma)


def _chi2(cases: list[Case], eff: EfficiencyFactors) -> float:
    """χ² of the fit at NOISE: the soft-L1 loss is (log-ratio / SOFT_L1_SCALE)² per row for
    small errors, so the summed loss rescales to Σ (log-ratio / NOISE)²."""
    return loss(cases, eff) * len(cases) * SOFT_L1_SCALE ** 2 / NOISE ** 2


def _free_on_evidence(cases: list[Case], prior: EfficiencyFactors,
                      fit: tuple[EfficiencyFactors, list[str], set[str]], order: list[str],
                      grid: tuple[int, ...], max_evals: int
                      ) -> tuple[EfficiencyFactors, list[str], set[str]]:
    """Free each factor left at the prior, in the greedy order, when the data demand it."""
    found, free, bounded = fit
    best = _chi2(cases, found)
    for name in order + [n for n in NAMES if n not in order]:
        if name in free or name in bounded or len(cases) < max(MIN_ROWS, len(free) + 2):
            continue
        trial_free = [n for n in NAMES if n in free or n == name]
        try:
            trial = _fit_within_limits(cases, prior, trial_free, order, grid, max_evals, None)
        except AdvisorError:
            continue
        score = _chi2(cases, trial[0])
        if best - score >= EVIDENCE_CHI2:
            (found, free, bounded), best = trial, score
    return found, free, bounded


def _fit_within_limits(cases: list[Case], prior: EfficiencyFactors, free: list[str],
                       order: list[str], grid: tuple[int, ...], max_evals: int,
                       log: Log | None) -> tuple[EfficiencyFactors, list[str], set[str]]:
    """Fit; while a factor sits at its limit, free the next factor in `order`, then keep the
    prior for factors the data only bound; refuse when neither helps."""
    bounded: set[str] = set()
    while True:
        need = max(MIN_ROWS, len(free) + 1)
        if len(cases) < need:
            raise refuse(f"only {len(cases)} usable measurement(s); at least {need} are needed "
                         f"to fit {', '.join(free)}")
        found = _fit(cases, prior, free, grid, max_evals, log)
        at_limit = _at_limit(found, free)
        if not at_limit:
            return found, free, bounded
        extra = [n for n in order if n not in free and n not in bounded]
        flat = [n for n in at_limit if _only_bounded(cases, found, n, prior)]
        if extra:
            free = [n for n in NAMES if n in free or n == extra[0]]
        elif flat and len(flat) < len(free):
            bounded.update(flat)
            free = [n for n in free if n not in flat]
        else:
            raise refuse("; ".join(limit_problems(found, at_limit)))


def _at_limit(found: EfficiencyFactors, free: list[str]) -> list[str]:
    return [n for n in free if (getattr(found, n) >= ETA_LIMIT - 1e-3 if n.startswith("eta")
                                else getattr(found, n) >= TIME_LIMITS_S[n] * 0.999)]


def _only_bounded(cases: list[Case], found: EfficiencyFactors, name: str,
                  prior: EfficiencyFactors) -> bool:
    """Whether moving `name` back to the prior's value costs less than Δχ² = 4 (about 2σ at
    NOISE; the soft-L1 loss is (log-ratio / SOFT_L1_SCALE)² per row for small errors)."""
    vals = {n: getattr(found, n) for n in NAMES}
    back = factors_of(found.family, found.engine, {**vals, name: _start(prior)[name]}, found.max_batch)
    return _chi2(cases, back) - _chi2(cases, found) < FLAT_CHI2


def _fit(cases: list[Case], prior: EfficiencyFactors, free: list[str], grid: tuple[int, ...],
         max_evals: int, log: Log | None) -> EfficiencyFactors:
    """The shipped fit_group with `free` free and the rest at the prior's exact numbers."""
    start = _start(prior)
    fixed = {n: start[n] for n in NAMES if n not in free}
    found, _ = fit_group(prior.family, prior.engine, cases, fixed, max_evals,
                         batch_grid=grid, start=start, log=log)
    exact = values_of(prior)  # kept factors are the prior's own numbers, not a log/exp round trip
    vals = {n: float(exact[n]) if n in fixed else getattr(found, n) for n in NAMES}
    found = factors_of(prior.family, prior.engine, vals, found.max_batch)
    return _settle_cap(cases, found, grid, prior.max_batch) if len(grid) > 1 else found
