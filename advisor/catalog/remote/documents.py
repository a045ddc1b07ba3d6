"""Single JSON documents from the network (a model's config.json and safetensors index) through
the remote-catalog machinery: the same URL policy, size cap and deadline (`fetch`), the same
per-URL cache (`cache`), an optional sha256 pin and `--offline`.

A document is fetched whenever the network is allowed (they are small and read once per
import); when the fetch fails, the cached copy is used with a warning. Must not import httpx
except through `advisor.catalog.remote.fetch`, lazily.
"""

from __future__ import annotations

import sys

from advisor.catalog.remote import cache
from advisor.catalog.remote.cache import RemoteError
from advisor.errors import EXIT_BAD_CATALOG, EXIT_BAD_INPUT, AdvisorError


def fetch_document(url: str, *, max_bytes: int, pin: str = "", offline: bool = False,
                   optional: bool = False) -> bytes | None:
    """The body of `url`; None only for an `optional` document the server does not have.

    AdvisorError (exit 2 for a refused URL or pin mismatch, 3 when nothing usable came back).
    """
    copy = _cached(url, max_bytes, pin)
    if offline:
        if copy is not None or optional:
            return copy
        raise AdvisorError(f"{url}: --offline and no cached copy; run once with the network",
                           exit_code=EXIT_BAD_CATALOG)
    try:
        body = _download(url, max_bytes, pin)
    except RemoteError as exc:
        if optional and "answered 404" in str(exc):
            return None
        if copy is not None and "sha256" not in str(exc):
            print(f"advisor: warning: {url}: {exc}; using the cached copy", file=sys.stderr)
            return copy
        code = EXIT_BAD_INPUT if "sha256" in str(exc) or "refused" in str(exc) else EXIT_BAD_CATALOG
        raise AdvisorError(f"{url}: {exc}", exit_code=code) from None
    return body


def _cached(url: str, max_bytes: int, pin: str) -> bytes | None:
    if cache.unsafe_reason(url):
        return None
    try:
        copy = cache.read(url, max_bytes)
    except cache.CacheCorrupt:
        return None
    if copy is None or (pin and copy.meta.sha256 != pin):
        return None
    return copy.body


def _download(url: str, max_bytes: int, pin: str) -> bytes:
    from advisor.catalog.remote import fetch as remote  # httpx: only now that a request is due
    from advisor.catalog.remote.sync import looks_like_html

    fetched = remote.fetch(url, policy=remote.FetchPolicy(max_bytes=max_bytes))
    if looks_like_html(fetched.body):
        raise RemoteError("server sent an HTML page, not a JSON file")
    digest = cache.sha256_hex(fetched.body)
    if pin and digest != pin:
        raise RemoteError(f"sha256 mismatch: pinned {pin}, got {digest}")
    if not cache.unsafe_reason(url):
        try:
            cache.store(url, fetched.body, final_url=fetched.final_url, etag=fetched.etag,
                        last_modified=fetched.last_modified, content_type=fetched.content_type)
        except (OSError, cache.CacheCorrupt) as exc:
            print(f"advisor: warning: cannot cache {url}: {exc}", file=sys.stderr)
    return fetched.body
