"""advisor.domain.units: good strings convert to SI floats, hostile strings give one clear ValueError,
and pint never sees the user's text."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from advisor.domain import units
from advisor.domain.units import SPELLINGS, TARGETS, parse_price, parse_quantity


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("80 GB", "bytes", 80e9),
        ("141 GiB", "bytes", 141 * 2**30),
        ("80GB", "bytes", 80e9),
        ("  1.5e2 MiB ", "bytes", 150 * 2**20),
        ("4.8 TB/s", "bytes_per_s", 4.8e12),
        ("400 Gbit/s", "bytes_per_s", 50e9),
        ("400 Gb/s", "bytes_per_s", 50e9),
        ("900 GB/s", "bytes_per_s", 900e9),
        ("989 TFLOPS", "flops", 989e12),
        ("1.8 PFLOPS", "flops", 1.8e15),
        ("700 W", "watts", 700.0),
        ("0.7 kW", "watts", 700.0),
        ("50 ms", "seconds", 0.05),
        ("8 us", "seconds", 8e-6),
        ("+2 s", "seconds", 2.0),
    ],
)
def test_good_quantities(text: str, kind: str, expected: float) -> None:
    assert parse_quantity(text, kind) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "kind", "needle"),
    [
        ("4.8 TB/s", "bytes", "expected a memory size"),
        ("80 GB", "bytes_per_s", "expected a bandwidth"),
        ("80 GB", "watts", "expected a power"),
        ("32k", "bytes", "unknown unit 'k'"),
        ("80 gb", "bytes", "did you mean 'GB'"),
        ("80 parsecs", "bytes", "unknown unit"),
        ("10**10**10 GB", "bytes", "expressions are not allowed"),
        ("2*40 GB", "bytes", "expressions are not allowed"),
        ("(80) GB", "bytes", "expressions are not allowed"),
        ("40 GB + 40 GB", "bytes", "expressions are not allowed"),
        ("nan GB", "bytes", "not a finite number"),
        ("inf TB/s", "bytes_per_s", "not a finite number"),
        ("1e999 GB", "bytes", "not a finite number"),
        ("1e300 PB", "bytes", "too large"),
        ("-5 GB", "bytes", "must not be negative"),
        ("80", "bytes", "missing unit"),
        ("", "bytes", "not a quantity"),
        ("8" * 41 + " GB", "bytes", "too long"),
        ("80 GB\x1b[2J", "bytes", "not a quantity"),
        ("__import__('os') GB", "bytes", "expressions are not allowed"),
    ],
)
def test_hostile_quantities(text: str, kind: str, needle: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_quantity(text, kind)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message and "\x1b" not in message


def test_every_whitelisted_spelling_matches_pint() -> None:
    registry = units._registry()
    for kind, spellings in SPELLINGS.items():
        for spelling, name in spellings.items():
            expected = registry.Quantity(2.5, name).to(TARGETS[kind]).magnitude
            assert parse_quantity(f"2.5 {spelling}", kind) == pytest.approx(expected), spelling


def test_no_spelling_is_shared_between_kinds() -> None:
    # A shared spelling would make the wrong-dimension message ambiguous.
    seen: dict[str, str] = {}
    for kind, spellings in SPELLINGS.items():
        for spelling in spellings:
            assert spelling not in seen, (spelling, kind, seen.get(spelling))
            seen[spelling] = kind


def test_pint_never_sees_user_text(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[object, object]] = []
    real = units._registry()

    class Spy:
        def Quantity(self, value: object, unit: object) -> object:
            seen.append((value, unit))
            return real.Quantity(value, unit)

    monkeypatch.setattr(units, "_registry", lambda: Spy())
    parse_quantity("80 GB", "bytes")
    for text in ("32k", "10**10**10 GB", "1 kB*1e9"):
        with pytest.raises(ValueError):
            parse_quantity(text, "bytes")
    assert seen == [(80.0, "gigabyte")]


def test_pint_is_not_imported_until_a_string_is_parsed() -> None:
    code = (
        "import sys; from advisor.catalog.config import load_world; load_world(discover=False);"
        "assert 'pint' not in sys.modules, 'pint loaded by built-ins';"
        "from advisor.domain.units import parse_quantity; parse_quantity('1 GB', 'bytes');"
        "assert 'pint' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.99 USD/h", (3.99, "USD")),
        ("31.92 EUR/hour", (31.92, "EUR")),
        ("2.5 GBP / hr", (2.5, "GBP")),
        ("0.5e1 JPY/h", (5.0, "JPY")),
    ],
)
def test_good_prices(text: str, expected: tuple[float, str]) -> None:
    amount, currency = parse_price(text)
    assert (amount, currency) == (pytest.approx(expected[0]), expected[1])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2300 USD/month", "prices are per hour"),
        ("3.99/h", "missing currency"),
        ("3.99", "needs a currency and a period"),
        ("$3.99/h", "ISO 4217"),
        ("3.99 usd/h", "did you mean 'USD'"),
        ("3.99 XYZ/h", "unknown currency 'XYZ'"),
        ("nan USD/h", "not a finite number"),
        ("-1 USD/h", "must not be negative"),
        ("1*2 USD/h", "expressions are not allowed"),
        ("9" * 45 + " USD/h", "too long"),
    ],
)
def test_hostile_prices(text: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_price(text)
    assert needle in str(info.value)


def test_results_are_finite_floats() -> None:
    value = parse_quantity("999999 PB", "bytes")
    assert isinstance(value, float) and math.isfinite(value)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=50), kind=st.sampled_from(sorted(SPELLINGS)))
def test_parsers_raise_only_value_error(text: str, kind: str) -> None:
    for parse in (lambda: parse_quantity(text, kind), lambda: parse_price(text)):
        try:
            value = parse()
        except ValueError as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            number = value[0] if isinstance(value, tuple) else value
            assert math.isfinite(number) and number >= 0
