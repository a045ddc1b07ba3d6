"""`advisor models`: list the model profiles (built-in and team), as a table, JSON or CSV;
`advisor models import` writes a profile from a Hugging Face config (`_models_import`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.catalog.world import World
    from advisor.domain import ModelProfile

HELP = "list model profiles with size, shape, context and aliases"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from advisor.commands._models_import import add_import_parser
    from advisor.export.terminal import add_format_argument

    parser.add_argument("--family", help="only this model family (llama, qwen, deepseek …)")
    add_format_argument(parser)
    sub = parser.add_subparsers(dest="models_action", metavar="ACTION")
    add_import_parser(sub)


def _aliases(record: dict[str, Any]) -> str:
    aliases = record["aliases"]
    return "" if not aliases else aliases[0] + (f" +{len(aliases) - 1}" if len(aliases) > 1 else "")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "models_action", None) == "import":
        from advisor.commands._models_import import run_import

        return run_import(args)
    from advisor.commands._listing import show_entries
    from advisor.export.terminal import Column, billions

    def chosen(world: World) -> list[ModelProfile]:
        return [m for m in world.models.values() if not args.family or m.family == args.family.lower()]

    columns = [
        Column("id", "id", priority=0), Column("name", "name", kind="text", priority=3),
        Column("params", lambda r: billions(r["total_params"]), "right", priority=1),
        Column("active", lambda r: billions(r["active_params"] or r["total_params"]), "right", priority=2),
        Column("layers", "layers", "right", priority=5),
        Column("attention", lambda r: "+".join(sorted({a["kind"] for a in r["attention"]})), priority=5),
        Column("moe", lambda r: f"{r['moe']['experts_per_token']}/{r['moe']['experts']}" if r["moe"] else "",
               priority=4),
        Column("context", lambda r: f"{r['max_context']:,}", "right", priority=2),
        # The first alias and how many more (all of them: --format json); never a cut-off name.
        Column("aliases", _aliases, priority=6),
        Column("layer", "layer", priority=7),
    ]
    return show_entries(args, "model", chosen, columns, "models")
