"""Which tensor-, pipeline- and expert-parallel layouts a model admits, on which fabric.

TP must divide the attention (query) heads; KV heads are replicated when TP exceeds them (or
TP must divide them when it is smaller). EP must divide the routed experts plus any redundant
copies and be a divisor or a multiple of TP (EP larger than TP means data-parallel attention
ranks sharing one expert-parallel group: DEP). PP must not exceed the layers. A TP group wider
than a node (an NVLink domain: 8 GPUs on HGX, 72 on NVL72) takes whole nodes and needs an
inter-node fabric; so does an EP group wider than a node. Pure; no I/O.
"""

from __future__ import annotations

from advisor.core.params import ModelShape, shape
from advisor.core.types import Fabric, Layout
from advisor.domain import ModelProfile


def tp_reason(s: ModelShape, tp: int) -> str | None:
    """Why `tp` is invalid for this model, or None."""
    if tp < 1:
        return "tp must be at least 1"
    if s.heads % tp:
        return f"tp={tp} does not divide the {s.heads} attention heads"
    if tp < s.kv_heads and s.kv_heads % tp:
        return f"tp={tp} does not divide the {s.kv_heads} KV heads"
    if tp > s.kv_heads and tp % s.kv_heads:
        return f"tp={tp} is not a multiple of the {s.kv_heads} KV heads (cannot replicate evenly)"
    return None


def ep_reason(s: ModelShape, layout: Layout) -> str | None:
    """Why the expert-parallel degree is invalid, or None."""
    ep, tp = layout.ep, layout.tp
    if ep < 1:
        return "ep must be at least 1"
    if ep == 1:
        return None
    if s.experts == 0:
        return f"ep={ep} on a dense model (no experts to spread)"
    slots = s.experts + layout.redundant_experts
    if slots % ep:
        extra = -slots % ep + layout.redundant_experts
        return (f"ep={ep} does not divide the {s.experts} experts"
                + (f" + {layout.redundant_experts} redundant" if layout.redundant_experts else "")
                + f"; --redundant-experts {extra} would make {s.experts + extra} slots")
    if ep <= tp:
        if tp % ep:
            return f"ep={ep} does not divide tp={tp}"
        return None
    if ep % tp:
        return f"ep={ep} is not a multiple of tp={tp}"
    if layout.attention_ranks % (ep // tp):
        return (
            f"ep={ep} > tp={tp} needs data-parallel attention replicas in groups of {ep // tp}; "
            f"got {layout.attention_ranks} replica(s) (use --gpus {ep * layout.pp})"
        )
    return None


def fabric_reason(layout: Layout, fabric: Fabric) -> str | None:
    """Why the fabric cannot carry this layout's groups, or None."""
    node = fabric.gpus_per_node
    joined = fabric.inter_kind != "none" and fabric.inter_bytes_per_s > 0
    if layout.tp * layout.pp > node and not joined:
        return (f"tp×pp={layout.tp * layout.pp} spans more than one {node}-GPU node and there is "
                "no inter-node fabric")
    if layout.tp > node and layout.tp % node:
        return (f"tp={layout.tp} spans nodes unevenly: a TP group across nodes takes whole "
                f"{node}-GPU nodes (tp {node * (layout.tp // node + 1)} or {node * (layout.tp // node) or node})")
    if layout.ep > node and not joined:
        return f"ep={layout.ep} spans more than one {node}-GPU node and there is no inter-node fabric"
    return None


def layout_reason(model: ModelProfile, layout: Layout, fabric: Fabric | None = None) -> str | None:
    """Why this layout cannot serve this model (on this fabric), or None when it can."""
    s = shape(model)
    if layout.dp < 1 or layout.redundant_experts < 0:
        return "dp must be at least 1 and redundant experts at least 0"
    if layout.redundant_experts and s.experts == 0:
        return f"--redundant-experts {layout.redundant_experts} on a dense model (no experts)"
    reason = tp_reason(s, layout.tp) or ep_reason(s, layout)
    if reason:
        return reason
    if layout.pp < 1 or layout.pp > s.layers:
        return f"pp={layout.pp} must be between 1 and the {s.layers} layers"
    if layout.replicas < 1:
        return "replicas must be at least 1"
    return fabric_reason(layout, fabric) if fabric is not None else None


def valid_tp(model: ModelProfile, max_tp: int) -> list[int]:
    """Every valid TP degree up to `max_tp`, ascending."""
    s = shape(model)
    return [t for t in range(1, max_tp + 1) if tp_reason(s, t) is None]


def valid_ep(model: ModelProfile, tp: int, max_ep: int) -> list[int]:
    """Valid EP degrees up to `max_ep` that divide or are multiples of `tp` (1 for dense)."""
    s = shape(model)
    if s.experts == 0:
        return [1]
    found = []
    for ep in range(1, max_ep + 1):
        replicas = max(1, ep // tp)
        if ep_reason(s, Layout(tp=tp, ep=ep, replicas=replicas)) is None:
            found.append(ep)
    return found
