"""`advisor check`: team files (catalogs, profiles, configs, folders of them) validated alone and
together, against the built-ins; with no path, the files the tool itself would load (user config
dir, the team config found upward, `--config`). Must not import textual, rich or httpx."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from advisor.catalog.config import (
    Layer,
    bases_of,
    builtin_layer,
    config_layers,
    discovered_layers,
    merge_layers,
)
from advisor.catalog.loaders import load_catalog_file
from advisor.catalog.overrides import Bases
from advisor.catalog.paths import MAX_FILES_PER_FOLDER, PYPROJECT, find_team_config
from advisor.catalog.world import BUILTIN, World
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, Problem


class CheckReport(NamedTuple):
    """What `advisor check` found: files read, entries per kind, and every problem."""

    files: tuple[str, ...]
    counts: dict[str, int]
    problems: tuple[Problem, ...]
    world: World | None = None  # built-ins + the given files, for `advisor.catalog.sanity`
    warnings: tuple[str, ...] = ()  # what discovery skipped (unsafe or untrusted files)


def check_paths(paths: list[Path]) -> CheckReport:
    """Validate team files (catalogs, profiles, config files, folders of them) all at once.

    Each file is checked alone, then together: duplicate ids among the given files, and
    references to accelerators/offerings that neither they nor the built-ins define. A file
    named twice (directly, in a folder, or by a config) is read once.
    """
    warnings: list[str] = []
    builtin = builtin_layer()
    bases = bases_of(builtin)
    seen: set[str] = set()
    given = Layer("cli", EXIT_BAD_INPUT, bases, seen)
    layers = [builtin, given]
    for path in paths:
        if not path.exists():
            given.problems.append(Problem(str(path), None, "", "no such file or folder"))
        elif path.is_dir():
            for child in sorted(path.glob("*.toml"))[:MAX_FILES_PER_FOLDER]:
                if child.name != PYPROJECT or child == find_team_config(path):
                    layers.extend(_check_one(child, given, warnings, bases, seen))
        else:
            layers.extend(_check_one(path, given, warnings, bases, seen))
    return _report(layers, warnings)


def check_discovered(config_path: str | None, *, discover: bool, cwd: Path | None = None) -> CheckReport:
    """Validate what the tool would load above the built-ins: the user config dir and the team
    config found upward (unless `discover` is off), and the explicit config file; offline.
    Raises AdvisorError (exit 2) saying where the search looked when it found nothing."""
    warnings: list[str] = []
    builtin = builtin_layer()
    start = cwd or Path.cwd()
    layers = [builtin, *discovered_layers(config_path, discover=discover, cwd=start, offline=True,
                                          warnings=warnings, bases=bases_of(builtin))]
    if len(layers) == 1:
        where = "--no-discover is set and no --config given" if not discover else (
            f"no advisor.toml, .advisor.toml or [tool.advisor] in pyproject.toml from {start} up to "
            "the repository root or home, and no catalogs in the user config dir")
        raise AdvisorError(f"nothing to check: {where}; name the files to check: advisor check PATH…",
                           exit_code=EXIT_BAD_INPUT)
    return _report(layers, warnings)


def _report(layers: list[Layer], warnings: list[str]) -> CheckReport:
    world, merged = merge_layers(layers, warnings)
    problems = [p for layer in layers[1:] for p in layer.problems]
    problems.extend(p for _, p in merged if not _is_builtin(p, layers[0]))
    files = tuple(o.path for o in world.files if o.layer != BUILTIN)
    counts: dict[str, int] = {}
    for layer in layers[1:]:
        for loaded in layer.files:
            for entry in loaded.entries:
                counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return CheckReport(files, counts, tuple(problems), world, tuple(warnings))


def _check_one(path: Path, given: Layer, warnings: list[str], bases: Bases, seen: set[str]) -> list[Layer]:
    """The layers of one named file: a config's (read once however often it is named), or the
    file itself added to the layer of given files (unless a config or an earlier name read it)."""
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    if is_config_file(path):
        return config_layers(path, "cli", EXIT_BAD_INPUT, warnings, bases=dict(bases), seen_paths=seen)
    given.add(load_catalog_file(path, bases))
    return []


def _is_builtin(problem: Problem, builtin: Layer) -> bool:
    return any(problem.file == loaded.path for loaded in builtin.files)


def is_config_file(path: Path) -> bool:
    """A config by name (advisor.toml, .advisor.toml, pyproject.toml) or by its top-level keys."""
    from advisor.catalog.paths import PYPROJECT, TEAM_CONFIG_NAMES
    from advisor.catalog.toml_reader import read_file_bytes, read_toml

    if path.name in TEAM_CONFIG_NAMES or path.name == PYPROJECT:
        return True
    data, _ = read_file_bytes(path)
    parsed = read_toml(data, str(path))[0] if data is not None else None
    if parsed is None or not parsed.data:
        return False
    from advisor.catalog.loaders import KINDS
    from advisor.catalog.team_config import TeamConfig

    keys = set(parsed.data)
    return bool(keys & set(TeamConfig.model_fields)) and not keys & set(KINDS)
