"""A `Quote` laid out as a document of plain-text sections, shared by Markdown and HTML.

Both formats show the same facts in the same order: header facts (number, dates, model,
workload, currency, tool), the recommended deployment with its line items, totals and error
band (and a line when the top two are within each other's band), the comparison with the cheapest
hosted API (break-even utilization), the SLO check, the VRAM
breakdown, the interconnect analysis, the next best alternatives, the ranked results (the
terminal table's cells), assumptions, warnings, sources and the estimate note.
Every string from a file passes through `safe_text` here; each format then escapes for its own
syntax. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from advisor.export.base import ExportOptions
from advisor.export.serving_terms import serving_lines
from advisor.export.table import BAND, band_cell, cells, headers, title
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote, nothing_feasible_message
from advisor.quote.parts import FABRIC_NAMES, Alternative, InterconnectAnalysis, Money, Recommendation
from advisor.search.features import features_label
from advisor.search.ranking import SORT_KEYS
from advisor.shorthands import format_duration, format_tokens

GIB = 1024.0**3
RIGHT_HEADERS = {"#", "Qty", "Hours/month", "Unit price", "Per month", "GiB per GPU", "Share of usable",
                 "Target", "Predicted", "Headroom", "Out tok/s", "TTFT", "TPOT", "Per Mtok out",
                 BAND}


class Table(NamedTuple):
    """Header and rows of plain text; `row_kinds` tags rows ('total', 'muted', 'bad', '')."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_kinds: tuple[str, ...] = ()  # 'total' | 'muted' (infeasible) | 'ok' / 'bad' (a check) | ''
    compact: bool = False  # a narrow table that need not span the page

    def right_aligned(self, column: int) -> bool:
        header = self.headers[column]
        return header in RIGHT_HEADERS or "/Mtok" in header or "/month" in header or header.endswith("vs recommended")

    def kind(self, row: int) -> str:
        return self.row_kinds[row] if row < len(self.row_kinds) else ""


class Section(NamedTuple):
    """A titled block: paragraphs, then a table, then bullets (any may be empty)."""

    title: str
    key: str  # stable id for HTML anchors and styles
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """The whole quote as text: a heading, header facts, sections and the closing note."""

    heading: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    highlights: tuple[tuple[str, str], ...]  # the key figures of the recommendation
    alert: str  # non-empty when the quote needs attention before use (expired prices)
    sections: tuple[Section, ...] = field(default_factory=tuple)
    note: str = ""
    footer: str = ""


def build_document(quote: Quote, options: ExportOptions) -> Document:
    """The document for `quote`, listing the results `options` selects."""
    sections = [_recommended(quote)]
    rec = quote.recommendation
    if quote.break_even is not None:
        sections.append(_versus_api(quote))
    if rec is not None:
        sections += [_slo(quote, rec), _vram(quote, rec), _interconnect(rec)]
        serving = serving_lines(quote.request, rec.result)  # only when a feature or the pools are on
        if serving:
            sections.append(Section("Workload features and serving", "serving",
                                    bullets=tuple(line.strip() for line in serving if line.startswith("  "))))
    if quote.alternatives:
        sections.append(_alternatives(quote))
    sections += [_ranking(quote, options), _assumptions(quote)]
    warnings = (*quote.warnings, *([quote.stale.text] if quote.stale is not None else []))
    if warnings:
        sections.append(Section("Warnings", "warnings", bullets=tuple(safe_text(w) for w in warnings)))
    sections.append(_sources(quote))
    return Document(
        heading=f"Quote {quote.number}: {safe_text(quote.model.name)}",
        subtitle=safe_text(title(quote)),
        facts=_facts(quote),
        highlights=_highlights(quote),
        alert=_alert(quote),
        sections=tuple(sections),
        note=quote.note,
        footer=(f"Prepared by advisor {quote.tool_version}. Reproduce it with `advisor quote --from FILE` "
                "on the JSON export of this quote, which carries the whole request."),
    )


def _facts(quote: Quote) -> tuple[tuple[str, str], ...]:
    r, m = quote.request, quote.model
    valid = "—"
    if quote.valid_until is not None:
        valid = (f"{quote.valid_until.isoformat()} ({quote.validity_days} days from the price date "
                 f"{quote.prices_as_of.isoformat() if quote.prices_as_of else '—'})"
                 + (" — expired before issue" if quote.expired else ""))
    return (
        ("Quote number", quote.number),
        ("Issued", quote.issued.isoformat() if quote.issued else "—"),
        ("Valid until", valid),
        ("Model", safe_text(f"{m.name} ({m.id}, {m.total_params / 1e9:.1f}B parameters)")),
        ("Workload", f"context {format_tokens(r.max_context)}, {r.input_tokens} in / {r.output_tokens} out "
                     f"tokens per request, {r.load_label}{features_label(r)}"),
        ("Targets", _targets(quote)),
        ("Utilization", f"{r.utilization:.0%} of rented hours busy ({r.term} prices)"),
        ("Currency", f"{quote.currency} (every amount)"),
        ("Ranked by", SORT_KEYS[r.sort].basis),
        ("Prepared by", f"advisor {quote.tool_version}"),
    )


