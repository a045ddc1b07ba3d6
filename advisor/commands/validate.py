"""`advisor validate`: score the performance model against measurements in the calibration
schema (default: the calibration set shipped with the package), or against measured results in
the formats `advisor calibrate` reads (flags such as --gpu fill what those files do not state).

For every metric, overall and per accelerator family and model family: rows, coverage (rows
with a prediction), median absolute percentage error, share within ±25 % and median bias.
Offline rows are max-throughput estimates; online rows replay their finite run. Without
--data, the shipped set (TensorRT-LLM tables plus the collected vLLM/SGLang/AMD/Blackwell rows)
is scored and the per-slice cross-validated table the shipped fit recorded is printed;
`--cv source|model|gpu|engine` recomputes it: leave one group out, refit, score the left-out
rows, per engine × GPU family × dense/MoE. Exit 0 when scored, 2 for an unreadable file.
Heavy imports inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

HELP = "score the performance model against a file of measured benchmarks"
MAX_BYTES = 64 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.commands._deployment_flags import add_measured_on_flags
    from advisor.export.terminal import add_table_arguments

    parser.add_argument("--data", metavar="FILE", action="append",
                        help="measurements in the calibration schema (default: the shipped set), "
                        "or measured results as `advisor calibrate` reads them (vLLM, SGLang, "
                        "genai-perf, AIPerf); repeat for several files")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")
    add_table_arguments(parser, columns=False)  # two tables with different columns
    parser.add_argument("--cv", choices=("source", "model", "gpu", "engine"),
                        help="cross-validate: leave one source / model family / GPU family / "
                        "engine out at a time, refit, and score the left-out rows per slice")
    parser.add_argument("--jobs", type=int, default=0, metavar="N",
                        help="processes for --cv folds (default: the CPU count, at most 8)")
    add_measured_on_flags(parser)


def _read(path: str | None) -> tuple[str, str]:
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    if path is None:
        from importlib import resources

        item = resources.files("advisor.profiles") / "benchmarks.csv"
        return "built-in benchmarks.csv", item.read_text(encoding="utf-8")
    from advisor.files import read_input

    data = read_input(path, max_bytes=MAX_BYTES, what="a CSV file of measurements")
    try:
        return path, data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdvisorError(f"{path}: not UTF-8 text", exit_code=EXIT_BAD_INPUT) from None


def _measured(args: argparse.Namespace, world: Any) -> tuple[str, str, list[str]]:
    """The measured files as calibration-schema CSV text, and the readers' warnings."""
    from advisor.calibration.inputs import context_from_args, csv_text, read_all

    read = read_all(args.data, context_from_args(args, world), world)
    return ", ".join(args.data), csv_text(read.records), list(read.warnings)


def _texts(args: argparse.Namespace) -> list[tuple[str, str]]:
    from advisor.calibration.dataset import shipped_texts

    if not args.data:
        return shipped_texts()
    return [_read(path) for path in args.data]


def _slice_rows(scores: list[Any]) -> list[dict[str, Any]]:
    import math

    def num(v: float, digits: int = 1) -> float | None:
        return None if math.isnan(v) else round(v, digits)

    return [{"slice": " ".join(s.slice), "rows": s.rows, "scored": s.scored,
             "median_abs_pct_error": num(s.median_abs_pct), "within_25": num(s.within_25, 3),
             "median_bias_pct": num(s.bias_pct), "band_p80_pct": num(s.p80_abs_pct)}
            for s in scores]


def pct(key: str, scale: float = 1.0, sign: bool = False) -> Callable[[dict[str, Any]], str]:
    """A table cell showing a record's percentage (— when missing)."""
    def cell(r: dict[str, Any]) -> str:
        v = r[key]
        if v is None:
            return "—"
        return f"{v * scale:+.1f} %" if sign else f"{v * scale:.1f} %"
    return cell


def print_slices(rows: list[dict[str, Any]], title: str, width: int | None) -> None:
    """The cross-validated table per slice, fitted to `width` (a --width, or None)."""
    from advisor.export.terminal import Column, print_table

    print_table(rows, [
        Column("slice", "slice", priority=0), Column("rows", "rows", "right", priority=3),
        Column("median |err|", pct("median_abs_pct_error"), "right", priority=1),
        Column("within ±25 %", pct("within_25", 100), "right", priority=5),
        Column("bias", pct("median_bias_pct", sign=True), "right", priority=4),
        Column("band (p80)", lambda r: "—" if r["band_p80_pct"] is None else f"±{r['band_p80_pct']:.0f} %",
               "right", priority=2),
    ], title=title, width=width, hint="--width")


