"""Fit the shipped efficiency factors to the calibration set, cross-validate them, write them.

    .venv/bin/python benchmarks/fit_calibration.py [--jobs N] [--max-evals N]

Reads the shipped set (profiles/benchmarks.csv and profiles/measurements/*.csv, rows with
fit = yes), fits the parts of `advisor.calibration.evaluate` (a base per GPU family on the
reference engine, a correction per family without one, a term per engine release; model.md §6),
runs leave-one-source-out cross-validation, and writes:

- profiles/efficiency.toml: one entry per family × engine × release, with the error band
  (80th percentile of the slice's cross-validated |error|) for dense and MoE models;
- profiles/calibration_parts.json: the fitted parts (the warm start of `advisor validate --cv`);
- profiles/calibration_cv.json: the per-slice cross-validated table `advisor validate` prints.

Deterministic (pure-Python Nelder-Mead, fixed starts); scipy is deliberately not used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.calibration.crossval import bands, cross_validate, pct_errors, score, slice_scores  # noqa: E402
from advisor.calibration.dataset import load_cases, shipped_texts  # noqa: E402
from advisor.calibration.evaluate import fit_parts, predict  # noqa: E402
from advisor.calibration.fit import nelder_mead  # noqa: E402,F401  (tests call it through here)
from advisor.calibration.output import COMMENTS, toml_str  # noqa: E402
from advisor.calibration.releases import release_of  # noqa: E402
from advisor.calibration.shipped_parts import entries, parts_to_json  # noqa: E402
from advisor.catalog.config import load_world  # noqa: E402
from advisor.domain import EfficiencyFactors  # noqa: E402

PROFILES = ROOT / "profiles"
AS_OF = dt.date(2026, 12, 7)
FIELDS = ("eta_mem", "eta_compute", "eta_prefill", "alpha_s", "t_fixed_s", "t_request_s")
OPTIONAL_FIELDS = (  # written in this order after the six fitted factors, when set
    ("t_layer_s", "seconds of per-step overhead per layer"),
    ("t_seq_s", "seconds of per-step overhead per sequence in the batch"),
    ("eta_moe", "grouped expert GEMMs relative to dense GEMMs"),
    ("max_batch", COMMENTS["max_batch"]),
    ("small_gpu_max_batch", "engine default under 70 GiB and on A100"),
    ("memory_fraction", "engine default share of GPU memory"),
    ("prefill_chunk_tokens", "engine default prefill chunk"),
    ("host_overlap", "host work overlaps the GPU step"),
    ("prefill_alone", "prompts prefill in forwards of their own"),
)
BAND_FIELDS = (
    ("median_abs_pct_error", "in-sample, this entry's rows"),
    ("band_pct", "±, dense models (p80 of |cross-validated error|)"),
    ("band_moe_pct", "±, MoE models"),
)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def render_entry(e: EfficiencyFactors) -> str:
    lines = ["[[efficiency]]", f'id = "{e.id}"', f'family = "{e.family}"', f'engine = "{e.engine}"',
             f'versions = "{e.versions}"']
    for key in FIELDS:
        lines.append(f"{key} = {getattr(e, key):.4g}  # {COMMENTS[key]}")
    for key, comment in OPTIONAL_FIELDS:
        value = getattr(e, key)
        if isinstance(value, bool):
            if value:
                lines.append(f"{key} = true  # {comment}")
        elif value is not None:
            lines.append(f"{key} = {value:.4g}  # {comment}" if isinstance(value, float)
                         else f"{key} = {value}  # {comment}")
    lines.append(f"rows = {e.rows}")
    for key, comment in BAND_FIELDS:
        value = getattr(e, key)
        if value is not None:
            lines.append(f"{key} = {value:.1f}  # {comment}" if key == "median_abs_pct_error"
                         else f"{key} = {value}  # {comment}")
    lines.append(f"band_rows = {e.band_rows}")
    lines.append(f"source = {toml_str(e.source)}")
    lines.append(f"as_of = {AS_OF.isoformat()}")
    lines.append(f"notes = {toml_str(e.notes)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROFILES)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)  # before the fit: a missing folder lost 40 minutes' work
    texts = shipped_texts()
    digest = hashlib.sha256("".join(t for _, t in texts).encode()).hexdigest()
    world = load_world(discover=False)
    cases, warnings = load_cases(world, texts)
    for w in warnings:
        _log(f"skip {w}")
    fitted = [c for c in cases if c.row.fit]
    _log(f"{len(cases)} rows ({len(fitted)} with fit = yes) from {len(texts)} files")
    parts = fit_parts(cases, log=_log)
    preds = cross_validate(cases, "source", parts, log=_log, jobs=args.jobs)
    keep = [(c, p) for c, p in zip(cases, preds, strict=True) if c.row.fit]
    cv_cases, cv_preds = [c for c, _ in keep], [p for _, p in keep]
    band = bands(cv_cases, cv_preds)
    source = (f"benchmarks/fit_calibration.py on the shipped calibration set ({len(fitted)} rows, "
              f"sha256 {digest[:16]}…); bands from leave-one-source-out cross-validation")
    insample = predict(fitted, parts)
    out = []
    for e in entries(parts, source, band):
        own = [err for c, err in zip(fitted, pct_errors(fitted, insample), strict=True)
               if err is not None and c.acc.family == e.family and c.row.engine == e.engine
               and _release(c) == e.versions]
        if own and e.rows:
            own.sort(key=abs)
            e = _with_error(e, abs(own[len(own) // 2]))
        out.append(e)
    header = ("#:schema ../catalogs/catalog.schema.json\n"
              "# Efficiency factors, written by benchmarks/fit_calibration.py — do not edit by hand.\n"
              f"# Data: the shipped calibration set, sha256 {digest}\n"
              "# Entries with rows = 0 are priors (not fitted); their notes say where they come from.\n")
    (args.out / "efficiency.toml").write_text(header + "\n" + "\n\n".join(render_entry(e) for e in out)
                                              + "\n", encoding="utf-8")
    (args.out / "calibration_parts.json").write_text(json.dumps(parts_to_json(parts), indent=1,
                                                                sort_keys=True) + "\n")
    scores = slice_scores(cv_cases, cv_preds)
    table = [{"slice": " ".join(s.slice), "rows": s.rows, "scored": s.scored,
              "median_abs_pct_error": round(s.median_abs_pct, 1),
              "within_25": round(s.within_25, 3), "median_bias_pct": round(s.bias_pct, 1),
              "band_p80_pct": round(s.p80_abs_pct, 1)} for s in scores if s.scored]
    (args.out / "calibration_cv.json").write_text(json.dumps(
        {"cv": "source", "rows": len(cv_cases), "reference_rows": len(cases) - len(cv_cases),
         "data_sha256": digest, "slices": table}, indent=1) + "\n")
    for s in scores:
        _log(f"{' × '.join(s.slice):32} {s.rows:4} {s.median_abs_pct:6.1f} % {s.within_25:5.0%} "
             f"{s.bias_pct:+6.1f} % p80 {s.p80_abs_pct:6.1f}")
    both = score(("vllm and sglang",), [e for c, e in zip(cv_cases, pct_errors(cv_cases, cv_preds), strict=True)
                                        if c.row.engine in ("vllm", "sglang")])
    if both.scored:  # the aim is stated for these two together
        _log(f"vllm and sglang together {both.scored:4} {both.median_abs_pct:6.1f} % {both.within_25:5.0%}")
    _log(f"wrote {args.out}/efficiency.toml ({len(out)} entries), calibration_parts.json, calibration_cv.json")
    return 0


def _release(case: object) -> str:
    row = case.row  # type: ignore[attr-defined]
    return release_of(row.engine, row.version)


def _with_error(e: EfficiencyFactors, err: float) -> EfficiencyFactors:
    import dataclasses

    return dataclasses.replace(e, median_abs_pct_error=round(err, 1))


if __name__ == "__main__":
    raise SystemExit(main())
