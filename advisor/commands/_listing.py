"""Shared by the listing commands (models, gpus, offerings, workloads): entries to records.

A record is the entry as JSON-ready data (`to_json`) plus `layer` (built-in, user, team, cli or
remote) and `file` (where it came from), so JSON and CSV carry provenance. Must not import
textual or httpx; rich only through `advisor.export.terminal` when a table is printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from advisor.catalog.world import World
from advisor.domain.common import to_json

if TYPE_CHECKING:
    from advisor.export.terminal import Column


def show_entries(args: argparse.Namespace, kind: str, select: Callable[[World], Iterable[Any]],
                 columns: Sequence[Column], noun: str,
                 decorate: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> int:
    """Load the World, list the entries `select` picks as a table (fitted to --width, or the
    --columns chosen), JSON or CSV; `decorate` may add fields and reorder; exit code 0."""
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import render

    world = world_from_args(args)
    records = entry_records(world, kind, select(world))
    if decorate is not None:
        records = decorate(records)
    render(records, columns, args.format, title=f"{len(records)} {noun}", width=args.width,
           chosen=args.columns)
    return 0


def entry_records(world: World, kind: str, entries: Iterable[Any]) -> list[dict[str, Any]]:
    """JSON-ready dicts, sorted by id, each with its layer and source file."""
    records = []
    for entry in entries:
        entry_id = str(getattr(entry, "id", None) or getattr(entry, "tenancy", ""))
        record = to_json(entry)
        origin = world.origin(kind, entry_id)
        record["layer"] = origin.layer if origin else "built-in"
        record["file"] = origin.path if origin else ""
        records.append(record)
    return sorted(records, key=lambda r: str(r.get("id", r.get("tenancy", ""))))
