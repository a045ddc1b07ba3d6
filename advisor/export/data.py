"""A `Quote` as plain data: the JSON document and flat rows for CSV, Markdown and the table.

JSON keys are a public API (scripts read them; renaming one breaks them): `request`,
`results` (each with `offering`, `provider`, `layout`, `nodes`, `gpus`, `usd_per_hour`, `usd_per_million_output_tokens`,
`usd_per_million_input_tokens`, `usd_per_month`, `output_tokens_per_s`, `ttft_s`, `tpot_s`,
`memory`, `interconnect`, `error_band_pct`, `error_band`, `feasible`, `reasons`), `assumptions`,
`sources`, `warnings` (with a line naming the ranked offerings priced longer ago than the quote
validity, and one when the top two are within each other's error band). Amounts
named `usd_*` are always USD; `price` repeats them in the request's currency.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.domain.common import to_json
from advisor.export.collectives import collective_record
from advisor.export.serving_terms import feature_record, serving_record
from advisor.quote.build import Quote
from advisor.search.feasibility import layout_label
from advisor.search.features import FEATURE_DEFAULTS
from advisor.search.ranking import Result
from advisor.search.request import QuoteRequest

GIB = 1024.0**3


def selected(quote: Quote, *, top: int | None, include_infeasible: bool) -> list[Result]:
    """The rows to show: the first `top` feasible results, then (if asked) every infeasible one."""
    rows = list(quote.feasible[:top] if top is not None else quote.feasible)
    if include_infeasible:
        rows += list(quote.infeasible)
    return rows


def quote_document(quote: Quote, rows: list[Result]) -> dict[str, Any]:
    """The whole quote as JSON-ready data (strict JSON: no NaN or Infinity, they become null)."""
    return finite({
        "tool_version": quote.tool_version,
        "request": request_json(quote.request),
        "model": {"id": quote.model.id, "name": quote.model.name,
                  "total_params": quote.model.total_params, "source": quote.model.source},
        "currency": quote.currency,
        "usd_per_unit": quote.usd_per_unit,
        "summary": {"feasible": len(quote.feasible), "infeasible": len(quote.infeasible),
                    "excluded": len(quote.excluded)},
        "results": [result_record(quote, r) for r in rows],
        "excluded": [{"offering": o, "reason": why} for o, why in quote.excluded],
        "assumptions": [{"name": a.name, "value": a.value, "source": a.source} for a in quote.assumptions],
        "sources": [{"path": s.path, "layer": s.layer, "sha256": s.sha256, "as_of": s.as_of, "role": s.role}
                    for s in quote.sources],
        "warnings": list(quote.diagnostics),
    })


def request_json(request: QuoteRequest) -> dict[str, Any]:
    """The request's fields; the workload features only when on, so older quotes read the same."""
    return {key: value for key, value in to_json(request).items()
            if key not in FEATURE_DEFAULTS or value != FEATURE_DEFAULTS[key]}


def finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def result_record(quote: Quote, result: Result) -> dict[str, Any]:
    """One result as nested JSON-ready data (None where the offering never got that far)."""
    o, acc, cand, cost, est = result.offering, result.accelerator, result.candidate, result.cost, result.estimate
    layout = cand.layout if cand else (result.failure.layout if result.failure else None)
    precision = cand.precision if cand else (result.failure.precision if result.failure else None)
    per_node = o.gpus_per_node
    return {
        "rank": result.rank,
        "offering": o.id,
        "provider": o.provider,
        "sku": o.sku,
        "accelerator": o.accelerator,
        "gpu": acc.name if acc else o.accelerator,
        "tenancy": o.tenancy,
        "regions": list(o.regions),
        "nodes": cand.nodes if cand else None,
        "gpus_per_node": per_node,
        "gpus": cand.nodes * per_node if cand else None,
        "gpus_used": cand.layout.gpus if cand else None,
        "layout": _layout(layout),
        "precision": _precision(precision, est),
        "usd_per_node_hour": cost.usd_per_hour / cand.nodes if cost and cand else None,
        "usd_per_hour": cost.usd_per_hour if cost else None,
        "usd_per_million_output_tokens": cost.usd_per_million_output_tokens if cost else None,
        "usd_per_million_input_tokens": cost.usd_per_million_input_tokens if cost else None,
        "usd_per_million_output_tokens_decode": cost.usd_per_million_output_tokens_decode if cost else None,
        "usd_per_million_tokens_blended": cost.usd_per_million_tokens_blended if cost else None,
        "usd_per_month": cost.usd_per_month if cost else None,
        "price": _price(quote, result),
        "prefill_share": cost.prefill_share if cost else None,
        "output_tokens_per_s": est.output_tokens_per_s if cand and est else None,
        "input_tokens_per_s": (est.total_tokens_per_s - est.output_tokens_per_s) if cand and est else None,
        "concurrency": cand.load.concurrency if cand else None,
        "request_rate": cand.load.rate if cand else None,
        "per_replica_limit": ({"kind": cand.per_replica_limit_kind, "value": cand.per_replica_limit}
                              if cand else None),
        "ttft_s": est.ttft_s if est else None,
        "tpot_s": est.tpot_s if est else None,
        "bound": est.bound if est else None,
        "memory": _memory(result),
        "interconnect": _interconnect(result),
        "efficiency": result.hardware.efficiency.id if result.hardware else None,
        "error_band_pct": quote.band_pct(result),
        "error_band": quote.band_text(result),
        "tenancy_factor": result.hardware.tenancy_factor if result.hardware else None,
        "feasible": result.feasible,
        "reasons": list(result.reasons),
        "source": o.source,
        "as_of": o.as_of.isoformat(),
        **serving_record(result),
        **feature_record(quote.request, est if cand else None),
    }


def _layout(layout: Any) -> dict[str, Any] | None:
    if layout is None:
        return None
    return {"tp": layout.tp, "pp": layout.pp, "ep": layout.ep, "replicas": layout.replicas,
            "label": layout_label(layout)}


def _precision(precision: Any, est: Any) -> dict[str, Any] | None:
    if precision is None:
        return None
    compute = getattr(est, "compute_dtype", "") if est is not None else ""
    return {"weights": precision.weights, "kv": precision.kv, "compute": compute or None}


def _price(quote: Quote, result: Result) -> dict[str, Any] | None:
    cost = result.cost
    if cost is None:
        return None
    return {
        "currency": quote.currency,
        "term": quote.request.term,
        "per_hour": quote.in_currency(cost.usd_per_hour),
        "per_month": quote.in_currency(cost.usd_per_month),
        "per_million_output_tokens": quote.in_currency(cost.usd_per_million_output_tokens),
        "per_million_input_tokens": quote.in_currency(cost.usd_per_million_input_tokens),
        "per_million_tokens_blended": quote.in_currency(cost.usd_per_million_tokens_blended),
    }


def memory_used_bytes_per_gpu(result: Result) -> float | None:
    """Weights + workspace + KV for the load, on the most loaded GPU."""
    est = result.estimate
    if est is None:
        return None
    m = est.memory
    return m.weights_bytes_per_gpu + m.workspace_bytes_per_gpu + m.kv_needed_bytes_per_gpu


def _memory(result: Result) -> dict[str, Any] | None:
    est = result.estimate
    if est is None:
        return None
    m = est.memory
    return {
        "fits": m.fits,
        "memory_bytes_per_gpu": result.accelerator.memory_bytes if result.accelerator else None,
        "usable_bytes_per_gpu": m.usable_bytes_per_gpu,
        "used_bytes_per_gpu": memory_used_bytes_per_gpu(result),
        "weights_bytes_per_gpu": m.weights_bytes_per_gpu,
        "workspace_bytes_per_gpu": m.workspace_bytes_per_gpu,
        "kv_needed_bytes_per_gpu": m.kv_needed_bytes_per_gpu,
        "kv_bytes_per_token": m.kv_bytes_per_token,
        "kv_capacity_tokens": m.kv_capacity_tokens,
        "max_sequences_per_replica": m.max_sequences,
    }


