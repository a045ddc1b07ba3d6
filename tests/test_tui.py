"""The TUI driven with Pilot: re-ranking on input, infeasible rows with reasons, export, the
load-error screen, team marks, sorting, the palette — plus the pure helpers behind them
(form parsing, model search, sweeps, VRAM floors, the column chart).

The app is built with an injected loader, so each test decides its data: the built-ins only,
or a team folder written to tmp_path. Expected rankings come from the CLI's own path
(`build_request` + `build_quote`), so the TUI is checked against what `advisor quote` says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from advisor.config import load_world
from advisor.errors import AdvisorError
from advisor.quote import build_quote
from advisor.request import build_request
from advisor.world import World

pytest.importorskip("textual")

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Checkbox, Input, OptionList, Select, Static  # noqa: E402
from tui_helpers import settle  # noqa: E402

from advisor.tui.app import AdvisorApp  # noqa: E402
from advisor.tui.columns import COLUMN_KEYS  # noqa: E402
from advisor.tui.form import FormValues, parse_form  # noqa: E402
from advisor.tui.screens.load_error import LoadErrorScreen  # noqa: E402
from advisor.tui.screens.main import MainScreen  # noqa: E402

pytestmark = pytest.mark.anyio  # async tests run on asyncio through anyio's pytest plugin

SIZE = (160, 45)
FIXTURES = Path(__file__).parent / "fixtures"

_WORLD: World | None = None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def builtin_world() -> World:
    global _WORLD
    if _WORLD is None:
        _WORLD = load_world(discover=False)
    return _WORLD


def builtin_app() -> AdvisorApp:
    return AdvisorApp(loader=builtin_world)


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    """Replace a field's text the way a user does: click it (selects all), then type."""
    await pilot.click(selector)
    await pilot.press("end", "ctrl+u")
    for char in text:
        await pilot.press(char)


def table_ids(main: MainScreen) -> list[str]:
    return [str(key.value) for key in main.table.rows]


def cell(main: MainScreen, offering_id: str, column: str) -> Text:
    return main.table.get_row(offering_id)[COLUMN_KEYS.index(column)]


def expected_ids(world: World, **raw: Any) -> list[str]:
    return [r.offering.id for r in build_quote(build_request(world, **raw), world).results]


# -- driving the app ------------------------------------------------------------------------

async def test_opens_with_the_cli_ranking() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        assert main.quote is not None and main.quote.model.id == "llama-3.1-70b"
        assert table_ids(main) == expected_ids(builtin_world(), model="llama-3.1-70b")
        first = main.table.get_row_at(0)
        assert first[0].plain.strip() == "1"
        status = str(main.query_one("#status", Static).content)
        assert status.startswith(f"✓ {len(main.quote.feasible)} feasible")


async def test_choosing_a_different_model_reranks() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        before = table_ids(main)
        await type_into(pilot, "#model", "8b")
        options = main.query_one("#model-options", OptionList)
        assert options.display and "Llama-3.1-8B" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.query_one("#model", Input).value == "llama-3.1-8b"
        assert main.quote is not None and main.quote.model.id == "llama-3.1-8b"
        after = table_ids(main)
        assert after == expected_ids(builtin_world(), model="llama-3.1-8b")
        assert after != before


async def test_tightening_tpot_marks_pcie_offerings_infeasible_with_the_reason() -> None:
    world = builtin_world()
    pcie = sorted(o.id for o in world.offerings.values() if o.intra_fabric == "pcie" and o.gpus_per_node > 1)
    assert pcie, "the built-in catalog has multi-GPU PCIe nodes"
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "#concurrency", "16")
        main = await settle(pilot)
        assert all(cell(main, o, "rank").plain.strip().isdigit() for o in pcie)
        await type_into(pilot, "#tpot", "20ms")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.tpot_s == pytest.approx(0.02)
        for offering_id in pcie:
            rank, why = cell(main, offering_id, "rank"), cell(main, offering_id, "why")
            assert rank.plain.strip() == "✗"
            assert "dim" in str(why.style)
            assert "pcie" in why.plain and "TPOT" in why.plain and "> 20 ms" in why.plain
        feasible = [str(k.value) for k in main.table.rows][: len(main.quote.feasible)]
        assert not set(pcie) & set(feasible)  # infeasible rows sit below every feasible one


async def test_typing_fast_shows_only_the_last_value() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#concurrency")
        await pilot.press("1", "2", "8")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.concurrency == 128
        assert main.applied_generation == main.generation


