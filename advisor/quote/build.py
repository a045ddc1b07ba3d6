"""`build_quote(request, world) -> Quote`: the one entry point both the CLI and the TUI call.

Owns the `Quote` object (request, ranked results, excluded offerings, assumptions and sources
(`advisor.quote.assumptions`),
warnings, display currency; quote number, issue and valid-until dates, the itemized
recommendation, the next best alternatives, whether the top two are within each other's error
band, which ranked prices are older than the quote validity, `advisor.quote.staleness`, and the
break-even against hosted APIs, `advisor.quote.breakeven`) and
the message that says what to relax when nothing is feasible. The search lives
in `advisor.search.space`, per-offering cost and order in `advisor.search.ranking`, the
procurement parts in `advisor.quote.parts`; the rendering in `advisor.views` and
`advisor.export`. To extend a quote add fields with defaults to `Quote` and fill them in
`assemble_quote`.

The issue date is injectable (`build_quote(..., issued=date(...))`) so a quote is reproducible;
the quote number depends only on the request, the data files' hashes and the tool version.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import time
from datetime import date
from typing import NamedTuple

from advisor import __version__
from advisor.catalog.world import World
from advisor.core.types import Precision
from advisor.domain import ModelProfile
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, did_you_mean
from advisor.quote.assumptions import Assumption, Source, assumptions, sources
from advisor.quote.bands import CloseCall, close_call, error_band, error_band_text
from advisor.quote.breakeven import ApiReference, BreakEven, api_reference, break_even
from advisor.quote.parts import (
    ESTIMATE_NOTE,
    Alternative,
    Pricing,
    Recommendation,
    alternatives,
    prices_as_of,
    quote_number,
    recommendation,
    valid_until,
)
from advisor.quote.staleness import StalePrices, stale_prices
from advisor.search.layout_table import LayoutRow, compare_layouts
from advisor.search.ranking import Result, evaluate_offering, excluded_reason, rank, usd_per_unit
from advisor.search.request import QuoteRequest
from advisor.search.sizing import Searcher
from advisor.search.space import Physics, core_physics, weight_choices


class SearchStats(NamedTuple):
    """How much work the search did (for benchmarks and --explain)."""

    offerings: int
    searched: int
    hardware: int
    estimates: int
    seconds: float


class Quote(NamedTuple):
    """A complete answer: what was asked, every offering's result in rank order, and why."""

    request: QuoteRequest
    model: ModelProfile
    results: tuple[Result, ...]  # feasible first (rank 1, 2, …), then infeasible, closest first
    excluded: tuple[tuple[str, str], ...]  # (offering id, filter that dropped it)
    assumptions: tuple[Assumption, ...]
    sources: tuple[Source, ...]
    warnings: tuple[str, ...]
    currency: str
    usd_per_unit: float  # USD per unit of `currency` (1.0 for USD)
    hours_per_month: float
    stats: SearchStats
    tool_version: str = __version__
    number: str = ""  # deterministic: see advisor.quote.parts.quote_number
    issued: date | None = None
    valid_until: date | None = None  # None when nothing is priced
    validity_days: int = 30
    prices_as_of: date | None = None  # oldest price date among the recommended line items
    recommendation: Recommendation | None = None
    alternatives: tuple[Alternative, ...] = ()
    flagged: tuple[str, ...] = ()  # offerings in `results` whose price drew a warning, in rank order
    note: str = ESTIMATE_NOTE
    close_call: CloseCall | None = None  # the top two are within each other's error band
    stale: StalePrices | None = None  # ranked prices older than the validity (see `diagnostics`)
    engine_memory_fraction: float = 0.9  # the share of GPU memory every estimate let the engine use
    api_reference: ApiReference | None = None  # the cheapest hosted API for the model and token mix
    break_even: BreakEven | None = None  # the recommendation against it (`advisor.quote.breakeven`)
    layouts: tuple[LayoutRow, ...] = ()  # every layout tried on one offering (--explain), with reasons
    layouts_offering: str = ""  # that offering's id (see `build_quote`'s layouts_for)

    @property
    def expired(self) -> bool:
        """The prices are older than the validity already on the issue date."""
        return self.valid_until is not None and self.issued is not None and self.valid_until < self.issued

    @property
    def diagnostics(self) -> tuple[str, ...]:
        """Every warning about this quote: the data's and search's (`warnings`), the stale
        prices, and the close call between the top two (JSON `warnings`, documents, stderr)."""
        extra = [self.stale.text] if self.stale is not None else []
        extra += [self.close_call.text] if self.close_call is not None else []
        return (*self.warnings, *extra)

    @property
    def feasible(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.feasible)

    @property
    def infeasible(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if not r.feasible)

    @property
    def best(self) -> Result | None:
        return self.feasible[0] if self.feasible else None

    @property
    def moe(self) -> bool:
        """The model is a mixture of experts (its rows take the entries' MoE bands)."""
        return self.model.moe is not None

    def band_pct(self, result: Result) -> float | None:
        """The ± error band (%) of one row's predictions (None: prior, no band, or no entry)."""
        return error_band(result, self.moe)

    def band_text(self, result: Result) -> str | None:
        """The band of one row in words (None: the row never got an efficiency entry)."""
        return error_band_text(result, self.moe)

    def break_even_of(self, result: Result) -> BreakEven | None:
        """Any priced row against the API reference (the recommendation's is `break_even`)."""
        if self.api_reference is None:
            return None
        pricing = Pricing(self.currency, self.usd_per_unit, self.hours_per_month, self.request.term)
        return break_even(result, self.api_reference, pricing, self.request.utilization)

    def in_currency(self, usd: float | None) -> float | None:
        """An amount in the quote's currency."""
        return None if usd is None else usd / self.usd_per_unit

    def result_for(self, name: str) -> Result:
        """The result of one offering by id or SKU (for --explain); unknown names exit 2."""
        for result in self.results:
            if name in (result.offering.id, result.offering.sku):
                return result
        for offering_id, why in self.excluded:
            if name == offering_id:
                raise AdvisorError(f"offering {name!r} was filtered out: {why}", exit_code=EXIT_BAD_INPUT)
        ids = [r.offering.id for r in self.results] + [o for o, _ in self.excluded]
        raise AdvisorError(f"unknown offering {name!r}{did_you_mean(name, ids)}", exit_code=EXIT_BAD_INPUT)


