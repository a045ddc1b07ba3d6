"""Sweeps for the charts: cost and latency against concurrency, and the VRAM floor table.

Owns two pure questions the TUI draws (no physics of its own — every number comes from the
core's `estimate`/`memory_breakdown` and the ranking's `cost_of`):

- `sweep_quote`: for chosen results of a quote, keep each one's deployment shape (layout per
  replica, precision) and rent one unit of it (the fewest whole nodes a replica needs, filled
  with as many replicas as fit), then ask the core what TPOT, TTFT and USD per million output
  tokens it gives at concurrency 1, 2, 4, …; the knee of that curve is what a buyer trades.
- `vram_floors`: the fewest GPUs whose memory holds a model's weights, workspace and one
  sequence of KV at a context, per model × accelerator × weight format — the search of
  `advisor floors` (`advisor.search.floors.smallest_layout`), so both agree.

Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from advisor.catalog.world import World
from advisor.core.deployment import Deployment
from advisor.core.disagg import disagg_estimate
from advisor.core.types import Layout, Load, Precision
from advisor.quote.build import Quote
from advisor.search.disagg import pools_label
from advisor.search.feasibility import Failure
from advisor.search.features import load_features
from advisor.search.ranking import Result, cost_of, node_price_usd
from advisor.search.space import Physics, core_physics

DEFAULT_CONCURRENCIES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class SweepPoint(NamedTuple):
    """One load on one unit: the latencies and cost the core predicts (None: does not fit)."""

    concurrency: int
    fits: bool
    tpot_s: float | None
    ttft_s: float | None
    output_tokens_per_s: float | None
    usd_per_million_output_tokens: float | None  # None also when the offering has no price


class Sweep(NamedTuple):
    """One offering's deployment shape swept over concurrency."""

    offering_id: str
    label: str  # e.g. "1 node · 2× TP4 · fp8"
    nodes: int
    points: tuple[SweepPoint, ...]


def unit_layout(layout: Layout, gpus_per_node: int) -> tuple[Layout, int]:
    """(layout with as many replicas as one rentable unit holds, nodes in that unit)."""
    per_replica = layout.gpus_per_replica
    nodes = -(-per_replica // gpus_per_node)
    replicas = max(1, nodes * gpus_per_node // per_replica)
    return dataclasses.replace(layout, replicas=replicas), nodes


def _shape(result: Result) -> tuple[Layout, Precision] | None:
    """The deployment a result chose, or the closest attempt that failed."""
    if result.candidate is not None:
        return result.candidate.layout, result.candidate.precision
    failure = result.failure
    if failure is not None and failure.layout is not None and failure.precision is not None:
        return failure.layout, failure.precision
    return None


def sweep_result(
    quote: Quote, world: World, result: Result, concurrencies: tuple[int, ...] = DEFAULT_CONCURRENCIES,
    *, physics: Physics | None = None,
) -> Sweep | None:
    """The curve for one result's deployment shape, or None when it never got a layout."""
    shape = _shape(result)
    hw = result.hardware
    if shape is None or hw is None:
        return None
    layout, nodes = unit_layout(shape[0], result.offering.gpus_per_node)
    precision = shape[1]
    price = node_price_usd(result.offering, quote.request, world)
    r, settings = quote.request, world.settings
    estimate = (physics or core_physics()).estimate
    pools = result.candidate.pools if result.candidate is not None else None
    if pools is not None:  # the pools as quoted, swept over the same loads
        layout, nodes = pools.decode, result.candidate.nodes if result.candidate is not None else 1
    points = []
    for users in concurrencies:
        load = Load(r.input_tokens, r.output_tokens, concurrency=users, max_context=r.max_context,
                    **load_features(r))
        deployment = Deployment(model=quote.model, accelerator=hw.accelerator, fabric=hw.fabric,
                                layout=layout, precision=precision, load=load, factors=hw.efficiency)
        kw = dict(tenancy_factor=hw.tenancy_factor, memory_fraction=settings.engine_memory_fraction,
                  comm_share_target=settings.comm_share_target)
        if pools is not None:
            prefill = dataclasses.replace(deployment, layout=pools.prefill)
            est = disagg_estimate(prefill, deployment, pools.link, **kw).estimate
        else:
            est = estimate(deployment, **kw)
        if not est.memory.fits:
            points.append(SweepPoint(users, False, None, None, None, None))
            continue
        usd = None
        if not isinstance(price, Failure):
            usd = cost_of(price, nodes, est, utilization=r.utilization,
                          hours_per_month=settings.hours_per_month).usd_per_million_output_tokens
        points.append(SweepPoint(users, True, est.tpot_s, est.ttft_s, est.output_tokens_per_s, usd))
    shown = pools_label(pools) if pools is not None else f"{layout.replicas}× TP{layout.tp}" + (
        f"·PP{layout.pp}" if layout.pp > 1 else "")
    label = f"{nodes} node{'s' if nodes > 1 else ''} · {shown} · {precision.weights}"
    return Sweep(result.offering.id, label, nodes, tuple(points))


def sweep_quote(
    quote: Quote, world: World, offering_ids: list[str],
    concurrencies: tuple[int, ...] = DEFAULT_CONCURRENCIES,
) -> list[Sweep]:
    """Curves for the named offerings of a quote, in the order given (unsweepable ones skipped)."""
    by_id = {result.offering.id: result for result in quote.results}
    physics = core_physics()
    sweeps = []
    for offering_id in offering_ids:
        result = by_id.get(offering_id)
        found = sweep_result(quote, world, result, concurrencies, physics=physics) if result else None
        if found is not None:
            sweeps.append(found)
    return sweeps


# -- VRAM floors -----------------------------------------------------------------------------

class Floor(NamedTuple):
    """Fewest GPUs holding a model on one accelerator in one weight format."""

    model_id: str
    accelerator_id: str
    weights: str
    gpus: int | None  # None: more than `advisor floors` tries, or not native (see `note`)
    note: str = ""  # "not native", or a limit of `advisor.search.floors.LIMITS` (">64", ">1 node")


def floor_for(world: World, model_id: str, accelerator_id: str, weights: str, context: int) -> Floor:
    """The smallest GPU count holding weights, workspace and one sequence: `advisor floors`'
    own search (`smallest_layout`), plus "not native" where the search never uses the format."""
    from advisor.search.floors import no_floor, smallest_layout

    model, acc = world.models[model_id], world.accelerators[accelerator_id]
    if weights not in acc.native_weight_dtypes:
        return Floor(model_id, accelerator_id, weights, None, "not native")
    kv = "bf16" if "bf16" in acc.native_weight_dtypes else "fp16"
    layout = smallest_layout(model, acc, Precision(weights, kv), context, 1,
                             world.settings.engine_memory_fraction)
    if layout is None:
        return Floor(model_id, accelerator_id, weights, None, no_floor(acc))
    return Floor(model_id, accelerator_id, weights, layout.gpus)


def vram_floors(
    world: World, model_ids: list[str], accelerator_ids: list[str], weights: tuple[str, ...],
    context: int,
) -> list[Floor]:
    """Floors for every model × accelerator × weight format (models as given, then GPUs)."""
    found: list[Floor] = []
    for model_id in model_ids:
        ctx = min(context, world.models[model_id].max_context)
        for accelerator_id in accelerator_ids:
            found.extend(floor_for(world, model_id, accelerator_id, w, ctx) for w in weights)
    return found


def models_by_size(world: World) -> list[str]:
    """Model ids from the smallest to the largest total parameter count."""
    return [m.id for m in sorted(world.models.values(), key=lambda m: (m.total_params, m.id))]
