"""The main screen: workload form on the left, ranked table and detail tabs on the right.

Every form change is parsed at once (inline errors); a valid form is quoted in an exclusive
thread worker (`build_request` + `build_quote`, the CLI's own path) — at once when nothing is
in flight, else after a short debounce so a burst of keys becomes one quote — and the worker
only posts `QuoteReady`/`QuoteFailed`. A reply for an older form
generation is dropped, so the table always shows the latest input. Charts and VRAM floors are
computed in their own workers only while their tab is open. `set_world` swaps in a reloaded
World (a remote catalog changed) and quotes the form again.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from advisor.catalog.world import World
from advisor.errors import AdvisorError
from advisor.quote.build import Quote, build_quote, nothing_feasible_message
from advisor.quote.sweep import Floor
from advisor.search.request import QuoteRequest, build_request
from advisor.tui.form import FormValues, parse_form
from advisor.tui.messages import FloorsReady, FormChanged, QuoteFailed, QuoteReady, SweepReady
from advisor.tui.status import model_hint, status_text, title_text
from advisor.tui.widgets.assumptions import AssumptionsPane
from advisor.tui.widgets.charts import ChartsPane
from advisor.tui.widgets.details import DetailsPane
from advisor.tui.widgets.floors import FLOOR_WEIGHTS, FloorsPane, floor_accelerators
from advisor.tui.widgets.results import ResultsTable
from advisor.tui.widgets.workload_form import WorkloadForm

DEBOUNCE_S = 0.03  # coalesces a paste or key repeat; human keystrokes are further apart
CACHE_SIZE = 64
CHART_ROWS = 3  # the selected offering and the next two


class MainScreen(Screen):
    """Form, results, details; owns the quote and the workers that make it."""

    BINDINGS = [
        Binding("f2", "show_tab('details')", "Details", id="tab-details", tooltip="Derivation of the selected row"),
        Binding("f3", "show_tab('charts')", "Charts", id="tab-charts", tooltip="Cost and TPOT against concurrency"),
        Binding("f4", "show_tab('floors')", "Floors", id="tab-floors", tooltip="Fewest GPUs per model and precision"),
        Binding("f5", "show_tab('assumptions')", "Assumptions", id="tab-assumptions",
                tooltip="Inputs, warnings and files behind the numbers"),
    ]

    def __init__(self, world: World, initial: FormValues) -> None:
        super().__init__(id="main")
        self.world = world
        self.initial = initial
        self.quote: Quote | None = None
        self.generation = 0
        self.applied_generation = 0
        self._requested: FormValues | None = None
        self._timer: Timer | None = None
        self._cache: dict[QuoteRequest, Quote] = {}
        self._chart_key: tuple[int, tuple[str, ...]] | None = None
        self._floors_context: int | None = None
        self._floors: list[Floor] | None = None

    def compose(self) -> ComposeResult:
        yield Static("advisor", id="title", markup=False)  # the title names the model
        with Horizontal(id="body"):
            yield WorkloadForm(self.world, self.initial, id="form")
            with Vertical(id="right"):
                yield Static("", id="status", markup=False)  # messages quote file and typed text
                yield ResultsTable(id="results")
                with TabbedContent(id="tabs", initial="details"):
                    with TabPane("Details", id="details"):
                        yield DetailsPane(id="details-pane")
                    # Hidden tabs mount after the first paint: the table shows sooner.
                    with TabPane("Charts", id="charts"):
                        yield Lazy(ChartsPane(id="charts-pane"))
                    with TabPane("VRAM floors", id="floors"):
                        yield Lazy(FloorsPane(id="floors-pane"))
                    with TabPane("Assumptions", id="assumptions"):
                        yield Lazy(AssumptionsPane(id="assumptions-pane"))
        yield Footer()

    @property
    def form(self) -> WorkloadForm:
        return self.query_one("#form", WorkloadForm)

    @property
    def table(self) -> ResultsTable:
        return self.query_one("#results", ResultsTable)

    @property
    def busy(self) -> bool:
        """A quote is pending (debounce or worker) for the latest valid form."""
        return self._timer is not None or self.applied_generation != self.generation

    def on_mount(self) -> None:
        self.query_one("#model").focus()
        self.request_quote(self.form.values(), immediate=True)

    # -- form → worker ------------------------------------------------------------------

    @on(FormChanged)
    def _form_changed(self, event: FormChanged) -> None:
        self.request_quote(event.values, immediate=event.immediate)

    def request_quote(self, values: FormValues, *, immediate: bool) -> None:
        """Validate now; quote after the debounce (or at once) when the form is valid."""
        parsed = parse_form(values)
        errors = dict(parsed.errors)
        hint, model_error = model_hint(self.world, values.model)
        if model_error and "model" not in errors:
            errors["model"] = model_error
        self.form.show_model_hint(hint)
        self.form.show_errors(errors)
        if errors:
            self._cancel_pending()
            self._set_status(f"⚠ fix the marked field{'s' if len(errors) > 1 else ''} to update the quote",
                             "warning")
            return
        if values == self._requested:
            return
        # Leading edge: an edit arriving while nothing is pending is quoted at once; edits that
        # arrive while a quote is in flight wait out the debounce, so a burst becomes one quote.
        immediate = immediate or not self.busy
        self._cancel_pending()
        self._requested = values
        self.generation += 1
        if immediate:
            self.compute_quote(parsed.raw, self.generation)
        else:
            self._timer = self.set_timer(DEBOUNCE_S, partial(self._debounced, parsed.raw, self.generation))

    def _cancel_pending(self) -> None:
        """Drop a debounced request that has not started (a newer edit supersedes it)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            if self.applied_generation != self.generation:
                self.applied_generation = self.generation
                self._requested = None  # so returning to those values quotes them again

    def _debounced(self, raw: dict[str, Any], generation: int) -> None:
        self._timer = None
        if generation == self.generation:
            self.compute_quote(raw, generation)

    @work(thread=True, exclusive=True, group="quote", exit_on_error=True)
    def compute_quote(self, raw: dict[str, Any], generation: int) -> None:
        """Build the request and the quote off the UI thread; post the outcome."""
        worker = get_current_worker()
        world, cache = self.world, self._cache  # one World throughout, even if set_world runs
        try:
            request = build_request(world, **raw)
            quote = cache.get(request)
            if quote is None:
                quote = build_quote(request, world)
                if len(cache) >= CACHE_SIZE:
                    cache.pop(next(iter(cache)))
                cache[request] = quote
        except AdvisorError as err:
            if not worker.is_cancelled:
                self.post_message(QuoteFailed(generation, err.message))
            return
        if not worker.is_cancelled:
            self.post_message(QuoteReady(generation, quote))

    # -- worker → widgets ---------------------------------------------------------------

    @on(QuoteReady)
    def _quote_ready(self, event: QuoteReady) -> None:
        if event.generation != self.generation:
            return  # an older form; a newer quote is on its way
        self.applied_generation = event.generation
        quote = self.quote = event.quote
        self.query_one("#title", Static).update(title_text(quote))
        self.table.show(quote)
        self.form.show_defaults(quote.request)
        level = "ok" if quote.feasible else "warning"
        self._set_status(status_text(quote) if quote.feasible else "⚠ " + nothing_feasible_message(quote), level)
        active = self.query_one("#tabs", TabbedContent).active
        if active == "assumptions":  # otherwise filled when its tab is opened
            self._show_assumptions()
        self._selection_changed()
        if active == "floors":
            self._refresh_floors()

    def _show_assumptions(self) -> None:
        panes = self.query("#assumptions-pane").results(AssumptionsPane)  # empty until mounted
        for pane in panes:
            if self.quote is not None:
                pane.show(self.quote)

    @on(QuoteFailed)
    def _quote_failed(self, event: QuoteFailed) -> None:
        if event.generation != self.generation:
            return
        self.applied_generation = event.generation
        self._set_status(f"⚠ {event.message}", "error")

    def _set_status(self, text: str, level: str) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        for name in ("ok", "warning", "error"):
            status.set_class(name == level, f"-{name}")

    @on(DataTable.RowHighlighted, "#results")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.query_one("#details-pane", DetailsPane).show(self.quote, self.table.selected, self.world)
        if self.query_one("#tabs", TabbedContent).active == "charts":
            self._refresh_charts()

    # -- charts and floors ----------------------------------------------------------------

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "assumptions":
            self._show_assumptions()
        elif event.pane.id == "charts":
            self._refresh_charts()
        elif event.pane.id == "floors":
            self._refresh_floors()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab

    def _refresh_charts(self) -> None:
        if self.quote is None or self.table.selected is None:
            return
        key = (self.applied_generation, tuple(self.table.following_ids(CHART_ROWS)))
        if key != self._chart_key:
            self._chart_key = key
            self.compute_sweep(self.quote, key)

    @work(thread=True, exclusive=True, group="sweep")
    def compute_sweep(self, quote: Quote, key: tuple[int, tuple[str, ...]]) -> None:
        from advisor.quote.sweep import sweep_quote

        sweeps = sweep_quote(quote, self.world, list(key[1]))
        if not get_current_worker().is_cancelled:
            self.post_message(SweepReady(key, sweeps))

    @on(SweepReady)
    def _sweep_ready(self, event: SweepReady) -> None:
        if event.key == self._chart_key and self.quote is not None:
            for pane in self.query("#charts-pane").results(ChartsPane):
                pane.show(event.sweeps, self.quote.request.tpot_s)

    def _refresh_floors(self) -> None:
        if self.quote is None:
            return
        context = self.quote.request.max_context
        if context != self._floors_context:
            self._floors_context = context
            self.compute_floors(context)
        else:
            self._show_floors_highlight()

    @work(thread=True, exclusive=True, group="floors")
    def compute_floors(self, context: int) -> None:
        from advisor.quote.sweep import models_by_size, vram_floors

        floors = vram_floors(self.world, models_by_size(self.world), floor_accelerators(self.world),
                             FLOOR_WEIGHTS, context)
        if not get_current_worker().is_cancelled:
            self.post_message(FloorsReady(context, floors))

    @on(FloorsReady)
    def _floors_ready(self, event: FloorsReady) -> None:
        if event.context == self._floors_context:
            self._floors = event.floors
            self._show_floors_highlight()

    def _show_floors_highlight(self) -> None:
        floors = self._floors
        if floors is not None and self.quote is not None and self._floors_context is not None:
            for pane in self.query("#floors-pane").results(FloorsPane):
                pane.show(self.world, floors, self._floors_context, self.quote.model.id)

    # -- a reloaded World ----------------------------------------------------------------

    def set_world(self, world: World) -> None:
        """Use `world` from now on: new choices in the form, caches dropped, the form re-quoted."""
        self.world = world
        self._cache = {}  # a worker still running keeps (and fills) the old one
        self._chart_key = self._floors_context = self._floors = None
        self.form.set_world(world)
        self._cancel_pending()
        self._requested = None
        self.request_quote(self.form.values(), immediate=True)

    # -- commands -------------------------------------------------------------------------

    def set_field(self, field_id: str, value: str | None) -> None:
        """Change one form field (palette commands); the usual change handling follows."""
        self.form.set_value(field_id, value)
