"""The quote as CSV: one line item per listed result, for a spreadsheet.

Each row is what one option would rent ("2 × bare-metal node 8×H200 SXM, NVSwitch, 730 h/month
at 31.92 USD/h"): quantity, unit price, hours, monthly amount and per-token costs in the
quote's currency (named in a `currency` column), the row's blended cost per million tokens next
to the cheapest hosted API's price for the same token mix and the row's break-even utilization
(empty without an API price), then the row's details (`views.data.flat_row`,
so `usd_*` columns stay USD). The first columns carry the quote number and dates so a pasted
row still says where it came from. Spreadsheet safety: a text cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return, even after leading spaces, gets a leading `'` so a
provider name such as `=HYPERLINK(...)` opens as text. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from typing import Any

from advisor.export.base import ExportOptions
from advisor.export.data import flat_row
from advisor.export.terminal import csv_cell, csv_text
from advisor.quote.build import Quote
from advisor.quote.parts import Pricing, line_item
from advisor.search.ranking import Result

EXTENSION = "csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ITEM_COLUMNS = ("quote_number", "issued", "valid_until", "rank", "item", "quantity", "unit",
                "unit_price_per_hour", "hours_per_month", "per_month", "per_million_output_tokens",
                "per_million_input_tokens", "per_million_tokens_blended", "api_per_million_tokens",
                "break_even_utilization", "currency")


def render(quote: Quote, options: ExportOptions | None = None) -> str:
    """Header and one row per listed result; every text cell neutralized."""
    rows = (options or ExportOptions()).rows_of(quote)
    records = [record(quote, r) for r in rows]
    header = list(records[0]) if records else _empty_header(quote)
    return csv_text(header, ([cell(rec.get(key)) for key in header] for rec in records))


def record(quote: Quote, result: Result) -> dict[str, Any]:
    """One result as a line item followed by its flat details."""
    pricing = Pricing(quote.currency, quote.usd_per_unit, quote.hours_per_month, quote.request.term)
    item = line_item(result, pricing) if result.cost is not None and result.candidate is not None else None
    cost = result.cost
    head: dict[str, Any] = {
        "quote_number": quote.number,
        "issued": quote.issued.isoformat() if quote.issued else None,
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "rank": result.rank,
        "item": item.text if item else None,
        "quantity": item.quantity if item else None,
        "unit": item.unit if item else None,
        "unit_price_per_hour": round(item.unit_price_per_hour.amount, 4) if item else None,
        "hours_per_month": item.hours_per_month if item else None,
        "per_month": round(item.per_month.amount, 2) if item else None,
        "per_million_output_tokens": _amount(quote, cost.usd_per_million_output_tokens if cost else None),
        "per_million_input_tokens": _amount(quote, cost.usd_per_million_input_tokens if cost else None),
        **_versus_api(quote, result),
        "currency": quote.currency,
    }
    details = flat_row(quote, result)
    details.update(_usd(result))
    return {**head, **{k: v for k, v in details.items() if k not in head}}


def _versus_api(quote: Quote, result: Result) -> dict[str, Any]:
    """This row's blended cost per million tokens at the utilization, the cheapest hosted API's
    price for the same token mix, and the utilization above which this row beats it."""
    cost, be = result.cost, quote.break_even_of(result)
    api = be.api_per_million_tokens if be is not None else None
    u = be.break_even_utilization if be is not None else None
    return {"per_million_tokens_blended": _amount(quote, cost.usd_per_million_tokens_blended if cost else None),
            "api_per_million_tokens": round(api.amount, 4) if api is not None else None,
            "break_even_utilization": round(u, 4) if u is not None else None}


def _amount(quote: Quote, usd: float | None) -> float | None:
    value = quote.in_currency(usd)
    return None if value is None else round(value, 4)


def _usd(result: Result) -> dict[str, Any]:
    """The USD amounts under the JSON document's public `usd_*` names (the same whatever the display currency)."""
    cost = result.cost
    keys = ("usd_per_hour", "usd_per_month", "usd_per_million_output_tokens", "usd_per_million_input_tokens")
    if cost is None:
        return dict.fromkeys(keys)
    return {"usd_per_hour": round(cost.usd_per_hour, 2), "usd_per_month": round(cost.usd_per_month, 2),
            "usd_per_million_output_tokens": round(cost.usd_per_million_output_tokens, 4),
            "usd_per_million_input_tokens": round(cost.usd_per_million_input_tokens, 4)}


def _empty_header(quote: Quote) -> list[str]:
    """The columns a document with no listed rows still has (same names, same order)."""
    if quote.results:
        return list(record(quote, quote.results[0]))
    cur = quote.currency.lower()
    details = ["offering", "provider", "sku", "gpu", "tenancy", "nodes", "gpus", "layout", "weights", "kv",
               "vram_used_gib_per_gpu", "vram_usable_gib_per_gpu", "link", "link_needed_gb_per_s",
               "link_available_gb_per_s", "output_tokens_per_s", "ttft_s", "tpot_s", f"{cur}_per_hour",
               f"{cur}_per_million_output_tokens", f"{cur}_per_million_input_tokens", f"{cur}_per_month",
               "error_band_pct", "error_band", "feasible", "reasons", "usd_per_hour", "usd_per_month",
               "usd_per_million_output_tokens", "usd_per_million_input_tokens"]
    return list(dict.fromkeys([*ITEM_COLUMNS, *details]))


def cell(value: object) -> object:
    """A spreadsheet-safe cell: numbers as they are, text that could start a formula quoted."""
    safe = csv_cell(value)
    if isinstance(safe, str) and not safe.startswith("'") and safe.lstrip(" ").startswith(_FORMULA_START):
        return "'" + safe
    return safe
