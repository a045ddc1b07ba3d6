"""`World`: everything loaded and layered — accelerators, offerings, models, workloads,
efficiency and tenancy factors, hosted API prices, settings — with name resolution and provenance.

Built by `advisor.catalog.config.load_world`; read by every command, the search and the TUI.
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

from advisor.domain import (
    Accelerator,
    ApiPrice,
    EfficiencyFactors,
    ModelProfile,
    Offering,
    TenancyFactor,
    WorkloadProfile,
    normalize_name,
)
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, closest, hint_text

T = TypeVar("T", Accelerator, ModelProfile, Offering, WorkloadProfile)

BUILTIN = "built-in"  # the layer of the shipped catalogs and profiles


class Origin(NamedTuple):
    """Where one entry (or one file) came from."""

    path: str  # file path, or URL for a remote catalog
    layer: str  # "built-in" | "user" | "team" | "cli" | "remote"
    sha256: str = ""
    line: int | None = None
    as_of: str = ""  # newest as-of date of the entries in the file (ISO)
    role: str = "data"  # "data" (catalog/profile file) | "config" (advisor.toml, pyproject)


class Skipped(NamedTuple):
    """Something a config asked for that was not read, and why (untrusted, unsafe file)."""

    layer: str
    config: str  # the config file that listed it
    item: str  # a path, a URL, or the config file itself
    reason: str  # e.g. "not trusted: outside the repository"


class Settings(NamedTuple):
    """Defaults a team may set in its config (`[defaults]`); flags override them."""

    currency: str = "USD"
    engine: str = "vllm"
    utilization: float = 0.5
    term: str = "on-demand"
    quote_validity_days: int = 30
    comm_share_target: float = 0.10
    engine_memory_fraction: float = 0.90
    hours_per_month: float = 730.0
    currency_rates: tuple[tuple[str, float], ...] = ()  # (code, USD per unit), e.g. ("EUR", 1.08)


class World(NamedTuple):
    """The layered catalog. Dicts are keyed by id; later layers already replaced earlier ones.

    Immutable by convention: nothing writes to its dicts after `advisor.catalog.config` built them
    (a changed world is a new one, `world._replace(offerings=…)`)."""

    accelerators: dict[str, Accelerator]
    offerings: dict[str, Offering]
    models: dict[str, ModelProfile]
    workloads: dict[str, WorkloadProfile]
    efficiency: dict[str, EfficiencyFactors]
    tenancy: dict[str, TenancyFactor]  # keyed by tenancy kind
    settings: Settings = Settings()
    origins: dict[tuple[str, str], Origin] = {}  # (kind, id) -> origin; never mutated
    files: tuple[Origin, ...] = ()  # every file read, in load order
    shadowed: tuple[tuple[str, str, Origin, Origin], ...] = ()  # (kind, id, old, new)
    warnings: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()  # what a discovered config asked for and was not read
    flagged: tuple[str, ...] = ()  # offering ids whose price drew a sanity warning
    # (kind, id) -> field -> where its value came from, for entries a later layer patched
    field_origins: dict[tuple[str, str], dict[str, Origin]] = {}
    api_prices: dict[str, ApiPrice] = {}  # hosted APIs' per-token prices, the break-even's reference

    def model(self, name: str) -> ModelProfile:
        """Resolve a model by id or alias, case-insensitively."""
        return _resolve(name, self.models, "model")

    def accelerator(self, name: str) -> Accelerator:
        """Resolve an accelerator by id or alias, case-insensitively."""
        return _resolve(name, self.accelerators, "GPU")

    def workload(self, name: str) -> WorkloadProfile:
        """Resolve a workload preset by id or name."""
        return _resolve(name, self.workloads, "workload preset")

    def offering(self, name: str) -> Offering:
        """Resolve an offering by id."""
        return _resolve(name, self.offerings, "offering")

    def origin(self, kind: str, entry_id: str) -> Origin | None:
        return self.origins.get((kind, entry_id))

    def layer_of(self, kind: str, entry_id: str) -> str:
        origin = self.origins.get((kind, entry_id))
        return origin.layer if origin else "built-in"


def _names(entry: Accelerator | ModelProfile | Offering | WorkloadProfile) -> list[str]:
    names = [entry.id]
    for attr in ("name", "sku"):
        value = getattr(entry, attr, None)
        if value:
            names.append(value)
    names.extend(getattr(entry, "aliases", ()))
    return names


def _alias_index(table: dict[str, T]) -> dict[str, T]:
    """Every normalized name and alias of a table's entries -> the first entry that has it."""
    index: dict[str, T] = {}
    for entry in table.values():
        for alias in _names(entry):
            index.setdefault(normalize_name(alias), entry)
    return index


def _resolve(name: str, table: dict[str, T], what: str) -> T:
    if name in table:
        return table[name]
    key = normalize_name(name)
    index = _alias_index(table)
    if key in index:
        return index[key]
    close = closest(key, index)
    hint = hint_text(index[close].id if close else None)
    raise AdvisorError(f"unknown {what} {name!r}{hint}", exit_code=EXIT_BAD_INPUT)
