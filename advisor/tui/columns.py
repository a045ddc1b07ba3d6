"""The results table's columns: which cells of the CLI table the TUI shows, and how each sorts.

Cell text comes from `advisor.export.table.cells` (the same strings `advisor quote` prints),
picked by header name; this module adds only short labels, widths and sort keys. Sorting
keeps feasible rows above infeasible ones (those are the answer; the rest explain why not),
and missing values last in either direction. Pure: must not import textual.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from advisor.export.data import memory_used_bytes_per_gpu
from advisor.export.table import cells, headers
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


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: the CLI header it shows, its TUI label, width and sort key."""

    key: str
    header: str  # header in advisor.export.table.headers (currency-independent part)
    label: str
    sort: Callable[[Result], Any]
    width: int  # fixed, so columns do not jump while the numbers change under typing
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", "#", lambda r: r.rank, 3, right=True),
    Column("provider", "Provider", "Provider", lambda r: r.offering.provider.lower(), 12),
    Column("gpus", "Nodes × GPUs", "Nodes × GPUs", _gpus, 22),
    Column("usd_mtok", "/Mtok out", "$/Mtok out", _cost("usd_per_million_output_tokens"), 10, right=True),
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
)
COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)


def column(key: str) -> Column:
    return COLUMNS[COLUMN_KEYS.index(key)]


def label(col: Column, currency: str) -> str:
    """The header as shown: money columns in the quote's currency."""
    if col.key in ("usd_mtok", "usd_month"):
        return col.label.replace("$", currency + " ") if currency != "USD" else col.label
    return col.label


def cell_indexes(quote: Quote) -> list[int | None]:
    """For each of `COLUMNS`, the index of its cell in the CLI table's row (None: not there)."""
    names = headers(quote, reasons=True)
    found: list[int | None] = []
    for col in COLUMNS:
        found.append(next((i for i, h in enumerate(names) if h == col.header or h.endswith(col.header)), None))
    return found


MARKED = "provider"  # the column whose cell carries the team mark ('★ Acme')


def row_cells(quote: Quote, result: Result, indexes: list[int | None] | None = None, mark: str = "") -> list[str]:
    """The row's text in `COLUMNS` order, taken from the CLI table's cells by header; `mark`
    (the offering's '★' when it comes from a team config) before the provider."""
    texts = cells(quote, result, reasons=True)
    found = ["—" if i is None else texts[i] for i in (indexes or cell_indexes(quote))]
    if mark:
        at = COLUMN_KEYS.index(MARKED)
        found[at] = f"{mark} {found[at]}"
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
