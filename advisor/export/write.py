"""Safe writes of a rendered document: to stdout for `-o -`, else atomically to a file.

The caller renders first; this encodes the whole text before touching the disk, writes it to a
temporary file in the target's directory (same filesystem, so the rename is atomic), flushes
it to disk and then moves it into place. Without `force` an existing file is never replaced:
the move is a hard link that fails if the name exists (no check-then-write race), with a
checked `os.replace` only where the filesystem has no hard links. Any failure removes the
temporary file and leaves the old file as it was; a user-caused failure (folder missing or
read-only, target is a folder, file exists) is one line, exit 2.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TextIO

from advisor.errors import EXIT_BAD_INPUT, AdvisorError

STDOUT = "-"
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


def write_document(path: str | None, text: str, *, force: bool, stdout: TextIO | None = None) -> None:
    """`text` to stdout (path None or '-') or atomically to `path`."""
    if path is None or path == STDOUT:
        (stdout or sys.stdout).write(text)
        return
    write_atomic(Path(path), text, force=force)


def write_atomic(target: Path, text: str, *, force: bool) -> None:
    """Write `text` (UTF-8) to `target` atomically; AdvisorError (exit 2) on any failure."""
    data = text.encode("utf-8", errors="replace")  # the whole document exists before any file does
    if target.is_dir():
        raise _error(target, "is a directory")
    if target.exists() and not force:
        raise _error(target, "already exists (use --force to overwrite)")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise _error(target, f"cannot write: no such directory {directory}")
    try:
        import tempfile  # only when a file is written

        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _error(target, f"cannot write: {exc.strerror or exc}") from None
    try:
        _fill(handle, data, _mode_for(target))
        _move(temp, target, force=force)
    except OSError as exc:
        raise _error(target, f"cannot write: {exc.strerror or exc}") from None
    finally:
        _remove(temp)  # gone already after a replace; after a link or a failure it is ours to delete


def _fill(handle: int, data: bytes, mode: int) -> None:
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
        os.fchmod(stream.fileno(), mode)  # mkstemp makes 0600; a document is as readable as any file


def _move(temp: str, target: Path, *, force: bool) -> None:
    if force:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if `target` appeared meanwhile: never clobbers
    except FileExistsError:
        raise _error(target, "already exists (use --force to overwrite)") from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if target.exists():
            raise _error(target, "already exists (use --force to overwrite)") from None
        os.replace(temp, target)


def _mode_for(target: Path) -> int:
    """The existing file's permissions, else 0666 less the process umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Read, not set-and-restore: os.umask() would race with other threads (the TUI exports from one).
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _error(target: Path, message: str) -> AdvisorError:
    return AdvisorError(f"{target}: {message}", exit_code=EXIT_BAD_INPUT)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # best effort: the error that brought us here is the one to report
