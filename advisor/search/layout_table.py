"""Every layout the search tries on one hardware, side by side: sized without pruning, each
with its throughput and latency, or the reason (with numbers) it is infeasible or slow.

"Slow" is a feasible layout whose collectives take more than the interconnect target share of
each decode step ("TP16 over nvswitch + infiniband: all-reduce 22 % of each decode step").
The numbers are the sizing's (`advisor.search.sizing.size_layout`); nothing is recomputed here.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from typing import NamedTuple

from advisor.core.types import Estimate, Layout, Precision
from advisor.search.feasibility import Failure, layout_label, memory_failure
from advisor.search.sizing import MemoryMiss, Searcher, size_layout
from advisor.search.space import MAX_NODES_PER_REPLICA, Candidate, Hardware


class LayoutRow(NamedTuple):
    """One layout on one hardware: its deployment's figures, or why it has none."""

    layout: Layout
    label: str  # 'TP16', 'TP8·PP2', 'DEP16+0R'
    precision: Precision
    feasible: bool
    nodes: int  # of the sized deployment (0 when infeasible)
    output_tokens_per_s: float  # whole deployment (0 when infeasible)
    tpot_s: float
    collective_share: float  # of the decode stage step, every collective together
    reason: str  # why infeasible, or why slow ('' when neither)
    kind: str = ""  # what fails: memory | tpot | ttft | nodes | budget … ('' when feasible)

    @property
    def tokens_per_s_per_node(self) -> float:
        return self.output_tokens_per_s / self.nodes if self.nodes else 0.0


def slow_reason(layout: Layout, est: Estimate) -> str:
    """The collective that costs most, when all of them exceed the target share; else ''."""
    ic = est.interconnect
    if ic.collective_share <= ic.target_share or ic.step_s <= 0:
        return ""
    terms = [(ic.allreduce_s, f"TP{layout.tp} over {ic.link_kind}: all-reduce"),
             (ic.alltoall_s, f"EP{layout.ep} over {ic.alltoall_link_kind}: all-to-all"),
             (ic.pp_send_s, f"PP{layout.pp} over {ic.pp_link_kind}: stage sends")]
    seconds, what = max(terms, key=lambda t: t[0])
    return (f"{what} {seconds / ic.step_s:.0%} of each decode step (collectives together "
            f"{ic.collective_share:.0%}, target ≤ {ic.target_share:.0%})")


def _row(layout: Layout, precision: Precision, outcome: Candidate | Failure | MemoryMiss | None,
         hw: Hardware) -> LayoutRow:
    label = layout_label(layout)
    if isinstance(outcome, Candidate):
        est = outcome.estimate
        return LayoutRow(outcome.layout, label, precision, True, outcome.nodes,
                         est.output_tokens_per_s, est.tpot_s, est.interconnect.collective_share,
                         slow_reason(layout, est))
    if isinstance(outcome, MemoryMiss):
        outcome = memory_failure(hw.accelerator, layout, precision, outcome.memory, outcome.estimate)
    if isinstance(outcome, Failure):
        tried = outcome.estimate
        share = tried.interconnect.collective_share if tried is not None else 0.0
        tpot = tried.tpot_s if tried is not None else 0.0
        return LayoutRow(layout, label, precision, False, 0, 0.0, tpot, share, outcome.message,
                         outcome.kind)
    return LayoutRow(layout, label, precision, False, 0, 0.0, 0.0, 0.0, "not sized", "pruned")


def compare_layouts(s: Searcher, hw: Hardware, precision: Precision) -> tuple[LayoutRow, ...]:
    """Every layout the search enumerates on `hw`, sized at `precision` without pruning, in
    the search's order (smallest replicas first)."""
    span = min(MAX_NODES_PER_REPLICA, hw.span_cap, hw.node_cap) if hw.joined else 1
    hw = s.with_memo_ids(hw)
    rows = []
    for layout in s.layouts(hw.fabric, span):
        outcome = size_layout(s, hw, layout, precision, None)
        rows.append(_row(layout, precision, outcome, hw))
    return tuple(rows)
