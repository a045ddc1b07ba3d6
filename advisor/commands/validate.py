"""`advisor validate`: score the performance model against measurements in the calibration
schema (default: the calibration set shipped with the package), or against measured results in
the formats `advisor calibrate` reads (flags such as --gpu fill what those files do not state).

For every metric, overall and per accelerator family and model family: rows, coverage (rows
with a prediction), median absolute percentage error, share within ±25 % and median bias.
Offline rows are max-throughput estimates; online rows replay their finite run. Exit 0 when
scored, 2 for an unreadable file. Heavy imports inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "score the performance model against a file of measured benchmarks"
MAX_BYTES = 64 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.commands._deployment_flags import add_measured_on_flags

    parser.add_argument("--data", metavar="FILE", action="append",
                        help="measurements in the calibration schema (default: the shipped set), "
                        "or measured results as `advisor calibrate` reads them (vLLM, SGLang, "
                        "genai-perf, AIPerf); repeat for several files")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")
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


def run(args: argparse.Namespace) -> int:
    from advisor.calibration.inputs import is_measured
    from advisor.commands._validate_score import score_rows
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import Column, print_lines, print_table, safe_text, to_json

    if is_measured(args.data):  # JSON results or several files: read as `advisor calibrate` does
        world = world_from_args(args)
        name, text, warnings = _measured(args, world)
    else:
        name, text = _read(args.data[0] if args.data else None)
        world = world_from_args(args)
        warnings = []
    records, scored = score_rows(world, text, name)
    warnings += scored
    for warning in warnings[:20]:
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)
    if len(warnings) > 20:
        print(f"advisor: warning: … and {len(warnings) - 20} more rows skipped", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(to_json(records) + "\n")
        return 0

    def pct(key: str, scale: float = 1.0, sign: bool = False):
        def cell(r: dict[str, Any]) -> str:
            v = r[key]
            if v is None:
                return "—"
            return f"{v * scale:+.1f} %" if sign else f"{v * scale:.1f} %"
        return cell

    columns = [
        Column("metric", "metric"), Column("group", "group"), Column("rows", "rows", "right"),
        Column("coverage", pct("coverage", 100), "right"),
        Column("median |err|", pct("median_abs_pct_error"), "right"),
        Column("within ±25 %", pct("within_25", 100), "right"),
        Column("median bias", pct("median_bias_pct", sign=True), "right"),
    ]
    print_table(records, columns, title=f"Model vs measurements ({name})")
    print_lines(["bias > 0: the model predicts more than was measured (tokens/s) or longer "
                 "latencies (ms); coverage: rows with a finite prediction."])
    return 0
