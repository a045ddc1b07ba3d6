"""Remote catalogs as the rest of the tool sees them: refresh when due, validate, fall back.

For each configured `[[remote]]` entry this decides between the cached copy and the network,
checks what came back exactly as a local catalog file is checked (`advisor.catalog.loaders`), honours
the sha256 pin, and, when the network or the content fails, keeps using the last good copy with
a warning saying how old it is. A cache folder that is not the user's alone is neither read nor
written: the catalog is fetched every time, with one warning per run saying why.
`advisor.catalog.remote.fetch` (httpx) is imported only when a fetch is actually due, so a run
with a fresh cache never loads httpx.
Must not import httpx (except through `advisor.catalog.remote.fetch`, lazily), textual or rich.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from advisor.catalog.loaders import LoadedFile, load_catalog_bytes
from advisor.catalog.remote import cache as cache
from advisor.catalog.remote.cache import CachedCopy, CacheMeta, RemoteError
from advisor.errors import EXIT_BAD_CATALOG, AdvisorError

if TYPE_CHECKING:
    from advisor.catalog.remote.fetch import DownloadProgress, Fetched, FetchPolicy

# What a result's `status` means:
FRESH = "fresh"  # cached copy younger than the refresh interval; no request made
UPDATED = "updated"  # downloaded a new body
NOT_MODIFIED = "not-modified"  # server answered 304; cached copy confirmed
STALE = "stale"  # refresh failed; the last good copy is used (see `warning`)
OFFLINE = "offline"  # --offline: cached copy used without asking the network
SKIPPED = "skipped"  # --offline and no usable cached copy: catalog left out

_warned_unsafe: set[str] = set()  # reasons already reported by this process: warn once


@dataclass(frozen=True, slots=True)
class RemoteSpec:
    """One configured remote catalog."""

    url: str
    sha256: str = ""  # pin: 64 lower-case hex digits, or "" for none
    refresh_s: float = cache.DEFAULT_REFRESH_S
    configured_in: str = ""  # "advisor.toml:12", for messages


@dataclass(frozen=True, slots=True)
class RemoteResult:
    """What happened to one remote catalog, and the validated file when one is usable."""

    spec: RemoteSpec
    status: str
    meta: CacheMeta | None = None
    loaded: LoadedFile | None = None  # path = URL, sha256 = of the body
    warning: str = ""


def looks_like_html(body: bytes) -> bool:
    """A body whose first non-blank character is '<' is markup; TOML never starts that way."""
    return body[:1024].lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"<")


def validate_body(url: str, body: bytes, pin: str = "") -> LoadedFile:
    """The body as a validated catalog file, or RemoteError saying why it is refused."""
    if looks_like_html(body):
        raise RemoteError("server sent an HTML page, not a TOML catalog")
    digest = cache.sha256_hex(body)
    if pin and digest != pin:
        raise RemoteError(
            f"sha256 mismatch: pinned {pin}, got {digest}; "
            "if the catalog changed on purpose, update the pin"
        )
    loaded = load_catalog_bytes(body, url)
    if loaded.problems:
        shown = "; ".join(p.render() for p in loaded.problems[:3])
        more = f" (and {len(loaded.problems) - 3} more)" if len(loaded.problems) > 3 else ""
        raise RemoteError(f"not a valid catalog: {shown}{more}")
    return loaded


def sync(
    spec: RemoteSpec,
    *,
    offline: bool = False,
    force: bool = False,
    policy: FetchPolicy | None = None,
    progress: DownloadProgress | None = None,
    now: dt.datetime | None = None,
) -> RemoteResult:
    """Bring one remote catalog up to date as far as allowed, and load it.

    Raises AdvisorError (exit 3) only when there is no usable copy at all and the network
    was allowed: the message names the URL and says how to run without it.
    """
    unsafe = cache.unsafe_reason(spec.url)
    if unsafe:
        copy, loaded, cache_note = None, None, f"cache not used: {unsafe}"
    else:
        copy, loaded, cache_note = _usable_cache(spec)
    if offline:
        if copy is None:
            note = f" ({cache_note})" if cache_note else ""
            warning = f"remote catalog {spec.url} skipped: --offline and no usable cached copy{note}"
            return RemoteResult(spec, SKIPPED, warning=warning)
        return RemoteResult(spec, OFFLINE, copy.meta, loaded, _offline_note(spec, copy, now))
    if copy is not None and not force and copy.meta.checked_age_s(now) < spec.refresh_s:
        return RemoteResult(spec, FRESH, copy.meta, loaded)
    try:
        result = _refresh(spec, copy, loaded, policy, progress, now, keep=not unsafe)
    except RemoteError as exc:
        return _fall_back(spec, copy, loaded, str(exc), now)
    if unsafe and unsafe not in _warned_unsafe:
        _warned_unsafe.add(unsafe)
        return replace(result, warning=f"remote catalog {cache_note}")
    return result


def sync_all(
    specs: Iterable[RemoteSpec], *, offline: bool = False, force: bool = False,
    policy: FetchPolicy | None = None,
) -> list[RemoteResult]:
    """`sync` for every entry, in order."""
    return [sync(spec, offline=offline, force=force, policy=policy) for spec in specs]


def _offline_note(spec: RemoteSpec, copy: CachedCopy, now: dt.datetime | None) -> str:
    """A warning when the copy used offline is older than its refresh interval."""
    age_s = copy.meta.checked_age_s(now)
    if age_s < spec.refresh_s:
        return ""
    return (f"remote catalog {spec.url}: offline, using the cached copy last confirmed "
            f"{cache.format_age(age_s)} ago ({copy.meta.checked_at})")


def _usable_cache(spec: RemoteSpec) -> tuple[CachedCopy | None, LoadedFile | None, str]:
    """The cached copy when it is intact, matches the pin and still validates; else why not."""
    try:
        copy = cache.read(spec.url)
    except cache.CacheCorrupt as exc:
        return None, None, f"cached copy unusable: {exc}"
    if copy is None:
        return None, None, ""
    if spec.sha256 and copy.meta.sha256 != spec.sha256:
        return None, None, "cached copy does not match the sha256 pin"
    try:
        loaded = validate_body(spec.url, copy.body, spec.sha256)
    except RemoteError as exc:  # e.g. written by an older version with another schema
        return None, None, f"cached copy no longer valid: {exc}"
    return copy, loaded, ""


def _refresh(
    spec: RemoteSpec, copy: CachedCopy | None, loaded: LoadedFile | None,
    policy: FetchPolicy | None, progress: DownloadProgress | None, now: dt.datetime | None,
    *, keep: bool = True,
) -> RemoteResult:
    """Ask the server; `keep`: store what came back (False when the cache is unsafe)."""
    from advisor.catalog.remote import fetch as remote  # httpx: only now that a request is due

    etag = copy.meta.etag if copy else ""
    last_modified = copy.meta.last_modified if copy else ""
    fetched = remote.fetch(
        spec.url, etag=etag, last_modified=last_modified,
        policy=policy or remote.DEFAULT_POLICY, progress=progress,
    )
    if fetched.not_modified:
        if copy is None or loaded is None:
            raise RemoteError("server answered 304 Not Modified to an unconditional request")
        meta = _touch(copy.meta, fetched.etag, fetched.last_modified, now)
        return RemoteResult(spec, NOT_MODIFIED, meta, loaded)
    fresh = validate_body(spec.url, fetched.body, spec.sha256)
    meta = _store(spec.url, fetched, now) if keep else cache.describe(
        spec.url, fetched.body, final_url=fetched.final_url, etag=fetched.etag,
        last_modified=fetched.last_modified, content_type=fetched.content_type, now=now,
    )
    return RemoteResult(spec, UPDATED, meta, fresh)


def _touch(meta: CacheMeta, etag: str, last_modified: str, now: dt.datetime | None) -> CacheMeta:
    try:
        return cache.touch(meta, etag=etag, last_modified=last_modified, now=now)
    except (OSError, cache.CacheCorrupt) as exc:
        raise RemoteError(f"cannot update the cache: {exc}") from None


def _store(url: str, fetched: Fetched, now: dt.datetime | None) -> CacheMeta:
    try:
        return cache.store(
            url, fetched.body, final_url=fetched.final_url, etag=fetched.etag,
            last_modified=fetched.last_modified, content_type=fetched.content_type, now=now,
        )
    except OSError as exc:
        raise RemoteError(f"cannot write the cache under {cache.cache_root()}: {exc}") from None


def _fall_back(
    spec: RemoteSpec, copy: CachedCopy | None, loaded: LoadedFile | None, reason: str,
    now: dt.datetime | None,
) -> RemoteResult:
    if copy is None or loaded is None:
        where = f" (listed in {spec.configured_in})" if spec.configured_in else ""
        raise AdvisorError(
            f"remote catalog {spec.url}{where}: {reason}; no cached copy to fall back on. "
            "Check the URL and the network, or run with --offline to skip remote catalogs",
            exit_code=EXIT_BAD_CATALOG,
        )
    age = cache.format_age(copy.meta.checked_age_s(now))
    warning = (
        f"could not refresh remote catalog {spec.url}: {reason}; "
        f"using the cached copy last confirmed {age} ago ({copy.meta.checked_at})"
    )
    return RemoteResult(spec, STALE, copy.meta, loaded, warning)
