"""Error bands of a quote's rows and the close call: each row carries the cross-validated band
of the efficiency entry it used (dense or MoE by the model), and when the top two cost less
apart than the larger of their bands the quote says the model cannot tell them apart. Pure.
"""

from __future__ import annotations

from typing import NamedTuple

from advisor.core.efficiency import band_pct, band_text
from advisor.search.ranking import Result


class CloseCall(NamedTuple):
    """The top two results cost less apart than the larger of their error bands: the model
    cannot say which is cheaper."""

    first: str  # offering id of rank 1
    second: str  # offering id of rank 2
    gap: float  # rank 2's cost per million output tokens over rank 1's, minus 1
    band_pct: float  # the larger of the two bands, ± %

    @property
    def text(self) -> str:
        return (f"rank 1 ({self.first}) and rank 2 ({self.second}) are {self.gap * 100:.1f} % apart in cost per "
                f"million output tokens, within their ±{self.band_pct:.0f} % error band: the model cannot tell "
                "which is cheaper")

    @property
    def short(self) -> str:
        return f"top two {self.gap * 100:.1f} % apart, within the ±{self.band_pct:.0f} % error band"


def error_band(result: Result, moe: bool) -> float | None:
    """The ± error band (%) of a row's predictions: the band of the efficiency entry it used,
    for a dense or MoE model; None for a prior, an entry without a band, or no entry."""
    hw = result.hardware
    return band_pct(hw.efficiency, moe) if hw is not None else None


def error_band_text(result: Result, moe: bool) -> str | None:
    """'±18 % (cross-validated on 54 rows)', 'prior, not fitted — no measurements', …; None
    when the row never got an efficiency entry (an unknown accelerator)."""
    hw = result.hardware
    return band_text(hw.efficiency, moe) if hw is not None else None


def close_call(feasible: tuple[Result, ...], moe: bool) -> CloseCall | None:
    """The top two when their costs per million output tokens differ by less than the larger of
    their two bands (relative to rank 1's cost); None otherwise, or when neither has a band."""
    if len(feasible) < 2:
        return None
    first, second = feasible[0], feasible[1]
    if first.cost is None or second.cost is None:
        return None
    bands = [b for b in (error_band(first, moe), error_band(second, moe)) if b is not None]
    low, high = first.cost.usd_per_million_output_tokens, second.cost.usd_per_million_output_tokens
    if not bands or low <= 0:
        return None
    gap = high / low - 1
    band = max(bands)
    if gap * 100 >= band:
        return None
    return CloseCall(first.offering.id, second.offering.id, gap, band)
