"""Stale prices: which ranked offerings are priced from a date older than the quote validity.

`stale_prices(results, issued, validity_days)` is pure; `build_quote` keeps its answer in
`Quote.stale` and adds `StalePrices.text` to the quote's warnings (stderr, the JSON `warnings`,
the documents); the terminal table prints `StalePrices.short`; the TUI can show either as a
banner. `--max-price-age` (`QuoteRequest.max_price_age_days`) drops old offerings before the
search instead (see `advisor.search.ranking.excluded_reason`). Must not import rich, textual,
httpx or pint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from advisor.search.ranking import Result

NAMED = 3  # offering ids a warning names before "and N more"


class StalePrices(NamedTuple):
    """The ranked offerings whose price is older than the validity on the issue date."""

    oldest: date  # the oldest price date among them
    offerings: tuple[str, ...]  # their ids, in rank order
    ranked: int  # how many ranked (feasible, priced) offerings there are in all
    validity_days: int
    issued: date

    @property
    def age_days(self) -> int:
        """Days from the oldest price to the issue date."""
        return (self.issued - self.oldest).days

    @property
    def named(self) -> str:
        """'a/x, b/y, c/z and 32 more'."""
        shown = ", ".join(self.offerings[:NAMED])
        rest = len(self.offerings) - NAMED
        return shown + (f" and {rest} more" if rest > 0 else "")

    @property
    def text(self) -> str:
        """The warning, one line: how many, the oldest date, a few ids and what to do."""
        return (f"prices of {len(self.offerings)} of {self.ranked} ranked offerings are older than the "
                f"{self.validity_days}-day quote validity (oldest {self.oldest.isoformat()}, {self.age_days} days "
                f"before {self.issued.isoformat()}): {self.named}; confirm them with the providers, or leave "
                "old prices out with --max-price-age (e.g. 90d)")

    @property
    def short(self) -> str:
        """'35 of 35 prices older than the 30-day validity (oldest 2025-05-29)'."""
        return (f"{len(self.offerings)} of {self.ranked} prices older than the {self.validity_days}-day validity "
                f"(oldest {self.oldest.isoformat()})")


def price_expired(as_of: date, issued: date, validity_days: int) -> bool:
    """A price seen on `as_of` no longer holds on `issued` (the quote's valid-until rule)."""
    return min(as_of, issued) + timedelta(days=validity_days) < issued


def stale_prices(results: Iterable[Result], issued: date, validity_days: int) -> StalePrices | None:
    """The ranked (feasible, priced) results whose price expired before `issued`; None when
    every price still holds or nothing is ranked."""
    ranked = [r for r in results if r.feasible and r.cost is not None]
    old = [r for r in ranked if price_expired(r.offering.as_of, issued, validity_days)]
    if not old:
        return None
    return StalePrices(
        oldest=min(r.offering.as_of for r in old),
        offerings=tuple(r.offering.id for r in old),
        ranked=len(ranked),
        validity_days=validity_days,
        issued=issued,
    )
