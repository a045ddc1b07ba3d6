"""`advisor quote`: rank offerings by cost per million output tokens under latency targets.

Parses the flags with `advisor.shorthands` (or reads the request of a JSON quote with
`--from FILE`), builds a `QuoteRequest`, calls `build_quote` and renders the result: the Rich
table here, documents (md, json, csv, html) through `advisor.export`, written by
`advisor.export.write` (atomic; `--force` to replace; `-o -` is stdout). stdout is data,
stderr is warnings and the nothing-feasible message. The issue date is today, or the UTC day
of $SOURCE_DATE_EPOCH (reproducible documents). Exit codes: 0 at least one feasible offering,
1 none, 2 bad input, 3 bad catalog/profile. Heavy imports (records, core, rich) happen
inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from typing import Any

HELP = "rank offerings by cost per million tokens for a model and workload"

EPILOG = """\
Shorthands: token counts take k = 1024 and m = 1024² (--ctx 32k is 32768 tokens); durations
need a unit (2s, 50ms, 500us); --min-tps 20 means TPOT 50 ms; --rate takes 5, 5/s or 300/min;
model sizes such as 405b pick the catalog model within 5 % of that many parameters (none that
close: exit 2 with the nearest); the model chosen is stated on stderr and in the table header.
Defaults: input = ctx/4, output = ctx/8 (at most 1024) unless --isl/--osl or a preset says
otherwise; TTFT 10 s and TPOT 100 ms without targets or preset; weights bf16/fp16/fp8 (fp4
and int4 only when listed); KV cache bf16 (fp8 only when listed); no --concurrency/--rate
sizes one rentable unit at the largest load that meets the targets.
Nodes: a replica spans nodes only over an inter-node fabric, up to the offering's max_nodes;
offerings sold as single nodes scale out as independent rentals; --max-nodes caps the total.
Cost: USD/Mtok output = cluster USD/h ÷ (output tok/s × 3600 × utilization) × 10⁶; the
monthly cost is USD/h × hours per month.
Ranking: --sort mtok (default: USD per million output tokens), month (monthly cost of the
deployment sized for the requested load, or one unit without a load), tpot or ttft; each
offering keeps its cheapest deployment per token, --sort orders the offerings. The basis is
stated under the table and in the documents, whose alternatives compare that quantity.
Prices: a warning (stderr, the JSON warnings, a line under the table) names the ranked offerings
whose price is older than the quote validity (team quote_validity_days, default 30), with the
oldest date; --max-price-age 90d leaves offerings with older prices out. Exit codes: 0 found, 1 nothing feasible, 2 bad
input, 3 bad catalog/profile.
Documents: --format md|json|csv|html, or the -o file's extension (.md, .html, .json, .csv; .txt
or none is the table as plain text; any other is exit 2 unless --format says), writes a quote
with a quote number, issue and valid-until dates, line items, totals, the SLO check, VRAM and
interconnect analysis, alternatives, assumptions and sources. The JSON quote (schema
advisor.quote/1) carries the whole request: `advisor quote --from quote.json` reproduces it.
The issue date is today, or the UTC day of $SOURCE_DATE_EPOCH.
Recipes: --recipe [ROW] prints (or -o writes) the launch recipe of the recommendation or of a
rank/offering: the engine's command per node for the --engine release (newest checked one when
none is named), every flag from the row's numbers; a benchmark of the quoted load with the
predicted tok/s, TTFT and TPOT and their error band; then `advisor validate` and `advisor
calibrate` for the result. --recipe-format sh (default), skypilot (task YAML) or k8s
(Deployment or LeaderWorkerSet, and a Service)."""

DEFAULT_TOP = 10
# -o FILE's extension -> format; .txt (or none) is the terminal table as plain text (no colour)
OUTPUT_EXTENSIONS = {".md": "md", ".markdown": "md", ".json": "json", ".csv": "csv", ".html": "html",
                     ".htm": "html", ".txt": "table", "": "table"}
REQUEST_FLAGS = {
    "model": "--model", "preset": "--preset", "max_context": "--ctx", "input_tokens": "--isl",
    "output_tokens": "--osl", "concurrency": "--concurrency", "request_rate": "--rate", "ttft_s": "--ttft",
    "tpot_s": "--tpot", "min_tokens_per_s": "--min-tps", "weights": "--weights", "kv_dtypes": "--kv-dtype",
    "engine": "--engine", "utilization": "--utilization", "term": "--term", "currency": "--currency",
    "tenancies": "--tenancy/--bare-metal-only", "providers": "--provider", "regions": "--region",
    "max_usd_per_month": "--max-usd-per-month", "max_nodes": "--max-nodes",
    "max_price_age_days": "--max-price-age", "sort": "--sort", "prefix_hit": "--prefix-hit",
    "spec_decode": "--spec-decode", "serving": "--serving", "input_tokens_p90": "--isl", "output_tokens_p90": "--osl",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.domain.choices import ENGINES, TENANCIES
    from advisor.export.recipe import RECIPE_FORMATS
    from advisor.export.terminal import add_table_arguments
    from advisor.search.request import SORTS

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    w = parser.add_argument_group("workload")
    w.add_argument("--model", metavar="NAME", help="model id, alias or size (e.g. 405b, llama-3.1-70b)")
    w.add_argument("--preset", metavar="NAME", help="workload preset (see `advisor workloads`)")
    w.add_argument("--ctx", metavar="TOKENS", help="max context per request, e.g. 32k (k = 1024)")
    w.add_argument("--isl", "--input-tokens", dest="isl", metavar="TOKENS",
                   help="typical prompt tokens: N, MEAN,P90 (2k,6k) or a file of lengths")
    w.add_argument("--osl", "--output-tokens", dest="osl", metavar="TOKENS",
                   help="typical completion tokens: N, MEAN,P90 or a file of lengths")
    w.add_argument("--prefix-hit", metavar="SHARE",
                   help="share of prompt tokens served from the prefix cache, e.g. 0.6")
    w.add_argument("--spec-decode", metavar="METHOD:ACCEPTED",
                   help="speculative decoding, e.g. mtp:1.7 or eagle:2.4:3 (tokens kept per step[:drafted])")
    w.add_argument("--serving", metavar="KIND", help="agg (default), disagg (prefill/decode pools) or auto")
    w.add_argument("--concurrency", metavar="N", help="peak concurrent requests")
    w.add_argument("--rate", metavar="REQ/S", help="peak request rate, e.g. 5, 5/s, 300/min")
    w.add_argument("--ttft", metavar="DURATION", help="time-to-first-token target, e.g. 2s")
    w.add_argument("--tpot", metavar="DURATION", help="time-per-output-token target, e.g. 50ms")
    w.add_argument("--min-tps", metavar="TOK/S", help="per-user speed (= --tpot 1/N), e.g. 20")
    c = parser.add_argument_group("choices")
    c.add_argument("--weights", metavar="LIST", help="weight formats allowed, e.g. bf16,fp8,fp4")
    c.add_argument("--kv-dtype", metavar="LIST", help="KV-cache dtypes allowed, e.g. bf16,fp8")
    c.add_argument("--engine", metavar="ENGINE", help=f"serving engine: {', '.join(ENGINES)}, "
                   "optionally with a version, e.g. vllm@0.6 (default: the newest profile)")
    c.add_argument("--utilization", metavar="FRACTION", help="busy share of rented hours, e.g. 0.6 or 60%%")
    c.add_argument("--term", help="price term: on-demand, spot, 1-month … 3-year")
    c.add_argument("--currency", metavar="CODE", help="currency to show amounts in (ISO code)")
    c.add_argument("--sort", choices=SORTS, default=None,
                   help="rank by mtok (cost per million output tokens, default), month (monthly cost for "
                        "the requested load), tpot or ttft")
    f = parser.add_argument_group("filters")
    f.add_argument("--bare-metal-only", action="store_true", help="only bare-metal offerings")
    f.add_argument("--tenancy", metavar="LIST", help=f"tenancies allowed: {','.join(TENANCIES)}")
    f.add_argument("--provider", metavar="LIST", help="providers allowed")
    f.add_argument("--region", metavar="LIST", help="regions allowed (substring match)")
    f.add_argument("--max-usd-per-month", metavar="USD", help="budget for the deployment per month")
    f.add_argument("--max-nodes", metavar="N", help="most nodes the deployment may use")
    f.add_argument("--max-price-age", metavar="AGE",
                   help="leave out offerings priced longer ago than AGE: 90d, 90 (days), 6m (30-day months), 1y")
    o = parser.add_argument_group("output")
    o.add_argument("--top", type=int, default=None, metavar="N", help="feasible rows to show (default 10)")
    o.add_argument("--all", action="store_true", help="show every feasible row and the infeasible ones with reasons")
    o.add_argument("--explain", metavar="OFFERING", help="the whole derivation for one offering")
    o.add_argument("--format", choices=("table", "json", "csv", "md", "html"), default=None,
                   help="output format (default: from the -o file's extension: .md .html .json .csv, "
                        ".txt = table; else table)")
    o.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE atomically ('-' = stdout); says 'wrote FILE' on stderr")
    o.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_table_arguments(o)
    o.add_argument("--recipe", nargs="?", const="1", default=None, metavar="ROW",
                   help="print the launch recipe of a row instead of the table: the engine commands per node, "
                        "the benchmark that checks the prediction and the way back to validate/calibrate; ROW is "
                        "a rank or an offering id (default: 1, the recommendation)")
    o.add_argument("--recipe-format", choices=RECIPE_FORMATS, default=None,
                   help="recipe as a shell script (sh, default), a SkyPilot task (skypilot) or a Kubernetes "
                        "manifest (k8s); implies --recipe")
    o.add_argument("--from", dest="from_file", metavar="FILE",
                   help="reproduce the JSON quote in FILE ('-' = stdin): its request replaces the workload, "
                        "choice and filter flags")


def request_fields(args: argparse.Namespace) -> dict[str, Any]:
    """Flags parsed into QuoteRequest field values (None where not given)."""
    from advisor import shorthands as sh
    from advisor.search.features import check_spec_decode, length_fields, parse_prefix_hit, parse_serving

    def opt(value: str | None, parse: Any, *extra: Any) -> Any:
        return None if value is None else parse(value, *extra)

    tenancies = opt(args.tenancy, sh.parse_list, "--tenancy")
    if args.bare_metal_only:
        if tenancies and tenancies != ("bare-metal",):
            from advisor.errors import AdvisorError

            raise AdvisorError("--bare-metal-only conflicts with --tenancy")
        tenancies = ("bare-metal",)
    return {
        "model": args.model,
        "preset": args.preset,
        "max_context": opt(args.ctx, sh.parse_tokens, "--ctx"),
        **length_fields(args.isl, "input_tokens", "--isl"),
        **length_fields(args.osl, "output_tokens", "--osl"),
        "prefix_hit": opt(args.prefix_hit, parse_prefix_hit),
        "spec_decode": opt(args.spec_decode, check_spec_decode),
        "serving": opt(args.serving, parse_serving),
        "concurrency": opt(args.concurrency, sh.parse_count, "--concurrency"),
        "request_rate": opt(args.rate, sh.parse_request_rate, "--rate"),
        "ttft_s": opt(args.ttft, sh.parse_duration, "--ttft"),
        "tpot_s": opt(args.tpot, sh.parse_duration, "--tpot"),
        "min_tokens_per_s": opt(args.min_tps, sh.parse_tokens_per_s, "--min-tps"),
        "weights": opt(args.weights, sh.parse_list, "--weights"),
        "kv_dtypes": opt(args.kv_dtype, sh.parse_list, "--kv-dtype"),
        "engine": args.engine,
        "utilization": opt(args.utilization, sh.parse_fraction, "--utilization"),
        "term": args.term,
        "currency": args.currency,
        "tenancies": tenancies,
        "providers": opt(args.provider, sh.parse_list, "--provider"),
        "regions": opt(args.region, sh.parse_list, "--region"),
        "max_usd_per_month": opt(args.max_usd_per_month, sh.parse_money, "--max-usd-per-month"),
        "max_nodes": opt(args.max_nodes, sh.parse_count, "--max-nodes"),
        "max_price_age_days": opt(args.max_price_age, sh.parse_age_days, "--max-price-age"),
        "sort": args.sort,
    }


def run(args: argparse.Namespace) -> int:
    from advisor.commands._world import say_model, world_from_args
    from advisor.errors import EXIT_BAD_INPUT, EXIT_NOTHING_FEASIBLE, EXIT_OK, AdvisorError
    from advisor.export.terminal import safe_text
    from advisor.export.write import write_document
    from advisor.quote.build import build_quote, nothing_feasible_message
    from advisor.search.request import build_request

    if args.top is not None and args.top < 1:
        raise AdvisorError("--top must be at least 1", exit_code=EXIT_BAD_INPUT)
    recipe = _recipe_request(args)
    if recipe is None:
        output_format(args)  # an -o FILE of no known format fails before the search
    fields = request_fields(args)
    loaded = _read_from(args, fields) if args.from_file else None
    issued = issue_date()
    world = world_from_args(args)
    request = loaded.request if loaded is not None else build_request(world, **fields)
    quote = build_quote(request, world, issued=issued, layouts_for=args.explain)
    if recipe is not None and quote.feasible:
        from advisor.export.recipe import render_recipe

        text = render_recipe(quote, *recipe)
    else:
        text = "" if recipe is not None else _render(quote, args, loaded)
    if text:
        write_document(args.output, text, force=args.force)
        if args.output not in (None, "-"):
            print(f"wrote {safe_text(args.output)}", file=sys.stderr)
    # diagnostics after every bad-input check and the write: an error stays one line
    for warning in quote.warnings[len(world.warnings):]:  # the world's own are printed already
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)
    in_table = bool(text) and recipe is None and not args.explain and output_format(args) == "table"
    if quote.stale is not None and not in_table:  # the table says it in a line of its own
        print(f"advisor: warning: {safe_text(quote.stale.text)}", file=sys.stderr)
    if loaded is not None:
        _compare(loaded, quote)
    else:
        say_model(world, args.model)
    if not quote.feasible:
        print(f"advisor: {safe_text(nothing_feasible_message(quote))}", file=sys.stderr)
        return EXIT_NOTHING_FEASIBLE
    return EXIT_OK


def _recipe_request(args: argparse.Namespace) -> tuple[str, str] | None:
    """(row, format) when a launch recipe is asked for instead of the table, else None."""
    if args.recipe is None and args.recipe_format is None:
        return None
    clash = [flag for flag, given in (("--format", args.format), ("--explain", args.explain), ("--all", args.all),
                                      ("--top", args.top is not None)) if given]
    if clash:
        from advisor.errors import EXIT_BAD_INPUT, AdvisorError

        raise AdvisorError(f"--recipe prints one row's launch recipe: drop {', '.join(clash)}",
                           exit_code=EXIT_BAD_INPUT)
    return args.recipe or "1", args.recipe_format or "sh"


def issue_date() -> Any:
    """Today, or the UTC day of $SOURCE_DATE_EPOCH (the reproducible-builds convention)."""
    import os
    from datetime import date, datetime

    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return date.today()
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC).date()
    except (ValueError, OverflowError, OSError):
        from advisor.errors import AdvisorError

        raise AdvisorError(f"SOURCE_DATE_EPOCH {raw[:40]!r} is not a Unix time in seconds") from None


def _read_from(args: argparse.Namespace, fields: dict[str, Any]) -> Any:
    from advisor.errors import AdvisorError
    from advisor.export.json_format import read_quote_file

    given = [REQUEST_FLAGS[key] for key, value in fields.items() if value is not None and value != ()]
    if given:
        raise AdvisorError(f"--from FILE carries the whole request: drop {', '.join(given)}")
    return read_quote_file(args.from_file)


def _compare(loaded: Any, quote: Any) -> None:
    """Say on stderr when the data or the tool changed since the quote in the file was made."""
    from advisor.export.terminal import safe_text

    if not loaded.quote_number or loaded.quote_number == quote.number:
        return
    before, now = dict(loaded.sources), {s.path: s.sha256 for s in quote.sources}
    changes = [f"{path} changed" for path in now if path in before and before[path] != now[path]]
    changes += [f"{path} added" for path in now if path not in before]
    changes += [f"{path} gone" for path in before if path not in now]
    if loaded.tool_version and loaded.tool_version != quote.tool_version:
        changes.insert(0, f"advisor {loaded.tool_version} → {quote.tool_version}")
    listed = "; ".join(changes[:4]) + (f"; {len(changes) - 4} more" if len(changes) > 4 else "")
    print(f"advisor: warning: {safe_text(loaded.path)} is quote {safe_text(loaded.quote_number)}; with today's "
          f"data this is quote {quote.number}, results may differ ({safe_text(listed) or 'request normalized'})",
          file=sys.stderr)


def output_format(args: argparse.Namespace) -> str:
    """--format, else the format the -o file's extension names (exit 2 for any other), else table."""
    if args.format:
        return str(args.format)
    if args.output and args.output != "-":
        from pathlib import Path

        suffix = Path(args.output).suffix.lower()
        if suffix not in OUTPUT_EXTENSIONS:
            from advisor.errors import EXIT_BAD_INPUT, AdvisorError
            from advisor.export.terminal import safe_text

            raise AdvisorError(
                f"-o {safe_text(args.output)}: cannot tell the format from the extension {safe_text(suffix)!r}; "
                "use .md, .html, .json, .csv or .txt (or no extension) for the table as plain text, or say "
                "--format table|md|json|csv|html",
                exit_code=EXIT_BAD_INPUT)
        return OUTPUT_EXTENSIONS[suffix]
    return "table"


def selection(args: argparse.Namespace, loaded: Any) -> tuple[int | None, bool]:
    """(top feasible rows or None for all, include infeasible): flags, else the file's, else 10."""
    if args.all:
        return None, True
    if args.top is not None:
        return args.top, bool(loaded.include_infeasible) if loaded is not None else False
    if loaded is not None:
        return loaded.top, loaded.include_infeasible
    return DEFAULT_TOP, False


def _render(quote: Any, args: argparse.Namespace, loaded: Any) -> str:
    from advisor.export.data import selected

    if args.explain:
        from advisor.export.explain import explain_lines
        from advisor.export.terminal import safe_text

        lines = explain_lines(quote, quote.result_for(args.explain))
        return "".join(safe_text(line) + "\n" for line in lines)
    top, include = selection(args, loaded)
    fmt = output_format(args)
    if fmt != "table":
        from advisor.export import ExportOptions, render

        return render(quote, fmt, ExportOptions(top=top, include_infeasible=include, reasons=include))
    rows = selected(quote, top=top, include_infeasible=include)
    if not rows:
        return ""
    from advisor.export.formats import render as render_table

    return render_table(quote, rows, "table", reasons=include, width=args.width, columns=args.columns)
