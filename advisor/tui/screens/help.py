"""The help screen (F1, or `?` where no text field has focus): a short how-to and every key.

The key list is read from the `BINDINGS` of the app, the screens, the dialogs and the widgets
that have keys of their own (`binding_sources`), inherited Textual keys included, so a new
binding shows up here without anyone editing a list; the how-to names keys by binding id for
the same reason. The text is built as Rich `Text`, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from advisor.tui.pickers import MARKS

Section = tuple[str, list[tuple[str, str, str]]]  # title, (keys, description, tooltip) rows

HOW_TO = (
    "Type a model on the left (name, alias or a size such as 70b; ↓ picks from the list) and the "
    "load: context, tokens, concurrency or rate, TTFT and TPOT targets. A blank field uses the "
    "preset or the default its grey placeholder shows.\n"
    "The table re-ranks as you type: feasible rows first, by $/Mtok; infeasible ones dimmed, with "
    "the reason. Click a column header, or press {sort-next} / {sort-reverse}, to sort; ▲ or ▼ marks "
    "the sort.\n"
    "Move through the rows with ↑/↓ or {row-next}/{row-previous}: Details ({tab-details}) shows "
    "why the row costs what it costs; Charts ({tab-charts}), VRAM floors ({tab-floors}) and "
    "Assumptions ({tab-assumptions}) are the other tabs.\n"
    "{export} exports the quote, {palette} finds any command, {team-config} lists the config files. "
    "Entries that are not built in are marked: {marks}.\n"
    "Tab and shift+Tab move between the form and the table. Single keys ({quit-key}, {help-key}, {row-next}, "
    "{row-previous}) work whenever no text field has focus; in a field they are typed."
)


def binding_sources() -> list[tuple[str, type[DOMNode]]]:
    """Where keys are defined, with the heading each gets here."""
    from advisor.tui.app import AdvisorApp
    from advisor.tui.dialogs.confirm import ConfirmDialog
    from advisor.tui.dialogs.export import ExportDialog
    from advisor.tui.dialogs.team_config import TeamConfigDialog
    from advisor.tui.screens.load_error import LoadErrorScreen
    from advisor.tui.screens.main import MainScreen
    from advisor.tui.widgets.model_picker import ModelPicker
    from advisor.tui.widgets.results import ResultsTable

    return [("Anywhere", AdvisorApp), ("Main screen", MainScreen), ("Results table", ResultsTable),
            ("Model field", ModelPicker), ("Export dialog", ExportDialog), ("Replace-file question", ConfirmDialog),
            ("Team config", TeamConfigDialog), ("This help", HelpScreen), ("Load-error screen", LoadErrorScreen)]


def class_bindings(cls: type[DOMNode]) -> list[Binding]:
    """`cls`'s bindings, inherited ones included, as Textual merges them (a subclass's key wins).

    Textual's `Screen` keys (Tab, copy) are listed once, under the app, not under every screen.
    """
    found: dict[str, Binding] = {}
    for base in reversed(cls.__mro__):
        if base in (Screen, ModalScreen) and base is not cls:
            continue
        for binding in Binding.make_bindings(base.__dict__.get("BINDINGS", [])):
            found[binding.key] = binding
    return list(found.values())


def _rows(app: App[object], bindings: list[Binding]) -> list[tuple[str, str, str]]:
    """One row per action: its keys joined ('n, esc'); keys with no words at all left out."""
    grouped: dict[tuple[str, str], list[Binding]] = {}
    for binding in bindings:
        if binding.description or binding.tooltip:
            grouped.setdefault((binding.action, binding.description), []).append(binding)
    return [(", ".join(app.get_key_display(b) for b in group), group[0].description or group[0].tooltip,
             group[0].tooltip if group[0].description else "")
            for group in grouped.values()]


def help_sections(app: App[object]) -> list[Section]:
    """Every key of the app, by where it works."""
    sections: list[Section] = []
    for title, cls in binding_sources():
        bindings = class_bindings(cls)
        if issubclass(cls, App):
            bindings += [*class_bindings(Screen),
                         Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Command palette",
                                 tooltip="Find any command: switch model or preset, export, theme …")]
        sections.append((title, _rows(app, bindings)))
    return sections


def how_to(app: App[object]) -> str:
    """The how-to paragraph with each key as the bindings define it."""
    keys: dict[str, str] = {"palette": app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "")),
                            "marks": ", ".join(MARKS.values())}
    for _, cls in binding_sources():
        for binding in class_bindings(cls):
            if binding.id:
                keys.setdefault(binding.id, app.get_key_display(binding))
    return HOW_TO.format_map(keys)


def help_text(app: App[object]) -> Text:
    text = Text("How to\n", style="bold")
    for paragraph in how_to(app).split("\n"):
        text.append(f"{paragraph}\n\n")  # unindented: a wrapped line starts where its first did
    sections = help_sections(app)
    width = max((len(keys) for _, rows in sections for keys, _, _ in rows), default=8) + 2
    for title, rows in sections:
        text.append(f"{title}\n", style="bold")
        for keys, description, tooltip in rows:
            text.append(f"  {keys:<{width}}", style="bold").append(description)
            if tooltip and tooltip != description:
                text.append(f" — {tooltip}", style="dim")
            text.append("\n")
        text.append("\n")
    return text


class HelpScreen(ModalScreen[None]):
    """How to use advisor, and every key."""

    BINDINGS = [Binding("escape,q,f1", "close", "Close help", id="help-close", tooltip="Back to where you were")]

    def __init__(self) -> None:
        super().__init__(id="help")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static("advisor — help", classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.app), id="help-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # ↑/↓, page keys scroll the list

    def action_close(self) -> None:
        self.dismiss(None)
