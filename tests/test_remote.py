"""Remote catalogs against a real HTTP server on 127.0.0.1 (tests/remote_server.py), no mocks.

Every failure case also checks the cache afterwards: it holds the old good copy or nothing,
and no temp files. No traffic leaves loopback: the one non-loopback URL (192.0.2.1, TEST-NET-1)
is refused before any connection, which the server's request log proves.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from remote_server import CATALOG, CATALOG_V2, Reply, ScriptedServer

from advisor.catalog.remote import cache as remote_cache
from advisor.catalog.remote.cache import RemoteError, sha256_hex
from advisor.catalog.remote.fetch import FetchPolicy, fetch
from advisor.catalog.remote.sync import RemoteSpec, sync
from advisor.errors import AdvisorError

FAST = FetchPolicy(
    connect_timeout_s=1.0, read_timeout_s=0.3, deadline_s=5.0, attempts=3,
    backoff_s=0.02, backoff_max_s=0.05, retry_after_max_s=0.3, max_bytes=64 * 1024,
)


class Recorder:
    """A DownloadProgress that remembers what it was told."""

    def __init__(self) -> None:
        self.updates: list[tuple[int, int | None, float]] = []
        self.closed = False

    def update(self, done_bytes: int, total_bytes: int | None, elapsed_s: float) -> None:
        self.updates.append((done_bytes, total_bytes, elapsed_s))

    def close(self) -> None:
        self.closed = True


pytestmark = pytest.mark.usefixtures("cache_dir")  # conftest: this test's own cache folder


def ok(body: bytes = CATALOG, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "application/toml", **headers})


def spec_for(server: ScriptedServer, **kw: object) -> RemoteSpec:
    return RemoteSpec(url=server.url(), **kw)  # type: ignore[arg-type]


def assert_cache_holds(url: str, body: bytes | None) -> None:
    """The URL's cache folder holds exactly `body` (with its metadata), or nothing at all."""
    root = remote_cache.cache_root()
    leftovers = [p for p in root.rglob("*") if p.name.startswith(remote_cache.TMP_PREFIX)]
    assert leftovers == []
    folder = remote_cache.url_dir(url)
    if body is None:
        names = {p.name for p in folder.iterdir()} if folder.exists() else set()
        assert names <= {"lock"}
        return
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{sha256_hex(body)}.toml", "lock", "meta.json"])
    copy = remote_cache.read(url)
    assert copy is not None and copy.body == body


def test_first_fetch_stores_body_and_metadata(server: ScriptedServer) -> None:
    server.script(ok(ETag='"v1"', **{"Last-Modified": "Wed, 01 Jul 2026 10:00:00 GMT"}))
    result = sync(spec_for(server), policy=FAST)
    assert result.status == "updated"
    assert result.loaded is not None
    assert result.loaded.path == server.url()
    assert result.loaded.sha256 == sha256_hex(CATALOG)
    assert [e.id for e in result.loaded.entries] == ["acme/h100x8"]
    assert result.loaded.entries[0].value.price_per_node_hour == 19.5
    sent = server.requests[0].headers
    assert "if-none-match" not in sent and "if-modified-since" not in sent
    assert sent["user-agent"].startswith("advisor/")
    meta = json.loads((remote_cache.url_dir(server.url()) / "meta.json").read_text())
    assert meta["etag"] == '"v1"' and meta["size_bytes"] == len(CATALOG)
    assert meta["sha256"] == sha256_hex(CATALOG) and meta["url"] == server.url()
    assert_cache_holds(server.url(), CATALOG)


def test_fresh_copy_is_used_without_a_request(server: ScriptedServer) -> None:
    server.script(ok())
    sync(spec_for(server, refresh_s=3600), policy=FAST)
    again = sync(spec_for(server, refresh_s=3600), policy=FAST)
    assert again.status == "fresh" and len(server.requests) == 1
    assert again.loaded is not None and again.loaded.sha256 == sha256_hex(CATALOG)


def test_revalidation_with_etag_304_keeps_body_and_moves_checked_at(
    server: ScriptedServer,
) -> None:
    first_day = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    server.script(ok(ETag='"v1"'), Reply(304, headers={"ETag": '"v1"'}))
    sync(spec_for(server), policy=FAST, now=first_day)
    later = first_day + dt.timedelta(days=2)  # older than the 1-day default: revalidate
    result = sync(spec_for(server), policy=FAST, now=later)
    assert result.status == "not-modified"
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert result.meta is not None
    assert result.meta.checked_at == remote_cache.iso(later)
    assert result.meta.fetched_at == remote_cache.iso(first_day)
    assert result.loaded is not None and len(result.loaded.entries) == 1
    assert_cache_holds(server.url(), CATALOG)


