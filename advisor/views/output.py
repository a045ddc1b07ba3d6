"""Write rendered text to a file atomically, or to stdout for `-o -`.

The text is complete before the target is touched; it goes to a temporary file in the target's
directory, is flushed to disk, then replaces the target in one `os.replace`. An existing file
is replaced only with `force`; a failed write leaves the old file and no temporary file.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from advisor.errors import EXIT_BAD_INPUT, AdvisorError


def write_output(path: str | None, text: str, *, force: bool) -> None:
    """`text` to stdout (path None or '-') or atomically to `path`."""
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    write_atomic(Path(path), text, force=force)


def write_atomic(target: Path, text: str, *, force: bool) -> None:
    if target.is_dir():
        raise AdvisorError(f"{target}: is a directory", exit_code=EXIT_BAD_INPUT)
    if target.exists() and not force:
        raise AdvisorError(f"{target}: already exists (use --force to overwrite)", exit_code=EXIT_BAD_INPUT)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise AdvisorError(f"{target}: cannot write: {exc.strerror or exc}", exit_code=EXIT_BAD_INPUT) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except OSError as exc:
        _remove(temp)
        raise AdvisorError(f"{target}: cannot write: {exc.strerror or exc}", exit_code=EXIT_BAD_INPUT) from None
    except BaseException:
        _remove(temp)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
