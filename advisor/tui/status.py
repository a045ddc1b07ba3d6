"""One-line texts the main screen shows: the quote's title, its status, the model hint.

Pure: must not import textual (Rich `Text` only).
"""

from __future__ import annotations

from rich.text import Text

from advisor.catalog.world import World
from advisor.errors import AdvisorError
from advisor.export.table import price_warning_note, title
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote
from advisor.search.request import resolve_model
from advisor.shorthands import format_tokens
from advisor.tui.pickers import mark


def title_text(quote: Quote) -> Text:
    return Text(safe_text(title(quote)), style="bold")


def status_text(quote: Quote) -> str:
    """'40 feasible · 40 infeasible · best: X at 1.86 USD/Mtok output, 8,760 USD/month'."""
    parts = [f"{len(quote.feasible)} feasible", f"{len(quote.infeasible)} infeasible"]
    if quote.excluded:
        parts.append(f"{len(quote.excluded)} filtered out")
    best = quote.best
    if best is not None and best.cost is not None:
        cur = quote.currency
        mtok = quote.in_currency(best.cost.usd_per_million_output_tokens) or 0.0
        month = quote.in_currency(best.cost.usd_per_month) or 0.0
        parts.append(f"best: {safe_text(best.offering.id)} at {mtok:,.3f} {cur}/Mtok output, "
                     f"{month:,.0f} {cur}/month")
    if quote.close_call is not None:
        parts.append(safe_text(quote.close_call.short))
    if quote.flagged:
        parts.append(safe_text(price_warning_note(quote.flagged)))
    if quote.warnings:
        parts.append(f"{len(quote.warnings)} warning(s): see Assumptions (F5)")
    return "✓ " + " · ".join(parts)


def stale_banner(quote: Quote) -> str:
    """'⚠ 35 of 35 prices older than the 30-day validity (oldest 2024-07-03): confirm …', or ''."""
    if quote.stale is None:
        return ""
    return (f"⚠ {quote.stale.short}: confirm them with the providers before sending the quote "
            "(advisor quote --max-price-age 90d leaves old prices out)")


def model_hint(world: World, text: str) -> tuple[str, str | None]:
    """(hint under the model field, error line or None) for what is typed there."""
    if not text.strip():
        return "", None
    try:
        model_id, note = resolve_model(world, text.strip())
    except AdvisorError as err:
        return "", err.message
    model = world.models[model_id]
    tag = mark(world, "model", model_id)
    hint = f"{safe_text(model.name)} · {model.total_params / 1e9:,.1f}B · {format_tokens(model.max_context)} ctx"
    return hint + (f" · {tag}" if tag else ""), None
