"""Export dialog: write the current quote to a file, through `advisor quote -o`'s own code.

The document is rendered by `advisor.export.render` (md, json, csv, html — the formats
`advisor.export.Format` lists) with the CLI's selection rules (`ExportOptions`: the top 10
feasible offerings, or with "all" every offering and the reasons of the infeasible ones, as
`--all` does), and written by `advisor.export.write.write_document` — atomic, and an existing
file is replaced only after the user confirms. Problems (a missing folder, no permission)
show in the dialog, never as a crash.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from advisor.errors import AdvisorError
from advisor.quote.build import Quote
from advisor.tui.dialogs.confirm import ConfirmDialog
from advisor.tui.widgets.tick import TickBox


def export_formats() -> tuple[str, ...]:
    """Document formats `advisor quote -o` writes."""
    from advisor.export import Format

    return tuple(f.value for f in Format)


def formats_text() -> str:
    """'md, json, csv or html': the formats, for help texts (never a hand-kept list)."""
    *rest, last = export_formats()
    return f"{', '.join(rest)} or {last}" if rest else last


def suffix(fmt: str) -> str:
    from advisor.export import extension

    return extension(fmt)


def write_quote(quote: Quote, path: Path, fmt: str, *, everything: bool, force: bool) -> None:
    """Render `quote` in `fmt` and write it to `path` atomically (AdvisorError on failure).

    `everything`: every offering, infeasible ones with their reasons (`--all`); otherwise the
    CLI's default selection (the top feasible offerings).
    """
    from advisor.export import ExportOptions, render
    from advisor.export.write import write_document

    options = ExportOptions(top=None, include_infeasible=True, reasons=True) if everything else ExportOptions()
    write_document(str(path), render(quote, fmt, options), force=force)


def default_path(quote: Quote, fmt: str) -> str:
    return f"quote-{quote.model.id.replace('/', '-')}.{suffix(fmt)}"


class ExportDialog(ModalScreen[str | None]):
    """Format, path, rows; dismisses with the written path, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel", tooltip="Close without writing")]

    def __init__(self, quote: Quote) -> None:
        super().__init__(id="export-dialog")
        self.quote = quote
        self.formats = export_formats()

    def compose(self) -> ComposeResult:
        fmt = self.formats[0]
        with Vertical(classes="dialog"):
            yield Static("Export quote", classes="dialog-title")
            with Horizontal(classes="field-row"):
                yield Label("Format", classes="field-label")
                yield Select([(f, f) for f in self.formats], value=fmt, allow_blank=False, id="export-format",
                             compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Path", classes="field-label")
                yield Input(default_path(self.quote, fmt), id="export-path", compact=True)
            yield TickBox("every offering (infeasible ones with reasons), like --all", False,
                           id="export-infeasible", compact=True)
            yield Static("", id="export-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value)
        if path.suffix.lstrip(".") in {suffix(f) for f in self.formats}:
            path_input.value = str(path.with_suffix("." + suffix(str(event.value))))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _export(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if not str(path) or str(path) == ".":
            self._error("type a file path")
            return
        if path.exists() and not path.is_dir():
            self.app.push_screen(ConfirmDialog(f"{path} exists. Replace it?"),
                                 lambda yes: self._write(path, force=True) if yes else None)
            return
        self._write(path, force=False)

    def _write(self, path: Path, *, force: bool) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        everything = self.query_one("#export-infeasible", Checkbox).value
        try:
            write_quote(self.quote, path, fmt, everything=everything, force=force)
        except AdvisorError as err:
            self._error(err.message)
            return
        self.dismiss(str(path))

    def _error(self, message: str) -> None:
        line = self.query_one("#export-error", Static)
        line.update(f"↳ {message}")
        line.add_class("-shown")
