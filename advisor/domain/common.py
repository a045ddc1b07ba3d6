"""Shared pieces of the domain models: base config, dtypes, quantity-typed fields.

Quantities are plain floats in SI base units (bytes, bytes/s, FLOP/s, W, s). A TOML value may
be a number in that unit or a string with a unit ("80 GB", "4.8 TB/s"); strings go through
`advisor.units`, which is imported only when a string actually arrives, so pint stays out of
the headless path. Must not import pint at module level, textual, rich or httpx.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

WeightDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
KvDtype = Literal["bf16", "fp16", "fp8"]
ComputeDtype = Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"]
Engine = Literal["trtllm", "vllm", "sglang"]

ID_PATTERN = r"^[a-z0-9][a-z0-9._/+-]{0,79}$"


class Frozen(BaseModel):
    """Base for every domain model: immutable, strict about unknown keys, no NaN/inf."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        str_max_length=2000,
        validate_default=True,
        use_attribute_docstrings=True,
        # Built-in entries usually come from the pickle cache (advisor.builtin_cache), so
        # validators are built only when a file is actually validated.
        defer_build=True,
    )


def _quantity(kind: str):
    """A before-validator that turns a unit string into a float of the given kind."""

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            from advisor.units import parse_quantity  # lazy: pint only when a string arrives

            return parse_quantity(value, kind)
        if isinstance(value, bool):
            raise ValueError("expected a number or a string with a unit, got a boolean")
        return value

    return BeforeValidator(convert)


Bytes = Annotated[float, _quantity("bytes"), Field(gt=0, le=1e15)]
BytesPerS = Annotated[float, _quantity("bytes_per_s"), Field(gt=0, le=1e14)]
FlopsPerS = Annotated[float, _quantity("flops"), Field(gt=0, le=1e18)]
Watts = Annotated[float, _quantity("watts"), Field(gt=0, le=1e5)]
Seconds = Annotated[float, _quantity("seconds"), Field(gt=0, le=86_400)]

Id = Annotated[str, Field(pattern=ID_PATTERN, description="Stable id, lower case.")]
Alias = Annotated[str, Field(min_length=1, max_length=80)]
Text = Annotated[str, Field(max_length=2000)]
Date = _dt.date

_CURRENCY = re.compile(r"^[A-Z]{3}$")
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]


def normalize_name(name: str) -> str:
    """Key for case- and punctuation-insensitive lookup: 'Llama-3.1-405B' -> 'llama3.1405b'."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())
