"""Disaggregated prefill/decode serving (model.md §6): a prefill pool and a decode pool.

Prompts are prefilled on `x` prefill replicas, their KV cache is shipped over the link between
the pools, and `y` decode replicas generate the rest of the tokens without prefill stealing
their steps (Dynamo, SGLang PD, vLLM/llm-d, Mooncake: "xPyD").

- KV transfer of one prompt = its KV bytes (every layer, the logical cache: K and V per KV head,
  or the MLA latent; windowed layers capped at their window) / the link's bytes/s + its latency.
  The transfer is not overlapped with the prefill (engines that stream layer by layer hide
  part of it: this is the conservative end).
- TTFT = request overhead + M/D/1 wait for a prefill replica + the prefill + the KV transfer;
  the prefill produces the first token.
- TPOT = the decode replica's step at its batch; the batch follows Little's law,
  B = λ/y · (O − 1) · TPOT.
- closed loop: C users, λ·(TTFT + (O−1)·TPOT) = C; open loop: λ given; max throughput: the
  smaller of the two pools' capacities.

Pure; no I/O, pint, rich or textual.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from advisor.core.deployment import Deployment, Setup, prepare
from advisor.core.memory import kv_layer_bytes
from advisor.core.params import shape
from advisor.core.precision import KV_BYTES
from advisor.core.serving import MAX_PREFILL_SHARE, Operating, assemble, rising_root
from advisor.core.types import Estimate, Fabric, Layout
from advisor.domain import ModelProfile


class KvLink(NamedTuple):
    """The link a prefill replica ships a prompt's KV cache over to a decode replica."""

    kind: str  # "nvswitch" (both pools in one node), "infiniband", "roce", …
    bytes_per_s: float  # per prefill replica, per direction
    latency_s: float  # per transfer (RDMA set-up, a switch hop)


class DisaggPoint(NamedTuple):
    """A solved operating point of the two pools, before tenancy (whole deployment)."""

    requests_per_s: float
    prefill_utilization: float  # ρ of each prefill replica
    decode_batch: float  # per decode replica
    ttft_s: float
    tpot_s: float
    queue_s: float  # mean wait for a prefill replica
    prefill_s: float  # request overhead + the prompt's prefill on an idle replica
    transfer_s: float  # KV transfer of one prompt
    saturated: bool = False


class Pools(NamedTuple):
    """A disaggregated deployment: `prefill.replicas` prefill replicas and `decode.replicas`
    decode replicas ("xPyD"), the link the KV cache crosses, and the solved point."""

    prefill: Layout
    decode: Layout
    link: KvLink
    kv_bytes: float  # one prompt's KV cache
    point: DisaggPoint
    same_node: bool  # both pools in one node (the KV crosses NVLink, not the NICs)

    @property
    def gpus(self) -> int:
        return self.prefill.gpus + self.decode.gpus


class DisaggEstimate(NamedTuple):
    """Both pools' estimates and the deployment as a whole."""

    estimate: Estimate  # the whole deployment: TTFT, TPOT, throughput, cost shares
    point: DisaggPoint
    kv_bytes: float  # one prompt's KV cache
    link: KvLink
    prefill_gpus: int
    decode_gpus: int


# Set-up of one RDMA transfer (NIXL/Mooncake transfer engine): a few µs on the wire, tens of
# µs with the engines' bookkeeping; an assumption, it only matters for short prompts.
KV_TRANSFER_LATENCY_S = 50e-6
# Achieved share of the NIC/NVLink bandwidth by bulk KV transfers (large RDMA writes reach
# 85–95 % of line rate); an assumption shown in the explanation.
KV_LINK_EFFICIENCY = 0.9


def prompt_kv_bytes(model: ModelProfile, kv_dtype: str, tokens: float) -> float:
    """KV bytes of a `tokens`-token prompt over every layer, as shipped between pools."""
    s = shape(model)
    b = KV_BYTES[kv_dtype]
    return sum(g.layers * kv_layer_bytes(s, g.kind, 1, b) * (min(tokens, g.window) if g.window else tokens)
               for g in s.groups)


