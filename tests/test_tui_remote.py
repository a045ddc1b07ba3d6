"""The TUI's background refresh of remote catalogs, against a real HTTP server on 127.0.0.1.

The app is built exactly as `advisor` (no command) builds it (`advisor.tui.build_app` on parsed
command-line arguments), in a temporary project whose advisor.toml lists the loopback server's
catalog; the user config and cache dirs are temporary folders. The served catalog adds one
offering, `acme/h100x8`, that the built-in data does not have.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from remote_server import CATALOG, Reply, ScriptedServer

from advisor.catalog import trust
from advisor.catalog.config import load_world
from advisor.catalog.remote import cache as remote_cache
from advisor.cli import build_parser

pytest.importorskip("textual")

from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_helpers import settle

from advisor.tui import build_app
from advisor.tui.app import AdvisorApp
from advisor.tui.screens.main import MainScreen

pytestmark = pytest.mark.anyio

SIZE = (160, 45)
OFFERING = "acme/h100x8"  # the offering CATALOG adds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as cwd, with private user-config and cache dirs."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "user-config"))
    for name in ("ADVISOR_CONFIG", "ADVISOR_OFFLINE", "ADVISOR_STRICT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def server() -> ScriptedServer:
    with ScriptedServer() as running:
        yield running


def list_remote(project: Path, url: str, extra: str = "") -> None:
    path = project / "advisor.toml"
    path.write_text(f'[[remote]]\nurl = "{url}"\n{extra}', encoding="utf-8")
    trust.record(path, trust.file_sha256(path))  # the user ran `advisor trust`


def app_for(*argv: str) -> AdvisorApp:
    app = build_app(build_parser().parse_args(list(argv)))
    # The notices are read after the refresh and every quote it caused have settled, which on a
    # loaded machine with the full built-in catalog can outlast Textual's 5-second default.
    app.NOTIFICATION_TIMEOUT = 600
    return app


async def refreshed(pilot: Pilot) -> MainScreen:
    """Wait for the remote refresh and every quote it caused; the main screen."""
    await pilot.app.workers.wait_for_complete()  # the refresh worker, however long its retries take
    return await settle(pilot)


def row_ids(main: MainScreen) -> list[str]:
    return [str(key.value) for key in main.table.rows]


async def team_config_text(pilot: Pilot) -> str:
    await pilot.press("f9")
    await pilot.pause()
    text = str(pilot.app.screen.query_one("#config-text", Static).content)
    await pilot.press("escape")
    await pilot.pause()
    return text


async def test_first_start_fetches_the_catalog_and_reranks_with_it(
    project: Path, server: ScriptedServer,
) -> None:
    list_remote(project, server.url())
    server.script(Reply(200, CATALOG, {"Content-Type": "text/plain", "ETag": '"v1"'}))
    assert OFFERING not in load_world(offline=True).offerings  # no cached copy yet
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        main = await refreshed(pilot)
        assert [r.status for r in app.remote_results or ()] == ["updated"]
        assert len(server.requests) == 1 and server.requests[0].path == "/catalog.toml"
        assert OFFERING in app.world.offerings and main.world is app.world  # type: ignore[union-attr]
        assert OFFERING in row_ids(main)
        assert main.quote is not None and OFFERING in {r.offering.id for r in main.quote.results}
        shown = await team_config_text(pilot)
        assert "Remote catalogs" in shown and f"updated      {server.url()}" in shown
        assert re.search(r"updated .* confirmed \d+ s ago\n", shown)  # seconds, not hours
    cached = remote_cache.read(server.url())
    assert cached is not None and cached.body == CATALOG and cached.meta.etag == '"v1"'


async def test_server_gone_keeps_the_cached_copy_with_a_warning(
    project: Path, server: ScriptedServer,
) -> None:
    url = server.url()
    list_remote(project, url, 'refresh = "1h"\n')
    three_hours_ago = remote_cache.utc_now() - dt.timedelta(hours=3)
    remote_cache.store(url, CATALOG, final_url=url, etag="", last_modified="",
                       content_type="text/plain", now=three_hours_ago)
    server.stop()  # connections to its port are refused from now on
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        main = await refreshed(pilot)
        [result] = app.remote_results or ()
        assert result.status == "stale"
        assert "could not refresh" in result.warning and "last confirmed 3 h ago" in result.warning
        assert OFFERING in row_ids(main)  # the cached copy is in use
        [note] = [n for n in app._notifications if n.title == "Remote catalogs"]
        assert note.severity == "warning" and f"stale: {url}" in note.message
        assert "last confirmed 3 h ago" in note.message
        shown = await team_config_text(pilot)
        assert f"stale        {url}" in shown and "confirmed 3 h ago" in shown
        assert "using the cached copy last confirmed 3 h ago" in shown
        assert "offline" not in shown  # the cache-only start's note is superseded by the refresh
        await pilot.click("#concurrency")  # the app still quotes
        await pilot.press("end", "ctrl+u", "1", "6")
        main = await refreshed(pilot)
        assert main.query_one("#concurrency", Input).value == "16"
        assert main.quote is not None and main.quote.request.concurrency == 16
        assert OFFERING in row_ids(main)
    cached = remote_cache.read(url)  # the failed refresh left the copy as it was
    assert cached is not None and cached.body == CATALOG
    assert cached.meta.checked_at == remote_cache.iso(three_hours_ago)


async def test_no_cached_copy_and_no_server_is_reported_not_fatal(
    project: Path, server: ScriptedServer,
) -> None:
    url = server.url()
    list_remote(project, url)
    server.stop()
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        main = await refreshed(pilot)
        [result] = app.remote_results or ()
        assert result.status == "failed"
        assert f"remote catalog {url}" in result.warning and "no cached copy" in result.warning
        assert OFFERING not in row_ids(main) and main.quote is not None and main.quote.feasible
        assert app.load_error is None
    assert remote_cache.read(url) is None


async def test_an_update_that_does_not_merge_keeps_the_world_and_says_why(
    project: Path, server: ScriptedServer,
) -> None:
    # Valid alone, but it names an accelerator nobody defines: only the merge can refuse it.
    unknown = CATALOG.replace(b'"h100-sxm"', b'"h900-sxm"')
    list_remote(project, server.url())
    server.script(Reply(200, unknown, {"Content-Type": "text/plain"}))
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        before = app.world
        main = await refreshed(pilot)
        assert [r.status for r in app.remote_results or ()] == ["updated"]
        assert app.world is before and main.world is before
        assert OFFERING not in row_ids(main) and main.quote is not None
        notes = [n.message for n in app._notifications]
        assert any("could not be loaded" in n and "h900-sxm" in n for n in notes), notes


async def test_offline_never_asks_the_network(project: Path, server: ScriptedServer) -> None:
    list_remote(project, server.url())
    app = app_for("--offline")
    async with app.run_test(size=SIZE) as pilot:
        main = await refreshed(pilot)
        [result] = app.remote_results or ()
        assert result.status == "skipped" and "--offline" in result.warning
        assert server.requests == []
        assert OFFERING not in row_ids(main)


async def test_without_remote_entries_nothing_is_reported(project: Path) -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await refreshed(pilot)
        assert app.remote_results is None
        assert "Remote catalogs" not in await team_config_text(pilot)
