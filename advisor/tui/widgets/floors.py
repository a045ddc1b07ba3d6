"""VRAM-floor tab: the fewest GPUs that hold each model, per common accelerator and precision.

One row per model (smallest first, team models marked), one column per accelerator, each cell
"bf16 · fp8 · int4" GPU counts (– where the chip has no native format). The current model's
row is highlighted. Numbers come from `advisor.quote.sweep.vram_floors` (the core's memory model);
a cell with no count says why, as `advisor floors` does (">64", ">1 node").
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from advisor.catalog.world import World
from advisor.export.terminal import safe_text
from advisor.quote.sweep import Floor, models_by_size
from advisor.search.floors import LIMITS
from advisor.shorthands import format_tokens
from advisor.tui.pickers import mark

COMMON_ACCELERATORS = ("l40s", "a100-80gb-sxm", "h100-sxm", "h200-sxm", "b200", "mi300x", "mi355x")
FLOOR_WEIGHTS = ("bf16", "fp8", "int4")


def floor_accelerators(world: World) -> list[str]:
    """The common accelerators present in the world, then any the team added."""
    common = [a for a in COMMON_ACCELERATORS if a in world.accelerators]
    team = sorted(a for a in world.accelerators if world.layer_of("accelerator", a) == "team")
    return common + [a for a in team if a not in common]


def _cell(floors: list[Floor]) -> str:
    def one(f: Floor) -> str:
        if f.gpus is not None:
            return str(f.gpus)
        return "–" if f.note == "not native" else f.note

    return " · ".join(one(f) for f in floors)


class FloorsPane(Vertical):
    """Title line over a table of GPU counts."""

    def compose(self) -> ComposeResult:
        yield Static("Computing VRAM floors…", id="floors-title", markup=False)
        yield DataTable(id="floors-table", cursor_type="row", zebra_stripes=True)

    def show(self, world: World, floors: list[Floor], context: int, current_model: str) -> None:
        title = self.query_one("#floors-title", Static)
        title.update(
            f"Fewest GPUs holding weights + workspace + one {format_tokens(context)}-token sequence "
            f"(usable = {world.settings.engine_memory_fraction:.0%} of memory). "
            f"Cells: {' · '.join(FLOOR_WEIGHTS)}; – = format not native; "
            + "; ".join(f"{sign} = {meaning}" for sign, meaning in LIMITS.items()))
        table = self.query_one("#floors-table", DataTable)
        table.clear(columns=True)
        accelerators = floor_accelerators(world)
        table.add_column("Model", key="model")
        table.add_column(Text("Params", justify="right"), key="params")
        for acc_id in accelerators:
            tag = " ★" if mark(world, "accelerator", acc_id) else ""
            # Text, not str: DataTable parses a str label as markup, and the name comes from a file.
            table.add_column(Text(safe_text(world.accelerators[acc_id].name)[:18] + tag), key=acc_id)
        by_key = {(f.model_id, f.accelerator_id, f.weights): f for f in floors}
        for model_id in models_by_size(world):
            if not any((model_id, a, FLOOR_WEIGHTS[0]) in by_key for a in accelerators):
                continue
            model = world.models[model_id]
            style = "bold reverse" if model_id == current_model else ""
            tag = mark(world, "model", model_id)
            cells = [Text(safe_text(model.name) + (f" {tag}" if tag else ""), style=style),
                     Text(f"{model.total_params / 1e9:,.1f}B", style=style, justify="right")]
            for acc_id in accelerators:
                found = [by_key[(model_id, acc_id, w)] for w in FLOOR_WEIGHTS if (model_id, acc_id, w) in by_key]
                cells.append(Text(_cell(found), style=style))
            table.add_row(*cells, key=model_id)
        if current_model in table.rows:
            table.move_cursor(row=table.get_row_index(current_model), animate=False)
