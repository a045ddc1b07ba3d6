"""The calibration set as cases: rows in the calibration schema resolved against the World.

The shipped set is `profiles/benchmarks.csv` (the TensorRT-LLM tables) plus every file in
`profiles/measurements/` except `collectives.csv` (all-reduce timings, a different schema):
vLLM, SGLang, AMD and Blackwell/PCIe rows collected with source, date, engine version and an
`assumed` column. Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

from advisor.calibration.fit import Case
from advisor.catalog.world import World
from advisor.core.scoring import parse_row
from advisor.errors import AdvisorError

NOT_ROWS = ("collectives.csv",)


def shipped_texts() -> list[tuple[str, str]]:
    """(name, CSV text) of every shipped measurement file."""
    root = resources.files("advisor.profiles")
    out = [("benchmarks.csv", (root / "benchmarks.csv").read_text(encoding="utf-8"))]
    folder = root / "measurements"
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".csv") and item.name not in NOT_ROWS:
            out.append((f"measurements/{item.name}", item.read_text(encoding="utf-8")))
    return out


def load_cases(world: World, texts: list[tuple[str, str]]) -> tuple[list[Case], list[str]]:
    """Cases from calibration-schema CSV texts, and one warning per row that was skipped."""
    cases: list[Case] = []
    warnings: list[str] = []
    for name, text in texts:
        reader = csv.DictReader(io.StringIO(text))
        try:
            records = list(reader)
        except csv.Error as err:
            raise AdvisorError(f"{name}:{reader.line_num}: unreadable CSV ({err})") from None
        for line, record in enumerate(records, 2):
            try:
                row = parse_row(record)
                cases.append(Case(row, world.model(row.model), world.accelerator(row.gpu)))
            except (ValueError, KeyError, TypeError) as err:
                warnings.append(f"{name}:{line}: skipped: {err}")
            except AdvisorError as err:
                warnings.append(f"{name}:{line}: skipped: {err.message}")
    return cases, warnings
