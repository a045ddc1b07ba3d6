"""Config discovery and layering: built-in < user < team < `--config` < command-line flags.

`load_world` reads the built-in package data, then (unless `discover=False`) the user config
dir and the team config found by walking up from the current directory, then an explicit
config file, and merges entries by id: a later layer's entry with an id already loaded patches
it (only the fields it sets change: `advisor.catalog.overrides`), recorded in `World.shadowed`,
`World.origins` and, field by field, `World.field_origins`. Within one layer a duplicate id is
a problem naming both places. Remote catalogs declared by a config load from the local cache
(via `advisor.catalog.remote.sync`, imported lazily; the network only with `offline=False`) just
below that config's own files.

Exit codes: a bad built-in, user or discovered team file is 3; a bad `--config` file (or a file
it lists) is 2. `advisor check` lives in `advisor.catalog.check`; how a listed path becomes
files, in `advisor.catalog.paths`. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from advisor.catalog.loaders import LoadedFile, load_catalog_file, load_shipped_bytes
from advisor.catalog.merge import merge_layers
from advisor.catalog.overrides import Bases, note_layer
from advisor.catalog.paths import (
    USER_CONFIG_NAME,
    USER_DATA_DIRS,
    PathProblem,
    builtin_files,
    find_team_config,
    repository_root,
    shown_path,
    toml_files,
    unsafe_reason,
    user_config_dir,
)
from advisor.catalog.toml_reader import printable, raise_problems
from advisor.catalog.world import BUILTIN, Origin, Skipped, World
from advisor.errors import EXIT_BAD_CATALOG, EXIT_BAD_INPUT, AdvisorError, Problem

if TYPE_CHECKING:  # pydantic models: imported only when a config file is read
    from advisor.catalog.team_config import Defaults, RemoteCatalog

MAX_LAYER_BYTES = 64 * 1024 * 1024  # catalog data one layer may read: far above any team's, bounded


class Consent(NamedTuple):
    """What a discovered config may read: files inside its repository always; remote catalogs
    and outside paths only once the user trusted the file (`advisor trust`)."""

    root: Path
    trusted: bool

    def allows(self, target: Path) -> bool:
        if self.trusted:
            return True
        try:
            return target.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError, ValueError):
            return False


class Layer:
    """Files of one layer in load order, and the problems found while reading them."""

    def __init__(self, name: str, exit_code: int, bases: Bases | None = None,
                 seen_paths: set[str] | None = None) -> None:
        self.name = name  # "built-in" | "user" | "team" | "cli" | "remote"
        self.exit_code = exit_code
        self.bases = bases  # what this layer's entries patch (read while its files load)
        self.files: list[LoadedFile] = []
        self.configs: list[Origin] = []
        self.problems: list[Problem] = []
        self.defaults: Defaults | None = None
        self.skipped: list[Skipped] = []
        # real paths already loaded: a file listed twice is read once
        self.read: set[str] = seen_paths if seen_paths is not None else set()
        self.bytes_read = 0

    def add(self, loaded: LoadedFile) -> None:
        self.files.append(loaded)
        self.problems.extend(loaded.problems)


def load_world(
    config_path: str | None = None, *, discover: bool = True, cwd: Path | None = None,
    offline: bool = True,
) -> World:
    """Load and layer everything. Raises AdvisorError (exit 3 or 2) listing every problem.

    `config_path` is an explicit config file (`--config` / $ADVISOR_CONFIG, the caller reads the
    variable); `discover=False` skips the user config dir and the team config search.
    `offline=False` lets remote catalogs that are due be revalidated over the network.
    """
    warnings: list[str] = []
    builtin = builtin_layer()
    layers = [builtin, *discovered_layers(config_path, discover=discover, cwd=cwd, offline=offline,
                                          warnings=warnings, bases=bases_of(builtin))]
    for layer in layers:
        raise_problems(layer.problems, layer.exit_code)
    world, problems = merge_layers(layers, warnings)
    for exit_code in sorted({code for code, _ in problems}, reverse=True):
        raise_problems([p for code, p in problems if code == exit_code], exit_code)
    return world


def discovered_layers(
    config_path: str | None, *, discover: bool, cwd: Path | None, offline: bool, warnings: list[str],
    bases: Bases,
) -> list[Layer]:
    """Every layer above the built-ins, in order: the user config dir and the team config found
    upward (unless `discover` is off), then the explicit config file. Each layer's entries are
    added to `bases` as it is read, so a later layer's entries patch them."""
    layers: list[Layer] = []
    if discover:
        layers.extend(user_layers(warnings, offline, bases))
        team = find_team_config(cwd or Path.cwd())
        if team is not None:
            layers.extend(team_layers(team, warnings, offline, bases))
    if config_path:
        path = Path(config_path).expanduser()
        if not path.is_file():
            raise AdvisorError(f"{config_path}: config file not found", exit_code=EXIT_BAD_INPUT)
        layers.extend(config_layers(path, "cli", EXIT_BAD_INPUT, warnings, offline=offline, bases=bases))
    return layers


