"""The JSON cache of the validated built-in catalogs: same data as a fresh validation, missed
on any change of the files, ignored when damaged or ill-typed, bypassed with ADVISOR_NO_CACHE=1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from advisor.catalog import builtin_cache
from advisor.catalog.builtin_cache import load_builtin
from advisor.catalog.loaders import load_catalog_bytes
from advisor.catalog.paths import builtin_files


def shipped() -> list[tuple[str, bytes]]:
    return [(f.path, f.read_bytes()) for f in builtin_files()]


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("builtin-*.json"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    return folder


def test_the_cache_gives_exactly_what_validation_gives(cache_dir: Path) -> None:
    items = shipped()
    fresh = [load_catalog_bytes(data, name) for name, data in items]
    first = load_builtin(items)  # validates, writes the cache
    (path,) = cache_files(cache_dir)
    json.loads(path.read_text(encoding="utf-8"))  # data, not code
    cached = load_builtin(items)  # reads it
    assert cached == first == fresh
    assert [repr(f) for f in cached] == [repr(f) for f in fresh]  # same types, not just equal
    assert sum(len(f.entries) for f in cached) > 100


def test_a_changed_file_misses_the_cache(cache_dir: Path) -> None:
    items = shipped()
    load_builtin(items)
    index = next(i for i, (_, data) in enumerate(items) if b"price_per_node_hour = " in data)
    name, data = items[index]
    edited = re.sub(rb"price_per_node_hour = [0-9.]+", b"price_per_node_hour = 1234.5", data, count=1)
    changed = [*items[:index], (name, edited), *items[index + 1:]]
    loaded = load_builtin(changed)
    assert not any(item.problems for item in loaded)
    assert len(cache_files(cache_dir)) == 2  # a second key, the first cache untouched
    assert any(e.value.price_per_node_hour == 1234.5 for e in loaded[index].entries)


@pytest.mark.parametrize("damage", [
    lambda doc: b"\x80\x05not json",
    lambda doc: json.dumps({**doc, "files": [{"path": "x"}]}).encode(),
    lambda doc: json.dumps(_retyped(doc)).encode(),
])
def test_a_damaged_or_ill_typed_cache_is_ignored_and_rewritten(cache_dir: Path, damage) -> None:
    items = shipped()
    expected = load_builtin(items)
    (path,) = cache_files(cache_dir)
    path.write_bytes(damage(json.loads(path.read_text(encoding="utf-8"))))
    assert load_builtin(items) == expected
    assert load_builtin(items) == expected and path.read_bytes()[:1] == b"{"


def _retyped(doc: dict) -> dict:
    """A cache whose first accelerator's memory is text: not a value the records may hold."""
    for item in doc["files"]:
        for entry in item["entries"]:
            if entry[0] == "accelerator":
                entry[3]["memory_bytes"] = "80 GB"
                return doc
    raise AssertionError("no accelerator in the built-ins")


def test_no_cache_means_no_file(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    load_builtin(shipped())
    assert not cache_dir.exists() or not cache_files(cache_dir)


def test_files_with_problems_are_never_cached(cache_dir: Path) -> None:
    load_builtin([("bad.toml", b'[[model]]\nid = "X"\n')])
    assert not cache_dir.exists() or not cache_files(cache_dir)


def test_the_key_covers_the_record_shapes() -> None:
    shapes = builtin_cache.record_shapes()
    assert "Offering" in shapes and "'price_per_node_hour', 'Price'" in shapes
    assert "ModelProfile" in shapes and "'attention'" in shapes
