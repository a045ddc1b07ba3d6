"""Pydantic validation of domain records: imported only when untrusted data is validated.

Importing this module turns every record class into a frozen dataclass
(`advisor.domain.common.materialize`); pydantic validates a dict into one through a cached
`TypeAdapter`, honouring the `Check`/`Unit` markers, the shared
config (`extra='forbid'`, no NaN/inf …) and each record's `__post_init__` checks. This module
also gives a record class's fields with their resolved types. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import functools
import typing
from typing import Any, TypeVar

from pydantic import TypeAdapter

from advisor.domain.common import materialize

materialize()

R = TypeVar("R")


@functools.cache
def adapter(cls: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic adapter of a record class."""
    return TypeAdapter(cls)


def validate(cls: type[R], data: Any) -> R:
    """A record from a dict, fully checked; raises pydantic.ValidationError."""
    return adapter(cls).validate_python(data)  # type: ignore[no-any-return]


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Field name -> resolved annotation (markers kept) of a record class, in field order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {name: hints[name] for name in cls.__record_fields__}  # type: ignore[attr-defined]

