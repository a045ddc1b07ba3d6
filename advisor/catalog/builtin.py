"""Cache of the validated built-in catalogs, so a cold `advisor quote` skips parsing and
validating ~130 KB of shipped TOML on every run.

The cache is a pickle of the loaded files in the user cache dir, keyed by a hash of the tool
version, the Python version, the fields of every record class and every built-in file's path
and bytes: any change to the data or to the shape of the records misses the cache. The records
are plain records, so reading the cache imports neither pydantic nor the validators (the
shipped data is validated by the test suite and again whenever the cache misses). It is written atomically (temp file
in the same folder, then os.replace) and only from a clean load; an unreadable or stale cache is
ignored and rebuilt. Set ADVISOR_NO_CACHE=1 to bypass it. Team, user and remote files are never
cached: they are validated on every run. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

from advisor import __version__
from advisor.catalog.loaders import LoadedFile, load_catalog_bytes

_FORMAT = 3  # bump when LoadedFile, Entry or the records change shape


def load_builtin(items: Sequence[tuple[str, bytes]]) -> list[LoadedFile]:
    """The built-in files, loaded and validated, from the cache when it matches."""
    key = _key(items)
    path = _cache_path(key)
    cached = _read(path, key) if path is not None else None
    if cached is not None:
        return cached
    loaded = [load_catalog_bytes(data, name) for name, data in items]
    if path is not None and not any(item.problems for item in loaded):
        _write(path, key, loaded)
    return loaded


def _key(items: Sequence[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    header = f"{_FORMAT}|{__version__}|{sys.version}|{_record_shapes()}"
    digest.update(header.encode())
    for name, data in items:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _record_shapes() -> str:
    """Every domain record class with its fields and their types."""
    import advisor.domain as domain
    from advisor.domain.common import Record

    classes = [getattr(domain, name) for name in sorted(domain.__all__)]
    return repr([(cls.__name__, [f"{name}:{cls.__annotations__[name]}" for name in cls.__record_fields__])
                 for cls in classes if isinstance(cls, type) and issubclass(cls, Record)])


def _cache_path(key: str) -> Path | None:
    if os.environ.get("ADVISOR_NO_CACHE") == "1":
        return None
    from advisor.catalog.paths import user_cache_dir

    return user_cache_dir() / f"builtin-{key[:24]}.pickle"


def _read(path: Path, key: str) -> list[LoadedFile] | None:
    try:
        with path.open("rb") as handle:
            stored_key, files = pickle.load(handle)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, pickle.UnpicklingError):
        return None
    if stored_key != key or not isinstance(files, list):
        return None
    return files


def _write(path: Path, key: str, files: list[LoadedFile]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when the cache is written

        fd, tmp = tempfile.mkstemp(prefix=".builtin-", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # a read-only cache dir only costs speed
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((key, files), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        Path(tmp).unlink(missing_ok=True)
