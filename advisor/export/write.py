"""Safe writes of a rendered document: to stdout for `-o -`, else atomically to a file.

The caller renders first; this encodes the whole text before touching the disk and hands it to
`advisor.files.write_atomic` (temporary file, fsync, rename; an existing file is replaced only
with `force`, and a symlink or other non-regular target is refused). Any failure leaves the old
file as it was; a user-caused failure (folder missing or read-only, target is a folder or not a
regular file, file exists) is one line, exit 2.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.files import NotRegularFileError
from advisor.files import write_atomic as _write_file

STDOUT = "-"


def write_document(path: str | None, text: str, *, force: bool, stdout: TextIO | None = None) -> None:
    """`text` to stdout (path None or '-') or atomically to `path`."""
    if path is None or path == STDOUT:
        (stdout or sys.stdout).write(text)
        return
    write_atomic(Path(path), text, force=force)


def write_atomic(target: Path, text: str, *, force: bool) -> None:
    """Write `text` (UTF-8) to `target` atomically; AdvisorError (exit 2) on any failure."""
    data = text.encode("utf-8", errors="replace")  # the whole document exists before any file does
    try:
        _write_file(target, data, overwrite=force)
    except FileExistsError:
        raise _error(target, "already exists (use --force to overwrite)") from None
    except (IsADirectoryError, NotRegularFileError) as exc:
        raise _error(target, exc.strerror or str(exc)) from None
    except OSError as exc:
        raise _error(target, f"cannot write: {exc.strerror or exc}") from None


def _error(target: Path, message: str) -> AdvisorError:
    return AdvisorError(f"{target}: {message}", exit_code=EXIT_BAD_INPUT)
