"""The ranked quote as a Rich table (terminal) and as text cells shared with Markdown.

The "±" column is each row's error band (its efficiency entry's cross-validated band for a
dense or MoE model): "±18 %", "prior" for an unfitted entry, "—" when there is none; after the
table one line says when the top two are within each other's band. Every cell that comes from
a file passes through `safe_text` and reaches Rich as `Text`, so markup or escape sequences in
a provider name print as plain characters. Rich is imported
inside `print_quote_table` only. Must not import textual, httpx or pint.
"""

from __future__ import annotations

import io
import math
from typing import TextIO

from advisor.export.data import memory_used_bytes_per_gpu
from advisor.export.terminal import Column, safe_text
from advisor.quote.build import Quote
from advisor.search.disagg import layout_text
from advisor.search.feasibility import layout_label
from advisor.search.features import features_label
from advisor.search.ranking import SORT_KEYS, Result
from advisor.search.request import model_params_text
from advisor.shorthands import format_duration, format_tokens

GIB = 1024.0**3
BAND = "±"  # header of the error-band column
PRICE_MARK = "⚠ "  # before the provider of an offering whose price drew a warning


def headers(quote: Quote, *, reasons: bool) -> list[str]:
    cur = quote.currency
    cols = ["#", "Provider", "SKU", "Nodes × GPUs", "Tenancy", "Layout", "Precision",
            "VRAM used/usable per GPU", "TP link need/have", "Out tok/s", "TTFT", "TPOT",
            f"{cur}/Mtok out", BAND, f"{cur}/month"]
    return cols + (["Why not"] if reasons else [])


def cells(quote: Quote, result: Result, *, reasons: bool) -> list[str]:
    """The text of one table row."""
    o, cand, est, cost = result.offering, result.candidate, result.estimate, result.cost
    gpu = result.accelerator.name if result.accelerator else o.accelerator
    nodes = f"{cand.nodes} × {o.gpus_per_node} {gpu}" if cand else f"– × {o.gpus_per_node} {gpu}"
    layout = cand.layout if cand else (result.failure.layout if result.failure else None)
    precision = cand.precision if cand else (result.failure.precision if result.failure else None)
    row = [
        str(result.rank) if result.rank else "✗",
        (PRICE_MARK if o.id in quote.flagged else "") + o.provider,
        o.sku,
        nodes,
        o.tenancy,
        layout_text(cand) if cand else (f"{layout.replicas}× {layout_label(layout)}" if layout else "—"),
        (f"{precision.weights} · KV {precision.kv}" if precision else "—"),
        _vram(result),
        _link(result),
        f"{est.output_tokens_per_s:,.0f}" if est and cand else "—",
        format_duration(est.ttft_s) if est else "—",
        format_duration(est.tpot_s) if est else "—",
        _money(quote.in_currency(cost.usd_per_million_output_tokens) if cost else None, 3),
        band_cell(quote, result),
        _money(quote.in_currency(cost.usd_per_month) if cost else None, 0),
    ]
    if reasons:
        row.append("; ".join(result.reasons))
    return [safe_text(cell) for cell in row]


def band_cell(quote: Quote, result: Result) -> str:
    """'±18 %'; 'prior' for an entry not fitted; '—' for a fitted entry without a band for this
    kind of model, or a row with no estimate to put a band on."""
    if result.estimate is None:
        return "—"
    band = quote.band_pct(result)
    if band is not None:
        return f"±{band:.0f} %"
    hw = result.hardware
    return "prior" if hw is not None and hw.efficiency.rows == 0 else "—"


def _money(amount: float | None, digits: int) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.{digits}f}" if amount >= 0.01 or digits == 0 else f"{amount:.2g}"


def _vram(result: Result) -> str:
    est = result.estimate
    used = memory_used_bytes_per_gpu(result)
    if est is None or used is None:
        return "—"
    mark = "" if est.memory.fits else " ✗"
    return f"{used / GIB:,.0f}/{est.memory.usable_bytes_per_gpu / GIB:,.0f} GiB{mark}"


def _link(result: Result) -> str:
    est = result.estimate
    if est is None:
        return "—"
    ic = est.interconnect
    if ic.available_bytes_per_s <= 0 or ic.link_kind in ("", "none"):
        return "none needed"
    return f"{ic.link_kind} {_gbps(ic.required_bytes_per_s)}/{_gbps(ic.available_bytes_per_s)} GB/s"


def _gbps(bytes_per_s: float) -> str:
    """GB/s; ∞ when no bandwidth would do (the all-reduce is latency-bound)."""
    return f"{bytes_per_s / 1e9:,.0f}" if math.isfinite(bytes_per_s) else "∞"


def title(quote: Quote) -> str:
    r = quote.request
    targets = []
    if r.ttft_s is not None:
        targets.append(f"TTFT ≤ {format_duration(r.ttft_s)}")
    if r.tpot_s is not None:
        targets.append(f"TPOT ≤ {format_duration(r.tpot_s)}")
    return (
        f"{quote.model.name} ({model_params_text(quote.model)}) · ctx {format_tokens(r.max_context)} · "
        f"{r.input_tokens} in / {r.output_tokens} out{features_label(r)} · {r.load_label} · "
        f"{', '.join(targets) or 'no targets'} · "
        f"{r.utilization:.0%} utilization · {r.term}"
    )


