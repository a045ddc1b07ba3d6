"""Reading a file of request lengths (`--isl lengths.txt`): one whole number of tokens per line.

Blank lines and `#` comments are skipped; a CSV line keeps its first cell. Bounded: at most
4 MiB and 1,000,000 lengths, each a whole number of 1 to 100,000,000 tokens, digits only. The
first bad line is the one error (file:line: what is wrong).
"""

from __future__ import annotations

from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.files import read_input

MAX_LENGTHS_BYTES = 4 * 1024 * 1024
MAX_LENGTHS = 1_000_000
MAX_TOKENS = 100_000_000


def read_lengths(path: str, flag: str) -> tuple[int, ...]:
    """The lengths in `path`, in file order; AdvisorError (exit 2) naming the flag and line."""
    data = read_input(path, max_bytes=MAX_LENGTHS_BYTES, what="a file of token lengths")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad(flag, path, None, "is not UTF-8 text") from None
    lengths: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.split("#", 1)[0].split(",", 1)[0].strip()
        if not cell:
            continue
        if not cell.isdigit() or len(cell) > 9 or not 1 <= int(cell) <= MAX_TOKENS:
            raise _bad(flag, path, number, f"{cell[:40]!r} is not a whole number of tokens (1 to {MAX_TOKENS:,})")
        lengths.append(int(cell))
        if len(lengths) > MAX_LENGTHS:
            raise _bad(flag, path, number, f"more than {MAX_LENGTHS:,} lengths")
    if not lengths:
        raise _bad(flag, path, None, "holds no lengths (one whole number of tokens per line)")
    return tuple(lengths)


def _bad(flag: str, path: str, line: int | None, what: str) -> AdvisorError:
    where = f"{path}:{line}" if line is not None else path
    return AdvisorError(f"{flag} {where}: {what}", exit_code=EXIT_BAD_INPUT)
