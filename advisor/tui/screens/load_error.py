"""The screen shown instead of the app when the catalogs or a team file cannot be loaded.

Lists every problem as `file:line: key: message (did you mean …)`, says how to fix and check
the files, and quits with the loader's exit code (3 for a discovered file, 2 for --config).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from advisor.errors import AdvisorError
from advisor.export.terminal import safe_text


def error_text(err: AdvisorError) -> Text:
    lines = err.lines()
    text = Text(f"advisor could not load its data: {len(lines)} problem{'s' if len(lines) != 1 else ''}\n\n",
                style="bold red")
    for line in lines:
        text.append("  • ", style="red").append(safe_text(line) + "\n")
    text.append("\nFix the file(s) above and start advisor again. `advisor check PATH` validates a file; "
                "`advisor --no-discover` starts with the built-in data only.\n", style="dim")
    return text


class LoadErrorScreen(Screen):
    BINDINGS = [Binding("ctrl+q,q,escape", "quit_with_error", "Quit", id="error-quit",
                        tooltip="Leave advisor (exit code says what failed)")]

    def __init__(self, err: AdvisorError) -> None:
        super().__init__(id="load-error")
        self.err = err

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Static("Cannot start", classes="dialog-title")
            with VerticalScroll():
                yield Static(error_text(self.err), id="error-text", markup=False)
        yield Footer()

    def action_quit_with_error(self) -> None:
        self.app.exit(self.err.exit_code)