def _highlights(quote: Quote) -> tuple[tuple[str, str], ...]:
    rec = quote.recommendation
    if rec is None:
        return (("Recommendation", "none feasible"),)
    o, t = rec.result.offering, rec.totals
    item = rec.line_items[0]
    return (
        ("Per month", t.per_month.text(0)),
        (f"Per million output tokens at {t.utilization:.0%} utilization",
         f"{t.per_million_output_tokens.text()}{_band_suffix(quote, rec)}"),
        ("Deployment", safe_text(f"{item.quantity} × {o.provider} {o.sku}")),
        ("Layout", f"{rec.layout} · {rec.weights} · KV {rec.kv_dtype}"),
    )


def _band_suffix(quote: Quote, rec: Recommendation) -> str:
    """' ±18 %' or ' (prior)' after the recommendation's cost per token ('' without a band)."""
    band = band_cell(quote, rec.result)
    return f" {band}" if band.startswith("±") else (f" ({band})" if band == "prior" else "")


def _targets(quote: Quote) -> str:
    r = quote.request
    parts = [f"TTFT ≤ {format_duration(r.ttft_s)}"] if r.ttft_s is not None else []
    if r.tpot_s is not None:
        speed = f" ({r.min_tokens_per_s:g} tok/s per user)" if r.min_tokens_per_s else ""
        parts.append(f"TPOT ≤ {format_duration(r.tpot_s)}{speed}")
    return ", ".join(parts) or "none"


def _alert(quote: Quote) -> str:
    if not quote.expired or quote.prices_as_of is None or quote.valid_until is None:
        return ""
    return (f"The prices were seen on {quote.prices_as_of.isoformat()}, more than {quote.validity_days} days "
            f"before this quote was issued: it expired on {quote.valid_until.isoformat()}. Confirm the "
            "prices with the provider before using it.")


def _recommended(quote: Quote) -> Section:
    rec = quote.recommendation
    if rec is None:
        return Section("Recommended deployment", "recommended",
                       paragraphs=("No feasible deployment: " + safe_text(nothing_feasible_message(quote)),))
    o, t = rec.result.offering, rec.totals
    compute = f", GEMMs in {rec.compute_dtype}" if rec.compute_dtype else ""
    lead = safe_text(f"{o.provider} {o.sku} ({o.id}): {rec.layout}, weights {rec.weights}, "
                     f"KV cache {rec.kv_dtype}{compute}; sized for {rec.load}{_per_replica(rec)}.")
    rows = [(str(i.quantity), safe_text(i.description), f"{i.hours_per_month:g}",
             f"{i.unit_price_per_hour.text()}/h", i.per_month.text()) for i in rec.line_items]
    rows.append(("", "Total per month", "", "", t.per_month.text()))
    table = Table(("Qty", "Item", "Hours/month", "Unit price", "Per month"), tuple(rows),
                  ("",) * len(rec.line_items) + ("total",))
    basis = "the ranking basis: " if quote.request.sort == "mtok" else ""
    cost = (f"At {t.utilization:.0%} utilization: {t.per_million_output_tokens.text(4)} per million output "
            f"tokens ({basis}the whole cluster charged to output tokens), "
            f"{t.per_million_input_tokens.text(4)} per million input tokens and "
            f"{t.per_million_output_tokens_decode.text(4)} per million output tokens by GPU-time share, "
            f"{t.per_million_tokens_blended.text(4)} per million tokens blended; about "
            f"{t.output_tokens_per_month / 1e6:,.0f} million output and {t.input_tokens_per_month / 1e6:,.0f} "
            f"million input tokens a month.")
    paragraphs = [lead, f"Per hour: {t.per_hour.text()}.", cost,
                  f"Error band of these predictions (throughput, latencies and so the cost per token): "
                  f"{quote.band_text(rec.result) or 'none'}."]
    if quote.close_call is not None:
        paragraphs.append(f"Ranking: {safe_text(quote.close_call.text)}.")
    bullets = tuple(safe_text(f"{i.quantity} × {i.offering}: list price {i.list_price_per_hour.text()}/h, "
                              f"converted at {quote.usd_per_unit:g} USD per {i.list_price_per_hour.currency}")
                    for i in rec.line_items if i.list_price_per_hour is not None)
    return Section("Recommended deployment", "recommended", tuple(paragraphs), table, bullets)


