"""`advisor calibrate`: fit efficiency factors to a team's own measured runs; write the TOML.

    advisor calibrate FILE… [--model M --gpu G --tp T --pp P --engine E --weights W
                      --kv-dtype K --offering ID] -o calibration.toml [--force]

Reads vLLM / SGLang / genai-perf / AIPerf results or calibration-schema CSV
(`advisor.calibration.formats`), fits what the runs support for that accelerator and engine
(`advisor.calibration.few_runs`: a throughput scale and a latency offset below 4 runs, else
`advisor.calibration.team`), prints the error before and after on stdout, and writes
one [[efficiency]] entry atomically (never over an existing file without --force). Exit 0
written; 2 bad input, an unreadable file or a refused (unphysical or under-determined) fit.
Heavy imports inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

HELP = "fit efficiency factors to your own measured benchmark runs and write a calibration file"

EPILOG = """\
Files: vLLM `vllm bench serve --save-result` JSON, SGLang `sglang.bench_serving --output-file`
JSONL, genai-perf profile_export_genai_perf.json, AIPerf profile_export_aiperf.json, or CSV in
the calibration schema. What a file does not state (vLLM and SGLang name no GPU) comes from
the flags, all named in one message; vLLM's `--metadata gpu=H100 tp=2 weights=fp8` is read too.
Fewer than 4 runs (operating points): one throughput scale on the decode step (the η it is
bound by, its per-step overheads) and the latency offset t_request from TTFT. 4 runs or more:
the factors the runs identify (decode speed → eta_mem, t_fixed; TTFT → eta_prefill,
t_request; large batches → eta_compute; several TP degrees → alpha). The rest keep the entry
in use today. Load the result through the team config:  calibrations = ["calibration.toml"]
and compare with `advisor validate --data FILE …` (the report prints the command)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.commands._deployment_flags import add_measured_on_flags

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("files", nargs="+", metavar="FILE", help="measured results")
    add_measured_on_flags(parser)
    parser.add_argument("--offering", metavar="ID",
                        help="scope the calibration to one offering (its fabric and tenancy)")
    parser.add_argument("-o", "--output", required=True, metavar="TOML",
                        help="calibration TOML to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--id", dest="entry_id", metavar="ID",
                        help="entry id (default team-<gpu or offering>-<engine>)")
    parser.add_argument("--as-of", dest="as_of", metavar="DATE",
                        help="date recorded in the file (default today, YYYY-MM-DD)")
    parser.add_argument("--max-evals", dest="max_evals", type=int, default=400, metavar="N",
                        help="optimizer evaluations per start (default 400)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="report format on stdout (default table)")


def _warn(lines: Any) -> None:
    from advisor.export.terminal import safe_text

    for line in lines:
        print(f"advisor: warning: {safe_text(line)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from advisor.calibration import few_runs, output
    from advisor.commands._world import world_from_args
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError
    from advisor.export.write import write_atomic
    from advisor.shorthands import parse_date

    as_of = parse_date(args.as_of)
    if not 1 <= args.max_evals <= 100_000:
        raise AdvisorError("--max-evals must be between 1 and 100000", exit_code=EXIT_BAD_INPUT)
    target = Path(args.output)
    if target.exists() and not args.force:  # before minutes of fitting, not after
        raise AdvisorError(f"{target}: already exists (use --force to overwrite)",
                           exit_code=EXIT_BAD_INPUT)
    world = world_from_args(args)
    read, cases, scope, prior = _measurements(args, world)
    fit = few_runs.fit_runs(cases, prior, max_evals=args.max_evals)
    entry = args.entry_id or output.entry_id(scope)
    text = output.render(fit, scope, list(read.files), as_of=as_of, out_name=target.name,
                         entry=entry, base=target.parent)
    write_atomic(target, text, force=args.force)
    compare = _compare_command(args, scope)
    if args.format == "json":
        _report_json(fit, scope, entry, target, cases, compare)
    else:
        _report_table(fit, scope, entry, target, cases, compare)
    return 0


def _compare_command(args: argparse.Namespace, scope: Any) -> str:
    """`advisor validate` on the same files and flags: the measurements against the model."""
    import shlex

    parts = ["advisor", "validate", *[a for f in args.files for a in ("--data", f)]]
    given = {"--model": args.model, "--gpu": scope.acc.id, "--gpus": args.gpus, "--tp": args.tp,
             "--pp": args.pp, "--ep": args.ep, "--engine": scope.engine, "--weights": args.weights,
             "--kv-dtype": args.kv_dtype}
    parts += [a for flag, value in given.items() if value is not None for a in (flag, str(value))]
    return shlex.join(parts)


def _measurements(args: argparse.Namespace, world: Any) -> tuple[Any, list[Any], Any, Any]:
    """The files read, the usable fit cases, their scope and the prior (the factors in use)."""
    from advisor.calibration import inputs, team
    from advisor.core.efficiency import engine_reason, select
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    ctx = inputs.context_from_args(args, world)
    read = inputs.read_all(args.files, ctx, world)
    cases, scope, warnings = inputs.cases_for(read.records, world, ctx, args.offering)
    reason = engine_reason(scope.acc, scope.engine)
    if reason:
        raise AdvisorError(reason, exit_code=EXIT_BAD_INPUT)
    offering_id = scope.offering.id if scope.offering is not None else None
    prior = select(world.efficiency.values(), scope.acc, scope.engine, offering_id)
    cases, dropped = team.usable(cases, prior)
    for line in read.summaries:
        print(f"advisor: read {line}", file=sys.stderr)
    _warn(list(read.warnings) + warnings + dropped)
    return read, cases, scope, prior


def _errors(fit: Any) -> list[dict[str, Any]]:
    return [{"metric": k, "rows": fit.before[k].rows,
             "before": _clean(fit.before[k].median_abs_pct_error),
             "after": _clean(fit.after[k].median_abs_pct_error),
             "bias_before": _clean(fit.before[k].median_bias_pct),
             "bias_after": _clean(fit.after[k].median_bias_pct)}
            for k in ("throughput", "TTFT", "ITL/TPOT", "all") if k in fit.before]


def _runs_text(runs: int) -> str:
    return "one run" if runs == 1 else f"{runs} runs"


def _factors(fit: Any) -> list[dict[str, Any]]:
    from advisor.calibration.few_runs import FULL_FIT_RUNS
    from advisor.calibration.fit import NAMES

    def status(name: str) -> str:
        if fit.mode != "full":
            if name in fit.free:
                return "fitted (throughput scale)" if name in fit.scaled else "fitted (latency offset)"
            return (f"kept ({_runs_text(fit.runs)} cannot separate it; {FULL_FIT_RUNS} runs at "
                    "different concurrencies can)")
        if name == "max_batch":
            return "searched" if name in fit.free else "kept"
        if name in fit.free:
            return "fitted"
        return "kept (the runs only bound it)" if name in fit.bounded else "kept (not identifiable)"

    return [{"factor": n, "prior": getattr(fit.prior, n), "fitted": getattr(fit.fitted, n),
             "status": status(n)} for n in (*NAMES, "max_batch")]


def _runs_line(fit: Any, cases: list[Any]) -> str:
    from advisor.calibration.few_runs import runs_of

    points = runs_of(cases)
    if len(points) == 1:
        load, isl, osl = points[0]
        what = f"1 run ({load}, {isl} in / {osl} out)"
    else:
        what = f"{len(points)} runs ({', '.join(dict.fromkeys(p[0] for p in points))})"
    return f"{what}: decode is {fit.bound}-bound ({fit.bound_why})" if fit.bound else \
        f"{what}: decode speed is not measured"


def explanation(fit: Any, cases: list[Any]) -> list[str]:
    """What a scale-and-offset fit did, in words: the runs, what was fitted, what was kept."""
    from advisor.calibration.few_runs import FULL_FIT_RUNS
    from advisor.calibration.fit import NAMES

    p, f = fit.prior, fit.fitted
    fitted = []
    if fit.scaled:
        def moved(names: list[str]) -> str:
            return ", ".join(f"{n} {getattr(p, n):.4g} → {getattr(f, n):.4g}" for n in names)

        etas = [n for n in fit.scaled if n.startswith("eta")]
        overheads = [n for n in fit.scaled if not n.startswith("eta")]
        fitted.append(f"a throughput scale ×{fit.scale:.3f} on the decode step ({moved(etas)}; "
                      f"its per-step overheads ÷{fit.scale:.3f}: {moved(overheads)})")
    if "t_request_s" in fit.free:
        fitted.append(f"the latency offset t_request_s ({p.t_request_s:.4g} → {f.t_request_s:.4g} s) from TTFT")
    kept = [n for n in (*NAMES, "max_batch") if n not in fit.free]
    them = "it" if len(kept) == 1 else "them"
    return [_runs_line(fit, cases), f"fitted: {'; '.join(fitted)}",
            f"kept from {p.id}: {', '.join(kept)} ({_runs_text(fit.runs)} cannot separate {them}; "
            f"{FULL_FIT_RUNS} runs at different concurrencies can)"]


def _report_json(fit: Any, scope: Any, entry: str, target: Any, cases: list[Any], compare: str) -> None:
    from advisor.export.terminal import to_json

    record = {"id": entry, "file": str(target), "gpu": scope.acc.id, "engine": scope.engine,
              "offering": scope.offering.id if scope.offering is not None else None,
              "prior": fit.prior.id, "fitted": list(fit.free), "bounded": list(fit.bounded),
              "rows": fit.rows, "runs": fit.runs, "mode": fit.mode, "scaled": list(fit.scaled),
              "scale": fit.scale if fit.scaled else None, "bound": fit.bound or None,
              "errors": _errors(fit), "factors": _factors(fit), "compare": compare}
    if fit.mode != "full":
        record["explanation"] = explanation(fit, cases)
    sys.stdout.write(to_json(record) + "\n")


def _report_table(fit: Any, scope: Any, entry: str, target: Any, cases: list[Any], compare: str) -> None:
    from advisor.export.terminal import Column, print_lines, print_table

    def pct(key: str, sign: str = "") -> Any:
        return lambda r: "—" if r[key] is None else f"{r[key]:{sign}.1f} %"

    print_table(_errors(fit), [
        Column("metric", "metric"), Column("rows", "rows", "right"),
        Column(f"median |err| before ({fit.prior.id})", pct("before"), "right"),
        Column("after", pct("after"), "right"), Column("bias before", pct("bias_before", "+"), "right"),
        Column("bias after", pct("bias_after", "+"), "right"),
    ], title=f"Calibration {entry}: {scope.acc.id}, {scope.engine}")
    print_table(_factors(fit), [
        Column("factor", "factor"), Column("prior", lambda r: f"{r['prior']:.4g}", "right"),
        Column("calibrated", lambda r: f"{r['fitted']:.4g}", "right"), Column("", "status", name="status"),
    ])
    lines = explanation(fit, cases) if fit.mode != "full" else []
    print_lines([*lines, f"wrote {target} ({entry}); load it with calibrations = [\"{target.name}\"] "
                 "in advisor.toml", f"compare: {compare}  (once advisor.toml lists it)"])


def _clean(value: float) -> float | None:
    return None if value != value else value  # NaN (nothing scored) is null in JSON
