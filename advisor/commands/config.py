"""`advisor config show`: the merged configuration and where each piece came from.

Lists every file read with its layer (built-in < user < team < cli, remote below the config
that lists it), what a discovered config asked for and was skipped (not trusted, unsafe file),
the entries a later layer patches (old and new place, then the merged entry field by field
with the layer each value came from), the settings in force and any warnings; `--format json`
gives the same as one JSON object. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
from typing import Any

HELP = "show the merged configuration: files read, layers, overridden entries field by field, settings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("show",), default="show",
                        help="what to do (default: show)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from advisor.commands._world import world_from_args
    from advisor.export.terminal import print_lines, to_json

    world = world_from_args(args)
    summary = summarize(world)
    if args.format == "json":
        print(to_json(summary))
    else:
        print_lines(text_lines(summary))
    return 0


def _where(origin: Any) -> str:
    return f"{origin.path}:{origin.line}" if origin.line else origin.path


def summarize(world: Any) -> dict[str, Any]:
    """The merged world as plain data: files, shadowed entries, counts, settings, warnings."""
    per_file: dict[str, int] = {}
    for origin in world.origins.values():
        per_file[origin.path] = per_file.get(origin.path, 0) + 1
    files = [
        {"path": o.path, "layer": o.layer, "role": o.role, "sha256": o.sha256,
         "as_of": o.as_of, "entries": per_file.get(o.path, 0) if o.role == "data" else None}
        for o in world.files
    ]
    shadowed = [
        {"kind": kind, "id": entry_id, "from": {"layer": old.layer, "path": _where(old)},
         "by": {"layer": new.layer, "path": _where(new)}, "fields": merged_fields(world, kind, entry_id)}
        for kind, entry_id, old, new in world.shadowed
    ]
    counts = {"accelerators": len(world.accelerators), "offerings": len(world.offerings),
              "models": len(world.models), "workloads": len(world.workloads),
              "efficiency": len(world.efficiency), "tenancy": len(world.tenancy),
              "api_prices": len(world.api_prices)}
    settings = world.settings._asdict()
    settings["currency_rates"] = dict(world.settings.currency_rates)
    skipped = [{"layer": s.layer, "config": s.config, "item": s.item, "reason": s.reason}
               for s in world.skipped]
    return {"files": files, "shadowed": shadowed, "skipped": skipped, "counts": counts,
            "settings": settings, "warnings": list(world.warnings)}




def merged_fields(world: Any, kind: str, entry_id: str) -> dict[str, dict[str, Any]]:
    """Every field of a patched entry as loaded: its value and where it came from (the layer
    and file:line of the entry that set it, or the default)."""
    import dataclasses

    from advisor.catalog.merge import TABLES
    from advisor.domain.common import to_json

    record = getattr(world, TABLES[kind]).get(entry_id)
    if record is None:
        return {}
    origins = world.field_origins.get((kind, entry_id), {})
    fields = {}
    for field in dataclasses.fields(record):
        origin = origins.get(field.name)
        where = {"layer": origin.layer, "path": _where(origin)} if origin else {"layer": "default", "path": ""}
        fields[field.name] = {"value": to_json(getattr(record, field.name)), **where}
    return fields


def text_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as readable lines (each made safe by the caller)."""
    lines = ["Files read, in load order (later layers win):"]
    for f in summary["files"]:
        what = "config" if f["role"] == "config" else f"{f['entries']} entries"
        lines.append(f"  {f['layer']:<9} {f['path']}  ({what})")
    if summary["shadowed"]:
        lines.append("Overridden entries (a later entry with the same id changes only the fields it sets):")
        for s in summary["shadowed"]:
            lines.append(f"  {s['kind']} {s['id']}: {s['by']['layer']} {s['by']['path']} "
                         f"patches {s['from']['layer']} {s['from']['path']}")
            lines.extend(_field_lines(s["fields"]))
    if summary["skipped"]:
        lines.append("Skipped (run `advisor trust` to allow what is not trusted):")
        for s in summary["skipped"]:
            where = "" if s["item"] == s["config"] else f", listed in {s['config']}"
            lines.append(f"  {s['layer']:<9} {s['item']} ({s['reason']}{where})")
    counts = ", ".join(f"{n} {name}" for name, n in summary["counts"].items())
    lines.append(f"Loaded: {counts}")
    settings = ", ".join(f"{k}={v}" for k, v in summary["settings"].items())
    lines.append(f"Settings: {settings}")
    lines.extend(f"Warning: {w}" for w in summary["warnings"])
    return lines


def _field_lines(fields: dict[str, dict[str, Any]]) -> list[str]:
    """`    name  value  layer` for each field of a merged entry; long values cut."""
    import json

    width = max((len(name) for name in fields), default=0)
    lines = []
    for name, field in fields.items():
        value = json.dumps(field["value"], ensure_ascii=False)
        value = value if len(value) <= 60 else value[:59] + "…"
        lines.append(f"    {name:<{width}}  {value:<60}  {field['layer']}")
    return lines
