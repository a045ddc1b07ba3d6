"""Remote catalogs: `fetch` (HTTPS with a URL policy and size cap), `cache` (the on-disk copies
and refresh intervals) and `sync` (refresh when due, validate, fall back to the cache)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# How a slow download shows progress: the CLI sets a terminal progress bar here, since this
# layer must not draw (no rich); None or a factory returning None means no display.
progress_factory: Callable[[str, float], Any] | None = None
