"""The results table's columns: which cells of the CLI table the TUI shows, in what order and
width for the room there is, and how each sorts.

Cell text comes from `advisor.export.table.cells` (the same strings `advisor quote` prints),
picked by header name; only the offering id column is this module's own. `fit_columns` picks the
order and widths for a table so many cells wide: where the provider, the GPUs, $/Mtok, $/month,
TPOT and TTFT all fit, that is the order; where they do not (100 columns, say), the offering id
takes the place of provider and GPUs and the money columns get short labels, so cost and
latency stay on screen. Every column stays in the table (the rest after them, reached by
scrolling). Widths leave room for the sort arrow, so the active sort is always drawn. Sorting
keeps feasible rows above infeasible ones (those are the answer; the rest explain why not),
and missing values last in either direction. Pure: must not import textual.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from advisor.export.data import memory_used_bytes_per_gpu
from advisor.export.table import PRICE_MARK, cells, headers
from advisor.quote.build import Quote
from advisor.search.ranking import Result

_BITS = {"int4": 4, "fp4": 4, "fp8": 8, "int8": 8, "fp16": 16, "bf16": 16}


def _est(attr: str) -> Callable[[Result], float | None]:
    def key(r: Result) -> float | None:
        est = r.estimate
        return getattr(est, attr) if est is not None else None
    return key


def _cost(attr: str) -> Callable[[Result], float | None]:
    return lambda r: getattr(r.cost, attr) if r.cost is not None else None


def _gpus(r: Result) -> float | None:
    return r.candidate.nodes * r.offering.gpus_per_node if r.candidate else None


def _layout(r: Result) -> float | None:
    return r.candidate.layout.gpus_per_replica if r.candidate else None


def _precision(r: Result) -> float | None:
    return _BITS.get(r.candidate.precision.weights) if r.candidate else None


def _vram(r: Result) -> float | None:
    used, est = memory_used_bytes_per_gpu(r), r.estimate
    return used / est.memory.usable_bytes_per_gpu if used is not None and est is not None else None


def _link(r: Result) -> float | None:
    return r.estimate.interconnect.comm_share if r.estimate is not None else None


def _offering_id(quote: Quote, result: Result) -> str:
    return (PRICE_MARK if result.offering.id in quote.flagged else "") + result.offering.id


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: the CLI header it shows, its TUI label, width and sort key."""

    key: str
    header: str  # header in advisor.export.table.headers (currency-independent part); "" if own
    label: str
    sort: Callable[[Result], Any]
    width: int  # fixed, so columns do not jump while the numbers change under typing
    right: bool = False
    short: str = ""  # label and …
    short_width: int = 0  # … width where room is short ("" and 0: the same as wide)
    own: Callable[[Quote, Result], str] | None = None  # the cell text when no CLI cell has it


COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", "#", lambda r: r.rank, 3, right=True),
    Column("provider", "Provider", "Provider", lambda r: r.offering.provider.lower(), 12),
    Column("gpus", "Nodes × GPUs", "Nodes × GPUs", _gpus, 22),
    Column("usd_mtok", "/Mtok out", "$/Mtok out", _cost("usd_per_million_output_tokens"), 10, right=True,
           short="$/Mtok", short_width=8),
    Column("usd_month", "/month", "$/month", _cost("usd_per_month"), 9, right=True),
    Column("tpot", "TPOT", "TPOT", _est("tpot_s"), 7, right=True),
    Column("ttft", "TTFT", "TTFT", _est("ttft_s"), 7, right=True),
    Column("why", "Why not", "Why not", lambda r: "; ".join(r.reasons).lower(), 60),
    Column("sku", "SKU", "SKU", lambda r: r.offering.sku.lower(), 24),
    Column("tps", "Out tok/s", "Out tok/s", _est("output_tokens_per_s"), 9, right=True),
    Column("layout", "Layout", "Layout", _layout, 10),
    Column("precision", "Precision", "Precision", _precision, 14),
    Column("vram", "VRAM used/usable per GPU", "VRAM/GPU", _vram, 13, right=True),
    Column("link", "TP link need/have", "TP link need/have", _link, 26),
    Column("tenancy", "Tenancy", "Tenancy", lambda r: r.offering.tenancy, 10),
    Column("offering", "", "Offering", lambda r: r.offering.id.lower(), 40, own=_offering_id),
)
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)

