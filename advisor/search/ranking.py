"""Per-offering results: filters, price and currency, cost per token, and the ranking order.

Owns the cost arithmetic (design/model.md section 3) and the deterministic total order of
results. For each offering that passes the filters it asks the search for its hardware's
candidates (price-free), prices them, applies the budget, and keeps the cheapest per million
output tokens, or the binding reason with numbers. Must not import rich, textual, httpx or pint.

Cost conventions (all amounts USD inside; display converts):
- usd_per_hour = nodes × node price under the requested term (× USD per unit of its currency);
- usd_per_month = usd_per_hour × hours_per_month (rented around the clock);
- usd_per_million_output_tokens = usd_per_hour / (output tokens/s × 3600 × utilization) × 10⁶:
  the whole cluster charged to output tokens — the default ranking key (`SORT_KEYS` holds the
  others: monthly cost, TPOT, TTFT; `--sort` picks one);
- the split pair prices input and output tokens separately by GPU-time share: the core's
  `Estimate.prefill_share` of replica time goes to input tokens, the rest to output tokens,
  so input × price_in + output × price_out equals the cost;
- blended = usd_per_hour / ((input + output) tokens/s × 3600 × utilization) × 10⁶.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from advisor.catalog.world import World
from advisor.core.types import Estimate
from advisor.domain import Accelerator, EfficiencyFactors, Offering
from advisor.errors import AdvisorError
from advisor.search.feasibility import PROGRESS, Failure
from advisor.search.providers import matches_provider
from advisor.search.request import QuoteRequest, Sort
from advisor.search.sizing import Searcher
from advisor.search.space import Candidate, Hardware, make_hardware

SECONDS_PER_HOUR = 3600.0
UNLIMITED_NODES = 1_000_000  # no cap: independent rentals scale out


class Cost(NamedTuple):
    """What a deployment costs, per hour, per month and per million tokens, in USD."""

    usd_per_hour: float
    usd_per_month: float
    usd_per_million_output_tokens: float  # whole cost over output tokens (ranking key)
    usd_per_million_input_tokens: float  # prefill share over input tokens
    usd_per_million_output_tokens_decode: float  # decode share over output tokens
    usd_per_million_tokens_blended: float  # whole cost over input + output tokens
    prefill_share: float  # share of GPU time spent on prompts


class Result(NamedTuple):
    """One offering's answer: its best feasible deployment and cost, or why it has none."""

    offering: Offering
    accelerator: Accelerator | None
    feasible: bool
    reasons: tuple[str, ...]
    hardware: Hardware | None = None
    candidate: Candidate | None = None  # chosen deployment (also set when only the budget fails)
    cost: Cost | None = None
    failure: Failure | None = None
    rank: int | None = None  # 1-based among feasible results

    @property
    def estimate(self) -> Estimate | None:
        """The estimate behind this row: the chosen deployment, or the closest failed attempt."""
        if self.candidate is not None:
            return self.candidate.estimate
        return self.failure.estimate if self.failure is not None else None


def usd_per_unit(currency: str, world: World) -> float | None:
    """USD per one unit of `currency` from the team's settings; None when not configured."""
    if currency == "USD":
        return 1.0
    return dict(world.settings.currency_rates).get(currency)


def cost_of(
    usd_per_node_hour: float, nodes: int, est: Estimate, utilization: float, hours_per_month: float,
) -> Cost:
    """The cost arithmetic of model.md §3 for one deployment at one utilization."""
    usd_per_hour = usd_per_node_hour * nodes
    out_tps = max(est.output_tokens_per_s, 1e-30)
    in_tps = max(est.total_tokens_per_s - est.output_tokens_per_s, 0.0)
    prefill_share = min(max(est.prefill_share, 0.0), 1.0)  # the core's GPU-time share of prefill
    usd_per_busy_token = usd_per_hour / (SECONDS_PER_HOUR * utilization) * 1e6
    return Cost(
        usd_per_hour=usd_per_hour,
        usd_per_month=usd_per_hour * hours_per_month,
        usd_per_million_output_tokens=usd_per_busy_token / out_tps,
        usd_per_million_input_tokens=usd_per_busy_token * prefill_share / in_tps if in_tps > 0 else 0.0,
        usd_per_million_output_tokens_decode=usd_per_busy_token * (1 - prefill_share) / out_tps,
        usd_per_million_tokens_blended=usd_per_busy_token / (out_tps + in_tps),
        prefill_share=prefill_share,
    )


