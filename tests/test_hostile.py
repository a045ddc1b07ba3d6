"""Issue 9 corpus: every file in tests/hostile/ makes `advisor check` exit 2 with one clear,
printable line per problem naming the file, and no traceback. Each text file says what the
message must contain in a first-line `# expect:` comment; binary ones are listed here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
