"""Search, feasibility, cost and ranking on small fixture worlds with the real core.

Models and GPUs come from tests/core_fixtures.py (shared/facts figures); offerings are built
here so each test controls fabric, tenancy, price and currency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.catalog.config import load_world
from advisor.catalog.world import Settings, World
from advisor.core.types import Fabric, Layout
from advisor.domain import Offering
from advisor.domain.common import to_json
from advisor.domain.validation import validate
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.quote.build import build_quote, nothing_feasible_message
from advisor.search.ranking import cost_of, rank
from advisor.search.request import QuoteRequest, build_request
from advisor.search.space import core_physics, enumerate_layouts, kv_choices, largest_within, weight_choices
from tests.core_fixtures import A100, B200, DEEPSEEK_V3, H100, LLAMA_70B, LLAMA_405B, MIXTRAL_8X7B, factors

TODAY = dt.date(2026, 1, 1)


def offering(oid: str, acc_id: str = "h100-sxm", *, gpus: int = 8, intra: str = "nvswitch",
             intra_bps: float = 450e9, price: float = 30.0, tenancy: str = "bare-metal",
             provider: str = "Acme", currency: str = "USD", inter: str = "none",
             max_nodes: int = 1, regions: tuple[str, ...] = ("us-east",), **kw: object) -> Offering:
    extra: dict[str, object] = {}
    if inter != "none":
        extra["inter_bytes_per_s"] = 400e9
    return validate(Offering, id=oid, provider=provider, sku=oid.split("/")[-1], accelerator=acc_id,
                    gpus_per_node=gpus, intra_fabric=intra, intra_bytes_per_s=intra_bps,
                    inter_fabric=inter, tenancy=tenancy, price_per_node_hour=price,
                    currency=currency, regions=regions, max_nodes=max_nodes, as_of=TODAY,
                    source="test", **extra, **kw)


def world(*offerings: Offering, rates: tuple[tuple[str, float], ...] = ()) -> World:
    models = {m.id: m for m in (LLAMA_70B, LLAMA_405B, MIXTRAL_8X7B)}
    hopper = factors(engine="vllm", family="hopper")
    return World(
        accelerators={a.id: a for a in (H100, A100, B200)},
        offerings={o.id: o for o in offerings},
        models=models,
        workloads={},
        efficiency={hopper.id: hopper},
        tenancy={},
        settings=Settings(currency_rates=rates),
    )


def request(w: World, **kw: object) -> QuoteRequest:
    kw.setdefault("model", "llama-3.1-70b")
    kw.setdefault("max_context", 8192)
    return build_request(w, **kw)


# -- enumeration and precision ------------------------------------------------------------

def test_layouts_divide_heads_tile_the_node_and_stay_inside_it() -> None:
    fabric = Fabric("nvswitch", 450e9, 8, 8, 63e9)
    layouts = enumerate_layouts(LLAMA_70B, fabric, max_nodes_per_replica=4)
    assert layouts, "a 70B model has layouts on an 8-GPU node"
    for lay in layouts:
        assert LLAMA_70B.heads % lay.tp == 0
        assert 8 % lay.gpus_per_replica == 0  # no inter-node fabric: never spans nodes
    assert Layout(tp=8, pp=1) in layouts and Layout(tp=2, pp=4) in layouts


def test_joined_nodes_add_pipeline_stages_and_tp_across_whole_nodes() -> None:
    """TP16 spans two nodes (128 heads divide by 16); TP24 does not divide the heads, so three
    nodes are TP8 in the fast domain and three pipeline stages."""
    fabric = Fabric("nvswitch", 450e9, 8, 8, 63e9, inter_kind="infiniband", inter_bytes_per_s=400e9)
    wide = [lay for lay in enumerate_layouts(LLAMA_405B, fabric, 3) if lay.gpus_per_replica > 8]
    assert wide == [Layout(tp=16), Layout(tp=8, pp=2), Layout(tp=8, pp=3)]


def test_moe_layouts_add_dep_with_redundant_experts_across_nodes() -> None:
    """DeepSeek-V3 (256 experts) on 8-GPU nodes: DEP8 in one node, DEP16 over two, and DEP24
    over three with 8 redundant experts (264 slots = 11 per GPU)."""
    fabric = Fabric("nvswitch", 450e9, 8, 8, 63e9, inter_kind="infiniband", inter_bytes_per_s=400e9)
    dep = [lay for lay in enumerate_layouts(DEEPSEEK_V3, fabric, 3) if lay.dp > 1]
    assert dep == [Layout(tp=1, ep=8, dp=8), Layout(tp=1, ep=16, dp=16),
                   Layout(tp=1, ep=24, dp=24, redundant_experts=8)]
    alone = Fabric("nvswitch", 450e9, 8, 8, 63e9)
    assert [lay for lay in enumerate_layouts(DEEPSEEK_V3, alone, 3) if lay.dp > 1] == dep[:1]


def test_bridged_pairs_keep_tp_within_the_pair_across_nodes() -> None:
    fabric = Fabric("nvlink-bridge", 300e9, 2, 8, 63e9, inter_kind="roce", inter_bytes_per_s=100e9)
    wide = [lay for lay in enumerate_layouts(LLAMA_70B, fabric, 2) if lay.gpus_per_replica > 8]
    assert wide == [Layout(tp=2, pp=8)]


def test_moe_layouts_offer_expert_parallelism_that_divides_the_experts() -> None:
    fabric = Fabric("nvswitch", 450e9, 8, 8, 63e9)
    layouts = enumerate_layouts(MIXTRAL_8X7B, fabric, 1)
    assert Layout(tp=8, pp=1, ep=8) in layouts and Layout(tp=8, pp=1, ep=1) in layouts
    assert all(MIXTRAL_8X7B.moe.experts % lay.ep == 0 for lay in layouts)


def test_weights_only_in_formats_the_chip_runs_natively() -> None:
    assert weight_choices(H100, ("bf16", "fp16", "fp8")) == ["fp8", "bf16"]  # fp16 = bf16 in size
    assert weight_choices(A100, ("bf16", "fp8")) == ["bf16"]  # Ampere has no FP8
    assert weight_choices(H100, ("fp4",)) == []  # FP4 needs Blackwell
    assert weight_choices(B200, ("fp4", "bf16")) == ["fp4", "bf16"]
    assert kv_choices(H100, ("bf16",)) == ["bf16"]  # KV stays bf16 unless fp8 is allowed


@settings(max_examples=300, deadline=None)
@given(high=st.integers(1, 4000), base=st.floats(0.01, 0.99), slope=st.floats(0.0, 8.0),
       power=st.floats(0.5, 3.0))
def test_largest_within_matches_brute_force(high: int, base: float, slope: float, power: float) -> None:
    def score(n: int) -> float:
        return base + slope * ((n - 1) / high) ** power

    want = max(n for n in range(1, high + 1) if score(n) <= 1)
    assert largest_within(score, high) == want


def test_largest_within_handles_infinite_scores() -> None:
    assert largest_within(lambda n: 0.5 if n <= 37 else math.inf, 1000) == 37


# -- feasibility, replicas, reasons --------------------------------------------------------

def test_replica_count_follows_the_largest_load_within_targets() -> None:
    w = world(offering("acme/h100x8", max_nodes=1))
    quote = build_quote(request(w, concurrency=300, tpot_s=0.05), w)
    best = quote.best
    assert best is not None
    cand = best.candidate
    limit = int(cand.per_replica_limit)
    assert cand.layout.replicas >= math.ceil(300 / limit)
    assert cand.nodes == math.ceil(cand.layout.gpus / 8)
    assert cand.estimate.tpot_s <= 0.05 and cand.estimate.memory.fits
    # the limit is the largest: one more sequence per replica breaks a target or memory
    from advisor.search.sizing import Searcher
    from advisor.search.space import core_physics

    hw = best.hardware
    s = Searcher(quote.request, LLAMA_70B, core_physics())
    hw = s.with_memo_ids(hw)
    one = dataclasses.replace(cand.layout, replicas=1)
    assert s.meets_targets(s.estimate(hw, one, cand.precision, s.load(concurrency=limit)))
    cap = min(s.memory(hw, one, cand.precision).max_sequences, hw.efficiency.max_batch)
    if limit < cap:
        assert not s.meets_targets(s.estimate(hw, one, cand.precision, s.load(concurrency=limit + 1)))


def test_memory_reason_names_what_is_needed_and_what_is_usable() -> None:
    w = world(offering("acme/a100x1", "a100-sxm-80gb", gpus=1, intra="none", intra_bps=31.5e9))
    quote = build_quote(request(w, model="llama-3.1-405b"), w)
    assert not quote.feasible
    reason = quote.results[0].reasons[0]
    assert reason.startswith("needs ") and "GiB across TP1" in reason and "GiB usable" in reason
    needed, usable = (float(x.replace(",", "")) for x in
                      (reason.split("needs ")[1].split(" GiB")[0], reason.split("has ")[1].split(" GiB")[0]))
    assert needed > 700 and usable < 80  # 405B in bf16 (A100 has no fp8) on one 80 GB GPU


def test_nvswitch_beats_pcie_of_the_same_gpu_under_a_tight_tpot() -> None:
    w = world(offering("acme/h100-nvswitch", price=30.0),
              offering("acme/h100-pcie-box", intra="pcie", intra_bps=63e9, price=20.0))
    quote = build_quote(request(w, model="llama-3.1-405b", max_context=32768, tpot_s=0.05), w)
    by_id = {r.offering.id: r for r in quote.results}
    fast, slow = by_id["acme/h100-nvswitch"], by_id["acme/h100-pcie-box"]
    assert fast.feasible and fast.rank == 1
    if slow.feasible:
        assert slow.cost.usd_per_million_output_tokens > fast.cost.usd_per_million_output_tokens
    else:
        assert "over pcie: all-reduce takes" in slow.reasons[0] and "> 50 ms target" in slow.reasons[0]


def test_node_cap_binds_with_numbers_and_relax_hint() -> None:
    w = world(offering("acme/h100x8", inter="infiniband", max_nodes=2))
    quote = build_quote(request(w, concurrency=5000, tpot_s=0.05), w)
    assert not quote.feasible
    failure = quote.results[0].failure
    assert failure.kind == "nodes" and "at most 2 allowed" in failure.message
    assert "--max-nodes" in nothing_feasible_message(quote)


def test_single_node_offerings_scale_out_as_independent_rentals() -> None:
    w = world(offering("acme/h100x8", max_nodes=1))
    best = build_quote(request(w, concurrency=2000, tpot_s=0.05), w).best
    assert best is not None and best.candidate.nodes > 1
    capped = build_quote(request(w, concurrency=2000, tpot_s=0.05, max_nodes=1), w)
    assert not capped.feasible and capped.results[0].failure.kind == "nodes"


def test_impossible_latency_reports_the_target() -> None:
    w = world(offering("acme/h100x8"))
    quote = build_quote(request(w, tpot_s=0.001), w)
    assert not quote.feasible
    assert "> 1 ms target" in quote.results[0].reasons[0]
    assert "--tpot" in quote.results[0].failure.relax


def test_budget_filter_keeps_only_offerings_under_it() -> None:
    w = world(offering("acme/cheap", price=10.0), offering("acme/dear", price=100.0))
    quote = build_quote(request(w, max_usd_per_month=30_000.0), w)
    assert [r.offering.id for r in quote.feasible] == ["acme/cheap"]
    dear = next(r for r in quote.results if r.offering.id == "acme/dear")
    assert dear.failure.kind == "budget" and "73,000 USD/month" in dear.reasons[0]


# -- cost and ranking ---------------------------------------------------------------------

def test_cost_arithmetic_by_hand() -> None:
    w = world(offering("acme/h100x8", price=10.0))
    est = build_quote(request(w), w).best.candidate.estimate
    est = est._replace(output_tokens_per_s=1000.0, total_tokens_per_s=5000.0, prefill_share=0.25)
    cost = cost_of(10.0, 2, est, 0.5, 730.0)
    assert cost.usd_per_hour == 20.0 and cost.usd_per_month == 14_600.0
    assert cost.usd_per_million_output_tokens == pytest.approx(20 / (1000 * 3600 * 0.5) * 1e6)
    assert cost.usd_per_million_input_tokens == pytest.approx(20 * 0.25 / (4000 * 1800) * 1e6)
    assert cost.usd_per_million_tokens_blended == pytest.approx(20 / (5000 * 1800) * 1e6)
    # the split prices add up to the cost of the busy hours
    per_request = cost.usd_per_million_input_tokens * 4000 + cost.usd_per_million_output_tokens_decode * 1000
    per_hour = per_request * 1800 / 1e6
    assert per_hour == pytest.approx(20.0)


def test_ranking_is_by_cost_then_month_provider_id() -> None:
    w = world(offering("b/x", provider="Beta", price=30.0), offering("a/x", provider="Alpha", price=30.0),
              offering("a/y", provider="Alpha", price=30.0), offering("c/x", provider="Gamma", price=15.0))
    quote = build_quote(request(w), w)
    assert [r.offering.id for r in quote.feasible] == ["c/x", "a/x", "a/y", "b/x"]
    assert [r.rank for r in quote.feasible] == [1, 2, 3, 4]
    shuffled = list(quote.results)
    random.Random(7).shuffle(shuffled)
    assert rank(shuffled) == quote.results


def test_halving_a_price_halves_cost_per_token_and_moves_it_up() -> None:
    base = [offering(f"p{i}/h100x8", provider=f"P{i}", price=20.0 + i) for i in range(4)]
    w = world(*base)
    last = build_quote(request(w), w).feasible[-1]
    cheaper = w._replace(offerings={**w.offerings, last.offering.id: offering(
        last.offering.id, provider=last.offering.provider, price=last.offering.price_per_node_hour / 2)})
    moved = build_quote(request(cheaper), cheaper)
    assert moved.best.offering.id == last.offering.id
    assert moved.best.cost.usd_per_million_output_tokens == pytest.approx(
        last.cost.usd_per_million_output_tokens / 2, rel=1e-9)


def test_other_currencies_convert_or_are_infeasible_without_a_rate() -> None:
    eur = offering("acme/eur", price=20.0, currency="EUR")
    plain = build_quote(request(world(eur)), world(eur))
    assert not plain.feasible and "price in EUR, no exchange rate configured" in plain.results[0].reasons[0]
    w = world(eur, offering("acme/usd", price=21.0), rates=(("EUR", 1.10),))
    quote = build_quote(request(w), w)
    assert [r.offering.id for r in quote.feasible] == ["acme/usd", "acme/eur"]  # 22 USD > 21 USD
    assert quote.feasible[1].cost.usd_per_hour == pytest.approx(22.0)
    shown = build_quote(request(w, currency="EUR"), w)
    assert shown.in_currency(shown.feasible[1].cost.usd_per_hour) == pytest.approx(20.0)
    with pytest.raises(AdvisorError) as err:
        build_quote(request(w, currency="GBP"), w)
    assert err.value.exit_code == EXIT_BAD_INPUT


def test_filters_drop_offerings_before_the_search() -> None:
    w = world(offering("acme/bm"), offering("acme/vm", tenancy="vm"),
              offering("other/bm", provider="Other", regions=("eu-west",)))
    only_bm = build_quote(request(w, tenancies=("bare-metal",)), w)
    assert {r.offering.id for r in only_bm.results} == {"acme/bm", "other/bm"}
    assert only_bm.excluded == (("acme/vm", "tenancy vm is not bare-metal"),)
    eu = build_quote(request(w, regions=("eu",)), w)
    assert [r.offering.id for r in eu.results] == ["other/bm"]
    acme = build_quote(request(w, providers=("ACME",)), w)
    assert {r.offering.id for r in acme.results} == {"acme/bm", "acme/vm"}


def test_results_share_core_work_across_offerings_of_the_same_hardware() -> None:
    one = world(offering("p0/h100x8"))
    many = world(*(offering(f"p{i}/h100x8", provider=f"P{i}", price=10.0 + i) for i in range(50)))
    assert build_quote(request(many), many).stats.estimates == build_quote(request(one), one).stats.estimates


# -- request ------------------------------------------------------------------------------

def test_request_defaults_and_json_round_trip() -> None:
    w = world(offering("acme/h100x8"))
    req = request(w, model="405b", max_context=32768)
    assert req.model == "llama-3.1-405b"
    assert (req.input_tokens, req.output_tokens) == (8192, 1024)
    assert req.weights == ("bf16", "fp16", "fp8") and req.kv_dtypes == ("bf16",)
    assert req.tpot_s == 0.1 and req.ttft_s == 10.0
    again = validate(QuoteRequest, json.loads(json.dumps(to_json(req))))
    assert again == req


def test_preset_context_is_capped_at_the_model_but_an_explicit_one_is_not() -> None:
    from advisor.domain import WorkloadProfile

    chat = validate(WorkloadProfile, id="chat", name="Chat", input_tokens=1024, output_tokens=256,
                           max_context=262144, concurrency=64, ttft_s=1.0, tpot_s=0.05)
    w = world()._replace(workloads={"chat": chat})
    req = request(w, max_context=None, preset="chat")
    assert (req.max_context, req.concurrency, req.tpot_s, req.input_tokens) == (131072, 64, 0.05, 1024)
    assert any("capped" in note for note in req.notes)
    assert request(w, preset="chat", concurrency=8).concurrency == 8  # a flag beats the preset
    with pytest.raises(AdvisorError, match="exceeds the model's native"):
        request(w, preset="chat", max_context=262144)


def test_request_min_tps_and_conflicts() -> None:
    w = world()
    assert request(w, min_tokens_per_s=20.0).tpot_s == pytest.approx(0.05)
    for bad in ({"tpot_s": 0.05, "min_tokens_per_s": 20.0}, {"concurrency": 4, "request_rate": 1.0},
                {"input_tokens": 8000, "output_tokens": 1000}, {"model": "999b"},
                {"max_context": 10_000_000}):
        with pytest.raises(AdvisorError) as err:
            request(w, **bad)
        assert err.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize("fields", [
    {"model": "405b", "max_context": 32768},
    {"model": "405b", "max_context": 32768, "tpot_s": 0.05},
    {"model": "70b", "preset": "chat"},
    {"model": "8b", "request_rate": 8.0, "max_context": 8192},
    {"model": "8b", "concurrency": 64, "tpot_s": 0.02},
    {"model": "70b", "concurrency": 256, "max_usd_per_month": 20000.0},
    {"model": "mixtral-8x7b", "concurrency": 16, "max_context": 16384},
])
def test_pruning_by_the_throughput_ceiling_changes_no_result(fields: dict) -> None:
    w = load_world(discover=False)
    request = build_request(w, **fields)
    physics = core_physics()
    with_ceiling = build_quote(request, w, physics=physics)
    without = build_quote(request, w, physics=physics._replace(throughput_ceiling=None))
    assert with_ceiling.results == without.results
    assert with_ceiling.stats.estimates <= without.stats.estimates

