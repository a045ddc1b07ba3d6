"""Write the seed corpora of the fuzz targets: fuzz/corpus/loader and fuzz/corpus/units.

Loader seeds are small valid and near-valid catalog files: every built-in entry on its own
(one `[[kind]]` table per file, so libFuzzer mutates short inputs), the test fixtures and the
hostile corpus. Unit seeds are the strings of tests/test_units.py and every whitelisted
spelling, encoded the way `fuzz_units.py` reads them (FuzzedDataProvider: a leading byte picks
ASCII (1) or UTF-16 (2) text, a trailing byte picks the quantity kind). Run from the repo root:
    .venv/bin/python fuzz/make_seeds.py
Must not be imported by the package.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADER = ROOT / "fuzz" / "corpus" / "loader"
UNITS = ROOT / "fuzz" / "corpus" / "units"
MAX_SEED_BYTES = 16384
_HEADER = re.compile(r"^\[\[([a-z]+)\]\]", re.M)

UNIT_STRINGS = [
    "80 GB", "141 GiB", "80GB", "  1.5e2 MiB ", "4.8 TB/s", "400 Gbit/s", "900 GB/s", "989 TFLOPS",
    "1.8 PFLOPS", "700 W", "0.7 kW", "50 ms", "8 us", "8 µs", "+2 s", "32k", "80 gb", "10**10**10 GB",
    "2*40 GB", "(80) GB", "40 GB + 40 GB", "nan GB", "inf TB/s", "1e999 GB", "1e300 PB", "-5 GB", "80",
    "", "80 GB\x1b[2J", "__import__('os') GB", "3.99 USD/h", "31.92 EUR/hour", "2.5 GBP / hr",
    "0.5e1 JPY/h", "2300 USD/month", "3.99/h", "$3.99/h", "3.99 usd/h", "3.99 XYZ/h", "-1 USD/h",
    "1*2 USD/h", ".5 TB/s", "5. GB", "1_000 GB", "1,000 GB", "80 GB\u202e", "８０ GB", "1e-320 GB",
]


def entries(text: str) -> list[str]:
    """Each `[[kind]]` table of a catalog file (with its sub-tables) as its own document."""
    starts = [m.start() for m in _HEADER.finditer(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def write(folder: Path, data: bytes) -> None:
    name = hashlib.sha1(data).hexdigest()
    (folder / name).write_bytes(data[:MAX_SEED_BYTES])


def loader_seeds() -> None:
    LOADER.mkdir(parents=True, exist_ok=True)
    for path in sorted([*ROOT.glob("catalogs/*.toml"), *ROOT.glob("profiles/*.toml")]):
        for entry in entries(path.read_text(encoding="utf-8")):
            write(LOADER, entry.encode())
    for path in sorted([*ROOT.glob("tests/fixtures/*.toml"), *ROOT.glob("tests/hostile/*.toml")]):
        write(LOADER, path.read_bytes())


def units_seeds() -> None:
    from advisor.domain.units import SPELLINGS

    UNITS.mkdir(parents=True, exist_ok=True)
    kinds = sorted(SPELLINGS)
    texts = [(t, kind) for t in UNIT_STRINGS for kind in kinds[:1]]
    texts += [(f"2.5 {spelling}", kind) for kind in kinds for spelling in SPELLINGS[kind]]
    for text, kind in texts:
        if text.isascii():
            data = b"\x01" + text.encode("ascii")
        else:
            data = b"\x02" + text.encode("utf-16-le")
        write(UNITS, data + bytes([kinds.index(kind)]))


if __name__ == "__main__":
    loader_seeds()
    units_seeds()
