"""Plain values as TOML text, for the catalog files the importers generate.

Strings are written as JSON strings (valid TOML basic strings: every control character is
escaped), integers bare, floats with `float_text` (default `repr`: round-trips exactly), dates
bare, mappings as inline tables and sequences as arrays. No I/O.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any


def toml_value(value: Any, float_text: Callable[[float], str] = repr) -> str:
    """`value` as a TOML value; TypeError for anything TOML has no literal for."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v, float_text)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v, float_text) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
