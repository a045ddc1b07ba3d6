"""What a new user meets first in the TUI (issue 17): the help screen (F1, `?`), focus starting on
the results table (`q`, `j`/`k` work at once), checkbox states legible without colour, team
entries marked in the results and the details, a 100×30 terminal that still shows the cost and
latency columns and the whole footer, header clicks that sort, and the palette naming the real
export formats.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

pytest.importorskip("textual")

from team_data import SHAPE_8B
from textual.binding import Binding
from textual.widgets import Checkbox, Footer, Input, Static
from tui_helpers import builtin_app, settle, table_ids

import advisor.tui
from advisor.catalog.config import load_world
from advisor.tui.app import AdvisorApp
from advisor.tui.form import FormValues

pytestmark = pytest.mark.anyio

SMALL = (100, 30)
LARGE = (160, 45)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def header_line(table: object) -> str:
    """The table's header row as drawn (after horizontal scrolling)."""
    return table.render_line(0).text  # type: ignore[attr-defined]


def row_line(table: object, row: int) -> str:
    return table.render_line(1 + row).text  # type: ignore[attr-defined]


# -- help ---------------------------------------------------------------------------------------

def classes_with_bindings() -> list[type]:
    """Every class in advisor.tui that declares BINDINGS of its own."""
    found: list[type] = []
    for info in pkgutil.walk_packages(advisor.tui.__path__, "advisor.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found.append(cls)
    return found


async def test_f1_opens_a_help_screen_listing_every_binding_and_escape_closes_it() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen is not main
        text = str(app.screen.query_one("#help-text", Static).content)
        classes = classes_with_bindings()
        assert len(classes) >= 8  # app, screens, dialogs, table, model picker
        lines = text.splitlines()

        def listed(key: str, description: str) -> bool:
            return any(key in line.strip().split("  ")[0].split(", ") and description in line for line in lines)

        for cls in classes:
            for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
                assert binding.description, (cls.__name__, binding)
                assert listed(app.get_key_display(binding), binding.description), (cls.__name__, binding)
        assert listed("pgdn", "Page down")  # the table's inherited (Textual) keys too
        assert listed(app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "")), "Command palette")
        assert "How to" in text and "Tab" in text  # a short how-to above the keys
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("f1")  # F1 toggles
        await pilot.pause()
        assert app.screen is main


async def test_question_mark_opens_help_only_when_no_text_field_has_focus() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is not main and app.screen.query("#help-text")
        await pilot.press("q")  # closes help, does not quit
        await pilot.pause()
        assert app.screen is main and app.return_value is None
        main.query_one("#model", Input).focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is main
        assert main.query_one("#model", Input).value.endswith("?")  # typed, as in any text field


# -- focus and keys -------------------------------------------------------------------------------

async def test_focus_starts_on_the_results_table_and_j_k_move_it() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        assert app.focused is main.table
        ids = table_ids(main)
        await pilot.press("j")
        assert main.table.selected_id == ids[1]
        await pilot.press("j", "j", "k")
        assert main.table.selected_id == ids[2]
        assert main.query_one("#model", Input).value == "llama-3.1-70b"  # nothing typed there


async def test_q_quits_from_the_table_but_types_in_a_text_field() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        main.query_one("#concurrency", Input).focus()
        await pilot.press("q")
        await pilot.pause()
        assert app.return_value is None and main.query_one("#concurrency", Input).value == "q"
        main.table.focus()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


# -- checkboxes --------------------------------------------------------------------------------

async def test_checkbox_states_differ_without_colour() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        on, off = main.query_one("#w-bf16", Checkbox), main.query_one("#w-int8", Checkbox)
        assert on.value and not off.value
        on_text, off_text = on.render().plain, off.render().plain  # type: ignore[union-attr]
        assert on_text.replace("bf16", "") != off_text.replace("int8", "")
        off.toggle()
        await pilot.pause()
        assert off.render().plain.replace("int8", "") == on_text.replace("bf16", "")  # type: ignore[union-attr]


# -- team marks ----------------------------------------------------------------------------------

TEAM_MODEL = """
[[model]]
id = "acme-8b"
name = "Acme-8B"
family = "llama"
total_params = 8.03e9
""" + SHAPE_8B + """tie_embeddings = false
max_context = 131072
attention = [{ kind = "full", layers = 32 }]
native_dtype = "bf16"
source = "team copy of Llama-3.1-8B"
as_of = 2026-08-01
"""

TEAM_OFFERING = """
[[offering]]
id = "acme/h100-1x"
provider = "Acme"
sku = "acme-h100"
accelerator = "h100-sxm"
gpus_per_node = 1
intra_fabric = "none"
intra_bytes_per_s = 63e9
tenancy = "vm"
price_per_node_hour = 0.5
currency = "USD"
regions = []
as_of = 2026-08-01
source = "negotiated"
"""


def team_repo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "advisor.toml").write_text('profiles = ["models.toml"]\ncatalogs = ["prices.toml"]\n')
    (folder / "models.toml").write_text(TEAM_MODEL)
    (folder / "prices.toml").write_text(TEAM_OFFERING)
    return folder