async def test_an_invalid_edit_cancels_the_pending_quote() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        # Keystrokes in one tick: "1" starts a quote at once (nothing in flight), "64" waits out
        # the debounce behind it, "64x" is invalid and cancels it: "64" must never be quoted.
        main.request_quote(FormValues("llama-3.1-70b", texts={"concurrency": "1"}), immediate=False)
        assert main.busy and main._timer is None
        main.request_quote(FormValues("llama-3.1-70b", texts={"concurrency": "64"}), immediate=False)
        assert main._timer is not None
        main.request_quote(FormValues("llama-3.1-70b", texts={"concurrency": "64x"}), immediate=False)
        assert main._timer is None and not main.busy
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.concurrency is None
        assert "fix the marked field" in str(main.query_one("#status", Static).content)
        main.request_quote(FormValues("llama-3.1-70b", texts={"concurrency": "64"}), immediate=False)
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.concurrency == 64


async def test_invalid_input_shows_inline_errors_and_keeps_the_table() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        quote = main.quote
        await type_into(pilot, "#ctx", "lots")
        await pilot.pause(0.1)
        error = main.query_one("#ctx-error", Static)
        assert error.has_class("-shown") and "'lots' is not valid" in str(error.content)
        assert main.query_one("#ctx", Input).has_class("-bad")
        assert main.quote is quote and not main.busy
        await type_into(pilot, "#ctx", "32k")
        main = await settle(pilot)
        assert not main.query_one("#ctx-error", Static).has_class("-shown")
        assert main.quote is not None and main.quote.request.max_context == 32768
        await type_into(pilot, "#ctx", "1m")  # longer than the model's 128k context: build_request says so
        main = await settle(pilot)
        assert "exceeds the model's native" in str(main.query_one("#status", Static).content)


async def test_sorting_by_clicking_a_header_and_by_key() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        table = main.table
        assert main.quote is not None
        x = sum(c.get_render_width(table) for c in table.ordered_columns[: COLUMN_KEYS.index("usd_month")]) + 2
        await pilot.click("#results", offset=(x, 0))
        await pilot.pause(0.1)
        months = [r.cost.usd_per_month for r in table.results if r.feasible and r.cost]
        assert table.sort_key == "usd_month" and months == sorted(months)
        assert all(r.feasible for r in table.results[: len(months)])
        await pilot.click("#results", offset=(x, 0))
        await pilot.pause(0.1)
        months = [r.cost.usd_per_month for r in table.results if r.feasible and r.cost]
        assert table.reverse and months == sorted(months, reverse=True)
        table.focus()
        await pilot.press("s")
        assert table.sort_key == COLUMN_KEYS[COLUMN_KEYS.index("usd_month") + 1]


async def test_filters_and_term_reach_the_request() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        main.query_one("#tenancy", Select).value = "bare-metal"
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.tenancies == ("bare-metal",)
        assert {r.offering.tenancy for r in main.quote.results} == {"bare-metal"}
        assert set(table_ids(main)) == {r.offering.id for r in main.quote.results}
        main.query_one("#tenancy", Select).value = Select.NULL
        main.query_one("#term", Select).value = "1-year"
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.term == "1-year"
        assert not main.quote.excluded
        assert table_ids(main) == expected_ids(builtin_world(), model="llama-3.1-70b", term="1-year")


async def test_export_dialog_writes_the_quote_and_asks_before_replacing(tmp_path: Path) -> None:
    target = tmp_path / "quote.json"
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.click("#export-ok")
        await pilot.pause()
        assert app.screen is main
        written = json.loads(target.read_text())
        assert main.quote is not None
        # the CLI's default selection (`advisor quote -o`): the top 10 feasible offerings
        assert [r["offering"] for r in written["results"]] == [r.offering.id for r in main.quote.feasible[:10]]
        assert written["request"]["model"] == "llama-3.1-70b"

        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#export-format", Select).value = "md"
        await pilot.pause()  # the format change renames the path's suffix first
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.click("#export-ok")
        await pilot.pause()
        assert "Replace it?" in str(app.screen.query_one("#confirm-question", Static).content)
        await pilot.press("n")
        await pilot.pause()
        assert json.loads(target.read_text())["request"]["model"] == "llama-3.1-70b"  # untouched
        app.screen.query_one("#export-infeasible", Checkbox).value = True  # like --all
        await pilot.click("#export-ok")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        text = target.read_text()
        last = main.quote.infeasible[-1]  # infeasible offerings are listed, marked ✗
        assert text.startswith("#") and f"| ✗ | {last.offering.provider} | {last.offering.sku} |" in text
        assert app.screen is main


