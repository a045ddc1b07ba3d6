"""Pydantic validation of domain records: imported only when untrusted data is validated.

Importing this module turns every record class into a frozen dataclass
(`advisor.domain.common.materialize`); pydantic validates a dict into one through a cached
`TypeAdapter`, honouring the `Check`/`Unit` markers, the shared config (`extra='forbid'`, no
NaN/inf …) and each record's `__post_init__` checks. Must not import textual, rich, httpx or
pint.
"""

from __future__ import annotations

import functools
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
