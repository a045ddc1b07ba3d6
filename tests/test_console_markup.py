"""Text from files and servers is never Rich markup on the console: the download progress bar
(its description is the catalog URL from a config file) and `config show` print it literally."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.export.terminal import RichProgress

HOSTILE_URL = "https://example.test/[/bold][b]x[@click=app.quit]y[/].toml"


def test_progress_bar_shows_a_url_with_markup_literally() -> None:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    bar = RichProgress(HOSTILE_URL, after_s=0.0, console=console)
    bar.update(500, 1000, 0.6)  # [/bold] raised MarkupError here
    bar.close()
    assert HOSTILE_URL in out.getvalue()


def test_config_show_prints_paths_and_names_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    team = tmp_path / "[b]team[@click=app.quit]x[red]"  # a folder name cannot hold a /
    team.mkdir()
    (team / "advisor.toml").write_text("")
    code = main(["--no-discover", "--config", str(team / "advisor.toml"), "config", "show"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert str(team / "advisor.toml") in out
