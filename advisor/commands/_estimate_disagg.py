"""`advisor estimate --serving disagg --prefill-tp T [--prefill-replicas X]`: the case's layout
becomes the decode pool, a pool of X prefill replicas of TP T is added, and the core's
`disagg_estimate` answers for both. The pools share one node when they fit in it (the KV
crosses NVLink), else each has nodes of its own joined by the default fabric. Must not import
textual or httpx.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from advisor.core.deployment import Deployment
from advisor.core.disagg import DisaggEstimate, disagg_estimate, kv_link
from advisor.core.fabric import fabric_for_gpu
from advisor.core.layouts import layout_reason
from advisor.core.types import Layout
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.search.features import parse_serving


def wants_pools(fields: dict[str, Any]) -> bool:
    """Whether the case asks for disaggregated pools (`serving` = disagg)."""
    serving = fields.get("serving")
    if serving in (None, ""):
        if fields.get("prefill_tp") not in (None, "") or fields.get("prefill_replicas") not in (None, ""):
            raise AdvisorError("--prefill-tp and --prefill-replicas go with --serving disagg", exit_code=EXIT_BAD_INPUT)
        return False
    kind = parse_serving(str(serving))
    if kind == "auto":
        raise AdvisorError("--serving auto compares offerings in `advisor quote`; estimate takes agg or disagg",
                           exit_code=EXIT_BAD_INPUT)
    return kind == "disagg"


def _count(value: Any, flag: str, default: int) -> int:
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 4096:
        raise AdvisorError(f"{flag} {text[:20]!r}: give a whole number from 1 to 4096", exit_code=EXIT_BAD_INPUT)
    return int(text)


def pools(decode: Deployment, fields: dict[str, Any], *, memory_fraction: float,
          comm_share_target: float) -> DisaggEstimate:
    """Both pools for a case whose deployment is the decode pool."""
    prefill_layout = Layout(tp=_count(fields.get("prefill_tp"), "--prefill-tp", decode.layout.tp),
                            replicas=_count(fields.get("prefill_replicas"), "--prefill-replicas", 1))
    acc = decode.accelerator
    total = prefill_layout.gpus + decode.layout.gpus
    fabric = fabric_for_gpu(acc, total)
    same_node = total <= fabric.gpus_per_node
    reason = layout_reason(decode.model, prefill_layout, fabric)
    if reason:
        raise AdvisorError(f"--prefill-tp: {reason}", exit_code=EXIT_BAD_INPUT)
    link = kv_link(fabric, prefill_layout.gpus_per_replica, same_node=same_node)
    if link is None:
        raise AdvisorError(f"{acc.id}: {total} GPUs do not fit one node and its servers have no inter-node "
                           "fabric for the KV transfer", exit_code=EXIT_BAD_INPUT)
    prefill = dataclasses.replace(decode, layout=prefill_layout, fabric=fabric_for_gpu(acc, prefill_layout.gpus))
    return disagg_estimate(prefill, decode, link, memory_fraction=memory_fraction,
                           comm_share_target=comm_share_target)


def pool_rows(result: DisaggEstimate) -> list[tuple[str, str]]:
    """(term, value) rows for the table."""
    import math

    from advisor.shorthands import format_duration

    def duration(seconds: float) -> str:
        return format_duration(seconds) if math.isfinite(seconds) else "unbounded"

    p, link = result.point, result.link
    return [
        ("prefill pool", f"{result.prefill_gpus} GPUs, each replica busy {p.prefill_utilization:.0%}"),
        ("decode pool", f"{result.decode_gpus} GPUs, batch {p.decode_batch:.1f} per replica"),
        ("KV per prompt", f"{result.kv_bytes / 1e9:,.3f} GB"),
        ("link between the pools", f"{link.kind}, {link.bytes_per_s / 1e9:,.1f} GB/s (+{link.latency_s * 1e6:.0f} µs)"),
        ("KV transfer", format_duration(p.transfer_s)),
        ("TTFT = prefill + queue + transfer",
         f"{duration(p.prefill_s)} + {duration(p.queue_s)} + {duration(p.transfer_s)} = {duration(p.ttft_s)}"),
    ]


def pool_record(result: DisaggEstimate) -> dict[str, Any]:
    """`serving` for the JSON record."""
    p = result.point
    return {"serving": {"kind": "disaggregated", "prefill_gpus": result.prefill_gpus,
                        "decode_gpus": result.decode_gpus, "prefill_utilization": p.prefill_utilization,
                        "decode_batch": p.decode_batch, "kv_bytes_per_prompt": result.kv_bytes,
                        "link": result.link.kind, "link_bytes_per_s": result.link.bytes_per_s,
                        "kv_transfer_s": p.transfer_s, "prefill_s": p.prefill_s,
                        "queue_s": p.queue_s if p.queue_s != float("inf") else None}}
