"""The fitting library: objective and optimizer shared by the shipped fit and `advisor calibrate`.

A `Case` is one measured quantity (a `BenchRow`) with the model and accelerator it was measured
on; `loss` is the robust (soft-L1) mean of log(predicted/measured) over the cases; `nelder_mead`
is a deterministic pure-Python Nelder-Mead; `fit_group` fits the factors of one family/engine
over a small grid of engine batch caps, holding `fixed` parameters at given values.
benchmarks/fit_calibration.py produces profiles/efficiency.toml with exactly these functions, so
any change here must keep that file reproducible. scipy is deliberately not used.

Pure computation (no file I/O); progress goes to an optional `log` callable. Must not import
textual, rich, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from advisor.core.protocols import RunResult
from advisor.core.scoring import THROUGHPUT_METRICS, BenchRow, Score, run_for, summarize, value_for
from advisor.core.types import Fabric
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.domain.common import Engine

BATCH_GRID = (256, 512, 1024, 2048, 4096)
SOFT_L1_SCALE = 0.2  # log-ratio scale where the loss turns from quadratic to linear
FIT_AS_OF = dt.date(2026, 8, 1)  # date on factors built while fitting (never written out)

NAMES = ("eta_mem", "eta_compute", "eta_prefill", "alpha_s", "t_fixed_s", "t_request_s")
START = (0.7, 0.55, 0.5, 1.0e-6, 1.0e-3, 0.01)
ETA_LIMIT = 0.98  # the optimizer's ceiling on any η (a fit that reaches it is suspect)
TIME_LIMITS_S = {"alpha_s": 5e-5, "t_fixed_s": 0.05, "t_request_s": 1.0}

Log = Callable[[str], None]


@dataclass(frozen=True)
class Case:
    """One measured quantity and what it was measured on. `fabric` None: the chip's own fabric
    for the row's GPU count; `tenancy_factor` scales the prediction as a quote would (throughput
    ×, latencies ÷), for measurements taken on a VM or container offering."""

    row: BenchRow
    model: ModelProfile
    acc: Accelerator
    fabric: Fabric | None = None
    tenancy_factor: float = 1.0


# -- parameters ----------------------------------------------------------------------------

def _to_x(values: tuple[float, ...]) -> list[float]:
    """Unconstrained coordinates: logit for shares, log for times."""
    out = []
    for name, v in zip(NAMES, values, strict=False):
        out.append(math.log(v / (1 - v)) if name.startswith("eta") else math.log(v))
    return out


def _from_x(x: list[float]) -> dict[str, float]:
    vals = {}
    for name, xi in zip(NAMES, x, strict=False):
        if name.startswith("eta"):
            vals[name] = min(1.0 / (1.0 + math.exp(-xi)), ETA_LIMIT)
        else:
            vals[name] = min(math.exp(max(min(xi, 50.0), -50.0)), TIME_LIMITS_S[name])
    return vals


def factors_of(family: str, engine: Engine, vals: dict[str, float], max_batch: int,
               base: EfficiencyFactors | None = None) -> EfficiencyFactors:
    """Factors under trial (labelled as such; never written out). With `base` (the prior of a
    scale-and-offset fit) every field outside NAMES and max_batch is the base's: its per-layer
    overhead, expert-GEMM efficiency and engine defaults stay what they were."""
    fitted: dict[str, Any] = vals
    if base is not None:
        return dataclasses.replace(base, **fitted, max_batch=max_batch, source="fit in progress")
    return EfficiencyFactors(
        id=f"{family}-{engine}", family=family, engine=engine, source="fit in progress",
        as_of=FIT_AS_OF, max_batch=max_batch, **fitted,
    )


def values_of(f: EfficiencyFactors) -> dict[str, float]:
    """The fitted numbers of an entry (the six of NAMES and max_batch)."""
    return {"eta_mem": f.eta_mem, "eta_compute": f.eta_compute, "eta_prefill": f.eta_prefill,
            "alpha_s": f.alpha_s, "t_fixed_s": f.t_fixed_s, "t_request_s": f.t_request_s,
            "max_batch": f.max_batch}


# -- objective ----------------------------------------------------------------------------

def _with_tenancy(run: RunResult, factor: float) -> RunResult:
    if factor == 1.0:
        return run
    return RunResult(run.requests_per_s * factor, run.output_tokens_per_s * factor,
                     run.total_tokens_per_s * factor, run.ttft_s / factor, run.itl_s / factor,
                     run.fits)


def predictions(cases: list[Case], eff: EfficiencyFactors) -> list[float]:
    """One prediction per case; runs shared by several metric rows are computed once."""
    runs: dict[tuple, RunResult] = {}
    out = []
    for c in cases:
        r = c.row
        key = (r.model, r.gpu, r.num_gpus, r.tp, r.pp, r.ep, r.precision, r.isl, r.osl,
               r.concurrency, r.scenario, c.fabric, c.tenancy_factor)
        run = runs.get(key)
        if run is None:
            run = run_for(r, c.model, c.acc, eff, fabric=c.fabric)
            run = runs[key] = _with_tenancy(run, c.tenancy_factor)
        out.append(value_for(r, run))
    return out


def loss(cases: list[Case], eff: EfficiencyFactors) -> float:
    """Mean soft-L1 loss of log(predicted/measured); a missing prediction costs the most."""
    return loss_of(cases, predictions(cases, eff))


def loss_of(cases: list[Case], preds: list[float]) -> float:
    """`loss` for predictions already made (one per case)."""
    total = 0.0
    for c, p in zip(cases, preds, strict=False):
        ratio = math.log(p / c.row.value) if p > 0 and math.isfinite(p) else 3.0
        ratio = max(min(ratio, 3.0), -3.0)
        total += 2.0 * (math.sqrt(1.0 + (ratio / SOFT_L1_SCALE) ** 2) - 1.0)
    return total / len(cases)


def nelder_mead(f: Callable[[list[float]], float], x0: list[float], *, step: float = 0.4,
                max_evals: int = 500, tol: float = 1e-6) -> tuple[list[float], float]:
    """Plain Nelder-Mead (reflect 1, expand 2, contract 0.5, shrink 0.5), deterministic."""
    n = len(x0)
    simplex = [list(x0)] + [[x0[j] + (step if j == i else 0.0) for j in range(n)] for i in range(n)]
    values = [f(p) for p in simplex]
    evals = n + 1
    while evals < max_evals:
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if values[-1] - values[0] <= tol * (abs(values[0]) + 1e-12):
            break
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]
        reflected = [c + (c - w) for c, w in zip(centroid, worst, strict=False)]
        fr = f(reflected)
        evals += 1
        if fr < values[0]:
            expanded = [c + 2.0 * (c - w) for c, w in zip(centroid, worst, strict=False)]
            fe = f(expanded)
            evals += 1
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
            continue
        if fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
            continue
        contracted = [c + 0.5 * (w - c) for c, w in zip(centroid, worst, strict=False)]
        fc = f(contracted)
        evals += 1
        if fc < values[-1]:
            simplex[-1], values[-1] = contracted, fc
            continue
        best = simplex[0]
        simplex = [best] + [[b + 0.5 * (p - b) for b, p in zip(best, q, strict=False)] for q in simplex[1:]]
        values = [values[0]] + [f(p) for p in simplex[1:]]
        evals += n
    i = min(range(n + 1), key=values.__getitem__)
    return simplex[i], values[i]


def fit_group(family: str, engine: Engine, cases: list[Case], fixed: dict[str, float],
              max_evals: int, *, batch_grid: tuple[int, ...] = BATCH_GRID,
              start: dict[str, float] | None = None,
              log: Log | None = None) -> tuple[EfficiencyFactors, float]:
    """Best factors over the batch grid; `fixed` names parameters the data cannot see.

    Each grid point runs Nelder-Mead from `start` (default START) and from the best point so
    far, each followed by a finer restart: deterministic, no random restarts."""
    free = [n for n in NAMES if n not in fixed]
    first = dict(start) if start is not None else dict(zip(NAMES, START, strict=False))
    best: tuple[float, EfficiencyFactors] | None = None
    starts = [first]
    for max_batch in batch_grid:
        def objective(x: list[float], mb: int = max_batch) -> float:
            vals = _from_x(_expand(x, free, fixed))
            return loss(cases, factors_of(family, engine, vals, mb))

        found: tuple[float, list[float]] | None = None
        for begin in starts:  # the fixed start, then the best point so far: deterministic
            x0 = [xi for n, xi in zip(NAMES, _to_x(tuple(begin[n] for n in NAMES)), strict=False) if n in free]
            x, value = nelder_mead(objective, x0, max_evals=max_evals)
            x, value = nelder_mead(objective, x, step=0.15, max_evals=max_evals // 2)
            if found is None or value < found[0]:
                found = (value, x)
        assert found is not None
        value, x = found
        vals = _from_x(_expand(x, free, fixed))
        if log is not None:
            log(f"  {family}-{engine} max_batch={max_batch}: loss {value:.4f} "
                + " ".join(f"{k}={v:.3g}" for k, v in vals.items()))
        if best is None or value < best[0]:
            best = (value, factors_of(family, engine, vals, max_batch))
            starts = [first, {**vals}]
    assert best is not None
    return best[1], best[0]


def _expand(x: list[float], free: list[str], fixed: dict[str, float]) -> list[float]:
    it = iter(x)
    full = []
    for name in NAMES:
        if name in fixed:
            full.append(_to_x(tuple(fixed[n] if n == name else 0.5 for n in NAMES))[NAMES.index(name)])
        else:
            full.append(next(it))
    return full


# -- scores -------------------------------------------------------------------------------

def scores(cases: list[Case], eff: EfficiencyFactors) -> dict[str, Score]:
    """Scores per kind of row: offline throughput, online throughput, TTFT, ITL."""
    preds = predictions(cases, eff)
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for c, p in zip(cases, preds, strict=False):
        if c.row.metric in THROUGHPUT_METRICS:
            kind = "online throughput" if c.row.online else "offline throughput"
        else:
            kind = {"ttft_mean_ms": "TTFT", "itl_mean_ms": "ITL"}[c.row.metric]
        by[kind].append((p, c.row.value))
    return {k: summarize(v) for k, v in by.items()}
