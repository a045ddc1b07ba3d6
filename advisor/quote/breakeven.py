"""Break-even against hosted APIs: the cheapest per-token API price for the quoted model and
token mix, next to what a rented deployment costs per million tokens, and the utilization (and
monthly token volume) above which renting is cheaper.

Units, kept straight:
- API price for the mix, USD per million tokens (input and output together):
  p = (in × ((1 − c) × p_in + c × p_cached) + out × p_out) / (in + out), with `in`/`out` the
  request's tokens and `c` the share of input served from the host's prompt cache (0: the
  request states no prefix-hit rate);
- tokens per hour at full load, T = (input + output tokens/s of the deployment at its sized load) × 3600;
- the deployment's cost per million tokens at utilization u: C(u) = USD per hour / (T × u) × 10⁶
  (the quote's blended cost per million tokens);
- break-even utilization u* = USD per hour / (p / 10⁶ × T): above it, renting is cheaper;
  u* > 1 means the API is cheaper even with the deployment busy every hour;
- break-even monthly volume V* = USD per month / (p / 10⁶) = u* × T × hours per month.
Amounts are USD inside and `Money` in the quote's currency for display. Must not import rich,
textual, httpx or pint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from advisor.domain import ApiPrice
from advisor.quote.parts import Money, Pricing
from advisor.search.ranking import SECONDS_PER_HOUR, Result

CACHED_SHARE = 0.0  # no prefix-hit rate in a request yet: every input token at the full price


class ApiReference(NamedTuple):
    """The cheapest hosted API for one model and token mix."""

    model: str  # model id
    price: ApiPrice | None  # None: no API price for the model
    usd_per_million_tokens: float  # blended for the mix; 0.0 without a price
    input_tokens: int
    output_tokens: int
    cached_share: float = CACHED_SHARE
    considered: int = 0  # API prices the catalog has for the model


class BreakEven(NamedTuple):
    """One deployment against the API reference."""

    reference: ApiReference
    usd_per_hour: float
    tokens_per_hour_full_load: float  # input + output
    utilization: float  # the quote's
    hours_per_month: float
    api_per_million_tokens: Money | None  # the reference in the quote's currency
    cluster_per_million_tokens: Money  # at the quote's utilization, input + output tokens
    cluster_per_million_tokens_full_load: Money  # every rented hour busy

    @property
    def break_even_utilization(self) -> float | None:
        """u* = USD per hour / (API USD per token × tokens per hour at full load); None without a price."""
        api_usd_per_token = self.reference.usd_per_million_tokens / 1e6
        if self.reference.price is None or api_usd_per_token <= 0 or self.tokens_per_hour_full_load <= 0:
            return None
        return self.usd_per_hour / (api_usd_per_token * self.tokens_per_hour_full_load)

    @property
    def break_even_tokens_per_month(self) -> float | None:
        """V* = USD per month / API USD per token: the monthly volume above which renting is cheaper."""
        u = self.break_even_utilization
        return None if u is None else u * self.tokens_per_hour_full_load * self.hours_per_month

    @property
    def full_load_tokens_per_month(self) -> float:
        return self.tokens_per_hour_full_load * self.hours_per_month

    @property
    def cheaper_than_api(self) -> bool | None:
        """Whether the deployment beats the API at the quote's utilization (None without a price)."""
        u = self.break_even_utilization
        return None if u is None else self.utilization > u

    @property
    def short(self) -> str:
        """One line for the table footer: the API's price, this deployment's, and u*."""
        ref = self.reference
        if ref.price is None or self.api_per_million_tokens is None:
            return f"API reference: no hosted API price for {ref.model} in the catalog, so no break-even"
        u, volume = self.break_even_utilization, self.break_even_tokens_per_month
        assert u is not None and volume is not None
        head = (f"API reference: {ref.price.provider} {self.api_per_million_tokens.text(4)}/Mtok for "
                f"{ref.input_tokens} in / {ref.output_tokens} out vs rank 1 "
                f"{self.cluster_per_million_tokens.text(4)}/Mtok at {self.utilization:.0%} utilization")
        if u > 1:
            return f"{head}; the API is cheaper at any utilization (break-even {u:.0%})"
        return (f"{head}; renting is cheaper above {u:.1%} utilization "
                f"({volume / 1e6:,.0f} million tokens a month)")

    @property
    def text(self) -> str:
        """The comparison in one paragraph (every number with its unit)."""
        ref = self.reference
        if ref.price is None or self.api_per_million_tokens is None:
            return (f"No hosted API price for {ref.model} in the catalog, so no break-even: add "
                    "[[api_price]] tables or import the LiteLLM price map (advisor catalog import litellm).")
        return f"{_reference_text(self)} {_verdict_text(self)}"


