"""`advisor schema`: the JSON Schemas of catalog/profile files and of the team config.

Editors (taplo, Even Better TOML) validate a TOML file against the schema named in its
`#:schema` comment. Quantity fields accept a number (SI units) or a unit string whose unit is
one of the whitelisted spellings of `advisor.domain.units`; a price may be "3.99 USD/h". The committed
`catalogs/catalog.schema.json` must equal `catalog_schema()` (a test checks it). Must not
import textual, rich, httpx or pint.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "write the JSON Schemas for catalog/profile files and the team config"
FILES = {"catalog": "catalog.schema.json", "config": "config.schema.json"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", nargs="?", choices=tuple(FILES),
                        help="print only this schema (default with -o: write both)")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help=f"write {' and '.join(FILES.values())} into DIR")
    parser.add_argument("--force", action="store_true", help="replace schema files already in DIR")


def run(args: argparse.Namespace) -> int:
    from advisor.errors import AdvisorError

    schemas = {"catalog": catalog_schema, "config": config_schema}
    chosen = [args.which] if args.which else list(FILES)
    if not args.output:
        sys.stdout.write(dump(schemas[chosen[0]]()))
        return 0
    folder = Path(args.output)
    if not folder.is_dir():
        raise AdvisorError(f"{folder}: not a folder")
    from advisor.export.write import write_atomic

    for which in chosen:  # atomic, never through a symlink, an existing file only with --force
        target = folder / FILES[which]
        write_atomic(target, dump(schemas[which]()), force=args.force)
        print(f"wrote {target}", file=sys.stderr)
    return 0


def dump(schema: dict[str, Any]) -> str:
    """The schema as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def catalog_schema() -> dict[str, Any]:
    """Schema of a catalog/profile file: optional arrays of each kind of table."""
    from pydantic import ConfigDict, Field, create_model

    from advisor.catalog.loaders import KINDS

    fields: dict[str, Any] = {
        kind: (list[model], Field(default_factory=list, description=f"[[{kind}]] tables"))  # type: ignore[valid-type]
        for kind, model in KINDS.items()
    }
    model = create_model(
        "CatalogFile", __config__=ConfigDict(extra="forbid", title="advisor catalog/profile file"),
        **fields,
    )
    schema = model.model_json_schema()  # quantities: the `Unit` marker adds the unit strings
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = ("Accelerators, offerings, models, workloads, efficiency and tenancy "
                             "factors, and hosted API prices for advisor. Quantities: SI numbers or unit strings.")
    _allow_price_strings(schema)
    _move_bounds(schema)
    return schema


def config_schema() -> dict[str, Any]:
    """Schema of `advisor.toml` / `.advisor.toml` / `[tool.advisor]`."""
    from advisor.catalog.team_config import TeamConfig

    schema = TeamConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "advisor team config"
    return schema


def _allow_price_strings(schema: dict[str, Any]) -> None:
    """`price_per_node_hour = "3.99 USD/h"` is accepted and then sets `currency` itself."""
    offering = schema.get("$defs", {}).get("Offering")
    if not offering:
        return
    price = offering["properties"]["price_per_node_hour"]
    from advisor.domain.units import SCHEMA_NUMBER

    text = {"type": "string", "pattern": f"{SCHEMA_NUMBER}[A-Z]{{3}}\\s*/\\s*(h|hr|hour)\\s*$"}
    offering["properties"]["price_per_node_hour"] = {
        "anyOf": [{k: v for k, v in price.items() if k not in ("title", "description")}, text],
        "title": price.get("title", ""), "description": price.get("description", ""),
    }
    offering["required"] = [name for name in offering.get("required", []) if name != "currency"]


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _move_bounds(node: Any) -> None:
    """Pydantic leaves `gt`/`le` beside an `anyOf`; put them, as JSON Schema, on the number."""
    if isinstance(node, list):
        for child in node:
            _move_bounds(child)
        return
    if not isinstance(node, dict):
        return
    bounds = {key: node.pop(key) for key in list(node) if key in _BOUNDS and "anyOf" in node}
    if bounds:
        for branch in node["anyOf"]:
            if branch.get("type") == "number":
                branch.update({_BOUNDS[key]: value for key, value in bounds.items()})
    for child in node.values():
        _move_bounds(child)
