"""The workload form: model, preset, tokens, load, targets, precisions, filters, term.

Posts `FormChanged` on every edit (typing is debounced by the screen, picks are not) and shows
what it is told: one error line per field, and the values the last quote actually used as
placeholders of blank fields (so "blank = default" is visible). Parsing lives in
`advisor.tui.form`; this widget only reads and writes widgets.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from advisor.catalog.world import World
from advisor.domain.choices import ENGINES, TENANCIES, TERMS
from advisor.search.request import QuoteRequest
from advisor.shorthands import format_duration, format_tokens
from advisor.tui.form import KV_CHOICES, TEXT_FIELDS, WEIGHT_CHOICES, FormValues
from advisor.tui.messages import FormChanged
from advisor.tui.pickers import preset_options, provider_options
from advisor.tui.widgets.model_picker import ModelPicker
from advisor.tui.widgets.tick import TickBox

SELECTS = ("preset", "tenancy", "provider", "term", "engine")


def _row(label: str, *widgets: Widget, id: str | None = None) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), *widgets, classes="field-row", id=id)


def plain_options(options: list[tuple[str, str]]) -> list[tuple[Text, str]]:
    """Select options whose labels are literal text: a str label would be parsed as markup."""
    return [(Text(label), value) for label, value in options]


def _select_value(select: Select) -> str | None:
    value = select.value
    return None if value is Select.NULL else str(value)


class WorkloadForm(VerticalScroll):
    """Every input of a quote request, in one scrollable column."""

    def __init__(self, world: World, initial: FormValues, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.world = world
        self.initial = initial
        self._errors: dict[str, str] | None = None
        self._hint: str | None = None

    def compose(self) -> ComposeResult:
        start = self.initial
        yield Static("Workload", classes="form-title")
        yield _row("Model", ModelPicker(self.world, start.model, id="model-picker"))
        yield Static("", id="model-hint", classes="field-hint", markup=False)  # names from files
        yield from self._error("model")
        yield _row("Preset", self._select("preset", preset_options(self.world), start.preset, "none"))
        for spec in TEXT_FIELDS:
            yield _row(spec.label, Input(start.texts.get(spec.id, ""), id=spec.id, compact=True,
                                         placeholder=spec.placeholder, tooltip=spec.help))
            yield from self._error(spec.id)
        # A grid, so a narrow form can put two to a line instead of three (app.tcss).
        yield _row("Weights", Grid(*(TickBox(w, w in start.weights, id=f"w-{w}", compact=True)
                                     for w in WEIGHT_CHOICES), classes="choices"))
        yield from self._error("weights")
        yield _row("KV cache", Grid(*(TickBox(k, k in start.kv_dtypes, id=f"kv-{k}", compact=True)
                                      for k in KV_CHOICES), classes="choices"))
        yield from self._error("kv")
        yield _row("Tenancy", self._select("tenancy", [(t, t) for t in TENANCIES], start.tenancy, "any"))
        yield _row("Provider", self._select("provider", provider_options(self.world), start.provider, "any"))
        yield _row("Term", self._select("term", [(t, t) for t in TERMS], start.term, "team default"))
        yield _row("Engine", self._select("engine", [(e, e) for e in ENGINES], start.engine, "team default"))

    def _select(self, name: str, options: list[tuple[str, str]], value: str | None, prompt: str) -> Select:
        ids = {v for _, v in options}
        return Select(plain_options(options), prompt=prompt, id=name, compact=True, allow_blank=True,
                      value=value if value in ids else Select.NULL)

    def _error(self, field_id: str) -> ComposeResult:
        yield Static("", id=f"{field_id}-error", classes="field-error", markup=False)

    def values(self) -> FormValues:
        """The form as the user left it."""
        return FormValues(
            model=self.query_one("#model", Input).value,
            preset=_select_value(self.query_one("#preset", Select)),
            texts={spec.id: self.query_one(f"#{spec.id}", Input).value for spec in TEXT_FIELDS},
            weights=tuple(w for w in WEIGHT_CHOICES if self.query_one(f"#w-{w}", Checkbox).value),
            kv_dtypes=tuple(k for k in KV_CHOICES if self.query_one(f"#kv-{k}", Checkbox).value),
            tenancy=_select_value(self.query_one("#tenancy", Select)),
            provider=_select_value(self.query_one("#provider", Select)),
            term=_select_value(self.query_one("#term", Select)),
            engine=_select_value(self.query_one("#engine", Select)),
        )

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        # A complete model id is a pick (from the list or the palette): no reason to wait.
        picked = event.input.id == "model" and event.value in self.world.models
        self.post_message(FormChanged(self.values(), immediate=picked))

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _picked(self, event: Select.Changed | Checkbox.Changed) -> None:
        event.stop()
        self.post_message(FormChanged(self.values(), immediate=True))

    def show_errors(self, errors: dict[str, str]) -> None:
        """One line under each field with a problem; other fields cleared."""
        if errors == self._errors:
            return  # unchanged: spare the layout pass on every keystroke
        self._errors = dict(errors)
        for line in self.query(".field-error").results(Static):
            field_id = (line.id or "").removesuffix("-error")
            message = errors.get(field_id, "")
            line.update(f"↳ {message}" if message else "")
            line.set_class(bool(message), "-shown")
        for spec in TEXT_FIELDS:
            self.query_one(f"#{spec.id}", Input).set_class(spec.id in errors, "-bad")
        self.query_one("#model", Input).set_class("model" in errors, "-bad")

    def show_model_hint(self, text: str) -> None:
        if text != self._hint:
            self._hint = text
            self.query_one("#model-hint", Static).update(text)

    def show_defaults(self, request: QuoteRequest) -> None:
        """Placeholders of blank fields show what the quote used."""
        used = {
            "ctx": format_tokens(request.max_context),
            "isl": str(request.input_tokens),
            "osl": str(request.output_tokens),
            "concurrency": str(request.concurrency) if request.concurrency else "fill one unit",
            "rate": f"{request.request_rate:g}/s" if request.request_rate else "req/s",
            "ttft": format_duration(request.ttft_s) if request.ttft_s else "none",
            "tpot": format_duration(request.tpot_s) if request.tpot_s else "none",
            "utilization": f"{request.utilization:.0%}",
        }
        for field_id, text in used.items():
            self.query_one(f"#{field_id}", Input).placeholder = text

    def set_world(self, world: World) -> None:
        """A reloaded World: its models, presets and providers to choose from; picks kept."""
        self.world = world
        self.query_one("#model-picker", ModelPicker).set_world(world)
        for name, options in (("preset", preset_options(world)), ("provider", provider_options(world))):
            select = self.query_one(f"#{name}", Select)
            value = select.value
            select.set_options(plain_options(options))  # clears the pick …
            if value in {v for _, v in options}:
                select.value = value  # … so put it back while it still exists

    def set_value(self, field_id: str, value: str | None) -> None:
        """Set one field programmatically (command palette); posts the usual change."""
        if field_id in SELECTS:
            select = self.query_one(f"#{field_id}", Select)
            select.value = value if value is not None else Select.NULL
        elif field_id == "model":
            self.query_one("#model-picker", ModelPicker).pick(value or "")
        else:
            self.query_one(f"#{field_id}", Input).value = value or ""
