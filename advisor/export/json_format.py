"""The quote as JSON, schema "advisor.quote/1", and reading one back for `advisor quote --from`.

The document keeps every key of the first JSON output, which scripts already read (`request`,
`results[...]` with `offering`, `provider`, `layout`, `nodes`, `gpus`, `usd_per_hour`, `usd_per_million_output_tokens`,
`usd_per_million_input_tokens`, `usd_per_month`, `output_tokens_per_s`, `ttft_s`, `tpot_s`,
`memory`, `interconnect`, `feasible`, `reasons`; `assumptions`; `sources`) and adds `schema`,
`quote_number`, `issued`, `valid_until`, `recommendation` (line items, totals, VRAM,
interconnect, SLO check, error band), `alternatives` (each `delta` is a relative difference of
`delta_of`, the quantity the results are ranked by), `break_even` (the recommendation against the
cheapest hosted API for the model and token mix: prices, break-even utilization and monthly
tokens, null without a recommendation), `ranked_by` (`sort`, `basis`), `selection`
and `note`; each result, the
recommendation and each alternative carry `error_band_pct` (± %, null for a prior or no band)
and `error_band` (the band in words), and `warnings` says when the top two are within it. Amounts outside the `usd_*`
keys are `{"amount": …, "currency": …}`. Versioning: new keys may appear within version 1; a
key is removed or changes meaning only with "advisor.quote/2".
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.export.base import ExportOptions
from advisor.export.data import finite, quote_document
from advisor.export.terminal import json_safe, safe_text
from advisor.files import STDIN, loads_json, read_input
from advisor.quote.breakeven import BreakEven
from advisor.quote.build import Quote
from advisor.quote.parts import Alternative, LineItem, Money, Recommendation
from advisor.search.ranking import SORT_KEYS, Result
from advisor.search.request import QuoteRequest, validate_request

EXTENSION = "json"
SCHEMA = "advisor.quote/1"
SCHEMA_FAMILY = "advisor.quote/"
MAX_QUOTE_FILE_BYTES = 64 * 1024 * 1024


def render(quote: Quote, options: ExportOptions | None = None) -> str:
    """The quote as strict JSON (no NaN or Infinity) with invisible characters escaped."""
    text = json.dumps(document(quote, options or ExportOptions()), indent=2, ensure_ascii=False, allow_nan=False)
    return json_safe(text) + "\n"


def document(quote: Quote, options: ExportOptions) -> dict[str, Any]:
    """The JSON document as data."""
    rows = options.rows_of(quote)
    base = quote_document(quote, rows)
    head = {
        "schema": SCHEMA,
        "quote_number": quote.number,
        "issued": quote.issued.isoformat() if quote.issued else None,
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "validity_days": quote.validity_days,
        "prices_as_of": quote.prices_as_of.isoformat() if quote.prices_as_of else None,
        "expired": quote.expired,
        "ranked_by": {"sort": quote.request.sort, "basis": SORT_KEYS[quote.request.sort].basis},
        "note": quote.note,
    }
    tail = {
        "recommendation": _recommendation(quote, quote.recommendation),
        "alternatives": [_alternative(quote, a) for a in quote.alternatives],
        "break_even": break_even_json(quote.break_even, quote.recommendation),
        "selection": {"top": options.top if options.rows is None else None,
                      "include_infeasible": options.include_infeasible or any(not r.feasible for r in rows)},
    }
    return finite({**head, **base, **tail})


def break_even_json(be: BreakEven | None, rec: Recommendation | None) -> dict[str, Any] | None:
    """The recommendation against the cheapest hosted API (`advisor.quote.breakeven`); null
    without a recommendation, `api` null when the catalog has no API price for the model."""
    if be is None or rec is None:
        return None
    ref, price = be.reference, be.reference.price
    return {
        "model": ref.model, "input_tokens": ref.input_tokens, "output_tokens": ref.output_tokens,
        "cached_input_share": ref.cached_share, "api_prices_for_model": ref.considered,
        "api": None if price is None else {
            "id": price.id, "provider": price.provider, "api_model": price.api_model,
            "usd_per_million_input": price.usd_per_million_input,
            "usd_per_million_output": price.usd_per_million_output,
            "usd_per_million_cached_input": price.usd_per_million_cached_input,
            "as_of": price.as_of.isoformat(), "source": price.source, "confidence": price.confidence,
        },
        "api_usd_per_million_tokens": ref.usd_per_million_tokens if price is not None else None,
        "api_per_million_tokens": money(be.api_per_million_tokens),
        "offering": rec.offering, "usd_per_hour": be.usd_per_hour,
        "tokens_per_hour_full_load": be.tokens_per_hour_full_load, "utilization": be.utilization,
        "per_million_tokens": money(be.cluster_per_million_tokens),
        "per_million_tokens_full_load": money(be.cluster_per_million_tokens_full_load),
        "break_even_utilization": be.break_even_utilization,
        "break_even_tokens_per_month": be.break_even_tokens_per_month,
        "cheaper_than_api": be.cheaper_than_api,
        "text": be.text,
    }


def money(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value.amount, "currency": value.currency}


def _line_item(item: LineItem) -> dict[str, Any]:
    return {
        "offering": item.offering, "quantity": item.quantity, "unit": item.unit,
        "description": item.description, "text": item.text, "hours_per_month": item.hours_per_month,
        "unit_price_per_hour": money(item.unit_price_per_hour), "per_month": money(item.per_month),
        "list_price_per_hour": money(item.list_price_per_hour),
    }


def _band(quote: Quote, result: Result) -> dict[str, Any]:
    return {"error_band_pct": quote.band_pct(result), "error_band": quote.band_text(result)}


def _recommendation(quote: Quote, rec: Recommendation | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    t = rec.totals
    return {
        "offering": rec.offering,
        "rank": rec.result.rank,
        "line_items": [_line_item(i) for i in rec.line_items],
        "totals": {
            "per_hour": money(t.per_hour), "per_month": money(t.per_month),
            "per_million_output_tokens": money(t.per_million_output_tokens),
            "per_million_input_tokens": money(t.per_million_input_tokens),
            "per_million_output_tokens_decode": money(t.per_million_output_tokens_decode),
            "per_million_tokens_blended": money(t.per_million_tokens_blended),
            "utilization": t.utilization,
            "output_tokens_per_month": t.output_tokens_per_month,
            "input_tokens_per_month": t.input_tokens_per_month,
        },
        "layout": rec.layout, "weights": rec.weights, "kv_dtype": rec.kv_dtype, "compute_dtype": rec.compute_dtype,
        "load": rec.load,
        "vram": _vram(rec),
        "interconnect": _interconnect(rec),
        "slo": [{"metric": c.metric, "target_s": c.target_s, "predicted_s": c.predicted_s, "met": c.met,
                 "headroom": c.headroom} for c in rec.slo],
        **_band(quote, rec.result),
    }


def _vram(rec: Recommendation) -> dict[str, Any]:
    v = rec.vram
    return {
        "memory_bytes_per_gpu": v.memory_bytes_per_gpu, "usable_bytes_per_gpu": v.usable_bytes_per_gpu,
        "engine_memory_fraction": v.engine_memory_fraction, "weights_bytes_per_gpu": v.weights_bytes_per_gpu,
        "workspace_bytes_per_gpu": v.workspace_bytes_per_gpu, "kv_bytes_per_gpu": v.kv_bytes_per_gpu,
        "used_bytes_per_gpu": v.used_bytes_per_gpu, "sequences_per_replica": v.sequences_per_replica,
        "kv_capacity_tokens": v.kv_capacity_tokens, "fits": v.fits,
    }


def _interconnect(rec: Recommendation) -> dict[str, Any]:
    ic = rec.interconnect
    return {
        "link_kind": ic.link_kind, "tp": ic.tp, "pp": ic.pp, "nodes": ic.nodes,
        "allreduce_bytes_per_step": ic.allreduce_bytes_per_step, "comm_time_per_step_s": ic.comm_time_per_step_s,
        "comm_share": ic.comm_share, "target_share": ic.target_share, "within_target": ic.within_target,
        "required_bytes_per_s": ic.required_bytes_per_s, "available_bytes_per_s": ic.available_bytes_per_s,
        "intra_fabric": ic.intra_fabric, "inter_fabric": ic.inter_fabric, "inter_bytes_per_s": ic.inter_bytes_per_s,
        "spans_nodes": ic.spans_nodes,
    }


def _alternative(quote: Quote, alt: Alternative) -> dict[str, Any]:
    return {
        "rank": alt.result.rank, "offering": alt.result.offering.id, "provider": alt.result.offering.provider,
        "line_item": _line_item(alt.line_item), "layout": alt.layout, "precision": alt.precision,
        "per_month": money(alt.per_month), "per_million_output_tokens": money(alt.per_million_output_tokens),
        "delta": alt.delta, "delta_of": SORT_KEYS[alt.basis].quantity, "tie": alt.tie, **_band(quote, alt.result),
    }


# -- reading a quote back ------------------------------------------------------------------

class QuoteFile(NamedTuple):
    """What `--from FILE` takes from a JSON quote: the request, its number and the row selection."""

    path: str
    request: QuoteRequest
    quote_number: str
    tool_version: str
    top: int | None
    include_infeasible: bool
    sources: tuple[tuple[str, str], ...]  # (path, sha256) of the files it was built from


def read_quote_file(path: str, stdin_text: str | None = None) -> QuoteFile:
    """Parse and validate a JSON quote ('-' reads stdin, or `stdin_text` when given); every
    problem exits 2 in one line."""
    text = stdin_text if path == STDIN and stdin_text is not None else _read_text(path)
    try:
        data = loads_json(text, "stdin" if path == STDIN else path, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise AdvisorError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}", exit_code=EXIT_BAD_INPUT) from None
    if not isinstance(data, dict) or not isinstance(data.get("request"), dict):
        raise AdvisorError(f"{path}: not an advisor quote (no \"request\" object)", exit_code=EXIT_BAD_INPUT)
    _check_schema(path, data.get("schema"))
    try:
        request = validate_request(data["request"])
    except AdvisorError as err:
        raise AdvisorError(f"{path}: {err.message}", exit_code=EXIT_BAD_INPUT) from None
    selection: dict[str, Any] = data["selection"] if isinstance(data.get("selection"), dict) else {}
    top = selection.get("top")
    return QuoteFile(
        path=path, request=request,
        quote_number=str(data.get("quote_number") or ""),
        tool_version=str(data.get("tool_version") or ""),
        top=top if isinstance(top, int) and not isinstance(top, bool) and top >= 1 else None,
        include_infeasible=selection.get("include_infeasible") is True,
        sources=_sources(data.get("sources")),
    )


def _read_text(path: str) -> str:
    raw = read_input(path, max_bytes=MAX_QUOTE_FILE_BYTES, what="a JSON quote")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdvisorError(f"{path}: not UTF-8 text (byte {exc.start})", exit_code=EXIT_BAD_INPUT) from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def _check_schema(path: str, schema: object) -> None:
    """Version 1 and documents from before the schema key (the first JSON output, still on disk) are read."""
    if schema is None or schema == SCHEMA:
        return
    if isinstance(schema, str) and schema.startswith(SCHEMA_FAMILY):
        raise AdvisorError(f"{path}: schema {safe_text(schema)!r} is not one this advisor reads ({SCHEMA}); "
                           "upgrade advisor", exit_code=EXIT_BAD_INPUT)
    raise AdvisorError(f"{path}: schema {safe_text(str(schema))[:60]!r} is not an advisor quote ({SCHEMA})",
                       exit_code=EXIT_BAD_INPUT)


def _sources(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple((str(s.get("path", "")), str(s.get("sha256", ""))) for s in value if isinstance(s, dict))
