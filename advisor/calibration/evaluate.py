"""The calibration of the shipped factors, and its honest score: a few factors per GPU family
and per engine release, fitted jointly, and leave-one-group-out cross-validation.

Structure (model.md §6: few factors, shared where the physics is shared):
- a **base** per GPU family (η_mem, η_compute, η_prefill, α, t_fixed, t_request, batch cap),
  fitted on the reference engine (TensorRT-LLM before 1.0, the largest table) where it has
  rows, else derived from Hopper's by measured matmul efficiency (MAMF; a prior);
- a **family correction** (f_mem, f_compute, f_host) for families without a reference fit
  (Blackwell, CDNA), fitted on every row measured on them, whatever the engine: bandwidth and
  matmul efficiency, and a scale on the per-layer overhead (each layer's kernel launches and
  small-kernel latency cost more under ROCm and less on Blackwell than on the Hopper most
  release terms are measured on); the per-step overhead (host sync, sampling) is not scaled;
- an **engine release** term (s_mem, s_compute, t_fixed, t_layer, t_request, t_seq) per engine
  and version range, shared by every family, with the engine's documented defaults (batch cap,
  memory fraction).

An entry (family, engine, range) is base × correction × release. `fit_parts` fits these from
cases; `cross_validate` refits without each group in turn and predicts the group it left out.
Pure computation; the caller reads files. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from advisor.calibration.fit import (
    BATCH_GRID,
    Case,
    fit_group,
    loss_of,
    nelder_mead,
    values_of,
)
from advisor.calibration.releases import (
    DEFAULTS,
    MAMF_SHARE,
    REFERENCE,
    entry_id,
    release_of,
)
from advisor.core.protocols import RunResult
from advisor.core.scoring import run_for, value_for
from advisor.domain import EfficiencyFactors
from advisor.domain.engines import label
from advisor.errors import AdvisorError

Log = Callable[[str], None]
AS_OF = dt.date(2026, 12, 7)
MIN_ROWS = 6  # rows (fit = yes) a release or family term needs before it is fitted
ETA_CAP = 0.95

def slice_of(case: Case) -> tuple[str, str, str]:
    """(engine, GPU family, dense|moe): the unit errors are reported and banded by."""
    return case.row.engine, case.acc.family, "moe" if case.model.moe is not None else "dense"


# -- the parts and how they compose ------------------------------------------------------------

@dataclass
class Parts:
    """Everything the shipped factors are made of (see the module docstring)."""

    bases: dict[str, dict[str, float]] = field(default_factory=dict)  # family -> values_of()
    base_rows: dict[str, int] = field(default_factory=dict)  # family -> rows it was fitted on
    # family -> (f_mem, f_cmp, f_host): bandwidth, matmul and per-layer overhead scales
    family: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    family_rows: dict[str, int] = field(default_factory=dict)
    # (engine, release) -> (s_mem, s_compute, t_fixed, t_layer, t_request, t_seq)
    release: dict[tuple[str, str], tuple[float, ...]] = field(default_factory=dict)
    release_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    moe: float = 1.0  # grouped expert GEMMs relative to the reference engine (pooled, other releases)
    moe_rows: int = 0
    # (engine, release) -> its own grouped-GEMM efficiency, where it has MoE rows enough; MoE
    # kernels change by release independently of dense GEMMs (model.md §6)
    release_moe: dict[tuple[str, str], float] = field(default_factory=dict)
    release_moe_rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def eta_moe(self, engine: str, release: str) -> float:
        """Grouped expert GEMMs relative to dense ones for one release (1 on the reference)."""
        if (engine, release) == REFERENCE:
            return 1.0
        return self.release_moe.get((engine, release), self.moe)

    def base(self, family: str) -> dict[str, float]:
        """The family's fitted base, or Hopper's scaled by matmul efficiency (a prior)."""
        if family in self.bases:
            return self.bases[family]
        hopper = dict(self.bases.get("hopper") or _START)
        ratio = MAMF_SHARE.get(family, 0.7) / MAMF_SHARE["hopper"]
        hopper["eta_compute"] = min(hopper["eta_compute"] * ratio, ETA_CAP)
        hopper["eta_prefill"] = min(hopper["eta_prefill"] * ratio, ETA_CAP)
        return hopper

    def values(self, family: str, engine: str, release: str) -> dict[str, float]:
        """The composed factor values of one (family, engine, release) entry."""
        vals = dict(self.base(family))
        f_mem, f_cmp, f_host = self.family.get(family, (1.0, 1.0, 1.0))
        if (engine, release) == REFERENCE:
            s_mem, s_cmp, t_fixed, t_layer, t_request, t_seq = (1.0, 1.0, vals["t_fixed_s"], 0.0,
                                                                vals["t_request_s"], 0.0)
        else:
            s_mem, s_cmp, t_fixed, t_layer, t_request, t_seq = self.release.get((engine, release),
                                                                                _PRIOR_RELEASE)
        vals["eta_mem"] = min(vals["eta_mem"] * f_mem * s_mem, ETA_CAP)
        vals["eta_compute"] = min(vals["eta_compute"] * f_cmp * s_cmp, ETA_CAP)
        vals["eta_prefill"] = min(vals["eta_prefill"] * f_cmp * s_cmp, ETA_CAP)
        vals["t_fixed_s"] = t_fixed
        vals["t_layer_s"] = t_layer * f_host
        vals["t_request_s"] = t_request
        vals["t_seq_s"] = t_seq
        defaults = DEFAULTS[(engine, release)]
        if "max_batch" in defaults:
            vals["max_batch"] = defaults["max_batch"]
        return vals

    def factors(self, family: str, engine: str, release: str, *, source: str = "fit in progress",
                notes: str = "") -> EfficiencyFactors:
        vals = self.values(family, engine, release)
        defaults = DEFAULTS[(engine, release)]
        fitted = self.rows_behind(family, engine, release)
        return EfficiencyFactors(
            id=entry_id(family, engine, release), family=family, engine=engine,  # type: ignore[arg-type]
            versions=release, eta_mem=vals["eta_mem"], eta_compute=vals["eta_compute"],
            eta_prefill=vals["eta_prefill"], alpha_s=vals["alpha_s"], t_fixed_s=vals["t_fixed_s"],
            t_layer_s=vals["t_layer_s"], t_seq_s=vals["t_seq_s"],
            t_request_s=vals["t_request_s"], max_batch=int(vals["max_batch"]),
            eta_moe=self.eta_moe(engine, release),
            memory_fraction=defaults.get("memory_fraction"),
            small_gpu_max_batch=int(defaults["small_gpu_max_batch"]) if "small_gpu_max_batch" in defaults else None,
            prefill_chunk_tokens=int(defaults["prefill_chunk_tokens"]),
            host_overlap=bool(defaults.get("host_overlap", 0)),
            prefill_alone=bool(defaults.get("prefill_alone", 0)),
            rows=fitted, source=source, as_of=AS_OF, notes=notes)

    def rows_behind(self, family: str, engine: str, release: str) -> int:
        """Rows of this family and release the entry's terms were fitted on (0: a prior)."""
        base = self.base_rows.get(family, 0) if (engine, release) == REFERENCE else 0
        rel = self.release_rows.get((engine, release), 0)
        fam = self.family_rows.get(family, 0)
        if (engine, release) == REFERENCE:
            return base
        if family in self.bases:
            return rel
        return min(rel, fam) if rel and fam else 0


