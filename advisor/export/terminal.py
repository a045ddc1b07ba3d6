"""Generic headless output: records (dicts) as a Rich table, JSON or CSV, and safe text.

Everything shown comes from files others wrote, so every cell passes through `safe_text`
(control characters, ANSI escapes and bidi overrides removed) and reaches Rich as a `Text`
object, never as markup: `[bold]` in a model name prints as those characters. CSV cells that
a spreadsheet would run as a formula get a leading quote. JSON escapes by itself.
Rich is imported only when a table is printed. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TextIO

FORMATS = ("table", "json", "csv")

# C0/C1 controls (ESC included), DEL, zero-width, bidi-mark and bidi-override characters,
# line/paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object, *, one_line: bool = True) -> str:
    """`value` as printable text: escape sequences and control characters removed.

    With `one_line`, newlines and tabs become spaces (table cells, one-line messages).
    """
    text = "" if value is None else str(value)
    text = _ANSI.sub("", text)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _UNSAFE.sub("", text)


def csv_cell(value: object) -> object:
    """A CSV-safe cell: numbers as they are; text that starts like a formula gets a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        value = ";".join(safe_text(v) for v in value)
    text = safe_text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class Column(NamedTuple):
    """A table column: header, the record key or a getter for the cell, and alignment."""

    header: str
    get: str | Callable[[dict[str, Any]], object]
    justify: str = "left"  # "left" | "right"

    def cell(self, record: dict[str, Any]) -> object:
        return record.get(self.get) if isinstance(self.get, str) else self.get(record)


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """The `--format table|json|csv` flag every listing command takes."""
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: table)")


def render(records: Sequence[dict[str, Any]], columns: Sequence[Column], fmt: str,
           *, title: str | None = None, out: TextIO | None = None) -> None:
    """Print records in `fmt`: table (the columns), json (whole records) or csv (whole records)."""
    stream = out if out is not None else sys.stdout
    if fmt == "json":
        stream.write(to_json(records) + "\n")
    elif fmt == "csv":
        stream.write(to_csv(records))
    else:
        print_table(records, columns, title=title, out=stream)


def to_json(data: object) -> str:
    """Pretty JSON; non-ASCII kept, every invisible or control character escaped."""
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# What json.dumps(ensure_ascii=False) leaves raw but a terminal acts on: DEL, C1 controls
# (0x9b is CSI), zero-width and bidi-override characters, line/paragraph separators, BOM.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def json_safe(text: str) -> str:
    """JSON text with those characters written as \\uXXXX escapes: the same data, shown inert.

    They can only occur inside JSON strings, where the escape is equivalent.
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_csv(records: Sequence[dict[str, Any]]) -> str:
    """CSV of flat records: nested values as JSON text, lists joined by ';'."""
    headers: list[str] = []
    for record in records:
        headers.extend(k for k in record if k not in headers)
    return csv_text(headers, ([_csv_value(record.get(h)) for h in headers] for record in records))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header line and the rows as CSV text (cells already neutralized by the caller)."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _csv_value(value: object) -> object:
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
        return csv_cell(json.dumps(value, ensure_ascii=False, default=str))
    return csv_cell(value)


def print_table(records: Iterable[dict[str, Any]], columns: Sequence[Column], *,
                title: str | None = None, out: TextIO | None = None) -> None:
    """A Rich table of the columns; every cell is plain text (no markup is interpreted)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(safe_text(title)) if title else None, header_style="bold")
    for column in columns:
        table.add_column(Text(safe_text(column.header)), justify=column.justify)  # type: ignore[arg-type]
    for record in records:
        table.add_row(*(Text(safe_text(_cell(column.cell(record)))) for column in columns))
    console = Console(file=out if out is not None else sys.stdout, highlight=False, soft_wrap=False)
    console.print(table)


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning on stderr as `advisor: warning: …`, escape sequences removed."""
    for warning in warnings:
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)


def print_lines(lines: Iterable[str], *, out: TextIO | None = None) -> None:
    """Plain lines of text (already built by the caller), each made safe."""
    stream = out if out is not None else sys.stdout
    for line in lines:
        stream.write(safe_text(line) + "\n")


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


# -- human units for table cells -----------------------------------------------------------

def gib(bytes_: float | None) -> str:
    return "—" if bytes_ is None else f"{bytes_ / 2**30:,.1f} GiB"


def tb_per_s(bytes_per_s: float | None) -> str:
    return "—" if bytes_per_s is None else f"{bytes_per_s / 1e12:,.2f} TB/s"


def gb_per_s(bytes_per_s: float | None) -> str:
    return "—" if bytes_per_s is None else f"{bytes_per_s / 1e9:,.0f} GB/s"


def tflops(flops_per_s: float | None) -> str:
    return "—" if flops_per_s is None else f"{flops_per_s / 1e12:,.0f} TFLOPS"


def billions(count: float | None) -> str:
    return "—" if count is None else f"{count / 1e9:,.1f} B"


def per_hour(amount: float | None, currency: str) -> str:
    return "—" if amount is None else f"{amount:,.2f} {currency}/h"


def download_progress(url: str, after_s: float) -> RichProgress | None:
    """A Rich bar on stderr for a slow remote-catalog download, only when stderr is a terminal
    (the CLI installs this as `advisor.catalog.remote.progress_factory`)."""
    isatty = getattr(sys.stderr, "isatty", None)  # stderr is None under pythonw
    if isatty is None or not isatty():
        return None
    return RichProgress(url, after_s)


class RichProgress:
    """A transient Rich progress bar that appears once a download has run `after_s`."""

    def __init__(self, url: str, after_s: float, console: Any = None) -> None:
        self.url = url
        self.after_s = after_s
        self.console = console
        self._progress: Any = None  # a rich.progress.Progress once shown
        self._task: Any = None

    def update(self, done_bytes: int, total_bytes: int | None, elapsed_s: float) -> None:
        if self._progress is None:
            if elapsed_s < self.after_s:
                return
            self._start(total_bytes)
        self._progress.update(self._task, completed=done_bytes)

    def _start(self, total_bytes: int | None) -> None:
        from rich.console import Console  # only once a download is slow
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        console = self.console or Console(stderr=True)
        # markup=False: the description is a URL from a config file; TextColumn would parse it.
        self._progress = Progress(
            TextColumn("fetching {task.description}", markup=False), BarColumn(), DownloadColumn(),
            console=console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(safe_text(self.url), total=total_bytes)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
