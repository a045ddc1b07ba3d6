"""Command palette: switch model, switch preset, open team config, export, toggle theme.

Models and presets are listed with their team marks; picking one sets the form field, and the
usual re-rank follows. Commands that need a quote are offered only once the main screen runs.
Command texts and help name models and presets from files, so every hit is built from
`Content` (literal text): Textual's own `Matcher.highlight`, `DiscoveryHit` and `SimpleProvider`
parse a str as markup, where `[@click=…]` in a name would become an action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from advisor.export.terminal import safe_text
from advisor.quote.sweep import models_by_size
from advisor.tui.dialogs.export import formats_text
from advisor.tui.pickers import mark, preset_options

if TYPE_CHECKING:
    from advisor.tui.app import AdvisorApp

Command = tuple[str, Callable[[], object], str]


def highlighted(matcher: Matcher, text: str) -> Content:
    """`text` as literal content with the matched characters styled (what `highlight` draws)."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def search_hits(matcher: Matcher, commands: list[Command]) -> Iterator[Hit]:
    for text, command, help_text in commands:
        score = matcher.match(text)
        if score > 0:
            # help as Content: the palette passes a str help through Content.from_markup
            yield Hit(score, highlighted(matcher, text), command, text=text,
                      help=Content(help_text))  # type: ignore[arg-type]


def discovery_hits(commands: list[Command]) -> Iterator[DiscoveryHit]:
    for text, command, help_text in commands:
        yield DiscoveryHit(Content(text), command, text=text, help=Content(help_text))  # type: ignore[arg-type]


class AdvisorCommands(Provider):
    """The app's own commands, then one per model and preset."""

    @property
    def advisor(self) -> AdvisorApp:
        return self.app  # type: ignore[return-value]

    def top_commands(self) -> list[Command]:
        app = self.advisor
        found: list[Command] = [
            ("Toggle theme", app.action_toggle_theme, "switch between the dark and light theme"),
            ("Open team config", app.action_team_config, "show the discovered config files and their paths"),
        ]
        if app.main_screen is not None:
            found.insert(0, ("Export quote…", app.action_export, f"write the quote to {formats_text()}"))
            found.append(("Switch model…", app.action_pick_model, "choose the model from a list"))
            found.append(("Switch preset…", app.action_pick_preset, "choose a workload preset from a list"))
        return found

    def item_commands(self) -> list[Command]:
        app, main = self.advisor, self.advisor.main_screen
        if main is None or app.world is None:
            return []
        world = app.world
        found: list[Command] = []
        for model_id in models_by_size(world):
            model, tag = world.models[model_id], mark(world, "model", model_id)
            found.append((f"Switch model: {safe_text(model.name)} ({model_id}){'  ' + tag if tag else ''}",
                          partial(main.set_field, "model", model_id), f"{model.total_params / 1e9:,.1f}B parameters"))
        for label, preset_id in preset_options(world):
            found.append((f"Switch preset: {label}", partial(main.set_field, "preset", preset_id),
                          safe_text(world.workloads[preset_id].description)[:80]))
        found.append(("Switch preset: none", partial(main.set_field, "preset", None), "clear the preset"))
        return found

    async def discover(self) -> Hits:
        for hit in discovery_hits(self.top_commands()):
            yield hit

    async def search(self, query: str) -> Hits:
        for hit in search_hits(self.matcher(query), self.top_commands() + self.item_commands()):
            yield hit


def listed_commands(commands: list[Command]) -> type[Provider]:
    """A provider of just `commands` (what `App.search_commands` builds, with literal texts)."""

    class ListedCommands(Provider):
        async def discover(self) -> Hits:
            for hit in discovery_hits(commands):
                yield hit

        async def search(self, query: str) -> Hits:
            for hit in search_hits(self.matcher(query), commands):
                yield hit

    return ListedCommands
