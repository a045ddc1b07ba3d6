"""Safe reading of any TOML file the tool is given: bytes to a bounded, parsed document.

Owns byte-level limits (size, encoding, BOM, NUL), parsing with tomli and everything it can
raise besides parse errors (RecursionError, ValueError on huge integers), structural bounds
(nesting depth, key and string lengths, item counts), and `ParsedToml`, which maps key paths to
lines for `file:line` problems. Used by `advisor.catalog.loaders` (catalogs) and `advisor.catalog.config` (team
config). Must not import pydantic, textual, rich, httpx or pint.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from advisor.catalog.toml_positions import KeyLines, KeyPath
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, Problem
from advisor.files import InputError, read_input

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 10
MAX_KEY_CHARS = 100
MAX_STRING_CHARS = 10_000
MAX_ITEMS = 10_000  # per array or table: bounds the work of validating one file
# Checked on the text before the parser sees it, because the parser's time grows with them:
# ~10 µs per line, comma, bracket or escape (a 2 MiB array of 1M numbers takes seconds), and
# time quadratic in the parts of one dotted key (`a.a.a…` with 1M parts never finishes).
MAX_TOKENS = 20_000  # lines, commas, brackets, backslashes: ~25 per offering; built-ins ≤ 1,200
MANY_KEY_PARTS = 200  # a key this deep fails the depth bound anyway; found before parsing


class ParsedToml:
    """A parsed document with lazily computed key lines (only needed to report problems)."""

    def __init__(self, path: str, text: str, data: dict[str, Any], sha256: str) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.sha256 = sha256
        self._lines: KeyLines | None = None

    def line_of(self, key_path: KeyPath) -> int | None:
        if self._lines is None:
            self._lines = KeyLines(self.text)
        return self._lines.line_of(key_path)

    def problem(self, key_path: KeyPath, message: str, suggestion: str | None = None) -> Problem:
        return Problem(self.path, self.line_of(key_path), dotted(key_path), message, suggestion)


def printable(text: str) -> str:
    """Text safe for a terminal line: unprintable characters (ESC, bidi overrides …) escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def dotted(key_path: KeyPath) -> str:
    """`('offering', 2, 'commitments', 0, 'term')` -> `offering[2].commitments[0].term`."""
    text = ""
    for part in key_path:
        part = part if isinstance(part, int) else printable(str(part)[:MAX_KEY_CHARS])
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# -- bytes and text ------------------------------------------------------------------------

def read_file_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    """Read at most MAX_FILE_BYTES through `advisor.files.read_input`; a problem instead of an error.

    Only regular files are opened: a FIFO named `x.toml` would block the read forever and a
    device such as /dev/zero never ends.
    """
    try:
        return read_input(path, max_bytes=MAX_FILE_BYTES, what="a .toml file"), None
    except InputError as err:
        message = f"cannot read file: {err.os_error}" if err.os_error else err.reason
        return None, Problem(str(path), None, "", message)


def decode_text(data: bytes, path: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text of a file, or one problem saying why it is not (size, BOM, UTF-16, binary)."""
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(path, None, "", f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    if data.startswith(b"\xef\xbb\xbf"):
        return None, Problem(path, 1, "", "file starts with a byte-order mark; save it as UTF-8 without BOM")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return None, Problem(path, 1, "", "file is UTF-32; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(path, 1, "", "file is UTF-16; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return None, Problem(path, line, "",
                             "file contains NUL bytes (binary, UTF-16 or UTF-32?); TOML must be UTF-8 text")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        return None, Problem(path, line, "", f"invalid UTF-8 (byte 0x{byte:02x}); TOML must be UTF-8 text")


# -- parsing -------------------------------------------------------------------------------

_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")
_LONG_DIGITS = re.compile(r"[0-9_]{200,}")


def _decode_error_problem(exc: ValueError, text: str, path: str) -> Problem:
    message = str(exc)
    line: int | None = None
    match = _AT_LINE.search(message)
    if match:
        line = int(match.group(1))
        message = message[: match.start()]
    elif _AT_END.search(message):
        line = text.count("\n") + 1
        message = _AT_END.sub("", message)
    key = ""
    if message.startswith("Cannot overwrite a value") or "twice" in message:
        key = _key_on_line(text, line)
        first = _first_definition(text, line, key)
        where = f" (first defined at line {first})" if first else ""
        message = f"duplicate key: defined twice in one table{where}"
    return Problem(path, line, key, f"invalid TOML: {message}{_hint(text, line)}" if not key else message)


_DATE_LIKE = re.compile(r"(?<![\w.:-])\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
                        r"(?:Z|[+-]\d{1,2}:\d{1,2})?(?![\w:-])")


def _hint(text: str, line: int | None) -> str:
    """Why the parser's message (often 'Expected newline …') was raised, when the line shows it."""
    if not line:
        return ""
    source = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
    if "\r" in source.rstrip("\r"):
        return " (bare carriage returns: save the file with LF or CRLF line endings)"
    import tomli

    for match in _DATE_LIKE.finditer(source.split("#", 1)[0]):
        try:
            tomli.loads(f"x = {match.group()}")
        except tomli.TOMLDecodeError:
            return f" (not a valid date or time: {match.group()!r}; write e.g. 2025-06-01)"
    return ""


def _key_on_line(text: str, line: int | None) -> str:
    if not line:
        return ""
    lines = text.split("\n")  # the parser's line numbers count "\n" only, not \r or \u2028
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    head = source.split("=", 1)[0].strip() if "=" in source else source.strip()
    return head[:MAX_KEY_CHARS]


def _first_definition(text: str, line: int | None, key: str) -> int | None:
    """The earlier line defining the same key or table header, scanning back (best effort)."""
    if not line or not key:
        return None
    lines = text.split("\n")
    for number in range(line - 1, 0, -1):
        source = lines[number - 1].strip()
        if key.startswith("["):
            if source.replace(" ", "") == key.replace(" ", ""):
                return number
        elif source.split("=", 1)[0].strip() == key and "=" in source:
            return number
    return None


def _deep_line(text: str) -> int | None:
    """First line where brackets nest deeper than MAX_DEPTH (strings ignored roughly)."""
    depth = 0
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


_KEY_START = re.compile(r"[{,\[]")
_KEY_RUN = re.compile(  # MANY_KEY_PARTS dotted key parts (bare, "basic" or 'literal')
    r"""[ \t]*+(?:(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')[ \t]*+\.[ \t]*+)"""
    + f"{{{MANY_KEY_PARTS}}}")


def _token_count(text: str) -> int:
    return sum(text.count(ch) for ch in "\n,[{\\")


def _many_part_key_line(text: str) -> int | None:
    """Line of a dotted key with MANY_KEY_PARTS parts or more (only long lines can hold one).

    Called after the token bound, so there are few lines. Keys start a line or follow `[`,
    `{` or `,`; each start is matched once, anchored, so the scan is linear in the line.
    """
    if text.count(".") < MANY_KEY_PARTS:
        return None
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) < 2 * MANY_KEY_PARTS or line.count(".") < MANY_KEY_PARTS:
            continue
        starts = [0, *(start.end() for start in _KEY_START.finditer(line))]
        if any(_KEY_RUN.match(line, start) for start in starts):
            return number
    return None


