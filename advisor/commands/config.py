"""`advisor config show`: the merged configuration and where each piece came from.

Lists every file read with its layer (built-in < user < team < cli, remote below the config
that lists it), what a discovered config asked for and was skipped (not trusted, unsafe file),
the entries a later layer shadows (old and new place), the settings in force and any
warnings; `--format json` gives the same as one JSON object. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
from typing import Any

HELP = "show the merged configuration: files read, layers, shadowed entries, settings"


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
         "by": {"layer": new.layer, "path": _where(new)}}
        for kind, entry_id, old, new in world.shadowed
    ]
    counts = {"accelerators": len(world.accelerators), "offerings": len(world.offerings),
              "models": len(world.models), "workloads": len(world.workloads),
              "efficiency": len(world.efficiency), "tenancy": len(world.tenancy)}
    settings = world.settings._asdict()
    settings["currency_rates"] = dict(world.settings.currency_rates)
    skipped = [{"layer": s.layer, "config": s.config, "item": s.item, "reason": s.reason}
               for s in world.skipped]
    return {"files": files, "shadowed": shadowed, "skipped": skipped, "counts": counts,
            "settings": settings, "warnings": list(world.warnings)}


def text_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as readable lines (each made safe by the caller)."""
    lines = ["Files read, in load order (later layers win):"]
    for f in summary["files"]:
        what = "config" if f["role"] == "config" else f"{f['entries']} entries"
        lines.append(f"  {f['layer']:<9} {f['path']}  ({what})")
    if summary["shadowed"]:
        lines.append("Shadowed entries:")
        for s in summary["shadowed"]:
            lines.append(f"  {s['kind']} {s['id']}: {s['by']['layer']} {s['by']['path']} "
                         f"replaces {s['from']['layer']} {s['from']['path']}")
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
