"""What a quote rests on: the `Assumption`s (request, settings, efficiency and tenancy factors,
each with its source) and the `Source` files the world was read from, with hashes. Must not
import rich, textual, httpx or pint.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import PurePath
from typing import NamedTuple

from advisor.catalog.world import Origin, World
from advisor.core.efficiency import band_pct, band_text
from advisor.domain import EfficiencyFactors, ModelProfile
from advisor.search.ranking import Result
from advisor.search.request import QuoteRequest
from advisor.shorthands import format_tokens


class Assumption(NamedTuple):
    """One input the numbers rest on, shown in every format."""

    name: str
    value: str
    source: str = ""


class Source(NamedTuple):
    """A file (or URL) the quote read, with its hash and as-of date."""

    path: str
    layer: str
    sha256: str
    as_of: str
    role: str = "data"



def assumptions(
    request: QuoteRequest, world: World, model: ModelProfile, results: Iterable[Result]
) -> list[Assumption]:
    """Every input the numbers rest on: request, settings, efficiency and tenancy factors."""
    r, settings = request, world.settings
    items = [
        Assumption("model", f"{model.id} ({model.total_params / 1e9:.1f}B parameters)", model.source),
        Assumption("context", f"{format_tokens(r.max_context)} tokens ({r.max_context}); k = 1024"),
        Assumption("tokens per request", f"{r.input_tokens} in, {r.output_tokens} out"),
        Assumption("load", r.load_label),
        Assumption("targets", _targets(r)),
        Assumption("weights allowed", ", ".join(r.weights)),
        Assumption("KV cache dtypes allowed", ", ".join(r.kv_dtypes)),
        Assumption("engine", r.engine),
        Assumption("utilization", f"{r.utilization:.0%} of rented hours busy; $/Mtok divided by it"),
        Assumption("price term", _term_label(r.term)),
        Assumption("hours per month", f"{settings.hours_per_month:g}"),
        Assumption("engine memory fraction", f"{settings.engine_memory_fraction:.2f}"),
        Assumption("all-reduce share target", f"{settings.comm_share_target:.0%} of a decode step"),
        Assumption("currency", _currency(r.currency, world)),
        Assumption("quote validity", f"{settings.quote_validity_days} days from the date the prices were seen"),
    ]
    items += [Assumption("note", note) for note in r.notes]
    items += _factor_assumptions(world, results, model.moe is not None)
    return items


def _term_label(term: str) -> str:
    """The term every line is priced at; spot warns that the capacity can be taken back."""
    if term == "spot":
        return "spot (every line at its spot price; the provider may reclaim spot capacity at short notice)"
    return f"{term} (every line at its {term} price; offerings without one are left out)"


def _targets(r: QuoteRequest) -> str:
    parts = []
    if r.ttft_s is not None:
        parts.append(f"TTFT ≤ {r.ttft_s:g} s")
    if r.tpot_s is not None:
        speed = f" ({r.min_tokens_per_s:g} tok/s per user)" if r.min_tokens_per_s else ""
        parts.append(f"TPOT ≤ {r.tpot_s * 1e3:.4g} ms{speed}")
    return ", ".join(parts) or "none"


def _currency(code: str, world: World) -> str:
    rates = dict(world.settings.currency_rates)
    if code == "USD":
        return "USD (prices in other currencies converted with configured rates)"
    return f"{code} at {rates.get(code, 0):g} USD per {code}"


def _factor_assumptions(world: World, results: Iterable[Result], moe: bool) -> list[Assumption]:
    efficiency: dict[str, Assumption] = {}
    tenancy: dict[str, Assumption] = {}
    for result in results:
        hw = result.hardware
        if hw is None:
            continue
        e = hw.efficiency
        if e.id not in efficiency:
            efficiency[e.id] = _efficiency_assumption(e, moe)
        kind = result.offering.tenancy
        if kind not in tenancy:
            factor = world.tenancy.get(kind)
            tenancy[kind] = Assumption(
                f"tenancy {kind}",
                f"{factor.factor:.2f} of bare-metal throughput" if factor else "1.00 (no factor configured)",
                factor.source if factor else "",
            )
    return [efficiency[k] for k in sorted(efficiency)] + [tenancy[k] for k in sorted(tenancy)]


def _efficiency_assumption(e: EfficiencyFactors, moe: bool) -> Assumption:
    # a prior without a band: the band's own words say "prior, not fitted"
    fit = f", fitted to {e.rows} rows" if e.rows else (", prior (not fitted)" if band_pct(e, moe) is not None else "")
    err = f", median error {e.median_abs_pct_error:.0f} %" if e.median_abs_pct_error is not None else ""
    return Assumption(
        f"efficiency {e.id}",
        f"η_mem {e.eta_mem:.2f}, η_compute {e.eta_compute:.2f}, η_prefill {e.eta_prefill:.2f}, "
        f"α {e.alpha_s * 1e6:.1f} µs, t_fixed {e.t_fixed_s * 1e3:.1f} ms{fit}{err}; "
        f"error band: {band_text(e, moe)}",
        e.source,
    )


def sources(world: World) -> list[Source]:
    """Every file the world was built from, in load order.

    Built-in files are named inside the package (`advisor/catalogs/aws.toml`), not by where it
    happens to be installed, so a quote does not leak a local path and reads the same anywhere;
    their sha256 identifies the content.
    """
    return [
        Source(_shown_path(o), o.layer, o.sha256, o.as_of, getattr(o, "role", "data")) for o in world.files
    ]


def _shown_path(origin: Origin) -> str:
    if origin.layer != "built-in":
        return origin.path
    path = PurePath(origin.path)
    for package, root in _builtin_roots():
        if path.parent == root:
            return f"{package.replace('.', '/')}/{path.name}"
    return origin.path


@functools.cache
def _builtin_roots() -> tuple[tuple[str, PurePath], ...]:
    from advisor.catalog.paths import BUILTIN_PACKAGES, package_root

    return tuple((package, PurePath(str(package_root(package)))) for package in BUILTIN_PACKAGES)