def _pre_parse_problem(text: str, path: str) -> Problem | None:
    """What would make the parser slow, found with cheap scans of the text."""
    if _token_count(text) > MAX_TOKENS:
        return Problem(path, None, "", f"file has more than {MAX_TOKENS} lines, commas, brackets and "
                       "backslashes together; split it into smaller files")
    line = _many_part_key_line(text)
    if line is not None:
        return Problem(path, line, "", f"nesting deeper than {MAX_DEPTH} levels (a dotted key of "
                       f"{MANY_KEY_PARTS} parts or more)")
    return None


def parse_toml(text: str, path: str, sha256: str = "") -> tuple[ParsedToml | None, Problem | None]:
    """Parse text with tomli (the compiled build of the parser Python ships as tomllib: about a
    third of its time on the built-in catalogs); every exception it raises becomes one problem."""
    import tomli

    early = _pre_parse_problem(text, path)
    if early is not None:
        return None, early
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        return None, _decode_error_problem(exc, text, path)
    except RecursionError:
        return None, Problem(path, _deep_line(text), "", f"nesting deeper than {MAX_DEPTH} levels")
    except ValueError as exc:  # e.g. an integer over Python's 4300-digit conversion limit
        match = _LONG_DIGITS.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        reason = "number too large" if "digits" in str(exc) else f"invalid value: {exc}"
        return None, Problem(path, line, "", reason)
    return ParsedToml(path, text, data, sha256), None


def read_toml(data: bytes, path: str) -> tuple[ParsedToml | None, list[Problem]]:
    """Bytes to a bounded, parsed document, or the problems that stopped it."""
    text, problem = decode_text(data, path)
    if text is None:
        return None, [problem] if problem else []
    parsed, problem = parse_toml(text, path, hashlib.sha256(data).hexdigest())
    if parsed is None:
        return None, [problem] if problem else []
    problems = bounds_problems(parsed)
    return (None if problems else parsed), problems


def _within_bounds(value: Any, depth: int) -> bool:
    """Fast check of every bound (no paths built); the slow walk runs only when it fails."""
    if isinstance(value, str):
        return len(value) <= MAX_STRING_CHARS
    if isinstance(value, dict):
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            return False
        return all(len(k) <= MAX_KEY_CHARS and _within_bounds(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            return False
        return all(_within_bounds(v, depth + 1) for v in value)
    return True


def bounds_problems(parsed: ParsedToml) -> list[Problem]:
    """Depth, key length, string length and item-count limits over the parsed document."""
    if _within_bounds(parsed.data, 0):
        return []
    problems: list[Problem] = []
    stack: list[tuple[KeyPath, Any]] = [((), parsed.data)]
    while stack and len(problems) < 20:
        key_path, value = stack.pop()
        if len(key_path) > MAX_DEPTH:
            problems.append(parsed.problem(key_path[:MAX_DEPTH], f"nesting deeper than {MAX_DEPTH} levels"))
            continue
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            problems.append(parsed.problem(key_path, f"string longer than {MAX_STRING_CHARS} characters"))
        elif isinstance(value, dict | list) and len(value) > MAX_ITEMS:
            problems.append(parsed.problem(key_path, f"more than {MAX_ITEMS} items"))
        elif isinstance(value, dict):
            for key, child in value.items():
                if len(key) > MAX_KEY_CHARS:
                    problems.append(Problem(parsed.path, parsed.line_of((*key_path, key)), dotted(key_path),
                                            f"key longer than {MAX_KEY_CHARS} characters"))
                    continue
                stack.append(((*key_path, key), child))
        elif isinstance(value, list):
            stack.extend(((*key_path, i), child) for i, child in enumerate(value))
    return problems




def raise_problems(problems: Iterable[Problem], exit_code: int = EXIT_BAD_INPUT) -> None:
    """Raise one AdvisorError carrying every problem (no-op when there are none)."""
    found = tuple(_printable_problem(p) for p in problems)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise AdvisorError(found[0].render() + more, exit_code=exit_code, problems=found)


def _printable_problem(problem: Problem) -> Problem:
    return Problem(printable(problem.file), problem.line, printable(problem.key),
                   printable(problem.message), printable(problem.suggestion) if problem.suggestion else None)
