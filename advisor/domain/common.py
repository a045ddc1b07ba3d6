"""Shared pieces of the domain records: the record base, constraints, dtypes, quantity fields.

Domain objects are frozen, keyword-only records (`@record`, see `Record`), so the headless path
creates and unpickles them without importing `dataclasses` or pydantic's model machinery. Their
constraints live in the annotations as small markers (`Check`, `Unit`) that pydantic reads when
a file is validated (`advisor.domain.validation`, imported only then) and that
`advisor.domain.fastcheck` reads for values built by our own code. Constructing a record directly does not validate:
use `Cls.validate({...})` for untrusted data.

Quantities are plain floats in SI base units (bytes, bytes/s, FLOP/s, W, s). A TOML value may
be a number in that unit or a string with a unit ("80 GB", "4.8 TB/s"); strings go through
`advisor.domain.units`, imported only when a string actually arrives, so pint stays out of the
headless path. Must not import pydantic's model machinery, pint, textual, rich or httpx.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import typing
from typing import Annotated, Any, Literal, TypeVar

WeightDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
KvDtype = Literal["bf16", "fp16", "fp8"]
ComputeDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
Engine = Literal["trtllm", "vllm", "sglang"]

ID_PATTERN = r"^[a-z0-9][a-z0-9._/+-]{0,79}$"
MAX_TEXT = 2000

# Validation settings pydantic applies to every record (and fastcheck mirrors).
CONFIG: dict[str, Any] = {
    "extra": "forbid",
    "allow_inf_nan": False,
    "str_strip_whitespace": True,
    "str_max_length": MAX_TEXT,
    "validate_default": True,
    "use_attribute_docstrings": True,
}

R = TypeVar("R", bound="Record")
_RECORDS: list[type[Record]] = []  # every @record class, for `materialize`
_MATERIALIZED: list[bool] = [False]


class FrozenRecordError(AttributeError):
    """A record's fields cannot be assigned after construction."""


class Record:
    """Base of every domain record: immutable, keyword-only, strict about unknown keys.

    On the headless path a record is a plain class: this base gives it a keyword-only
    `__init__` (defaults, `__post_init__` checks), immutability, and the dataclass equality,
    hash and repr, so neither `dataclasses` nor pydantic is imported to build or unpickle one.
    Validation turns every record class into a real frozen dataclass first (`materialize`),
    which is what pydantic validates; behaviour is the same either way.
    """

    __pydantic_config__ = CONFIG
    __record_fields__: tuple[str, ...] = ()
    __record_defaults__: dict[str, Any] = {}

    def __init__(self, **values: Any) -> None:
        defaults = self.__record_defaults__
        for name in self.__record_fields__:
            if name in values:
                value = values.pop(name)
            elif name in defaults:
                value = defaults[name]
            else:
                raise TypeError(f"{type(self).__name__}() missing keyword argument {name!r}")
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                            f"{next(iter(values))!r}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of a {type(self).__name__}")

    @classmethod
    def validate(cls: type[R], data: Any = None, /, **fields: Any) -> R:
        """A record from untrusted data (a dict or keyword arguments), with every check;
        raises pydantic's ValidationError."""
        from advisor.domain.validation import validate

        return validate(cls, fields if data is None else data)

    def replace(self: R, **changes: Any) -> R:
        """A copy with some fields changed (not validated, like `dataclasses.replace`)."""
        return type(self)(**{**self.values(), **changes})

    def values(self) -> dict[str, Any]:
        """Field name -> value, in field order."""
        return {name: getattr(self, name) for name in self.__record_fields__}

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__record_fields__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
        return f"{type(self).__qualname__}({fields})"


def record(cls: type[R]) -> type[R]:
    """Declare a record: every annotated name of the class body is a field (keyword-only,
    any order); a value assigned in the body is its default."""
    annotations = cls.__dict__.get("__annotations__", {})
    cls.__record_fields__ = tuple(annotations)
    cls.__record_defaults__ = {name: cls.__dict__[name] for name in annotations if name in cls.__dict__}
    _RECORDS.append(cls)
    if _MATERIALIZED[0]:
        _as_dataclass(cls)
    return cls


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Field name -> resolved annotation (markers kept) of a record class, in field order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {name: hints[name] for name in cls.__record_fields__}  # type: ignore[attr-defined]


def materialize() -> None:
    """Make every record class a frozen, keyword-only dataclass (once), for pydantic."""
    if not _MATERIALIZED[0]:
        _MATERIALIZED[0] = True
        for cls in _RECORDS:
            _as_dataclass(cls)


def _as_dataclass(cls: type) -> None:
    import dataclasses  # only for validation

    dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)(cls)


class FrozenMap(dict):  # type: ignore[type-arg]
    """A read-only dict that hashes by its items, so a record holding one is hashable (and can be
    a cache key). Mutation raises; equality, iteration and JSON output are a dict's."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a FrozenMap is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]
    __ior__ = _read_only  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        return (FrozenMap, (dict(self),))


class Check:
    """Constraint marker: numeric bounds, lengths and a regex, enforced by pydantic and by
    `advisor.domain.fastcheck` alike (one source of truth for both)."""

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

    def holds(self, value: Any) -> bool:
        """Whether a value of the right type meets every bound (the fast path's check)."""
        if isinstance(value, (int, float)):
            return not (
                (self.gt is not None and not value > self.gt)
                or (self.ge is not None and not value >= self.ge)
                or (self.lt is not None and not value < self.lt)
                or (self.le is not None and not value <= self.le)
            )
        size = len(value)
        if (self.min_length is not None and size < self.min_length) or (
            self.max_length is not None and size > self.max_length
        ):
            return False
        return self.pattern is None or re.search(self.pattern, value) is not None

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
    if isinstance(value, Record):
        return {name: to_json(item) for name, item in value.values().items()}
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
