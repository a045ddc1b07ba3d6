"""Fetching remote catalogs over HTTPS: URL policy, retries, redirects, size cap, progress.

The only module that imports httpx. Nothing on the headless path imports it unless a team
config lists `[[remote]]` catalogs or a `catalog` subcommand needs the network. Checking what
came back and deciding between network and cache is `advisor.catalog.remote.sync`; storage is
`advisor.catalog.remote.cache`. Must not import textual.

Policy, applied to the first URL and to every redirect hop before anything is sent:
https only, plain http only to loopback (127.0.0.0/8, ::1, localhost) for tests and local
mirrors; no credentials in URLs; never from https down to http.

Bounds, whatever the server does: one deadline for the whole fetch (connect, TLS, headers,
body, retries), enforced by `advisor.catalog.remote.guards.Watchdog`; at most one content coding,
and the size cap counted on decoded bytes as they stream (`guards.BodyDecoder`); `Retry-After`
read only as ASCII digits or an HTTP date, anything else ignored.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

from advisor import __version__
from advisor.catalog.remote.cache import RemoteError
from advisor.catalog.remote.guards import ACCEPT_ENCODING, BodyDecoder, Watchdog
from advisor.catalog.toml_reader import MAX_FILE_BYTES

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")  # str.isdigit() also says yes to '²' and '١'
_MAX_RETRY_AFTER_CHARS = 64


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits of one fetch; tests shrink them so failures are quick."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0  # longest silence between two reads
    deadline_s: float = 60.0  # the whole fetch: connect, headers, body, retries and waits
    attempts: int = 3
    backoff_s: float = 0.5  # first retry waits this long, then doubles
    backoff_max_s: float = 8.0
    retry_after_max_s: float = 30.0  # a longer Retry-After is capped to this
    max_bytes: int = MAX_FILE_BYTES  # what the loader accepts; more is refused mid-stream
    max_redirects: int = 5
    progress_after_s: float = 0.5


DEFAULT_POLICY = FetchPolicy()


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 with its body, or a 304 (`not_modified`, empty body)."""

    not_modified: bool
    body: bytes
    final_url: str
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""


class DownloadProgress(Protocol):
    """Told about every chunk; shows something only when the download turns out slow."""

    def update(self, done_bytes: int, total_bytes: int | None, elapsed_s: float) -> None: ...

    def close(self) -> None: ...


class _Retry(Exception):
    """A failure worth another attempt; `wait_s` is the server's Retry-After when it sent one."""

    def __init__(self, message: str, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, came_from: str | None = None) -> httpx.URL:
    """The parsed URL if policy allows fetching it, else RemoteError (nothing is sent)."""
    where = f"redirect to {url}: " if came_from else ""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise RemoteError(f"{where}not a valid URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise RemoteError(f"{where}only https:// URLs are fetched")
    if parsed.userinfo:
        raise RemoteError(f"{where}credentials in URLs are not supported")
    if parsed.scheme == "http" and not is_loopback(parsed.host):
        raise RemoteError(
            f"{where}refused: plain http is allowed only to loopback addresses; use https://"
        )
    if came_from and parsed.scheme == "http" and httpx.URL(came_from).scheme == "https":
        raise RemoteError(f"{where}refused: redirect from https down to http")
    return parsed


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    policy: FetchPolicy = DEFAULT_POLICY,
    progress: DownloadProgress | None = None,
) -> Fetched:
    """GET `url` (conditionally when validators are given), retrying transient failures."""
    check_url(url)
    deadline = time.monotonic() + policy.deadline_s
    headers = {
        "Accept": "application/toml, text/plain;q=0.9, */*;q=0.1",
        "Accept-Encoding": ACCEPT_ENCODING,
        "User-Agent": f"advisor/{__version__}",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    sink = progress if progress is not None else _default_progress(url, policy.progress_after_s)
    try:
        return _with_retries(url, headers, deadline, policy, sink)
    finally:
        sink.close()


def _with_retries(
    url: str, headers: dict[str, str], deadline: float, policy: FetchPolicy,
    sink: DownloadProgress,
) -> Fetched:
    attempts = max(1, policy.attempts)
    for attempt in range(1, attempts + 1):
        try:
            return _follow(url, headers, deadline, policy, sink)
        except _Retry as failure:
            backoff_s = min(policy.backoff_s * 2 ** (attempt - 1), policy.backoff_max_s)
            wait_s = backoff_s if failure.wait_s is None else failure.wait_s
            wait_s = min(wait_s, policy.retry_after_max_s)
            out_of_time = time.monotonic() + wait_s >= deadline
            if attempt == attempts or out_of_time:
                tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                raise RemoteError(f"{failure} (gave up after {tries})") from None
            time.sleep(wait_s)
    raise AssertionError("unreachable: attempts >= 1")


def _follow(
    url: str, headers: dict[str, str], deadline: float, policy: FetchPolicy,
    sink: DownloadProgress,
) -> Fetched:
    current, previous = url, None
    for _hop in range(policy.max_redirects + 1):
        parsed = check_url(current, came_from=previous)
        try:
            result = _get_once(parsed, headers, deadline, policy, sink)
        except (RemoteError, _Retry) as exc:
            if previous is not None:  # say where, once the URL is no longer the configured one
                exc.args = (f"{exc} (at {current})",)
            raise
        if isinstance(result, Fetched):
            return result
        previous, current = current, result
    raise RemoteError(f"more than {policy.max_redirects} redirects")


def _client(parsed: httpx.URL, deadline: float, policy: FetchPolicy) -> httpx.Client:
    left_s = max(0.01, deadline - time.monotonic())
    timeout = httpx.Timeout(
        min(policy.read_timeout_s, left_s),
        connect=min(policy.connect_timeout_s, left_s),
    )
    # Proxy settings from the environment apply to real hosts, never to loopback mirrors.
    return httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=not is_loopback(parsed.host)
    )


