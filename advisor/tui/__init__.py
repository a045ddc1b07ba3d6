"""The interactive app (`advisor` with no command). The only package that imports textual.

`run_app(args)` builds the app around a loader that reads the World like every command does
(`advisor.config.world_from_args`: --config, --no-discover, --offline), runs it, and returns
the exit code: 0 after ctrl+q; after the load-error screen, the loader's code (3 for a bad
discovered file, 2 for a bad --config file).
"""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits; the exit code."""
    from advisor.config import world_from_args
    from advisor.tui.app import AdvisorApp

    app = AdvisorApp(loader=lambda: world_from_args(args))
    result = app.run()
    return int(result or 0)
