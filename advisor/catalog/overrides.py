"""Overrides that patch: an entry whose id an earlier layer already defines changes only the
fields it sets (nested tables merged key by key, lists replaced whole), so copying the README's
negotiated price keeps the built-in's `nvls = true` and its fabrics.

Owns the merge of raw TOML tables, the effective table of every id as the layers stack up
(`Bases`: what the loader validates a patch against, so a patch that sets only a price is a
valid entry and its problems still name the patching file's line and key), one entry merged
over another when the layers are merged (`patch_entry`, with who set each field), and which
fields of an entry are hardware (a patch changing them warns: `advisor.catalog.sanity_hardware`).
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from advisor.catalog.world import Origin
from advisor.errors import Problem

if TYPE_CHECKING:
    from advisor.catalog.config import Layer
    from advisor.catalog.loaders import Entry

# What a patch may change freely is price and terms; these describe the machine itself, and a
# patch that changes them is probably a different machine (or a copied field gone wrong).
HARDWARE_FIELDS: dict[str, frozenset[str]] = {
    "offering": frozenset({
        "accelerator", "gpus_per_node", "intra_fabric", "intra_bytes_per_s", "fast_group_gpus", "nvls",
        "inter_fabric", "inter_bytes_per_s", "tenancy",
    }),
    "accelerator": frozenset({
        "memory_bytes", "memory_marketed_bytes", "hbm_bytes_per_s", "dense_flops_per_s", "native_weight_dtypes",
        "link_kind", "link_bytes_per_s", "pcie_gen", "pcie_bytes_per_s", "tdp_watts", "form_factor", "family",
    }),
}


class Base(NamedTuple):
    """The effective table of one id so far, and where its entry was defined."""

    raw: dict[str, Any]
    where: str  # path:line of the entry that last set it


Bases = dict[tuple[str, str], Base]  # (kind, id) -> what a later layer's entry patches


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with every key of `patch` set; a table in both is merged the same way, anything
    else (lists included) is replaced. Neither input is changed."""
    merged = dict(base)
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def note_layer(bases: Bases, layer: Layer) -> None:
    """Add a loaded layer's entries to `bases`: each id's table merged over what it patches
    (within one layer the first entry of an id counts; a repeat is a duplicate-id problem)."""
    before = dict(bases)
    seen: set[tuple[str, str]] = set()
    for loaded in layer.files:
        for entry in loaded.entries:
            key = (entry.kind, entry.id)
            if entry.item is None or key in seen:
                continue
            seen.add(key)
            earlier = before.get(key)
            raw = deep_merge(earlier.raw, entry.item) if earlier is not None else entry.item
            bases[key] = Base(raw, f"{loaded.path}:{entry.line or '?'}")


def patch_entry(
    entry: Entry, raws: dict[tuple[str, str], dict[str, Any]],
    field_origins: dict[tuple[str, str], dict[str, Origin]], old: Origin, new: Origin,
) -> tuple[object, Problem | None]:
    """The record of `entry` patching the entry already loaded under its id, or a problem (at
    the patching entry's line) when the merged entry is invalid; the merged table goes into
    `raws` and who set each field into `field_origins`.

    The loader has usually validated it over the same table already (`Entry.base`); a layer
    built without those bases (a remote catalog, a test's) is validated here."""
    key = (entry.kind, entry.id)
    earlier = raws.get(key)
    if entry.item is None or earlier is None:
        return entry.value, None  # nothing known to merge with: replaced whole
    merged = deep_merge(earlier, entry.item)
    value = entry.value
    if entry.base != earlier:
        value, problem = _validate_merged(entry, merged, new)
        if problem is not None:
            return None, problem
    raws[key] = merged
    before = field_origins.get(key) or dict.fromkeys(earlier, old)
    field_origins[key] = {**before, **dict.fromkeys(entry.item, new)}
    return value, None


def _validate_merged(entry: Entry, merged: dict[str, Any], new: Origin) -> tuple[object, Problem | None]:
    from pydantic import ValidationError

    from advisor.catalog.loaders import KINDS
    from advisor.catalog.toml_reader import dotted
    from advisor.domain.validation import validate

    try:
        return validate(KINDS[entry.kind], merged), None
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        key = dotted((entry.kind, *error["loc"]))
        message = str(error["msg"]).removeprefix("Value error, ")
        return None, Problem(new.path, new.line, key, f"{message} (in {entry.id} merged over the entry it patches)")
    except (RecursionError, OverflowError, ValueError, TypeError) as exc:
        return None, Problem(new.path, new.line, entry.kind, f"invalid entry: {exc}")