def _get_once(
    parsed: httpx.URL, headers: dict[str, str], deadline: float, policy: FetchPolicy,
    sink: DownloadProgress,
) -> Fetched | str:
    """One request: a Fetched, or the absolute URL a redirect points at."""
    if time.monotonic() >= deadline:
        raise _past_deadline(policy)
    with Watchdog(deadline) as watchdog:
        try:
            with _client(parsed, deadline, policy) as client, client.stream(
                "GET", parsed, headers=headers, extensions={"trace": watchdog.trace}
            ) as response:
                return _handle(response, deadline, policy, sink)
        except httpx.TransportError as exc:
            if watchdog.fired or time.monotonic() >= deadline:
                raise _past_deadline(policy) from None
            if isinstance(exc, httpx.TimeoutException):
                raise _Retry(f"timed out talking to {parsed.host}") from None
            raise _Retry(f"network error: {_describe(exc)}") from None


def _past_deadline(policy: FetchPolicy) -> RemoteError:
    return RemoteError(f"no complete answer within the deadline of {policy.deadline_s:g} s")


def _handle(
    response: httpx.Response, deadline: float, policy: FetchPolicy, sink: DownloadProgress
) -> Fetched | str:
    status = response.status_code
    if status in _REDIRECTS and "location" in response.headers:
        return str(response.url.join(response.headers["location"]))
    if status == 429 or status >= 500:
        raise _Retry(f"server answered {status}", _retry_after_s(response))
    final_url = str(response.url)
    if status == 304:
        return Fetched(True, b"", final_url, *_validators(response))
    if status != 200:
        raise RemoteError(f"server answered {status} {response.reason_phrase}")
    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() in _HTML_TYPES:
        raise RemoteError(f"server sent an HTML page ({content_type}), not a TOML catalog")
    body = _read_capped(response, deadline, policy, sink)
    return Fetched(False, body, final_url, *_validators(response), content_type)


def _read_capped(
    response: httpx.Response, deadline: float, policy: FetchPolicy, sink: DownloadProgress
) -> bytes:
    declared = response.headers.get("content-length", "")
    total = int(declared) if _ASCII_DIGITS.fullmatch(declared) else None
    if total is not None and total > policy.max_bytes:
        raise RemoteError(f"body of {total} bytes is over the {policy.max_bytes}-byte cap")
    decoder = BodyDecoder(response.headers.get("content-encoding", ""), policy.max_bytes)
    started = time.monotonic()
    chunks: list[bytes] = []
    # Raw bytes, decoded here: httpx would inflate a whole chunk, and every stacked coding.
    for raw in response.iter_raw():
        chunks.append(decoder.feed(raw))
        if time.monotonic() > deadline:
            raise _past_deadline(policy)
        # Bytes on the wire, so the bar matches Content-Length even for a gzipped body.
        sink.update(response.num_bytes_downloaded, total, time.monotonic() - started)
    decoder.finish()
    return b"".join(chunks)


def _validators(response: httpx.Response) -> tuple[str, str]:
    return response.headers.get("etag", ""), response.headers.get("last-modified", "")


def _retry_after_s(response: httpx.Response) -> float | None:
    """Retry-After as seconds (ASCII digits or an HTTP date); None when absent or anything else."""
    return parse_retry_after(response.headers.get("retry-after", ""))


def parse_retry_after(value: str, now_s: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value; None unless it is a delay or an HTTP date."""
    if not value or len(value) > _MAX_RETRY_AFTER_CHARS or not value.isascii():
        return None
    if value.isdigit():  # ASCII by now: 0-9 only
        return float(value) if len(value) <= 12 else float("inf")  # capped by the caller
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now_s is None else now_s))


def _describe(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({text})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broke mid-response ({text})"
    return text


class _Silent:
    def update(self, done_bytes: int, total_bytes: int | None, elapsed_s: float) -> None:
        pass

    def close(self) -> None:
        pass


def _default_progress(url: str, after_s: float) -> DownloadProgress:
    """The front end's progress display (`advisor.catalog.remote.progress_factory`), else none."""
    from advisor.catalog import remote as package

    factory = package.progress_factory
    sink = factory(url, after_s) if factory is not None else None
    return sink if sink is not None else _Silent()
