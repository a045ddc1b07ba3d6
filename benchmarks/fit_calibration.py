"""Fit the efficiency factors per accelerator family to the calibration set; write the TOML.

    .venv/bin/python benchmarks/fit_calibration.py [--data CSV] [--out profiles/efficiency.toml]

For each (family, engine) with measurements, a handful of physical factors — η_mem,
η_compute, η_prefill, α, t_fixed, t_request (only where online rows measure TTFT) and the
engine batch cap (a small grid) — are fitted by a deterministic pure-Python Nelder-Mead on a
robust (soft-L1) loss of log(predicted/measured) over every scored row. Hopper is fitted first;
families whose rows cannot pin α or t_request down share Hopper's (see `shared_factors`).
Families and engines without measurements get priors (rows = 0) with their reasoning in
`notes`. The output records
the fit error per entry and the data's sha256. scipy is deliberately not used.

The objective and optimizer live in `advisor.calibration.fit` (shared with `advisor
calibrate`); this script holds the calibration-set specifics: which families share what, the
priors for uncovered families and engines, and the TOML it writes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.calibration.fit import (  # noqa: E402
    BATCH_GRID,
    NAMES,
    Case,
    factors_of,
    fit_group,
    nelder_mead,  # noqa: F401  (re-exported: tests call the optimizer through this script)
    scores,
)
from advisor.calibration.fit import values_of as _values  # noqa: E402
from advisor.calibration.output import COMMENTS, toml_str  # noqa: E402
from advisor.catalog.config import load_world  # noqa: E402
from advisor.core.scoring import parse_row  # noqa: E402
from advisor.domain import EfficiencyFactors  # noqa: E402
from advisor.errors import AdvisorError  # noqa: E402

SHARED_DATA = Path("/work/shared/calibration/benchmarks.csv")
PACKAGED_DATA = ROOT / "profiles" / "benchmarks.csv"
OUT = ROOT / "profiles" / "efficiency.toml"
AS_OF = dt.date(2026, 8, 1)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def shared_factors(cases: list[Case], hopper: EfficiencyFactors | None) -> dict[str, float]:
    """Factors a family's rows cannot pin down, taken from the same engine's Hopper fit.

    t_request: only online rows measure TTFT. α: with a few dozen max-throughput rows, a free
    α also soaks up every TP-dependent inefficiency (it fits 20–30 µs per ring step on Ada and
    Ampere, i.e. 0.3–0.4 ms per 8-GPU all-reduce, far above NCCL's small-message latency), so
    the engine-level α fitted on Hopper's NVLink rows is shared; PCIe adds its own per-step
    latency through the fabric.
    """
    if hopper is None:
        return {}
    fixed = {"alpha_s": hopper.alpha_s}
    if not any(c.row.metric == "ttft_mean_ms" for c in cases):
        fixed["t_request_s"] = hopper.t_request_s
    return fixed


# -- data ---------------------------------------------------------------------------------

def load_cases(path: Path) -> tuple[dict[tuple[str, str], list[Case]], int]:
    world = load_world(discover=False)
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    skipped = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            try:
                row = parse_row(record)
                model, acc = world.model(row.model), world.accelerator(row.gpu)
            except (ValueError, KeyError, AdvisorError) as err:
                print(f"skip {record.get('id')}: {err}", file=sys.stderr)
                skipped += 1
                continue
            groups[(acc.family, row.engine)].append(Case(row, model, acc))
    return groups, skipped


# -- priors for what the data does not cover -----------------------------------------------

VLLM_BLOG = (
    "vLLM blog 2024-09-05 'vLLM v0.6.0: 2.7x Throughput Improvement and 5x Latency Reduction' "
    "(vllm-project/vllm-project.github.io _posts/2024-09-05-perf-update.md): vLLM v0.6.0, "
    "SGLang v0.3.0 and TensorRT-LLM r24.07 reach comparable throughput/TTFT/TPOT on Llama-3 "
    "8B/70B on A100/H100 (TRT-LLM highest on 8B A100, vLLM highest on H100 ShareGPT); the "
    "exact ratios are only in figures"
)
ENGINE_SCALE = {  # relative to the same family's trtllm fit (assumption anchored by the blog)
    "vllm": {"eta_mem": 0.9, "eta_compute": 0.9, "eta_prefill": 0.9, "t_fixed_s": 2.0},
    "sglang": {"eta_mem": 0.9, "eta_compute": 0.9, "eta_prefill": 0.9, "t_fixed_s": 1.5},
}
ENGINE_BATCH = {"vllm": 1024, "sglang": 1024}
# Matmul efficiency relative to Hopper, from measured max-achievable matmul FLOPS (MAMF,
# shared/facts/gpus.csv): GH200 828.6/989 = 0.84, B200 1745/2250 = 0.78, MI300X 668/1307 = 0.51,
# Gaudi2 418.7/432 = 0.97. Families without a measurement borrow the nearest one (assumption).
MAMF_SHARE = {"hopper": 0.84, "blackwell": 0.78, "cdna3": 0.51, "cdna2": 0.51, "cdna4": 0.51,
              "gaudi2": 0.97, "gaudi3": 0.97}
FAMILY_ENGINES = {  # engines that run on each family without a fit of its own
    "blackwell": ("trtllm", "vllm", "sglang"),
    "cdna2": ("vllm",),
    "cdna3": ("vllm", "sglang"),
    "cdna4": ("vllm", "sglang"),
    "gaudi2": ("vllm",),
    "gaudi3": ("vllm",),
}


def engine_prior(base: EfficiencyFactors, engine: str,
                 hopper: EfficiencyFactors | None = None) -> dict[str, object]:
    """vLLM/SGLang on a family fitted for TRT-LLM: the fit scaled by ENGINE_SCALE. The per-step
    overhead is the engine's CPU-side scheduling, not the GPU's, so it is scaled from the larger
    of the family's and Hopper's fitted t_fixed (a fit can push it to ~0 on a family)."""
    scale = ENGINE_SCALE[engine]
    vals = _values(base)
    if hopper is not None:
        vals["t_fixed_s"] = max(float(vals["t_fixed_s"]), hopper.t_fixed_s)
    for key, k in scale.items():
        vals[key] = min(vals[key] * k, 0.95) if key.startswith("eta") else vals[key] * k
    vals["max_batch"] = ENGINE_BATCH[engine]
    note = (f"prior, not fitted: {base.id} fit scaled by {scale} (t_fixed from the larger of "
            f"this family's and Hopper's fit) and max_batch {ENGINE_BATCH[engine]} (engine "
            f"default max_num_seqs order of magnitude). Anchor: {VLLM_BLOG}. The 0.9 and "
            "t_fixed multipliers are assumptions.")
    return {"family": base.family, "engine": engine, "values": vals, "notes": note}


def family_prior(hopper: dict[str, EfficiencyFactors], family: str, engine: str) -> dict[str, object]:
    base = hopper[engine] if engine in hopper else hopper["trtllm"]
    vals = _values(base)
    ratio = MAMF_SHARE[family] / MAMF_SHARE["hopper"]
    for key in ("eta_compute", "eta_prefill"):
        vals[key] = min(float(vals[key]) * ratio, 0.95)
    if family.startswith(("cdna", "gaudi")):
        vals["alpha_s"] = float(vals["alpha_s"]) * 2.0
        vals["t_fixed_s"] = float(vals["t_fixed_s"]) * 1.5
    note = (f"prior, not fitted (no {family} rows in the calibration set): the hopper {engine} "
            f"entry with eta_compute/eta_prefill scaled by measured matmul efficiency "
            f"{MAMF_SHARE[family]:.2f}/{MAMF_SHARE['hopper']:.2f} (MAMF, shared/facts/gpus.csv)"
            + ("; alpha x2 and t_fixed x1.5 for RCCL/ROCm or Habana launch and collective "
               "latency (assumption)" if family.startswith(("cdna", "gaudi")) else "")
            + "; eta_mem, t_request and max_batch as Hopper (assumption).")
    return {"family": family, "engine": engine, "values": vals, "notes": note}


# -- output -------------------------------------------------------------------------------


def render_entry(entry: dict[str, object]) -> str:
    vals = entry["values"]
    assert isinstance(vals, dict)
    lines = ["[[efficiency]]", f'id = "{entry["family"]}-{entry["engine"]}"',
             f'family = "{entry["family"]}"', f'engine = "{entry["engine"]}"']
    for key in NAMES + ("max_batch",):
        v = vals[key]
        text = str(int(v)) if key == "max_batch" else f"{float(v):.4g}"
        lines.append(f"{key} = {text}  # {COMMENTS[key]}")
    lines.append(f"rows = {entry.get('rows', 0)}")
    if entry.get("median") is not None:
        lines.append(f"median_abs_pct_error = {entry['median']:.1f}  # offline throughput rows")
    lines.append(f"source = {toml_str(str(entry['source']))}")
    lines.append(f"as_of = {AS_OF.isoformat()}")
    lines.append(f"notes = {toml_str(str(entry['notes']))}")
    return "\n".join(lines)


def fit_notes(score: dict[str, object], fixed: dict[str, float]) -> str:
    parts = []
    for kind, s in sorted(score.items()):
        parts.append(f"{kind}: {s.scored}/{s.rows} rows, median abs error "  # type: ignore[attr-defined]
                     f"{s.median_abs_pct_error:.1f} %, within 25 % {s.within_25:.0%}, "  # type: ignore[attr-defined]
                     f"median bias {s.median_bias_pct:+.1f} %")  # type: ignore[attr-defined]
    if fixed:
        parts.append("shared from the hopper fit (not identifiable from these rows): "
                     + ", ".join(sorted(fixed)))
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=SHARED_DATA if SHARED_DATA.exists() else PACKAGED_DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--max-evals", type=int, default=400)
    args = parser.parse_args(argv)
    data = args.data.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    groups, skipped = load_cases(args.data)
    source = (f"benchmarks/fit_calibration.py on {args.data.name} (sha256 {digest[:16]}…); "
              f"soft-L1 on log(predicted/measured), Nelder-Mead, batch grid {BATCH_GRID}")
    fitted: dict[tuple[str, str], EfficiencyFactors] = {}
    entries: list[dict[str, object]] = []
    order = sorted(groups, key=lambda k: (k[0] != "hopper", k))  # hopper first: others borrow
    for family, engine in order:
        cases = groups[(family, engine)]
        fixed = shared_factors(cases, fitted.get(("hopper", engine)))
        print(f"fitting {family}-{engine} on {len(cases)} rows", file=sys.stderr)
        eff, _ = fit_group(family, engine, cases, fixed, args.max_evals, log=_log)
        fitted[(family, engine)] = eff
        score = scores(cases, eff)
        thr = score.get("offline throughput")
        entries.append({"family": family, "engine": engine, "values": _values(eff),
                        "rows": len(cases), "median": thr.median_abs_pct_error if thr else None,
                        "source": source, "notes": fit_notes(score, fixed)})
        print(f"  -> {fit_notes(score, fixed)}", file=sys.stderr)
    entries.extend(_priors(fitted, source))
    header = ("#:schema ../catalogs/catalog.schema.json\n"
              f"# Efficiency factors, written by benchmarks/fit_calibration.py — do not edit by hand.\n"
              f"# Data: {args.data} sha256 {digest}\n# Rows skipped: {skipped}\n"
              f"# Entries with rows = 0 are priors; their notes say where they come from.\n")
    args.out.write_text(header + "\n" + "\n\n".join(render_entry(e) for e in entries) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out} ({len(entries)} entries)", file=sys.stderr)
    return 0


def _priors(fitted: dict[tuple[str, str], EfficiencyFactors], source: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    prior_source = f"prior derived from the fitted entries of {source}"
    hopper: dict[str, EfficiencyFactors] = {}
    for (family, engine), eff in sorted(fitted.items()):
        for other in ("vllm", "sglang"):
            if (family, other) not in fitted:
                entry = engine_prior(eff, other, fitted.get(("hopper", engine)))
                entry["source"] = prior_source
                out.append(entry)
                if family == "hopper":
                    vals = dict(entry["values"])  # type: ignore[arg-type]
                    hopper[other] = factors_of("hopper", other, {k: v for k, v in vals.items()
                                                                 if k != "max_batch"},
                                               int(vals["max_batch"]))
        if family == "hopper":
            hopper[engine] = eff
    for family, engines in FAMILY_ENGINES.items():
        for engine in engines:
            if (family, engine) not in fitted:
                entry = family_prior(hopper, family, engine)
                entry["source"] = prior_source
                out.append(entry)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
