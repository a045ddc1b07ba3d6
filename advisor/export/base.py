"""The export interface: `Format`, `ExportOptions`, the `Renderer` protocol and the registry.

Each format module (`markdown`, `json_format`, `csv_format`, `html`) exposes
`render(quote, options) -> str` and `EXTENSION`; the registry maps a `Format` to its module and
imports it on first use. Renderers return the whole document, so a file is opened only after
rendering succeeded. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from advisor.quote.build import Quote
    from advisor.search.ranking import Result

DEFAULT_TOP = 10


class Format(StrEnum):
    """A document format `advisor quote --format` and the TUI export can write."""

    MD = "md"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


_MODULES: dict[Format, str] = {
    Format.MD: "advisor.export.markdown",
    Format.JSON: "advisor.export.json_format",
    Format.CSV: "advisor.export.csv_format",
    Format.HTML: "advisor.export.html",
}


class ExportOptions(NamedTuple):
    """Which results a document lists (the recommendation and alternatives are always in it).

    `rows` given explicitly wins; otherwise the first `top` feasible results (all when None),
    then every infeasible one with its reasons when `include_infeasible`.
    """

    top: int | None = DEFAULT_TOP
    include_infeasible: bool = False
    rows: tuple[Result, ...] | None = None
    reasons: bool | None = None  # a "why not" column; default: when infeasible rows are listed

    def rows_of(self, quote: Quote) -> list[Result]:
        if self.rows is not None:
            return list(self.rows)
        rows = list(quote.feasible[: self.top] if self.top is not None else quote.feasible)
        return rows + (list(quote.infeasible) if self.include_infeasible else [])

    def reasons_for(self, rows: list[Result]) -> bool:
        if self.reasons is not None:
            return self.reasons
        return self.include_infeasible or any(not r.feasible for r in rows)


class Renderer(Protocol):
    """What every format module provides."""

    def __call__(self, quote: Quote, options: ExportOptions = ..., /) -> str: ...


def renderer(fmt: Format | str) -> Renderer:
    """The `render` function of a format (ValueError for an unknown format)."""
    module = importlib.import_module(_MODULES[Format(fmt)])
    render: Renderer = module.render
    return render


def extension(fmt: Format | str) -> str:
    """The file extension (without the dot) documents of this format use."""
    module = importlib.import_module(_MODULES[Format(fmt)])
    return str(module.EXTENSION)


def render(quote: Quote, fmt: Format | str, options: ExportOptions | None = None) -> str:
    """`quote` as a whole document in `fmt`."""
    return renderer(fmt)(quote, options or ExportOptions())