_START = {"eta_mem": 0.7, "eta_compute": 0.5, "eta_prefill": 0.55, "alpha_s": 2.8e-6,
          "t_fixed_s": 1.3e-3, "t_request_s": 7e-3, "max_batch": 512}
# An engine release without rows: 10 % under the reference's efficiency, 1.5 ms per step plus
# 30 µs per layer (CUDA-graph decode) and 10 µs per sequence in the batch (scheduling,
# sampling and output handling on the host), 20 ms before each first token (HTTP, tokenizer,
# scheduler). Priors; a fitted release replaces them.
_PRIOR_RELEASE = (0.9, 0.9, 1.5e-3, 30e-6, 0.02, 10e-6)


# -- predicting ---------------------------------------------------------------------------------

def predict(cases: Iterable[Case], parts: Parts) -> list[float]:
    """One prediction per case under `parts` (nan where the run is invalid or does not fit);
    runs shared by several metric rows are computed once."""
    out = []
    effs: dict[tuple[str, str, str], EfficiencyFactors] = {}
    runs: dict[tuple, RunResult] = {}
    for c in cases:
        r = c.row
        key3 = (c.acc.family, r.engine, release_of(r.engine, r.version))
        eff = effs.get(key3)
        if eff is None:
            eff = effs[key3] = parts.factors(*key3)
        key = (key3, r.model, r.gpu, r.num_gpus, r.tp, r.pp, r.ep, r.dp, r.precision, r.isl,
               r.osl, r.concurrency, r.scenario, r.notes)
        run = runs.get(key)
        if run is None:
            try:
                run = run_for(r, c.model, c.acc, eff, fabric=c.fabric)
            except (ValueError, AdvisorError):
                run = RunResult(math.nan, math.nan, math.nan, math.nan, math.nan, fits=False)
            runs[key] = run
        out.append(value_for(r, run) if run.fits else math.nan)
    return out


