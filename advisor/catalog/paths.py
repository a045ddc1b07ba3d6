"""Where files live: built-in package data, the user config dir, the team config found upward.

Owns path discovery only; reading and validating is `advisor.catalog.loaders`, layering is
`advisor.catalog.config`. Built-ins are the package data of `advisor.catalogs` and `advisor.profiles`,
read from the package folders (through `importlib.resources` when the package is zipped).
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

BUILTIN_PACKAGES = ("advisor.catalogs", "advisor.profiles")
TEAM_CONFIG_NAMES = ("advisor.toml", ".advisor.toml")
PYPROJECT = "pyproject.toml"
USER_CONFIG_NAME = "advisor.toml"
USER_DATA_DIRS = ("catalogs", "profiles", "calibrations")
MAX_FILES_PER_FOLDER = 500
# `[tool.advisor]` or `[tool.advisor.defaults]` header, or a dotted `tool.advisor...` key;
# a cheap pre-check so an ordinary pyproject.toml is never parsed.
_TOOL_ADVISOR = re.compile(rb"^\s*\[\s*tool\s*\.\s*advisor\b|^\s*tool\s*\.\s*advisor\b", re.M)


class BuiltinFile(NamedTuple):
    """One shipped TOML file: a display path and the resource to read it from."""

    path: str
    resource: Traversable

    def read_bytes(self) -> bytes:
        return self.resource.read_bytes()


def builtin_files() -> list[BuiltinFile]:
    """Every shipped `*.toml`, catalogs first then profiles, each sorted by name."""
    found: list[BuiltinFile] = []
    for package in BUILTIN_PACKAGES:
        root = package_root(package)
        entries = sorted(
            (e for e in root.iterdir() if e.name.endswith(".toml") and e.is_file()),
            key=lambda e: e.name,
        )
        found.extend(BuiltinFile(path=str(e), resource=e) for e in entries)
    return found


def package_root(package: str) -> Traversable:
    """The package's folder when it is one on disk (the usual install: no need for the heavier
    importlib.resources), else its importlib.resources root (a zip or another loader)."""
    import importlib

    module = importlib.import_module(package)
    for location in getattr(module, "__path__", ()):
        if os.path.isdir(location):
            return Path(location)
    from importlib import resources

    return resources.files(package)


def user_config_dir() -> Path:
    """The per-user config folder; `ADVISOR_CONFIG_DIR` overrides platformdirs (tests, CI)."""
    override = os.environ.get("ADVISOR_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir as _platform_dir  # only when discovering

    return Path(_platform_dir("advisor", appauthor=False))


def user_cache_dir() -> Path:
    """The per-user cache folder (remote catalogs); `ADVISOR_CACHE_DIR` overrides."""
    override = os.environ.get("ADVISOR_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir as _platform_dir

    return Path(_platform_dir("advisor", appauthor=False))


def has_tool_advisor(pyproject_bytes: bytes) -> bool:
    """Whether a pyproject.toml mentions a `[tool.advisor]` table (textual check, no parse)."""
    return bool(_TOOL_ADVISOR.search(pyproject_bytes))


def _config_in(directory: Path) -> Path | None:
    for name in TEAM_CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    pyproject = directory / PYPROJECT
    if pyproject.is_file():
        try:
            # Only the head matters for the check; a huge pyproject is rejected by the loader.
            with pyproject.open("rb") as handle:
                head = handle.read(2 * 1024 * 1024)
        except OSError:
            return None
        if has_tool_advisor(head):
            return pyproject
    return None


def find_team_config(start: Path) -> Path | None:
    """Walk up from `start` to its boundary (`discovery_root`); the first folder holding a
    config wins. Beyond the boundary (a shared /tmp, another user's folder) nothing is read.

    In one folder `advisor.toml` beats `.advisor.toml` beats `[tool.advisor]` in pyproject.toml.
    """
    try:
        current = start.resolve()
    except (OSError, ValueError):
        return None
    root = discovery_root(current)
    for directory in (current, *current.parents):
        found = _config_in(directory)
        if found is not None:
            return found
        if directory == root:
            break
    return None


def discovery_root(start: Path) -> Path:
    """Where the upward walk from `start` stops: the nearest folder holding `.git` (the
    repository root) or the home directory, whichever comes first; `start` itself when it is
    in neither (a shared folder above it may belong to anyone)."""
    home = _home()
    for directory in (start, *start.parents):
        if directory == home or _is_repository(directory):
            return directory
    return start


def repository_root(config: Path) -> Path:
    """The folder a discovered config may read from without the user's trust: the boundary of
    the walk from the config's own folder."""
    return discovery_root(config.parent.resolve())


def _is_repository(directory: Path) -> bool:
    try:
        return (directory / ".git").exists()
    except OSError:
        return False


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError):
        return None


def unsafe_reason(path: Path) -> str | None:
    """Why a discovered file must not be used (as git's `safe.directory`); None when it is safe
    (or cannot be checked: the reader then reports the missing or unreadable file)."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return ownership_problem(info)


def ownership_problem(info: os.stat_result) -> str | None:
    """Why a file or folder another user could have changed must not be trusted: owned by
    another user, writable by others, or writable by a group other than the user's own primary
    group (a umask of 002 with a private group per user is common and harmless). One rule for
    discovered configs, their data files and the remote-catalog cache."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # no POSIX owners (Windows): nothing to compare
        return None
    if info.st_uid != geteuid():
        return f"owned by another user (uid {info.st_uid})"
    mode = info.st_mode & 0o777
    if mode & 0o002:
        return f"writable by {'group and others' if mode & 0o020 else 'others'} (mode {mode:03o})"
    if mode & 0o020 and info.st_gid != os.getegid():
        return f"writable by group {info.st_gid}, not your own (mode {mode:03o})"
    return None


class PathProblem(Exception):
    """Why a listed path cannot be read, as the message the user sees."""


def toml_files(target: Path) -> list[Path] | None:
    """The files a listed path stands for, in order; None when it does not exist."""
    try:
        info = os.stat(target)
        if not stat.S_ISDIR(info.st_mode):
            return [target]  # a regular file, or something the reader refuses by name
        with os.scandir(target) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".toml") and e.is_file())
    except FileNotFoundError:
        return None
    except ValueError:
        raise PathProblem("path contains a NUL byte") from None
    except OSError as exc:
        what = "cannot read folder" if isinstance(exc, PermissionError) else "cannot read path"
        raise PathProblem(f"{what}: {exc.strerror or exc}") from None
    if len(names) > MAX_FILES_PER_FOLDER:
        raise PathProblem(f"more than {MAX_FILES_PER_FOLDER} .toml files")
    return [target / name for name in names]


def shown_path(path: Path) -> str:
    """A path as a problem names it: printable, and not longer than a line."""
    from advisor.catalog.toml_reader import printable

    text = printable(str(path).replace("\0", "\\0"))
    return text if len(text) <= 200 else text[:100] + "…" + text[-60:]
