"""A misbehaving server on 127.0.0.1 and a tampered cache: each case is bounded in time.

Stacked or bomb-like content encodings, a head trickled a byte at a time, odd `Retry-After`
values, non-regular or oversized files in the cache, and a cache folder another user could
write to. No traffic leaves loopback.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from remote_server import CATALOG, CATALOG_V2, Reply, ScriptedServer

from advisor.catalog.remote import cache as remote_cache
from advisor.catalog.remote.cache import CacheCorrupt, RemoteError, sha256_hex
from advisor.catalog.remote.fetch import FetchPolicy, fetch
from advisor.catalog.remote.sync import RemoteSpec, sync, sync_all

FAST = FetchPolicy(
    connect_timeout_s=1.0, read_timeout_s=0.5, deadline_s=5.0, attempts=3,
    backoff_s=0.02, backoff_max_s=0.05, retry_after_max_s=0.3, max_bytes=64 * 1024,
)
BOMB_BYTES = 64 * 1024 * 1024  # decoded size of the bomb: a thousand times the cap above


class Silent:
    def update(self, done_bytes: int, total_bytes: int | None, elapsed_s: float) -> None:
        pass

    def close(self) -> None:
        pass


pytestmark = pytest.mark.usefixtures("cache_dir")  # conftest: this test's own cache folder


def ok(body: bytes = CATALOG, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "application/toml", **headers})


def gzip_bytes(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


@functools.cache
def gzip_bomb() -> bytes:
    """BOMB_BYTES of zeros, gzipped (about 64 KiB on the wire), built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join(parts) + packer.flush()


def peak_bytes(action: Callable[[], object]) -> int:
    """Peak Python allocation while `action` runs (its exception propagates)."""
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# -- content decoding -------------------------------------------------------------------------

def test_gzip_body_is_decoded(server: ScriptedServer) -> None:
    server.script(ok(gzip_bytes(CATALOG), **{"Content-Encoding": "gzip"}))
    assert fetch(server.url(), policy=FAST, progress=Silent()).body == CATALOG
    assert server.requests[0].headers["accept-encoding"] == "gzip"


def test_gzip_bomb_stops_at_the_cap_with_little_memory(server: ScriptedServer) -> None:
    bomb = gzip_bomb()
    server.script(ok(bomb, **{"Content-Encoding": "gzip"}))
    failure: list[RemoteError] = []

    def attempt() -> None:
        with pytest.raises(RemoteError, match="body is over the 65536-byte cap") as caught:
            fetch(server.url(), policy=FAST, progress=Silent())
        failure.append(caught.value)

    started = time.monotonic()
    peak = peak_bytes(attempt)
    assert failure and time.monotonic() - started < 3
    # The cap is 64 KiB and the compressed body 64 KiB: a few MiB is bookkeeping; decoding a
    # whole read chunk at once (the bomb) would be tens of MiB.
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"


def test_stacked_encodings_are_refused_before_decoding(server: ScriptedServer) -> None:
    stacked = gzip_bytes(gzip_bytes(gzip_bomb()))
    server.script(ok(stacked, **{"Content-Encoding": "gzip, gzip, gzip"}))
    failure: list[RemoteError] = []

    def attempt() -> None:
        with pytest.raises(RemoteError, match="more than one content encoding") as caught:
            fetch(server.url(), policy=FAST, progress=Silent())
        failure.append(caught.value)

    peak = peak_bytes(attempt)
    assert failure and "'gzip, gzip, gzip'" in str(failure[0])
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
    assert len(server.requests) == 1  # refused, not retried


@pytest.mark.parametrize("encoding", ["br", "compress", "zstd", "gzip;q=1"])
def test_unknown_encodings_are_refused(server: ScriptedServer, encoding: str) -> None:
    server.script(ok(b"\x00\x01garbage", **{"Content-Encoding": encoding}))
    with pytest.raises(RemoteError, match="unsupported content encoding"):
        fetch(server.url(), policy=FAST, progress=Silent())


def test_corrupt_gzip_is_a_clear_error(server: ScriptedServer) -> None:
    broken = gzip_bytes(CATALOG)[:-12] + b"\xff" * 12
    server.script(ok(broken, **{"Content-Encoding": "gzip"}))
    with pytest.raises(RemoteError, match="gzip"):
        fetch(server.url(), policy=FAST, progress=Silent())


# -- one deadline -----------------------------------------------------------------------------