def api_reference(model: str, prices: Mapping[str, ApiPrice], input_tokens: int, output_tokens: int,
                  cached_share: float = CACHED_SHARE) -> ApiReference:
    """The cheapest API price for `model` at this token mix (ties: the lower id)."""
    mine = [p for p in prices.values() if p.model == model]
    if not mine:
        return ApiReference(model, None, 0.0, input_tokens, output_tokens, cached_share, 0)
    blended = sorted((p.usd_per_million_blended(input_tokens, output_tokens, cached_share), p.id, p) for p in mine)
    usd, _, cheapest = blended[0]
    return ApiReference(model, cheapest, usd, input_tokens, output_tokens, cached_share, len(mine))


def break_even(result: Result | None, reference: ApiReference, pricing: Pricing,
               utilization: float) -> BreakEven | None:
    """One priced deployment against the reference; None when the result has no cost."""
    if result is None or result.cost is None or result.estimate is None:
        return None
    tokens_per_hour = max(result.estimate.total_tokens_per_s, 0.0) * SECONDS_PER_HOUR
    usd_per_hour = result.cost.usd_per_hour
    full_load = usd_per_hour / tokens_per_hour * 1e6 if tokens_per_hour > 0 else float("inf")
    return BreakEven(
        reference=reference, usd_per_hour=usd_per_hour, tokens_per_hour_full_load=tokens_per_hour,
        utilization=utilization, hours_per_month=pricing.hours_per_month,
        api_per_million_tokens=pricing.money(reference.usd_per_million_tokens) if reference.price else None,
        cluster_per_million_tokens=pricing.money(full_load / utilization),
        cluster_per_million_tokens_full_load=pricing.money(full_load),
    )


def _reference_text(be: BreakEven) -> str:
    ref, price = be.reference, be.reference.price
    assert price is not None and be.api_per_million_tokens is not None
    cached = (f", {price.usd_per_million_cached_input:g} cached" if price.usd_per_million_cached_input is not None
              else "")
    others = f", cheapest of {ref.considered}" if ref.considered > 1 else ""
    return (f"Hosted API: {price.provider} {price.api_model or price.model} at "
            f"{be.api_per_million_tokens.text(4)} per million tokens for {ref.input_tokens} in / "
            f"{ref.output_tokens} out (USD {price.usd_per_million_input:g} in, "
            f"{price.usd_per_million_output:g} out{cached} per million{others}, seen "
            f"{price.as_of.isoformat()}); this deployment: {be.cluster_per_million_tokens.text(4)} per million "
            f"tokens at {be.utilization:.0%} utilization, {be.cluster_per_million_tokens_full_load.text(4)} "
            "with every rented hour busy.")


def _verdict_text(be: BreakEven) -> str:
    u, volume = be.break_even_utilization, be.break_even_tokens_per_month
    assert u is not None and volume is not None
    if u > 1:
        return (f"The API is cheaper at any utilization: renting would break even only at {u:.0%} busy, "
                f"{volume / 1e6:,.0f} million tokens a month, more than the "
                f"{be.full_load_tokens_per_month / 1e6:,.0f} million this deployment serves.")
    now = "cheaper" if be.utilization > u else "dearer"
    return (f"Renting is cheaper above {u:.1%} utilization, i.e. above {volume / 1e6:,.0f} million tokens a "
            f"month (input + output; {be.full_load_tokens_per_month / 1e6:,.0f} million at full load); at "
            f"{be.utilization:.0%} it is {now} than the API.")
