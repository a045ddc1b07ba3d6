"""Pydantic validation of domain records: imported only when untrusted data is validated.

Records are plain frozen dataclasses; pydantic validates a dict (or a list of dicts) into them
through a cached `TypeAdapter` per type, honouring the `Check`/`Unit` markers, the shared
config (`extra='forbid'`, no NaN/inf …) and each record's `__post_init__` checks. Must not
import textual, rich, httpx or pint.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import TypeAdapter

R = TypeVar("R")


@functools.cache
def adapter(cls: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic adapter of a record class (or of a `list[...]` of one)."""
    return TypeAdapter(cls)


def validate(cls: type[R], data: Any = None, /, **fields: Any) -> R:
    """A record from a dict (or keyword arguments), fully checked; raises
    pydantic.ValidationError."""
    annotation: Any = cls  # a class is hashable, whatever the stubs say of type[R]
    record: R = adapter(annotation).validate_python(fields if data is None else data)
    return record
