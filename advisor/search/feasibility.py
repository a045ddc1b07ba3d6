"""Binding reasons with numbers: why a layout or an offering is not feasible, and what to relax.

Owns the `Failure` record, the messages ("needs 820 GiB across TP8 …, 8×H100 has 573 GiB
usable"; "TP=8 over pcie: all-reduce takes 41 % of each decode step, TPOT 72 ms > 50 ms
target"), how far each kind of failure got, and the choice of the one to report.
Reads the core's `Estimate`; computes no physics. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.types import Estimate, Layout, MemoryBreakdown, Precision
from advisor.domain import Accelerator
from advisor.search.request import QuoteRequest

GIB = 1024.0**3

# How far an attempt got before failing; the furthest is the binding reason to report.
PROGRESS = {"data": -2, "price": -1, "precision": 0, "memory": 1, "ttft": 2, "tpot": 2, "nodes": 3, "budget": 4}


class Failure(NamedTuple):
    """Why a layout (or a whole offering) is not feasible, with the numbers that bind."""

    kind: str  # data | price | precision | memory | ttft | tpot | nodes | budget
    message: str
    slack: float  # needed / allowed (≥ 1); the smallest is the closest to feasible
    relax: str = ""  # what the user could change
    layout: Layout | None = None  # the attempt that failed, for --explain
    precision: Precision | None = None
    estimate: Estimate | None = None
    memory: MemoryBreakdown | None = None  # when only the memory check ran


def closest_failure(failures: list[Failure]) -> Failure | None:
    """The failure of the attempt that got furthest (nodes > latency > memory), then least slack."""
    if not failures:
        return None
    return min(failures, key=lambda f: (-PROGRESS.get(f.kind, 0), f.slack, f.message))


def layout_label(layout: Layout) -> str:
    """'TP8', 'TP4·PP2', 'TP8·EP8', 'DEP16', 'TP8·DP2·EP16' (one replica; replicas are shown
    separately; '+R' names redundant experts)."""
    extra = f"+{layout.redundant_experts}R" if layout.redundant_experts else ""
    if layout.dp > 1 and layout.tp == 1 and layout.pp == 1 and layout.ep == layout.dp:
        return f"DEP{layout.ep}{extra}"
    label = f"TP{layout.tp}"
    if layout.pp > 1:
        label += f"·PP{layout.pp}"
    if layout.dp > 1:
        label += f"·DP{layout.dp}"
    if layout.ep > 1:
        label += f"·EP{layout.ep}{extra}"
    return label


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def precision_failure(acc: Accelerator, request: QuoteRequest) -> Failure:
    native = ", ".join(acc.native_weight_dtypes)
    return Failure(
        "precision",
        f"{acc.name} runs {native} weights natively; allowed: {', '.join(request.weights)}",
        math.inf,
        f"--weights {','.join(acc.native_weight_dtypes)}",
    )


def memory_failure(
    acc: Accelerator, layout: Layout, precision: Precision, mem: MemoryBreakdown,
    est: Estimate | None = None,
) -> Failure:
    """One sequence at full context does not fit in this replica."""
    gpus = layout.gpus_per_replica
    needed = (mem.weights_bytes_per_gpu + mem.workspace_bytes_per_gpu + mem.kv_needed_bytes_per_gpu) * gpus
    usable = mem.usable_bytes_per_gpu * gpus
    message = (
        f"needs {needed / GIB:,.0f} GiB across {layout_label(layout)} ({precision.weights} weights, "
        f"one sequence at full context), {gpus}×{acc.name} has {usable / GIB:,.0f} GiB usable"
    )
    return Failure("memory", message, needed / usable if usable > 0 else math.inf,
                   "fp8/fp4 weights (--weights), a shorter --ctx, or more nodes", layout, precision, est,
                   mem)


def latency_failure(request: QuoteRequest, layout: Layout, precision: Precision, est: Estimate) -> Failure:
    """The targets are missed even at the lightest load tried."""
    tpot_ratio = est.tpot_s / request.tpot_s if request.tpot_s is not None else 0.0
    ttft_ratio = est.ttft_s / request.ttft_s if request.ttft_s is not None else 0.0
    where = f"{layout_label(layout)} {precision.weights}"
    if tpot_ratio >= ttft_ratio:
        ic = est.interconnect
        target = _ms(request.tpot_s or 0.0)
        if layout.tp > 1 and ic.comm_share > ic.target_share:
            message = (
                f"TP={layout.tp} over {ic.link_kind}: all-reduce takes {ic.comm_share * 100:.0f} % of "
                f"each decode step, TPOT {_ms(est.tpot_s)} > {target} target"
            )
        else:
            message = f"{where}: TPOT {_ms(est.tpot_s)} > {target} target ({est.bound}-bound)"
        relax = f"--tpot {_ms(est.tpot_s * 1.05).replace(' ', '')}"
        return Failure("tpot", message, tpot_ratio, relax, layout, precision, est)
    message = (f"{where}: TTFT {est.ttft_s:.2f} s > {request.ttft_s:g} s target "
               f"for a {request.input_tokens}-token prompt")
    relax = f"--ttft {math.ceil(est.ttft_s * 10.5) / 10:g}s"
    return Failure("ttft", message, ttft_ratio, relax, layout, precision, est)


def nodes_failure(
    request: QuoteRequest, node_cap: int, layout: Layout, precision: Precision, nodes: int,
    per_replica: float, kind: str,
) -> Failure:
    """Serving the whole load needs more nodes than the offering (or --max-nodes) allows."""
    unit = "concurrent requests" if kind == "concurrency" else "req/s"
    message = (
        f"needs {nodes} nodes ({layout.replicas}× {layout_label(layout)}, at most {per_replica:.3g} "
        f"{unit} per replica within the targets) for {request.load_label}; at most {node_cap} allowed"
    )
    return Failure("nodes", message, nodes / node_cap, f"--max-nodes {nodes} or a lower load",
                   layout, precision)
