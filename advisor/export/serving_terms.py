"""The terms of the workload features and of disaggregated serving, with their numbers, as plain
lines and as JSON-ready data: `--explain`, the documents, the JSON/CSV rows and the TUI details
all show these (the TUI wraps the same lines in inert `Text`).

- prefix cache: prompt tokens prefilled and the share of prefill FLOPs that remains;
- speculative decoding: tokens verified and kept per step, steps per output token;
- length distributions: the p90 prompt's TTFT beside the mean's;
- disaggregated pools: both pools, the KV bytes of a prompt, the link, the transfer time and
  TTFT = prefill + queue + transfer, TPOT of the decode pool, and why the kind was chosen.

Nothing is recomputed but the arithmetic shown. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from typing import Any

from advisor.core.types import Estimate, Load
from advisor.domain.workload import parse_spec_decode
from advisor.search.disagg import pools_label
from advisor.search.feasibility import layout_label
from advisor.search.ranking import Result
from advisor.search.request import QuoteRequest
from advisor.search.space import Candidate
from advisor.shorthands import format_duration


def accepted_tokens(request: QuoteRequest) -> float:
    """Tokens a decode step keeps on average: the acceptance length, 1 without spec decoding."""
    return parse_spec_decode(request.spec_decode)[2] if request.spec_decode else 1.0


def feature_lines(request: QuoteRequest, est: Estimate) -> list[str]:
    """The workload features that are on, each with its numbers (none: no lines)."""
    lines: list[str] = []
    if request.prefix_hit:
        isl, new = request.input_tokens, est.prefill_tokens
        lines.append(f"  prefix cache: {request.prefix_hit:.0%} of {isl:,} prompt tokens hit → prefill computes "
                     f"{new:,.0f} tokens (GEMM FLOPs × {new / isl:.2f}; attention pairs (S² − hit²)/2 = "
                     f"{1 - (isl - new) ** 2 / isl ** 2:.2f} of S²/2); KV memory holds all {isl:,}")
    if request.spec_decode:
        name, draft, accepted = parse_spec_decode(request.spec_decode)
        lines.append(f"  speculative decoding {name}: each step verifies 1 + {draft} tokens per sequence "
                     f"(GEMM rows and attention × {1 + draft}, weights and KV read once) and keeps {accepted:g}: "
                     f"TPOT = step ÷ {accepted:g} ({1 / accepted:.3f} steps per output token)")
    if est.ttft_p90_s is not None and request.input_tokens_p90 is not None:
        lines.append(f"  lengths: mean prompt {request.input_tokens:,}, p90 {request.input_tokens_p90:,} tokens; "
                     f"TTFT {format_duration(est.ttft_s)} (mean) and {format_duration(est.ttft_p90_s)} (p90, "
                     "checked against the target)")
    return ["", "Workload features", *lines] if lines else []


def pools_lines(candidate: Candidate | None, tenancy_factor: float = 1.0) -> list[str]:
    """Both pools and the KV transfer of a disaggregated deployment, with the TTFT sum."""
    if candidate is None:
        return []
    note = [f"  serving: {candidate.serving_note}"] if candidate.serving_note else []
    pools = candidate.pools
    if pools is None:
        return ["", "Serving (aggregated)", *note] if note else []
    p, pre, dec, link = pools.point, pools.prefill, pools.decode, pools.link
    est = candidate.estimate
    where = "in one node" if pools.same_node else "on separate nodes"
    return [
        "", f"Serving (disaggregated {pools_label(pools)}, {where})",
        f"  prefill pool: {pre.replicas} × {layout_label(pre)} = {pre.gpus} GPUs, "
        f"each busy {p.prefill_utilization:.0%}",
        f"  decode pool:  {dec.replicas} × {layout_label(dec)} = {dec.gpus} GPUs, "
        f"batch {p.decode_batch:.1f} per replica",
        f"  KV per prompt {pools.kv_bytes / 1e9:,.3f} GB over {link.kind} {link.bytes_per_s / 1e9:,.1f} GB/s "
        f"(+{link.latency_s * 1e6:.0f} µs) = {format_duration(p.transfer_s)}",
        f"  TTFT = prefill {format_duration(p.prefill_s)} + queue {format_duration(p.queue_s)} + KV transfer "
        f"{format_duration(p.transfer_s)} = {format_duration(p.ttft_s)}"
        + (f" ÷ tenancy {tenancy_factor:.3f} = {format_duration(est.ttft_s)}" if tenancy_factor != 1.0 else ""),
        f"  TPOT = decode step at batch {p.decode_batch:.1f} = {format_duration(est.tpot_s)} "
        "(no prefill in the decode pool)",
        f"  cost split: prefill pool {est.prefill_share:.0%} of the GPUs → input tokens",
        *note,
    ]


def serving_lines(request: QuoteRequest, result: Result) -> list[str]:
    """`feature_lines` and `pools_lines` for one result (the `--explain` sections)."""
    est = result.estimate
    if est is None:
        return []
    factor = result.hardware.tenancy_factor if result.hardware is not None else 1.0
    return feature_lines(request, est) + pools_lines(result.candidate, factor)


def serving_record(result: Result) -> dict[str, Any]:
    """JSON keys for a disaggregated row (`serving`) and the choice's reason; empty otherwise, so
    aggregated quotes keep their keys."""
    cand = result.candidate
    if cand is None or (cand.pools is None and not cand.serving_note):
        return {}
    record: dict[str, Any] = {"serving_note": cand.serving_note or None}
    pools = cand.pools
    if pools is None:
        record["serving"] = {"kind": "aggregated"}
        return record
    p = pools.point
    record["serving"] = {
        "kind": "disaggregated", "label": pools_label(pools), "same_node": pools.same_node,
        "prefill": {"replicas": pools.prefill.replicas, "tp": pools.prefill.tp, "pp": pools.prefill.pp,
                    "gpus": pools.prefill.gpus, "utilization": p.prefill_utilization},
        "decode": {"replicas": pools.decode.replicas, "tp": pools.decode.tp, "pp": pools.decode.pp,
                   "gpus": pools.decode.gpus, "batch": p.decode_batch},
        "kv_bytes_per_prompt": pools.kv_bytes, "link": pools.link.kind,
        "link_bytes_per_s": pools.link.bytes_per_s, "kv_transfer_s": p.transfer_s,
        "prefill_s": p.prefill_s, "queue_s": p.queue_s,
    }
    return record


def feature_record(request: QuoteRequest, est: Estimate | None) -> dict[str, Any]:
    """JSON keys of the workload features that are on (empty when none is)."""
    out: dict[str, Any] = {}
    if est is None:
        return out
    if request.prefix_hit:
        out["prefill_tokens"] = est.prefill_tokens
    if request.spec_decode:
        out["spec_decode"] = request.spec_decode
    if est.ttft_p90_s is not None:
        out["ttft_p90_s"] = est.ttft_p90_s
    return out



def load_feature_rows(load: Load, est: Estimate) -> list[tuple[str, str]]:
    """(term, value) rows of the features a `Load` has on (`advisor estimate`'s table)."""
    rows: list[tuple[str, str]] = []
    if load.prefix_hit:
        share = est.prefill_tokens / load.isl
        rows += [("prefix-cache hits", f"{load.prefix_hit:.0%} of {load.isl:,} prompt tokens"),
                 ("prompt tokens prefilled", f"{est.prefill_tokens:,.0f} (GEMM FLOPs × {share:.2f})")]
    if load.draft_tokens:
        rows += [("tokens verified per step", f"1 + {load.draft_tokens} drafted, per sequence"),
                 ("tokens kept per step",
                  f"{load.accepted_tokens:g} → {1 / load.accepted_tokens:.3f} steps per output token")]
    return rows


def load_feature_record(load: Load, est: Estimate) -> dict[str, Any]:
    """`features` for `advisor estimate --format json`, only when one is on."""
    if not load.prefix_hit and not load.draft_tokens:
        return {}
    return {"features": {"prefix_hit": load.prefix_hit, "prefill_tokens": est.prefill_tokens,
                         "draft_tokens": load.draft_tokens, "accepted_tokens": load.accepted_tokens,
                         "steps_per_output_token": 1 / load.accepted_tokens}}