def build_quote(
    request: QuoteRequest, world: World, *, physics: Physics | None = None, issued: date | None = None,
    layouts_for: str | None = None,
) -> Quote:
    """Search every offering for this request, rank the results and collect the assumptions.

    `issued` is the issue date (today when None): pass one for reproducible documents.
    `layouts_for` (an offering id or SKU, as `--explain` names it) sizes every layout on that
    offering side by side (`Quote.layouts`); without it none are (sizing each layout without
    pruning costs as much as the search itself: bench_search.py, 8b at 8 req/s 90 → 130 ms).
    """
    started = time.perf_counter()
    rate = usd_per_unit(request.currency, world)
    if rate is None:
        raise AdvisorError(
            f"no exchange rate for {request.currency}: set currency_rates in the team config's "
            "[defaults], or use --currency USD",
            exit_code=EXIT_BAD_INPUT,
        )
    model = world.models.get(request.model) or world.model(request.model)
    settings = world.settings
    searcher = Searcher(request, model, physics or core_physics(),
                        memory_fraction=settings.engine_memory_fraction,
                        comm_share_target=settings.comm_share_target)
    issued = issued or date.today()
    excluded: list[tuple[str, str]] = []
    results: list[Result] = []
    for offering in sorted(world.offerings.values(), key=lambda o: o.id):
        why = excluded_reason(offering, request, issued)
        if why is not None:
            excluded.append((offering.id, why))
        else:
            results.append(evaluate_offering(searcher, world, offering))
    stats = SearchStats(
        offerings=len(world.offerings),
        searched=len(results),
        hardware=len({key[0] for key in searcher.outcomes}),
        estimates=searcher.calls,
        seconds=time.perf_counter() - started,
    )
    ranked = rank(results, request.sort)
    layouts_offering, layouts = _layouts(searcher, ranked, layouts_for)
    return assemble_quote(request, world, model, ranked, tuple(excluded), rate, stats, issued=issued,
                          layouts=layouts, layouts_offering=layouts_offering)


