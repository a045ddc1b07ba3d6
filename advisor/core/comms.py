"""Communication time: TP all-reduce, PP stage hops, EP all-to-all, and interconnect need.

An all-reduce of `m` bytes on `t` GPUs runs the fastest algorithm the link offers, as the
engines pick by message size (model.md §6):
- ring (NCCL, any link): `2(t−1)/t · m / (link · η_link) + 2(t−1) · (α + ℓ)`, with α the
  engine's per-step latency (fitted) and ℓ the link's own per-step latency (PCIe, NICs);
- NVLS (NVSwitch with in-switch reduction): the same bytes at the NVLS bus bandwidth, 2 steps;
- one-shot custom all-reduce (fully connected NVLink/NVSwitch/Infinity Fabric inside a node):
  every GPU reads its t−1 peers' whole buffers, `s + (t−1) · m / (link · η_link)`;
- two-shot (reduce-scatter then all-gather, same links): `2s + 2(t−1)/t · m / (link · η_link)`;
with s the measured synchronisation latency of the custom kernels. Small decode messages take
one-shot, mid-sized ones two-shot, prefill-sized ones ring or NVLS. Pure; no I/O.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.fabric import (
    CUSTOM_ALLREDUCE_LINKS,
    CUSTOM_ALLREDUCE_MAX_BYTES,
    CUSTOM_ALLREDUCE_SYNC_S,
    LINK_EFFICIENCY,
    MESH_LINKS,
    MESH_PEER_EFFICIENCY,
    NVLS_EFFICIENCY,
)
from advisor.core.types import Fabric, Interconnect


class Link(NamedTuple):
    """The link one collective runs on, as the formulas need it."""

    kind: str
    spec_bytes_per_s: float  # per GPU, per direction, as marketed
    efficiency: float  # achieved bus bandwidth / spec
    step_latency_s: float  # the link's own latency per ring step
    nvls: bool = False
    custom: bool = False  # one-shot / two-shot custom all-reduce available (fully connected)

    @property
    def bytes_per_s(self) -> float:
        return self.spec_bytes_per_s * self.efficiency


def group_link(fabric: Fabric, gpus: int) -> Link:
    """The link a group of `gpus` consecutive GPUs talks over (slowest hop decides)."""
    if gpus <= fabric.fast_group_gpus:
        kind = fabric.intra_kind
        spec = fabric.intra_bytes_per_s
        eff = LINK_EFFICIENCY.get(kind, 0.7)
        if kind == "infinity-fabric" and gpus < MESH_LINKS + 1:
            # A full mesh gives a group of t GPUs only t−1 of the 7 peer links.
            spec = min(spec, fabric.intra_bytes_per_s / MESH_LINKS * (gpus - 1))
            eff = MESH_PEER_EFFICIENCY if gpus <= 2 else eff
        nvls = fabric.nvls and kind == "nvswitch" and gpus > 2
        latency = fabric.step_latency_s if kind in ("pcie", "none") else 0.0
        custom = kind in CUSTOM_ALLREDUCE_LINKS and (kind != "nvlink-bridge" or gpus <= 2)
        return Link(kind, spec, eff, latency, nvls, custom)
    if gpus <= fabric.gpus_per_node:
        return Link("pcie", fabric.pcie_bytes_per_s, LINK_EFFICIENCY["pcie"], 1.7e-6)
    per_gpu = fabric.inter_bytes_per_s / fabric.gpus_per_node if fabric.gpus_per_node else 0.0
    return Link(fabric.inter_kind, max(per_gpu, 1.0), 0.8, fabric.inter_step_latency_s)


def allreduce_options(message_bytes: float, gpus: int, link: Link,
                      alpha_s: float) -> list[tuple[str, float, float, float]]:
    """(algorithm, time, latency part, bytes each GPU moves) of every algorithm the link
    offers for one all-reduce; the engines run the fastest."""
    if gpus <= 1:
        return [("none", 0.0, 0.0, 0.0)]
    ring_bytes = 2.0 * (gpus - 1) / gpus * message_bytes
    step = alpha_s + link.step_latency_s
    bw = link.bytes_per_s
    ring_latency = 2.0 * (gpus - 1) * step
    out = [("ring", ring_latency + ring_bytes / bw, ring_latency, ring_bytes)]
    if link.nvls:
        out.append(("nvls", 2.0 * step + ring_bytes / (link.spec_bytes_per_s * NVLS_EFFICIENCY),
                    2.0 * step, ring_bytes))
    if link.custom and message_bytes <= CUSTOM_ALLREDUCE_MAX_BYTES:
        sync = CUSTOM_ALLREDUCE_SYNC_S
        one = (gpus - 1) * message_bytes
        out.append(("one-shot", sync + one / bw, sync, one))
        out.append(("two-shot", 2.0 * sync + ring_bytes / bw, 2.0 * sync, ring_bytes))
    return out


def allreduce_algorithm(message_bytes: float, gpus: int, link: Link, alpha_s: float) -> str:
    """The algorithm an all-reduce of this size runs (ring, nvls, one-shot, two-shot)."""
    return min(allreduce_options(message_bytes, gpus, link, alpha_s), key=lambda o: o[1])[0]


def allreduce_s(message_bytes: float, gpus: int, link: Link, alpha_s: float) -> float:
    """One all-reduce of `message_bytes` over `gpus` GPUs (fastest algorithm; the same numbers
    as `allreduce_options`, inlined: the serving solver calls this in every step it tries)."""
    if gpus <= 1:
        return 0.0
    ring_bytes = 2.0 * (gpus - 1) / gpus * message_bytes
    step = alpha_s + link.step_latency_s
    bw = link.bytes_per_s
    best = 2.0 * (gpus - 1) * step + ring_bytes / bw
    if link.nvls:
        nvls = 2.0 * step + ring_bytes / (link.spec_bytes_per_s * NVLS_EFFICIENCY)
        best = nvls if nvls < best else best
    if link.custom and message_bytes <= CUSTOM_ALLREDUCE_MAX_BYTES:
        sync = CUSTOM_ALLREDUCE_SYNC_S
        one = sync + (gpus - 1) * message_bytes / bw
        two = 2.0 * sync + ring_bytes / bw
        best = min(best, one, two)
    return best


def allreduce_split(message_bytes: float, gpus: int, link: Link, alpha_s: float) -> tuple[float, float]:
    """(latency part, bytes each GPU sends) of one all-reduce, for the bandwidth-need solver."""
    if gpus <= 1:
        return 0.0, 0.0
    _, _, latency, volume = min(allreduce_options(message_bytes, gpus, link, alpha_s),
                                key=lambda o: o[1])
    return latency, volume


def p2p_s(message_bytes: float, link: Link, alpha_s: float) -> float:
    """A point-to-point send (pipeline stage hop)."""
    return message_bytes / link.bytes_per_s + alpha_s + link.step_latency_s


def alltoall_s(bytes_per_gpu: float, gpus: int, link: Link, alpha_s: float) -> float:
    """One all-to-all where each GPU sends `bytes_per_gpu` spread over its peers."""
    if gpus <= 1:
        return 0.0
    return bytes_per_gpu * (gpus - 1) / gpus / link.bytes_per_s + 2.0 * (alpha_s + link.step_latency_s)


def required_bytes_per_s(
    volume_bytes: float, latency_s: float, rest_s: float, link: Link, target_share: float
) -> float:
    """Link spec (per direction) keeping comm ≤ target share of the step; inf if latency alone
    already breaks the target.

    comm = latency + volume/(bw·η) ≤ share/(1−share) · rest  ⇒  bw ≥ volume / (η · slack).
    """
    if volume_bytes <= 0:
        return 0.0
    slack = target_share / (1.0 - target_share) * rest_s - latency_s
    if slack <= 0:
        return math.inf
    eff = link.efficiency * (NVLS_EFFICIENCY / link.efficiency if link.nvls else 1.0)
    return volume_bytes / (eff * slack)


def interconnect(
    *,
    link: Link,
    allreduces: int,
    message_bytes: float,
    tp: int,
    alpha_s: float,
    step_s: float,
    target_share: float,
) -> Interconnect:
    """TP all-reduce traffic of one decode step against the link it runs on."""
    latency, volume = allreduce_split(message_bytes, tp, link, alpha_s)
    comm = allreduces * allreduce_s(message_bytes, tp, link, alpha_s)
    rest = max(step_s - comm, 0.0)
    need = required_bytes_per_s(allreduces * volume, allreduces * latency, rest, link, target_share)
    return Interconnect(
        link_kind=link.kind if tp > 1 else "none",
        allreduce_bytes_per_step=allreduces * volume,
        comm_time_per_step_s=comm,
        comm_share=comm / step_s if step_s > 0 else 0.0,
        required_bytes_per_s=need,
        available_bytes_per_s=link.spec_bytes_per_s if tp > 1 else 0.0,
        target_share=target_share,
    )
