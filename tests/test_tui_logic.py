"""The pure helpers behind the TUI: form parsing, model search, sweeps, VRAM floors and the
column chart (no app is started).
"""

from __future__ import annotations

import pytest

from advisor.quote.build import build_quote
from advisor.search.request import build_request

pytest.importorskip("textual")

from tui_helpers import builtin_world

from advisor.tui.form import FormValues, parse_form


def test_form_parses_shorthands_and_reports_each_bad_field() -> None:
    parsed = parse_form(FormValues("70b", texts={"ctx": "32k", "tpot": "50ms", "utilization": "60%"}))
    assert parsed.ok
    assert (parsed.raw["max_context"], parsed.raw["tpot_s"], parsed.raw["utilization"]) == (32768, 0.05, 0.6)
    assert parsed.raw["concurrency"] is None  # blank means default
    bad = parse_form(FormValues("", texts={"tpot": "50", "concurrency": "8", "rate": "2"}, weights=()))
    assert set(bad.errors) == {"model", "tpot", "rate", "weights"}
    assert "needs a unit" in bad.errors["tpot"]


def test_model_search_matches_names_aliases_and_sizes() -> None:
    from advisor.tui.pickers import model_matches

    world = builtin_world()
    assert model_matches(world, "70b")[0].id == "llama-3.1-70b"  # alias
    assert model_matches(world, "qwen3")[0].id.startswith("qwen3")
    assert "llama-3.1-405b" in [m.id for m in model_matches(world, "400b")]  # size within 15 %
    assert model_matches(world, "zzzz") == []


def test_sweep_at_the_chosen_load_reproduces_the_ranked_row() -> None:
    from advisor.quote.sweep import sweep_result, unit_layout

    world = builtin_world()
    quote = build_quote(build_request(world, model="llama-3.1-8b", concurrency=32), world)
    result = next(r for r in quote.feasible
                  if r.candidate and unit_layout(r.candidate.layout, r.offering.gpus_per_node)
                  == (r.candidate.layout, r.candidate.nodes))
    sweep = sweep_result(quote, world, result, (1, 32, 64))
    assert sweep is not None and result.cost is not None and result.estimate is not None
    at_32 = sweep.points[1]
    assert at_32.tpot_s == pytest.approx(result.estimate.tpot_s)
    assert at_32.usd_per_million_output_tokens == pytest.approx(result.cost.usd_per_million_output_tokens)
    # more users on the same unit: cheaper tokens, slower tokens
    costs = [p.usd_per_million_output_tokens for p in sweep.points]
    tpots = [p.tpot_s for p in sweep.points]
    assert costs == sorted(costs, reverse=True) and tpots == sorted(tpots)


def test_vram_floors_match_hand_arithmetic() -> None:
    from advisor.quote.sweep import floor_for

    world = builtin_world()
    # 405.9e9 params in bf16 ≈ 756 GiB against 79.6 GiB × 0.9 = 71.7 GiB usable per H100: at
    # least 11 GPUs; 11 is prime (TP1 × PP11 puts 12 of 126 layers, ≈ 72 GiB, on one GPU), so
    # 12 (TP4 × PP3). In fp8 ≈ 378 GiB of body + bf16 embeddings ≈ 386 GiB: 6 (TP2 × PP3).
    assert floor_for(world, "llama-3.1-405b", "h100-sxm", "bf16", 8192).gpus == 12
    assert floor_for(world, "llama-3.1-405b", "h100-sxm", "fp8", 8192).gpus == 6
    # 8.03e9 × 2 B ≈ 15 GiB: one 48 GB L40S.
    assert floor_for(world, "llama-3.1-8b", "l40s", "bf16", 8192).gpus == 1
    assert floor_for(world, "llama-3.1-8b", "a100-80gb-sxm", "fp8", 8192).note == "not native"


def test_column_chart_scales_bars_and_marks_missing_points() -> None:
    from advisor.tui.widgets.chart import ChartData, render_columns

    data = ChartData(x_labels=("1", "2"), series=((1.0, None),), colors=("red",), threshold=0.5)
    lines = [line.plain for line in render_columns(data, width=30, height=6)]
    assert len(lines) == 6 and lines[-1].split() == ["1", "2"]
    bars = [line[9:] for line in lines[:-1]]  # past the axis
    # 1.0 against a top of 1.05 (5 % headroom) is 40 × 1/1.05 ≈ 38 eighths: 4 full rows and ▆
    assert [b[0] for b in bars] == ["▆", "█", "█", "█", "█"]
    assert bars[-1][4:7] == "×××"  # the missing point (bars are 3 cells wide at this width)
    assert any("╌" in b for b in bars)  # the threshold line


def test_columns_fit_the_width_with_cost_and_latency_first() -> None:
    from advisor.tui.columns import COLUMN_KEYS, NARROW_FIRST, WIDE_FIRST, fit_columns

    def used(shown: tuple, count: int) -> int:  # cells the first `count` columns take, padding included
        return sum(s.width + 2 for s in shown[:count])

    wide = fit_columns(117, "USD")  # the table at 160 columns
    assert [s.key for s in wide[: len(WIDE_FIRST)]] == list(WIDE_FIRST)
    assert used(wide, len(WIDE_FIRST)) <= 117
    narrow = fit_columns(66, "USD")  # the table at 100 columns
    assert [s.key for s in narrow[: len(NARROW_FIRST)]] == list(NARROW_FIRST)
    assert used(narrow, len(NARROW_FIRST)) == 66  # the offering id takes what the others leave
    assert [s.label for s in narrow[2:4]] == ["$/Mtok", "$/month"]
    for shown in (wide, narrow, fit_columns(20, "EUR")):
        assert sorted(s.key for s in shown) == sorted(COLUMN_KEYS)  # nothing dropped, only moved
        assert all(s.width >= len(s.label) + 2 for s in shown)  # room for the sort arrow
    assert fit_columns(20, "USD")[1].width == 12  # never narrower than that
    assert fit_columns(66, "EUR")[2].label == "EUR /Mtok"
