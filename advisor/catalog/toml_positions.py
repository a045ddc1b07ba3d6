"""Line numbers for key paths in a TOML document, so problems can say `file:line`.

The TOML parser returns plain dicts without positions. `KeyLines` scans the text once (only when a
problem must be reported: the happy path uses the cheap `header_lines`) and records the line
where each key path first appears: `("offering", 3, "price_per_node_hour")` for the fourth
`[[offering]]` table, dotted keys, inline tables and arrays included. The text has already been
parsed by tomli, so the scanner can be lenient. Must not import anything beyond the stdlib.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")
# Runs skipped with one regex step each, not a Python step per character (hostile files hold
# megabytes of blanks or of one string).
_BLANKS = re.compile(r"[ \t\r]*")
_BLANKS_AND_LINES = re.compile(r"[ \t\r\n]*")
_BASIC_BODY = re.compile(r'[^"\\\n]*(?:\\.[^"\\\n]*)*')
_LITERAL_BODY = re.compile(r"[^'\n]*")
_ML_BASIC_BODY = re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*', re.S)
_ML_LITERAL_BODY = re.compile(r"[^']*(?:'(?!'')[^']*)*")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*([A-Za-z0-9_-]+)[ \t]*\]\][ \t]*(?:#.*)?$", re.M)


def header_lines(text: str, names: Iterable[str]) -> dict[str, list[int]]:
    """Line of each top-level `[[name]]` header, in order (a regex: fast, no full scan)."""
    wanted = set(names)
    found: dict[str, list[int]] = {name: [] for name in wanted}
    line = 1
    last = 0
    for match in _HEADER.finditer(text):
        if match.group(1) in wanted:
            line += text.count("\n", last, match.start())
            last = match.start()
            found[match.group(1)].append(line)
    return found


class KeyLines:
    """Map from key path to the 1-based line it was written on."""

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        _Scanner(text, self.lines).run()

    def line_of(self, path: KeyPath) -> int | None:
        """Line of `path`, or of its longest known prefix; None when nothing matches."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class _Scanner:
    """A lenient recursive-descent walk over already-valid TOML, recording key lines."""

    def __init__(self, text: str, lines: dict[KeyPath, int]) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines = lines
        self.aot_counts: dict[KeyPath, int] = {}

    # -- low level -------------------------------------------------------------------------
    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _skip_space(self, newlines: bool) -> None:
        """Skip blanks (and, if allowed, newlines and comments)."""
        blanks = _BLANKS_AND_LINES if newlines else _BLANKS
        while self.pos < len(self.text):
            run = blanks.match(self.text, self.pos)
            self._advance(run.end() - self.pos)  # type: ignore[union-attr]
            if newlines and self._peek() == "#":
                self._skip_line()
            else:
                return

    def _skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self._advance((len(self.text) if end < 0 else end) - self.pos)

    def _mark(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    # -- keys ------------------------------------------------------------------------------
    def _key_part(self) -> str:
        ch = self._peek()
        if ch in "\"'":
            return self._string()
        match = _BARE_KEY.match(self.text, self.pos)
        if not match:  # not valid TOML; give up on this line rather than loop
            self._skip_line()
            return ""
        self._advance(match.end() - self.pos)
        return match.group(0)

    def _dotted_key(self) -> list[str]:
        parts = [self._key_part()]
        self._skip_space(newlines=False)
        while self._peek() == ".":
            self._advance()
            self._skip_space(newlines=False)
            parts.append(self._key_part())
            self._skip_space(newlines=False)
        return parts

    # -- values ----------------------------------------------------------------------------
    def _string(self) -> str:
        quote = self._peek()
        if self._peek(3) == quote * 3:
            return self._multiline_string(quote)
        start = self.pos + 1
        body = (_BASIC_BODY if quote == '"' else _LITERAL_BODY).match(self.text, start)
        self._advance(body.end() - self.pos)  # type: ignore[union-attr]
        value = self.text[start : self.pos]
        self._advance()
        return value

    def _multiline_string(self, quote: str) -> str:
        self._advance(3)
        start = self.pos
        body = (_ML_BASIC_BODY if quote == '"' else _ML_LITERAL_BODY).match(self.text, start)
        self._advance(body.end() - self.pos)  # type: ignore[union-attr]
        if self.pos >= len(self.text):
            return self.text[start:]
        # Up to two extra quotes may close the string ('""""' ends with a quote).
        while self._peek(4) == quote * 4:
            self._advance()
        value = self.text[start : self.pos]
        self._advance(3)
        return value

    def _value(self, path: KeyPath) -> None:
        ch = self._peek()
        if ch in "\"'":
            self._string()
        elif ch == "[":
            self._array(path)
        elif ch == "{":
            self._inline_table(path)
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            self._advance((match.start() if match else len(self.text)) - self.pos)

    def _array(self, path: KeyPath) -> None:
        self._advance()
        index = 0
        while self.pos < len(self.text):
            self._skip_space(newlines=True)
            if self._peek() == "]":
                self._advance()
                return
            if self._peek() == ",":
                self._advance()
                continue
            self._mark((*path, index), self.line)
            self._value((*path, index))
            index += 1

    def _inline_table(self, path: KeyPath) -> None:
        self._advance()
        while self.pos < len(self.text):
            self._skip_space(newlines=True)
            ch = self._peek()
            if ch == "}":
                self._advance()
                return
            if ch == ",":
                self._advance()
                continue
            self._key_value(path)

    def _key_value(self, base: KeyPath) -> None:
        line = self.line
        keys = self._dotted_key()
        full = (*base, *keys)
        self._mark(full, line)
        self._skip_space(newlines=False)
        if self._peek() == "=":
            self._advance()
            self._skip_space(newlines=False)
            self._value(full)

    # -- tables ----------------------------------------------------------------------------
    def _resolve(self, keys: list[str]) -> KeyPath:
        """Concrete path of a header key: each array-of-tables prefix gets its last index."""
        concrete: KeyPath = ()
        for key in keys:
            concrete = (*concrete, key)
            count = self.aot_counts.get(concrete)
            if count:
                concrete = (*concrete, count - 1)
        return concrete

    def _header(self) -> KeyPath:
        line = self.line
        double = self._peek(2) == "[["
        self._advance(2 if double else 1)
        self._skip_space(newlines=False)
        keys = self._dotted_key()
        self._advance(2 if double else 1)
        if not double:
            path = self._resolve(keys)
        else:
            array = (*self._resolve(keys[:-1]), keys[-1])
            count = self.aot_counts.get(array, 0)
            self.aot_counts[array] = count + 1
            path = (*array, count)
        self._mark(path, line)
        return path

    def run(self) -> None:
        table: KeyPath = ()
        while True:
            self._skip_space(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self._peek() == "[":
                table = self._header()
            else:
                self._key_value(table)
            if self.pos == start:  # defensive: never spin on unexpected input
                self._advance()