def kv_transfer_s(kv_bytes: float, link: KvLink) -> float:
    """Seconds to ship `kv_bytes` over `link`: bytes over bandwidth plus the set-up latency."""
    return link.latency_s + kv_bytes / link.bytes_per_s


def kv_link(fabric: Fabric, prefill_gpus: int, *, same_node: bool) -> KvLink | None:
    """The link between the pools for one prefill replica of `prefill_gpus` GPUs.

    In one node the GPUs' own links (NVLink/Infinity Fabric, else PCIe) carry it; across nodes
    the replica's share of the node's NICs (`inter_bytes_per_s` is per node). None when the pools
    are on different nodes and the offering has no inter-node fabric.
    """
    if same_node:
        per_gpu = fabric.pcie_bytes_per_s if fabric.intra_kind == "pcie" else fabric.intra_bytes_per_s
        return KvLink(fabric.intra_kind, per_gpu * prefill_gpus * KV_LINK_EFFICIENCY, KV_TRANSFER_LATENCY_S)
    if fabric.inter_kind == "none" or fabric.inter_bytes_per_s <= 0:
        return None
    share = min(prefill_gpus, fabric.gpus_per_node) / fabric.gpus_per_node
    return KvLink(fabric.inter_kind, fabric.inter_bytes_per_s * share * KV_LINK_EFFICIENCY,
                  KV_TRANSFER_LATENCY_S + fabric.inter_step_latency_s)


def _md1_wait_s(share: float, service_s: float) -> float:
    return share * service_s / (2.0 * (1.0 - share))


def decode_batch_for_rate(decode: Setup, rate: float) -> float | None:
    """Batch B of one decode replica at `rate` requests/s: B = rate·(O−1)·TPOT(B), or None when
    no batch within the cap keeps up."""
    c = rate * decode.decode_tokens
    cap = float(decode.batch_cap)
    if c == 0.0:
        return 0.0
    if c * decode.step.tpot(cap) > cap:
        return None
    def gap(batch: float) -> float:  # rises with the batch: negative at 0, not at the cap
        return batch - c * decode.step.tpot(batch)

    return rising_root(gap, 0.0, gap(0.0), cap, gap(cap))


def _point(prefill: Setup, decode: Setup, x: int, y: int, rate: float, transfer_s: float) -> DisaggPoint:
    """The two pools at `rate` requests/s for the whole deployment."""
    t_p = prefill.prefill_gpu_s
    rho = rate * t_p / x
    idle = prefill.plan.t_request_s + prefill.first(0.0)
    batch = decode_batch_for_rate(decode, rate / y) if rho < MAX_PREFILL_SHARE else None
    if batch is None:
        cap = float(decode.batch_cap)
        return DisaggPoint(rate, min(rho, 1.0), cap, math.inf, decode.step.tpot(cap), math.inf, idle,
                           transfer_s, saturated=True)
    queue = _md1_wait_s(rho, t_p)
    tpot = decode.step.tpot(max(batch, 1.0))  # a decoding request is at least a batch of one
    return DisaggPoint(rate, rho, batch, idle + queue + transfer_s, tpot, queue, idle, transfer_s)


def capacity_rate(prefill: Setup, decode: Setup, x: int, y: int) -> float:
    """Most requests/s the pools serve: prefill replicas at MAX_PREFILL_SHARE, decode replicas
    at their batch cap."""
    cap = float(decode.batch_cap)
    decode_rate = y * cap / (decode.decode_tokens * decode.step.tpot(cap)) if decode.decode_tokens else math.inf
    return min(x * MAX_PREFILL_SHARE / prefill.prefill_gpu_s, decode_rate)


