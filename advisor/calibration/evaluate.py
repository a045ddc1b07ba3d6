"""The calibration of the shipped factors, and its honest score: a few factors per GPU family
and per engine release, fitted jointly, and leave-one-group-out cross-validation.

Structure (model.md §6: few factors, shared where the physics is shared):
- a **base** per GPU family (η_mem, η_compute, η_prefill, α, t_fixed, t_request, batch cap),
  fitted on the reference engine (TensorRT-LLM before 1.0, the largest table) where it has
  rows, else derived from Hopper's by measured matmul efficiency (MAMF; a prior);
- a **family correction** (f_mem, f_compute) for families without a reference fit (Blackwell,
  CDNA), fitted on every row measured on them, whatever the engine;
- an **engine release** term (s_mem, s_compute, t_fixed) per engine and version range, shared
  by every family, with the engine's documented defaults (batch cap, memory fraction).

An entry (family, engine, range) is base × correction × release. `fit_parts` fits these from
cases; `cross_validate` refits without each group in turn and predicts the group it left out.
Pure computation; the caller reads files. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from advisor.calibration.fit import (
    BATCH_GRID,
    Case,
    fit_group,
    nelder_mead,
    values_of,
)
from advisor.core.protocols import RunResult
from advisor.core.scoring import THROUGHPUT_METRICS, run_for, value_for
from advisor.domain import EfficiencyFactors
from advisor.domain.engines import in_range, label
from advisor.errors import AdvisorError

Log = Callable[[str], None]
AS_OF = dt.date(2026, 12, 7)
REFERENCE = ("trtllm", "<1.0")
MIN_ROWS = 6  # rows (fit = yes) a release or family term needs before it is fitted
ETA_CAP = 0.95

# Releases whose kernels and schedulers differ enough to need their own factors (model.md §6),
# with each one's documented defaults: batch cap (max_num_seqs / max_running_requests /
# max_batch_size), memory fraction and prefill chunk. Sources in ENGINE_NOTES.
RELEASES: dict[str, tuple[str, ...]] = {
    "trtllm": ("<1.0", ">=1.0"),
    "vllm": ("<0.6", ">=0.6,<0.8", ">=0.8"),
    "sglang": ("<0.4", ">=0.4,<0.5", ">=0.5"),
}
DEFAULTS: dict[tuple[str, str], dict[str, float]] = {
    ("trtllm", "<1.0"): {"memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("trtllm", ">=1.0"): {"max_batch": 2048, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("vllm", "<0.6"): {"max_batch": 256, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("vllm", ">=0.6,<0.8"): {"max_batch": 256, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("vllm", ">=0.8"): {"max_batch": 1024, "small_gpu_max_batch": 256, "memory_fraction": 0.9,
                        "prefill_chunk_tokens": 8192},
    ("sglang", "<0.4"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192},
    ("sglang", ">=0.4,<0.5"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192},
    ("sglang", ">=0.5"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192},
}
ENGINE_NOTES = {
    "trtllm": "TensorRT-LLM defaults: max_batch_size 2048 and max_num_tokens 8192 (PyTorch "
              "backend, 1.x), kv_cache_free_gpu_mem_fraction 0.9 of the memory left after weights",
    "vllm": "vLLM defaults: gpu_memory_utilization 0.9; max_num_seqs 256 in the V0 engine "
            "(before 0.8); in V1 (vllm/engine/arg_utils.py get_batch_defaults) 1024 and "
            "max_num_batched_tokens 8192 for the API server on GPUs of 70 GiB or more other than "
            "A100, 256 and 2048 on the rest",
    "sglang": "SGLang defaults: mem_fraction_static about 0.85 on 80-192 GB GPUs (set from GPU "
              "memory and TP), max_running_requests from the KV pool (no fixed cap), "
              "chunked_prefill_size 8192",
}
# Matmul efficiency relative to Hopper, from measured max-achievable matmul FLOPS (MAMF,
# shared/facts/gpus.csv): GH200 828.6/989 = 0.84, B200 1745/2250 = 0.78, MI300X 668/1307 = 0.51,
# Gaudi2 418.7/432 = 0.97. Families without a measurement borrow the nearest one (assumption).
MAMF_SHARE = {"hopper": 0.84, "ada": 0.84, "ampere": 0.84, "blackwell": 0.78, "cdna2": 0.51,
              "cdna3": 0.51, "cdna4": 0.51, "gaudi2": 0.97, "gaudi3": 0.97}
FAMILIES = ("hopper", "ada", "ampere", "blackwell", "cdna2", "cdna3", "cdna4", "gaudi2", "gaudi3")
FAMILY_ENGINES = {"cdna2": ("vllm", "sglang"), "cdna3": ("vllm", "sglang"),
                  "cdna4": ("vllm", "sglang"), "gaudi2": ("vllm",), "gaudi3": ("vllm",)}


def release_of(engine: str, version: str | None) -> str:
    """The version range a row's release falls in (the newest when the row does not say)."""
    ranges = RELEASES[engine]
    if version is None:
        return ranges[-1]
    for spec in ranges:
        if in_range(version, spec):
            return spec
    return ranges[-1]


