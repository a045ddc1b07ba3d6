"""A JSON cache of the validated built-in catalogs, so a cold command neither parses ~150 KB of
shipped TOML nor imports pydantic to validate it.

Data, never code: the cache is one JSON file in the user cache dir, written only from a clean
load and keyed by a hash of the tool version, the fields of every record class and every
built-in file's path and bytes. Reading it rebuilds the records from their field types
(tuples, dates, nested records; each value must have its field's type); anything that does not
fit — a damaged, stale or foreign file — is a miss, and the built-ins are validated again.
`ADVISOR_NO_CACHE=1` bypasses it. Team, user and remote files are never cached: they are
validated on every run. Must not import pydantic, textual, rich, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from advisor import __version__
from advisor.catalog.loaders import KINDS, Entry, LoadedFile, load_catalog_bytes
from advisor.domain.common import field_types, to_json

_FORMAT = 1  # bump when LoadedFile, Entry or the JSON layout change
_UNIONS = (Union, types.UnionType)


class _Miss(Exception):
    """The cache does not hold what the records need."""


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
    digest = hashlib.sha256(f"{_FORMAT}|{__version__}|{record_shapes()}".encode())
    for name, data in items:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def record_shapes() -> str:
    """Every domain record class with its fields and their (unevaluated) types."""
    import advisor.domain as domain

    classes = [getattr(domain, name) for name in sorted(domain.__all__)]
    return repr([(cls.__name__, [(f.name, str(f.type)) for f in dataclasses.fields(cls)])
                 for cls in classes if dataclasses.is_dataclass(cls)])


def _cache_path(key: str) -> Path | None:
    if os.environ.get("ADVISOR_NO_CACHE") == "1":
        return None
    from advisor.catalog.paths import user_cache_dir

    return user_cache_dir() / f"builtin-{key[:24]}.json"


def _read(path: Path, key: str) -> list[LoadedFile] | None:
    try:
        with path.open("rb") as handle:
            document = json.load(handle)
        if document["key"] != key:
            return None
        return [_file(item) for item in document["files"]]
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
            _Miss):
        return None


def _file(item: dict[str, Any]) -> LoadedFile:
    entries = tuple(Entry(kind, str(entry_id), _decoder(KINDS[kind])(value), line)
                    for kind, entry_id, line, value in item["entries"])
    return LoadedFile(str(item["path"]), str(item["sha256"]), entries, (), str(item["as_of"]))


@functools.cache
def _decoder(annotation: Any) -> Callable[[Any], Any]:
    """A function that turns `to_json` data back into a value of the annotated type, raising
    _Miss (or TypeError) for data that is not one; built once per annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _decoder(args[0])
    if origin in _UNIONS:
        (inner,) = [arg for arg in args if arg is not type(None)]
        some = _decoder(inner)
        return lambda data: None if data is None else some(data)
    if origin is Literal:
        return lambda data: data if data in args else _miss(annotation)
    if origin is tuple:
        item = _decoder(args[0])
        return lambda data: tuple(map(item, _of(list, data)))
    if origin is dict:
        key, value = _decoder(args[0]), _decoder(args[1])
        return lambda data: {key(k): value(v) for k, v in _of(dict, data).items()}
    if dataclasses.is_dataclass(annotation):
        return _record_decoder(annotation)  # type: ignore[arg-type]
    if annotation is dt.date:
        return lambda data: dt.date.fromisoformat(_of(str, data))
    if annotation is float:
        return lambda data: float(data) if type(data) in (int, float) else _miss(float)
    if annotation in (str, int, bool):
        return lambda data: data if type(data) is annotation else _miss(annotation)
    raise TypeError(f"no JSON decoder for {annotation!r}")


def _record_decoder(cls: type) -> Callable[[Any], Any]:
    fields = {name: _decoder(annotation) for name, annotation in field_types(cls).items()}

    def record(data: Any) -> Any:
        values = _of(dict, data)
        if not values.keys() <= fields.keys():
            raise _Miss(cls)
        return cls(**{name: fields[name](value) for name, value in values.items()})

    return record


def _miss(expected: Any) -> Any:
    raise _Miss(expected)


def _of(kind: Any, data: Any) -> Any:
    if not isinstance(data, kind):
        raise _Miss(kind)
    return data


def _write(path: Path, key: str, files: list[LoadedFile]) -> None:
    document = {"key": key, "files": [
        {"path": f.path, "sha256": f.sha256, "as_of": f.as_of,
         "entries": [[e.kind, e.id, e.line, to_json(e.value)] for e in f.entries]}
        for f in files]}
    from advisor.catalog.remote.cache import write_atomic  # only when the cache is written

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(document, separators=(",", ":")).encode("utf-8"))
    except OSError:
        pass  # a read-only cache dir only costs speed