def closed_point(prefill: Setup, decode: Setup, x: int, y: int, users: float, transfer_s: float) -> DisaggPoint:
    """`users` cycling with no think time: λ with λ·(TTFT + (O−1)·TPOT) = users (bisection; the
    left side grows with λ). More users than the pools hold wait for a slot (Little's law)."""
    n = decode.decode_tokens
    top = capacity_rate(prefill, decode, x, y) * (1.0 - 1e-9)
    full = _point(prefill, decode, x, y, top, transfer_s)

    def users_at(point: DisaggPoint) -> float:
        return point.requests_per_s * (point.ttft_s + n * point.tpot_s)

    if full.saturated or users_at(full) <= users:
        ttft = max(full.ttft_s, users / top - n * full.tpot_s) if not full.saturated else math.inf
        return full._replace(ttft_s=ttft)
    def excess(rate: float) -> float:  # rises with the rate: −users at 0, ≥ 0 at the top
        return users_at(_point(prefill, decode, x, y, rate, transfer_s)) - users

    rate = rising_root(excess, 0.0, -users, top, users_at(full) - users)
    return _point(prefill, decode, x, y, rate, transfer_s)


def disagg_estimate(
    prefill: Deployment,
    decode: Deployment,
    link: KvLink,
    *,
    tenancy_factor: float = 1.0,
    memory_fraction: float = 0.9,
    comm_share_target: float = 0.10,
) -> DisaggEstimate:
    """Both pools under the decode deployment's load (its `layout.replicas` decode replicas and
    the prefill deployment's `layout.replicas` prefill replicas)."""
    load = decode.load
    x, y = prefill.layout.replicas, decode.layout.replicas
    p_setup = prepare(prefill, memory_fraction=memory_fraction)
    d_setup = prepare(decode, memory_fraction=memory_fraction,
                      logit_rows=max(1, math.ceil(load.concurrency / y)) if load.concurrency else None)
    kv = prompt_kv_bytes(decode.model, decode.precision.kv, load.isl)
    transfer = kv_transfer_s(kv, link)
    if load.concurrency is not None:
        point, mode = closed_point(p_setup, d_setup, x, y, float(load.concurrency), transfer), "closed-loop"
    elif load.rate is not None:
        point, mode = _point(p_setup, d_setup, x, y, load.rate, transfer), "open-loop"
    else:
        top = capacity_rate(p_setup, d_setup, x, y) * (1.0 - 1e-9)
        point, mode = _point(p_setup, d_setup, x, y, top, transfer), "max-throughput"
        point = point._replace(ttft_s=point.prefill_s + transfer, queue_s=0.0)
    whole = _whole(p_setup, d_setup, point, prefill, decode, mode, tenancy_factor, comm_share_target, kv, link)
    return DisaggEstimate(whole, point, kv, link, prefill.layout.gpus, decode.layout.gpus)


def _whole(p: Setup, d: Setup, point: DisaggPoint, prefill: Deployment, decode: Deployment, mode: str,
           tenancy_factor: float, comm_share_target: float, kv_bytes: float, link: KvLink) -> Estimate:
    """The decode pool's estimate with the deployment's rate, TTFT and the prefill pool's share
    of GPUs (which the cost split charges to input tokens)."""
    y = decode.layout.replicas
    op = Operating(point.decode_batch, point.requests_per_s / y, point.ttft_s, point.tpot_s,
                   point.tpot_s, 0.0, "saturated" if point.saturated else "decode", point.saturated)
    est = assemble(d, op, decode.factors, decode.layout, mode, tenancy_factor, comm_share_target, decode.load)
    gpus_p, gpus_d = prefill.layout.gpus, decode.layout.gpus
    return est._replace(prefill_s=point.prefill_s / tenancy_factor,
                        prefill_share=gpus_p / (gpus_p + gpus_d),
                        prefill_tokens=p.prefill_tokens,
                        ttft_p90_s=_ttft_p90(p, point, decode, kv_bytes, link, tenancy_factor))


def _ttft_p90(p: Setup, point: DisaggPoint, decode: Deployment, kv_bytes: float, link: KvLink,
              tenancy_factor: float) -> float | None:
    """TTFT of a 90th-percentile prompt: its longer prefill and KV transfer behind the same queue."""
    p90 = decode.load.isl_p90
    if p90 is None or not math.isfinite(point.ttft_s):
        return None
    longer = p.first_for(p90, 0.0) - p.first(0.0)
    more_kv = prompt_kv_bytes(decode.model, decode.precision.kv, p90) - kv_bytes
    return (point.ttft_s + longer + more_kv / link.bytes_per_s) / tenancy_factor
