"""Shared by the export tests: the fixture world (tests/fixtures/export/) layered as
`load_world` layers files, a quote on it, and the CLI driver."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import Layer, config_layers, merge_layers
from advisor.catalog.loaders import load_catalog_file
from advisor.catalog.toml_reader import raise_problems
from advisor.catalog.world import World
from advisor.cli import main
from advisor.errors import EXIT_BAD_CATALOG, EXIT_BAD_INPUT
from advisor.export import ExportOptions
from advisor.quote.build import Quote, build_quote
from advisor.search.request import build_request

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "export"
GOLDEN = HERE / "golden"
REPO = HERE.parent
ISSUED = date(2026, 8, 3)
EVERYTHING = ExportOptions(top=None, include_infeasible=True)
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def fixture_world(*extra_files: Path) -> World:
    """The fixture's base folder as the bottom layer, its team config on top and `extra_files`
    as a command-line layer above that, layered as `load_world` does; the fixture's paths are
    relative (run inside FIXTURE) so documents do not depend on where the checkout is."""
    base = Layer("built-in", EXIT_BAD_CATALOG)
    for path in sorted(Path("base").glob("*.toml")):
        base.add(load_catalog_file(path))
    layers = [base, *config_layers(Path("team/advisor.toml"), "team", EXIT_BAD_CATALOG, [])]
    if extra_files:
        layers.append(Layer("cli", EXIT_BAD_INPUT))
        for path in extra_files:
            layers[-1].add(load_catalog_file(path))
    for layer in layers:
        raise_problems(layer.problems, layer.exit_code)
    world, problems = merge_layers(layers)
    assert not problems, problems
    return world


def fixture_quote(world: World | None = None, *, issued: date = ISSUED, **raw: Any) -> Quote:
    world = world or fixture_world()
    fields = {"model": "405b", "max_context": 32768, "concurrency": 32, **raw}
    return build_quote(build_request(world, **fields), world, issued=issued)


def quote_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["quote", *args])
    out, err = capsys.readouterr()
    return code, out, err
