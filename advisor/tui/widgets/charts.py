"""Charts tab: USD per million output tokens and TPOT against concurrency.

Shows the selected offering and the next two rows, each rented as one unit of its chosen
deployment (`advisor.quote.sweep`), so the trade is visible: more users per unit lowers the cost
per token and raises the time per token. The TPOT target is the dashed line.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from advisor.export.terminal import safe_text
from advisor.quote.sweep import Sweep
from advisor.shorthands import format_duration
from advisor.tui.widgets.chart import ChartData, ColumnChart

SERIES_COLORS = ("dodger_blue2", "dark_orange", "orchid")


def _money(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def legend(sweeps: list[Sweep]) -> Text:
    text = Text()
    for index, sweep in enumerate(sweeps):
        text.append("■ ", style=SERIES_COLORS[index % len(SERIES_COLORS)])
        text.append(f"{safe_text(sweep.offering_id)} ({sweep.label})   ")
    return text


def cost_chart(sweeps: list[Sweep]) -> ChartData:
    return ChartData(
        x_labels=tuple(str(p.concurrency) for p in sweeps[0].points),
        series=tuple(tuple(p.usd_per_million_output_tokens for p in s.points) for s in sweeps),
        colors=SERIES_COLORS, fmt=_money, log=True,
    )


def tpot_chart(sweeps: list[Sweep], target_s: float | None) -> ChartData:
    return ChartData(
        x_labels=tuple(str(p.concurrency) for p in sweeps[0].points),
        series=tuple(tuple(p.tpot_s for p in s.points) for s in sweeps),
        colors=SERIES_COLORS, fmt=lambda v: format_duration(v).replace(" ", ""), threshold=target_s,
    )


class ChartsPane(Vertical):
    """Legend over two column charts side by side."""

    def compose(self) -> ComposeResult:
        yield Static("Select a row to chart it.", id="charts-legend", markup=False)
        with Horizontal(id="charts-row"):
            with Vertical(classes="chart-box"):
                yield Static("USD per M output tokens vs concurrency (one unit; log scale)", classes="chart-title")
                yield ColumnChart(id="chart-cost")
            with Vertical(classes="chart-box"):
                yield Static("TPOT vs concurrency (╌ target)", classes="chart-title")
                yield ColumnChart(id="chart-tpot")

    def show(self, sweeps: list[Sweep], target_s: float | None) -> None:
        legend_widget = self.query_one("#charts-legend", Static)
        cost = self.query_one("#chart-cost", ColumnChart)
        tpot = self.query_one("#chart-tpot", ColumnChart)
        if not sweeps:
            legend_widget.update("Nothing to chart: the selected offering has no deployment to sweep.")
            cost.show(None)
            tpot.show(None)
            return
        legend_widget.update(legend(sweeps))
        cost.show(cost_chart(sweeps))
        tpot.show(tpot_chart(sweeps, target_s))