def test_last_modified_is_sent_back_as_if_modified_since(server: ScriptedServer) -> None:
    stamp = "Wed, 01 Jul 2026 10:00:00 GMT"
    server.script(ok(**{"Last-Modified": stamp}), ok(CATALOG_V2))
    sync(spec_for(server), policy=FAST)
    result = sync(spec_for(server), policy=FAST, force=True)
    assert server.requests[1].headers["if-modified-since"] == stamp
    assert result.status == "updated"
    assert result.loaded is not None
    assert result.loaded.entries[0].value.price_per_node_hour == 18.25
    assert_cache_holds(server.url(), CATALOG_V2)  # the old body is gone with its metadata


def test_500_then_success_after_retry(server: ScriptedServer) -> None:
    server.script(Reply(500, b"oops"), Reply(503, b"busy"), ok())
    result = sync(spec_for(server), policy=FAST)
    assert result.status == "updated" and len(server.requests) == 3
    assert_cache_holds(server.url(), CATALOG)


def test_429_waits_for_retry_after_capped(server: ScriptedServer) -> None:
    server.script(Reply(429, b"slow down", {"Retry-After": "120"}), ok())
    started = time.monotonic()
    result = fetch(server.url(), policy=FAST, progress=Recorder())
    waited_s = time.monotonic() - started
    assert result.body == CATALOG
    # Backoff alone is 0.02 s: waiting at least the 0.3 s cap shows Retry-After was obeyed,
    # and getting an answer at all shows the 120 s was capped.
    assert waited_s >= FAST.retry_after_max_s


def test_retry_after_beyond_the_deadline_gives_up_at_once(server: ScriptedServer) -> None:
    policy = FetchPolicy(deadline_s=0.2, retry_after_max_s=10, attempts=3)
    server.script(Reply(503, b"", {"Retry-After": "5"}))
    with pytest.raises(RemoteError, match="server answered 503.*1 attempt"):
        fetch(server.url(), policy=policy, progress=Recorder())
    assert len(server.requests) == 1


def test_timeout_without_cache_is_a_clear_error(server: ScriptedServer) -> None:
    slow = Reply(200, CATALOG, delay_s=1.0)
    server.script(slow, slow)
    policy = FetchPolicy(read_timeout_s=0.2, connect_timeout_s=1, attempts=2, backoff_s=0.01)
    with pytest.raises(AdvisorError) as caught:
        sync(spec_for(server), policy=policy)
    message = caught.value.message
    assert server.url() in message and "timed out" in message and "--offline" in message
    assert caught.value.exit_code == 3
    assert len(server.requests) == 2
    assert_cache_holds(server.url(), None)


def test_timeout_with_cache_keeps_the_old_copy(server: ScriptedServer) -> None:
    server.script(ok(), Reply(200, CATALOG_V2, delay_s=1.0))
    sync(spec_for(server), policy=FAST)
    policy = FetchPolicy(read_timeout_s=0.2, attempts=1)
    result = sync(spec_for(server), policy=policy, force=True)
    assert result.status == "stale" and "timed out" in result.warning
    assert result.loaded is not None and result.loaded.sha256 == sha256_hex(CATALOG)
    assert_cache_holds(server.url(), CATALOG)


def test_truncated_body_is_retried_then_refused(server: ScriptedServer) -> None:
    cut = Reply(200, CATALOG_V2[:100], {"Content-Type": "text/plain"},
                declared_length=len(CATALOG_V2))
    server.script(ok(), cut, cut, cut)
    sync(spec_for(server), policy=FAST)
    result = sync(spec_for(server), policy=FAST, force=True)
    assert result.status == "stale"
    assert "connection broke mid-response" in result.warning and "3 attempts" in result.warning
    assert len(server.requests) == 4
    assert_cache_holds(server.url(), CATALOG)


def test_truncated_body_then_complete_body_succeeds(server: ScriptedServer) -> None:
    cut = Reply(200, CATALOG[:50], declared_length=len(CATALOG))
    server.script(cut, ok())
    result = sync(spec_for(server), policy=FAST)
    assert result.status == "updated"
    assert_cache_holds(server.url(), CATALOG)