def test_trickled_headers_are_cut_off_at_the_deadline(server: ScriptedServer) -> None:
    # A byte every 0.05 s never trips the 0.5 s read timeout; only the overall deadline can.
    server.script(Reply(200, CATALOG, head_byte_delay_s=0.05))
    policy = FetchPolicy(connect_timeout_s=1.0, read_timeout_s=0.5, deadline_s=1.0, attempts=3,
                         backoff_s=0.02)
    started = time.monotonic()
    with pytest.raises(RemoteError, match="deadline of 1 s"):
        fetch(server.url(), policy=policy, progress=Silent())
    assert time.monotonic() - started < 2.0
    assert len(server.requests) == 1  # out of time: no second attempt


def test_trickled_headers_with_a_cache_keep_the_old_copy(server: ScriptedServer) -> None:
    server.script(ok(), Reply(200, CATALOG_V2, head_byte_delay_s=0.05))
    sync(RemoteSpec(server.url()), policy=FAST)
    policy = FetchPolicy(read_timeout_s=0.5, deadline_s=1.0, attempts=1)
    started = time.monotonic()
    result = sync(RemoteSpec(server.url()), policy=policy, force=True)
    assert time.monotonic() - started < 2.0
    assert result.status == "stale" and "deadline" in result.warning
    assert result.loaded is not None and result.loaded.sha256 == sha256_hex(CATALOG)


def test_trickled_body_is_cut_off_at_the_deadline(server: ScriptedServer) -> None:
    server.script(Reply(200, CATALOG, chunk_bytes=1, chunk_delay_s=0.05))
    policy = FetchPolicy(read_timeout_s=0.5, deadline_s=1.0, attempts=1)
    started = time.monotonic()
    with pytest.raises(RemoteError, match="deadline of 1 s"):
        fetch(server.url(), policy=policy, progress=Silent())
    assert time.monotonic() - started < 2.0


# -- Retry-After ------------------------------------------------------------------------------

ODD_RETRY_AFTER = [
    "²",  # str.isdigit() says yes, float() and int() say no
    "١٢".encode().decode("latin-1"),  # Arabic-Indic digits (int() accepts them), sent as UTF-8
    "-5", "1.5", "0x10", "1e3", " 12 ", "Wed, 21 Oct 99999 07:28:00 GMT",
    "Wed, 21 Oct 2015 25:28:00 GMT", "tomorrow", "9" * 5000,
]


@pytest.mark.parametrize("value", ODD_RETRY_AFTER)
def test_odd_retry_after_uses_the_cached_copy_with_a_warning(
    server: ScriptedServer, value: str,
) -> None:
    busy = Reply(503, b"", {"Retry-After": value})
    server.script(ok(), busy, busy, busy)
    sync(RemoteSpec(server.url()), policy=FAST)
    started = time.monotonic()
    result = sync(RemoteSpec(server.url()), policy=FAST, force=True)
    assert time.monotonic() - started < 2.0  # a huge value is capped, an odd one ignored
    assert result.status == "stale" and "server answered 503" in result.warning
    assert result.loaded is not None and result.loaded.sha256 == sha256_hex(CATALOG)


def test_odd_retry_after_is_ignored_not_obeyed(server: ScriptedServer) -> None:
    policy = FetchPolicy(backoff_s=0.01, retry_after_max_s=5.0, deadline_s=10.0)
    server.script(Reply(503, b"", {"Retry-After": "٣".encode().decode("latin-1")}), ok())
    started = time.monotonic()
    assert fetch(server.url(), policy=policy, progress=Silent()).body == CATALOG
    assert time.monotonic() - started < 1.0  # backoff, not three seconds


# -- the cache: readers bounded, folder owned -------------------------------------------------

def seed_cache(server: ScriptedServer) -> Path:
    server.script(ok())
    sync(RemoteSpec(server.url()), policy=FAST)
    return remote_cache.url_dir(server.url())


def read_within(url: str, seconds: float) -> object:
    """`cache.read(url)` in a thread; fails the test (instead of hanging it) past `seconds`."""
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_capture(url)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "cache.read hung"
    return outcome[0]


def _capture(url: str) -> object:
    try:
        return remote_cache.read(url)
    except Exception as exc:  # returned to the test thread to be asserted on
        return exc


