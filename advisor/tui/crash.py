"""What the terminal gets when the app crashes: one line on stderr and exit code 70.

The traceback goes to a private log file in the user cache folder (created exclusively, mode
0600, so nothing planted there is followed or overwritten); the one line names it. Must not
import textual.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

from advisor.errors import EXIT_INTERNAL
from advisor.export.terminal import safe_text

MESSAGE_CHARS = 200


def write_log(error: BaseException) -> str | None:
    """The traceback in a new file; its path, or None when it could not be written."""
    from advisor.catalog.paths import user_cache_dir

    try:
        folder = user_cache_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix="crash-", suffix=".log", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write("".join(traceback.format_exception(error)))
    except (OSError, ValueError):
        return None
    return path


def report(error: BaseException) -> int:
    """Say on stderr, in one line, that advisor crashed (and where the traceback is); the exit code."""
    message = safe_text(error)
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + "…"
    path = write_log(error)
    where = f" (traceback in {safe_text(path)})" if path else ""
    print(f"advisor: internal error: {type(error).__name__}: {message}{where}", file=sys.stderr)
    return EXIT_INTERNAL
