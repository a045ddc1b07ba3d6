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
one-shot, mid-sized ones two-shot, prefill-sized ones ring or NVLS.

A group wider than a node (an NVLink domain) runs hierarchically, as NCCL does across nodes:
reduce-scatter inside each node, all-reduce of the 1/l shard across the n nodes over the NIC
bandwidth per GPU, all-gather inside the node. The engines' custom kernels need one node, so
NCCL runs it: the intra part costs one intra-node NCCL all-reduce of `m` (ring, or NVLS on
NVSwitch with in-switch reduction), the inter part `2(n−1)/n · (m/l) / (nic · η) + 2(n−1)·(α + ℓ_nic)`.
An all-to-all over such a group sends the (g−l)/g of each GPU's bytes bound for other nodes
over the NIC while the (l−1)/g for node peers go over NVLink; the slower side decides.
Pure; no I/O.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.fabric import (
    CUSTOM_ALLREDUCE_LINKS,
    CUSTOM_ALLREDUCE_MAX_BYTES,
    CUSTOM_ALLREDUCE_SYNC_S,
    INTER_EFFICIENCY,
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
    local: Link | None = None  # across nodes: the link inside one node (the fields above: NIC)
    local_gpus: int = 0  # across nodes: GPUs of the group in one node

    @property
    def bytes_per_s(self) -> float:
        return self.spec_bytes_per_s * self.efficiency

    @property
    def label(self) -> str:
        """'nvswitch', or 'nvswitch + infiniband' for a group across nodes."""
        return f"{self.local.kind} + {self.kind}" if self.local is not None else self.kind


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
    local = group_link(fabric, fabric.gpus_per_node)
    return Link(fabric.inter_kind, max(per_gpu, 1.0), INTER_EFFICIENCY, fabric.inter_step_latency_s,
                local=local, local_gpus=fabric.gpus_per_node)


# The engines' custom all-reduce kernels need every rank in one node; a group across nodes runs
# NCCL (ring or NVLS inside the node, then across the NICs).
CUSTOM_ONLY = ("one-shot", "two-shot")


def hierarchical_parts(message_bytes: float, gpus: int, link: Link,
                       alpha_s: float) -> tuple[float, float, float, float]:
    """(intra-node time, inter-node time, inter latency part, NIC bytes each GPU sends) of one
    all-reduce over a group spanning nodes (see the module docstring)."""
    local = link.local if link.local is not None else link
    local_gpus = min(link.local_gpus, gpus)
    nodes = max(1, gpus // local_gpus)
    intra = min(t for name, t, _, _ in allreduce_options(message_bytes, local_gpus, local, alpha_s)
                if name not in CUSTOM_ONLY)
    nic_bytes = 2.0 * (nodes - 1) / nodes * message_bytes / local_gpus
    latency = 2.0 * (nodes - 1) * (alpha_s + link.step_latency_s)
    return intra, latency + nic_bytes / link.bytes_per_s, latency, nic_bytes


def allreduce_options(message_bytes: float, gpus: int, link: Link,
                      alpha_s: float) -> list[tuple[str, float, float, float]]:
    """(algorithm, time, latency part, bytes each GPU moves) of every algorithm the link
    offers for one all-reduce; the engines run the fastest."""
    if gpus <= 1:
        return [("none", 0.0, 0.0, 0.0)]
    if link.local is not None and gpus > link.local_gpus:
        intra, inter, latency, nic = hierarchical_parts(message_bytes, gpus, link, alpha_s)
        return [("hierarchical", intra + inter, intra + latency, nic)]
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
    if link.local is not None and gpus > link.local_gpus:
        intra, inter, _, _ = hierarchical_parts(message_bytes, gpus, link, alpha_s)
        return intra + inter
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
    """A point-to-point send (pipeline stage hop; across nodes it crosses the NIC)."""
    return message_bytes / link.bytes_per_s + alpha_s + link.step_latency_s


def alltoall_s(bytes_per_gpu: float, gpus: int, link: Link, alpha_s: float) -> float:
    """One all-to-all where each GPU sends `bytes_per_gpu` spread evenly over the group; across
    nodes the node-local and the NIC shares run at once and the slower decides."""
    if gpus <= 1:
        return 0.0
    own = 2.0 * (alpha_s + link.step_latency_s)
    if link.local is None or gpus <= link.local_gpus:
        return bytes_per_gpu * (gpus - 1) / gpus / link.bytes_per_s + own
    local_gpus = link.local_gpus
    intra = alltoall_s(bytes_per_gpu * local_gpus / gpus, local_gpus, link.local, alpha_s)
    inter = bytes_per_gpu * (gpus - local_gpus) / gpus / link.bytes_per_s + own
    return max(intra, inter)


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
        link_kind=link.label if tp > 1 else "none",
        allreduce_bytes_per_step=allreduces * volume,
        comm_time_per_step_s=comm,
        comm_share=comm / step_s if step_s > 0 else 0.0,
        required_bytes_per_s=need,
        available_bytes_per_s=link.spec_bytes_per_s if tp > 1 else 0.0,
        target_share=target_share,
    )
