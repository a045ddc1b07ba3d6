"""Our own strict parsers for the shorthands users type on the command line.

Owns: model-size hints (`405b`, `8B`, `1.5b`), token counts (`32k`, `1m`: k = 1024, m = 1024²,
because context windows are powers of two — 32k is 32768 tokens), durations (`2s`, `50ms`,
`500us`), per-user speeds (`20`, `20tok/s`), request rates (`5`, `5/s`, `300/min`),
fractions (`0.5`, `50%`), amounts of money (`20000`, `20_000`), ages of a price (`90d`, `6m`,
`1y`, `90`: m = 30 days, y = 365 days) and comma lists.

Every parser is strict (one pattern, a small unit whitelist), bounded, and raises
`AdvisorError` (exit 2) with one clear line naming the value and what would be accepted.
No pint: these are fixed, tiny grammars. Must not import pint, rich, textual or httpx.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from advisor.errors import EXIT_BAD_INPUT, AdvisorError

MAX_TOKENS = 100_000_000
MAX_DURATION_S = 3600.0
MAX_TOKENS_PER_S = 1_000_000.0
MAX_REQUESTS_PER_S = 10_000_000.0
MAX_MONEY = 1e12

_NUMBER = r"(?P<num>\d+(?:_\d{3})*(?:\.\d+)?)"
_MODEL_SIZE = re.compile(_NUMBER + r"\s*(?P<unit>[mbt])", re.IGNORECASE)
_TOKENS = re.compile(_NUMBER + r"\s*(?P<unit>[km]?)", re.IGNORECASE)
_DURATION = re.compile(_NUMBER + r"\s*(?P<unit>h|min|s|ms|us|µs|ns)?", re.IGNORECASE)
_SPEED = re.compile(_NUMBER + r"\s*(?P<unit>(?:tok(?:ens)?)?/s)?", re.IGNORECASE)
_RATE = re.compile(_NUMBER + r"\s*(?P<unit>(?:req(?:uests)?)?/(?:s|min|h))?", re.IGNORECASE)
_FRACTION = re.compile(_NUMBER + r"\s*(?P<unit>%)?")
_MONEY = re.compile(_NUMBER)
_AGE = re.compile(r"(?P<num>\d+(?:_\d{3})*)\s*(?P<unit>[dwmy])?", re.IGNORECASE)

_SIZE_SCALE = {"m": 1e6, "b": 1e9, "t": 1e12}
_TOKEN_SCALE = {"": 1, "k": 1024, "m": 1024 * 1024}
_DURATION_SCALE = {"h": 3600.0, "min": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_RATE_SCALE = {"s": 1.0, "min": 1.0 / 60.0, "h": 1.0 / 3600.0}
_AGE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}  # an age of prices: m is a month, never a minute
MAX_AGE_DAYS = 36_500


def _bad(what: str, text: str, expected: str) -> AdvisorError:
    return AdvisorError(f"{what} {text!r} is not valid: expected {expected}", exit_code=EXIT_BAD_INPUT)


def _match(pattern: re.Pattern[str], text: object, what: str, expected: str) -> re.Match[str]:
    if not isinstance(text, str):
        raise _bad(what, str(text), expected)
    match = pattern.fullmatch(text.strip())
    if match is None:
        raise _bad(what, text, expected)
    return match


def _number(match: re.Match[str]) -> float:
    return float(match.group("num").replace("_", ""))


def _bounded(value: float, low: float, high: float, what: str, text: str, unit: str) -> float:
    if not math.isfinite(value) or value <= low or value > high:
        raise AdvisorError(
            f"{what} {text!r} is out of range: must be above {low:g} and at most {high:g} {unit}",
            exit_code=EXIT_BAD_INPUT,
        )
    return value


def looks_like_model_size(text: str) -> bool:
    """Whether `text` is a size hint such as '405b' rather than a model name."""
    return _MODEL_SIZE.fullmatch(text.strip()) is not None


def parse_model_size(text: str) -> float:
    """'405b' -> 4.05e11 parameters; 'm', 'b', 't' are 10^6, 10^9, 10^12 (case-insensitive)."""
    match = _match(_MODEL_SIZE, text, "model size", "a number with m, b or t, e.g. '405b'")
    value = _number(match) * _SIZE_SCALE[match.group("unit").lower()]
    return _bounded(value, 1e6, 1e14, "model size", text, "parameters")


def parse_tokens(text: str | int, what: str = "token count") -> int:
    """'32k' -> 32768, '1m' -> 1048576, '4096' -> 4096. The result must be a whole number."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    expected = "a whole number of tokens, optionally with k (×1024) or m (×1024²), e.g. '32k'"
    match = _match(_TOKENS, text, what, expected)
    value = _number(match) * _TOKEN_SCALE[match.group("unit").lower()]
    if value != int(value):
        raise AdvisorError(
            f"{what} {text!r} is not a whole number of tokens ({value:g}); k means 1024",
            exit_code=EXIT_BAD_INPUT,
        )
    return int(_bounded(value, 0, MAX_TOKENS, what, str(text), "tokens"))


