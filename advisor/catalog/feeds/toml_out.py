"""Offerings to the text of an ordinary catalog file (`[[offering]]` tables) that the loader reads back.

Strings are written as JSON strings (valid TOML basic strings: every control character is
escaped), numbers with `repr` (round-trips exactly), dates bare. Only fields that differ from
the record's defaults are written, so a file stays short. No I/O.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable

from advisor.domain import CommitmentPrice, Offering

_DATES = {"as_of"}


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
        out.append(f"{f.name} = {_value(f.name, value)}")
    return out


def _value(name: str, value: object) -> str:
    if name in _DATES:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return "[" + ", ".join(_item(v) for v in value) + "]"
    raise TypeError(f"cannot write {name} = {value!r}")


def _item(value: object) -> str:
    if isinstance(value, CommitmentPrice):
        parts = [f"term = {json.dumps(value.term)}", f"price_per_node_hour = {value.price_per_node_hour!r}"]
        if value.source:
            parts.append(f"source = {json.dumps(value.source, ensure_ascii=False)}")
        return "{ " + ", ".join(parts) + " }"
    return _value("", value)