def _versus_api(quote: Quote) -> Section:
    """The recommendation against the cheapest hosted API: the comparison, then its inputs."""
    be = quote.break_even
    assert be is not None
    price = be.reference.price
    bullets: list[str] = []
    if price is not None:
        u, volume = be.break_even_utilization, be.break_even_tokens_per_month
        bullets = [
            f"API price source: {price.source} (seen {price.as_of.isoformat()}, confidence {price.confidence})",
            f"Tokens per hour with every rented hour busy: {be.tokens_per_hour_full_load / 1e6:,.2f} million "
            f"(input + output); cost per hour: "
            f"{Money(be.usd_per_hour / quote.usd_per_unit, quote.currency).text()}",
            f"Break-even utilization = cost per hour / (API price per token × tokens per hour) = {u:.1%}; "
            f"break-even volume = {volume / 1e6:,.0f} million tokens a month" if u is not None and volume else "",
        ]
    return Section("Versus hosted APIs", "versus-api", (safe_text(be.text),),
                   bullets=tuple(safe_text(b) for b in bullets if b))


def _per_replica(rec: Recommendation) -> str:
    """How the load meets the decode batch the KV cache is sized for: a closed loop's requests
    include those still waiting for their first token, so fewer decode at a time."""
    cand = rec.result.candidate
    decoding = rec.vram.sequences_per_replica
    if cand is None:
        return ""
    replicas = cand.layout.replicas
    where = " per replica" if replicas > 1 else ""
    total = cand.load.concurrency
    if total is None:
        return f" (about {decoding} sequences decoding at a time{where})"
    spread = f", {total / replicas:g} per replica" if replicas > 1 else ""
    if decoding >= total / replicas:
        return f" ({total} open requests{spread})"
    return (f" ({total} open requests{spread}: about {decoding} decoding at a time{where}, the others waiting "
            "for their first token)")


def _slo(quote: Quote, rec: Recommendation) -> Section:
    rows, kinds = [], []
    for check in rec.slo:
        rows.append((check.metric, f"≤ {format_duration(check.target_s)}", format_duration(check.predicted_s),
                     f"{check.headroom:.0%}", "met" if check.met else "MISSED"))
        kinds.append("ok" if check.met else "bad")
    lead = (f"Predicted steady-state means at the quoted load ({rec.load} for the whole deployment), "
            "tenancy factor included.")
    if not rows:
        return Section("Service-level check", "slo", (lead, "The request sets no latency targets."))
    return Section("Service-level check", "slo", (lead,),
                   Table(("Metric", "Target", "Predicted", "Headroom", "Result"), tuple(rows), tuple(kinds), True))


def _vram(quote: Quote, rec: Recommendation) -> Section:
    v = rec.vram
    usable = v.usable_bytes_per_gpu

    def row(part: str, value: float) -> tuple[str, str, str]:
        share = f"{value / usable:.0%}" if usable > 0 else "—"
        return (part, f"{value / GIB:,.1f}", share)

    rows = (
        row("Weights", v.weights_bytes_per_gpu),
        row("Workspace (activations, buffers)", v.workspace_bytes_per_gpu),
        row(f"KV cache ({v.sequences_per_replica} decoding sequences per replica at "
            f"{format_tokens(quote.request.max_context)} context)",
            v.kv_bytes_per_gpu),
        row("Total used", v.used_bytes_per_gpu),
        row(f"Usable ({v.engine_memory_fraction:.0%} of {v.memory_bytes_per_gpu / GIB:,.1f} GiB)", usable),
    )
    verdict = "fits" if v.fits else "does NOT fit"
    lead = (f"Most loaded GPU of a replica ({rec.layout}, weights {rec.weights}, KV {rec.kv_dtype}): {verdict}; "
            f"the KV cache holds {v.kv_capacity_tokens:,} tokens per replica.")
    return Section("Memory per GPU (VRAM)", "vram", (lead,),
                   Table(("Part", "GiB per GPU", "Share of usable"), rows, ("", "", "", "total", ""), True))


def _interconnect(rec: Recommendation) -> Section:
    return Section("Interconnect", "interconnect", bullets=interconnect_lines(rec.interconnect))