def terminal_columns(quote: Quote, *, reasons: bool) -> list[Column]:
    """The terminal table's columns. As the width shrinks, the lowest priorities go first: the
    rank and offering id stay (--explain takes the id), then the cost, TPOT, the GPUs and
    TTFT, the layout, the error band."""
    cur = quote.currency
    columns = [
        Column("#", "rank", "right", priority=0, name="rank"),
        Column("Offering", "offering", priority=0, name="offering"),
        Column("Provider", "provider", kind="text", priority=9, name="provider"),
        Column("SKU", "sku", kind="text", priority=11, name="sku"),
        Column("GPUs", "gpus", priority=3, name="gpus"),
        Column("Tenancy", "tenancy", priority=12, name="tenancy"),
        Column("Layout", "layout", priority=4, name="layout"),
        Column("Precision", "precision", priority=7, name="precision"),
        Column("VRAM/GPU", "vram", "right", priority=8, name="vram"),
        Column("TP link need/have", "link", priority=10, name="link"),
        Column("Out tok/s", "tps", "right", priority=6, name="tps"),
        Column("TTFT", "ttft", "right", priority=3, name="ttft"),
        Column("TPOT", "tpot", "right", priority=2, name="tpot"),
        Column(f"{cur}/Mtok", "mtok", "right", priority=1, name="mtok"),
        Column(BAND, "band", "right", priority=5, name="band"),
        Column(f"{cur}/month", "month", "right", priority=2, name="month"),
    ]
    if reasons:  # what --all is asked for: it comes right after the cost
        columns.append(Column("Why not", "why", kind="wrap", priority=1, name="why"))
    return columns


# The cells of `cells` each terminal column shows, by header (the money headers end so).
_FROM = {"provider": "Provider", "sku": "SKU", "tenancy": "Tenancy", "layout": "Layout",
         "precision": "Precision", "vram": "VRAM used/usable per GPU", "link": "TP link need/have",
         "tps": "Out tok/s", "ttft": "TTFT", "tpot": "TPOT", "mtok": "/Mtok out", "band": BAND,
         "month": "/month", "why": "Why not"}


def terminal_record(quote: Quote, result: Result) -> dict[str, str]:
    """One row of the terminal table by column name: the shared cells, the offering id (with
    the price-warning mark) and the GPUs as nodes×GPUs and the accelerator id."""
    texts = cells(quote, result, reasons=True)
    by_header = dict(zip(headers(quote, reasons=True), texts, strict=True))
    record = {key: next(v for h, v in by_header.items() if h.endswith(header))
              for key, header in _FROM.items()}
    o, cand = result.offering, result.candidate
    record["provider"] = record["provider"].removeprefix(PRICE_MARK)
    record["rank"] = texts[0]
    record["offering"] = (PRICE_MARK if o.id in quote.flagged else "") + safe_text(o.id)
    nodes = str(cand.nodes) if cand else "–"
    record["gpus"] = f"{nodes}×{o.gpus_per_node} {safe_text(o.accelerator)}"
    return record


def print_quote_table(quote: Quote, rows: list[Result], out: TextIO, *, reasons: bool,
                      width: int | None = None, columns: str | None = None) -> None:
    """Print the table of `rows` to `out`: the columns that fit `width` (see
    `advisor.export.terminal.table_width`), or those the `--columns` list names."""
    from rich.console import Console
    from rich.text import Text

    from advisor.export.terminal import pick_columns, print_table, table_width

    available = terminal_columns(quote, reasons=reasons)
    hidden = print_table([terminal_record(quote, r) for r in rows], available, title=title(quote),
                         out=out, width=width, chosen=pick_columns(available, columns),
                         styles=[None if r.feasible else "dim" for r in rows], say_hidden=False)
    notes = io.StringIO()  # wrapped at the width between words, without trailing blanks
    console = Console(file=notes, highlight=False, soft_wrap=False, width=table_width(width))
    close = close_call_line(quote) if quote.close_call is not None else ""
    stale = stale_line(quote) if quote.stale is not None else ""
    api = quote.break_even.short if quote.break_even is not None else ""
    for line in (close, ranking_line(quote), api, _footer(quote, rows), stale, hidden):
        if line:
            console.print(Text(safe_text(line)))
    out.write("".join(part.rstrip() + "\n" for part in notes.getvalue().splitlines()))


def _footer(quote: Quote, rows: list[Result]) -> str:
    shown = sum(1 for r in rows if r.feasible)
    parts = [f"{shown} of {len(quote.feasible)} feasible shown"]
    if quote.infeasible:
        parts.append(f"{len(quote.infeasible)} infeasible (--all lists them with reasons)")
    if quote.excluded:
        parts.append(f"{len(quote.excluded)} filtered out")
    parts.append("--explain OFFERING shows the derivation")
    if quote.flagged:
        parts.append(price_warning_note(quote.flagged))
    return "; ".join(parts)


def close_call_line(quote: Quote) -> str:
    """'Note: rank 1 (…) and rank 2 (…) are 3.2 % apart …', or '' when the ranking is clear."""
    return f"Note: {quote.close_call.text}." if quote.close_call is not None else ""


def ranking_line(quote: Quote) -> str:
    """'Ranked by cost per million output tokens (…); --sort month|tpot|ttft ranks otherwise'."""
    sort = quote.request.sort
    others = "|".join(name for name in SORT_KEYS if name != sort)
    return f"Ranked by {SORT_KEYS[sort].basis}; --sort {others} ranks otherwise"


def stale_line(quote: Quote) -> str:
    """'Warning: 35 of 35 prices older than 30 days (oldest 2025-05-29): …', or '' when none is."""
    stale = quote.stale
    if stale is None:
        return ""
    return (f"Warning: {stale.short}: {safe_text(stale.named)}; confirm prices with the providers, "
            "or leave old ones out with --max-price-age 90d")


def price_warning_note(flagged: tuple[str, ...]) -> str:
    """'1 price warning: acme/h100 (see the warnings)': offerings whose price looks wrong."""
    many = "s" if len(flagged) > 1 else ""
    return f"{len(flagged)} price warning{many}: {', '.join(flagged)} (see the warnings)"
