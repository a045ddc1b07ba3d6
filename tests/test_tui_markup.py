"""Text from files is never markup in the TUI: a team whose names, aliases, notes and sources
carry Textual/Rich markup (`[@click=app.quit]`, `[/bold]`, `[b]`) is shown literally, nothing
it names can be clicked into an action, and nothing crashes. An internal error exits non-zero
with one line on stderr.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from team_data import SHAPE_8B
from textual.content import Content
from textual.style import Style
from textual.widgets import DataTable, OptionList, Select, Static
from tui_helpers import settle, type_into

from advisor.catalog.config import load_world
from advisor.tui.app import AdvisorApp
from advisor.tui.form import FormValues

pytestmark = pytest.mark.anyio

SIZE = (160, 45)
SCREENSHOT = "[@click=app.screenshot('victim.txt','x')]x[/]"
QUIT = "[@click=app.quit]q[/]"
MODEL_NAME = SCREENSHOT + " Evil"
PRESET_NAME = QUIT + " preset"
PROVIDER = QUIT + "Prov"
GPU_NAME = "GPU[/bold]"

HOSTILE_PROFILES = f"""
[[model]]
id = "evil-8b"
name = "{MODEL_NAME}"
aliases = ["{QUIT}", "a[/bold]b"]
family = "llama"
total_params = 8.03e9
""" + SHAPE_8B + f"""tie_embeddings = false
max_context = 131072
attention = [{{ kind = "full", layers = 32 }}]
native_dtype = "bf16"
source = "[/bold] team source"
notes = "[b]note"
as_of = 2026-08-01

[[workload]]
id = "evil-preset"
name = "{PRESET_NAME}"
description = "[/bold] described"
input_tokens = 1500
output_tokens = 300
max_context = 4096
concurrency = 24
source = "[@click=app.quit]src[/]"
"""

HOSTILE_CATALOG = f"""
[[accelerator]]
id = "evil-gpu"
name = "{GPU_NAME}"
vendor = "NVIDIA"
family = "hopper"
memory_bytes = 85_899_345_920
hbm_bytes_per_s = 3.35e12
dense_flops_per_s = {{ bf16 = 989e12, fp16 = 989e12, fp8 = 1979e12 }}
native_weight_dtypes = ["bf16", "fp16", "fp8"]
link_kind = "nvlink4"
link_bytes_per_s = 450e9
pcie_gen = 5
pcie_bytes_per_s = 63e9
tdp_watts = 700
form_factor = "SXM5"
source = "[/bold]"
as_of = 2026-08-01

