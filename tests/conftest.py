"""Shared test fixtures: every test runs with its own empty user config and cache folders,
and without $ADVISOR_CONFIG, so a developer's own files never change a result."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("ADVISOR_CONFIG", raising=False)


@pytest.fixture()
def in_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run inside tests/fixtures/export/, whose paths the export tests' fixture world uses."""
    monkeypatch.chdir(FIXTURES / "export")
