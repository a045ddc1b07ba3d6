"""The World a command works on: loaded as the flags say, its warnings printed on stderr, and
the model a `--model` text chose, stated on stderr."""

from __future__ import annotations

import argparse
import sys

from advisor.catalog.world import World


def world_from_args(args: argparse.Namespace) -> World:
    """The World for `--config`, `--no-discover`, `--offline` and `--strict`; its warnings
    (stale remote catalogs, implausible team entries) go to stderr."""
    from advisor.catalog import config
    from advisor.export.terminal import print_warnings

    world = config.world_from_args(args)
    print_warnings(world.warnings)
    return world


def say_model(world: World, given: str | None) -> None:
    """'advisor: model: 123b → mistral-large-2 (123.0B)' on stderr when `given` was not the id
    itself (an alias or a size), so a quote never silently answers for another model."""
    from advisor.export.terminal import safe_text
    from advisor.search.request import choose_model

    line = choose_model(world, given).line(world) if given else None
    if line:
        print(f"advisor: model: {safe_text(line)}", file=sys.stderr)