def slice_of(case: Case) -> tuple[str, str, str]:
    """(engine, GPU family, dense|moe): the unit errors are reported and banded by."""
    return case.row.engine, case.acc.family, "moe" if case.model.moe is not None else "dense"


def kind_of(case: Case) -> str:
    """offline/online throughput, TTFT, ITL, E2E: what kind of quantity a row measures."""
    metric = case.row.metric
    if metric in THROUGHPUT_METRICS:
        return "online throughput" if case.row.online else "offline throughput"
    if metric.startswith("ttft"):
        return "TTFT"
    if metric.startswith("e2e"):
        return "E2E"
    return "ITL"


# -- the parts and how they compose ------------------------------------------------------------

@dataclass
class Parts:
    """Everything the shipped factors are made of (see the module docstring)."""

    bases: dict[str, dict[str, float]] = field(default_factory=dict)  # family -> values_of()
    base_rows: dict[str, int] = field(default_factory=dict)  # family -> rows it was fitted on
    family: dict[str, tuple[float, float]] = field(default_factory=dict)  # family -> (f_mem, f_cmp)
    family_rows: dict[str, int] = field(default_factory=dict)
    # (engine, release) -> (s_mem, s_compute, t_fixed, t_layer, t_request)
    release: dict[tuple[str, str], tuple[float, ...]] = field(default_factory=dict)
    release_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    moe: float = 1.0  # grouped expert GEMMs relative to the reference engine (other releases)
    moe_rows: int = 0

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
        f_mem, f_cmp = self.family.get(family, (1.0, 1.0))
        if (engine, release) == REFERENCE:
            s_mem, s_cmp, t_fixed, t_layer, t_request = (1.0, 1.0, vals["t_fixed_s"], 0.0,
                                                         vals["t_request_s"])
        else:
            s_mem, s_cmp, t_fixed, t_layer, t_request = self.release.get((engine, release),
                                                                         _PRIOR_RELEASE)
        vals["eta_mem"] = min(vals["eta_mem"] * f_mem * s_mem, ETA_CAP)
        vals["eta_compute"] = min(vals["eta_compute"] * f_cmp * s_cmp, ETA_CAP)
        vals["eta_prefill"] = min(vals["eta_prefill"] * f_cmp * s_cmp, ETA_CAP)
        vals["t_fixed_s"] = t_fixed
        vals["t_layer_s"] = t_layer
        vals["t_request_s"] = t_request
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
            t_layer_s=vals["t_layer_s"],
            t_request_s=vals["t_request_s"], max_batch=int(vals["max_batch"]),
            eta_moe=1.0 if (engine, release) == REFERENCE else self.moe,
            memory_fraction=defaults.get("memory_fraction"),
            small_gpu_max_batch=int(defaults["small_gpu_max_batch"]) if "small_gpu_max_batch" in defaults else None,
            prefill_chunk_tokens=int(defaults["prefill_chunk_tokens"]),
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
# 30 µs per layer (CUDA-graph decode), 20 ms before each first token (HTTP, tokenizer,
# scheduler). Priors; a fitted release replaces them.
_PRIOR_RELEASE = (0.9, 0.9, 1.5e-3, 30e-6, 0.02)


