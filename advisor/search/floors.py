"""The numbers behind `advisor floors`: per model × weight format, the memory floor and the
smallest GPU count on each accelerator. Pure apart from its inputs. Must not import textual."""

from __future__ import annotations

from typing import Any

from advisor.core.fabric import fabric_for_gpu
from advisor.core.layouts import layout_reason
from advisor.core.memory import (
    kv_bytes_per_sequence_per_gpu,
    memory_parts,
    weights_bytes_per_gpu,
    workspace_bytes_per_gpu,
)
from advisor.core.params import shape
from advisor.core.types import Layout, Precision
from advisor.domain import Accelerator, ModelProfile

MAX_GPUS = 64
TP_CHOICES = (8, 4, 2, 1)  # at equal GPU count, prefer tensor over pipeline parallelism
MORE_THAN_MAX = f">{MAX_GPUS}"  # no layout of up to MAX_GPUS GPUs holds the model
BEYOND_ONE_NODE = ">1 node"  # one node does not hold it, and these servers are not joined
LIMITS = {MORE_THAN_MAX: f"needs more than {MAX_GPUS} GPUs",
          BEYOND_ONE_NODE: "needs more than one node, and these servers have no inter-node fabric"}


def smallest_layout(model: ModelProfile, acc: Accelerator, precision: Precision, context: int,
                    sequences: int, fraction: float) -> Layout | None:
    """The fewest GPUs (then the highest tp) holding the model and the KV for the load."""
    s = shape(model)
    for gpus in range(1, MAX_GPUS + 1):
        for tp in TP_CHOICES:
            if gpus % tp or gpus // tp > s.layers:
                continue
            layout = Layout(tp=tp, pp=gpus // tp)
            if layout_reason(model, layout, fabric_for_gpu(acc, gpus)) is not None:
                continue
            parts = memory_parts(s, acc, layout, precision, context=context,
                                 logit_rows=sequences, memory_fraction=fraction)
            if parts.max_sequences >= sequences:
                return layout
    return None


def no_floor(acc: Accelerator) -> str:
    """Why `smallest_layout` found nothing on `acc`: `BEYOND_ONE_NODE` when its servers have no
    inter-node fabric (the search could not go past one node), else `MORE_THAN_MAX`."""
    return BEYOND_ONE_NODE if fabric_for_gpu(acc, MAX_GPUS).inter_bytes_per_s <= 0 else MORE_THAN_MAX


def floor_records(models: list[ModelProfile], gpus: list[Accelerator], formats: tuple[str, ...],
                  kv: str, context: int, sequences: int, fraction: float) -> list[dict[str, Any]]:
    """One record per model × weight format, with a per-accelerator GPU count (tp, pp), or
    the limit that ruled every count out (`LIMITS`)."""
    records = []
    reference = gpus[0] if gpus else None
    for model in models:
        for weights in formats:
            precision = Precision(weights=weights, kv=kv)
            one = Layout()
            s = shape(model)
            weights_bytes = weights_bytes_per_gpu(model, reference, one, precision) if reference else 0.0
            kv_bytes = kv_bytes_per_sequence_per_gpu(s, one, kv, context) * sequences
            workspace = workspace_bytes_per_gpu(s, one, sequences)
            per_gpu: dict[str, Any] = {}
            for acc in gpus:
                layout = smallest_layout(model, acc, precision, context, sequences, fraction)
                per_gpu[acc.id] = {"gpus": None, "tp": None, "pp": None, "limit": no_floor(acc)} \
                    if layout is None else {"gpus": layout.gpus, "tp": layout.tp, "pp": layout.pp, "limit": None}
            records.append({
                "model": model.id,
                "params_b": model.total_params / 1e9,
                "moe": model.moe is not None,
                "weights": weights,
                "kv_dtype": kv,
                "context": context,
                "sequences": sequences,
                "weights_bytes": weights_bytes,
                "kv_bytes": kv_bytes,
                "workspace_bytes": workspace,
                "floor_bytes": weights_bytes + kv_bytes + workspace,
                "gpus": per_gpu,
            })
    return records
