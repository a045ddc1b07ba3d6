"""The public LiteLLM price map (`model_prices_and_context_window.json`) to `[[api_price]]`
tables: bounded reading, which entries are chat prices of a model advisor has a profile for,
and the TOML they become.

A LiteLLM key is '<provider>/<name>' (name as the host spells it). It matches a model profile
when the name (or its last path part) is the profile's id, name or an alias, or is in the
reviewed table `advisor.catalog.litellm_names.ALIASES`; nothing is guessed. Prices per token
become USD per million tokens; `cache_read_input_token_cost` (or `input_cost_per_token_cache_hit`)
is the cached-input price. Entries that are not chat, have no price, or price out of bounds
are counted, not imported. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from advisor.catalog.litellm_names import ALIASES, PROVIDERS
from advisor.domain import ModelProfile, normalize_name
from advisor.domain.api_price import MAX_USD_PER_MILLION_TOKENS
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.files import InputError, loads_json, read_input, size_text

MAX_MAP_BYTES = 32 * 1024 * 1024  # the map is about 1.6 MB (2026); far above it, bounded
MAX_ENTRIES = 20_000  # it has about 2,500 keys
CACHED_KEYS = ("cache_read_input_token_cost", "input_cost_per_token_cache_hit")
SHOWN_UNMATCHED = 5  # names listed in the summary line


class Imported(NamedTuple):
    """One LiteLLM entry as an API price."""

    key: str  # the LiteLLM key
    provider: str
    model: str  # model profile id
    api_model: str
    usd_per_million_input: float
    usd_per_million_output: float
    usd_per_million_cached_input: float | None


class Import(NamedTuple):
    """What a price map yielded: the prices, and what was left out."""

    prices: tuple[Imported, ...]
    chat_entries: int
    unmatched: tuple[str, ...]  # chat entries of no known model, in file order
    unpriced: tuple[str, ...]  # chat entries of a known model without usable prices
    sha256: str


def read_price_map(path: str) -> tuple[dict[str, Any], str]:
    """The map's top-level object and its sha256; one-line errors (exit 2) otherwise."""
    data = read_input(path, max_bytes=MAX_MAP_BYTES, what="a LiteLLM price map (JSON)")
    try:
        value = loads_json(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise InputError(path, "expected a JSON object of model names (the LiteLLM price map)")
    if len(value) > MAX_ENTRIES:
        raise InputError(path, f"more than {MAX_ENTRIES:,} entries ({size_text(len(data))})")
    return value, hashlib.sha256(data).hexdigest()


def import_prices(price_map: dict[str, Any], models: dict[str, ModelProfile], sha256: str = "") -> Import:
    """Every chat entry of `price_map` that prices a model of `models`."""
    index = _name_index(models)
    prices: list[Imported] = []
    unmatched: list[str] = []
    unpriced: list[str] = []
    chat = 0
    for key, entry in price_map.items():
        if not isinstance(entry, dict) or entry.get("mode") != "chat":
            continue
        chat += 1
        provider = str(entry.get("litellm_provider", ""))
        name = _without_provider(key, provider)
        model = _model_for(name, index)
        if model is None:
            unmatched.append(key)
            continue
        found = _prices(entry)
        if found is None:
            unpriced.append(key)
            continue
        prices.append(Imported(key, PROVIDERS.get(provider, provider or "unknown"), model, name, *found))
    return Import(tuple(prices), chat, tuple(unmatched), tuple(unpriced), sha256)


def _name_index(models: dict[str, ModelProfile]) -> dict[str, str]:
    """Normalized id, name and every alias of each model -> its id; then the reviewed table."""
    index: dict[str, str] = {}
    for model in models.values():
        for name in (model.id, model.name, *model.aliases):
            index.setdefault(normalize_name(name), model.id)
    for name, model_id in ALIASES.items():
        if model_id in models:
            index.setdefault(normalize_name(name), model_id)
    return index


def _without_provider(key: str, provider: str) -> str:
    """'together_ai/meta-llama/X' -> 'meta-llama/X' (the prefix is the provider's own name)."""
    prefix = f"{provider}/"
    return key[len(prefix):] if provider and key.startswith(prefix) else key


def _model_for(name: str, index: dict[str, str]) -> str | None:
    """The profile a host's model name is, by the whole name or its last path part."""
    for candidate in (name, name.rsplit("/", 1)[-1]):
        found = index.get(normalize_name(candidate))
        if found is not None:
            return found
    return None


def _prices(entry: dict[str, Any]) -> tuple[float, float, float | None] | None:
    """(input, output, cached input) in USD per million tokens, or None when unusable."""
    usd_in = _per_million(entry.get("input_cost_per_token"))
    usd_out = _per_million(entry.get("output_cost_per_token"))
    if usd_in is None or usd_out is None:
        return None
    cached = next((c for c in (_per_million(entry.get(k)) for k in CACHED_KEYS) if c is not None), None)
    return usd_in, usd_out, cached if cached is not None and cached <= usd_in else None


def _per_million(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    usd = round(float(value) * 1e6, 6)  # 2.3e-07 per token -> 0.23, without float noise
    return usd if math.isfinite(usd) and 0 <= usd <= MAX_USD_PER_MILLION_TOKENS else None


# -- the catalog file ------------------------------------------------------------------------

def entry_id(key: str) -> str:
    """A catalog id from a LiteLLM key: lower case, anything else than [a-z0-9._/+-] a '-'."""
    text = re.sub(r"[^a-z0-9._/+-]+", "-", key.lower()).strip("-./") or "price"
    return text[:80]


def to_toml(result: Import, source: str, as_of: date) -> str:
    """The imported prices as `[[api_price]]` tables (strings JSON-escaped: valid TOML)."""
    lines = ["#:schema ./catalog.schema.json",
             f"# Imported by `advisor catalog import litellm` from {_comment(source)}",
             f"# sha256 {result.sha256}; {len(result.prices)} prices of {result.chat_entries} chat entries.", ""]
    seen: set[str] = set()
    for price in result.prices:
        pid = entry_id(price.key)
        if pid in seen:  # two keys that differ only in case or punctuation
            continue
        seen.add(pid)
        lines += ["[[api_price]]", f"id = {_s(pid)}", f"provider = {_s(price.provider)}",
                  f"model = {_s(price.model)}", f"api_model = {_s(price.api_model[:200])}",
                  f"usd_per_million_input = {price.usd_per_million_input!r}",
                  f"usd_per_million_output = {price.usd_per_million_output!r}"]
        if price.usd_per_million_cached_input is not None:
            lines.append(f"usd_per_million_cached_input = {price.usd_per_million_cached_input!r}")
        lines += [f"as_of = {as_of.isoformat()}", f"source = {_s(f'{source}, key {price.key}'[:500])}", ""]
    return "\n".join(lines)


def summary(result: Import, path: str) -> str:
    """One line: what was imported, and which chat entries matched no model profile."""
    models = len({p.model for p in result.prices})
    line = (f"imported {len(result.prices)} API prices for {models} models from {path} "
            f"({result.chat_entries} chat entries)")
    if result.unmatched:
        shown = ", ".join(result.unmatched[:SHOWN_UNMATCHED])
        more = f" and {len(result.unmatched) - SHOWN_UNMATCHED} more" if len(result.unmatched) > SHOWN_UNMATCHED else ""
        line += f"; {len(result.unmatched)} matched no model profile ({shown}{more})"
    if result.unpriced:
        line += f"; {len(result.unpriced)} of a known model had no usable price ({', '.join(result.unpriced[:3])})"
    return line


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)


def _comment(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def refuse_empty(result: Import, path: str) -> None:
    """No price at all is an error: the file is not the price map, or no model matched."""
    if not result.prices:
        raise AdvisorError(f"{path}: no chat price of a known model ({result.chat_entries} chat entries, "
                           f"{len(result.unmatched)} unmatched): is it LiteLLM's model_prices_and_context_window.json?",
                           exit_code=EXIT_BAD_INPUT)


def default_source(path: str) -> str:
    return f"LiteLLM price map {Path(path).name}"
