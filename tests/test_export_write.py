"""Quote documents on disk: `-o -` and the extension picking the format (an unknown one is exit
2; every write says `wrote FILE`), atomic replace
(a failed replace keeps the old file and leaves no temp file; a file appearing meanwhile is
not overwritten; a read-only folder fails in one line; a planted symlink or a pipe at the
target is refused), and the HTML quote rendered in
headless Chromium."""

from __future__ import annotations

import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from export_helpers import EVERYTHING, REPO, fixture_quote, quote_cli

from advisor.cli import main
from advisor.export import Format, render

# -- safe writes -------------------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_dash_writes_to_stdout_and_extension_picks_the_format(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = quote_cli(capsys, "--model", "70b", "--format", "html", "-o", "-")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and list(tmp_path.iterdir()) == []
    code, out, _ = quote_cli(capsys, "--model", "70b", "-o", "quote.html")
    written = tmp_path / "quote.html"
    assert code == 0 and out == "" and written.read_text().startswith("<!DOCTYPE html>")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600


@pytest.mark.parametrize(("name", "starts"), [("q.md", "## Quote AQ-"), ("q.markdown", "## Quote AQ-"),
                                             ("q.JSON", "{"), ("q.csv", "quote_number,"), ("q.htm", "<!DOCTYPE html>"),
                                             ("q.txt", "Llama-3.1-70B (70.6B) · ctx"),
                                             ("q", "Llama-3.1-70B (70.6B) · ctx")])
def test_each_known_extension_writes_its_format_and_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, name: str,
                                                            starts: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = quote_cli(capsys, "--model", "70b", "--top", "2", "-o", name)
    assert code == 0 and out == ""
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(starts)
    assert f"wrote {name}\n" in err


@pytest.mark.parametrize("name", ["quote.pdf", "quote.docx", "quote.2026"])
def test_an_unknown_extension_is_one_line_naming_the_formats(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = quote_cli(capsys, "--model", "70b", "-o", name)
    assert code == 2 and out == "" and list(tmp_path.iterdir()) == []
    assert err.startswith(f"advisor: -o {name}: cannot tell the format") and err.count("\n") == 1
    assert all(ext in err for ext in (".md", ".html", ".json", ".csv", ".txt", "--format"))
    code, _, err = quote_cli(capsys, "--model", "70b", "--top", "1", "--format", "md", "-o", name)
    assert code == 0 and (tmp_path / name).read_text().startswith("## Quote AQ-")  # --format says it


def test_failed_replace_keeps_the_old_file_and_no_temp(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "q.md"
    target.write_text("old quote")

    def full_disk(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, out, err = quote_cli(capsys, "--model", "70b", "--format", "md", "-o", str(target), "--force")
    assert code == 2 and out == "" and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "old quote" and leftovers(tmp_path) == []


def test_a_file_appearing_meanwhile_is_not_overwritten(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "q.csv"
    real_link = os.link

    def racing_link(src: str, dst: object) -> None:
        Path(str(dst)).write_text("someone else's")  # created after the exists-check
        real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    code, _, err = quote_cli(capsys, "--model", "70b", "--format", "csv", "-o", str(target))
    assert code == 2 and "already exists" in err
    assert target.read_text() == "someone else's" and leftovers(tmp_path) == []


def test_a_planted_symlink_or_pipe_at_the_target_is_refused_even_with_force(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "q.md"
    link.symlink_to(victim)
    code, out, err = quote_cli(capsys, "--model", "70b", "-o", str(link), "--force")
    assert code == 2 and out == "" and "is not a regular file (a symlink)" in err
    assert link.is_symlink() and victim.read_text() == "keep me" and leftovers(tmp_path) == []
    fifo = tmp_path / "q.csv"
    os.mkfifo(fifo)
    code, _, err = quote_cli(capsys, "--model", "70b", "-o", str(fifo), "--force")
    assert code == 2 and "is not a regular file" in err and leftovers(tmp_path) == []


def test_the_one_atomic_writer_keeps_a_mode_and_refuses_what_it_must(tmp_path: Path) -> None:
    from advisor.files import NotRegularFileError, write_atomic

    target = tmp_path / "meta.json"
    write_atomic(target, b"one", overwrite=True, mode=0o600)
    assert target.read_bytes() == b"one" and stat.S_IMODE(target.stat().st_mode) == 0o600
    write_atomic(target, b"two", overwrite=True)  # mode None keeps the existing file's
    assert target.read_bytes() == b"two" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_atomic(target, b"three", overwrite=False)
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path, b"x", overwrite=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(NotRegularFileError):
        write_atomic(tmp_path / "dangling", b"x", overwrite=True)
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "such", b"x", overwrite=True)
    assert leftovers(tmp_path) == [] and target.read_bytes() == b"two"


def test_read_only_directory_fails_in_one_line_and_keeps_the_old_file(capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="advisor-ro-"))
    try:
        os.chmod(folder, 0o755)
        target = folder / "q.json"
        target.write_text("old quote")
        args = ["quote", "--model", "70b", "--format", "json", "-o", str(target), "--force"]
        code, err = _run_without_write_permission(folder, args, capsys)
        assert code == 2 and "cannot write" in err and "Permission denied" in err
        assert len(err.strip().splitlines()) == 1
        assert target.read_text() == "old quote" and leftovers(folder) == []
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def _run_without_write_permission(folder: Path, args: list[str],
                                  capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The CLI with `folder` read-only to it: chmod for a normal user; root ignores modes, so
    as root the CLI runs as `nobody` (setpriv) in a subprocess instead."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        code = main(["--no-discover", *args])
        return code, capsys.readouterr().err
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only")
    (folder / "home").mkdir(mode=0o777)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(folder / "home"),
           "ADVISOR_CONFIG_DIR": str(folder / "home"), "ADVISOR_CACHE_DIR": str(folder / "home")}
    os.chmod(folder / "home", 0o777)
    result = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "advisor",
         "--no-discover", *args],
        cwd=folder / "home", env=env, capture_output=True, text=True, timeout=300,
    )
    return result.returncode, result.stderr


# -- HTML in a real browser ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")


def screenshot(html_path: Path, png_path: Path, profile: Path) -> None:
    """Render `html_path` in headless Chromium to a 1100×1400 PNG (docs/regenerate.sh does the same)."""
    assert CHROMIUM is not None
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png_path}",
                    "--window-size=1100,1400", html_path.resolve().as_uri()],
                   capture_output=True, timeout=300, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not on PATH (apt-get install -y chromium)")
def test_html_quote_renders_in_headless_chromium(in_fixture: None, tmp_path: Path) -> None:
    page = tmp_path / "quote.html"
    page.write_text(render(fixture_quote(), Format.HTML, EVERYTHING), encoding="utf-8")
    png = tmp_path / "quote.png"
    screenshot(page, png, tmp_path / "profile")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1100, 1400)
    # a blank page compresses to a few kB; text, tables and rules make tens of kB
    assert len(data) > 40_000, len(data)
