"""Atomic file writes: the one writer behind every file advisor produces (documents, team
config edits, calibration entries, the remote-catalog cache).

The whole content is written to a temporary file in the target's directory (same filesystem,
so the rename is atomic), flushed to disk and then moved into place; the directory is synced
so the move survives a crash. The target is inspected with `lstat`, never followed: an
existing target that is not a regular file (a symlink, folder, pipe or device) is refused, and
the rename replaces a directory entry rather than writing through one. Without `overwrite` an
existing file is never replaced: the move is a hard link that fails if the name exists (no
check-then-write race), with a checked `os.replace` only where the filesystem has no hard
links. Any failure removes the temporary file and leaves the old file as it was.

Errors are `OSError`s with a short `strerror`, for the caller to turn into its own message.
A leaf module: imports only the standard library, so `catalog/` and `export/` may both use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


class NotRegularFileError(OSError):
    """The target exists and is a symlink, pipe, device or socket: it is never written."""


def write_atomic(target: Path, data: bytes, *, overwrite: bool, mode: int | None = None,
                 temp_prefix: str | None = None) -> None:
    """Put `data` at `target` atomically.

    `mode`: the new file's permissions; None keeps an existing file's, else 0666 less the
    umask. Raises IsADirectoryError, NotRegularFileError, FileExistsError (only without
    `overwrite`), FileNotFoundError (no such directory) or the OSError of the failed step.
    """
    existing = _regular_or_absent(target)
    if existing is not None and not overwrite:
        raise FileExistsError(errno.EEXIST, "already exists")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such directory {directory}")
    if mode is None:
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
    import tempfile  # only when a file is written

    handle, temp = tempfile.mkstemp(prefix=temp_prefix or f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        _fill(handle, data, mode)
        _move(temp, target, overwrite=overwrite)
    finally:
        _remove(temp)  # gone already after a replace; after a link or a failure it is ours to delete
    _fsync_dir(directory)


def _regular_or_absent(target: Path) -> os.stat_result | None:
    """The target's own status (a symlink is not followed), None if absent; raises if not regular."""
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory")
    if not stat.S_ISREG(status.st_mode):
        kind = "a symlink" if stat.S_ISLNK(status.st_mode) else "a pipe or device?"
        raise NotRegularFileError(errno.EINVAL, f"is not a regular file ({kind})")
    return status


def _fill(handle: int, data: bytes, mode: int) -> None:
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
        os.fchmod(stream.fileno(), mode)  # mkstemp makes 0600


def _move(temp: str, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if `target` appeared meanwhile: never clobbers
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "already exists") from None
        os.replace(temp, target)


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


def _fsync_dir(folder: Path) -> None:
    # Makes the rename durable on POSIX; directories cannot be opened this way on Windows.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except (OSError, AttributeError):
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # best effort: the error that brought us here is the one to report
        os.unlink(path)
