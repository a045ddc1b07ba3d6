"""The one reader of user-supplied inputs and the one writer of every file advisor produces.

Reading (`read_input`, `open_input`): a path or `-` for stdin. A path is opened without
blocking and checked with `fstat` before a byte is read, so a FIFO or a device where a file is
expected is refused instead of hanging or never ending; stdin is read in chunks up to a byte
cap. Every failure (missing, a folder, permissions, a symlink loop, an over-long name, a NUL
byte in the path, too large) is an `InputError`: one line, exit 2. `loads_json` parses JSON
text with the integer-digit and nesting limits every JSON input shares.

Writing (`write_atomic`): documents, team config edits, calibration entries, the
remote-catalog cache.

The whole content is written to a temporary file in the target's directory (same filesystem,
so the rename is atomic), flushed to disk and then moved into place; the directory is synced
so the move survives a crash. The target is inspected with `lstat`, never followed: an
existing target that is not a regular file (a symlink, folder, pipe or device) is refused, and
the rename replaces a directory entry rather than writing through one. Without `overwrite` an
existing file is never replaced: the move is a hard link that fails if the name exists (no
check-then-write race), with a checked `os.replace` only where the filesystem has no hard
links. Any failure removes the temporary file and leaves the old file as it was.

A temporary file left behind by a killed run (`.advisor-*.tmp`, older than STALE_TEMP_S) is
removed from the target's folder on the next write there.

Write errors are `OSError`s with a short `strerror`, for the caller to turn into its own
message. A leaf module: imports only the standard library and `advisor.errors`, so every layer
may use it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

from advisor.errors import EXIT_BAD_INPUT, AdvisorError

STDIN = "-"
CHUNK_BYTES = 1 << 20
MAX_JSON_DEPTH = 64  # results and quotes nest 5 deep; far below the parser's recursion limit
MAX_INT_DIGITS = 100  # any count or token number fits; Python's own limit (4300) is a ValueError
TEMP_PREFIX = ".advisor-"
STALE_TEMP_S = 15 * 60  # a write takes seconds: a temporary file this old was left by a killed run
# A FIFO opened for reading without O_NONBLOCK waits for a writer; with it, the open returns
# and fstat tells what the file is before anything blocks.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)

_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


# -- reading ---------------------------------------------------------------------------------

class InputError(AdvisorError):
    """A user-supplied input that cannot be read, as one line `name: reason` (exit 2).

    `reason` and `os_error` (the system's words, when the system refused) let a caller that
    reports problems its own way (the TOML reader) word them.
    """

    def __init__(self, name: str, reason: str, os_error: str | None = None) -> None:
        super().__init__(f"{name}: {reason}", exit_code=EXIT_BAD_INPUT)
        self.reason = reason
        self.os_error = os_error


def read_input(path: str | Path, *, max_bytes: int, what: str = "a file",
               follow_symlinks: bool = True) -> bytes:
    """Every byte of `path` ('-' = stdin), refused beyond `max_bytes`; InputError otherwise.

    `what` names the file expected, for the message when a folder is given; without
    `follow_symlinks` a symlink at `path` is refused (files advisor wrote itself).
    """
    if str(path) == STDIN:
        return _read_capped(sys.stdin.buffer, max_bytes, "stdin")
    name = str(path)
    with open_input(path, what=what, follow_symlinks=follow_symlinks) as stream:
        if os.fstat(stream.fileno()).st_size > max_bytes:
            raise InputError(name, f"larger than {size_text(max_bytes)}")
        return _read_capped(stream, max_bytes, name)


def open_input(path: str | Path, *, what: str = "a file", follow_symlinks: bool = True) -> BinaryIO:
    """`path` opened for binary reading, only if it is a regular file; InputError otherwise."""
    name = str(path)
    flags = _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:  # os.open refuses an embedded NUL before asking the system
        raise InputError(name, "path contains a NUL byte") from None
    except OSError as exc:
        strerror = exc.strerror or str(exc)
        raise InputError(name, f"cannot read: {strerror}", strerror) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(name, f"is a folder, expected {what}")
        if not stat.S_ISREG(mode):
            raise InputError(name, "is not a regular file (a pipe or device?)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_capped(stream: BinaryIO, max_bytes: int, name: str) -> bytes:
    """Chunks up to `max_bytes` + 1: an endless stream (/dev/zero on stdin) stops at the cap."""
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= max_bytes:
            chunk = stream.read(min(CHUNK_BYTES, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        strerror = exc.strerror or str(exc)
        raise InputError(name, f"cannot read: {strerror}", strerror) from None
    if total > max_bytes:
        raise InputError(name, f"larger than {size_text(max_bytes)}")
    return b"".join(chunks)


def size_text(size: int) -> str:
    """`64 MiB` for whole mebibytes, else the byte count."""
    return f"{size // 2**20} MiB" if size >= 2**20 and size % 2**20 == 0 else f"{size} bytes"


class _NumberTooLong(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def loads_json(text: str, name: str, **hooks: Any) -> Any:
    """`json.loads` with the limits every JSON input shares: integers of at most MAX_INT_DIGITS
    digits and nesting at most MAX_JSON_DEPTH deep, else InputError. JSONDecodeError passes
    through for the caller to place; `hooks` go to json.loads (a ValueError a hook raises
    becomes `not valid JSON: …`)."""
    try:
        value = json.loads(text, parse_int=_bounded_int, **hooks)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise InputError(name, f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _NumberTooLong as exc:
        raise InputError(name, str(exc)) from None
    except ValueError as exc:
        raise InputError(name, f"not valid JSON: {exc}") from None
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise InputError(name, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# -- writing ---------------------------------------------------------------------------------


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

    prefix = temp_prefix or TEMP_PREFIX
    _sweep_stale_temps(directory, prefix)
    handle, temp = tempfile.mkstemp(prefix=prefix if temp_prefix else f"{prefix}{target.name}.", suffix=".tmp",
                                    dir=directory)
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


def _sweep_stale_temps(directory: Path, prefix: str) -> None:
    """Remove our own temporary files a killed run left (regular, ours, older than STALE_TEMP_S)."""
    cutoff = time.time() - STALE_TEMP_S
    uid = os.getuid() if hasattr(os, "getuid") else None
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            status = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(status.st_mode) and status.st_mtime < cutoff and uid in (None, status.st_uid):
                _remove(entry.path)


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