# What must be on screen, in order: where room allows (the first), else the compact one.
WIDE_FIRST = ("rank", "provider", "gpus", "usd_mtok", "usd_month", "tpot", "ttft")
NARROW_FIRST = ("rank", "offering", "usd_mtok", "usd_month", "tpot", "ttft")
FLEXIBLE = "offering"  # in the compact order, takes the room the others leave
FLEXIBLE_MIN = 12
ARROW = 2  # cells of " ▲" after the label of the sorted column
MARKED = ("provider", "offering")  # cells that carry the team mark ('★ Acme')


@dataclass(frozen=True, slots=True)
class Shown:
    """A column as drawn: its label (no sort arrow) and width in cells."""

    column: Column
    label: str
    width: int

    @property
    def key(self) -> str:
        return self.column.key


def _shown(col: Column, currency: str, short: bool) -> Shown:
    text = label(col, currency, short)
    width = col.short_width if short and col.short_width else col.width
    return Shown(col, text, max(width, cell_len(text) + ARROW))


def fit_columns(available: int, currency: str, padding: int = 1) -> tuple[Shown, ...]:
    """Every column, ordered and sized for a table `available` cells wide (each column also
    takes `padding` cells either side): offering, $/Mtok, $/month, TPOT and TTFT first."""
    wide = [_shown(column(key), currency, short=False) for key in WIDE_FIRST]
    if sum(s.width + 2 * padding for s in wide) <= available:
        first = wide
    else:
        first = [_shown(column(key), currency, short=True) for key in NARROW_FIRST]
        rest = sum(s.width + 2 * padding for s in first if s.key != FLEXIBLE) + 2 * padding
        first = [Shown(s.column, s.label, max(FLEXIBLE_MIN, min(s.width, available - rest)))
                 if s.key == FLEXIBLE else s for s in first]
    keys = {s.key for s in first}
    return (*first, *(_shown(col, currency, short=False) for col in COLUMNS if col.key not in keys))


def column(key: str) -> Column:
    return COLUMNS[COLUMN_KEYS.index(key)]


def label(col: Column, currency: str, short: bool = False) -> str:
    """The header as shown: money columns in the quote's currency."""
    text = col.short if short and col.short else col.label
    if col.key in ("usd_mtok", "usd_month"):
        return text.replace("$", currency + " ") if currency != "USD" else text
    return text


def cell_indexes(quote: Quote) -> list[int | None]:
    """For each of `COLUMNS`, the index of its cell in the CLI table's row (None: not there)."""
    names = headers(quote, reasons=True)
    found: list[int | None] = []
    for col in COLUMNS:
        found.append(None if not col.header else
                     next((i for i, h in enumerate(names) if h == col.header or h.endswith(col.header)), None))
    return found


def row_cells(quote: Quote, result: Result, indexes: list[int | None] | None = None,
              mark: str = "") -> dict[str, str]:
    """The row's text by column key, taken from the CLI table's cells by header; `mark` (the
    offering's '★' when it comes from a team config) before the provider and the offering id."""
    texts = cells(quote, result, reasons=True)
    found: dict[str, str] = {}
    for col, i in zip(COLUMNS, indexes or cell_indexes(quote), strict=True):
        text = col.own(quote, result) if col.own else "—" if i is None else texts[i]
        found[col.key] = f"{mark} {text}" if mark and col.key in MARKED else text
    return found


def sorted_results(results: tuple[Result, ...], key: str | None, reverse: bool) -> list[Result]:
    """Feasible rows first, each group ordered by `key` (None: rank order); blanks last."""
    if key is None:
        return list(results)
    sort = column(key).sort

    def group(feasible: bool) -> list[Result]:
        rows = [r for r in results if r.feasible == feasible]
        present = [r for r in rows if _present(sort(r))]
        missing = [r for r in rows if not _present(sort(r))]
        return sorted(present, key=sort, reverse=reverse) + missing

    return group(True) + group(False)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
