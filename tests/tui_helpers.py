"""Shared Pilot helpers for the TUI tests."""

from __future__ import annotations

from textual.pilot import Pilot

from advisor.tui.screens.main import MainScreen


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
