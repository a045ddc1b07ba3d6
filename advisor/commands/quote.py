"""`advisor quote`: rank offerings by cost per million output tokens under latency targets.

Parses the flags with `advisor.shorthands`, builds a `QuoteRequest`, calls `build_quote` and
renders the result. stdout is data, stderr is warnings and the nothing-feasible message.
Exit codes: 0 at least one feasible offering, 1 none, 2 bad input, 3 bad catalog/profile.
Heavy imports (pydantic models, core, rich) happen inside `run`. Must not import textual or
httpx.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any

HELP = "rank offerings by cost per million tokens for a model and workload"

EPILOG = """\
Shorthands: token counts take k = 1024 and m = 1024² (--ctx 32k is 32768 tokens); durations
need a unit (2s, 50ms, 500us); --min-tps 20 means TPOT 50 ms; --rate takes 5, 5/s or 300/min;
model sizes such as 405b pick the catalog model of about that many parameters.
Defaults: input = ctx/4, output = ctx/8 (at most 1024) unless --isl/--osl or a preset says
otherwise; TTFT 10 s and TPOT 100 ms without targets or preset; weights bf16/fp16/fp8 (fp4
and int4 only when listed); KV cache bf16 (fp8 only when listed); no --concurrency/--rate
sizes one rentable unit at the largest load that meets the targets.
Nodes: a replica spans nodes only over an inter-node fabric, up to the offering's max_nodes;
offerings sold as single nodes scale out as independent rentals; --max-nodes caps the total.
Cost: USD/Mtok output = cluster USD/h ÷ (output tok/s × 3600 × utilization) × 10⁶; the
monthly cost is USD/h × hours per month. Exit codes: 0 found, 1 nothing feasible, 2 bad
input, 3 bad catalog/profile."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    w = parser.add_argument_group("workload")
    w.add_argument("--model", metavar="NAME", help="model id, alias or size (e.g. 405b, llama-3.1-70b)")
    w.add_argument("--preset", metavar="NAME", help="workload preset (see `advisor workloads`)")
    w.add_argument("--ctx", metavar="TOKENS", help="max context per request, e.g. 32k (k = 1024)")
    w.add_argument("--isl", "--input-tokens", dest="isl", metavar="TOKENS", help="typical prompt tokens")
    w.add_argument("--osl", "--output-tokens", dest="osl", metavar="TOKENS", help="typical completion tokens")
    w.add_argument("--concurrency", metavar="N", help="peak concurrent requests")
    w.add_argument("--rate", metavar="REQ/S", help="peak request rate, e.g. 5, 5/s, 300/min")
    w.add_argument("--ttft", metavar="DURATION", help="time-to-first-token target, e.g. 2s")
    w.add_argument("--tpot", metavar="DURATION", help="time-per-output-token target, e.g. 50ms")
    w.add_argument("--min-tps", metavar="TOK/S", help="per-user speed (= --tpot 1/N), e.g. 20")
    c = parser.add_argument_group("choices")
    c.add_argument("--weights", metavar="LIST", help="weight formats allowed, e.g. bf16,fp8,fp4")
    c.add_argument("--kv-dtype", metavar="LIST", help="KV-cache dtypes allowed, e.g. bf16,fp8")
    c.add_argument("--engine", choices=("vllm", "trtllm", "sglang"), help="serving engine")
    c.add_argument("--utilization", metavar="FRACTION", help="busy share of rented hours, e.g. 0.6 or 60%%")
    c.add_argument("--term", help="price term: on-demand, spot, 1-month … 3-year")
    c.add_argument("--currency", metavar="CODE", help="currency to show amounts in (ISO code)")
    f = parser.add_argument_group("filters")
    f.add_argument("--bare-metal-only", action="store_true", help="only bare-metal offerings")
    f.add_argument("--tenancy", metavar="LIST", help="tenancies allowed: bare-metal,vm,vgpu,container")
    f.add_argument("--provider", metavar="LIST", help="providers allowed")
    f.add_argument("--region", metavar="LIST", help="regions allowed (substring match)")
    f.add_argument("--max-usd-per-month", metavar="USD", help="budget for the deployment per month")
    f.add_argument("--max-nodes", metavar="N", help="most nodes the deployment may use")
    o = parser.add_argument_group("output")
    o.add_argument("--top", type=int, default=10, metavar="N", help="feasible rows to show (default 10)")
    o.add_argument("--all", action="store_true", help="show every feasible row and the infeasible ones with reasons")
    o.add_argument("--explain", metavar="OFFERING", help="the whole derivation for one offering")
    o.add_argument("--format", choices=("table", "json", "csv", "md"), default="table", help="output format")
    o.add_argument("-o", "--output", metavar="FILE", help="write to FILE atomically ('-' = stdout)")
    o.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def request_fields(args: argparse.Namespace) -> dict[str, Any]:
    """Flags parsed into QuoteRequest field values (None where not given)."""
    from advisor import shorthands as sh

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
        "input_tokens": opt(args.isl, sh.parse_tokens, "--isl"),
        "output_tokens": opt(args.osl, sh.parse_tokens, "--osl"),
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
    }


def run(args: argparse.Namespace) -> int:
    from advisor.config import world_from_args
    from advisor.console import safe_text
    from advisor.errors import EXIT_BAD_INPUT, EXIT_NOTHING_FEASIBLE, EXIT_OK, AdvisorError
    from advisor.quote import build_quote, nothing_feasible_message
    from advisor.request import build_request
    from advisor.views.output import write_output

    if args.top < 1:
        raise AdvisorError("--top must be at least 1", exit_code=EXIT_BAD_INPUT)
    fields = request_fields(args)
    world = world_from_args(args)
    quote = build_quote(build_request(world, **fields), world)
    for warning in quote.warnings:
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)
    text = _render(quote, args)
    if text:
        write_output(args.output, text, force=args.force)
    if not quote.feasible:
        print(f"advisor: {safe_text(nothing_feasible_message(quote))}", file=sys.stderr)
        return EXIT_NOTHING_FEASIBLE
    return EXIT_OK


def _render(quote: Any, args: argparse.Namespace) -> str:
    from advisor.views.data import selected
    from advisor.views.formats import render

    if args.explain:
        from advisor.console import safe_text
        from advisor.views.explain import explain_lines

        lines = explain_lines(quote, quote.result_for(args.explain))
        return "".join(safe_text(line) + "\n" for line in lines)
    top = None if args.all else args.top
    rows = selected(quote, top=top, include_infeasible=args.all)
    if args.format == "table" and not rows:
        return ""
    to_terminal = args.output in (None, "-") and sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if to_terminal else 220
    return render(quote, rows, args.format, reasons=args.all, width=width)
