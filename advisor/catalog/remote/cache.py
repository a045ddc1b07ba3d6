"""On-disk cache of fetched remote catalogs, plus refresh intervals and ages as text.

Layout, one folder per URL: `<user cache dir>/remote/<sha256 of the URL>/` holding
`meta.json` and the body stored under its own hash, `<sha256 of body>.toml`.
Body and metadata change together atomically: the body is written first (temp file, fsync,
`os.replace` onto its content-hash name), then `meta.json` — which names the body — is
replaced the same way. A reader therefore sees the old pair or the new pair, never a mix; a
crash in between leaves only an unreferenced body, removed by the next write. Writers of one
URL serialise on a lock file (POSIX `flock`; elsewhere last writer wins, still consistent).

Trusted only when safe: every folder from the user cache dir down must be a directory owned by
the user and not writable by others (group-writable only through the user's own primary
group, as with user-private groups); otherwise `CacheUnsafe` says why and nothing is read or
written there. Readers open with O_NONBLOCK and O_NOFOLLOW, accept regular files only and
read at most a size cap, so a FIFO, device, symlink or huge file at a cache path cannot hang
or exhaust memory.

Owns no network code: `catalog list` reads the cache without importing httpx.
Must not import httpx, textual, rich or pint.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from advisor.catalog.paths import ownership_problem, user_cache_dir
from advisor.catalog.toml_reader import MAX_FILE_BYTES
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.files import InputError, read_input, write_atomic

META_NAME = "meta.json"
LOCK_NAME = "lock"
TMP_PREFIX = ".tmp-"
META_VERSION = 1
DEFAULT_REFRESH_S = 86_400.0
_MAX_META_BYTES = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0, "w": 604_800.0}


class RemoteError(Exception):
    """A remote catalog could not be fetched or was refused; the message names the URL."""


class CacheCorrupt(Exception):
    """The cached copy of a URL is unreadable or does not match its recorded hash."""


class CacheUnsafe(CacheCorrupt, OSError):
    """The cache folder is not the user's alone; the message says which folder and why."""


@dataclass(frozen=True, slots=True)
class CacheMeta:
    """What `meta.json` records about the one good copy of a URL."""

    url: str  # as configured (the cache key)
    final_url: str  # after redirects
    sha256: str  # of the body
    size_bytes: int
    fetched_at: str  # ISO 8601 UTC: when this body was downloaded
    checked_at: str  # ISO 8601 UTC: when the server last confirmed it (200 or 304)
    body_name: str  # file name of the body inside the URL's folder
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    version: int = META_VERSION

    def checked_age_s(self, now: dt.datetime | None = None) -> float:
        """Seconds since the server last confirmed this copy."""
        return _age_s(self.checked_at, now)


@dataclass(frozen=True, slots=True)
class CachedCopy:
    """A verified cached body with its metadata."""

    meta: CacheMeta
    body: bytes


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _age_s(stamp: str, now: dt.datetime | None) -> float:
    then = dt.datetime.fromisoformat(stamp)
    return max(0.0, ((now or utc_now()) - then).total_seconds())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalize_sha256(text: str) -> str:
    """A sha256 pin as 64 lower-case hex digits (a leading `sha256:` is accepted)."""
    value = text.strip().lower().removeprefix("sha256:")
    if not _SHA256.match(value):
        raise AdvisorError(
            f"sha256 {text!r} is not 64 hexadecimal digits", exit_code=EXIT_BAD_INPUT
        )
    return value


def parse_interval_s(text: str | int | float) -> float:
    """A refresh interval: seconds, or '30m', '6h', '1d', '2w'; '0' = every run; 'never'."""
    if isinstance(text, str) and text.strip().lower() == "never":
        return math.inf
    if isinstance(text, bool):
        raise AdvisorError("refresh interval must be like '6h' or '1d'", exit_code=EXIT_BAD_INPUT)
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _INTERVAL.match(text)
        if not match:
            raise AdvisorError(
                f"refresh interval {text!r} is not like '30m', '6h', '1d' or '2w'",
                exit_code=EXIT_BAD_INPUT,
            )
        seconds = float(match.group(1)) * _UNIT_S[match.group(2) or "s"]
    if not 0 <= seconds <= 366 * 86_400:
        raise AdvisorError(
            f"refresh interval {text!r} must be between 0 and 366 days", exit_code=EXIT_BAD_INPUT
        )
    return seconds


def format_age(seconds: float) -> str:
    """'42 s', '5 min', '30 h', '9 days': rounded, in the largest fitting unit."""
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86_400)} days"  # at least 2: fewer hours print as hours


def cache_root() -> Path:
    """`<user cache dir>/remote`; `ADVISOR_CACHE_DIR` moves the user cache dir (tests)."""
    return user_cache_dir() / "remote"


def url_dir(url: str) -> Path:
    return cache_root() / sha256_hex(url.encode("utf-8"))


def unsafe_reason(url: str | None = None) -> str:
    """Why the cache (down to `url`'s folder when given) must not be used; "" when it may."""
    folders = [user_cache_dir(), cache_root()] + ([url_dir(url)] if url is not None else [])
    for folder in folders:
        try:
            info = folder.stat()
        except FileNotFoundError:
            return ""  # nothing there yet: whatever follows is created by us, privately
        except OSError as exc:
            return f"{folder} cannot be inspected ({exc.strerror})"
        reason = _unsafe_folder(info)
        if reason:
            return f"{folder} {reason}"
    return ""