def interconnect_lines(ic: InterconnectAnalysis) -> tuple[str, ...]:
    """The all-reduce and node-fabric analysis as sentences."""
    lines = []
    if ic.link_kind == "none" or ic.tp <= 1:
        lines.append("Tensor parallel 1: no all-reduce between GPUs in the decode step.")
    else:
        lines.append(
            f"Tensor-parallel all-reduce over {FABRIC_NAMES.get(ic.link_kind, ic.link_kind)} (TP {ic.tp}): "
            f"{ic.allreduce_bytes_per_step / 1e6:,.1f} MB per GPU per decode step, "
            f"{format_duration(ic.comm_time_per_step_s)} = {ic.comm_share:.1%} of the step.")
        need = (f"{ic.required_bytes_per_s / 1e9:,.0f} GB/s" if math.isfinite(ic.required_bytes_per_s)
                else "more than any link (the per-step latency alone exceeds the share)")
        verdict = ("within the target" if ic.within_target
                   else "above the share target; the latency targets are still met")
        lines.append(f"Needs {need} per GPU per direction to keep it under {ic.target_share:.0%} of the step; "
                     f"the offering has {ic.available_bytes_per_s / 1e9:,.0f} GB/s: {verdict}.")
    if ic.spans_nodes:
        lines.append(f"Pipeline parallel {ic.pp} across {ic.nodes} nodes over "
                     f"{FABRIC_NAMES.get(ic.inter_fabric, ic.inter_fabric)} "
                     f"({ic.inter_bytes_per_s / 1e9:,.0f} GB/s per node per direction).")
    elif ic.nodes > 1:
        lines.append(f"{ic.nodes} nodes serve independent replicas: no traffic between nodes in a step.")
    else:
        lines.append("One node: no traffic between nodes.")
    return tuple(lines)


def _alternatives(quote: Quote) -> Section:
    key = SORT_KEYS[quote.request.sort]
    rows = []
    for alt in quote.alternatives:
        o = alt.result.offering
        rows.append((str(alt.result.rank), safe_text(o.provider), safe_text(o.sku), safe_text(alt.line_item.text),
                     alt.layout, alt.precision, alt.per_month.text(), alt.per_million_output_tokens.text(4),
                     band_cell(quote, alt.result), _delta(alt, key.quantity)))
    header = ("#", "Provider", "SKU", "Line item", "Layout", "Precision", "Per month", "Per Mtok out", BAND,
              f"{key.column} vs recommended")
    lead = (f"Ranked by {key.basis}; the last column is each alternative's {key.quantity} relative to the "
            "recommendation's (+16 % = 16 % higher).")
    return Section("Next best alternatives", "alternatives", (lead,), table=Table(header, tuple(rows)))


def _delta(alt: Alternative, quantity: str) -> str:
    if not alt.tie:
        return f"{alt.delta:+.1%}"
    if alt.basis == "mtok":
        return "tie (same cost; listed by provider, then id)"
    return f"tie (same {quantity}; listed by cost per Mtok out, then provider and id)"


def _ranking(quote: Quote, options: ExportOptions) -> Section:
    rows = options.rows_of(quote)
    reasons = options.reasons_for(rows)
    body = tuple(tuple(cells(quote, r, reasons=reasons)) for r in rows)
    kinds = tuple("" if r.feasible else "muted" for r in rows)
    shown = sum(1 for r in rows if r.feasible)
    lead = [f"{shown} of {len(quote.feasible)} feasible offerings listed, ranked by "
            f"{SORT_KEYS[quote.request.sort].basis}, lowest first"]
    if quote.infeasible:
        listed = sum(1 for r in rows if not r.feasible)
        lead.append(f"{listed} of {len(quote.infeasible)} infeasible listed with the reason" if listed
                    else f"{len(quote.infeasible)} infeasible not listed")
    if quote.excluded:
        lead.append(f"{len(quote.excluded)} filtered out by the request")
    table = Table(tuple(headers(quote, reasons=reasons)), body, kinds) if body else None
    return Section("Ranking", "ranking", ("; ".join(lead) + ".",), table)


def _assumptions(quote: Quote) -> Section:
    rows = tuple((safe_text(a.name), safe_text(a.value), safe_text(a.source) or "—") for a in quote.assumptions)
    return Section("Assumptions", "assumptions", table=Table(("Assumption", "Value", "Source"), rows))


def _sources(quote: Quote) -> Section:
    rows = tuple((safe_text(s.path), s.layer, s.role, s.as_of or "undated", s.sha256 or "—") for s in quote.sources)
    return Section("Sources", "sources", ("Every catalog, profile and config file the quote read.",),
                   Table(("File or URL", "Layer", "Role", "As of", "sha256"), rows))
