"""`advisor models`: list the model profiles (built-in and team), as a table, JSON or CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.catalog.world import World
    from advisor.domain import ModelProfile

HELP = "list model profiles with size, shape, context and aliases"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.export.terminal import add_format_argument

    parser.add_argument("--family", help="only this model family (llama, qwen, deepseek …)")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column, billions

    def chosen(world: World) -> list[ModelProfile]:
        return [m for m in world.models.values() if not args.family or m.family == args.family.lower()]

    columns = [
        Column("id", "id"), Column("name", "name"),
        Column("params", lambda r: billions(r["total_params"]), "right"),
        Column("active", lambda r: billions(r["active_params"] or r["total_params"]), "right"),
        Column("layers", "layers", "right"),
        Column("attention", lambda r: "+".join(sorted({a["kind"] for a in r["attention"]}))),
        Column("moe", lambda r: f"{r['moe']['experts_per_token']}/{r['moe']['experts']}" if r["moe"] else ""),
        Column("context", lambda r: f"{r['max_context']:,}", "right"),
        Column("aliases", lambda r: ", ".join(r["aliases"][:3]) + (" …" if len(r["aliases"]) > 3 else "")),
        Column("layer", "layer"),
    ]
    return show_entries(args, "model", chosen, columns, "models")
