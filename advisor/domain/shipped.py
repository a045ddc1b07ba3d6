"""Records from the data that ships inside the package, built without validating it again.

The built-in catalogs and profiles are part of the release like the code is: the test suite
validates every shipped entry with pydantic and checks that `build` gives the very same record
(tests/test_builtin_data.py), so a run does not pay for pydantic to check them once more.
`build` only converts shapes — lists to tuples, tables to nested records, integers to floats
where a field is a float — by each field's annotation; bounds are not checked here. Anything a
user or a server supplies goes through `advisor.domain.validation` instead. Must not import
pydantic, textual, rich, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, Union

from advisor.domain.common import field_types

R = TypeVar("R")
_UNIONS = (Union, types.UnionType)


def build(cls: type[R], data: dict[str, Any]) -> R:
    """The record `cls` from shipped data (a TOML table); TypeError or ValueError when the data
    does not have the record's shape."""
    annotation: Any = cls  # a class is hashable, whatever the stubs say of type[R]
    converted: R = _converter(annotation)(data)
    return converted


def _same(value: Any) -> Any:
    return value


@functools.cache
def _converter(annotation: Any) -> Callable[[Any], Any]:
    """A function from plain data to a value of the annotated type, made once per annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _converter(args[0])
    if origin in _UNIONS:
        (inner,) = [arg for arg in args if arg is not type(None)]
        some = _converter(inner)
        return lambda data: None if data is None else some(data)
    if origin is tuple:
        item = _converter(args[0])
        return lambda data: tuple(map(item, data))
    if origin is dict:
        value = _converter(args[1])
        return lambda data: {key: value(item) for key, item in data.items()}
    if dataclasses.is_dataclass(annotation):
        return _record_converter(annotation)  # type: ignore[arg-type]
    if annotation is float:
        return float
    return _same  # str, int, bool, Literal, date: TOML already gives the right type


def _record_converter(cls: type) -> Callable[[Any], Any]:
    fields = {name: _converter(annotation) for name, annotation in field_types(cls).items()}

    def record(data: Any) -> Any:
        unknown = data.keys() - fields.keys()
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
        return cls(**{name: fields[name](value) for name, value in data.items()})

    return record
