"""What the pickers offer: models matching typed text, presets, providers — team entries marked.

An entry whose origin layer is "team" (the team config found upward from the working
folder) is labelled "★ team"; a user-layer entry "☆ user"; in the results table, where room is
short, an offering carries the glyph alone. Model search matches the typed
text against ids, names and aliases (case and punctuation ignored) and size hints such as
`70b`. Pure: must not import textual.
"""

from __future__ import annotations

from advisor.catalog.world import World
from advisor.domain import ModelProfile, normalize_name
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote
from advisor.shorthands import looks_like_model_size, parse_model_size

MARKS = {"team": "★ team", "user": "☆ user", "cli": "★ config", "remote": "★ remote"}
SIZE_MATCH_TOLERANCE = 0.15


def mark(world: World, kind: str, entry_id: str) -> str:
    """'★ team' for a team entry, '' for a built-in one."""
    return MARKS.get(world.layer_of(kind, entry_id), "")


def offering_marks(world: World, quote: Quote) -> dict[str, str]:
    """Offering id -> its mark's glyph ('★', '☆') for the quote's offerings that are not built in."""
    glyphs = {r.offering.id: mark(world, "offering", r.offering.id).split(" ")[0] for r in quote.results}
    return {offering_id: glyph for offering_id, glyph in glyphs.items() if glyph}


def _names(model: ModelProfile) -> list[str]:
    return [model.id, model.name, *model.aliases]


def _score(model: ModelProfile, key: str, size: float | None) -> float:
    names = [normalize_name(n) for n in _names(model)]
    if key in names:
        return 3.0
    if any(n.startswith(key) for n in names):
        return 2.0
    if any(key in n for n in names):
        return 1.0
    if size is not None and abs(model.total_params - size) / size <= SIZE_MATCH_TOLERANCE:
        return 1.5
    return 0.0


def model_matches(world: World, text: str, limit: int = 8) -> list[ModelProfile]:
    """Models matching `text`, best first (all models, smallest first, when `text` is blank)."""
    key = normalize_name(text.strip())
    models = sorted(world.models.values(), key=lambda m: (m.total_params, m.id))
    if not key:
        return models[:limit]
    size = parse_model_size(text.strip()) if looks_like_model_size(text.strip()) else None
    scored = [(score, m) for m in models if (score := _score(m, key, size)) > 0]
    scored.sort(key=lambda item: (-item[0], item[1].total_params, item[1].id))
    return [m for _, m in scored[:limit]]


def model_label(world: World, model: ModelProfile) -> str:
    """'Llama-3.1-70B  llama-3.1-70b · 70.6B  ★ team'."""
    tag = mark(world, "model", model.id)
    text = f"{safe_text(model.name)}  {model.id} · {model.total_params / 1e9:,.1f}B"
    return f"{text}  {tag}" if tag else text


def model_suggestions(world: World) -> list[str]:
    """Every id and alias, for inline completion; ids first so they win ties."""
    ids = sorted(world.models)
    aliases = sorted({a for m in world.models.values() for a in m.aliases})
    return ids + [a for a in aliases if a not in world.models]


def preset_options(world: World) -> list[tuple[str, str]]:
    """(label, id) of every workload preset, sorted by id, team ones marked."""
    options = []
    for preset_id in sorted(world.workloads):
        preset = world.workloads[preset_id]
        tag = mark(world, "workload", preset_id)
        options.append((f"{safe_text(preset.name)}" + (f"  {tag}" if tag else ""), preset_id))
    return options


def provider_options(world: World) -> list[tuple[str, str]]:
    """(label, provider) of every provider with an offering; marked when any comes from the team."""
    layers: dict[str, set[str]] = {}
    for offering in world.offerings.values():
        tag = mark(world, "offering", offering.id)
        layers.setdefault(offering.provider, set()).add(tag)
    options = []
    for provider in sorted(layers, key=str.lower):
        tags = sorted(t for t in layers[provider] if t)
        options.append((safe_text(provider) + (f"  {tags[0]}" if tags else ""), provider))
    return options
