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

from advisor.export.fit import Kind

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
    """A table column: header, the record key or a getter for the cell, alignment, and how it
    fits a narrow terminal (see `advisor.export.fit`)."""

    header: str
    get: str | Callable[[dict[str, Any]], object]
    justify: str = "left"  # "left" | "right"
    kind: Kind = "whole"  # "whole": shown in full or dropped; "text": may end in "…"; "wrap"
    priority: int | None = None  # lower is kept longer as the width shrinks; None: its position
    name: str = ""  # its name for --columns; default: the header in lower case, '-' for spaces

    def cell(self, record: dict[str, Any]) -> object:
        return record.get(self.get) if isinstance(self.get, str) else self.get(record)

    @property
    def key(self) -> str:
        return self.name or "-".join(self.header.lower().split())


MIN_WIDTH = 20  # --width below this is a typo, not a terminal
DEFAULT_WIDTH = 80  # no --width, no $COLUMNS and no terminal on stdout or stderr


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """The `--format table|json|csv` flag every listing command takes, and the table's flags."""
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: table)")
    add_table_arguments(parser)


def add_table_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *,
                        columns: bool = True) -> None:
    """`--width N` and (unless the command prints several tables) `--columns a,b,c`."""
    parser.add_argument("--width", type=_width, metavar="N",
                        help="table width in characters (default: $COLUMNS, else the terminal's, "
                             f"else {DEFAULT_WIDTH})")
    if columns:
        parser.add_argument("--columns", metavar="LIST",
                            help="table columns to show, in order (default: what fits the width; "
                                 "a wrong name lists them all)")


def _width(text: str) -> int:
    from advisor.errors import AdvisorError

    if not text.strip().isdigit() or int(text) < MIN_WIDTH:
        raise AdvisorError(f"--width {safe_text(text)[:20]!r} is not a width: give at least "
                           f"{MIN_WIDTH} characters")
    return int(text)


def table_width(requested: int | None = None) -> int:
    """Characters a table may take: --width, else $COLUMNS (honoured when piped), else the
    terminal of stdout, else that of stderr (`advisor … | less` is still read on a terminal),
    else 80."""
    import os

    if requested:
        return requested
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) >= MIN_WIDTH:
        return int(columns)
    for stream in (sys.stdout, sys.stderr):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal, or no file descriptor
            continue
    return DEFAULT_WIDTH


def pick_columns(columns: Sequence[Column], names: str | None) -> list[Column] | None:
    """The columns `--columns` names, in its order; None without the flag. A name that is not
    a column is exit 2, with a did-you-mean and every name."""
    if names is None:
        return None
    from advisor.errors import AdvisorError, closest, hint_text

    by_key = {column.key: column for column in columns}
    picked: list[Column] = []
    for name in (part.strip().lower() for part in names.split(",") if part.strip()):
        if name not in by_key:
            raise AdvisorError(f"--columns: unknown column {safe_text(name)[:40]!r}"
                               f"{hint_text(closest(name, by_key))}; columns: {', '.join(by_key)}")
        if by_key[name] not in picked:
            picked.append(by_key[name])
    if not picked:
        raise AdvisorError(f"--columns names no column; columns: {', '.join(by_key)}")
    return picked


def render(records: Sequence[dict[str, Any]], columns: Sequence[Column], fmt: str,
           *, title: str | None = None, out: TextIO | None = None, width: int | None = None,
           chosen: str | None = None) -> None:
    """Print records in `fmt`: table (the columns that fit `width`, or those the `--columns`
    list `chosen` names), json (whole records) or csv (whole records)."""
    stream = out if out is not None else sys.stdout
    if fmt == "json":
        stream.write(to_json(records) + "\n")
    elif fmt == "csv":
        stream.write(to_csv(records))
    else:
        print_table(records, columns, title=title, out=stream, width=width,
                    chosen=pick_columns(columns, chosen))


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
                title: str | None = None, out: TextIO | None = None, width: int | None = None,
                chosen: Sequence[Column] | None = None, styles: Sequence[str | None] | None = None,
                say_hidden: bool = True, hint: str = "--columns, --width") -> str:
    """A Rich table of the columns that fit `width` (see `table_width`), or of `chosen` ones;
    every cell is plain text (no markup is interpreted). `styles`: a Rich style per row (None:
    plain). Returns the line naming the columns left out ('' when none) and the flags that
    show them (`hint`), printed under the table unless `say_hidden` is false (the caller
    prints it later)."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from advisor.export.fit import Spec, fit, title_lines

    limit = table_width(width)
    used = list(chosen if chosen is not None else columns)
    rows = [[safe_text(_cell(column.cell(record))) for column in used] for record in records]
    specs = [Spec(safe_text(c.header), c.kind, i if c.priority is None else c.priority)
             for i, c in enumerate(used)]
    fitted = fit(specs, rows, limit, cell_len, chosen=chosen is not None)
    target = out if out is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    to_terminal = bool(isatty and isatty())
    # Not a terminal: drawn into a buffer first, so files and pipes get no trailing padding.
    buffer = io.StringIO()
    console = Console(file=target if to_terminal else buffer, highlight=False, soft_wrap=False,
                      width=max(limit, fitted.total))
    for line in title_lines(safe_text(title), limit) if title else ():
        console.print(Text(line))
    # No vertical rules: two blanks between columns leave the width to the numbers.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  header_style="bold")
    for index, cells in zip(fitted.shown, fitted.widths, strict=True):
        column = used[index]
        table.add_column(Text(specs[index].header), justify=column.justify,  # type: ignore[arg-type]
                         width=cells, no_wrap=column.kind != "wrap", overflow="ellipsis")
    for number, row in enumerate(rows):
        table.add_row(*(Text(row[i]) for i in fitted.shown),
                      style=styles[number] if styles is not None else None)
    console.print(table)
    hidden = ", ".join(used[i].key for i in fitted.hidden)
    line = f"Columns hidden to fit {limit} characters: {hidden} ({hint})." if hidden else ""
    if line and say_hidden:
        console.print(Text(line))
    if not to_terminal:
        target.write("".join(part.rstrip() + "\n" for part in buffer.getvalue().splitlines()))
    return line


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning on stderr as `advisor: warning: …`, escape sequences removed."""
    for warning in warnings:
        print(f"advisor: warning: {safe_text(warning)}", file=sys.stderr)


def print_lines(lines: Iterable[str], *, out: TextIO | None = None, wrap: bool = False,
                width: int | None = None) -> None:
    """Plain lines of text (already built by the caller), each made safe; with `wrap`, each is
    broken between words to `table_width(width)`, like a table above them."""
    import textwrap

    stream = out if out is not None else sys.stdout
    limit = table_width(width) if wrap else 0
    for line in lines:
        text = safe_text(line)
        wrapped = textwrap.wrap(text, limit, break_long_words=False, break_on_hyphens=False) if limit else [text]
        stream.write("\n".join(wrapped or [text]) + "\n")


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