def _slug(release: str) -> str:
    return release.replace(">=", "ge").replace("<", "lt").replace(",", "-")


def entry_id(family: str, engine: str, release: str) -> str:
    """'hopper-vllm' for the newest release of an engine, 'hopper-vllm-ge0.6-lt0.8' for older."""
    if release == RELEASES[engine][-1]:
        return f"{family}-{engine}"
    return f"{family}-{engine}-{_slug(release)}"


# -- predicting ---------------------------------------------------------------------------------

class Predictor:
    """Predictions for cases under some Parts; runs shared by several metric rows computed once."""

    def __init__(self) -> None:
        self._runs: dict[tuple, RunResult] = {}

    def predict(self, cases: Iterable[Case], parts: Parts) -> list[float]:
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


def _loss(cases: list[Case], preds: list[float]) -> float:
    total = 0.0
    for c, p in zip(cases, preds, strict=True):
        ratio = math.log(p / c.row.value) if p > 0 and math.isfinite(p) else 3.0
        ratio = max(min(ratio, 3.0), -3.0)
        total += 2.0 * (math.sqrt(1.0 + (ratio / 0.2) ** 2) - 1.0)
    return total / max(len(cases), 1)


def _logit(v: float) -> float:
    v = min(max(v, 1e-4), 1 - 1e-4)
    return math.log(v / (1 - v))


# -- fitting ------------------------------------------------------------------------------------