def excluded_reason(offering: Offering, request: QuoteRequest, issued: date | None = None) -> str | None:
    """Why a filter drops this offering before any search, or None when it passes; the price
    age limit counts days before `issued` (no limit applies without one)."""
    limit = request.max_price_age_days
    if limit is not None and issued is not None and (issued - offering.as_of).days > limit:
        return (f"price seen {offering.as_of.isoformat()}, {(issued - offering.as_of).days} days before "
                f"{issued.isoformat()}: older than the {limit}-day limit")
    if request.tenancies and offering.tenancy not in request.tenancies:
        return f"tenancy {offering.tenancy} is not {' or '.join(request.tenancies)}"
    if request.providers and not matches_provider(offering, request.providers):
        return f"provider {offering.provider} is not {', '.join(request.providers)}"
    if request.regions:
        sold = [region.lower() for region in offering.regions]
        if not any(want.lower() in region for want in request.regions for region in sold):
            where = ", ".join(offering.regions) or "no region listed"
            return f"sold in {where}, not {', '.join(request.regions)}"
    return None


def hardware_for(searcher: Searcher, world: World, offering: Offering) -> Hardware | Failure:
    """The price-free part of an offering the search works on, or why it cannot be searched."""
    acc = world.accelerators.get(offering.accelerator)
    if acc is None:
        return Failure("data", f"unknown accelerator {offering.accelerator!r}", math.inf)
    try:
        efficiency = _efficiency(searcher, world, acc, offering.id)
    except AdvisorError as err:
        return Failure("data", err.message, math.inf)
    tenancy = world.tenancy.get(offering.tenancy)
    return make_hardware(
        acc,
        searcher.physics.fabric_for_offering(offering, acc),
        efficiency,
        tenancy.factor if tenancy is not None else 1.0,
        node_cap=node_cap(offering, searcher.request),
        span_cap=offering.max_nodes if offering.multi_node else 1,
    )


def _efficiency(searcher: Searcher, world: World, acc: Accelerator, offering_id: str) -> EfficiencyFactors:
    """The core's choice of factors, asked once per accelerator (and per offering only when an
    entry names that offering), so 10,000 offerings do not repeat the same selection."""
    specific = searcher.memo.setdefault(
        "offering-specific", {f.offering for f in world.efficiency.values() if f.offering})
    key = ("efficiency", acc.id, offering_id if offering_id in specific else None)
    found = searcher.memo.get(key)
    if found is None:
        found = searcher.physics.select_efficiency(world.efficiency.values(), acc, searcher.request.engine, offering_id)
        searcher.memo[key] = found
    return found


def node_cap(offering: Offering, request: QuoteRequest) -> int:
    """Most nodes a deployment of this offering may use.

    A cluster seller's `max_nodes` (an offering with an inter-node fabric) caps the nodes rented
    together; offerings sold as single nodes scale out as independent rentals, one or more
    replicas each, so only --max-nodes caps them.
    """
    caps = [offering.max_nodes] if offering.multi_node else []
    if request.max_nodes is not None:
        caps.append(request.max_nodes)
    return min(caps) if caps else UNLIMITED_NODES


def node_price_usd(offering: Offering, request: QuoteRequest, world: World) -> float | Failure:
    """USD per node-hour under the requested term, or why there is none."""
    price = offering.price_for(request.term)
    if price is None:
        terms = ", ".join([offering.price_term] + [c.term for c in offering.commitments])
        return Failure("price", f"no {request.term} price (priced: {terms})", math.inf, f"--term {offering.price_term}")
    rate = usd_per_unit(offering.currency, world)
    if rate is None:
        return Failure(
            "price",
            f"price in {offering.currency}, no exchange rate configured "
            "(set currency_rates in the team config's [defaults])",
            math.inf,
        )
    return price * rate


def evaluate_offering(searcher: Searcher, world: World, offering: Offering) -> Result:
    """Best feasible deployment of one offering with its cost, or the binding reason."""
    acc = world.accelerators.get(offering.accelerator)
    hw = hardware_for(searcher, world, offering)
    if isinstance(hw, Failure):
        return _infeasible(offering, acc, None, hw)
    price = node_price_usd(offering, searcher.request, world)
    if isinstance(price, Failure):
        return _infeasible(offering, acc, hw, price)
    outcome = searcher.outcome(hw)
    if not outcome.candidates:
        assert outcome.failure is not None
        return _infeasible(offering, acc, hw, outcome.failure)
    chosen = _within_budget(searcher, world, hw, price, outcome.candidates)
    if chosen is None and searcher.request.max_usd_per_month is not None:
        chosen = _within_budget(searcher, world, hw, price, searcher.outcome(hw, prune=False).candidates)
    if chosen is None:
        return _over_budget(searcher, world, offering, acc, hw, price, outcome.candidates[0])
    candidate, cost = chosen
    return Result(offering, acc, True, (), hw, candidate, cost)


