"""atheris target: `advisor.domain.units.parse_quantity` and `parse_price` on arbitrary strings.

Asserts `fuzz/targets.py::check_unit_text`: a finite float ≥ 0 (a price also an ISO 4217 code)
or ValueError with one printable line; any other exception, NaN/inf/negative result or
multi-line message is a finding, and so is a hang (pint only ever gets whitelisted unit
names). The input is split by atheris' FuzzedDataProvider: the last byte picks the quantity
kind, the first picks ASCII/UTF-16/UTF-32 text. Not a test (atheris is not a project
dependency); see fuzz/README.md. Must not be imported by the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["advisor"]):
    from targets import KINDS, check_unit_text


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    kind = KINDS[provider.ConsumeIntInRange(0, len(KINDS) - 1)]
    check_unit_text(provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes()), kind)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
