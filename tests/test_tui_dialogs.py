"""The TUI's dialogs and team files, driven with Pilot: the export dialog (write, replace,
a missing folder), the load-error screen for a broken team catalog, team entries marked in
the pickers, and the command palette.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from advisor.catalog.config import load_world
from advisor.errors import AdvisorError

pytest.importorskip("textual")

from team_data import SHAPE_8B
from textual.widgets import Checkbox, Input, OptionList, Select, Static
from tui_helpers import builtin_app, settle, type_into

from advisor.tui.app import AdvisorApp
from advisor.tui.screens.load_error import LoadErrorScreen

pytestmark = pytest.mark.anyio  # async tests run on asyncio through anyio's pytest plugin

SIZE = (160, 45)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
""" + SHAPE_8B + """tie_embeddings = false
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