def _unsafe_folder(info: os.stat_result) -> str:
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    problem = ownership_problem(info)
    return f"is {problem}; chmod 700 it or remove it" if problem else ""


def _require_safe(url: str) -> None:
    reason = unsafe_reason(url)
    if reason:
        raise CacheUnsafe(f"cache not used: {reason}")


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most `max_bytes`, through the one bounded input opener (never
    blocks on a FIFO, never follows a link). FileNotFoundError when absent; CacheCorrupt for
    anything else that is wrong with it."""
    try:
        return read_input(path, max_bytes=max_bytes, follow_symlinks=False)
    except InputError as exc:
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, "no cached copy", str(path)) from None
        raise CacheCorrupt(str(exc)) from None


def read(url: str, max_bytes: int = MAX_FILE_BYTES) -> CachedCopy | None:
    """The verified cached copy of `url` (at most `max_bytes`), None when there is none,
    CacheCorrupt when broken (CacheUnsafe when the folder is not the user's alone)."""
    _require_safe(url)
    folder = url_dir(url)
    try:
        raw = _read_bounded(folder / META_NAME, _MAX_META_BYTES)
    except FileNotFoundError:
        return None
    meta = _parse_meta(raw, folder)
    if meta.url != url:
        raise CacheCorrupt(f"{folder / META_NAME} belongs to {meta.url!r}")
    try:
        body = _read_bounded(folder / meta.body_name, max_bytes)
    except FileNotFoundError as exc:
        raise CacheCorrupt(f"cached body {meta.body_name} is missing") from exc
    if sha256_hex(body) != meta.sha256:
        raise CacheCorrupt(f"cached body {folder / meta.body_name} does not match its sha256")
    return CachedCopy(meta=meta, body=body)


def _parse_meta(raw: bytes, folder: Path) -> CacheMeta:
    try:
        if len(raw) > _MAX_META_BYTES:
            raise ValueError("too large")
        data = json.loads(raw)
        meta = CacheMeta(**data)
        if meta.version != META_VERSION:
            raise ValueError(f"format version {meta.version}, expected {META_VERSION}")
        if not (_SHA256.match(meta.sha256) and meta.body_name == f"{meta.sha256}.toml"):
            raise ValueError("bad sha256 or body name")
        dt.datetime.fromisoformat(meta.checked_at)
        dt.datetime.fromisoformat(meta.fetched_at)
    except (ValueError, TypeError) as exc:
        raise CacheCorrupt(f"{folder / META_NAME} is not valid cache metadata ({exc})") from exc
    return meta


def store(url: str, body: bytes, *, final_url: str, etag: str, last_modified: str,
          content_type: str, now: dt.datetime | None = None) -> CacheMeta:
    """Record a newly downloaded, already validated body as the good copy of `url`."""
    meta = describe(url, body, final_url=final_url, etag=etag, last_modified=last_modified,
                    content_type=content_type, now=now)
    _require_safe(url)
    folder = url_dir(url)
    for level in (user_cache_dir(), cache_root(), folder):
        level.mkdir(mode=0o700, parents=True, exist_ok=True)
    _require_safe(url)  # as created, or as someone else had created it
    with _locked(folder):
        _write_atomic(folder / meta.body_name, body)
        _write_meta(folder, meta)
        _remove_unreferenced(folder, keep=meta.body_name)
    return meta


def describe(url: str, body: bytes, *, final_url: str, etag: str, last_modified: str,
             content_type: str, now: dt.datetime | None = None) -> CacheMeta:
    """The metadata `store` would record for a body just downloaded."""
    stamp = iso(now or utc_now())
    digest = sha256_hex(body)
    return CacheMeta(
        url=url, final_url=final_url, sha256=digest, size_bytes=len(body),
        fetched_at=stamp, checked_at=stamp, body_name=f"{digest}.toml",
        etag=etag, last_modified=last_modified, content_type=content_type,
    )


def touch(meta: CacheMeta, *, etag: str = "", last_modified: str = "",
          now: dt.datetime | None = None) -> CacheMeta:
    """The server answered 304: keep the body, move `checked_at` (and validators if sent)."""
    updated = replace(
        meta,
        checked_at=iso(now or utc_now()),
        etag=etag or meta.etag,
        last_modified=last_modified or meta.last_modified,
    )
    _require_safe(meta.url)
    folder = url_dir(meta.url)
    with _locked(folder):
        if not (folder / meta.body_name).is_file():
            raise CacheCorrupt(f"cached body {meta.body_name} vanished")
        _write_meta(folder, updated)
    return updated


def _write_meta(folder: Path, meta: CacheMeta) -> None:
    text = json.dumps(asdict(meta), indent=2, sort_keys=True) + "\n"
    _write_atomic(folder / META_NAME, text.encode("utf-8"))


def _write_atomic(target: Path, data: bytes) -> None:
    write_atomic(target, data, overwrite=True, mode=0o600, temp_prefix=TMP_PREFIX)  # a private cache


def _remove_unreferenced(folder: Path, *, keep: str) -> None:
    for child in folder.iterdir():
        if child.name in (keep, META_NAME, LOCK_NAME):
            continue
        with contextlib.suppress(OSError):
            child.unlink()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no flock; atomic replaces still keep each pair whole
        yield
        return
    with open(folder / LOCK_NAME, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
