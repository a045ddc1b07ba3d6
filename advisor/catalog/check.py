"""`advisor check`: team files (catalogs, profiles, configs, folders of them) validated alone and
together, against the built-ins. Must not import textual, rich or httpx."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from advisor.catalog.config import Layer, builtin_layer, config_layers, merge_layers
from advisor.catalog.loaders import load_catalog_file
from advisor.catalog.paths import MAX_FILES_PER_FOLDER, PYPROJECT, find_team_config
from advisor.catalog.world import BUILTIN, World
from advisor.errors import EXIT_BAD_INPUT, Problem


class CheckReport(NamedTuple):
    """What `advisor check` found: files read, entries per kind, and every problem."""

    files: tuple[str, ...]
    counts: dict[str, int]
    problems: tuple[Problem, ...]
    world: World | None = None  # built-ins + the given files, for `advisor.catalog.sanity`


def check_paths(paths: list[Path]) -> CheckReport:
    """Validate team files (catalogs, profiles, config files, folders of them) all at once.

    Each file is checked alone, then together: duplicate ids among the given files, and
    references to accelerators/offerings that neither they nor the built-ins define.
    """
    warnings: list[str] = []
    given = Layer("cli", EXIT_BAD_INPUT)
    layers = [builtin_layer(), given]
    for path in paths:
        if not path.exists():
            given.problems.append(Problem(str(path), None, "", "no such file or folder"))
        elif path.is_dir():
            for child in sorted(path.glob("*.toml"))[:MAX_FILES_PER_FOLDER]:
                if child.name != PYPROJECT or child == find_team_config(path):
                    layers.extend(_check_one(child, given, warnings))
        else:
            layers.extend(_check_one(path, given, warnings))
    world, merged = merge_layers(layers, warnings)
    problems = [p for layer in layers[1:] for p in layer.problems]
    problems.extend(p for _, p in merged if not _is_builtin(p, layers[0]))
    files = tuple(o.path for o in world.files if o.layer != BUILTIN)
    counts: dict[str, int] = {}
    for layer in layers[1:]:
        for loaded in layer.files:
            for entry in loaded.entries:
                counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return CheckReport(files, counts, tuple(problems), world)


def _check_one(path: Path, given: Layer, warnings: list[str]) -> list[Layer]:
    if is_config_file(path):
        return config_layers(path, "cli", EXIT_BAD_INPUT, warnings)
    given.add(load_catalog_file(path))
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
