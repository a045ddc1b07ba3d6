"""The World a command works on: loaded as the flags say, its warnings printed on stderr."""

from __future__ import annotations

import argparse

from advisor.catalog.world import World


def world_from_args(args: argparse.Namespace) -> World:
    """The World for `--config`, `--no-discover`, `--offline` and `--strict`; its warnings
    (stale remote catalogs, implausible team entries) go to stderr."""
    from advisor.catalog import config
    from advisor.export.terminal import print_warnings

    world = config.world_from_args(args)
    print_warnings(world.warnings)
    return world