def parse_duration(text: str, what: str = "duration") -> float:
    """'2s' -> 2.0, '50ms' -> 0.05, '500us' -> 5e-4 seconds. A unit is required."""
    expected = "a number with a unit (h, min, s, ms, us), e.g. '2s' or '50ms'"
    match = _match(_DURATION, text, what, expected)
    unit = match.group("unit")
    if unit is None:
        raise AdvisorError(
            f"{what} {text!r} needs a unit: write '{text.strip()}s' or '{text.strip()}ms'",
            exit_code=EXIT_BAD_INPUT,
        )
    value = _number(match) * _DURATION_SCALE[unit.lower() if unit != "µs" else unit]
    return _bounded(value, 0.0, MAX_DURATION_S, what, text, "s")


def parse_tokens_per_s(text: str, what: str = "speed") -> float:
    """'20' or '20tok/s' -> 20.0 tokens per second per user."""
    match = _match(_SPEED, text, what, "tokens per second, e.g. '20' or '20tok/s'")
    return _bounded(_number(match), 0.0, MAX_TOKENS_PER_S, what, text, "tokens/s")


def parse_request_rate(text: str, what: str = "request rate") -> float:
    """'5' or '5/s' -> 5.0; '300/min' -> 5.0 requests per second."""
    match = _match(_RATE, text, what, "requests per second, e.g. '5', '5/s' or '300/min'")
    unit = match.group("unit")
    scale = _RATE_SCALE[unit.rsplit("/", 1)[1].lower()] if unit else 1.0
    return _bounded(_number(match) * scale, 0.0, MAX_REQUESTS_PER_S, what, text, "requests/s")


def parse_count(text: str | int, what: str = "count", *, high: int = 10_000_000) -> int:
    """A positive whole number such as a concurrency or node count; '1k' is NOT accepted."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    match = _match(_MONEY, text, what, "a positive whole number, e.g. '64'")
    value = _number(match)
    if value != int(value):
        raise _bad(what, str(text), "a positive whole number, e.g. '64'")
    return int(_bounded(value, 0, high, what, str(text), ""))


def parse_fraction(text: str, what: str = "fraction") -> float:
    """'0.5' or '50%' -> 0.5; must lie in (0, 1]."""
    match = _match(_FRACTION, text, what, "a number in (0, 1] or a percentage, e.g. '0.6' or '60%'")
    value = _number(match) / (100.0 if match.group("unit") else 1.0)
    return _bounded(value, 0.0, 1.0, what, text, "")


def parse_money(text: str, what: str = "amount") -> float:
    """'20000' or '20_000' -> 20000.0 (no k/m suffix: k means 1024 for tokens, not here)."""
    match = _match(_MONEY, text, what, "a plain number, e.g. '20000'")
    return _bounded(_number(match), 0.0, MAX_MONEY, what, text, "")


def parse_age_days(text: str, what: str = "age") -> int:
    """'90d' or '90' -> 90, '2w' -> 14, '6m' -> 180 (m = 30 days), '1y' -> 365 days."""
    match = _match(_AGE, text, what, "a whole number of days, optionally with d, w, m (30 days) or y (365 days), "
                   "e.g. '90d', '6m' or '1y'")
    days = int(_number(match)) * _AGE_DAYS[(match.group("unit") or "d").lower()]
    return int(_bounded(days, 0, MAX_AGE_DAYS, what, text, "days"))


def parse_date(text: str | None, what: str = "--as-of") -> dt.date:
    """'2026-12-07' -> that date; None -> today (the day a file is read or written)."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AdvisorError(f"{what} {text!r}: expected a date YYYY-MM-DD", exit_code=EXIT_BAD_INPUT) from None


def parse_list(text: str, what: str = "list") -> tuple[str, ...]:
    """'bf16, fp8' -> ('bf16', 'fp8'): comma separated, blanks dropped, order kept, no repeats."""
    items = [part.strip() for part in text.split(",")]
    items = [item for item in items if item]
    if not items:
        raise AdvisorError(f"{what} {text!r} is empty", exit_code=EXIT_BAD_INPUT)
    return tuple(dict.fromkeys(items))


def format_tokens(tokens: int) -> str:
    """32768 -> '32k', 1048576 -> '1m', 1000 -> '1000' (inverse of `parse_tokens`)."""
    for suffix, scale in (("m", 1024 * 1024), ("k", 1024)):
        if tokens >= scale and tokens % scale == 0:
            return f"{tokens // scale}{suffix}"
    return str(tokens)


def format_duration(seconds: float) -> str:
    """0.05 -> '50 ms', 2.0 -> '2.00 s', 5e-4 -> '500 µs'."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"
