"""Checking a record built by our own code without pydantic, so the headless path stays light.

`construct(cls, fields)` returns the record when every value already has its exact type and
meets its `Check` bounds (the same markers pydantic enforces), running the record's own
`__post_init__` checks; it returns None for anything it does not vouch for (a coercion, a
date, a nested record, an unknown or missing key), and the caller validates with pydantic,
which gives the precise error. So the fast path never accepts what pydantic would refuse
(tests/test_fastcheck.py checks that with hypothesis). Must not import pydantic, textual, rich,
httpx or pint.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from typing import Annotated, Any, Literal, TypeVar, Union

from advisor.domain.common import CONFIG, Check, field_types

R = TypeVar("R")
_UNIONS = (Union, types.UnionType)


def construct(cls: type[R], fields: dict[str, Any]) -> R | None:
    """The record when `fields` surely validate as they are; None when pydantic must decide.

    Raises the record's own ValueError when the values conform but do not fit together.
    """
    hints, required = _shape(cls)
    if not required <= fields.keys() or not fields.keys() <= hints.keys():
        return None
    if all(conforms(hints[name], value) for name, value in fields.items()):
        return cls(**fields)
    return None


def conforms(annotation: Any, value: Any) -> bool:
    """Whether `value` has exactly the annotated type and meets every `Check` on it."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *markers = typing.get_args(annotation)
        return conforms(base, value) and all(
            marker.holds(value) for marker in markers if isinstance(marker, Check)
        )
    if origin in _UNIONS:
        return any(conforms(arg, value) for arg in typing.get_args(annotation))
    if origin is Literal:
        return any(type(value) is type(arg) and value == arg for arg in typing.get_args(annotation))
    if origin is tuple:
        args = typing.get_args(annotation)
        return (type(value) is tuple and len(args) == 2 and args[1] is Ellipsis
                and all(conforms(args[0], item) for item in value))
    if annotation is type(None):
        return value is None
    if annotation is int or annotation is bool:
        return type(value) is annotation
    if annotation is float:
        return type(value) is float and math.isfinite(value)
    if annotation is str:
        return (type(value) is str and len(value) <= CONFIG["str_max_length"]
                and value == value.strip())
    return False


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    hints = field_types(cls)
    return hints, frozenset(hints) - cls.__record_defaults__.keys()  # type: ignore[attr-defined]