# -- fitting ------------------------------------------------------------------------------------

def fit_parts(cases: list[Case], *, start: Parts | None = None, quick: bool = False,
              log: Log | None = None) -> Parts:
    """Fit the parts to the cases with fit = yes (see the module docstring).

    `start` warm-starts every term (cross-validation refits from the full fit); `quick` keeps
    the reference batch caps of `start` and spends fewer evaluations."""
    cases = [c for c in cases if c.row.fit]
    parts = Parts()
    # Nelder-Mead evaluations per pass: at half these, refits that differed in one mechanism
    # landed up to 1.4 points apart on slices the mechanism never touched (SGLang 21.5 vs 22.9 %)
    evals = 240 if quick else 800
    # 1. bases: the reference engine per family, Hopper first (others borrow α and t_request)
    ref: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        if (c.row.engine, release_of(c.row.engine, c.row.version)) == REFERENCE:
            ref[c.acc.family].append(c)
    for family in sorted(ref, key=lambda f: (f != "hopper", f)):
        group = ref[family]
        if len(group) < 20:
            continue
        fixed = {}
        if family != "hopper" and "hopper" in parts.bases:
            fixed["alpha_s"] = parts.bases["hopper"]["alpha_s"]
            if not any(c.row.metric.startswith("ttft") for c in group):
                fixed["t_request_s"] = parts.bases["hopper"]["t_request_s"]
        begin = None
        grid: tuple[int, ...] = BATCH_GRID
        if start is not None and family in start.bases:
            begin = {k: v for k, v in start.bases[family].items() if k != "max_batch"}
            if quick:
                grid = (int(start.bases[family]["max_batch"]),)
        eff, _ = fit_group(family, "trtllm", group, fixed, evals, batch_grid=grid, start=begin)
        parts.bases[family] = values_of(eff)
        parts.base_rows[family] = len(group)
        if log:
            log(f"base {family}: {len(group)} rows, " + _show(parts.bases[family]))
    # 2-3. release terms and family corrections, alternating twice
    others = [c for c in cases if (c.row.engine, release_of(c.row.engine, c.row.version)) != REFERENCE]
    if start is not None:
        parts.moe = start.moe
        parts.release_moe.update(start.release_moe)
    for _ in range(2):
        _fit_releases(parts, others, start, evals // 3, log)
        _fit_families(parts, cases, start, evals // 3, log)
        _fit_moe(parts, others, evals // 4, log)
    return parts


def _fit_moe(parts: Parts, cases: list[Case], evals: int,
             log: Log | None) -> None:
    """One pooled efficiency for grouped expert GEMMs relative to dense ones, over every MoE row
    of the releases other than the reference (whose family bases already hold its MoE kernels).
    A release with MoE rows enough fits its own beside its release term (`_fit_releases`)."""
    group = [c for c in cases if c.model.moe is not None]
    if len(group) < MIN_ROWS:
        return
    own = dict(parts.release_moe)
    parts.release_moe.clear()  # pooled over every MoE row, as if no release had its own

    def objective(x: list[float]) -> float:
        parts.moe = min(max(math.exp(x[0]), 0.1), 1.5)
        return loss_of(group, predict(group, parts)) + _shrink(x, (1.0,), len(group))

    x, _ = nelder_mead(objective, [math.log(parts.moe)], step=0.3, max_evals=evals)
    objective(x)
    parts.release_moe.update(own)
    parts.moe_rows = len(group)
    if log:
        log(f"moe: {len(group)} rows, eta_moe {parts.moe:.3f} pooled")


def _fit_releases(parts: Parts, cases: list[Case], start: Parts | None,
                  evals: int, log: Log | None) -> None:
    by: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for c in cases:
        by[(c.row.engine, release_of(c.row.engine, c.row.version))].append(c)
    for key in sorted(by):
        group = by[key]
        if len(group) < MIN_ROWS:
            continue
        s0 = parts.release.get(key) or (start.release.get(key) if start else None) or _PRIOR_RELEASE
        moe_rows = sum(c.model.moe is not None for c in group)
        own_moe = moe_rows >= MIN_ROWS and len(group) - moe_rows >= MIN_ROWS
        x0 = [math.log(v) for v in s0]
        if own_moe:  # dense and MoE rows both: the release's own grouped-GEMM efficiency
            x0.append(math.log(parts.release_moe.get(key) or (start.release_moe.get(key) if start else None)
                               or parts.moe))

        def objective(x: list[float], key: tuple[str, str] = key, group: list[Case] = group,
                      own_moe: bool = own_moe) -> float:
            parts.release[key] = _release_from(x[:6])
            penalty = _shrink(x[:6], _PRIOR_RELEASE, len(group))
            if own_moe:
                parts.release_moe[key] = min(max(math.exp(x[6]), 0.1), 1.5)
                penalty += _shrink(x[6:], (parts.moe,), len(group))
            return loss_of(group, predict(group, parts)) + penalty

        x, _ = nelder_mead(objective, x0, step=0.3, max_evals=evals * (7 if own_moe else 6) // 5)
        objective(x)
        parts.release_rows[key] = len(group)
        if own_moe:
            parts.release_moe_rows[key] = moe_rows
        if log:
            r = parts.release[key]
            log(f"release {label(*key)}: {len(group)} rows, s_mem {r[0]:.3f} s_compute {r[1]:.3f} "
                f"t_fixed {r[2] * 1e3:.2f} ms t_layer {r[3] * 1e6:.1f} us t_request {r[4] * 1e3:.1f} ms "
                f"t_seq {r[5] * 1e6:.1f} us"
                + (f" eta_moe {parts.release_moe[key]:.3f}" if own_moe else ""))


RELEASE_BOUNDS = ((0.4, 1.4), (0.2, 2.0), (1e-4, 0.03), (1e-6, 5e-4), (1e-3, 0.5), (1e-7, 5e-4))


def _release_from(x: list[float]) -> tuple[float, ...]:
    return tuple(min(max(math.exp(xi), lo), hi) for xi, (lo, hi) in zip(x, RELEASE_BOUNDS, strict=True))


# Shrinkage toward the prior: a Gaussian prior on the log of each term (σ = 0.35 for the
# efficiency scales, 1.0 for t_fixed), weighted as if it were PRIOR_ROWS rows of data, so a
# release or family with few rows stays near the prior and one with many follows its data.
PRIOR_ROWS = 8.0
PRIOR_SIGMA = (0.35, 0.35, 1.0, 1.0, 1.0, 1.0)


def _shrink(x: list[float], prior: tuple[float, ...], n: int) -> float:
    penalty = sum(((xi - math.log(p0)) / sigma) ** 2
                  for xi, p0, sigma in zip(x, prior, PRIOR_SIGMA, strict=False))
    return PRIOR_ROWS * penalty / max(n, 1) * 0.5


def _fit_families(parts: Parts, cases: list[Case], start: Parts | None,
                  evals: int, log: Log | None) -> None:
    by: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        if c.acc.family not in parts.bases:
            by[c.acc.family].append(c)
    for family in sorted(by):
        group = by[family]
        if len(group) < MIN_ROWS:
            continue
        f0 = parts.family.get(family) or (start.family.get(family) if start else None) or (1.0, 1.0, 1.0)

        def objective(x: list[float], family: str = family, group: list[Case] = group) -> float:
            parts.family[family] = (min(max(math.exp(x[0]), 0.4), 1.4),
                                    min(max(math.exp(x[1]), 0.2), 2.0),
                                    min(max(math.exp(x[2]), 0.3), 3.0))
            return loss_of(group, predict(group, parts)) + _shrink(x, (1.0, 1.0, 1.0), len(group))

        # three terms: the evaluations per term of the two-term fit it replaced
        x, _ = nelder_mead(objective, [math.log(v) for v in f0], step=0.3, max_evals=evals * 3 // 2)
        objective(x)
        parts.family_rows[family] = len(group)
        if log:
            log(f"family {family}: {len(group)} rows, f_mem {parts.family[family][0]:.3f} "
                f"f_compute {parts.family[family][1]:.3f} f_host {parts.family[family][2]:.3f}")


def _show(vals: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in vals.items())
