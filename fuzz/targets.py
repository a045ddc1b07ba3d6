"""What the fuzz targets assert, without atheris, so tests can replay the seed corpora.

`check_catalog_bytes(data)`: the loader turns any bytes into entries and/or problems and never
raises; raised the way the CLI raises them, only `AdvisorError` escapes, exit code 2, every
line printable and naming the file. `check_unit_text(text, kind)`: each parser returns a finite
float ≥ 0 (a price also an ISO 4217 code) or raises ValueError with one printable line.
Anything else raises AssertionError (or the unexpected exception itself): a finding.
Must not be imported by the package.
"""

from __future__ import annotations

import math

from advisor.errors import AdvisorError
from advisor.catalog.loaders import LoadedFile, load_catalog_bytes
from advisor.catalog.toml_reader import raise_problems
from advisor.domain.units import CURRENCIES, SPELLINGS, parse_price, parse_quantity

PATH = "fuzz.toml"
KINDS = sorted(SPELLINGS)


def check_loaded(loaded: LoadedFile) -> None:
    assert isinstance(loaded, LoadedFile)
    assert loaded.entries or loaded.problems, "neither entries nor problems"
    try:
        raise_problems(loaded.problems)
    except AdvisorError as err:
        lines = err.lines()
        assert lines and err.exit_code == 2
        for line in lines:
            assert line.startswith(PATH), line
            assert line.isprintable(), repr(line)
    else:
        assert not loaded.problems


def check_catalog_bytes(data: bytes) -> None:
    check_loaded(load_catalog_bytes(data, PATH))


def _check_message(exc: ValueError) -> None:
    message = str(exc)
    assert message and message.isprintable(), repr(message)


def check_unit_text(text: str, kind: str) -> None:
    try:
        value = parse_quantity(text, kind)
    except ValueError as exc:
        _check_message(exc)
    else:
        assert isinstance(value, float) and math.isfinite(value) and value >= 0, (text, value)
    try:
        amount, currency = parse_price(text)
    except ValueError as exc:
        _check_message(exc)
    else:
        assert isinstance(amount, float) and math.isfinite(amount) and amount >= 0, (text, amount)
        assert currency in CURRENCIES, (text, currency)


def unit_seed(data: bytes) -> tuple[str, str]:
    """(text, kind) of a seed written by make_seeds.py: 1 = ASCII, 2 = UTF-16 text, kind last.

    Inputs libFuzzer makes are decoded by atheris' FuzzedDataProvider instead.
    """
    body, kind = data[1:-1], KINDS[data[-1] % len(KINDS)]
    return (body.decode("ascii") if data[0] == 1 else body.decode("utf-16-le")), kind
