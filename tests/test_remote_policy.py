"""Remote catalogs without a server: the progress bar, which URLs are allowed, HTML sniffing,
refresh intervals and ages."""

from __future__ import annotations

import io

import pytest
from remote_server import CATALOG

from advisor.catalog.remote import fetch as remote
from advisor.catalog.remote.cache import RemoteError, format_age, parse_interval_s
from advisor.catalog.remote.fetch import check_url
from advisor.catalog.remote.sync import looks_like_html
from advisor.errors import AdvisorError
from advisor.export.terminal import RichProgress, download_progress


def test_rich_progress_appears_only_after_the_delay() -> None:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    bar = RichProgress("https://example.test/c.toml", after_s=0.5, console=console)
    bar.update(100, 1000, 0.1)
    assert out.getvalue() == ""
    bar.update(500, 1000, 0.6)
    bar.close()
    assert "https://example.test/c.toml" in out.getvalue()


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert download_progress("https://x.test/a", 0.5) is None


def test_the_fetch_layer_draws_nothing_unless_a_front_end_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from advisor.catalog import remote as package

    monkeypatch.setattr(package, "progress_factory", None)
    assert not isinstance(remote._default_progress("https://x.test/a", 0.5), RichProgress)
    made: list[str] = []
    monkeypatch.setattr(package, "progress_factory", lambda url, after_s: made.append(url))
    remote._default_progress("https://x.test/b", 0.5)
    assert made == ["https://x.test/b"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8/a", "http://127.5.6.7/a", "http://[::1]:9/a", "http://localhost/a",
     "https://example.com/a.toml"],
)
def test_allowed_urls(url: str) -> None:
    assert str(check_url(url)) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/a.toml", "plain http is allowed only to loopback"),
        ("http://10.0.0.1/a.toml", "plain http is allowed only to loopback"),
        ("http://127.0.0.1.example.com/a", "plain http is allowed only to loopback"),
        ("ftp://example.com/a.toml", "only https://"),
        ("file:///etc/passwd", "only https://"),
        ("https://user:secret@example.com/a", "credentials"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    with pytest.raises(RemoteError, match=reason):
        check_url(url)


def test_https_to_http_downgrade_is_refused_even_to_loopback() -> None:
    with pytest.raises(RemoteError, match="from https down to http"):
        check_url("http://127.0.0.1/a", came_from="https://example.com/a")


def test_html_sniffing() -> None:
    assert looks_like_html(b"  \n<!doctype html>")
    assert looks_like_html(b"<HTML>")
    assert not looks_like_html(CATALOG)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("90", 90.0), ("30m", 1800.0), ("12h", 43_200.0), ("1d", 86_400.0),
     ("2w", 1_209_600.0), (3600, 3600.0), ("never", float("inf"))],
)
def test_parse_interval(text: str | int, seconds: float) -> None:
    assert parse_interval_s(text) == seconds


@pytest.mark.parametrize("text", ["1y", "-1d", "1 day", "", "400d"])
def test_parse_interval_refuses(text: str) -> None:
    with pytest.raises(AdvisorError):
        parse_interval_s(text)


def test_format_age() -> None:
    assert [format_age(s) for s in (5, 600, 30 * 3600, 40 * 3600, 86_400 * 9)] == [
        "5 s", "10 min", "30 h", "2 days", "9 days"
    ]

