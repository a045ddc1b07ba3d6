"""The interactive app (`advisor` with no command). The only package that imports textual.

`run_app(args)` builds the app (`build_app`) around a loader that reads the World like every
command does (`advisor.catalog.config.world_from_args`: --config, --no-discover, --strict; its warnings
on stderr) but takes
remote catalogs from the cache only, so opening the app never waits on the network; a
`RemoteSource` for the `[[remote]]` entries of the same configs lets a background worker
revalidate them (not under --offline) and reload. It runs the app and returns the exit code:
0 after ctrl+q; after the load-error screen, the loader's code (3 for a bad discovered file,
2 for a bad --config file); after an uncaught exception, 70 with one line on stderr.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.world import World
    from advisor.tui.app import AdvisorApp


def build_app(args: argparse.Namespace) -> AdvisorApp:
    """The app for these command-line arguments (what `run_app` runs; tests drive it)."""
    from advisor.catalog.config import world_from_args
    from advisor.catalog.remote.listed import listed_specs
    from advisor.export.terminal import print_warnings
    from advisor.tui.app import AdvisorApp
    from advisor.tui.remotes import RemoteSource

    cached = argparse.Namespace(**{**vars(args), "offline": True})  # the worker asks the network

    def load() -> World:
        world = world_from_args(cached)
        print_warnings(world.warnings)
        return world

    remotes = RemoteSource(specs=lambda: listed_specs(args), reload=load,
                           offline=bool(getattr(args, "offline", False)))
    return AdvisorApp(loader=load, remotes=remotes)


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits; the exit code (70 and one line on stderr on a crash)."""
    from advisor.tui.crash import report

    app = build_app(args)
    try:
        result = app.run()
    except Exception as error:  # a crash outside the app's message loop (driver, terminal)
        return report(error)
    if app.crash is not None:
        return report(app.crash)
    return int(result or 0)
