"""Where a feed file comes from: a local path or an https URL, with its cloud, citation and date.

A local file is read bounded through `advisor.files.read_input`; its date is the one stated
(`as_of`) or else its modification date. A URL goes through the remote-catalog machinery
(`advisor.catalog.remote`): the cached copy is revalidated with its validators, a pinned SHA-256
is enforced, and when the network fails (or `offline`) the cached copy is used with a warning;
its date is the day it was fetched. The cloud is the feed's folder name (`…/v8/aws/vms.csv`)
unless stated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from advisor.catalog.feeds.skypilot import MAX_FEED_BYTES, FeedSource
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

_CLOUD = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_GITHUB_RAW = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+/[^/]+)/([^/]+)/(.+)$")


@dataclass(frozen=True, slots=True)
class FeedFile:
    """A feed's bytes, where they came from, and a warning when a cached copy stood in."""

    data: bytes
    where: FeedSource
    warning: str = ""


def is_url(target: str) -> bool:
    return target.startswith(("https://", "http://"))


def cloud_of(target: str, stated: str = "") -> str:
    """The cloud a feed lists: stated, or the folder that holds `vms.csv` (a local file that is
    not there is said first: its folder says nothing then)."""
    if not is_url(target) and not Path(target).exists():
        raise AdvisorError(f"{target}: cannot read: No such file or directory", exit_code=EXIT_BAD_INPUT)
    cloud = stated or (target.rstrip("/").split("/")[-2] if "/" in target.rstrip("/") else "")
    cloud = cloud.strip().lower()
    if not _CLOUD.match(cloud):
        raise AdvisorError(f"{target}: cannot tell which cloud this feed lists; give --cloud NAME "
                           "(the SkyPilot folder name: aws, gcp, lambda, runpod …)", exit_code=EXIT_BAD_INPUT)
    return cloud


def read_feed(target: str, *, cloud: str = "", as_of: str = "", source: str = "",
              offline: bool = False, pin: str = "") -> FeedFile:
    """The feed at a path or URL, ready for `import_feed`."""
    if is_url(target):
        return _from_url(target, cloud_of(target, cloud), source, offline, pin)
    return _from_path(Path(target), cloud_of(str(Path(target)), cloud), as_of, source)


def _from_path(path: Path, cloud: str, as_of: str, source: str) -> FeedFile:
    from advisor.files import read_input

    data = read_input(path, max_bytes=MAX_FEED_BYTES, what="a SkyPilot vms.csv file")
    date = as_of or dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC).date().isoformat()
    cited = source or f"SkyPilot catalog vms.csv ({path.name}, {date})"
    return FeedFile(data, FeedSource(cloud, str(path), cited, date))


def _from_url(url: str, cloud: str, source: str, offline: bool, pin: str) -> FeedFile:
    from advisor.catalog.remote import cache

    try:
        copy = cache.read(url, MAX_FEED_BYTES)
    except cache.CacheCorrupt as exc:
        copy, warning = None, f"cached copy unusable ({exc}); fetching again"
    else:
        warning = ""
    if offline:
        if copy is None:
            raise AdvisorError(f"{url}: no cached copy, and --offline forbids the network", exit_code=EXIT_BAD_INPUT)
        return _checked(url, copy.body, copy.meta.fetched_at, cloud, source, pin, "offline: used the cached copy")
    try:
        body, fetched_at = _download(url, copy)
    except cache.RemoteError as exc:
        if copy is None:
            raise AdvisorError(f"{url}: {exc}", exit_code=EXIT_BAD_INPUT) from None
        return _checked(url, copy.body, copy.meta.fetched_at, cloud, source, pin,
                        f"{exc}; used the copy fetched {copy.meta.fetched_at[:10]}")
    return _checked(url, body, fetched_at, cloud, source, pin, warning)


def _download(url: str, copy: object) -> tuple[bytes, str]:
    """A fresh body (stored in the cache) or the cached one confirmed by a 304."""
    from advisor.catalog.remote import cache
    from advisor.catalog.remote import fetch as remote

    meta = getattr(copy, "meta", None)
    fetched = remote.fetch(url, etag=meta.etag if meta else "", last_modified=meta.last_modified if meta else "",
                           policy=remote.FetchPolicy(max_bytes=MAX_FEED_BYTES))
    if fetched.not_modified and copy is not None:
        cache.touch(meta)  # type: ignore[arg-type]
        return copy.body, meta.fetched_at  # type: ignore[attr-defined, union-attr]
    stored = cache.store(url, fetched.body, final_url=fetched.final_url, etag=fetched.etag,
                         last_modified=fetched.last_modified, content_type=fetched.content_type)
    return fetched.body, stored.fetched_at


def _checked(url: str, body: bytes, fetched_at: str, cloud: str, source: str, pin: str,
             warning: str) -> FeedFile:
    from advisor.catalog.remote.cache import sha256_hex

    if pin and sha256_hex(body) != pin:
        raise AdvisorError(f"{url}: SHA-256 {sha256_hex(body)} is not the pinned {pin}", exit_code=EXIT_BAD_INPUT)
    return FeedFile(body, FeedSource(cloud, url, source or citation(url), fetched_at[:10]), warning)


def citation(url: str) -> str:
    """A raw GitHub URL as the page a reader opens (github.com/<repo>/blob/<ref>/<path>)."""
    found = _GITHUB_RAW.match(url)
    return f"github.com/{found[1]}/blob/{found[2]}/{found[3]}" if found else url
