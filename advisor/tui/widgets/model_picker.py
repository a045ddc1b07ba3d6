"""Model field with type-to-search: an Input with inline completion and a list of matches.

Typing filters the models (ids, names, aliases, size hints like `70b`) into a short list under
the field; ↓/↑ move through it, Enter or a click picks one, Escape closes it. Team models are
marked "★ team". The Input's value is what the form sends: a picked model sets its id.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from advisor.catalog.world import World
from advisor.tui.pickers import model_label, model_matches, model_suggestions

MAX_MATCHES = 8


class ModelPicker(Vertical):
    """An Input (id `model`) over an OptionList of matching models (id `model-options`)."""

    BINDINGS = [
        Binding("down", "move(1)", "Next match", show=False),
        Binding("up", "move(-1)", "Previous match", show=False),
        Binding("escape", "close", "Close list", show=False),
    ]

    def __init__(self, world: World, value: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.world = world
        self._value = value

    def compose(self) -> ComposeResult:
        yield Input(self._value, id="model", compact=True, placeholder="name, alias or size (70b)",
                    suggester=SuggestFromList(model_suggestions(self.world), case_sensitive=False),
                    tooltip="Type to search models by id, name, alias or size; ↓ to pick from the list")
        yield OptionList(id="model-options")

    def set_world(self, world: World) -> None:
        """A reloaded World: complete and list its models from now on."""
        self.world = world
        self.input.suggester = SuggestFromList(model_suggestions(world), case_sensitive=False)

    @property
    def input(self) -> Input:
        return self.query_one("#model", Input)

    @property
    def options(self) -> OptionList:
        return self.query_one("#model-options", OptionList)

    def on_mount(self) -> None:
        self.options.display = False

    @on(Input.Changed, "#model")
    def _filter(self, event: Input.Changed) -> None:
        if not self.input.has_focus or event.value in self.world.models:
            self.options.display = False  # set programmatically, or already an exact id
            return
        matches = model_matches(self.world, event.value, MAX_MATCHES)
        # Text, not str: an OptionList parses a str prompt as markup, and names come from files.
        self.options.set_options(Option(Text(model_label(self.world, m)), id=m.id) for m in matches)
        self.options.display = bool(matches)
        if matches:
            self.options.highlighted = 0

    def action_move(self, step: int) -> None:
        options = self.options
        if not options.display or options.option_count == 0:
            return
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = (current + step) % options.option_count

    def action_close(self) -> None:
        self.options.display = False

    @on(Input.Submitted, "#model")
    def _submit(self, event: Input.Submitted) -> None:
        options = self.options
        if options.display and options.highlighted is not None:
            self.pick(str(options.get_option_at_index(options.highlighted).id))

    @on(OptionList.OptionSelected, "#model-options")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.pick(str(event.option.id))

    def pick(self, model_id: str) -> None:
        """Put `model_id` in the field and close the list."""
        self.options.display = False
        self.input.value = model_id
        self.input.cursor_position = len(model_id)

    def on_descendant_blur(self) -> None:
        if not self.input.has_focus and not self.options.has_focus:
            self.options.display = False