def bases_of(layer: Layer) -> Bases:
    """The entries of one layer as what later layers patch."""
    bases: Bases = {}
    note_layer(bases, layer)
    return bases


def world_from_args(args: argparse.Namespace) -> World:
    """The World for a command: honours `--config` (or $ADVISOR_CONFIG), `--no-discover` and
    `--offline`. The sanity problems of team entries join the World's warnings (e.g. a stale
    remote catalog); under `--strict` they are raised instead (exit 3 when a discovered file is
    at fault, else 2). Printing the warnings is the caller's job."""
    world = load_world(getattr(args, "config", None), discover=not getattr(args, "no_discover", False),
                       offline=bool(getattr(args, "offline", False)))
    if all(origin.layer == BUILTIN for origin in world.origins.values()):
        return world
    from advisor.catalog.sanity import sanity_report  # only with team entries

    layers = {o.layer for o in world.origins.values()} - {BUILTIN}
    problems, flagged = sanity_report(world, layers=layers, load_builtins=builtin_world)
    if getattr(args, "strict", False):
        cli_files = {o.path for o in world.origins.values() if o.layer == "cli"}
        code = EXIT_BAD_INPUT if all(p.file in cli_files for p in problems) else EXIT_BAD_CATALOG
        raise_problems(problems, code)
    if not problems:
        return world
    return world._replace(warnings=(*world.warnings, *(printable(p.render()) for p in problems)),
                          flagged=flagged)


def builtin_world() -> World:
    """The World of the shipped catalogs and profiles alone."""
    return merge_layers([builtin_layer()])[0]


# -- layers --------------------------------------------------------------------------------

def builtin_layer() -> Layer:
    """The shipped catalogs and profiles, read from package data (trusted like the code: the
    test suite validates them, so a run only builds the records)."""
    layer = Layer(BUILTIN, EXIT_BAD_CATALOG)
    for item in builtin_files():
        layer.add(load_shipped_bytes(item.read_bytes(), item.path))
    return layer


def user_layers(warnings: list[str], offline: bool = True, bases: Bases | None = None) -> list[Layer]:
    """The user config dir: its advisor.toml (if any) and its catalogs/profiles/calibrations."""
    directory = user_config_dir()
    config = directory / USER_CONFIG_NAME
    implicit = [directory / name for name in USER_DATA_DIRS if (directory / name).is_dir()]
    if config.is_file():
        return config_layers(config, "user", EXIT_BAD_CATALOG, warnings, implicit, offline=offline, bases=bases)
    if not implicit:
        return []
    layer = Layer("user", EXIT_BAD_CATALOG, bases)
    for folder in implicit:
        _add_path(layer, folder, None)
    _note(bases, layer)
    return [layer]


def _note(bases: Bases | None, layer: Layer | None) -> None:
    if bases is not None and layer is not None:
        note_layer(bases, layer)


def team_layers(team: Path, warnings: list[str], offline: bool = True, bases: Bases | None = None) -> list[Layer]:
    """The discovered team config's layers, or none (with a warning) when the file is not
    safe: owned by another user or writable by others."""
    why = unsafe_reason(team)
    if why is not None:
        warnings.append(f"{team}: ignored: {why}")
        layer = Layer("team", EXIT_BAD_CATALOG)
        layer.skipped.append(Skipped("team", str(team), str(team), f"unsafe: {why}"))
        return [layer]
    from advisor.catalog.trust import is_trusted

    consent = Consent(repository_root(team), is_trusted(team))
    return config_layers(team, "team", EXIT_BAD_CATALOG, warnings, offline=offline, consent=consent, bases=bases)


def config_layers(
    path: Path, name: str, exit_code: int, warnings: list[str], implicit: list[Path] | None = None,
    *, offline: bool = True, consent: Consent | None = None, bases: Bases | None = None,
    seen_paths: set[str] | None = None,
) -> list[Layer]:
    """A config file's layer (its listed files) preceded by its remote catalogs, if any.

    With `consent` (a discovered config) unsafe data files are ignored, and remote catalogs and
    paths outside the repository are skipped unless the file is trusted: one warning lists them.
    Entries whose id is in `bases` patch those entries; the layers' own entries are added to
    `bases` (remote catalogs first: the config's files sit above them). `seen_paths` is the set
    of real paths already loaded, shared when several configs are checked together.
    """
    layer = Layer(name, exit_code, bases, seen_paths)
    from advisor.catalog.team_config import read_config

    read = read_config(path)
    layer.problems.extend(read.problems)
    sha = read.parsed.sha256 if read.parsed else ""
    layer.configs.append(Origin(str(path), name, sha, role="config"))
    config = read.config or read.partial  # an invalid config's valid sections still load
    if config is None:
        return [layer]
    layer.defaults = config.defaults
    remotes = config.remote if read.config else ()
    if remotes and consent is not None and not consent.trusted:
        layer.skipped.extend(Skipped(name, str(path), r.url, "not trusted: remote catalog") for r in remotes)
        remotes = ()
    remote = remote_layer(remotes, path, exit_code, warnings, offline)
    _note(bases, remote)
    listed: set[Path] = set()
    for section, index, text in config.data_paths():
        target = (path.parent / text).expanduser()
        listed.add(Path(os.path.realpath(target)) if '\0' not in text else target)
        if consent is not None and not consent.allows(target):
            layer.skipped.append(Skipped(name, str(path), text, "not trusted: outside the repository"))
            continue
        line = read.parsed.line_of((*read.base, section, index)) if read.parsed else None
        _add_path(layer, target, Problem(str(path), line, f"{section}[{index}]",
                                         f"no such file or folder: {target}"), consent, warnings)
    for folder in implicit or []:
        if Path(os.path.realpath(folder)) not in listed:
            _add_path(layer, folder, None)
    _warn_untrusted(path, layer.skipped, warnings)
    _note(bases, layer)
    return [remote, layer] if remote else [layer]


