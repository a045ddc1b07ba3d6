"""atheris target: `advisor.catalog.loaders.load_catalog_bytes` on arbitrary bytes.

Asserts `fuzz/targets.py::check_catalog_bytes`: the loader never raises; its problems, raised
as the CLI raises them, are one `AdvisorError` (exit 2) of printable lines naming the file.
Any other exception or a failed assertion is a finding: libFuzzer stops and writes the input
to `crash-*`; `-timeout` makes a slow input (a hang) one too. Not a test (atheris is not a
project dependency); see fuzz/README.md for the commands and the runs made.
Must not be imported by the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["advisor", "tomllib"]):
    from targets import check_catalog_bytes


def main() -> None:
    atheris.Setup(sys.argv, check_catalog_bytes)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
