"""The hostile-input corpus: every file in tests/hostile/ makes `advisor check` exit 2 with one clear,
printable line per problem naming the file, and no traceback. Each text file says what the
message must contain in a first-line `# expect:` comment; binary ones are listed here.
tests/hostile/strict/ holds files that validate but look wrong (advisor.catalog.sanity): a warning by
default, exit 2 under --strict. Timings are measured by benchmarks/bench_hostile.py.

Also here: regressions found by fuzzing (fuzz/README.md) and the display of file text (markup,
escape sequences, bidi overrides) in every output format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from team_data import SHAPE_8B

from advisor.cli import main

HOSTILE = Path(__file__).parent / "hostile"
REPO_ROOT = Path(__file__).resolve().parent.parent
BINARY_EXPECT = {
    "bom.toml": "byte-order mark",
    "utf16.toml": "UTF-16",
    "utf16_be_no_bom.toml": "NUL bytes",
    "latin1.toml": "invalid UTF-8 (byte 0xe9)",
    "binary.toml": "NUL bytes",
    "empty.toml": "defines no entries",
    "utf32.toml": "file is UTF-32",
    "surrogate_utf8.toml": "invalid UTF-8 (byte 0xed)",
    "overlong_utf8.toml": "invalid UTF-8 (byte 0xc0)",
    "lone_cr.toml": "bare carriage returns: save the file with LF or CRLF line endings",
}


def expectation(path: Path) -> str:
    if path.name in BINARY_EXPECT:
        return BINARY_EXPECT[path.name]
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} lacks an expect comment"
    return first.removeprefix("# expect: ")


CORPUS = sorted(HOSTILE.glob("*.toml"))


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_hostile_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--no-discover", "check", str(path)])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert lines, "no message"
    for line in lines:
        assert line.startswith(f"advisor: {path}"), line
        assert line.isprintable(), repr(line)
    assert expectation(path) in err


def test_corpus_in_one_subprocess_has_no_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "advisor", "--no-discover", "check", *map(str, CORPUS)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    named = {line.split(":", 2)[1].strip() for line in result.stderr.splitlines()}
    assert {str(p) for p in CORPUS} <= named


# -- tests/hostile/strict: valid files that look wrong --------------------------------------

STRICT = sorted((HOSTILE / "strict").glob("*.toml"))


@pytest.mark.parametrize("path", STRICT, ids=[p.stem for p in STRICT])
def test_suspicious_file_warns_by_default_and_fails_under_strict(
    path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--no-discover", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: 1 file") and "warning" in out
    assert all(line.startswith(f"advisor: warning: {path}:") for line in err.splitlines()), err
    assert main(["--no-discover", "check", "--strict", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    for line in err.splitlines():
        assert line.startswith(f"advisor: {path}:") and line.isprintable(), line
    assert expectation(path) in err


# -- found by fuzzing and by timing hostile inputs (fuzz/README.md, benchmarks/bench_hostile.py) --

def test_a_fifo_or_device_is_refused_without_reading_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Reading a FIFO blocks until a writer comes; /dev/zero never ends: neither may hang a check.
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert main(["--no-discover", "check", str(fifo), str(tmp_path), "/dev/zero"]) == 2
    lines = capsys.readouterr().err.splitlines()
    # named twice (itself, and in its folder): checked once
    assert lines == [f"advisor: {fifo}: is not a regular file (a pipe or device?)",
                     "advisor: /dev/zero: is not a regular file (a pipe or device?)"]


def test_lines_are_counted_like_tomllib_counts_them() -> None:
    # str.splitlines() also breaks at \u2028, \x85 and \u2029, which a TOML string may hold
    # raw: the duplicate key was looked up on the wrong line (found reading tomlsafe).
    from advisor.catalog.loaders import load_catalog_bytes

    text = 'a = "x\u2028y\x85z\u2029"\nb = 1\nb = 2\n'
    (problem,) = load_catalog_bytes(text.encode(), "d.toml").problems
    assert (problem.line, problem.key) == (3, "b")
    assert problem.message == "duplicate key: defined twice in one table (first defined at line 2)"


def test_long_lines_full_of_dots_that_are_not_keys_still_parse() -> None:
    # The pre-parse scan for 200-part dotted keys must not reject floats, versions or notes.
    from advisor.catalog.toml_reader import read_toml

    floats = ", ".join(["1.5"] * 400)
    notes = ".".join(["v1"] * 300)
    text = f'x = [{floats}]\nnotes = "{notes}, a.b.c.d.e.f.g.h.i.j.k.l = 1"\n[t]\ny = {{ a.b = "{notes}" }}\n'
    parsed, problems = read_toml(text.encode(), "w.toml")
    assert problems == [] and parsed is not None
    assert parsed.data["notes"].startswith("v1.v1") and parsed.data["t"]["y"]["a"]["b"] == notes


def test_tomllib_is_never_given_a_quadratic_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # tomllib checks a dotted key in time quadratic in its parts: 1M parts never finished
    # (found while timing hostile inputs). The key must be refused before tomllib sees it.
    import tomllib

    from advisor.catalog import toml_reader as tomlsafe

    def refuse(text: str) -> dict:
        raise AssertionError("tomllib was called")

    monkeypatch.setattr(tomllib, "loads", refuse)  # tomlsafe imports it when it parses
    for text in (".".join(["a"] * 500_000) + " = 1\n", "[" + ".".join(['"q"'] * 300_000) + "]\n",
                 "x = {" + " . ".join(["a"] * 300) + " = 1}\n"):
        parsed, problem = tomlsafe.parse_toml(text, "k.toml")
        assert parsed is None and problem is not None and "a dotted key of 200 parts" in problem.message
    assert tomllib.loads is refuse


# -- file text on the terminal and in exports ------------------------------------------------

HOSTILE_PROVIDER = "[bold red]Evil[/]\u001b[2J\u202eCorp"
HOSTILE_SKU = '=HYPERLINK("http://x")|[link=http://x]sku[/link]\u0007'
HOSTILE_MODEL = "[blink]M[/]\u001b]0;title\u0007\u2066Model"
RAW = ("\x1b", "\x07", "\u202e", "\u2066", "\x9b", "\r")
TEAM_CATALOG = r'''
[[offering]]
id = "evil/h100-8x"
provider = "[bold red]Evil[/]\u001b[2J\u202eCorp"
sku = "=HYPERLINK(\"http://x\")|[link=http://x]sku[/link]\u0007"
accelerator = "h100-sxm"
gpus_per_node = 8
intra_fabric = "nvswitch"
intra_bytes_per_s = 450e9
nvls = true
tenancy = "bare-metal"
price_per_node_hour = 25.0
currency = "USD"
regions = ["eu\u001b]0;pwned\u0007"]
as_of = 2025-06-01
source = "[red]src[/]\u001b[31m"
notes = "line1\nline2\r\u202e"

[[model]]
id = "evil-8b"
name = "[blink]M[/]\u001b]0;title\u0007\u2066Model"
family = "llama"
total_params = 8.03e9
''' + SHAPE_8B + r'''max_context = 131072
attention = [{ kind = "full", layers = 32 }]
source = "[red]x[/]<img src=x onerror=alert(1)>"
as_of = 2025-06-01
'''


@pytest.fixture
def hostile_config(tmp_path: Path) -> Path:
    (tmp_path / "team.toml").write_text(TEAM_CATALOG, encoding="utf-8")
    config = tmp_path / "advisor.toml"
    config.write_text('catalogs = ["team.toml"]\n', encoding="utf-8")
    return config


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_inert(text: str) -> None:
    """No escape sequence, bell, bidi override, C1 control or bare CR reaches the terminal."""
    found = [ch for ch in RAW if ch in text]
    assert not found, found


QUOTE = ["quote", "--model", "evil-8b", "--provider", HOSTILE_PROVIDER, "--all"]


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_offerings_show_file_text_as_text(fmt: str, hostile_config: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide table: no cell is cut
    code, out, err = run_cli(["--no-discover", "--config", str(hostile_config), "offerings", "--format", fmt], capsys)
    assert code == 0 and err == ""
    assert_inert(out)
    if fmt == "json":
        record = next(r for r in json.loads(out) if r["id"] == "evil/h100-8x")
        assert (record["provider"], record["sku"]) == (HOSTILE_PROVIDER, HOSTILE_SKU)  # escaped, not lost
    else:
        assert "[bold red]Evil[/]Corp" in out  # markup printed as characters, controls dropped
    if fmt == "csv":
        row = next(r for r in csv.DictReader(io.StringIO(out)) if r["id"] == "evil/h100-8x")
        assert row["sku"].startswith("'=HYPERLINK")  # a spreadsheet would run it as a formula
        assert row["notes"] == "line1 line2"


@pytest.mark.parametrize("fmt", ["table", "csv", "md", "json", "html"])
def test_quote_shows_file_text_as_text(fmt: str, hostile_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wide = ["--width", "300"] if fmt == "table" else []  # every column, the provider's included
    code, out, err = run_cli(["--no-discover", "--config", str(hostile_config), *QUOTE, "--format", fmt, *wide],
                             capsys)
    assert code == 0, err
    assert_inert(out + err)
    if fmt == "json":
        document = json.loads(out)
        (result,) = document["results"]
        assert (result["provider"], result["sku"]) == (HOSTILE_PROVIDER, HOSTILE_SKU)
        return
    if fmt in ("md", "html"):  # the model's source (an assumption) holds an HTML tag
        assert not re.search(r"(?<!\\)<img", out), "raw HTML from a file in the export"
    if fmt == "html":
        assert "&lt;img src=x onerror=alert(1)&gt;" in out and "[bold red]Evil[/]Corp" in out
        return
    shown = out.replace("\\[", "[").replace("\\]", "]")  # Markdown may escape brackets
    assert "[bold red]Evil[/]Corp" in shown
    if fmt in ("table", "md"):
        assert "[blink]M[/]Model" in shown  # the model name in the title
    if fmt == "md":
        assert '=HYPERLINK("http://x")\\|[link=http://x]sku[/link]' in shown  # the pipe cannot end the cell
    if fmt == "csv":
        (row,) = list(csv.DictReader(io.StringIO(out)))
        assert row["sku"].startswith("'=HYPERLINK") and row["provider"] == "[bold red]Evil[/]Corp"


def test_explain_and_error_messages_show_file_text_as_text(hostile_config: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--no-discover", "--config", str(hostile_config), "quote", "--model", "evil-8b"]
    code, out, err = run_cli([*base, "--explain", "evil/h100-8x"], capsys)
    assert code == 0
    assert_inert(out + err)
    assert "[bold red]Evil[/]Corp" in out and "source: [red]src[/]" in out
    # A filtered-out offering: the message quotes the provider name from the file.
    code, out, err = run_cli([*base, "--provider", "aws", "--explain", "evil/h100-8x"], capsys)
    assert code == 2 and out == ""
    assert_inert(err)
    assert err == ("advisor: offering 'evil/h100-8x' was filtered out: provider "
                   "[bold red]Evil[/]\\x1b[2J\\u202eCorp is not aws\n")


# -- the fuzz seed corpora, replayed without atheris ----------------------------------------

FUZZ = REPO_ROOT / "fuzz"


def _fuzz_targets():
    sys.path.insert(0, str(FUZZ))
    try:
        import targets
    finally:
        sys.path.remove(str(FUZZ))
    return targets


def test_fuzz_loader_seeds_pass_the_fuzz_checks() -> None:
    seeds = sorted((FUZZ / "corpus" / "loader").iterdir())
    assert len(seeds) >= 200
    targets = _fuzz_targets()
    for seed in seeds:
        targets.check_catalog_bytes(seed.read_bytes())


def test_fuzz_unit_seeds_pass_the_fuzz_checks() -> None:
    seeds = sorted((FUZZ / "corpus" / "units").iterdir())
    assert len(seeds) >= 90
    targets = _fuzz_targets()
    for seed in seeds:
        targets.check_unit_text(*targets.unit_seed(seed.read_bytes()))


# -- the TUI: typed or file text in messages ------------------------------------------------

def test_tui_shows_markup_in_a_message_as_text() -> None:
    # Static.update(str) parses markup: "[/]" raised MarkupError inside the app and "[@click=…]"
    # would have made an action link (found auditing where file text reaches a TUI widget).
    pytest.importorskip("textual")
    import asyncio

    from test_tui import SIZE, builtin_app, settle, type_into
    from textual.widgets import Static

    async def scenario() -> str:
        app = builtin_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await type_into(pilot, "#ctx", "[/]x[@click=app.quit]")
            await pilot.pause(0.1)
            main = app.main_screen  # type: ignore[attr-defined]
            return str(main.query_one("#ctx-error", Static).content)

    shown = asyncio.run(scenario())
    assert "'[/]x[@click=app.quit]' is not valid" in shown