def _interconnect(result: Result) -> dict[str, Any] | None:
    est = result.estimate
    hw = result.hardware
    if est is None or hw is None:
        return None
    ic, fabric = est.interconnect, hw.fabric
    return {
        "link_kind": ic.link_kind,
        "intra_fabric": fabric.intra_kind,
        "intra_bytes_per_s": fabric.intra_bytes_per_s,
        "fast_group_gpus": fabric.fast_group_gpus,
        "inter_fabric": fabric.inter_kind,
        "inter_bytes_per_s": fabric.inter_bytes_per_s,
        "required_bytes_per_s": ic.required_bytes_per_s,
        "available_bytes_per_s": ic.available_bytes_per_s,
        "allreduce_bytes_per_step": ic.allreduce_bytes_per_step,
        "comm_time_per_step_s": ic.comm_time_per_step_s,
        "comm_share": ic.comm_share,
        "target_share": ic.target_share,
        "collectives": collective_record(ic),
    }


def flat_row(quote: Quote, result: Result) -> dict[str, Any]:
    """One result as a flat row of plain values (CSV, Markdown)."""
    rec = result_record(quote, result)
    mem, ic, lay, prec = rec["memory"] or {}, rec["interconnect"] or {}, rec["layout"] or {}, rec["precision"] or {}
    price = rec["price"] or {}
    cur = quote.currency
    return {
        "rank": rec["rank"],
        "offering": rec["offering"],
        "provider": rec["provider"],
        "sku": rec["sku"],
        "gpu": rec["gpu"],
        "tenancy": rec["tenancy"],
        "nodes": rec["nodes"],
        "gpus": rec["gpus"],
        "layout": (f"{lay['replicas']}x {lay['label']}" if lay else None),
        "weights": prec.get("weights"),
        "kv": prec.get("kv"),
        "vram_used_gib_per_gpu": _round(_div(mem.get("used_bytes_per_gpu"), GIB), 1),
        "vram_usable_gib_per_gpu": _round(_div(mem.get("usable_bytes_per_gpu"), GIB), 1),
        "link": ic.get("link_kind"),
        "link_needed_gb_per_s": _round(_div(ic.get("required_bytes_per_s"), 1e9), 1),
        "link_available_gb_per_s": _round(_div(ic.get("available_bytes_per_s"), 1e9), 1),
        "collectives_share_pct": _round(_mul((ic.get("collectives") or {}).get("collective_share"), 100.0), 1),
        "alltoall_link": (ic.get("collectives") or {}).get("alltoall_link_kind"),
        "output_tokens_per_s": _round(rec["output_tokens_per_s"], 1),
        "ttft_s": _round(rec["ttft_s"], 4),
        "tpot_s": _round(rec["tpot_s"], 5),
        f"{cur.lower()}_per_hour": _round(price.get("per_hour"), 2),
        f"{cur.lower()}_per_million_output_tokens": _round(price.get("per_million_output_tokens"), 4),
        f"{cur.lower()}_per_million_input_tokens": _round(price.get("per_million_input_tokens"), 4),
        f"{cur.lower()}_per_month": _round(price.get("per_month"), 2),
        "error_band_pct": rec["error_band_pct"],
        "error_band": rec["error_band"],
        "feasible": rec["feasible"],
        "reasons": "; ".join(rec["reasons"]),
    }


def _mul(value: float | None, by: float) -> float | None:
    return None if value is None else value * by


def _div(value: float | None, by: float) -> float | None:
    return None if value is None else value / by


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
