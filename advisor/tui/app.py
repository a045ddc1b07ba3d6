"""`AdvisorApp`: loads the World (through an injected loader), then shows the main screen, or
the load-error screen when a catalog or team file is broken.

App-wide bindings (quit, export, theme, team config) and the command palette live here; the
quote and its workers belong to `MainScreen`. The loader is injected so tests and `run_app`
decide where data comes from. When a `RemoteSource` is injected too, a background worker
revalidates the listed remote catalogs after the first paint, swaps in the reloaded World when one
changed, and reports each catalog's status (notification, and the team-config view F9).
The app's return value is the exit code: 0 after ctrl+q, the
loader's code (3 for a bad discovered file, 2 for a bad --config) after the error screen; an
uncaught exception is kept in `crash` for `run_app` to report as one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.worker import Worker, WorkerState, get_current_worker

from advisor.catalog.world import World
from advisor.errors import EXIT_OK, AdvisorError
from advisor.tui.dialogs.export import formats_text
from advisor.tui.form import FormValues
from advisor.tui.messages import RemotesRefreshed
from advisor.tui.palette import AdvisorCommands, listed_commands

if TYPE_CHECKING:
    from advisor.catalog.remote.sync import RemoteResult
    from advisor.tui.remotes import RemoteSource
    from advisor.tui.screens.main import MainScreen

DEFAULT_MODEL = "llama-3.1-70b"
LIGHT, DARK = "textual-light", "textual-dark"


def default_form(world: World) -> FormValues:
    """The form the app opens with: a mid-size model, every other field at its default."""
    if DEFAULT_MODEL in world.models:
        model = DEFAULT_MODEL
    else:
        model = min(world.models.values(), key=lambda m: (m.total_params, m.id)).id if world.models else ""
    return FormValues(model=model)


class AdvisorApp(App[int]):
    """Which GPU cluster to rent for an LLM, interactively."""

    CSS_PATH = "app.tcss"
    # Screen classes app.tcss sizes the layout by: below 120 columns the form narrows; below 40
    # rows the table and the tabs share the height (else the tabs push the table off at 100×30).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    TITLE = "advisor"
    COMMANDS = App.COMMANDS | {AdvisorCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", tooltip="Every key and a short how-to"),
        Binding("question_mark", "help", "Help", id="help-key", show=False,
                tooltip="Every key and a short how-to (when no text field has focus)"),
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Leave advisor", priority=True),
        Binding("ctrl+s", "export", "Export", id="export", tooltip=f"Write the quote to a file ({formats_text()})"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="theme", show=False, tooltip="Switch between dark and light"),
        Binding("f9", "team_config", "Team config", id="team-config",
                tooltip="Show the discovered config files and their paths"),
    ]

    def __init__(self, loader: Callable[[], World], *, initial: FormValues | None = None,
                 remotes: RemoteSource | None = None) -> None:
        super().__init__()
        self.loader = loader
        self.initial = initial
        self.remotes = remotes
        self.world: World | None = None
        self.load_error: AdvisorError | None = None
        self.remote_results: tuple[RemoteResult, ...] | None = None  # None until refreshed
        self.crash: Exception | None = None  # the first uncaught exception; run_app reports it

    # Textual answers an uncaught exception by exiting with run() returning None (so exit
    # status 0) and printing a traceback with local variables (file data) on the terminal.
    # Recording it here lets run_app exit 70 with one line instead. Under run_test Textual
    # still re-raises it, so tests see crashes as before.
    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if self.crash is None:
            super()._print_error_renderables()

    def on_mount(self) -> None:
        from advisor.tui.screens.load_error import LoadErrorScreen
        from advisor.tui.screens.main import MainScreen

        self.theme = DARK
        try:
            self.world = self.loader()
        except AdvisorError as err:
            self.load_error = err
            self.push_screen(LoadErrorScreen(err))
            return
        self.push_screen(MainScreen(self.world, self.initial or default_form(self.world)))
        if self.remotes is not None:
            self.refresh_remotes(self.remotes)

    # -- remote catalogs ----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="remote", exit_on_error=False)
    def refresh_remotes(self, source: RemoteSource) -> None:
        """Revalidate remote catalogs (network I/O) off the UI thread; post what happened."""
        from advisor.tui.remotes import refresh

        refreshed = refresh(source)
        if not get_current_worker().is_cancelled:
            self.post_message(RemotesRefreshed(refreshed))

    @on(RemotesRefreshed)
    def _remotes_refreshed(self, event: RemotesRefreshed) -> None:
        from advisor.tui.remotes import summary

        refreshed = event.refreshed
        if refreshed.world is not None:
            self.world = refreshed.world
            main = self.main_screen
            if main is not None:
                main.set_world(refreshed.world)
        if not refreshed.results and not refreshed.error:
            return  # no remote catalogs listed: nothing to report
        self.remote_results = refreshed.results
        message, severity = summary(refreshed)
        self.notify(message, title="Remote catalogs", severity=severity, markup=False)  # type: ignore[arg-type]

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        # A bug in the refresh must not take the app down: the quote works without it.
        if event.worker.group == "remote" and event.state == WorkerState.ERROR:
            self.notify(f"Refreshing remote catalogs failed: {event.worker.error}",
                        title="Remote catalogs", severity="error", markup=False)

    @property
    def main_screen(self) -> MainScreen | None:
        from advisor.tui.screens.main import MainScreen  # screens load after the world

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    async def action_quit(self) -> None:
        self.exit(self.load_error.exit_code if self.load_error else EXIT_OK)

    def action_help(self) -> None:
        from advisor.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_export(self) -> None:
        from advisor.tui.dialogs.export import ExportDialog

        main = self.main_screen
        if main is None or main.quote is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        self.push_screen(ExportDialog(main.quote), self._exported)

    def _exported(self, path: str | None) -> None:
        if path:
            self.notify(f"Wrote {path}", title="Export", markup=False)

    def action_team_config(self) -> None:
        from advisor.tui.dialogs.team_config import TeamConfigDialog

        if self.world is None:
            self.notify("The data could not be loaded; see the problems listed.", severity="error")
            return
        self.push_screen(TeamConfigDialog(self.world, remote_results=self.remote_results))

    def action_pick_model(self) -> None:
        self._pick("model", "Switch model: ")

    def action_pick_preset(self) -> None:
        self._pick("preset", "Switch preset: ")

    def _pick(self, what: str, prefix: str) -> None:
        """A second palette listing only the models (or presets), prefix dropped."""
        commands = AdvisorCommands(self.screen).item_commands()
        items = [(text.removeprefix(prefix), command, help_text)
                 for text, command, help_text in commands if text.startswith(prefix)]
        self.push_screen(CommandPalette(providers=[listed_commands(items)],
                                        placeholder=f"Search for a {what}…"))