async def test_team_offerings_and_model_are_marked_in_results_and_details(tmp_path: Path) -> None:
    world = load_world(cwd=team_repo(tmp_path / "repo"))
    app = AdvisorApp(loader=lambda: world, initial=FormValues(model="acme-8b"))
    async with app.run_test(size=LARGE) as pilot:
        main = await settle(pilot)
        assert main.quote is not None and main.quote.best is not None
        assert main.quote.best.offering.id == "acme/h100-1x"  # 0.5 USD/h for an H100: first
        table = main.table
        assert table.get_cell("acme/h100-1x", "provider").plain.startswith("★ ")
        others = [key for key in table_ids(main) if key != "acme/h100-1x"]
        assert not any(table.get_cell(key, "provider").plain.startswith("★") for key in others)
        assert "★" in row_line(table, 0) and "★" not in row_line(table, 1)
        table.move_cursor(row=0)
        await pilot.pause()
        left = str(main.query_one("#details-left", Static).content)
        assert "acme/h100-1x  ★ team" in left
        assert "model Acme-8B (acme-8b)  ★ team" in left
        table.move_cursor(row=1)
        await pilot.pause()
        left = str(main.query_one("#details-left", Static).content)
        assert "★" not in left.split("\n", 1)[0]  # a built-in offering is not marked …
        assert "model Acme-8B (acme-8b)  ★ team" in left  # … the team model still is
        await pilot.press("f1")
        await pilot.pause()
        assert "★ team" in str(app.screen.query_one("#help-text", Static).content)  # what ★ means


# -- 100×30 layout ----------------------------------------------------------------------------

async def test_at_100x30_cost_and_latency_columns_and_the_footer_are_visible() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        table = main.table
        header = header_line(table)
        for label in ("Offering", "$/Mtok", "$/month", "TPOT", "TTFT"):
            assert label in header, header
        assert main.quote is not None
        best = main.quote.results[0]
        first = row_line(table, 0)
        assert best.offering.id[:12] in first
        assert f"{best.cost.usd_per_month:,.0f}" in first  # type: ignore[union-attr]
        assert table.region.height >= 10  # room for several rows above the tabs
        tabs = main.query_one("#tabs")
        footer = main.query_one(Footer)
        assert tabs.region.bottom <= footer.region.y == 29
        keys = list(footer.query("FooterKey"))
        assert keys and all(key.region.right <= 100 for key in keys)
        shown = " ".join(str(key.description) for key in keys)
        assert "Help" in shown and "Quit" in shown


async def test_at_100x30_every_dialog_fits_the_screen() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        for key in ("f9", "ctrl+s", "f1"):
            await pilot.press(key)
            await pilot.pause()
            box = app.screen.query_one(".dialog")
            assert box.region.x >= 0 and box.region.right <= 100 and box.region.bottom <= 30, (key, box.region)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is main


async def test_at_160x45_the_wide_columns_stay() -> None:
    app = builtin_app()
    async with app.run_test(size=LARGE) as pilot:
        main = await settle(pilot)
        header = header_line(main.table)
        for label in ("Provider", "Nodes × GPUs", "$/Mtok out", "$/month", "TPOT", "TTFT", "Why not"):
            assert label in header, header


async def test_clicking_cost_and_latency_headers_sorts_at_100x30() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        table = main.table
        assert "▲" in header_line(table).split("Offering")[0]  # rank order is the default sort
        values = {
            "usd_mtok": lambda r: r.cost.usd_per_million_output_tokens,
            "usd_month": lambda r: r.cost.usd_per_month,
            "tpot": lambda r: r.estimate.tpot_s,
            "ttft": lambda r: r.estimate.ttft_s,
        }
        for key, value in values.items():
            keys = [str(c.key.value) for c in table.ordered_columns]
            x = sum(c.get_render_width(table) for c in table.ordered_columns[: keys.index(key)]) + 2
            assert x < table.scrollable_content_region.width
            await pilot.click("#results", offset=(x, 0))
            await pilot.pause(0.1)
            feasible = [value(r) for r in table.results if r.feasible]
            assert table.sort_key == key and feasible == sorted(feasible), key
            label = str(table.columns[table.ordered_columns[keys.index(key)].key].label)
            assert label.endswith("▲") and label.rstrip(" ▲") in header_line(table)
            assert f"{label}" in header_line(table)  # the arrow is drawn, not cut off
            await pilot.click("#results", offset=(x, 0))
            await pilot.pause(0.1)
            feasible = [value(r) for r in table.results if r.feasible]
            assert table.reverse and feasible == sorted(feasible, reverse=True), key
            assert "▼" in header_line(table)


# -- export formats ------------------------------------------------------------------------------

async def test_palette_and_binding_name_every_export_format() -> None:
    from advisor.tui.dialogs.export import export_formats
    from advisor.tui.palette import AdvisorCommands

    app = builtin_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        commands = {text: help_text for text, _, help_text in AdvisorCommands(app.screen).top_commands()}
        export_help = commands["Export quote…"]
        tooltip = next(b.tooltip for b in AdvisorApp.BINDINGS if isinstance(b, Binding) and b.id == "export")
        assert "html" in export_formats()
        for fmt in export_formats():
            assert fmt in export_help and fmt in tooltip


# -- stale prices -------------------------------------------------------------------------------

async def test_stale_built_in_prices_show_a_banner_and_an_assumptions_warning() -> None:
    app = builtin_app()
    async with app.run_test(size=SMALL) as pilot:
        main = await settle(pilot)
        assert main.quote is not None and main.quote.stale is not None  # every built-in price is old
        banner = main.query_one("#stale", Static)
        assert banner.display and banner.region.height == 1 and banner.region.right <= 100
        drawn = str(banner.render())
        assert "older than the 30-day validity" in drawn and main.quote.stale.oldest.isoformat() in drawn
        await pilot.press("f5")
        await pilot.pause()
        shown = main.query_one("#assumptions-text", Static).visual
        assert main.quote.stale.text in getattr(shown, "plain", "")

