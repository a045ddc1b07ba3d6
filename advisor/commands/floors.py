"""`advisor floors`: the VRAM floor of common models at bf16/fp8/int4 weights, and the
smallest GPU count on common accelerators, for a context and a number of concurrent sequences.

Memory = weights (embeddings, lm_head, every expert) + KV cache (ctx × concurrency, the model's
attention kinds) + workspace; a GPU count is the smallest tp×pp (tp ≤ 8 within a node, pp
across nodes) whose most loaded GPU holds it within the engine's memory fraction. Heavy
imports inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "VRAM floor table: minimum memory and GPU counts per model, format and accelerator"

DEFAULT_MODELS = ("llama-3.1-8b", "qwen3-32b", "mixtral-8x7b", "llama-3.1-70b", "gpt-oss-120b",
                  "mixtral-8x22b", "qwen3-235b-a22b", "llama-3.1-405b", "llama-4-maverick",
                  "deepseek-v3")
DEFAULT_GPUS = ("h100-sxm", "h200-sxm", "b200", "mi300x", "a100-80gb-sxm", "l40s")
FORMATS = ("bf16", "fp8", "int4")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.export.terminal import add_format_argument

    parser.add_argument("--ctx", metavar="TOKENS", default="8k",
                        help="context per sequence (k = 1024; default 8k)")
    parser.add_argument("--concurrency", metavar="N", default="1",
                        help="concurrent sequences at that context (default 1)")
    parser.add_argument("--kv-dtype", dest="kv_dtype", choices=("bf16", "fp16", "fp8"),
                        default="bf16", help="KV-cache dtype (default bf16)")
    parser.add_argument("--models", metavar="LIST", help="comma-separated models (default: 8B…671B)")
    parser.add_argument("--gpus", metavar="LIST", help="comma-separated accelerators")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import Column, gib, print_lines, render
    from advisor.search.floors import LIMITS, floor_records
    from advisor.shorthands import parse_tokens

    context = parse_tokens(args.ctx, "--ctx")
    sequences = parse_tokens(args.concurrency, "--concurrency")
    world = world_from_args(args)
    models = _names(args.models, DEFAULT_MODELS, world.model, world.models)
    gpus = _names(args.gpus, DEFAULT_GPUS, world.accelerator, world.accelerators)
    fraction = world.settings.engine_memory_fraction
    records = floor_records(models, gpus, FORMATS, args.kv_dtype, context, sequences, fraction)
    if args.format != "table":
        render(records, [], args.format)
        return 0
    # Narrow terminals keep the model, the format and the GPU counts (first accelerators first).
    columns = [
        Column("model", "model", priority=0), Column("params", lambda r: f"{r['params_b']:.0f}B", "right", priority=3),
        Column("format", "weights", priority=0),
        Column("weights", lambda r: gib(r["weights_bytes"]), "right", priority=4),
        Column("KV", lambda r: gib(r["kv_bytes"]), "right", priority=4),
        Column("floor", lambda r: gib(r["floor_bytes"]), "right", priority=2),
    ]
    for acc in gpus:
        columns.append(Column(acc.id, _gpu_cell(acc.id), "right", priority=1))
    title = (f"VRAM floor at {context:,} tokens × {sequences} sequence(s), {args.kv_dtype} KV, "
             f"engine memory fraction {fraction:g}")
    render(records, columns, "table", title=title, width=args.width, chosen=args.columns)
    print_lines([
        "floor = weights (embeddings, lm_head, all experts; int4 4.25 b/param with scales, "
        "embeddings bf16) + KV cache + one GPU's workspace (runtime, CUDA graphs, activations).",
        "GPU cells: smallest GPU count as tp×pp whose most loaded GPU fits (tp ≤ 8 in a node); "
        + "; ".join(f"{sign}: {meaning}" for sign, meaning in LIMITS.items()) + ".",
    ], wrap=True, width=args.width)
    return 0


def _gpu_cell(acc_id: str):
    def cell(record: dict[str, Any]) -> str:
        found = record["gpus"][acc_id]
        if found["gpus"] is None:
            return str(found["limit"])
        return f"{found['gpus']} ({found['tp']}×{found['pp']})"
    return cell


def _names(raw: str | None, default: tuple[str, ...], resolve, table: dict) -> list:
    if raw:
        return [resolve(name.strip()) for name in raw.split(",") if name.strip()]
    found = [table[name] for name in default if name in table]
    if not found:
        print("advisor: warning: none of the default entries is in the catalog", file=sys.stderr)
    return found
