"""Offerings to the text of an ordinary catalog file (`[[offering]]` tables) that the loader reads back.

Values are written by `advisor.catalog.toml_writer` (JSON strings, `repr` numbers, bare
dates). Only fields that differ from
the record's defaults are written, so a file stays short. No I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from advisor.catalog.toml_writer import toml_value
from advisor.domain import CommitmentPrice, Offering


def catalog_text(offerings: Iterable[Offering], comment: str = "", *, schema: str = "") -> str:
    """A whole catalog file holding `offerings` in the order given (`schema`: the relative path
    of the JSON Schema for the editor hint on the first line, as the shipped catalogs have)."""
    lines = [f"#:schema {schema}"] if schema else []
    lines += [f"# {line}".rstrip() for line in comment.splitlines()]
    for offering in offerings:
        lines += ["", "[[offering]]", *_fields(offering)]
    return "\n".join(lines) + "\n"


def _fields(offering: Offering) -> list[str]:
    out = []
    for f in dataclasses.fields(offering):
        value = getattr(offering, f.name)
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        out.append(f"{f.name} = {_value(value)}")
    return out


def _value(value: object) -> str:
    if isinstance(value, tuple):
        value = [_record(v) for v in value]
    return toml_value(value)


def _record(value: object) -> object:
    """A commitment as the table of its non-empty fields; anything else as it is."""
    if isinstance(value, CommitmentPrice):
        return {k: v for k, v in dataclasses.asdict(value).items() if v != ""}
    return value
