"""Shipped data is trusted at run time: a run builds exactly the records pydantic validates."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import pytest


def _shipped_files() -> Iterator[tuple[str, bytes]]:
    for package in ("advisor.catalogs", "advisor.profiles"):
        for item in sorted(resources.files(package).iterdir(), key=lambda p: p.name):
            if item.name.endswith(".toml"):
                yield f"{package}/{item.name}", item.read_bytes()


@pytest.mark.parametrize(("path", "data"), list(_shipped_files()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_run_builds_exactly_the_records_pydantic_validates(path: str, data: bytes) -> None:
    from advisor.catalog.loaders import load_catalog_bytes, load_shipped_bytes

    validated = load_catalog_bytes(data, path)
    built = load_shipped_bytes(data, path)
    assert validated.problems == ()
    assert built == validated
    for mine, theirs in zip(built.entries, validated.entries, strict=True):
        assert {f: type(getattr(mine.value, f)) for f in mine.value.__dataclass_fields__} == {
            f: type(getattr(theirs.value, f)) for f in theirs.value.__dataclass_fields__}


def test_shipped_data_that_does_not_fit_falls_back_to_validation() -> None:
    from advisor.catalog.loaders import load_shipped_bytes

    loaded = load_shipped_bytes(b'[[tenancy]]\ntenancy = "vm"\nfactor = 0.9\ncolour = "red"\n', "broken.toml")
    assert loaded.entries == ()
    assert "tenancy.colour" in [p.key for p in loaded.problems]
