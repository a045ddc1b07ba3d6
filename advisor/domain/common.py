"""Shared pieces of the domain records: the validation config, constraints, dtypes, quantity fields.

Domain records are ordinary frozen, slotted, keyword-only dataclasses with hashable fields
(tuples, `FrozenMap`), so they compare and hash by value and can key a cache. Their
constraints live in the annotations as small markers (`Check`, `Unit`) that pydantic reads when
untrusted data (a file, a flag, a server's answer) is validated at the boundary
(`advisor.domain.validation.validate(Cls, data)`, which imports pydantic only then).
Constructing a record directly does not validate: code inside the tool is trusted.

Quantities are plain floats in SI base units (bytes, bytes/s, FLOP/s, W, s). A TOML value may
be a number in that unit or a string with a unit ("80 GB", "4.8 TB/s"); strings go through
`advisor.domain.units`, imported only when a string actually arrives, so pint stays out of the
headless path. Must not import pydantic's model machinery, pint, textual, rich or httpx.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import re
import typing
from typing import Annotated, Any, Literal

WeightDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
KvDtype = Literal["bf16", "fp16", "fp8"]
ComputeDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
Engine = Literal["trtllm", "vllm", "sglang"]

ID_PATTERN = r"^[a-z0-9][a-z0-9._/+-]{0,79}$"
MAX_TEXT = 2000

# Validation settings pydantic applies to every record (each sets `__pydantic_config__ = CONFIG`).
CONFIG: dict[str, Any] = {
    "extra": "forbid",
    "allow_inf_nan": False,
    "str_strip_whitespace": True,
    "str_max_length": MAX_TEXT,
    "validate_default": True,
    "use_attribute_docstrings": True,
}

@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Field name -> resolved annotation (markers kept) of a record class, in field order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


class FrozenMap(dict):  # type: ignore[type-arg]
    """A read-only dict that hashes by its items, so a record holding one is hashable (and can be
    a cache key). Mutation raises; equality, iteration and JSON output are a dict's."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a FrozenMap is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __reduce__(self) -> Any:
        return (FrozenMap, (dict(self),))


class Check:
    """Constraint marker: numeric bounds, lengths and a regex, which pydantic enforces."""

    __slots__ = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "description")

    def __init__(
        self, *, gt: float | None = None, ge: float | None = None, lt: float | None = None,
        le: float | None = None, min_length: int | None = None, max_length: int | None = None,
        pattern: str | None = None, description: str | None = None,
    ) -> None:
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.min_length, self.max_length, self.pattern = min_length, max_length, pattern
        self.description = description

    def constraints(self) -> dict[str, Any]:
        """The bounds that are set, under pydantic-core's schema keys."""
        return {
            name: value for name in ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")
            if (value := getattr(self, name)) is not None
        }

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = dict(handler(source))
        target = schema["schema"] if schema.get("type") == "nullable" else schema
        target.update(self.constraints())
        return schema

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        json_schema = handler(core_schema)
        if self.description:
            json_schema = {**json_schema, "description": self.description}
        return json_schema


class Unit:
    """Quantity marker: a number in SI units, or a unit string of this kind ("80 GB")."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def convert(self, value: Any) -> Any:
        """A unit string as an SI float; numbers pass through; booleans are refused."""
        if isinstance(value, str):
            from advisor.domain.units import parse_quantity  # lazy: pint only when a string arrives

            return parse_quantity(value, self.kind)
        if isinstance(value, bool):
            raise ValueError("expected a number or a string with a unit, got a boolean")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.convert, handler(source))

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        from advisor.domain.units import unit_pattern

        number = handler(core_schema)
        return {"anyOf": [number, {"type": "string", "pattern": unit_pattern(self.kind)}]}


def _quantity(kind: str, le: float) -> Any:
    return Annotated[float, Check(gt=0, le=le), Unit(kind)]


Bytes = _quantity("bytes", 1e15)
BytesPerS = _quantity("bytes_per_s", 1e14)
FlopsPerS = _quantity("flops", 1e18)
Watts = _quantity("watts", 1e5)
Seconds = _quantity("seconds", 86_400)

Id = Annotated[str, Check(pattern=ID_PATTERN, description="Stable id, lower case.")]
Alias = Annotated[str, Check(min_length=1, max_length=80)]
Text = Annotated[str, Check(max_length=MAX_TEXT)]
Date = _dt.date
Currency = Annotated[str, Check(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]


Name = Annotated[str, Check(min_length=1, max_length=80)]
Family = Annotated[str, Check(pattern=r"^[a-z0-9-]{2,30}$")]
Required = Annotated[str, Check(min_length=1, max_length=MAX_TEXT)]
Fraction = Annotated[float, Check(gt=0, le=1)]


def to_json(value: Any) -> Any:
    """A record (or anything inside one) as JSON-ready data: records and dicts to dicts,
    tuples to lists, dates to ISO strings; what pydantic's `mode="json"` dump gives."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def normalize_name(name: str) -> str:
    """Key for case- and punctuation-insensitive lookup: 'Llama-3.1-405B' -> 'llama3.1405b'."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())