def _cross_validate(args: argparse.Namespace) -> int:
    import json
    import os
    from importlib import resources

    from advisor.calibration.crossval import cross_validate, slice_scores
    from advisor.calibration.dataset import load_cases
    from advisor.calibration.shipped_parts import parts_from_json
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import print_lines, safe_text, to_json

    world = world_from_args(args)
    cases, warnings = load_cases(world, _texts(args))
    _print_warnings(warnings, shipped=not args.data)
    item = resources.files("advisor.profiles") / "calibration_parts.json"
    start = parts_from_json(json.loads(item.read_text(encoding="utf-8")))
    jobs = args.jobs or min(os.cpu_count() or 1, 8)

    def log(message: str) -> None:
        print(f"advisor: {safe_text(message)}", file=sys.stderr)

    preds = cross_validate(cases, args.cv, start, log=log, jobs=jobs)
    fitted = [(c, p) for c, p in zip(cases, preds, strict=True) if c.row.fit]
    rows = _slice_rows(slice_scores([c for c, _ in fitted], [p for _, p in fitted]))
    reference = len(cases) - len(fitted)
    if args.format == "json":
        sys.stdout.write(to_json({"cv": args.cv, "rows": len(fitted), "reference_rows": reference,
                                  "slices": rows}) + "\n")
        return 0
    print_slices(rows, f"Leave-one-{args.cv}-out cross-validation ({len(fitted)} rows)", args.width)
    print_lines([f"Each {args.cv} group was left out in turn, the factors refitted on the rest, and "
                 "the left-out rows predicted. band (p80): 80 % of the slice's rows were within it.",
                 f"{reference} reference rows (layout or lengths guessed, fit = no) are not scored."],
                wrap=True, width=args.width)
    return 0


def _print_warnings(warnings: list[str], *, shipped: bool) -> None:
    """One line per skipped row of the user's files (at most 20); for the shipped set, whose
    reference rows include layouts the model does not cover yet (TP across nodes, decode-only
    pools of disaggregated serving), one line with the count."""
    from advisor.export.terminal import safe_text

    if shipped:
        if warnings:
            print(f"advisor: {len(warnings)} reference rows of the shipped set are not predicted "
                  "(layouts the model does not cover yet; --data FILE lists a file's rows one by one)",
                  file=sys.stderr)
        return
    for warning in warnings[:20]:
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)
    if len(warnings) > 20:
        print(f"advisor: warning: … and {len(warnings) - 20} more rows skipped", file=sys.stderr)


def _shipped_cv() -> dict[str, Any] | None:
    import json
    from importlib import resources

    item = resources.files("advisor.profiles") / "calibration_cv.json"
    try:
        data = json.loads(item.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run(args: argparse.Namespace) -> int:
    from advisor.calibration.inputs import is_measured

    if args.cv:
        return _cross_validate(args)
    from advisor.commands._validate_score import score_rows
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import Column, print_lines, print_table, to_json

    if is_measured(args.data):  # JSON results or several files: read as `advisor calibrate` does
        world = world_from_args(args)
        name, text, warnings = _measured(args, world)
    else:
        texts = _texts(args)
        name = ", ".join(n for n, _ in texts) if args.data else "the shipped calibration set"
        world = world_from_args(args)
        warnings = []
    if is_measured(args.data):
        records, scored = score_rows(world, text, name)
    else:
        records, scored = score_rows(world, texts[0][1], texts[0][0], texts[1:])
    warnings += scored
    _print_warnings(warnings, shipped=not args.data)
    shipped = None if args.data else _shipped_cv()
    if args.format == "json":
        sys.stdout.write(to_json(records if shipped is None else
                                 {"in_sample": records, "cross_validated": shipped}) + "\n")
        return 0

    columns = [
        Column("metric", "metric", priority=0), Column("group", "group", priority=0),
        Column("rows", "rows", "right", priority=2),
        Column("coverage", pct("coverage", 100), "right", priority=3),
        Column("median |err|", pct("median_abs_pct_error"), "right", priority=1),
        Column("within ±25 %", pct("within_25", 100), "right", priority=5),
        Column("median bias", pct("median_bias_pct", sign=True), "right", priority=4),
    ]
    print_table(records, columns, title=f"Model vs measurements ({name})", width=args.width, hint="--width")
    print_lines(["bias > 0: the model predicts more than was measured (tokens/s) or longer "
                 "latencies (ms); coverage: rows with a finite prediction."], wrap=True, width=args.width)
    if shipped is not None:
        print_lines([""])
        print_slices(shipped["slices"], f"Leave-one-source-out cross-validation, as fitted "
                     f"({shipped['rows']} rows; recompute with --cv source)", args.width)
    return 0
