"""Invariants over generated inputs (hypothesis), beyond tests/test_core_properties.py:

- the loader turns near-valid catalog files (a valid one with keys dropped, renamed or added,
  values of the wrong type, NaN/inf, huge integers, unit strings and expressions, lines cut or
  repeated) into valid entries or problems, never another exception; problems raise as the one
  AdvisorError, one printable line each, at a line of the file;
- unit strings are linear in their number and case slips never read as another unit;
- through `build_quote`: a higher price never lowers cost per Mtok, the ranking is a total
  order that does not depend on the order offerings were loaded in, nor on the currency shown,
  and no rented cluster beats the roofline of its GPUs;
- through `estimate`: more intra-node link bandwidth never raises TPOT (HBM is covered there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_core_properties import deployments  # the core's own generator of valid deployments

from advisor.catalog.config import load_world
from advisor.catalog.loaders import KINDS, load_catalog_bytes
from advisor.catalog.toml_reader import raise_problems
from advisor.catalog.world import World
from advisor.core.deployment import Deployment
from advisor.core.fabric import fabric_for_gpu
from advisor.core.params import breakdown, shape
from advisor.core.serving import estimate
from advisor.domain.common import to_json
from advisor.domain.units import CURRENCIES, SPELLINGS, parse_price, parse_quantity
from advisor.domain.validation import validate
from advisor.errors import AdvisorError
from advisor.quote.build import build_quote
from advisor.search.ranking import rank_key
from advisor.search.request import build_request

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
ROOT = Path(__file__).resolve().parent.parent
_HEADER = re.compile(r"^\[\[([a-z]+)\]\]", re.M)


# -- near-valid catalog files ----------------------------------------------------------------

def _entries() -> list[tuple[str, dict[str, Any]]]:
    """Every built-in entry (and the unit-string fixture's) as (kind, table)."""
    found = []
    paths = [*ROOT.glob("catalogs/*.toml"), *ROOT.glob("profiles/*.toml"), ROOT / "tests/fixtures/gpu.toml"]
    for path in sorted(paths):
        for kind, items in tomllib.loads(path.read_text(encoding="utf-8")).items():
            found.extend((kind, item) for item in items if isinstance(items, list))
    return found


BASES = _entries()
ODD_VALUES = st.one_of(
    st.sampled_from([
        math.nan, math.inf, -math.inf, 10**30, -(10**30), 2**63, -1, 0, 0.0, -0.0, 1e-320, True, False,
        "", "80 GB", "80 GiB", "3.99 USD/h", "3.99 usd/h", "2300 USD/month", "10**10**10 GB", "32k",
        "1e999 TB/s", "nan GB", "-5 W", "[bold red]x[/]", "\x1b[2J", "\u202e", "x" * 3000, [], {},
        [1, [2, [3]]], {"a": {"b": {"c": 1}}}, dt.date(1, 1, 1), dt.datetime(2025, 1, 1, 12, 0),
        dt.time(7, 32), ["bf16", "int3"], {"bf16": "989 TFLOPS", "fp8": math.nan},
    ]),
    st.integers(), st.floats(), st.text(max_size=40),
)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _toml_value(value: Any) -> str:
    """A value as inline TOML (the tests' own writer: every type tomllib can return)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int | dt.date | dt.time):
        return value.isoformat() if not isinstance(value, int) else str(value)
    if isinstance(value, str):
        body = "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in value)
        return f'"{body}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


def to_toml(entries: list[tuple[str, dict[str, Any]]]) -> str:
    blocks = []
    for kind, table in entries:
        lines = [f"[[{_toml_key(kind)}]]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """One to three built-in entries, mutated a few times, written as TOML, maybe cut about."""
    entries = [(k, dict(t)) for k, t in draw(st.lists(st.sampled_from(BASES), min_size=1, max_size=3))]
    for _ in range(draw(st.integers(1, 4))):
        kind, table = entries[draw(st.integers(0, len(entries) - 1))]
        keys = sorted(table)
        key = draw(st.sampled_from(keys)) if keys else "id"
        action = draw(st.sampled_from(["drop", "swap", "rename", "add", "duplicate", "kind"]))
        if action == "drop":
            table.pop(key, None)
        elif action == "swap":
            table[key] = draw(ODD_VALUES)
        elif action == "rename":
            table[key[:-1] or "x"] = table.pop(key, 1)
        elif action == "add":
            table[draw(st.sampled_from(["notes2", "hbm_bandwith", "price", "memory"]))] = draw(ODD_VALUES)
        elif action == "duplicate":
            entries.append((kind, dict(table)))
        else:
            entries[entries.index((kind, table))] = (draw(st.sampled_from(["offerings", "gpu", "model"])), table)
    text = to_toml(entries)
    lines = text.splitlines(keepends=True)
    edit = draw(st.sampled_from(["none", "none", "cut", "repeat", "insert"]))
    if edit != "none" and lines:
        at = draw(st.integers(0, len(lines) - 1))
        if edit == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif edit == "repeat":
            lines.insert(at, lines[at])
        else:
            junk = ["[", "x = ", "= 1\n", '"\n', "[[offering]]\n", "\x00", "a.b.c = 1\n"]
            lines.insert(at, draw(st.sampled_from(junk)))
    return "".join(lines)


def test_the_writer_round_trips_every_base_entry() -> None:
    # The mutations mean something only if the unmutated documents load.
    for kind, table in BASES:
        loaded = load_catalog_bytes(to_toml([(kind, table)]).encode(), "base.toml")
        assert loaded.problems == (), [p.render() for p in loaded.problems]


@SETTINGS
@given(mutated_documents())
def test_loader_gives_valid_entries_or_one_error_type(text: str) -> None:
    loaded = load_catalog_bytes(text.encode("utf-8", "surrogatepass"), "m.toml")
    assert loaded.entries or loaded.problems
    for entry in loaded.entries:
        model = KINDS[entry.kind]
        assert isinstance(entry.value, model)
        assert validate(model, to_json(entry.value)) == entry.value  # a valid object
    line_count = text.count("\n") + 1
    try:
        raise_problems(loaded.problems)
    except AdvisorError as err:
        assert loaded.problems and err.exit_code == 2
        for line, problem in zip(err.lines(), err.problems, strict=True):
            assert line.startswith("m.toml") and line.isprintable(), line
            assert problem.line is None or 1 <= problem.line <= line_count
    else:
        assert not loaded.problems


# -- unit strings ----------------------------------------------------------------------------

UNITS = [(kind, spelling) for kind, spellings in SPELLINGS.items() for spelling in spellings]


@SETTINGS
@given(unit=st.sampled_from(UNITS), x=st.floats(0, 1e12, allow_nan=False),
       layout=st.sampled_from(["{x} {u}", "{x}{u}", "  {x}  {u}  ", "+{x} {u}"]))
def test_quantities_are_linear_in_their_number(unit: tuple[str, str], x: float, layout: str) -> None:
    kind, spelling = unit
    one = parse_quantity(f"1 {spelling}", kind)
    text = layout.format(x=repr(x), u=spelling)
    try:
        value = parse_quantity(text, kind)
    except ValueError as exc:
        assert len(text) > 40 or "too large" in str(exc), (text, str(exc))
        return
    assert value == pytest.approx(x * one, rel=1e-12, abs=0)


@SETTINGS
@given(unit=st.sampled_from(UNITS), flip=st.sampled_from([str.lower, str.upper, str.swapcase]))
def test_a_case_slip_never_reads_as_another_unit_silently(unit: tuple[str, str], flip: Any) -> None:
    kind, spelling = unit
    changed = flip(spelling)
    assume(changed != spelling)
    try:
        value = parse_quantity(f"2 {changed}", kind)
    except ValueError as exc:
        assert "unit" in str(exc) or "expected" in str(exc)
        return
    assert changed in SPELLINGS[kind]  # only an existing spelling of the same kind, e.g. Gb/s
    assert value == parse_quantity(f"2 {changed}", kind)


@SETTINGS
@given(x=st.floats(0, 1e4, allow_nan=False), currency=st.sampled_from(sorted(CURRENCIES)),
       per=st.sampled_from(["h", "hr", "hour"]))
def test_prices_keep_their_amount_and_currency(x: float, currency: str, per: str) -> None:
    amount, code = parse_price(f"{x!r} {currency}/{per}")
    assert (amount, code) == (pytest.approx(x, rel=1e-15, abs=0), currency)


# -- through build_quote -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world() -> World:
    return load_world(discover=False)


def small_world(world: World, ids: list[str]) -> World:
    return world._replace(offerings={i: world.offerings[i] for i in ids})


REQUESTS = [
    {"model": "llama-3.1-8b", "max_context": 8192},
    {"model": "llama-3.1-70b", "max_context": 16384, "concurrency": 32},
    {"model": "qwen3-30b-a3b", "max_context": 4096, "request_rate": 2.0},
]


@st.composite
def offering_sets(draw: st.DrawFn, world_ids: list[str]) -> list[str]:
    return draw(st.lists(st.sampled_from(world_ids), min_size=2, max_size=8, unique=True))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), request_index=st.integers(0, len(REQUESTS) - 1), scale=st.floats(1.001, 50.0))
def test_a_higher_price_never_lowers_cost_per_token(world: World, data: st.DataObject, request_index: int,
                                                    scale: float) -> None:
    offering_id = data.draw(st.sampled_from(sorted(world.offerings)))
    base = small_world(world, [offering_id])
    offering = base.offerings[offering_id]
    dearer = base._replace(offerings={offering_id: dataclasses.replace(offering,
        price_per_node_hour=offering.price_per_node_hour * scale)})
    request = build_request(base, **REQUESTS[request_index])
    cheap, costly = build_quote(request, base), build_quote(request, dearer)
    assume(cheap.feasible)
    (a,), (b,) = cheap.feasible, costly.feasible
    assert b.cost.usd_per_million_output_tokens >= a.cost.usd_per_million_output_tokens
    # The search is price-free, so the same deployment is chosen and the cost scales exactly.
    assert b.cost.usd_per_million_output_tokens == pytest.approx(a.cost.usd_per_million_output_tokens * scale)
    assert b.candidate.layout == a.candidate.layout and b.candidate.nodes == a.candidate.nodes


def _ranked(quote: Any) -> list[tuple[Any, ...]]:
    return [(r.offering.id, r.rank, r.feasible, r.cost.usd_per_million_output_tokens if r.cost else None)
            for r in quote.results]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), request_index=st.integers(0, len(REQUESTS) - 1))
def test_ranking_is_a_total_order_independent_of_load_order(world: World, data: st.DataObject,
                                                            request_index: int) -> None:
    ids = data.draw(offering_sets(sorted(world.offerings)))
    shuffled = data.draw(st.permutations(ids))
    one, other = small_world(world, ids), small_world(world, shuffled)
    request = build_request(one, **REQUESTS[request_index])
    first, second = build_quote(request, one), build_quote(request, other)
    assert _ranked(first) == _ranked(second)
    keys = [rank_key(r) for r in first.results]
    assert all(a < b for a, b in zip(keys, keys[1:], strict=False))  # strictly increasing: no ties left to chance
    assert [r.rank for r in first.feasible] == list(range(1, len(first.feasible) + 1))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data(), rate=st.floats(0.2, 5.0))
def test_the_currency_shown_does_not_change_the_ranking(world: World, data: st.DataObject, rate: float) -> None:
    ids = data.draw(offering_sets(sorted(world.offerings)))
    small = small_world(world, ids)  # one exchange rate for both: only the display currency differs
    base = small._replace(settings=small.settings._replace(currency_rates=(("EUR", rate),)))
    usd = build_quote(build_request(base, **REQUESTS[0]), base)
    eur = build_quote(build_request(base, **REQUESTS[0], currency="EUR"), base)
    assert [r.offering.id for r in usd.results] == [r.offering.id for r in eur.results]
    for a, b in zip(usd.feasible, eur.feasible, strict=False):
        assert eur.in_currency(b.cost.usd_per_million_output_tokens) == pytest.approx(
            a.cost.usd_per_million_output_tokens / rate)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data(), request_index=st.integers(0, len(REQUESTS) - 1))
def test_no_rented_cluster_beats_the_roofline_of_its_gpus(world: World, data: st.DataObject,
                                                          request_index: int) -> None:
    ids = data.draw(offering_sets(sorted(world.offerings)))
    quote = build_quote(build_request(world, **REQUESTS[request_index]), small_world(world, ids))
    p, s = breakdown(quote.model), shape(quote.model)
    flops_per_token = 2 * (s.active_body + (p.lm_head or p.embedding))
    for result in quote.feasible:
        cand, acc = result.candidate, result.accelerator
        gpus = cand.nodes * result.offering.gpus_per_node
        peak = max(acc.dense_flops_per_s.values())
        assert cand.estimate.output_tokens_per_s <= gpus * peak / flops_per_token * (1 + 1e-9)
        assert cand.layout.gpus <= gpus


# -- through estimate: links ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data(), scale=st.floats(1.01, 8.0))
def test_more_link_bandwidth_never_raises_tpot(data: st.DataObject, scale: float) -> None:
    model, acc, layout, precision, load, eff = data.draw(deployments())
    assume(layout.tp > 1)
    fabric = fabric_for_gpu(acc, layout.gpus)
    faster = dataclasses.replace(fabric, intra_bytes_per_s=fabric.intra_bytes_per_s * scale,
                             pcie_bytes_per_s=fabric.pcie_bytes_per_s * scale)
    slow = estimate(Deployment(model=model, accelerator=acc, fabric=fabric, layout=layout,
                               precision=precision, load=load, factors=eff))
    fast = estimate(Deployment(model=model, accelerator=acc, fabric=faster, layout=layout,
                               precision=precision, load=load, factors=eff))
    assume(slow.fits)
    assert fast.output_tokens_per_s >= slow.output_tokens_per_s * (1 - 1e-6)
    if not slow.saturated:
        assert not fast.saturated
        assert fast.tpot_s <= slow.tpot_s * (1 + 1e-6)
        assert fast.interconnect.comm_time_per_step_s <= slow.interconnect.comm_time_per_step_s * (1 + 1e-9)
