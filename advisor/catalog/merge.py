"""Merging loaded layers into a World: entries by id, a later layer's entry with an id already
loaded patching it (`advisor.catalog.overrides`), a repeated id within one layer a problem naming
both places, and references to accelerators or offerings that are not loaded (an API price for an
unknown model is a warning, not a problem). Must not import
textual, rich, httpx or pint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from advisor.catalog.overrides import deep_merge, patch_entry
from advisor.catalog.world import BUILTIN, Origin, Settings, Skipped, World
from advisor.errors import EXIT_BAD_INPUT, Problem, closest

if TYPE_CHECKING:
    from advisor.catalog.config import Layer

# Entry kind -> the World's table of it.
TABLES = {
    "accelerator": "accelerators", "offering": "offerings", "model": "models",
    "workload": "workloads", "efficiency": "efficiency", "tenancy": "tenancy",
    "api_price": "api_prices",
}


def merge_layers(layers: list[Layer], warnings: list[str] | None = None) -> tuple[World, list[tuple[int, Problem]]]:
    """Merge layers by id into a World; problems (with their exit codes) are returned."""
    tables: dict[str, dict] = {kind: {} for kind in TABLES}
    origins: dict[tuple[str, str], Origin] = {}
    files: list[Origin] = []
    shadowed: list[tuple[str, str, Origin, Origin]] = []
    skipped: list[Skipped] = []
    problems: list[tuple[int, Problem]] = []
    settings = Settings()
    owner: dict[tuple[str, str], int] = {}  # (kind, id) -> index of the layer that set it
    raws: dict[tuple[str, str], dict] = {}  # (kind, id) -> the effective table, what a patch merges over
    field_origins: dict[tuple[str, str], dict[str, Origin]] = {}  # of patched entries only
    for layer_index, layer in enumerate(layers):
        files.extend(layer.configs)
        skipped.extend(layer.skipped)
        if layer.defaults is not None:
            settings = layer.defaults.apply(settings)
        for loaded in layer.files:
            shown = loaded.path  # a URL for remote catalogs
            files.append(Origin(shown, layer.name, loaded.sha256, None, loaded.as_of))
            for entry in loaded.entries:
                key = (entry.kind, entry.id)
                new = Origin(shown, layer.name, loaded.sha256, entry.line, loaded.as_of)
                old = origins.get(key)
                if old is not None and owner[key] == layer_index:
                    problems.append((layer.exit_code, Problem(
                        shown, entry.line, f"{entry.kind}.id",
                        f"duplicate id {entry.id!r} in the {layer.name} layer "
                        f"(also at {old.path}:{old.line or '?'})")))
                    continue
                value = entry.value
                if old is not None:
                    shadowed.append((entry.kind, entry.id, old, new))
                    value, problem = patch_entry(entry, raws, field_origins, old, new)
                    if problem is not None:
                        problems.append((layer.exit_code, problem))
                        continue
                elif entry.item is not None:
                    raws[key] = entry.item if entry.base is None else deep_merge(entry.base, entry.item)
                tables[entry.kind][entry.id] = value
                origins[key] = new
                owner[key] = layer_index
    world = World(
        accelerators=tables["accelerator"], offerings=tables["offering"], models=tables["model"],
        workloads=tables["workload"], efficiency=tables["efficiency"], tenancy=tables["tenancy"],
        settings=settings, origins=origins, files=tuple(files), shadowed=tuple(shadowed),
        warnings=tuple(warnings or ()), skipped=tuple(skipped), field_origins=field_origins,
        api_prices=tables["api_price"],
    )
    codes = {layer.name: layer.exit_code for layer in layers}
    problems.extend((codes.get(p_layer, EXIT_BAD_INPUT), p) for p_layer, p in reference_problems(world))
    return world, problems


def reference_problems(world: World) -> list[tuple[str, Problem]]:
    """Entries naming an accelerator or offering that is not loaded: (layer, problem)."""
    found = []
    checks: list[tuple[str, str, str, str, Mapping[str, object]]] = [
        ("offering", o.id, "accelerator", o.accelerator, world.accelerators) for o in world.offerings.values()]
    for e in world.efficiency.values():
        if e.gpu is not None:
            checks.append(("efficiency", e.id, "gpu", e.gpu, world.accelerators))
        if e.offering is not None:
            checks.append(("efficiency", e.id, "offering", e.offering, world.offerings))
    for kind, entry_id, key, ref, table in checks:
        if ref in table:
            continue
        origin = world.origins.get((kind, entry_id)) or Origin("?", BUILTIN)
        what = "accelerator" if table is world.accelerators else "offering"
        found.append((origin.layer, Problem(origin.path, origin.line, f"{kind}.{key}",
                                            f"unknown {what} {ref!r}", closest(ref, table))))
    return found
