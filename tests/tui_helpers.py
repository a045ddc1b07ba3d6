"""Shared Pilot helpers for the TUI tests."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.pilot import Pilot

from advisor.catalog.config import load_world
from advisor.catalog.world import World
from advisor.quote.build import build_quote
from advisor.search.request import build_request
from advisor.tui.app import AdvisorApp
from advisor.tui.screens.main import MainScreen

_WORLD: World | None = None


def builtin_world() -> World:
    """The built-in data, loaded once for all TUI tests."""
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
    return main.table.get_cell(offering_id, column)


def expected_ids(world: World, **raw: Any) -> list[str]:
    return [r.offering.id for r in build_quote(build_request(world, **raw), world).results]


async def settle(pilot: Pilot) -> MainScreen:
    """Wait until the latest form has been quoted and every worker is done; the main screen."""
    app = pilot.app
    for _ in range(400):
        await pilot.pause(0.02)
        main = app.main_screen  # type: ignore[attr-defined]
        if main is not None and main.quote is not None and not main.busy:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()
    main = app.main_screen  # type: ignore[attr-defined]
    assert main is not None and not main.busy
    return main