def release_fifo(path: Path) -> None:
    """Give a reader blocked on the FIFO its end of file, so no thread outlives the test."""
    with contextlib.suppress(OSError):  # no reader left: nothing to release
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("which", ["meta", "body"])
def test_fifo_in_the_cache_is_refused_without_hanging(server: ScriptedServer, which: str) -> None:
    folder = seed_cache(server)
    target = folder / ("meta.json" if which == "meta" else f"{sha256_hex(CATALOG)}.toml")
    target.unlink()
    os.mkfifo(target)
    try:
        outcome = read_within(server.url(), 2.0)
    finally:
        release_fifo(target)
    assert isinstance(outcome, CacheCorrupt) and "not a regular file" in str(outcome)


def test_huge_cached_body_is_refused_by_its_size(server: ScriptedServer) -> None:
    folder = seed_cache(server)
    body = folder / f"{sha256_hex(CATALOG)}.toml"
    with open(body, "r+b") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    peak = peak_bytes(lambda: read_within(server.url(), 2.0))
    outcome = read_within(server.url(), 2.0)
    assert isinstance(outcome, CacheCorrupt) and "larger than" in str(outcome)
    assert peak < 4 * 1024 * 1024


def test_huge_meta_json_is_refused_by_its_size(server: ScriptedServer) -> None:
    folder = seed_cache(server)
    with open(folder / "meta.json", "r+b") as handle:
        handle.truncate(64 * 1024 * 1024)
    peak = peak_bytes(lambda: read_within(server.url(), 2.0))
    outcome = read_within(server.url(), 2.0)
    assert isinstance(outcome, CacheCorrupt) and "larger than" in str(outcome)
    assert peak < 4 * 1024 * 1024


def test_symlinked_cache_body_is_refused(server: ScriptedServer, tmp_path: Path) -> None:
    folder = seed_cache(server)
    body = folder / f"{sha256_hex(CATALOG)}.toml"
    elsewhere = tmp_path / "planted.toml"
    elsewhere.write_bytes(CATALOG)
    body.unlink()
    body.symlink_to(elsewhere)
    outcome = read_within(server.url(), 2.0)
    assert isinstance(outcome, CacheCorrupt)


@pytest.mark.parametrize("level", ["root", "remote", "url"])
def test_cache_writable_by_others_is_not_used(
    server: ScriptedServer, cache_dir: Path, level: str,
) -> None:
    folder = seed_cache(server)
    loose = {"root": cache_dir, "remote": cache_dir / "remote", "url": folder}[level]
    loose.chmod(0o777)
    before = sorted(p.name for p in folder.iterdir())
    server.script(ok(CATALOG_V2))
    result = sync(RemoteSpec(server.url(), refresh_s=3600), policy=FAST)
    # Fresh by age, but a copy others could have written is not trusted: fetched again …
    assert result.status == "updated" and len(server.requests) == 2
    assert result.loaded is not None and result.loaded.sha256 == sha256_hex(CATALOG_V2)
    # … with a warning that says why, and nothing written into the folder.
    assert f"cache not used: {loose} is writable by group and others (mode 777)" in result.warning
    assert sorted(p.name for p in folder.iterdir()) == before


def test_cache_owned_by_another_user_is_not_used(
    server: ScriptedServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_cache(server)
    if os.geteuid() == 0:
        os.chown(cache_dir, 65534, 65534)  # really another user
    else:
        real = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: real + 1)  # we are someone else
    server.script(ok(CATALOG_V2))
    result = sync(RemoteSpec(server.url(), refresh_s=3600), policy=FAST)
    assert result.status == "updated" and len(server.requests) == 2
    assert f"cache not used: {cache_dir} is owned by another user" in result.warning


def test_unsafe_cache_is_warned_about_once(server: ScriptedServer, cache_dir: Path) -> None:
    seed_cache(server)
    cache_dir.chmod(0o777)
    server.script(ok(), ok())
    specs = [RemoteSpec(server.url()), RemoteSpec(server.url("/other.toml"))]
    results = sync_all(specs, policy=FAST)
    assert [r.status for r in results] == ["updated", "updated"]
    assert sum("cache not used" in r.warning for r in results) == 1


def test_unsafe_cache_offline_skips_with_the_reason(server: ScriptedServer, cache_dir: Path) -> None:
    seed_cache(server)
    cache_dir.chmod(0o777)
    result = sync(RemoteSpec(server.url()), offline=True)
    assert result.status == "skipped" and "writable by group and others" in result.warning
