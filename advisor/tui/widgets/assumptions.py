"""Assumptions tab: what the quote rests on, its warnings and the files it read."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from advisor.export.terminal import safe_text
from advisor.quote.build import Quote


def assumption_text(quote: Quote) -> Text:
    """Assumptions (with sources), warnings and source files as one block of text."""
    text = Text("Assumptions\n", style="bold")
    for item in quote.assumptions:
        text.append(f"  {safe_text(item.name)}: ", style="bold")
        text.append(safe_text(item.value))
        if item.source:
            text.append(f"  — {safe_text(item.source)}", style="dim")
        text.append("\n")
    warnings = list(quote.warnings) + ([quote.stale.text] if quote.stale is not None else [])
    if warnings:
        text.append("\nWarnings\n", style="bold yellow")
        for warning in warnings:
            text.append(f"  {safe_text(warning)}\n", style="yellow")
    text.append("\nFiles read\n", style="bold")
    for source in quote.sources:
        where = source.path.rsplit("/", 1)[-1] if source.layer == "built-in" else source.path
        text.append(f"  {source.layer:<9} {safe_text(where)}", style="" if source.layer == "built-in" else "bold")
        text.append(f"  as of {source.as_of or 'undated'}\n", style="dim")
    text.append("\nAn estimate from a performance model and list prices, not an offer.", style="dim italic")
    return text


class AssumptionsPane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("", id="assumptions-text", markup=False)

    def show(self, quote: Quote) -> None:
        self.query_one("#assumptions-text", Static).update(assumption_text(quote))
