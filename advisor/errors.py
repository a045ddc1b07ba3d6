"""Error types and exit codes shared by every layer. Imports nothing heavy.

Exit codes are part of the public API:
  0 success, 1 nothing feasible (search found no offering), 2 bad input (flags, request, a
  file given on the command line, an output that cannot be written: `-o FILE` or a full or
  failing stdout), 3 bad catalog or profile (a file the tool discovered), 70 internal error (a
  bug: the interactive app crashed; sysexits' EX_SOFTWARE). A closed stdout pipe ends the
  command quietly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

EXIT_OK = 0
EXIT_NOTHING_FEASIBLE = 1
EXIT_BAD_INPUT = 2
EXIT_BAD_CATALOG = 3
EXIT_INTERNAL = 70

# difflib's own default: loose enough for one or two slipped letters, strict enough that an
# unrelated word gets no suggestion.
SUGGEST_CUTOFF = 0.6


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like a misspelt `word`, if one is close enough; else None."""
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=SUGGEST_CUTOFF)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, else an empty string."""
    return hint_text(closest(word, choices))


def hint_text(suggestion: str | None) -> str:
    """` (did you mean 'x'?)`, or an empty string without a suggestion."""
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


class Problem(NamedTuple):
    """One problem found in a file: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str
    suggestion: str | None = None

    def render(self) -> str:
        """`file:line: key: message (did you mean …)` on one line."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        text = f"{where}:{key} {self.message}{hint_text(self.suggestion)}"
        return " ".join(text.split())


class AdvisorError(Exception):
    """The one error type the tool raises for anything a user can fix.

    `exit_code` is what the CLI exits with; `problems` holds every problem found when a file
    was checked, so all of them are reported at once.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_BAD_INPUT,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.problems = problems

    def lines(self) -> list[str]:
        """Every line to print on stderr, one per problem (or the message alone)."""
        if self.problems:
            return [p.render() for p in self.problems]
        return [" ".join(self.message.split())]
