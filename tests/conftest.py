"""Shared test fixtures: every test runs with its own empty user config and cache folders,
and without $ADVISOR_CONFIG or $COLUMNS, so a developer's own files or terminal never change a
result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_server import ScriptedServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("ADVISOR_CONFIG", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables are 80 wide unless a test says otherwise


@pytest.fixture()
def in_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run inside tests/fixtures/export/, whose paths the export tests' fixture world uses."""
    monkeypatch.chdir(FIXTURES / "export")


@pytest.fixture()
def server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on loopback, for the remote-catalog tests."""
    with ScriptedServer() as running:
        yield running


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user cache folder of this test, where remote catalogs are kept."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder))
    return folder
