"""Inputs and results of the performance model: small frozen values of floats.

The inputs (`Layout`, `Precision`, `Fabric`, `Load`) are frozen slotted dataclasses: they are
compared and hashed as values (memo keys), and a layout is not equal to a bare tuple. The
results stay NamedTuples (see `advisor.core`).

This is the contract between the core and its callers (search, estimate, TUI). Fields may be
added; none are renamed or removed without changing every caller. No I/O, pint, rich, textual.
Units: bytes, bytes/s, FLOP/s, seconds, tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Layout:
    """How one deployment is split: TP × PP GPUs per attention rank, `dp` attention
    data-parallel ranks sharing one expert-parallel group of `ep` GPUs (DEP), DP replicas.

    `redundant_experts` extra expert copies are spread with the routed experts, so EP need only
    divide experts + redundant (DeepSeek's EPLB, SGLang `--ep-num-redundant-experts`).
    """

    tp: int = 1
    pp: int = 1
    ep: int = 1
    replicas: int = 1
    dp: int = 1  # attention data-parallel ranks inside one replica (1 unless DEP)
    redundant_experts: int = 0

    @property
    def gpus_per_replica(self) -> int:
        return self.tp * self.pp * self.dp

    @property
    def gpus(self) -> int:
        return self.gpus_per_replica * self.replicas

    @property
    def attention_ranks(self) -> int:
        """Independent attention groups (each with its own batch and KV): replicas × dp."""
        return self.replicas * self.dp


@dataclass(frozen=True, slots=True)
class Precision:
    """Weight format and KV-cache dtype, chosen independently (KV never changes silently)."""

    weights: str = "bf16"
    kv: str = "bf16"
    activations: str | None = None  # GEMM dtype; None = what engines do for `weights` on the chip


@dataclass(frozen=True, slots=True)
class Fabric:
    """The links one replica's GPUs use.

    `intra_bytes_per_s` is per GPU per direction inside a fast group of `fast_group_gpus`;
    beyond that group (but within a node) traffic falls back to `pcie_bytes_per_s`; between
    nodes it uses `inter_bytes_per_s` per node per direction (0 when nodes cannot be joined).
    """

    intra_kind: str
    intra_bytes_per_s: float
    fast_group_gpus: int
    gpus_per_node: int
    pcie_bytes_per_s: float
    nvls: bool = False
    inter_kind: str = "none"
    inter_bytes_per_s: float = 0.0
    step_latency_s: float = 0.0  # extra latency per ring step on this link (PCIe/NIC hops)
    inter_step_latency_s: float = 0.0  # latency per ring step across nodes


@dataclass(frozen=True, slots=True)
class Load:
    """The traffic: prompt and completion lengths and either concurrency or request rate.

    Neither given means max-throughput (offline) mode. `concurrency` and `rate` are totals for
    the whole deployment (split evenly over replicas). `max_context` sizes the KV cache per
    sequence; it defaults to isl + osl.
    """

    isl: int
    osl: int
    concurrency: int | None = None
    rate: float | None = None
    max_context: int | None = None
    prefix_hit: float = 0.0  # share of prompt tokens served from the prefix cache (no prefill work)
    draft_tokens: int = 0  # speculative decoding: tokens drafted (and verified) per step
    accepted_tokens: float = 1.0  # speculative decoding: mean tokens kept per step (≥ 1)
    isl_p90: int | None = None  # 90th-percentile prompt: TTFT is also reported for it

    @property
    def context(self) -> int:
        return self.max_context if self.max_context is not None else self.isl + self.osl


class MemoryBreakdown(NamedTuple):
    """Memory per GPU of one replica, and what it means for capacity."""

    weights_bytes_per_gpu: float
    kv_bytes_per_token: float  # summed over the GPUs of one replica (replicated heads count twice)
    kv_bytes_per_token_per_gpu: float  # on the most loaded GPU
    workspace_bytes_per_gpu: float
    usable_bytes_per_gpu: float  # memory × engine memory fraction
    kv_capacity_tokens: int  # per replica, paged-block granular
    kv_needed_bytes_per_gpu: float  # for the requested sequences at full context
    max_sequences: int  # per replica at the requested context
    fits: bool  # weights + workspace + KV for the requested load ≤ usable
    kv_budget_bytes_per_gpu: float = 0.0  # usable − weights − workspace (≥ 0)
    kv_bytes_per_sequence_per_gpu: float = 0.0  # one sequence at the requested context, paged


class Interconnect(NamedTuple):
    """Tensor-parallel all-reduce traffic against the fabric."""

    link_kind: str
    allreduce_bytes_per_step: float  # per GPU, one decode step, all layers
    comm_time_per_step_s: float
    comm_share: float  # share of the decode step spent in all-reduce
    required_bytes_per_s: float  # link bandwidth keeping comm_share under the target
    available_bytes_per_s: float
    target_share: float
    # Every collective of the same decode step, by kind (seconds per stage step, per GPU bytes):
    allreduce_s: float = 0.0  # TP all-reduce (= comm_time_per_step_s)
    allreduce_nic_s: float = 0.0  # the part of it across nodes (hierarchical TP)
    alltoall_s: float = 0.0  # EP dispatch + combine, every MoE layer of the stage
    alltoall_hidden_s: float = 0.0  # of it, overlapped with compute (EP across nodes)
    alltoall_bytes_per_step: float = 0.0
    alltoall_link_kind: str = "none"
    pp_send_s: float = 0.0  # activations to the next pipeline stage
    pp_link_kind: str = "none"
    step_s: float = 0.0  # the stage step these shares are of

    @property
    def collective_share(self) -> float:
        """Share of the stage step spent waiting on collectives (all-reduce, the all-to-all not
        hidden behind compute, PP send)."""
        total = self.allreduce_s + self.alltoall_s - self.alltoall_hidden_s + self.pp_send_s
        return total / self.step_s if self.step_s > 0 else 0.0


class Estimate(NamedTuple):
    """What a well-run engine achieves for one model × accelerator × layout × load."""

    memory: MemoryBreakdown
    batch: int  # decode batch per replica
    output_tokens_per_s: float  # whole deployment, all replicas
    total_tokens_per_s: float  # input + output tokens/s, whole deployment
    ttft_s: float
    tpot_s: float
    prefill_s: float  # one prompt's prefill time on an idle replica
    decode_step_s: float
    interconnect: Interconnect
    bound: str  # "memory" | "compute" | "kv-capacity" | …: what limits throughput
    factors: Mapping[str, float] = MappingProxyType({})  # efficiency factors used (read-only)
    factor_source: str = ""
    notes: tuple[str, ...] = ()
    mode: str = ""  # "closed-loop" | "open-loop" | "max-throughput" | "burst"
    saturated: bool = False  # open loop: the rate exceeds what the replica can serve
    requests_per_s: float = 0.0  # completed requests per second, whole deployment
    prefill_share: float = 0.0  # share of GPU time spent in prefill
    tenancy_factor: float = 1.0  # multiplied into throughput, divided into latencies
    compute_dtype: str = ""  # dtype the GEMMs run in
    t_mem_s: float = 0.0  # decode step: memory time (weights + KV) at the chosen batch
    t_compute_s: float = 0.0  # decode step: compute time
    # One pipeline stage's decode step at the micro-batch (batch / pp), before tenancy; the decode
    # step is pp × (max(weights, GEMMs) + max(KV, attention) + comm + fixed + host) ÷ tenancy
    # factor, or with host_overlap pp × max(max(weights, GEMMs) + … + fixed, host) ÷ tenancy.
    stage_parts_s: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # weights, GEMMs, KV, attention
    stage_comm_s: float = 0.0  # collectives of that stage step: TP all-reduce, EP all-to-all, PP send
    stage_fixed_s: float = 0.0  # the GPU's overhead of that stage step: fixed + per layer
    stage_host_s: float = 0.0  # the host's per-sequence work of that stage step
    host_overlap: bool = False  # the host works beside the GPU: the stage is max(GPU terms, host)
    fits: bool = True  # the model and at least one sequence fit in memory
    ttft_p90_s: float | None = None  # TTFT of a 90th-percentile prompt (lengths given as a distribution)
    prefill_tokens: float = 0.0  # prompt tokens one request prefills (after the prefix-cache hits)