def fit_parts(cases: list[Case], *, start: Parts | None = None, quick: bool = False,
              log: Log | None = None) -> Parts:
    """Fit the parts to the cases with fit = yes (see the module docstring).

    `start` warm-starts every term (cross-validation refits from the full fit); `quick` keeps
    the reference batch caps of `start` and spends fewer evaluations."""
    cases = [c for c in cases if c.row.fit]
    parts = Parts()
    predictor = Predictor()
    evals = 120 if quick else 400
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
    for _ in range(2):
        _fit_releases(parts, others, start, predictor, evals // 3, log)
        _fit_families(parts, cases, start, predictor, evals // 3, log)
        _fit_moe(parts, others, predictor, evals // 4, log)
    return parts


def _fit_moe(parts: Parts, cases: list[Case], predictor: Predictor, evals: int,
             log: Log | None) -> None:
    """One efficiency for grouped expert GEMMs relative to dense ones, over every MoE row of
    the releases other than the reference (whose family bases already hold its MoE kernels)."""
    group = [c for c in cases if c.model.moe is not None]
    if len(group) < MIN_ROWS:
        return

    def objective(x: list[float]) -> float:
        parts.moe = min(max(math.exp(x[0]), 0.1), 1.5)
        return _loss(group, predictor.predict(group, parts)) + _shrink(x, (1.0,), len(group))

    x, _ = nelder_mead(objective, [math.log(parts.moe)], step=0.3, max_evals=evals)
    objective(x)
    parts.moe_rows = len(group)
    if log:
        log(f"moe: {len(group)} rows, eta_moe {parts.moe:.3f}")


def _fit_releases(parts: Parts, cases: list[Case], start: Parts | None, predictor: Predictor,
                  evals: int, log: Log | None) -> None:
    by: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for c in cases:
        by[(c.row.engine, release_of(c.row.engine, c.row.version))].append(c)
    for key in sorted(by):
        group = by[key]
        if len(group) < MIN_ROWS:
            continue
        s0 = parts.release.get(key) or (start.release.get(key) if start else None) or _PRIOR_RELEASE

        x0 = [math.log(v) for v in s0]

        def objective(x: list[float], key: tuple[str, str] = key, group: list[Case] = group) -> float:
            parts.release[key] = _release_from(x)
            return _loss(group, predictor.predict(group, parts)) + _shrink(x, _PRIOR_RELEASE, len(group))

        x, _ = nelder_mead(objective, x0, step=0.3, max_evals=evals)
        parts.release[key] = _release_from(x)
        parts.release_rows[key] = len(group)
        if log:
            r = parts.release[key]
            log(f"release {label(*key)}: {len(group)} rows, s_mem {r[0]:.3f} s_compute {r[1]:.3f} "
                f"t_fixed {r[2] * 1e3:.2f} ms t_layer {r[3] * 1e6:.1f} us t_request {r[4] * 1e3:.1f} ms")


RELEASE_BOUNDS = ((0.4, 1.4), (0.2, 2.0), (1e-4, 0.03), (1e-6, 5e-4), (1e-3, 0.5))


def _release_from(x: list[float]) -> tuple[float, ...]:
    return tuple(min(max(math.exp(xi), lo), hi) for xi, (lo, hi) in zip(x, RELEASE_BOUNDS, strict=True))


# Shrinkage toward the prior: a Gaussian prior on the log of each term (σ = 0.35 for the
# efficiency scales, 1.0 for t_fixed), weighted as if it were PRIOR_ROWS rows of data, so a
# release or family with few rows stays near the prior and one with many follows its data.
PRIOR_ROWS = 8.0
PRIOR_SIGMA = (0.35, 0.35, 1.0, 1.0, 1.0)


def _shrink(x: list[float], prior: tuple[float, ...], n: int) -> float:
    penalty = sum(((xi - math.log(p0)) / sigma) ** 2
                  for xi, p0, sigma in zip(x, prior, PRIOR_SIGMA, strict=False))
    return PRIOR_ROWS * penalty / max(n, 1) * 0.5


def _fit_families(parts: Parts, cases: list[Case], start: Parts | None, predictor: Predictor,
                  evals: int, log: Log | None) -> None:
    by: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        if c.acc.family not in parts.bases:
            by[c.acc.family].append(c)
    for family in sorted(by):
        group = by[family]
        if len(group) < MIN_ROWS:
            continue
        f0 = parts.family.get(family) or (start.family.get(family) if start else None) or (1.0, 1.0)

        def objective(x: list[float], family: str = family, group: list[Case] = group) -> float:
            parts.family[family] = (min(max(math.exp(x[0]), 0.4), 1.4),
                                    min(max(math.exp(x[1]), 0.2), 2.0))
            return _loss(group, predictor.predict(group, parts)) + _shrink(x, (1.0, 1.0), len(group))

        x, _ = nelder_mead(objective, [math.log(f0[0]), math.log(f0[1])], step=0.3, max_evals=evals)
        objective(x)
        parts.family_rows[family] = len(group)
        if log:
            log(f"family {family}: {len(group)} rows, f_mem {parts.family[family][0]:.3f} "
                f"f_compute {parts.family[family][1]:.3f}")


def _show(vals: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in vals.items())


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
    return Predictor().predict([cases[i] for i in idx], parts)


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


def entries(parts: Parts, source: str, band: dict[tuple[str, str, str], tuple[float, int]],
            ) -> list[EfficiencyFactors]:
    """Every (family, engine, release) entry the tool ships, with its band and provenance."""
    out = []
    for family in FAMILIES:
        engines = FAMILY_ENGINES.get(family, ("trtllm", "vllm", "sglang"))
        for engine in engines:
            for release in RELEASES[engine]:
                eff = parts.factors(family, engine, release, source=source,
                                    notes=_notes(parts, family, engine, release))
                # a prior (no rows behind this release on this family) gets no band: the
                # slice's errors were measured on other releases
                dense = _band(band, engine, family, "dense") if eff.rows else None
                moe = _band(band, engine, family, "moe") if eff.rows else None
                out.append(dataclasses.replace(
                    eff, band_pct=round(dense[0], 1) if dense else None,
                    band_moe_pct=round(moe[0], 1) if moe else None,
                    band_rows=(dense[1] if dense else 0) + (moe[1] if moe else 0)))
    return out


def _band(band: dict[tuple[str, str, str], tuple[float, int]], engine: str, family: str,
          kind: str) -> tuple[float, int] | None:
    """The slice's band, or, with too few rows in the slice, the engine's over every family."""
    own = band.get((engine, family, kind))
    if own and own[1] >= MIN_ROWS:
        return own
    wide = band.get((engine, "*", kind))
    return wide if wide and wide[1] >= MIN_ROWS else None


def _notes(parts: Parts, family: str, engine: str, release: str) -> str:
    bits = []
    if family in parts.bases:
        bits.append(f"{family} base fitted on {parts.base_rows[family]} TensorRT-LLM <1.0 rows")
    else:
        bits.append(f"{family} base is a prior: Hopper's scaled by measured matmul efficiency "
                    f"(MAMF {MAMF_SHARE.get(family, 0.7):.2f}/{MAMF_SHARE['hopper']:.2f})")
        if family in parts.family:
            f_mem, f_cmp = parts.family[family]
            bits.append(f"family correction fitted on {parts.family_rows[family]} rows "
                        f"(f_mem {f_mem:.2f}, f_compute {f_cmp:.2f})")
        else:
            bits.append("no family correction (no rows): prior, not fitted")
    if (engine, release) != REFERENCE:
        if (engine, release) in parts.release:
            s_mem, s_cmp, t_fixed, t_layer, t_request = parts.release[(engine, release)]
            bits.append(f"{label(engine, release)} term fitted on "
                        f"{parts.release_rows[(engine, release)]} rows over all families "
                        f"(s_mem {s_mem:.2f}, s_compute {s_cmp:.2f}, t_fixed {t_fixed * 1e3:.2f} ms, "
                        f"t_layer {t_layer * 1e6:.0f} µs, t_request {t_request * 1e3:.0f} ms)")
        else:
            bits.append(f"{label(engine, release)} term is a prior, not fitted (no rows): 0.9 of "
                        "the reference efficiency, 1.5 ms per step plus 30 µs per layer, 20 ms "
                        "before the first token")
    if parts.moe_rows and (engine, release) != REFERENCE:
        bits.append(f"grouped expert GEMMs at {parts.moe:.2f} of the reference engine's "
                    f"(eta_moe, fitted on {parts.moe_rows} MoE rows of the other releases)")
    bits.append(ENGINE_NOTES[engine])
    return "; ".join(bits)


# -- the fitted parts as data (profiles/calibration_parts.json) ---------------------------------

def parts_to_json(parts: Parts) -> dict[str, object]:
    """Plain JSON of the parts (written by the fit script, read back as a warm start)."""
    return {
        "bases": parts.bases, "base_rows": parts.base_rows,
        "family": {k: list(v) for k, v in parts.family.items()}, "family_rows": parts.family_rows,
        "release": {f"{e}|{r}": list(v) for (e, r), v in parts.release.items()},
        "release_rows": {f"{e}|{r}": n for (e, r), n in parts.release_rows.items()},
        "moe": parts.moe, "moe_rows": parts.moe_rows,
    }


def parts_from_json(data: dict[str, object]) -> Parts:
    """Parts from `parts_to_json` output; ValueError for anything malformed."""
    try:
        def floats(d: object) -> dict[str, float]:
            assert isinstance(d, dict)
            return {str(k): float(v) for k, v in d.items()}

        bases = data["bases"]
        assert isinstance(bases, dict)
        release = data["release"]
        family = data["family"]
        assert isinstance(release, dict) and isinstance(family, dict)
        return Parts(
            bases={str(f): floats(v) for f, v in bases.items()},
            base_rows={str(k): int(v) for k, v in dict(data["base_rows"]).items()},  # type: ignore[call-overload]
            family={str(k): (float(v[0]), float(v[1])) for k, v in family.items()},
            family_rows={str(k): int(v) for k, v in dict(data["family_rows"]).items()},  # type: ignore[call-overload]
            release={_key(k): _release_values(v) for k, v in release.items()},
            moe=float(data.get("moe", 1.0)),  # type: ignore[arg-type]
            moe_rows=int(data.get("moe_rows", 0)),  # type: ignore[call-overload]
            release_rows={_key(k): int(v) for k, v in dict(data["release_rows"]).items()},  # type: ignore[call-overload]
        )
    except (KeyError, TypeError, ValueError, AssertionError, IndexError) as err:
        raise ValueError(f"malformed calibration parts ({err})") from None


def _key(text: str) -> tuple[str, str]:
    engine, _, release = str(text).partition("|")
    return engine, release


def _release_values(v: object) -> tuple[float, ...]:
    values = tuple(float(x) for x in v)  # type: ignore[attr-defined]
    if len(values) != len(RELEASE_BOUNDS):
        raise ValueError(f"a release term has {len(values)} values, not {len(RELEASE_BOUNDS)}")
    return values
