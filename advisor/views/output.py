"""Write rendered text to a file atomically, or to stdout for `-o -`.

Kept for callers of `advisor quote -o`'s path (the TUI export dialog); the work is done by
`advisor.export.write`: the text is complete before the target is touched, goes to a temporary
file in the target's directory and replaces the target in one move; an existing file is
replaced only with `force`; a failed write leaves the old file and no temporary file.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from pathlib import Path

from advisor.export.write import write_atomic as _write_atomic
from advisor.export.write import write_document


def write_output(path: str | None, text: str, *, force: bool) -> None:
    """`text` to stdout (path None or '-') or atomically to `path`."""
    write_document(path, text, force=force)


def write_atomic(target: Path, text: str, *, force: bool) -> None:
    """`text` to `target` atomically (see `advisor.export.write.write_atomic`)."""
    _write_atomic(target, text, force=force)
