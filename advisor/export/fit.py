"""Fitting a table to a terminal width: which columns to show, and how wide each one is.

A column is `whole` (an id, a number, a quantity with its unit: shown in full or not at all),
`text` (a name: may end in "…" once it has its header's width) or `wrap` (prose such as the
reasons an offering is infeasible: wraps at spaces). The columns a table shows by default are
the ones that fit `width`, taken by priority (lowest first); the rest are dropped and named, so
the caller can say how to see them. Required columns (priority 0, the row's identity) are shown
even when they alone are wider than `width`: a line too long beats a wrong id. A table with
columns chosen by the user shows exactly those. Pure: no rich, textual or I/O (the caller passes
the cell-width function, so wide characters count as the terminal draws them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

Kind = Literal["whole", "text", "wrap"]
KINDS: tuple[Kind, ...] = ("whole", "text", "wrap")

GAP = 2  # blank cells between two columns (the table renderer's padding, collapsed)
TEXT_MIN = 10  # a shortened name keeps at least this many cells (or its header's width)
WRAP_MIN = 24  # narrowest a wrapping column gets: about three words a line
WRAP_MAX = 60  # widest it asks for: prose reads badly in longer lines
REQUIRED = 0  # priority of the columns every table shows


class Spec(NamedTuple):
    """What fitting needs to know of one column."""

    header: str
    kind: Kind
    priority: int


class Fitted(NamedTuple):
    """The columns to show (indexes, in the table's order), their widths, and what was dropped."""

    shown: tuple[int, ...]
    widths: tuple[int, ...]
    hidden: tuple[int, ...]

    @property
    def total(self) -> int:
        """Cells the table takes: the widths and the gaps between them."""
        return sum(self.widths) + GAP * max(len(self.widths) - 1, 0)


def fit(specs: Sequence[Spec], rows: Sequence[Sequence[str]], width: int,
        cell_len: Callable[[str], int] = len, *, chosen: bool = False) -> Fitted:
    """The columns of `specs` (cells in `rows`, row by row) that fit in `width` cells.

    By priority, each column gets its natural width if that fits; else a `text` or `wrap`
    column takes what is left (when that is at least its least width) and a `whole` one is
    dropped. So a less important column never costs a more important one its width.
    `chosen`: the user picked these columns; all are shown, shortened only as far as allowed.
    """
    natural = [_natural(s, [cell_len(s.header), *(cell_len(row[i]) for row in rows)])
               for i, s in enumerate(specs)]
    least = [_least(s, natural[i], cell_len) for i, s in enumerate(specs)]
    order = sorted(range(len(specs)), key=lambda i: (specs[i].priority, i))
    widths: dict[int, int] = {}
    left = width
    for i in order:
        gap = GAP if widths else 0
        if natural[i] + gap <= left:
            widths[i] = natural[i]
        elif least[i] < natural[i] and least[i] + gap <= left:
            widths[i] = left - gap
        elif chosen or specs[i].priority <= REQUIRED:
            widths[i] = least[i]
        else:
            continue
        left -= widths[i] + gap
    if chosen:
        _shrink(widths, least, width)
    ordered = tuple(i for i in range(len(specs)) if i in widths)
    return Fitted(ordered, tuple(widths[i] for i in ordered), tuple(i for i in order if i not in widths))


def _shrink(widths: dict[int, int], least: list[int], width: int) -> None:
    """Columns the user chose and that are too wide together: the shortenable ones give way,
    the last ones first, down to their least width."""
    over = sum(widths.values()) + GAP * max(len(widths) - 1, 0) - width
    for i in sorted(widths, reverse=True):
        if over <= 0:
            return
        cut = min(over, widths[i] - least[i])
        widths[i] -= cut
        over -= cut


def _natural(spec: Spec, lengths: list[int]) -> int:
    """The width this column would like: its widest cell, at most `WRAP_MAX` for prose."""
    return min(max(lengths), max(WRAP_MAX, lengths[0])) if spec.kind == "wrap" else max(lengths)


def _least(spec: Spec, natural: int, cell_len: Callable[[str], int]) -> int:
    """The narrowest this column may be drawn."""
    if spec.kind == "whole":
        return natural
    floor = WRAP_MIN if spec.kind == "wrap" else TEXT_MIN
    return min(natural, max(cell_len(spec.header), floor))


def title_lines(title: str, width: int, separator: str = " · ") -> list[str]:
    """`title` in lines of at most `width` cells, broken after a `separator` where it can be,
    else between words (a number and its unit may part; a number is never cut)."""
    import textwrap

    lines: list[str] = []
    for part in title.split(separator):
        joined = f"{lines[-1]}{separator}{part}" if lines else part
        if lines and len(joined) <= width:
            lines[-1] = joined
        elif len(part) <= width:
            lines.append(part)
        else:
            lines += textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False) or [part]
    return lines