[[offering]]
id = "evil/gpu-8x"
provider = "{PROVIDER}"
sku = "[b]SKU[/bold]"
accelerator = "evil-gpu"
gpus_per_node = 8
intra_fabric = "nvswitch"
intra_bytes_per_s = 450e9
tenancy = "vm"
price_per_node_hour = 1.0
currency = "USD"
regions = ["US"]
as_of = 2026-08-01
source = "[@click=app.quit]src[/]"
notes = "[/bold] notes"
"""


def write_hostile_team(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "advisor.toml").write_text('profiles = ["team.toml"]\ncatalogs = ["cat.toml"]\n')
    (folder / "team.toml").write_text(HOSTILE_PROFILES)
    (folder / "cat.toml").write_text(HOSTILE_CATALOG)
    return folder


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # a screenshot action would write under here
    return write_hostile_team(tmp_path / "repo")


def hostile_app(team: Path, model: str = "evil-8b", **form: Any) -> AdvisorApp:
    world = load_world(cwd=team)
    return AdvisorApp(loader=lambda: world, initial=FormValues(model=model, **form))


def _actions(style: object) -> list[str]:
    meta = style.meta if isinstance(style, Style) else getattr(style, "meta", None) or {}
    return [key for key in meta if key.startswith("@")]


def actions_in(visual: object) -> list[str]:
    """The `@click`-style actions any span of a rendered Content carries."""
    assert isinstance(visual, Content), type(visual)
    found: list[str] = []
    for span in visual.spans:
        style = Style.parse(span.style) if isinstance(span.style, str) else span.style
        found += _actions(style)
    return found


def static_plain(widget: Static) -> str:
    visual = widget.visual
    assert isinstance(visual, Content)
    assert not actions_in(visual)
    return visual.plain


async def test_model_hint_shows_the_name_literally_and_clicking_it_does_nothing(team: Path) -> None:
    app = hostile_app(team)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        hint = main.query_one("#model-hint", Static)
        assert static_plain(hint).startswith(MODEL_NAME)
        await pilot.click("#model-hint", offset=(0, 0))  # where "x" would be a link
        await pilot.click("#model-hint", offset=(1, 0))
        await pilot.pause()
        assert app.is_running and app.screen is main
    assert not (team.parent / "x").exists()  # no screenshot written


async def test_a_closing_tag_in_a_name_does_not_crash(team: Path) -> None:
    app = hostile_app(team)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await type_into(pilot, "#model", "a[/bold]b")  # the alias resolves to the model
        main = await settle(pilot)
        assert main.quote is not None and main.quote.model.id == "evil-8b"
        assert static_plain(main.query_one("#model-hint", Static)).startswith(MODEL_NAME)
        assert static_plain(main.query_one("#title", Static)).startswith(MODEL_NAME)


async def test_model_list_and_selects_show_labels_literally(team: Path) -> None:
    app = hostile_app(team)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        await type_into(pilot, "#model", "evil")
        options = main.query_one("#model-options", OptionList)
        prompt = options.get_option_at_index(0).prompt
        assert MODEL_NAME in str(prompt) and not isinstance(prompt, str)
        await pilot.press("escape")
        for select_id, label in (("#preset", PRESET_NAME), ("#provider", PROVIDER)):
            select = main.query_one(select_id, Select)
            labels = [prompt for prompt, value in select._options if value is not Select.NULL]
            shown = [p for p in labels if label in str(p)]
            assert shown and all(not isinstance(p, str) for p in shown), labels
        main.query_one("#preset", Select).value = "evil-preset"
        main = await settle(pilot)
        main.query_one("#provider", Select).value = PROVIDER
        main = await settle(pilot)
        current = main.query_one("#provider").query_one("SelectCurrent #label", Static)
        assert PROVIDER in static_plain(current)
        assert app.is_running


async def test_details_assumptions_floors_and_team_config_are_literal(team: Path) -> None:
    app = hostile_app(team)
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(pilot)
        main.table.move_cursor(row=main.table.get_row_index("evil/gpu-8x"))
        await pilot.pause()
        left = static_plain(main.query_one("#details-left", Static))
        assert PROVIDER in left and "[b]SKU[/bold]" in left and GPU_NAME in left
        await pilot.press("f5")
        await pilot.pause()
        assumptions = static_plain(main.query_one("#assumptions-text", Static))
        assert "[/bold] team source" in assumptions
        await pilot.press("f4")
        for _ in range(200):
            await pilot.pause(0.02)
            if main.query_one("#floors-table", DataTable).row_count:
                break
        table = main.query_one("#floors-table", DataTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert any(GPU_NAME in label for label in labels), labels
        assert any(MODEL_NAME in str(table.get_row_at(i)[0]) for i in range(table.row_count))
        for widget in main.query(Static):  # every text on the screen: no action from a file
            assert not isinstance(widget.visual, Content) or not actions_in(widget.visual), widget
        await pilot.press("f9")
        await pilot.pause()
        assert "cat.toml" in static_plain(app.screen.query_one("#config-text", Static))
        assert app.is_running


async def test_palette_lists_hostile_names_literally_and_picks_them(team: Path) -> None:
    from textual.command import CommandList

    app = hostile_app(team, model="llama-3.1-8b")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for char in "switch model evil":
            await pilot.press(char)
        await pilot.pause(0.4)
        commands = app.screen.query_one(CommandList)
        prompts = [commands.get_option_at_index(i).prompt for i in range(commands.option_count)]
        rendered = [p for p in prompts if isinstance(p, Content) and "Evil" in p.plain]
        assert rendered and MODEL_NAME in rendered[0].plain and not actions_in(rendered[0])
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.model.id == "evil-8b"
        app.action_pick_preset()  # the second palette: presets only
        await pilot.pause()
        for char in "preset":
            await pilot.press(char)
        await pilot.pause(0.4)
        commands = app.screen.query_one(CommandList)
        prompts = [commands.get_option_at_index(i).prompt for i in range(commands.option_count)]
        rendered = [p for p in prompts if isinstance(p, Content) and PRESET_NAME in p.plain]
        assert rendered and not actions_in(rendered[0])
        assert "[/bold] described" in rendered[0].plain  # the help line too
        await pilot.press("enter")
        main = await settle(pilot)
        assert main.quote is not None and main.quote.request.preset == "evil-preset"
        assert app.is_running


def test_a_crash_exits_non_zero_with_one_line(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import advisor.tui as tui
    from advisor.errors import EXIT_INTERNAL

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))

    def broken_loader() -> Any:
        raise RuntimeError("boom [/bold] \x1b[31mred")

    def build(args: argparse.Namespace) -> AdvisorApp:
        return AdvisorApp(loader=broken_loader)

    monkeypatch.setattr(tui, "build_app", build)

    run = AdvisorApp.run
    monkeypatch.setattr(AdvisorApp, "run", lambda self, **kw: run(self, headless=True, size=SIZE))
    code = tui.run_app(argparse.Namespace())
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("advisor: internal error: RuntimeError: boom [/bold] red")
    assert "\x1b" not in err
    logs = list((tmp_path / "cache").glob("crash-*.log"))
    assert len(logs) == 1 and f"(traceback in {logs[0]})" in lines[0]
    assert "RuntimeError" in logs[0].read_text() and "broken_loader" in logs[0].read_text()
