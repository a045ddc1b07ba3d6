"""Details of the selected offering: VRAM bar, interconnect, timings against targets, cost.

Every number is read from the quote (`Result.estimate`, `Result.cost`, `Result.hardware`):
this module lays them out as Rich `Text` — a memory bar against usable VRAM (weights, KV for
the load, workspace), the TP all-reduce need against the link, prefill/decode times and
TTFT/TPOT against the targets, cost per million tokens and per month, the row against the
cheapest hosted API (break-even utilization), and the efficiency
factors with their source and error band. The offering, the model and the efficiency entry
carry their mark ('★ team') when a team or user config gives them. Text from files goes
through `safe_text`.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from advisor.catalog.world import World
from advisor.core.types import Estimate, Interconnect
from advisor.export.collectives import collective_rows
from advisor.export.serving_terms import serving_lines
from advisor.export.terminal import safe_text
from advisor.quote.build import Quote
from advisor.search.disagg import layout_text
from advisor.search.ranking import Result
from advisor.shorthands import format_duration, format_tokens
from advisor.tui.pickers import mark

GIB = 1024.0**3
BAR_WIDTH = 44
COLORS = {"weights": "dodger_blue2", "kv": "dark_orange", "workspace": "orchid", "free": "grey37"}


def bar(parts: list[tuple[float, str]], total: float, width: int = BAR_WIDTH) -> Text:
    """A horizontal bar: each (amount, style) a segment, scaled so `total` fills `width`."""
    line = Text()
    used_cells = 0
    for amount, style in parts:
        cells = round(amount / total * width) if total > 0 else 0
        cells = max(0, min(cells, width - used_cells))
        line.append("█" * cells, style=style)
        used_cells += cells
    line.append("░" * (width - used_cells), style=COLORS["free"])
    return line


def _heading(text: str) -> Text:
    return Text(text, style="bold")


def _marked(text: Text, tag: str) -> Text:
    return text.append(f"  {tag}", style="bold yellow") if tag else text


def header_lines(quote: Quote, result: Result, world: World | None = None) -> Text:
    """The offering (marked '★ team' when a team config gives it), the model when it is a team
    one, the hardware and whether it fits."""
    o = result.offering
    gpu = result.accelerator.name if result.accelerator else o.accelerator
    text = Text()
    text.append(safe_text(o.id), style="bold")
    _marked(text, mark(world, "offering", o.id) if world else "")
    text.append(f"  {safe_text(o.provider)} {safe_text(o.sku)}\n")
    model_tag = mark(world, "model", quote.model.id) if world else ""
    if model_tag:
        _marked(text.append(f"model {safe_text(quote.model.name)} ({quote.model.id})"), model_tag).append("\n")
    text.append(f"{o.gpus_per_node} × {safe_text(gpu)} per node · {o.tenancy}\n")
    if result.feasible and result.candidate is not None:
        c = result.candidate
        text.append(f"✓ rank {result.rank} of {len(quote.feasible)}", style="bold green")
        text.append(f" · {c.nodes} node(s) · {layout_text(c)} · "
                    f"{c.precision.weights} weights · KV {c.precision.kv}\n")
    else:
        for reason in result.reasons:
            text.append(f"✗ {safe_text(reason)}\n", style="bold red")
        if result.failure is not None and result.failure.relax:
            text.append(f"  to relax: {safe_text(result.failure.relax)}\n", style="yellow")
    return text


def memory_lines(quote: Quote, est: Estimate) -> Text:
    m = est.memory
    used = m.weights_bytes_per_gpu + m.kv_needed_bytes_per_gpu + m.workspace_bytes_per_gpu
    total = max(m.usable_bytes_per_gpu, used)
    text = _heading(f"VRAM per GPU: {used / GIB:,.1f} of {m.usable_bytes_per_gpu / GIB:,.1f} GiB usable")
    text.append(" ✓ fits\n" if m.fits else " ✗ does not fit\n", style="green" if m.fits else "bold red")
    text.append_text(bar([(m.weights_bytes_per_gpu, COLORS["weights"]), (m.kv_needed_bytes_per_gpu, COLORS["kv"]),
                          (m.workspace_bytes_per_gpu, COLORS["workspace"])], total))
    text.append("\n")
    text.append("■", style=COLORS["weights"]).append(f" weights {m.weights_bytes_per_gpu / GIB:,.1f}  ")
    text.append("■", style=COLORS["kv"]).append(
        f" KV {m.kv_needed_bytes_per_gpu / GIB:,.1f} ({est.batch} seq × {format_tokens(quote.request.max_context)})  ")
    text.append("■", style=COLORS["workspace"]).append(f" workspace {m.workspace_bytes_per_gpu / GIB:,.1f} GiB\n")
    text.append(f"  KV room: {m.max_sequences} sequences per replica at full context", style="dim")
    return text


def interconnect_lines(result: Result, est: Estimate) -> Text:
    ic = est.interconnect
    text = _heading("Interconnect")
    if ic.available_bytes_per_s <= 0 or ic.link_kind in ("", "none"):
        others = _other_collectives(ic)
        text.append("  no all-reduce (one GPU per attention rank)\n" if others
                    else "  none needed (one GPU per replica)\n")
        text.append(others, style="dim")
        return text
    ok = ic.comm_share <= ic.target_share
    if math.isfinite(ic.required_bytes_per_s):
        need_text = f"need {ic.required_bytes_per_s / 1e9:,.0f} GB/s"
    else:  # the per-hop latency alone exceeds the share: no bandwidth is enough
        need_text = "need ∞ (hop latency alone exceeds it)"
    text.append(f"  {safe_text(ic.link_kind)}: {need_text}, have {ic.available_bytes_per_s / 1e9:,.0f} GB/s\n")
    need = min(ic.required_bytes_per_s, ic.available_bytes_per_s * 2)
    text.append_text(bar([(need, "green" if ok else "red")], max(ic.available_bytes_per_s, need)))
    text.append(f"\n  all-reduce {format_duration(ic.comm_time_per_step_s)} = ")
    text.append(f"{ic.comm_share:.1%}", style="green" if ok else "bold red")
    text.append(f" of each decode step (target ≤ {ic.target_share:.0%})\n")
    hw = result.hardware
    if hw is not None and hw.fabric.inter_kind != "none":
        text.append(f"  between nodes: {hw.fabric.inter_kind} {hw.fabric.inter_bytes_per_s / 1e9:,.0f} GB/s\n",
                    style="dim")
    text.append(_other_collectives(ic), style="dim")
    return text


def _other_collectives(ic: Interconnect) -> str:
    """The collectives beyond the TP all-reduce line above: its NIC part, EP all-to-all, PP send."""
    rows = [(label, value) for label, value in collective_rows(ic) if label != "TP all-reduce"]
    if len(rows) == 1:  # only the wait, which is the all-reduce line above
        return ""
    return "".join(f"  {safe_text(label.strip())}: {safe_text(value)}\n" for label, value in rows)


def _against(value: float, target: float | None) -> Text:
    shown = Text(format_duration(value), style="bold")
    if target is None:
        return shown.append(" (no target)", style="dim")
    ok = value <= target
    shown.append(f" {'≤' if ok else '>'} {format_duration(target)} ")
    return shown.append("✓" if ok else "✗", style="green" if ok else "bold red")


def timing_lines(quote: Quote, est: Estimate) -> Text:
    r = quote.request
    text = _heading("Time\n")
    text.append(f"  prefill {format_duration(est.prefill_s)} ({r.input_tokens}-token prompt) · step "
                f"{format_duration(est.decode_step_s)} at batch {est.batch} · {est.bound}-bound\n")
    text.append("  TTFT ").append_text(_against(est.ttft_s, r.ttft_s))
    text.append("   TPOT ").append_text(_against(est.tpot_s, r.tpot_s))
    if est.saturated:
        text.append("   SATURATED", style="bold red")
    return text


def cost_lines(quote: Quote, result: Result) -> Text:
    cost = result.cost
    cur = quote.currency
    text = _heading(f"Cost ({cur})\n")
    if cost is None:
        return text.append("  no cost: the offering has no deployment or no price\n", style="dim")

    def money(usd: float, digits: int = 3) -> str:
        return f"{quote.in_currency(usd):,.{digits}f}"

    text.append(f"  per M output tokens  {money(cost.usd_per_million_output_tokens):>10}", style="bold")
    text.append("  ← ranks by this\n", style="dim")
    text.append(f"  per M input tokens   {money(cost.usd_per_million_input_tokens):>10}\n")
    text.append(f"  per M output, decode {money(cost.usd_per_million_output_tokens_decode):>10}\n")
    text.append(f"  per M tokens blended {money(cost.usd_per_million_tokens_blended):>10}\n")
    text.append(f"  prompts take {cost.prefill_share:.0%} of GPU time\n", style="dim")
    text.append(f"  per hour {money(cost.usd_per_hour, 2)} · per month {money(cost.usd_per_month, 0)}\n")
    text.append(f"  ({quote.hours_per_month:g} h a month; busy {quote.request.utilization:.0%} of them)\n", style="dim")
    return text


def api_lines(quote: Quote, result: Result) -> Text:
    """This row against the cheapest hosted API for the model and token mix, and its break-even."""
    text = _heading(f"Versus hosted APIs ({quote.currency})\n")
    be = quote.break_even_of(result)
    if be is None:
        return text.append("  —\n", style="dim")
    ref, price = be.reference, be.reference.price
    if price is None or be.api_per_million_tokens is None:
        return text.append(f"  no hosted API price for {safe_text(ref.model)} in the catalog\n", style="yellow")
    u, volume = be.break_even_utilization, be.break_even_tokens_per_month
    text.append(f"  cheapest API  {safe_text(price.provider)} {be.api_per_million_tokens.amount:,.3f} per M tokens "
                f"({ref.input_tokens} in / {ref.output_tokens} out)\n")
    text.append(f"  this row      {be.cluster_per_million_tokens.amount:,.3f} per M tokens at "
                f"{be.utilization:.0%} busy\n")
    if u is not None and volume is not None:
        verdict = f"{u:.1%} utilization · {volume / 1e6:,.0f} M tokens a month" if u <= 1 else \
            f"none: the API is cheaper even fully busy ({u:.0%})"
        text.append("  break-even    ").append(verdict, style="bold").append("\n")
    text.append(f"  source: {safe_text(price.source)}, seen {price.as_of.isoformat()}\n", style="dim")
    return text


def factor_lines(quote: Quote, result: Result, world: World | None = None) -> Text:
    """The factors the estimate used, marked "★ team" when a team calibration supplied them."""
    hw = result.hardware
    text = _heading("Efficiency factors\n")
    if hw is None:
        return text.append("  —\n", style="dim")
    e = hw.efficiency
    fit = f"fitted to {e.rows} rows" if e.rows else "prior, not fitted"
    err = f", median error {e.median_abs_pct_error:.0f} %" if e.median_abs_pct_error is not None else ""
    text.append(f"  {safe_text(e.id)} ({e.engine}; {fit}{err})")
    _marked(text, mark(world, "efficiency", e.id) if world else "").append("\n")
    band = quote.band_pct(result)
    text.append("  error band: ").append(safe_text(quote.band_text(result)),
                                         style="bold" if band is not None else "yellow")
    text.append("\n")
    text.append(f"  η_mem {e.eta_mem:.2f} · η_compute {e.eta_compute:.2f} · η_prefill {e.eta_prefill:.2f} · "
                f"t_fixed {e.t_fixed_s * 1e3:.1f} ms\n")
    text.append(f"  source: {safe_text(e.source)}\n", style="dim")
    text.append(f"  tenancy factor {hw.tenancy_factor:.2f} ({result.offering.tenancy})\n")
    return text


def details_columns(quote: Quote, result: Result, world: World | None = None) -> tuple[Text, Text]:
    """(left, right) columns of the details view for one result; `world` marks team entries."""
    left = header_lines(quote, result, world)
    est = result.estimate
    if est is not None:
        left.append("\n").append_text(memory_lines(quote, est))
        left.append("\n\n").append_text(interconnect_lines(result, est))
        left.append("\n").append_text(timing_lines(quote, est))
    right = cost_lines(quote, result)
    right.append("\n").append_text(api_lines(quote, result))
    right.append("\n").append_text(factor_lines(quote, result, world))
    serving = serving_lines(quote.request, result)  # workload features and disaggregated pools
    if serving:
        right.append("\n").append_text(Text("\n".join(line for line in serving if line)))
    return left, right


class DetailsPane(VerticalScroll):
    """The selected offering's derivation in two columns."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="details-columns"):
            yield Static("Select a row to see why it costs what it costs.", id="details-left", markup=False)
            yield Static("", id="details-right", markup=False)

    def show(self, quote: Quote | None, result: Result | None, world: World | None = None) -> None:
        left = self.query_one("#details-left", Static)
        right = self.query_one("#details-right", Static)
        if quote is None or result is None:
            left.update("Select a row to see why it costs what it costs.")
            right.update("")
            return
        left_text, right_text = details_columns(quote, result, world)
        left.update(left_text)
        right.update(right_text)
