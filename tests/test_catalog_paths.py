"""Paths a config lists: every failure to read one is a problem naming it (never a silent skip
or a traceback), a folder listed twice is read once, and one layer reads a bounded amount."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.catalog import config as config_module
from advisor.cli import main

WORKLOAD = """[[workload]]
id = "team-{n}"
name = "Team {n}"
input_tokens = 1000
output_tokens = 100
max_context = 4096
concurrency = 8
as_of = 2026-01-01
source = "test"
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _config(repo: Path, *paths: str) -> None:
    listed = ", ".join(f'"{p}"' for p in paths)
    (repo / "advisor.toml").write_text(f"catalogs = [{listed}]\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder; see the monkeypatched test")
def test_an_unreadable_folder_is_a_problem_not_a_silent_skip(
    repo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (repo / "catalogs").mkdir()
    (repo / "catalogs" / "a.toml").write_text(WORKLOAD.format(n=1))
    (repo / "catalogs").chmod(0o000)
    _config(repo, "catalogs")
    try:
        code, _, err = run(capsys, "workloads", "--format", "json")
    finally:
        (repo / "catalogs").chmod(0o755)
    assert code == 3 and "cannot read" in err and "Traceback" not in err


def test_an_unreadable_folder_is_a_problem_even_as_root(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (repo / "catalogs").mkdir()
    (repo / "catalogs" / "a.toml").write_text(WORKLOAD.format(n=1))
    _config(repo, "catalogs")
    real_scandir = os.scandir

    def denied(path: object) -> object:
        if str(path).endswith("catalogs"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(config_module.os, "scandir", denied)
    code, _, err = run(capsys, "workloads", "--format", "json")
    assert code == 3
    assert err.strip() == f"advisor: {repo / 'catalogs'}: cannot read folder: Permission denied"


@pytest.mark.parametrize("make", ["loop", "nul", "long"])
def test_odd_paths_are_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], make: str,
) -> None:
    if make == "loop":
        (repo / "a").symlink_to(repo / "b")
        (repo / "b").symlink_to(repo / "a")
        _config(repo, "a")
    elif make == "nul":
        (repo / "advisor.toml").write_text('catalogs = ["x\\u0000y"]\n')
    else:
        _config(repo, "x" * 300)
    code, _, err = run(capsys, "--no-discover", "--config", "advisor.toml", "workloads", "--format", "json")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("advisor: ")
    # Discovered and not trusted, a path that cannot be placed inside the repository is skipped.
    code, _, err = run(capsys, "workloads", "--format", "json")
    assert (code, len(err.strip().splitlines())) == ((0, 1) if make != "long" else (3, 1)), err


def test_a_folder_listed_many_times_is_read_once(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (repo / "catalogs").mkdir()
    (repo / "catalogs" / "a.toml").write_text(WORKLOAD.format(n=1))
    _config(repo, *(["catalogs", "./catalogs", "catalogs/"] * 4))
    reads: list[Path] = []
    real = config_module.load_catalog_file
    monkeypatch.setattr(config_module, "load_catalog_file", lambda p, *rest: reads.append(p) or real(p, *rest))
    code, out, err = run(capsys, "workloads", "--format", "json")
    assert code == 0, err
    assert reads == [repo / "catalogs" / "a.toml"]


def test_one_layer_reads_a_bounded_amount(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (repo / "catalogs").mkdir()
    for n in range(6):
        (repo / "catalogs" / f"w{n}.toml").write_text(WORKLOAD.format(n=n))
    size = (repo / "catalogs" / "w0.toml").stat().st_size
    monkeypatch.setattr(config_module, "MAX_LAYER_BYTES", size * 3)
    _config(repo, "catalogs")
    code, _, err = run(capsys, "workloads", "--format", "json")
    assert code == 3
    assert "more than" in err and "of catalog data in one layer" in err and len(err.strip().splitlines()) == 1
