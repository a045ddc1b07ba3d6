"""SVG snapshots of the TUI at 160×45 (the main view, an infeasible row's details, the charts) and
at 100×30 (the main view with its compact columns, the help screen).

Deterministic by construction: built-in data only (injected loader), no clock or random on
screen, the focus parked on the results table (no blinking cursor), and every quote and worker
finished before the screenshot. The numbers come from the catalogs and the performance model,
so a deliberate change there changes these pictures: review the diff report, then accept
with `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_textual_snapshot")

from textual.pilot import Pilot
from tui_helpers import settle

from advisor.catalog.config import load_world
from advisor.tui.app import AdvisorApp
from advisor.tui.form import FormValues

SIZE = (160, 45)
SMALL = (100, 30)


def app_with(**texts: str) -> AdvisorApp:
    """The app on the built-in data, opened with some fields already typed."""
    return AdvisorApp(loader=lambda: load_world(discover=False),
                      initial=FormValues(model="llama-3.1-70b", texts=dict(texts)))


async def focus_table(pilot: Pilot) -> None:
    await settle(pilot)
    pilot.app.main_screen.table.focus()  # type: ignore[attr-defined]
    await pilot.pause()


def test_main_view(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_with(concurrency="64"), terminal_size=SIZE, run_before=focus_table)


def test_details_of_an_infeasible_pcie_row(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def select_pcie(pilot: Pilot) -> None:
        await focus_table(pilot)
        table = pilot.app.main_screen.table  # type: ignore[attr-defined]
        table.move_cursor(row=table.get_row_index("hyperstack/n3-h100x8"))
        await settle(pilot)

    app = app_with(concurrency="16", tpot="15ms")
    assert snap_compare(app, terminal_size=SIZE, run_before=select_pcie)


def test_charts_view(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def charts(pilot: Pilot) -> None:
        await focus_table(pilot)
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(app_with(concurrency="64"), terminal_size=SIZE, run_before=charts)


def test_main_view_at_100x30(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_with(concurrency="64"), terminal_size=SMALL, run_before=focus_table)


def test_help_screen_at_100x30(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def help_screen(pilot: Pilot) -> None:
        await focus_table(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app_with(concurrency="64"), terminal_size=SMALL, run_before=help_screen)
