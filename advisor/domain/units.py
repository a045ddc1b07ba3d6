"""Human quantities at the boundary: "80 GB", "4.8 TB/s", "400 Gbit/s", "3.99 USD/h" to floats.

The only module that parses unit strings. A strict pattern (one number, optional exponent, one
unit token) and a whitelist of spellings per kind come first; pint then converts a float and a
whitelisted unit *name* — it never sees the user's text, because pint evaluates expressions
(`10**10**10 GB` hangs it, `32k` is Boltzmann's constant to it). The registry is built lazily,
once, only when a string must be converted, so the headless path never imports pint.

Prices are per hour only ("3.99 USD/h", "/hr", "/hour"): a monthly price depends on the team's
`hours_per_month`, so it must be converted by the writer, and the error says so.

Results are plain floats in SI base units: bytes, bytes/s, FLOP/s, W, s. Errors are ValueError
with one clear line (pydantic shows it as the field's message). Must not import textual, rich
or httpx.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from advisor.errors import closest, did_you_mean, hint_text

MAX_CHARS = 40

# User spelling -> pint unit name. Case matters: "Gb/s" is gigabit, "GB/s" gigabyte.
SPELLINGS: dict[str, dict[str, str]] = {
    "bytes": {
        "B": "byte", "kB": "kilobyte", "MB": "megabyte", "GB": "gigabyte", "TB": "terabyte",
        "PB": "petabyte", "KiB": "kibibyte", "MiB": "mebibyte", "GiB": "gibibyte",
        "TiB": "tebibyte", "PiB": "pebibyte",
    },
    "bytes_per_s": {
        "B/s": "byte / second", "kB/s": "kilobyte / second", "MB/s": "megabyte / second",
        "GB/s": "gigabyte / second", "TB/s": "terabyte / second", "MiB/s": "mebibyte / second",
        "GiB/s": "gibibyte / second", "TiB/s": "tebibyte / second", "bit/s": "bit / second",
        "kbit/s": "kilobit / second", "Mbit/s": "megabit / second", "Gbit/s": "gigabit / second",
        "Tbit/s": "terabit / second", "Mb/s": "megabit / second", "Gb/s": "gigabit / second",
        "Tb/s": "terabit / second", "Mbps": "megabit / second", "Gbps": "gigabit / second",
        "Tbps": "terabit / second",
    },
    "flops": {
        "FLOPS": "flop / second", "FLOP/s": "flop / second", "GFLOPS": "gigaflop / second",
        "GFLOP/s": "gigaflop / second", "TFLOPS": "teraflop / second",
        "TFLOP/s": "teraflop / second", "PFLOPS": "petaflop / second",
        "PFLOP/s": "petaflop / second", "TOPS": "teraflop / second", "POPS": "petaflop / second",
    },
    "watts": {"W": "watt", "kW": "kilowatt"},
    "seconds": {
        "s": "second", "ms": "millisecond", "us": "microsecond", "µs": "microsecond",
        "ns": "nanosecond", "min": "minute",
    },
}
TARGETS = {
    "bytes": "byte", "bytes_per_s": "byte / second", "flops": "flop / second",
    "watts": "watt", "seconds": "second",
}
LABELS = {
    "bytes": "a memory size (e.g. '80 GB')",
    "bytes_per_s": "a bandwidth (e.g. '3.35 TB/s' or '400 Gbit/s')",
    "flops": "a compute rate (e.g. '989 TFLOPS')",
    "watts": "a power (e.g. '700 W')",
    "seconds": "a duration (e.g. '50 ms')",
}
# Active ISO 4217 codes a GPU price is plausibly quoted in.
CURRENCIES = frozenset(
    ["USD", "EUR", "GBP", "JPY", "CNY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
     "HUF", "RON", "BGN", "INR", "KRW", "SGD", "HKD", "TWD", "THB", "MYR", "IDR", "PHP", "VND", "AED",
     "SAR", "ILS", "TRY", "ZAR", "BRL", "MXN", "CLP", "COP", "ARS", "RUB", "UAH", "KZT"]
)
PER_HOUR = frozenset({"h", "hr", "hour"})

_NUMBER = r"(?P<sign>[+-]?)(?P<num>\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE](?P<exp>[+-]?\d{1,3}))?"
_QUANTITY = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[A-Za-zµ/]{{1,12}})\s*$")
_PRICE = re.compile(rf"^\s*{_NUMBER}\s*(?P<cur>[A-Za-z]{{1,5}})?\s*/\s*(?P<per>[A-Za-z]{{1,8}})\s*$")
_EXPRESSION = re.compile(r"\*\*|[*^()+]|\d\s*[-/]\s*\d|\s\d")


def parse_quantity(text: str, kind: str) -> float:
    """A unit string of the given kind as a float in SI base units; ValueError if it is not one.

    kind: bytes, bytes_per_s, flops, watts or seconds.
    """
    if kind not in SPELLINGS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    match = _QUANTITY.match(_bounded(text))
    if match is None:
        raise ValueError(_shape_error(text, LABELS[kind]))
    value = _number(match)
    unit = match.group("unit")
    name = SPELLINGS[kind].get(unit)
    if name is None:
        raise ValueError(_unit_error(unit, kind))
    result = float(_registry().Quantity(value, name).to(TARGETS[kind]).magnitude)
    if not math.isfinite(result):
        raise ValueError(f"{_short(text)} is too large")
    return result


def parse_price(text: str) -> tuple[float, str]:
    """'31.92 USD/h' -> (31.92, 'USD'): an amount per hour and an ISO 4217 currency code."""
    match = _PRICE.match(_bounded(text))
    if match is None:
        raise ValueError(_price_shape_error(text))
    amount = _number(match)
    per = match.group("per").lower()
    if per not in PER_HOUR:
        raise ValueError(f"prices are per hour: write e.g. '3.99 USD/h' (got per {match.group('per')!r}; "
                         "divide a monthly price by the hours billed)")
    currency = match.group("cur")
    if not currency:
        raise ValueError("missing currency: write e.g. '3.99 USD/h'")
    if currency not in CURRENCIES:
        raise ValueError(_currency_error(currency))
    return amount, currency


# -- helpers -------------------------------------------------------------------------------

def _bounded(text: Any) -> str:
    if not isinstance(text, str):
        raise ValueError("expected a string with a unit")
    if len(text) > MAX_CHARS:
        raise ValueError(f"{_short(text)} is too long for a quantity (at most {MAX_CHARS} characters)")
    return text


def _short(text: str) -> str:
    """The user's text, quoted, cut short and stripped of control characters for messages."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[:24])
    return repr(clean + ("…" if len(text) > 24 else ""))