def _warn_untrusted(config: Path, skipped: list[Skipped], warnings: list[str]) -> None:
    """One line naming what an untrusted config asked for and did not get."""
    urls = [s.item for s in skipped if s.reason == "not trusted: remote catalog"]
    outside = [s.item for s in skipped if s.reason == "not trusted: outside the repository"]
    if not urls and not outside:
        return
    parts = []
    if urls:
        parts.append(f"{len(urls)} remote catalog(s) ({', '.join(urls)})")
    if outside:
        parts.append(f"{len(outside)} path(s) outside the repository ({', '.join(outside)})")
    warnings.append(f"{config}: not trusted, skipped {' and '.join(parts)}; "
                    f"read it, then run `advisor trust {config}` to allow them")


def _add_path(layer: Layer, target: Path, missing: Problem | None,
              consent: Consent | None = None, warnings: list[str] | None = None) -> None:
    """Load a listed file, or every .toml file of a listed folder; any failure to read the
    path (permissions, a symlink loop, a NUL byte, an over-long name) is a problem naming it."""
    try:
        files = toml_files(target)
    except PathProblem as problem:
        layer.problems.append(Problem(shown_path(target), None, "", str(problem)))
        return
    if files is None:
        if missing is not None:
            layer.problems.append(missing)
        return
    for file in files:
        real = os.path.realpath(file)
        if real in layer.read:
            continue
        layer.read.add(real)
        _add_file(layer, file, consent, warnings)


def _add_file(layer: Layer, file: Path, consent: Consent | None, warnings: list[str] | None) -> None:
    """Load one data file; a discovered config's file that is unsafe, or a symlink leading out
    of the repository of an untrusted config, is skipped instead."""
    if consent is not None:
        why = unsafe_reason(file)
        if why is not None:
            layer.skipped.append(Skipped(layer.name, str(file), str(file), f"unsafe: {why}"))
            if warnings is not None:
                warnings.append(f"{file}: ignored: {why}")
            return
        if not consent.allows(file):
            layer.skipped.append(Skipped(layer.name, str(file), str(file), "not trusted: outside the repository"))
            return
    with contextlib.suppress(OSError, ValueError):  # the reader names the problem
        layer.bytes_read += os.stat(file).st_size
    if layer.bytes_read > MAX_LAYER_BYTES:
        if not any(p.message.startswith("more than") and "in one layer" in p.message for p in layer.problems):
            layer.problems.append(Problem(str(file), None, "", f"more than {MAX_LAYER_BYTES / 2**20:g} MiB "
                                          "of catalog data in one layer; list fewer or smaller files"))
        return
    layer.add(load_catalog_file(file, layer.bases))


def remote_layer(
    remotes: tuple[RemoteCatalog, ...], config: Path, exit_code: int, warnings: list[str],
    offline: bool = True,
) -> Layer | None:
    """Cached copies of a config's remote catalogs; the network only when `offline` is False
    and a copy is due for revalidation (or missing).

    Hook: `advisor.catalog.remote.sync.sync_all(specs, offline=...)` (imported only when a config has
    `[[remote]]` entries, so the headless path stays light) returns one result per spec with
    `.loaded` (a validated LoadedFile whose path is the URL, or None) and `.warning`.
    """
    if not remotes:
        return None
    try:
        from advisor.catalog.remote import sync as remote_sync
    except ModuleNotFoundError as exc:
        if exc.name != "advisor.catalog.remote.sync":
            raise
        warnings.append(f"{config}: {len(remotes)} remote catalog(s) skipped: remote support missing")
        return None
    from advisor.catalog.remote.cache import normalize_sha256, parse_interval_s

    specs = [remote_sync.RemoteSpec(url=r.url, sha256=normalize_sha256(r.sha256) if r.sha256 else "",
                                    refresh_s=parse_interval_s(r.refresh), configured_in=str(config))
             for r in remotes]
    layer = Layer("remote", exit_code)
    for result in remote_sync.sync_all(specs, offline=offline):
        if result.warning:
            warnings.append(result.warning)
        if result.loaded is not None:
            layer.add(result.loaded)
    return layer