def _layouts(searcher: Searcher, ranked: tuple[Result, ...],
             name: str | None) -> tuple[str, tuple[LayoutRow, ...]]:
    """(offering id, every layout on it): the named offering at the precision its row chose
    (else the smallest allowed format, the likeliest to fit); nothing without a name."""
    chosen = [r for r in ranked if name in (r.offering.id, r.offering.sku)] if name else []
    if not chosen or chosen[0].hardware is None:
        return "", ()
    result = chosen[0]
    assert result.hardware is not None
    if result.candidate is not None:
        precision = result.candidate.precision
    else:
        weights = weight_choices(result.hardware.accelerator, searcher.request.weights)
        if not weights:
            return "", ()
        precision = Precision(weights[0], searcher.request.kv_dtypes[0])
    return result.offering.id, compare_layouts(searcher, result.hardware, precision)


def assemble_quote(
    request: QuoteRequest, world: World, model: ModelProfile, results: tuple[Result, ...],
    excluded: tuple[tuple[str, str], ...], rate: float, stats: SearchStats, *, issued: date | None = None,
    layouts: tuple[LayoutRow, ...] = (), layouts_offering: str = "",
) -> Quote:
    """Wrap ranked results with assumptions, sources, warnings, the quote number and dates, the
    itemized recommendation and the next best alternatives."""
    warnings = list(world.warnings)
    missing = sorted({r.offering.tenancy for r in results if r.offering.tenancy not in world.tenancy})
    warnings += [f"no tenancy factor for {kind}: throughput taken as bare metal (1.0)" for kind in missing]
    settings = world.settings
    pricing = Pricing(request.currency, rate, settings.hours_per_month, request.term)
    feasible = tuple(r for r in results if r.feasible)
    best = recommendation(request, feasible[0] if feasible else None, pricing, settings.engine_memory_fraction)
    issued = issued or date.today()
    as_of = prices_as_of([best.result] if best else [])
    reference = api_reference(model.id, world.api_prices, request.input_tokens, request.output_tokens)
    return Quote(
        request=request,
        model=model,
        results=results,
        excluded=excluded,
        assumptions=tuple(assumptions(request, world, model, results)),
        sources=tuple(sources(world)),
        warnings=tuple(warnings),
        currency=request.currency,
        usd_per_unit=rate,
        hours_per_month=settings.hours_per_month,
        stats=stats,
        number=quote_number(request, world.files, __version__),
        issued=issued,
        valid_until=valid_until(issued, as_of, settings.quote_validity_days),
        validity_days=settings.quote_validity_days,
        prices_as_of=as_of,
        recommendation=best,
        alternatives=alternatives(feasible, pricing, request.sort),
        flagged=tuple(r.offering.id for r in results if r.offering.id in world.flagged),
        close_call=close_call(feasible, model.moe is not None) if request.sort == "mtok" else None,
        stale=stale_prices(results, issued, settings.quote_validity_days),
        engine_memory_fraction=settings.engine_memory_fraction,
        api_reference=reference,
        break_even=break_even(best.result if best else None, reference, pricing, request.utilization),
        layouts=layouts,
        layouts_offering=layouts_offering,
    )


def nothing_feasible_message(quote: Quote) -> str:
    """What to relax when no offering is feasible: the closest offering and what binds."""
    searched = len(quote.results)
    filtered = f", {len(quote.excluded)} filtered out" if quote.excluded else ""
    if not quote.results:
        first = f"; e.g. {quote.excluded[0][0]}: {quote.excluded[0][1]}" if quote.excluded else ""
        return f"no offering passes the filters ({len(quote.excluded)} filtered out{first}): relax the filters"
    closest = quote.results[0]
    failure = closest.failure
    relax = f"; try {failure.relax}" if failure is not None and failure.relax else ""
    reason = closest.reasons[0] if closest.reasons else "infeasible"
    return (
        f"no feasible offering ({searched} searched{filtered}). Closest: {closest.offering.id}: "
        f"{reason}{relax}"
    )