def _number(match: re.Match[str]) -> float:
    if match.group("sign") == "-":
        raise ValueError("must not be negative")
    exponent = match.group("exp")
    value = float(match.group("num") + (f"e{exponent}" if exponent else ""))
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _shape_error(text: str, label: str) -> str:
    lowered = text.strip().lower()
    if any(word in lowered for word in ("nan", "inf")):
        return "not a finite number"
    if lowered.startswith("-"):
        return "must not be negative"
    if _EXPRESSION.search(text.strip()):
        return f"expressions are not allowed: expected {label}, one number and one unit"
    if re.fullmatch(r"\s*[+-]?[\d.eE+-]+\s*", text):
        return f"missing unit: expected {label}"
    return f"{_short(text)} is not a quantity: expected {label}"


def _unit_error(unit: str, kind: str) -> str:
    for other, spellings in SPELLINGS.items():
        if other != kind and unit in spellings:
            article = LABELS[other].split(" (")[0]
            return f"expected {LABELS[kind]}, but {unit!r} is {article}"
    options = list(SPELLINGS[kind])
    folded = [s for s in options if s.lower() == unit.lower()]
    close = folded[0] if folded else closest(unit, options)
    hint = hint_text(close) or f" (use one of: {', '.join(options)})"
    return f"unknown unit {_short(unit)} for {LABELS[kind].split(' (')[0]}{hint}"


def _price_shape_error(text: str) -> str:
    lowered = text.strip().lower()
    if any(word in lowered for word in ("nan", "inf")):
        return "not a finite number"
    if lowered.startswith("-"):
        return "must not be negative"
    if any(sign in text for sign in "$€£¥"):
        return "write the currency as an ISO 4217 code: e.g. '3.99 USD/h'"
    if "/" not in text:
        return "a price needs a currency and a period: write e.g. '3.99 USD/h'"
    if _EXPRESSION.search(text.strip()):
        return "expressions are not allowed: write e.g. '3.99 USD/h'"
    return f"{_short(text)} is not a price: write e.g. '3.99 USD/h'"


def _currency_error(code: str) -> str:
    if code.upper() in CURRENCIES:
        return f"currency codes are upper case (did you mean {code.upper()!r}?)"
    hint = did_you_mean(code.upper(), sorted(CURRENCIES))
    return f"unknown currency {_short(code)}: expected an ISO 4217 code such as 'USD'{hint}"


@lru_cache(maxsize=1)
def _registry() -> Any:
    """The pint registry, built on first use, with a FLOP unit added. pint's own definition
    cache is a pickle, so it is not used: data is never code."""
    import pint

    registry: Any = pint.UnitRegistry(cache_folder=None)
    registry.define("flop = [computation]")
    return registry


# The number part of a unit string as JSON Schema sees it (no sign but '+', no expression).
SCHEMA_NUMBER = r"^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*"


def unit_pattern(kind: str) -> str:
    """A regex of the strings `parse_quantity(text, kind)` accepts, for the JSON Schema."""
    units = "|".join(re.escape(u) for u in sorted(SPELLINGS[kind], key=lambda u: (-len(u), u)))
    return f"{SCHEMA_NUMBER}({units})\\s*$"