async def test_export_into_a_missing_folder_shows_the_problem(tmp_path: Path) -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "nope" / "q.csv")
        await pilot.click("#export-ok")
        await pilot.pause()
        error = app.screen.query_one("#export-error", Static)
        assert "cannot write" in str(error.content)
        assert not (tmp_path / "nope").exists()


def write_team(folder: Path, catalog_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "advisor.toml").write_text('profiles = ["team.toml"]\n')
    (folder / "team.toml").write_text(catalog_text)
    return folder


async def test_a_broken_team_catalog_shows_the_error_screen(tmp_path: Path) -> None:
    team = tmp_path / "repo"
    team.mkdir()
    (team / "advisor.toml").write_text('catalogs = ["bad.toml"]\n')
    shutil.copy(FIXTURES / "bad_three.toml", team / "bad.toml")
    with pytest.raises(AdvisorError) as raised:
        load_world(cwd=team)
    app = AdvisorApp(loader=lambda: load_world(cwd=team))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
        text = str(app.screen.query_one("#error-text", Static).content)
        assert all(line in text for line in raised.value.lines())  # every problem, not just the first
        assert f"{team / 'bad.toml'}:8: accelerator.hbm_bandwith: unknown key" in text
        assert "did you mean 'hbm_bytes_per_s'" in text
        await pilot.press("ctrl+q")
    assert app.return_value == 3


TEAM_PROFILES = """
[[model]]
id = "acme-8b"
name = "Acme-8B"
aliases = ["acme"]
family = "llama"
total_params = 8.03e9
layers = 32
hidden = 4096
intermediate = 14336
heads = 32
kv_heads = 8
head_dim = 128
vocab = 128256
tie_embeddings = false
max_context = 131072
attention = [{ kind = "full", layers = 32 }]
native_dtype = "bf16"
source = "team copy of Llama-3.1-8B"
as_of = 2026-08-01

[[workload]]
id = "acme-support"
name = "Acme support bot"
input_tokens = 1500
output_tokens = 300
max_context = 4096
concurrency = 24
ttft_s = 1.5
tpot_s = 0.05
source = "team"
"""


async def test_team_entries_are_marked_in_the_pickers(tmp_path: Path) -> None:
    team = write_team(tmp_path / "repo", TEAM_PROFILES)
    app = AdvisorApp(loader=lambda: load_world(cwd=team))
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await type_into(pilot, "#model", "acme")
        options = main.query_one("#model-options", OptionList)
        assert "★ team" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.model.id == "acme-8b"
        assert "★ team" in str(main.query_one("#model-hint", Static).content)
        preset = main.query_one("#preset", Select)
        labels = {value: str(label) for label, value in preset._options if value is not Select.NULL}
        assert "★ team" in labels["acme-support"] and "★" not in labels["chat"]
        preset.value = "acme-support"
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.concurrency == 24
        assert main.query_one("#concurrency", Input).placeholder == "24"  # blank field shows what was used
        await pilot.press("f9")
        await pilot.pause()
        shown = str(app.screen.query_one("#config-text", Static).content)
        assert str(team / "advisor.toml") in shown and str(team / "team.toml") in shown


async def test_palette_switches_model_and_theme() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for char in "switch model qwen3-8b":
            await pilot.press(char)
        await pilot.pause(0.3)
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.model.id == "qwen3-8b"
        app.action_pick_preset()  # "Switch preset…": a second palette with the presets only
        await pilot.pause()
        for char in "chat assistant":
            await pilot.press(char)
        await pilot.pause(0.3)
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.preset == "chat"
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme


async def test_details_and_charts_follow_the_selection() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        main.table.focus()
        await pilot.press("down")
        main = await settle(pilot)
        selected = main.table.selected
        assert selected is not None and selected.estimate is not None and main.quote is not None
        left = str(main.query_one("#details-left", Static).content)
        weights_gib = selected.estimate.memory.weights_bytes_per_gpu / 1024**3
        assert selected.offering.id in left and f"weights {weights_gib:,.1f}" in left
        await pilot.press("f3")
        main = await settle(pilot)
        legend = str(main.query_one("#charts-legend", Static).content)
        assert legend.index(main.table.following_ids(3)[0]) < legend.index(main.table.following_ids(3)[1])


async def test_quit_returns_zero() -> None:
    app = builtin_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
    assert app.return_value == 0


# -- pure helpers ----------------------------------------------------------------------------

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
    from advisor.sweep import sweep_result, unit_layout

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
    from advisor.sweep import floor_for

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
