"""Team-config dialog: which config files were discovered, what they added, and where from.

Lists every config and non-built-in data file the World was built from (layer and path),
how many entries each layer added or shadowed, each remote catalog's status once the background
refresh has reported, and, when there is none, where advisor looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from advisor.catalog.world import World
from advisor.export.terminal import safe_text

if TYPE_CHECKING:
    from advisor.catalog.remote.sync import RemoteResult


def _counts(world: World) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for (kind, _), origin in world.origins.items():
        if origin.layer != "built-in":
            counts.setdefault(origin.layer, {}).setdefault(kind, 0)
            counts[origin.layer][kind] += 1
    return counts


def _where_to_look(cwd: Path) -> Text:
    from advisor.catalog.paths import user_config_dir

    text = Text("No team or user config was found.\n\n", style="bold")
    text.append(f"advisor walks up from {cwd} looking for advisor.toml, .advisor.toml, or a\n"
                "[tool.advisor] table in pyproject.toml; it also reads\n"
                f"{user_config_dir() / 'advisor.toml'}.\n"
                "--config PATH or $ADVISOR_CONFIG names one explicitly.")
    return text


def config_text(world: World, cwd: Path, remote_results: Sequence[RemoteResult] | None = None) -> Text:
    """What the discovered configuration contributed, as text."""
    extra = [o for o in world.files if o.layer != "built-in"]
    if not extra and not remote_results:
        return _where_to_look(cwd)
    text = Text("Config files\n", style="bold")
    for origin in (o for o in extra if o.role == "config"):
        text.append(f"  {origin.layer:<8} ", style="bold").append(safe_text(origin.path) + "\n")
    text.append("\nData files\n", style="bold")
    for origin in (o for o in extra if o.role != "config"):
        text.append(f"  {origin.layer:<8} ", style="bold").append(safe_text(origin.path))
        text.append(f"  as of {origin.as_of or 'undated'}\n", style="dim")
    text.append("\nEntries added\n", style="bold")
    for layer, kinds in sorted(_counts(world).items()):
        listed = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(kinds.items()))
        text.append(f"  {layer:<8} {listed}\n")
    if world.shadowed:
        text.append(f"\n{len(world.shadowed)} entries patched by a later layer (only the fields it sets; "
                    "`advisor config show` lists them)\n", style="yellow")
    warnings = list(world.warnings)
    if remote_results:
        from advisor.tui.remotes import remote_text

        text.append("\n").append_text(remote_text(remote_results))
        # The refresh's own status replaces what the cache-only load said about those URLs.
        warnings = [w for w in warnings if not any(r.spec.url in w for r in remote_results)]
    for warning in warnings:
        text.append(f"warning: {safe_text(warning)}\n", style="yellow")
    text.append("\nEdit the files above and restart advisor to reload them; "
                "`advisor check PATH` validates a file.", style="dim")
    return text


class TeamConfigDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close", id="config-close", tooltip="Back to the quote")]

    def __init__(self, world: World, cwd: Path | None = None, *,
                 remote_results: Sequence[RemoteResult] | None = None) -> None:
        super().__init__(id="team-config-dialog")
        self.world = world
        self.cwd = cwd or Path.cwd()
        self.remote_results = remote_results

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("Team configuration", classes="dialog-title")
            with VerticalScroll(id="config-scroll"):
                yield Static(config_text(self.world, self.cwd, self.remote_results), id="config-text", markup=False)
            yield Button("Close", id="config-ok")

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
