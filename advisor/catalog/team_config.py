"""The team/user config file (`advisor.toml`, `.advisor.toml`, `[tool.advisor]`): its schema
and reading it into a validated `TeamConfig` with `file:line` problems.

Layering and discovery are `advisor.catalog.config`; this module only knows one config file.
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.catalog.toml_positions import KeyPath
from advisor.catalog.toml_reader import ParsedToml, read_file_bytes, read_toml
from advisor.catalog.world import Settings
from advisor.domain.common import Currency
from advisor.domain.engines import ENGINE_SPEC_PATTERN
from advisor.domain.offering import Term
from advisor.errors import Problem, closest

UsdRate = Annotated[float, Field(gt=0, le=1e6)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, str_max_length=2000,
        use_attribute_docstrings=True, defer_build=True,
    )


class Defaults(_Strict):
    """Defaults for every command; a command-line flag still wins over them."""

    currency: Currency | None = None
    """Currency to show prices in (ISO 4217); needs a rate in `currency_rates` unless USD."""
    engine: str | None = Field(default=None, pattern=ENGINE_SPEC_PATTERN)
    """Serving engine assumed: trtllm, vllm or sglang, optionally with a version (vllm@0.10)."""
    utilization: float | None = Field(default=None, gt=0, le=1)
    """Average share of rented hours the capacity is busy."""
    term: Term | None = None
    """Commitment term to price with: spot, on-demand, 1-month … 3-year."""
    quote_validity_days: int | None = Field(default=None, ge=1, le=3650)
    """How long a quote is valid; prices older than this are flagged."""
    comm_share_target: float | None = Field(default=None, gt=0, lt=1)
    """Largest share of step time communication may take before a layout is penalised."""
    engine_memory_fraction: float | None = Field(default=None, gt=0, le=1)
    """Share of GPU memory the engine may use (vLLM gpu_memory_utilization)."""
    hours_per_month: float | None = Field(default=None, ge=672, le=744)
    """Hours in a billing month, for monthly cost."""
    currency_rates: dict[Currency, UsdRate] = Field(default_factory=dict, max_length=200)
    """USD per unit of each currency, e.g. EUR = 1.08."""

    def apply(self, settings: Settings) -> Settings:
        """`settings` with every value this table sets replaced (rates are merged)."""
        changes: dict[str, Any] = {
            name: value
            for name in Defaults.model_fields
            if name != "currency_rates" and (value := getattr(self, name)) is not None
        }
        if self.currency_rates:
            rates = dict(settings.currency_rates)
            rates.update({code: float(rate) for code, rate in self.currency_rates.items()})
            changes["currency_rates"] = tuple(sorted(rates.items()))
        return settings._replace(**changes)


class RemoteCatalog(_Strict):
    """A catalog published at a URL, pinned by hash; fetched by `advisor catalog update`."""

    url: str = Field(pattern=r"^https?://[!-~]{1,2000}$")
    """URL of a catalog TOML file (https; plain http only to loopback, checked when fetching)."""
    sha256: str | None = Field(default=None, pattern=r"^(sha256:)?[0-9a-fA-F]{64}$")
    """Expected SHA-256 of the file (hex); a download that differs is rejected."""
    refresh: str = Field(default="1d", pattern=r"^(never|[0-9]{1,6}(\.[0-9]{1,3})?[smhdw]?)$")
    """How old the cached copy may get before it is fetched again: 30m, 6h, 1d, 2w or never."""


class TeamConfig(_Strict):
    """A team's (or a user's) advisor config: extra data files, defaults, remote catalogs."""

    catalogs: tuple[str, ...] = Field(default=(), max_length=100)
    """Catalog files or folders of `*.toml`, relative to this config file."""
    profiles: tuple[str, ...] = Field(default=(), max_length=100)
    """Model/workload profile files or folders, relative to this config file."""
    calibrations: tuple[str, ...] = Field(default=(), max_length=100)
    """Efficiency/tenancy factor files or folders, relative to this config file."""
    defaults: Defaults = Field(default_factory=Defaults)
    """Defaults for every command."""
    remote: tuple[RemoteCatalog, ...] = Field(default=(), max_length=50)
    """Remote catalogs, loaded from the local cache below this config's own files."""

    def data_paths(self) -> list[tuple[str, int, str]]:
        """(section, index, path text) of every listed data path, in load order."""
        found: list[tuple[str, int, str]] = []
        for section in ("catalogs", "profiles", "calibrations"):
            found.extend((section, i, text) for i, text in enumerate(getattr(self, section)))
        return found


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file read from disk: the validated config (None when invalid) and problems."""

    path: Path
    config: TeamConfig | None
    problems: tuple[Problem, ...]
    parsed: ParsedToml | None = None
    base: KeyPath = ()  # where the config table sits: () or ('tool', 'advisor')
    partial: TeamConfig | None = None  # the valid sections of an invalid config


def read_config(path: Path) -> ConfigFile:
    """Read one config file (`[tool.advisor]` when it is a pyproject.toml)."""
    data, problem = read_file_bytes(path)
    if data is None:
        return ConfigFile(path, None, (problem,) if problem else ())
    parsed, problems = read_toml(data, str(path))
    if parsed is None:
        return ConfigFile(path, None, tuple(problems))
    base: KeyPath = ("tool", "advisor") if path.name == "pyproject.toml" else ()
    table: Any = parsed.data
    for key in base:
        table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        return ConfigFile(path, None, (parsed.problem(base, "missing [tool.advisor] table"),), parsed, base)
    from advisor.catalog.record_problems import pydantic_problems

    try:
        config = TeamConfig.model_validate(table)
    except ValidationError as exc:
        found = pydantic_problems(parsed, exc, base, TeamConfig, key_base=base)
        partial = _valid_part(table)
        return ConfigFile(path, None, tuple(_hint_catalog_keys(found)), parsed, base, partial)
    return ConfigFile(path, config, (), parsed, base)


def _valid_part(table: dict[str, Any]) -> TeamConfig:
    """The sections of an invalid config that are valid alone, so their files still get checked."""
    good: dict[str, Any] = {}
    for name in TeamConfig.model_fields:
        if name in table:
            try:
                TeamConfig.model_validate({name: table[name]})
            except ValidationError:
                continue
            good[name] = table[name]
    return TeamConfig.model_validate(good)


def _hint_catalog_keys(problems: list[Problem]) -> list[Problem]:
    """A config holding `[[offering]]` tables is a common mix-up: say where those go."""
    from advisor.catalog.loaders import KINDS

    fixed = []
    for p in problems:
        top = p.key.rsplit(".", 1)[-1]
        if p.message == "unknown key" and top in KINDS:
            p = Problem(p.file, p.line, p.key, f"[[{top}]] tables belong in a catalog file "
                        "listed under `catalogs` or `profiles`, not in the config")
        elif p.message == "unknown key" and p.suggestion is None:
            p = Problem(p.file, p.line, p.key, p.message, closest(top, TeamConfig.model_fields))
        fixed.append(p)
    return fixed
