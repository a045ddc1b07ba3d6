"""How many factors a team's runs support: few runs get a throughput scale and a latency offset.

A run is one operating point (model, layout, formats, lengths, load); its throughput, TPOT and
TTFT are three views of it. Factors that differ only in how they change across operating
points — η_mem against t_fixed, η_prefill against t_request — cannot be told apart from one
point however many of its metrics are measured, so the number of runs, not of values, decides
what is fitted:

- fewer than FULL_FIT_RUNS runs: one throughput scale on the decode step, and the latency
  offset t_request from TTFT. The scale multiplies the η the runs' decode is bound by (η_mem
  when reading weights and KV dominates the step, η_compute when the GEMMs do, both when both
  matter — read from how much each moves the predicted throughput and TPOT at the prior) and
  divides the per-step overheads (t_fixed, t_layer, t_seq) every step pays whatever bounds it: the
  whole step runs that much faster or slower, split between its parts as the prior splits it.
  Every other factor and the engine batch cap keep the prior (the entry in use today);
- FULL_FIT_RUNS runs or more: the identifiability-driven fit of `team.fit_team`, which also
  separates η_mem from η_compute, t_fixed, η_prefill and α where the runs differ enough.

Either way the roofline check comes first and a fit that needs an η at its ceiling (or the
offset at its limit) is refused. Pure; no I/O. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from advisor.calibration.fit import ETA_LIMIT, NAMES, TIME_LIMITS_S, Case, Log, loss, nelder_mead
from advisor.calibration.team import (
    TeamFit,
    fit_team,
    kind_of,
    limit_problems,
    metric_scores,
    refuse,
    rms,
    roofline_problems,
    sensitivities,
)
from advisor.domain import EfficiencyFactors

FULL_FIT_RUNS = 4
ETAS = ("eta_mem", "eta_compute")
OVERHEADS = ("t_fixed_s", "t_layer_s", "t_seq_s")  # per decode step, whatever bounds it
OVERHEAD_LIMITS_S = {"t_fixed_s": TIME_LIMITS_S["t_fixed_s"], "t_layer_s": 1e-3, "t_seq_s": 1e-3}
BOUND_SHARE = 0.25  # an η moving decode by at least this share of the other's is scaled with it
VISIBLE = 1e-3  # below this sensitivity a factor does not move the predictions at all
OFFSET_FLOOR_S = 1e-6  # an offset fitted below a microsecond is none


def runs_of(cases: list[Case]) -> list[tuple[str, int, int]]:
    """The distinct operating points of the cases, as (load, prompt, output) per run."""
    points = {(c.row.model, c.row.gpu, c.row.num_gpus, c.row.tp, c.row.pp, c.row.ep, c.row.precision,
               c.row.isl, c.row.osl, c.row.concurrency): (c.row.concurrency, c.row.isl, c.row.osl)
              for c in cases}
    return list(points.values())


def fit_runs(cases: list[Case], prior: EfficiencyFactors, *, max_evals: int = 400,
             log: Log | None = None) -> TeamFit:
    """The fit the number of runs supports (see the module docstring)."""
    runs = len(runs_of(cases))
    if runs >= FULL_FIT_RUNS:
        return replace(fit_team(cases, prior, max_evals=max_evals, log=log), runs=runs)
    return scale_and_offset(cases, prior, runs, max_evals=max_evals)


def decode_bound(cases: list[Case], columns: dict[str, list[float]]) -> tuple[tuple[str, ...], str, str]:
    """The η the runs' throughput and TPOT move with at the prior, its name ("memory",
    "compute", "memory and compute") and why in words; ((), "", "") when neither moves them."""
    decode = [i for i, c in enumerate(cases) if kind_of(c.row.metric) != "TTFT"]
    size = {n: rms([columns[n][i] for i in decode]) for n in ETAS}
    top = max(size.values())
    if top < VISIBLE:
        return (), "", ""
    scaled = tuple(n for n in ETAS if size[n] >= BOUND_SHARE * top)
    bound = "memory and compute" if len(scaled) == 2 else "memory" if scaled == ("eta_mem",) else "compute"
    why = (f"its throughput and TPOT move {size['eta_mem']:.2f} % per 1 % of η_mem, "
           f"{size['eta_compute']:.2f} % per 1 % of η_compute")
    return scaled, bound, why


def _trial(prior: EfficiencyFactors, etas: tuple[str, ...], scale: float,
           offset_s: float | None) -> EfficiencyFactors:
    """The prior with the step `scale`× faster (its bound η up, its overheads down) and the
    offset, when given, as t_request."""
    changed: dict[str, Any] = {}
    if etas:
        changed.update({n: min(getattr(prior, n) * scale, ETA_LIMIT) for n in etas})
        changed.update({n: getattr(prior, n) / scale for n in OVERHEADS})
    if offset_s is not None:
        changed["t_request_s"] = min(offset_s, TIME_LIMITS_S["t_request_s"])
    return replace(prior, **changed, source="fit in progress")


def _at_limit(fitted: EfficiencyFactors, etas: tuple[str, ...], offset: bool) -> list[str]:
    found = [n for n in etas if getattr(fitted, n) >= ETA_LIMIT - 1e-3]
    found += [n for n in OVERHEADS if etas and getattr(fitted, n) > OVERHEAD_LIMITS_S[n]]
    return found + (["t_request_s"] if offset and fitted.t_request_s >= TIME_LIMITS_S["t_request_s"] * 0.999 else [])


def _what(scaled: tuple[str, ...], offset: bool) -> str:
    parts = [f"a throughput scale on {' and '.join(scaled)} and the step overheads"] if scaled else []
    return " and ".join(parts + (["the latency offset t_request_s"] if offset else []))


def scale_and_offset(cases: list[Case], prior: EfficiencyFactors, runs: int, *,
                     max_evals: int = 400) -> TeamFit:
    """Fit one throughput scale on the binding η and t_request; keep everything else."""
    problems = roofline_problems(cases, prior)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise refuse(problems[0] + more)
    columns = sensitivities(cases, prior, keep=prior)
    scaled, bound, why = decode_bound(cases, columns)
    ttft = [i for i, c in enumerate(cases) if kind_of(c.row.metric) == "TTFT"]
    offset = bool(ttft) and rms([columns["t_request_s"][i] for i in ttft]) >= VISIBLE
    if not scaled and not offset:
        raise refuse("the measurements do not pin down any efficiency factor (they hardly "
                     "change when a factor changes); measure decode speed (TPOT) or TTFT")
    need = len(scaled[:1]) + offset + 1
    if len(cases) < need:
        raise refuse(f"only {len(cases)} usable measurement(s); at least {need} are needed to fit "
                     f"{_what(scaled, offset)} (a run's throughput, TPOT and TTFT are three: keep "
                     "the TPOT and TTFT the benchmark wrote)")
    start_offset = max(prior.t_request_s, 1e-3)

    def unpack(x: list[float]) -> tuple[float, float | None]:
        scale = math.exp(max(min(x[0], 5.0), -5.0)) if scaled else 1.0
        return scale, math.exp(max(min(x[-1], 5.0), -30.0)) if offset else None

    def objective(x: list[float]) -> float:
        return loss(cases, _trial(prior, scaled, *unpack(x)))

    x0 = ([0.0] if scaled else []) + ([math.log(start_offset)] if offset else [])
    x, _ = nelder_mead(objective, x0, max_evals=max_evals)
    x, _ = nelder_mead(objective, x, step=0.15, max_evals=max(max_evals // 2, 20))
    scale, offset_s = unpack(x)
    if offset_s is not None and offset_s < OFFSET_FLOOR_S:
        offset_s = 0.0
    fitted = _trial(prior, scaled, scale, offset_s)
    at_limit = _at_limit(fitted, scaled, offset)
    if at_limit:
        raise refuse("; ".join(limit_problems(fitted, at_limit, {**TIME_LIMITS_S, **OVERHEAD_LIMITS_S})))
    moved = (*scaled, *OVERHEADS) if scaled else ()
    free = tuple(n for n in NAMES if n in moved or (n == "t_request_s" and offset))
    return TeamFit(prior=prior, fitted=fitted, free=free, bounded=(),
                   sensitivity={n: rms(v) for n, v in columns.items()},
                   before=metric_scores(cases, prior), after=metric_scores(cases, fitted),
                   rows=len(cases), mode="scale and offset", runs=runs, scaled=moved,
                   scale=scale, bound=bound, bound_why=why)
