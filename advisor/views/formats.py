"""Render a quote to text in one format: table, json, csv or md (Markdown).

Each renderer returns the whole text, so a file is opened only after rendering succeeded.
Must not import textual, httpx or pint (rich only inside the table renderer).
"""

from __future__ import annotations

import io
import json

from advisor.console import csv_cell, json_safe, safe_text
from advisor.quote import Quote
from advisor.ranking import Result
from advisor.views.data import flat_row, quote_document

FORMATS = ("table", "json", "csv", "md")


def render(quote: Quote, rows: list[Result], fmt: str, *, reasons: bool, width: int | None = None) -> str:
    """The quote's `rows` in `fmt` as one string."""
    if fmt == "json":
        return json_safe(json.dumps(quote_document(quote, rows), indent=2, ensure_ascii=False, allow_nan=False)) + "\n"
    if fmt == "csv":
        return to_csv(quote, rows)
    if fmt == "md":
        return to_markdown(quote, rows, reasons=reasons)
    from advisor.views.table import print_quote_table  # rich only for the table

    buffer = io.StringIO()
    print_quote_table(quote, rows, buffer, reasons=reasons, width=width or 200)
    return buffer.getvalue()


def to_csv(quote: Quote, rows: list[Result]) -> str:
    """One line per result; text cells that a spreadsheet would run as a formula are quoted."""
    import csv

    records = [flat_row(quote, r) for r in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = list(records[0]) if records else list(_empty_header(quote))
    writer.writerow(header)
    for record in records:
        writer.writerow([csv_cell(record[key]) for key in header])
    return buffer.getvalue()


def _empty_header(quote: Quote) -> dict[str, None]:
    cur = quote.currency.lower()
    keys = ["rank", "offering", "provider", "sku", "gpu", "tenancy", "nodes", "gpus", "layout",
            "weights", "kv", "output_tokens_per_s", "ttft_s", "tpot_s", f"{cur}_per_hour",
            f"{cur}_per_million_output_tokens", f"{cur}_per_month", "feasible", "reasons"]
    return dict.fromkeys(keys)


def _md_cell(text: str) -> str:
    return safe_text(text).replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(quote: Quote, rows: list[Result], *, reasons: bool) -> str:
    """A Markdown table with the title, then assumptions, warnings and sources."""
    from advisor.views.table import records_for_markdown, title

    header, body = records_for_markdown(quote, rows, reasons=reasons)
    lines = [f"## {_md_cell(title(quote))}", ""]
    lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
    lines.append("|" + "|".join("---:" if i == 0 else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body]
    lines += ["", "### Assumptions", ""]
    lines += [f"- **{_md_cell(a.name)}**: {_md_cell(a.value)}"
              + (f" — source: {_md_cell(a.source)}" if a.source else "") for a in quote.assumptions]
    if quote.warnings:
        lines += ["", "### Warnings", ""] + [f"- {_md_cell(w)}" for w in quote.warnings]
    lines += ["", "### Sources", ""]
    lines += [f"- {_md_cell(s.path)} ({s.layer}, as of {s.as_of or 'undated'}, sha256 {s.sha256[:12] or '—'})"
              for s in quote.sources]
    lines += ["", "_An estimate from a performance model and list prices, not an offer._", ""]
    return "\n".join(lines)
