"""Launch recipes: from a quoted row to the commands that start it, load it and bring the result
back (`advisor quote … --recipe [ROW] --recipe-format sh|skypilot|k8s`).

`render_recipe(quote, row, fmt)` picks the row (a feasible rank or an offering id), takes every
number from it (`advisor.export.recipe.plan`), and writes a shell script (`shell`), a SkyPilot
task or a Kubernetes manifest (`deploy`). Plain text, no markup. Must not import rich, textual,
httpx or pint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from advisor.quote.build import Quote

RecipeFormat = Literal["sh", "skypilot", "k8s"]
RECIPE_FORMATS: tuple[str, ...] = get_args(RecipeFormat)


def render_recipe(quote: Quote, row: str = "1", fmt: str = "sh") -> str:
    """The recipe for one row of `quote` in `fmt`; AdvisorError (exit 2) names what cannot be made."""
    from advisor.export.recipe.plan import plan_for, select_row

    plan = plan_for(quote, select_row(quote, row))
    if fmt == "sh":
        from advisor.export.recipe.shell import render_sh

        return render_sh(plan)
    from advisor.export.recipe.deploy import render_k8s, render_skypilot

    return render_skypilot(plan) if fmt == "skypilot" else render_k8s(plan)
