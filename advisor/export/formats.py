"""Render a quote to text in one format: the terminal table here, documents via `advisor.export`.

`render(quote, rows, fmt, reasons=..., width=..., columns=...)` is the entry `advisor quote` and the TUI
export dialog call: `table` is the Rich table of `advisor.export.table`; `md`, `json`, `csv` and
`html` are the documents of `advisor.export` (one module per format) listing `rows`. Each
renderer returns the whole text, so a file is opened only after rendering succeeded.
Must not import textual, httpx or pint (rich only inside the table renderer).
"""

from __future__ import annotations

import io

from advisor.export.base import ExportOptions, Format
from advisor.export.base import render as render_document
from advisor.quote.build import Quote
from advisor.search.ranking import Result

TABLE = "table"
FORMATS: tuple[str, ...] = (TABLE, *(f.value for f in Format))


def render(quote: Quote, rows: list[Result], fmt: str, *, reasons: bool, width: int | None = None,
           columns: str | None = None) -> str:
    """The quote's `rows` in `fmt` as one string (documents also carry the recommendation).

    The table fits `width` characters (None: $COLUMNS, else the terminal's, else 80) or shows
    the `columns` named (a `--columns` list)."""
    if fmt != TABLE:
        return render_document(quote, Format(fmt), ExportOptions(rows=tuple(rows), reasons=reasons))
    from advisor.export.table import print_quote_table  # rich only for the table

    buffer = io.StringIO()
    print_quote_table(quote, rows, buffer, reasons=reasons, width=width, columns=columns)
    return buffer.getvalue()