def _cost(searcher: Searcher, world: World, price: float, candidate: Candidate) -> Cost:
    r = searcher.request
    return cost_of(price, candidate.nodes, candidate.estimate, r.utilization,
                   world.settings.hours_per_month)


def _within_budget(
    searcher: Searcher, world: World, hw: Hardware, price: float, candidates: tuple[Candidate, ...]
) -> tuple[Candidate, Cost] | None:
    budget = searcher.request.max_usd_per_month
    for candidate in candidates:
        cost = _cost(searcher, world, price, candidate)
        if budget is None or cost.usd_per_month <= budget:
            return candidate, cost
    return None


def _over_budget(
    searcher: Searcher, world: World, offering: Offering, acc: Accelerator | None, hw: Hardware,
    price: float, candidate: Candidate,
) -> Result:
    budget = float(searcher.request.max_usd_per_month or 0.0)
    cost = _cost(searcher, world, price, candidate)
    hours = world.settings.hours_per_month
    message = (
        f"costs {cost.usd_per_month:,.0f} USD/month ({candidate.nodes} node(s) × {price:.2f} USD/h × "
        f"{hours:g} h) > budget {budget:,.0f} USD/month"
    )
    failure = Failure("budget", message, cost.usd_per_month / budget,
                      f"--max-usd-per-month {math.ceil(cost.usd_per_month)}",
                      candidate.layout, candidate.precision, candidate.estimate)
    return Result(offering, acc, False, (message,), hw, candidate, cost, failure)


def _infeasible(offering: Offering, acc: Accelerator | None, hw: Hardware | None, failure: Failure) -> Result:
    return Result(offering, acc, False, (failure.message,), hw, None, None, failure)


class SortKey(NamedTuple):
    """One basis the feasible results can be ranked by (`--sort NAME`); smaller is better."""

    name: Sort
    basis: str  # what the ranking is by, in words ("cost per million output tokens")
    quantity: str  # what a difference to rank 1 is a difference of ("monthly cost")
    column: str  # the documents' column that shows it ("Per month")
    value: Callable[[Result], float]  # of a feasible result (it has a cost and an estimate)


def _priced(result: Result) -> Cost:
    assert result.cost is not None
    return result.cost


def _estimated(result: Result) -> Estimate:
    assert result.estimate is not None
    return result.estimate


SORT_KEYS: dict[Sort, SortKey] = {
    "mtok": SortKey("mtok", "cost per million output tokens (the whole cluster charged to output tokens, at "
                    "the utilization)", "cost per million output tokens", "Per Mtok out",
                    lambda r: _priced(r).usd_per_million_output_tokens),
    "month": SortKey("month", "monthly cost of the deployment (sized for the requested load, or one unit without "
                     "one)", "monthly cost", "Per month", lambda r: _priced(r).usd_per_month),
    "tpot": SortKey("tpot", "time per output token (TPOT) at the quoted load", "TPOT", "TPOT",
                    lambda r: _estimated(r).tpot_s),
    "ttft": SortKey("ttft", "time to first token (TTFT) at the quoted load", "TTFT", "TTFT",
                    lambda r: _estimated(r).ttft_s),
}


def rank_key(result: Result, sort: Sort = "mtok") -> tuple[Any, ...]:
    """Total order: feasible by the sort key (`SORT_KEYS`), then $/Mtok output, $/month,
    provider, offering id, layout; infeasible after them, closest to feasible first."""
    o = result.offering
    if result.feasible and result.cost is not None and result.candidate is not None:
        c = result.candidate
        layout = (c.layout.tp, c.layout.pp, c.layout.ep, c.layout.replicas)
        return (0, SORT_KEYS[sort].value(result), result.cost.usd_per_million_output_tokens,
                result.cost.usd_per_month, o.provider.lower(), o.id, layout, c.precision.weights, c.precision.kv)
    failure = result.failure
    progress = PROGRESS.get(failure.kind, 0) if failure is not None else -9
    slack = failure.slack if failure is not None else math.inf
    return (1, -progress, slack, o.provider.lower(), o.id, (), "", "")


def rank(results: list[Result], sort: Sort = "mtok") -> tuple[Result, ...]:
    """Sort by `rank_key` on the sort key and number the feasible results 1, 2, …"""
    ordered = sorted(results, key=lambda result: rank_key(result, sort))
    ranked: list[Result] = []
    for position, result in enumerate(ordered, start=1):
        ranked.append(_with_rank(result, position) if result.feasible else result)
    return tuple(ranked)


def _with_rank(result: Result, position: int) -> Result:
    return result._replace(rank=position)
