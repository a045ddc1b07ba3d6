"""The ranked results table: one row per offering, sortable by any column, infeasible dimmed.

Click a header (or press `s` / `r` with the table focused) to sort by it or reverse; ▲ or ▼
after a header marks the sort (on `#` for the rank order); feasible rows always stay above
infeasible ones. Rows are keyed by offering id so the cursor stays on the same offering
across re-ranks. Which columns come first, and how wide, follows the table's width
(`advisor.tui.columns.fit_columns`), so cost and latency stay on screen in a narrow terminal.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from advisor.quote.build import Quote
from advisor.search.ranking import Result
from advisor.tui.columns import cell_indexes, column, fit_columns, row_cells, sorted_results


class ResultsTable(DataTable):
    """The quote's results; `show(quote)` repopulates it, keeping sort order and cursor."""

    BINDINGS = [
        Binding("j", "cursor_down", "Next row", id="row-next", show=False, tooltip="Move down a row (like ↓)"),
        Binding("k", "cursor_up", "Previous row", id="row-previous", show=False, tooltip="Move up a row (like ↑)"),
        Binding("s", "next_sort", "Sort", id="sort-next", show=False, tooltip="Sort by the next column"),
        Binding("r", "reverse_sort", "Reverse", id="sort-reverse", show=False, tooltip="Reverse the sort order"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.quote: Quote | None = None
        self.sort_key: str | None = None  # None: rank order
        self.reverse = False
        self.results: list[Result] = []
        self.marks: dict[str, str] = {}
        self._headers: list[tuple[str, str, int]] | None = None  # (key, label, width) as drawn

    def on_mount(self) -> None:
        self._add_columns("USD")

    def on_resize(self) -> None:
        # The column set depends on the width: refill when it changes (a rebuild costs a frame).
        if self._fitted(self.quote.currency if self.quote else "USD") != self._headers:
            if self.quote is not None:
                self.show(self.quote)
            else:
                self._add_columns("USD")

    @property
    def shown_keys(self) -> list[str]:
        """Column keys in the order drawn."""
        return [str(column.key.value) for column in self.ordered_columns]

    def _fitted(self, currency: str) -> list[tuple[str, str, int]]:
        """(key, label with the sort arrow, width) for the table's current width."""
        available = self.size.width - self.styles.scrollbar_size_vertical
        arrows = {self.sort_key or "rank": " ▼" if self.reverse else " ▲"}
        return [(s.key, s.label + arrows.get(s.key, ""), s.width)
                for s in fit_columns(available, currency, self.cell_padding)]

    def _add_columns(self, currency: str) -> None:
        """(Re)build the columns only when a header or width changes: rebuilding costs a frame."""
        headers = self._fitted(currency)
        if headers == self._headers:
            self.clear()
            return
        self._headers = headers
        self.clear(columns=True)
        for key, text, width in headers:
            self.add_column(Text(text, justify="right" if column(key).right else "left"), key=key, width=width)

    def show(self, quote: Quote, marks: Mapping[str, str] | None = None) -> None:
        """Fill the table from `quote` in the current sort order; `marks`: offering id -> '★'
        for offerings from a team (or user) config (None: keep the last ones)."""
        keep = self.selected_id
        self.quote = quote
        if marks is not None:
            self.marks = dict(marks)
        self._add_columns(quote.currency)
        self.results = sorted_results(quote.results, self.sort_key, self.reverse)
        indexes = cell_indexes(quote)
        keys = self.shown_keys
        for result in self.results:
            style = "" if result.feasible else "dim"
            texts = row_cells(quote, result, indexes, self.marks.get(result.offering.id, ""))
            self.add_row(*(Text(texts[key], style=style, justify="right" if column(key).right else "left",
                                no_wrap=True, overflow="ellipsis") for key in keys),
                         key=result.offering.id)
        self._restore_cursor(keep)

    def _restore_cursor(self, offering_id: str | None) -> None:
        if not self.results:
            return
        ids = [r.offering.id for r in self.results]
        row = ids.index(offering_id) if offering_id in ids else 0
        self.move_cursor(row=row, animate=False, scroll=True)

    @property
    def selected(self) -> Result | None:
        """The result under the cursor."""
        if not self.results or not 0 <= self.cursor_row < len(self.results):
            return None
        return self.results[self.cursor_row]

    @property
    def selected_id(self) -> str | None:
        result = self.selected
        return result.offering.id if result else None

    def following_ids(self, count: int) -> list[str]:
        """The selected offering and the next `count - 1` rows below it."""
        row = max(0, self.cursor_row)
        return [r.offering.id for r in self.results[row:row + count]]

    def sort_by(self, key: str | None, reverse: bool = False) -> None:
        self.sort_key, self.reverse = key, reverse
        if self.quote is not None:
            self.show(self.quote)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        self.sort_by(key, not self.reverse if key == self.sort_key else False)

    def action_next_sort(self) -> None:
        """Sort by the next column to the right (the first after the last)."""
        keys = self.shown_keys
        index = keys.index(self.sort_key) + 1 if self.sort_key in keys else 1
        self.sort_by(keys[index % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key or "rank", not self.reverse)