def test_html_error_page_is_refused_and_cache_kept(server: ScriptedServer) -> None:
    page = b"<!DOCTYPE html><html><body>Sign in to the hotel Wi-Fi</body></html>"
    server.script(ok(), Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    sync(spec_for(server), policy=FAST)
    result = sync(spec_for(server), policy=FAST, force=True)
    assert result.status == "stale" and "HTML page" in result.warning
    assert server.url() in result.warning and "cached copy" in result.warning
    assert_cache_holds(server.url(), CATALOG)


def test_html_body_with_a_plain_content_type_is_refused(server: ScriptedServer) -> None:
    server.script(Reply(200, b"\n  <html><body>404</body></html>", {"Content-Type": "text/plain"}))
    with pytest.raises(AdvisorError, match="HTML page"):
        sync(spec_for(server), policy=FAST)
    assert_cache_holds(server.url(), None)


def test_wrong_content_is_refused_with_its_line(server: ScriptedServer) -> None:
    typo = CATALOG.replace(b"gpus_per_node", b"gpus_per_nodes")
    server.script(ok(typo), ok(b'{"json": "not toml"}'))
    with pytest.raises(AdvisorError) as caught:
        sync(spec_for(server), policy=FAST)
    assert (
        f"{server.url()}:7: offering.gpus_per_nodes: unknown key (did you mean 'gpus_per_node'?)"
        in caught.value.message
    )
    with pytest.raises(AdvisorError, match="invalid TOML"):
        sync(spec_for(server), policy=FAST)
    assert_cache_holds(server.url(), None)


def test_sha256_mismatch_is_refused(server: ScriptedServer) -> None:
    pin = sha256_hex(CATALOG)
    server.script(ok(CATALOG_V2))
    with pytest.raises(AdvisorError) as caught:
        sync(spec_for(server, sha256=pin), policy=FAST)
    assert f"pinned {pin}, got {sha256_hex(CATALOG_V2)}" in caught.value.message
    assert_cache_holds(server.url(), None)


def test_sha256_pin_match_is_accepted_and_a_changed_pin_ignores_the_cache(
    server: ScriptedServer,
) -> None:
    server.script(ok(), ok(CATALOG_V2))
    first = sync(spec_for(server, sha256=sha256_hex(CATALOG)), policy=FAST)
    assert first.status == "updated"
    repinned = spec_for(server, sha256=sha256_hex(CATALOG_V2), refresh_s=3600)
    second = sync(repinned, policy=FAST)  # fresh by age, but the cached copy fails the new pin
    assert second.status == "updated" and "if-none-match" not in server.requests[1].headers
    assert_cache_holds(server.url(), CATALOG_V2)


def test_redirect_to_plain_http_off_loopback_is_refused_without_contact(
    server: ScriptedServer,
) -> None:
    server.script(Reply(302, b"", {"Location": "http://192.0.2.1/catalog.toml"}))
    with pytest.raises(AdvisorError) as caught:
        sync(spec_for(server), policy=FAST)
    message = caught.value.message
    assert "redirect to http://192.0.2.1/catalog.toml: refused" in message
    assert "1 attempt" not in message  # refused by policy, not retried as a network error
    assert len(server.requests) == 1
    assert_cache_holds(server.url(), None)


def test_redirect_within_loopback_is_followed(server: ScriptedServer) -> None:
    server.script(Reply(301, b"", {"Location": "/v2/catalog.toml"}), ok())
    result = sync(spec_for(server), policy=FAST)
    assert result.status == "updated"
    assert [r.path for r in server.requests] == ["/catalog.toml", "/v2/catalog.toml"]
    assert result.meta is not None and result.meta.final_url == server.url("/v2/catalog.toml")


def test_redirect_loop_is_cut(server: ScriptedServer) -> None:
    server.script(*[Reply(302, b"", {"Location": "/again"}) for _ in range(7)])
    with pytest.raises(RemoteError, match="more than 5 redirects"):
        fetch(server.url(), policy=FAST, progress=Recorder())
    assert len(server.requests) == 6


def test_server_gone_uses_cache_with_warning_and_age(server: ScriptedServer) -> None:
    fetched_at = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    server.script(ok())
    sync(spec_for(server), policy=FAST, now=fetched_at)
    server.stop()
    result = sync(spec_for(server), policy=FAST, now=fetched_at + dt.timedelta(hours=30))
    assert result.status == "stale"
    assert "could not refresh remote catalog " + server.url() in result.warning
    assert "cannot connect" in result.warning and "last confirmed 30 h ago" in result.warning
    assert result.loaded is not None and result.loaded.entries[0].id == "acme/h100x8"
    assert_cache_holds(server.url(), CATALOG)


def test_server_gone_without_cache_names_url_and_offline(server: ScriptedServer) -> None:
    server.stop()
    spec = RemoteSpec(server.url(), configured_in="advisor.toml:3")
    with pytest.raises(AdvisorError) as caught:
        sync(spec, policy=FAST)
    message = caught.value.message
    assert message.startswith(f"remote catalog {server.url()} (listed in advisor.toml:3): ")
    assert "run with --offline to skip remote catalogs" in message
    assert_cache_holds(server.url(), None)


def test_offline_uses_cache_or_skips_without_contact(server: ScriptedServer) -> None:
    server.script(ok())
    sync(spec_for(server), policy=FAST)
    cached = sync(spec_for(server, refresh_s=3600), offline=True)
    assert cached.status == "offline" and cached.loaded is not None and cached.warning == ""
    overdue = sync(spec_for(server, refresh_s=0), offline=True)
    assert overdue.status == "offline" and "offline, using the cached copy" in overdue.warning
    missing = sync(RemoteSpec(server.url("/other.toml")), offline=True)
    assert missing.status == "skipped" and "--offline" in missing.warning
    assert missing.loaded is None
    assert len(server.requests) == 1


def test_size_cap_refuses_large_bodies(server: ScriptedServer) -> None:
    big = CATALOG + b"# " + b"x" * (FAST.max_bytes) + b"\n"
    server.script(ok(big))
    with pytest.raises(AdvisorError, match="over the 65536-byte cap"):
        sync(spec_for(server), policy=FAST)
    assert_cache_holds(server.url(), None)


def test_size_cap_applies_while_streaming(server: ScriptedServer) -> None:
    big = b"# " + b"x" * (2 * FAST.max_bytes)
    # No Content-Length up front: only the running count can stop it.
    server.script(Reply(200, big, send_length=False))
    with pytest.raises(RemoteError, match="body is over the 65536-byte cap"):
        fetch(server.url(), policy=FAST, progress=Recorder())


def test_404_is_not_retried(server: ScriptedServer) -> None:
    server.script(Reply(404, b"no such file"))
    with pytest.raises(RemoteError, match="server answered 404 Not Found"):
        fetch(server.url(), policy=FAST, progress=Recorder())
    assert len(server.requests) == 1


def test_corrupt_cache_is_ignored_and_replaced(server: ScriptedServer) -> None:
    server.script(ok(), ok())
    sync(spec_for(server), policy=FAST)
    body_file = remote_cache.url_dir(server.url()) / f"{sha256_hex(CATALOG)}.toml"
    body_file.write_bytes(CATALOG_V2)  # bit rot: no longer matches meta.json
    result = sync(spec_for(server, refresh_s=3600), policy=FAST)
    assert result.status == "updated" and len(server.requests) == 2
    assert_cache_holds(server.url(), CATALOG)


def test_leftovers_of_an_interrupted_write_are_ignored_then_removed(
    server: ScriptedServer,
) -> None:
    server.script(ok(), ok(CATALOG_V2))
    sync(spec_for(server), policy=FAST)
    folder = remote_cache.url_dir(server.url())
    # A writer killed after its body landed but before meta.json was replaced:
    (folder / f"{sha256_hex(b'half')}.toml").write_bytes(b"half")
    (folder / f"{remote_cache.TMP_PREFIX}x1").write_bytes(b"partial")
    copy = remote_cache.read(server.url())
    assert copy is not None and copy.body == CATALOG  # readers follow meta.json only
    sync(spec_for(server), policy=FAST, force=True)
    assert_cache_holds(server.url(), CATALOG_V2)


def test_retry_after_as_an_http_date(server: ScriptedServer) -> None:
    server.script(Reply(503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), ok())
    assert fetch(server.url(), policy=FAST, progress=Recorder()).body == CATALOG
    assert len(server.requests) == 2


def test_slow_download_reports_progress(server: ScriptedServer) -> None:
    server.script(Reply(200, CATALOG, chunk_bytes=64, chunk_delay_s=0.1))
    recorder = Recorder()
    fetched = fetch(server.url(), policy=FetchPolicy(read_timeout_s=2), progress=recorder)
    assert fetched.body == CATALOG and recorder.closed
    assert recorder.updates[-1][0] == len(CATALOG)
    assert recorder.updates[-1][1] == len(CATALOG)
    assert recorder.updates[-1][2] > 0.5  # long enough that the bar would have appeared
