"""Hostile inputs and outputs around the readers and writers: every user-supplied input is
opened in one place (a FIFO or device refused without blocking, stdin read up to a cap, odd
paths a one-line error), JSON and CSV inputs have integer, nesting and field-size limits, and
writes refuse non-regular targets, never follow a planted symlink, sweep their own stale
temporary files and report a failed stdout in one line."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.cli import main

HUGE_INT = "9" * 5000  # over Python's 4300-digit int conversion limit
TOO_BIG_FOR_FLOAT = "9" * 400  # an int that float() cannot hold


class Blocked(Exception):  # not an OSError: a reader's `except OSError` must not swallow it
    pass


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A reader that blocks on a FIFO fails the test instead of hanging the suite."""
    def expire(signum: int, frame: object) -> None:
        raise Blocked("the command blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("advisor: ") and "Traceback" not in err, err
    return lines[0]


# -- one place opens inputs ----------------------------------------------------------------

class Endless(io.RawIOBase):
    """/dev/zero as stdin: counts what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer)
        view[:] = b"\0" * len(view)
        self.read_bytes += len(view)
        return len(view)


def test_quote_from_endless_stdin_stops_at_the_cap(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.export.json_format import MAX_QUOTE_FILE_BYTES

    endless = Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(endless)))
    code, out, err = cli(capsys, "quote", "--from", "-")
    assert code == 2 and out == ""
    assert "stdin: larger than 64 MiB" in one_line(err)
    assert endless.read_bytes <= MAX_QUOTE_FILE_BYTES + 2 * 2**20


@pytest.mark.parametrize("command", [
    ("quote", "--from"), ("estimate", "--cases"), ("validate", "--data"), ("calibrate", "--gpu", "h100", "-o",
                                                                           "out.toml"),
])
def test_a_fifo_as_input_is_refused_without_blocking(command: tuple[str, ...], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "input.json"
    os.mkfifo(fifo)
    code, out, err = cli(capsys, *command, str(fifo))
    assert code == 2 and out == ""
    assert one_line(err) == f"advisor: {fifo}: is not a regular file (a pipe or device?)"


def test_a_device_as_input_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "estimate", "--cases", "/dev/zero")
    assert code == 2 and "/dev/zero: is not a regular file" in one_line(err)


def test_a_folder_as_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "quote", "--from", str(tmp_path))
    assert code == 2 and one_line(err) == f"advisor: {tmp_path}: is a folder, expected a JSON quote"


@pytest.mark.parametrize("command", [("quote", "--from"), ("estimate", "--cases"), ("validate", "--data")])
def test_odd_paths_are_one_line(command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for path, reason in ((f"{tmp_path}/a\0b", "path contains a NUL byte"),
                         (str(loop), "Too many levels of symbolic links"),
                         (str(tmp_path / ("x" * 300)), "File name too long"),
                         (str(tmp_path / "missing.json"), "No such file or directory")):
        code, out, err = cli(capsys, *command, path)
        assert code == 2 and out == "" and reason in one_line(err), (path, err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "cases.jsonl"
    secret.write_text("{}\n")
    secret.chmod(0)
    code, _, err = cli(capsys, "estimate", "--cases", str(secret))
    assert code == 2 and "Permission denied" in one_line(err)


def test_toml_reader_shares_the_input_opener(tmp_path: Path) -> None:
    from advisor.catalog.toml_reader import read_file_bytes

    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    data, problem = read_file_bytes(loop)
    assert data is None and problem is not None and "symbolic links" in problem.message
    data, problem = read_file_bytes(Path(f"{tmp_path}/a\0b.toml"))
    assert data is None and problem is not None and problem.message == "path contains a NUL byte"


# -- integer, nesting and field-size limits ------------------------------------------------

def case_line(**fields: str) -> str:
    base = {"id": '"c1"', "model": '"llama-3.1-8b"', "gpu": '"h100"', "isl": "1000", "osl": "100"}
    base.update(fields)
    return "{" + ",".join(f'"{k}":{v}' for k, v in base.items()) + "}\n"


@pytest.mark.parametrize("bad", [{"isl": HUGE_INT}, {"isl": TOO_BIG_FOR_FLOAT}, {"id": "[" * 5000 + "]" * 5000},
                                 {"id": "[" * 900 + "]" * 900}],
                         ids=["5000-digits", "400-digits", "5000-deep", "900-deep"])
def test_estimate_cases_bad_json_line_is_an_error_line(bad: dict[str, str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(case_line(**bad) + case_line(id='"c2"'))
    code, out, err = cli(capsys, "estimate", "--cases", str(cases))
    assert code == 0 and "Traceback" not in err, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert "error" in first and len(first["error"]) < 200 and "error" not in second


def test_estimate_cases_huge_csv_field_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("id,model,gpu,isl,osl\n1,llama-3.1-8b,h100,1000," + "9" * 200_000 + "\n")
    code, out, err = cli(capsys, "estimate", "--cases", str(cases))
    assert code == 2 and out == "" and "field larger than" in one_line(err)


def vllm_result(**overrides: str) -> str:
    path = Path(__file__).parent / "fixtures" / "measured" / \
        "vllm-infqps-concurrency16-Llama-3.1-8B-Instruct-20250612-101500.json"
    data = json.loads(path.read_text())
    text = json.dumps(data)
    for key, raw in overrides.items():
        data[key] = 0
        text = json.dumps(data).replace(f'"{key}": 0', f'"{key}": {raw}')
    return text


@pytest.mark.parametrize("raw", [HUGE_INT, TOO_BIG_FOR_FLOAT, "[" * 5000 + "]" * 5000],
                         ids=["5000-digits", "400-digits", "5000-deep"])
@pytest.mark.parametrize("command", [("calibrate", "--gpu", "h100", "-o", "out.toml"), ("validate", "--gpu", "h100",
                                                                                      "--data")])
def test_measured_json_limits_are_one_line(raw: str, command: tuple[str, ...], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = tmp_path / "result.json"
    result.write_text(vllm_result(completed=raw))
    code, out, err = cli(capsys, *command, str(result))
    assert code == 2 and out == ""
    one_line(err)


def test_validate_huge_csv_field_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bench.csv"
    data.write_text("model,precision,gpu,engine,isl,osl,metric,value\n"
                    "llama-3.1-8b,bf16,h100,vllm,1000,100,throughput," + "9" * 200_000 + "\n")
    code, out, err = cli(capsys, "validate", "--data", str(data))
    assert code == 2 and out == "" and "field larger than" in one_line(err)


def test_quote_from_huge_integer_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quote = tmp_path / "q.json"
    quote.write_text('{"request": {"model": "llama-3.1-8b", "isl": ' + HUGE_INT + '}}')
    code, _, err = cli(capsys, "quote", "--from", str(quote))
    assert code == 2 and "number" in one_line(err)


# -- writers -------------------------------------------------------------------------------

def test_output_onto_a_fifo_is_refused_even_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "schema"
    fifo.mkdir()
    os.mkfifo(fifo / "catalog.schema.json")
    code, _, err = cli(capsys, "schema", "catalog", "-o", str(fifo), "--force")
    assert code == 2 and "not a regular file" in one_line(err)
    assert stat.S_ISFIFO(os.lstat(fifo / "catalog.schema.json").st_mode)


def test_output_onto_a_character_device_is_refused_even_with_force(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot create a device node here")
    code, _, err = cli(capsys, "quote", "--model", "70b", "-o", str(device), "--force")
    assert code == 2 and "not a regular file" in one_line(err)
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_schema_never_writes_through_a_planted_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "catalogs"
    folder.mkdir()
    (folder / "catalog.schema.json").symlink_to(victim)
    for extra in ((), ("--force",)):
        code, _, err = cli(capsys, "schema", "-o", str(folder), *extra)
        assert code == 2 and "symlink" in one_line(err)
        assert victim.read_text() == "precious"


def test_schema_needs_force_to_replace_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.schema.json").write_text("mine")
    code, _, err = cli(capsys, "schema", "config", "-o", str(tmp_path))
    assert code == 2 and "already exists (use --force" in one_line(err)
    assert (tmp_path / "config.schema.json").read_text() == "mine"
    code, _, err = cli(capsys, "schema", "config", "-o", str(tmp_path), "--force")
    assert code == 0 and json.loads((tmp_path / "config.schema.json").read_text())["title"]
    assert [p.name for p in tmp_path.iterdir()] == ["config.schema.json"]


def test_a_write_sweeps_its_own_stale_temporary_files(tmp_path: Path) -> None:
    from advisor.files import write_atomic

    stale, fresh, other = (tmp_path / n for n in (".advisor-q.md.abc.tmp", ".advisor-q.md.def.tmp", ".q.md.x.tmp"))
    for path in (stale, fresh, other):
        path.write_text("partial")
    hour_ago = time.time() - 3600
    for path in (stale, other):
        os.utime(path, (hour_ago, hour_ago))
    write_atomic(tmp_path / "q.md", b"quote", overwrite=False)
    assert not stale.exists() and fresh.exists() and other.exists()
    assert (tmp_path / "q.md").read_bytes() == b"quote"


class Full(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_stdout_write_error_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", Full())
    code = main(["--no-discover", "quote", "--model", "70b", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2 and one_line(err) == "advisor: cannot write to stdout: No space left on device"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("argv", [("quote", "--model", "70b"), ("gpus",)])
def test_dev_full_is_one_line_in_a_real_process(argv: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "advisor", "--no-discover", *argv], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "advisor: cannot write to stdout: No space left on device\n"
