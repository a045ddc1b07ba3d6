"""`advisor estimate`: the performance model for one deployment, or a file of cases.

    advisor estimate --model M --gpu G [--gpus N] [--tp T] [--pp P] [--ep E] [--redundant-experts N]
                     [--weights bf16|fp16|fp8|fp4|int4] [--kv-dtype bf16|fp16|fp8]
                     --isl TOKENS --osl TOKENS [--concurrency C | --rate R]
                     [--engine trtllm|vllm|sglang] [--format table|json]
    advisor estimate --cases FILE --format jsonl

`--gpus` defaults to tp·pp; more GPUs means data-parallel replicas (with --ep above tp·pp they
are attention data-parallel ranks sharing the expert group: --tp 1 --ep 16 --gpus 16 is DEP16;
a tp wider than a node runs across nodes). Without --tp the smallest
valid TP that holds one sequence is used. `--cases` reads JSONL or CSV whose fields are the
option names and prints one JSON line per case in order; a bad case prints {"id", "error"}
and the batch goes on. Heavy imports happen inside `run`. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "predict memory, throughput, latency and interconnect need for one deployment"

CASE_FIELDS = ("id", "model", "gpu", "gpus", "tp", "pp", "ep", "weights", "kv_dtype", "isl",
               "osl", "concurrency", "rate", "engine", "redundant_experts", "prefix_hit", "spec_decode",
               "serving", "prefill_tp", "prefill_replicas")


EPILOG = """\
Modes: --concurrency C = closed loop (C users in total, split over replicas); --rate R = open
loop with queueing in TTFT (saturated: TTFT null); neither = max throughput (the batch grows
until the KV cache or the engine cap binds). Token counts take k = 1024 (--isl 2k).
JSON: model, gpu, engine, layout{tp,pp,ep,replicas,redundant_experts}, weights, kv_dtype,
memory{...}, batch, throughput{output_tokens_per_s,total_tokens_per_s} (all replicas),
latency{ttft_s,tpot_s}, interconnect{allreduce_bytes_per_step,comm_share,required_bytes_per_s,
available_bytes_per_s,link_kind,collectives{stage_step_s,allreduce_s,allreduce_nic_s,
alltoall_s,alltoall_hidden_s,alltoall_bytes_per_step,alltoall_link_kind,pp_send_s,pp_link_kind,collective_share}},
efficiency{factors, rows, fit error, source}, error_band_pct (± %, null for a prior or no
band), error_band (in words), tenancy_factor, mode, bound, saturated, notes; with
--prefix-hit or --spec-decode also features{prefix_hit, prefill_tokens, draft_tokens,
accepted_tokens, steps_per_output_token}; with --serving disagg also serving{prefill_gpus,
decode_gpus, kv_bytes_per_prompt, link, kv_transfer_s, prefill_s, queue_s, …}.
Without an offering the fabric is the chip's own (NVLink/NVSwitch or Infinity Fabric for
SXM/OAM up to 8 per node, PCIe for PCIe cards) and tenancy is bare metal (factor 1)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.commands._deployment_flags import add_deployment_flags

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_deployment_flags(parser, tp_help="tensor-parallel degree (default: fill --gpus, else the smallest that fits)")
    parser.add_argument("--redundant-experts", dest="redundant_experts", metavar="N",
                        help="extra expert copies spread with the routed experts, so --ep need "
                             "only divide experts + N (DeepSeek EPLB; default 0)")
    parser.add_argument("--isl", metavar="TOKENS", help="prompt tokens per request")
    parser.add_argument("--osl", metavar="TOKENS", help="output tokens per request")
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--concurrency", metavar="C", help="concurrent requests (closed loop)")
    load.add_argument("--rate", metavar="R", help="requests per second (open loop)")
    parser.add_argument("--prefix-hit", metavar="SHARE", help="share of prompt tokens served from the prefix cache")
    parser.add_argument("--spec-decode", metavar="METHOD:ACCEPTED",
                        help="speculative decoding, e.g. mtp:1.7 or eagle:2.4:3 (tokens kept per step[:drafted])")
    parser.add_argument("--serving", metavar="KIND", help="agg (default) or disagg: the layout is the decode pool")
    parser.add_argument("--prefill-tp", metavar="T", help="with --serving disagg: TP of each prefill replica")
    parser.add_argument("--prefill-replicas", metavar="X", help="with --serving disagg: prefill replicas (default 1)")
    parser.add_argument("--cases", metavar="FILE", help="JSONL or CSV file of cases")
    parser.add_argument("--format", choices=("table", "json", "jsonl"), default=None,
                        help="output format (default table; jsonl with --cases)")


def run(args: argparse.Namespace) -> int:
    from advisor.commands import _estimate_case as cases
    from advisor.commands import _estimate_lines as lines
    from advisor.commands._world import say_model, world_from_args
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    if args.cases:
        if args.format not in (None, "jsonl"):
            raise AdvisorError("--cases prints JSON lines: use --format jsonl",
                               exit_code=EXIT_BAD_INPUT)
        flags = [f"--{k.replace('_', '-')}" for k in CASE_FIELDS[1:] if getattr(args, k, None)]
        if flags:
            raise AdvisorError(f"--cases takes every field from the file; drop {', '.join(flags)}",
                               exit_code=EXIT_BAD_INPUT)
        rows = lines.read_cases(args.cases)
        world = world_from_args(args)
        return lines.run_cases(world, rows, sys.stdout)
    if args.format == "jsonl":
        raise AdvisorError("--format jsonl goes with --cases", exit_code=EXIT_BAD_INPUT)
    missing = [f"--{k}" for k in ("model", "gpu", "isl", "osl") if not getattr(args, k)]
    if missing:
        raise AdvisorError(f"estimate needs {', '.join(missing)}", exit_code=EXIT_BAD_INPUT)
    world = world_from_args(args)
    fields: dict[str, Any] = {k: getattr(args, k, None) for k in CASE_FIELDS[1:]}
    result = cases.evaluate(world, cases.Caches(), fields)
    say_model(world, args.model)
    if args.format == "json":
        from advisor.export.terminal import to_json

        sys.stdout.write(to_json(result.record) + "\n")
    else:
        cases.print_report(result)
    return 0
