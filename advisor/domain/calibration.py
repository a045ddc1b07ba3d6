"""Efficiency factors and tenancy factors: the fitted, sourced numbers the core multiplies by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, Check, Date, Engine, Family, Fraction, Id, Required, Text
from advisor.domain.engines import RANGE_PATTERN
from advisor.domain.offering import Tenancy


@dataclass(frozen=True, slots=True, kw_only=True)
class EfficiencyFactors:
    """How close a serving engine gets to the hardware roofline on one accelerator family.

    The most specific entry wins: offering > gpu > family, for the engine asked.
    """

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id, e.g. 'hopper-trtllm'; a team file with the same id replaces it."""
    family: Family
    """Accelerator family these factors apply to."""
    engine: Engine
    """Serving engine: trtllm, vllm or sglang."""
    versions: Annotated[str, Check(pattern=RANGE_PATTERN, max_length=40)] = ""
    """Engine releases these factors hold for, e.g. '>=0.10' or '>=0.4,<0.5' (empty: all)."""
    gpu: Id | None = None
    """Restrict to one accelerator id (more specific than family)."""
    offering: Id | None = None
    """Restrict to one offering id (most specific), e.g. from a team's own measurements."""
    eta_mem: Fraction
    """Achieved share of peak HBM bandwidth in decode."""
    eta_compute: Fraction
    """Achieved share of dense peak FLOP/s in compute-bound decode."""
    eta_prefill: Fraction
    """Achieved share of dense peak FLOP/s in prefill."""
    alpha_s: Annotated[float, Check(ge=0, le=1e-3)]
    """Latency of one ring step of a small all-reduce, seconds."""
    t_fixed_s: Annotated[float, Check(ge=0, le=0.1)]
    """Fixed per-step overhead (launch, scheduling, sampling), seconds."""
    t_layer_s: Annotated[float, Check(ge=0, le=0.01)] = 0.0
    """Per-step overhead of each layer a GPU runs (the kernels and syncs a layer adds even under
    CUDA graphs), seconds: a 94-layer model pays more per step than a 36-layer one."""
    t_seq_s: Annotated[float, Check(ge=0, le=0.001)] = 0.0
    """Per-step overhead of each sequence in the batch (the engine's scheduling, sampling and
    output handling run per sequence on the CPU), seconds: a step of 1,000 sequences pays it
    1,000 times."""
    host_overlap: bool = False
    """Whether the engine prepares the next step on the host while the GPU runs this one
    (SGLang's overlap scheduler, TensorRT-LLM's PyTorch-backend overlap scheduler): the
    per-sequence overhead then shows only where it exceeds the GPU's step."""
    prefill_alone: bool = False
    """Whether the engine runs new prompts' prefill as a forward of its own while the decoding
    sequences wait (SGLang, whose --enable-mixed-chunk is off by default), rather than mixing
    prefill chunks into decode steps: each such forward reads the weights and pays the step's
    overheads again, shared only by the prompts that arrived during the same decode step."""
    eta_moe: Annotated[float, Check(gt=0, le=1.5)] = 1.0
    """Efficiency of the grouped expert GEMMs relative to dense GEMMs (η_compute × η_moe)."""
    t_request_s: Annotated[float, Check(ge=0, le=10)] = 0.0
    """Fixed latency each request pays once before its first token (HTTP, tokenization), seconds."""
    max_batch: Annotated[int, Check(ge=1, le=65536)] = 2048
    """Engine cap on sequences in one decode batch (max_num_seqs, max_running_requests,
    max_batch_size: the engine's default for these versions unless measured otherwise)."""
    small_gpu_max_batch: Annotated[int, Check(ge=1, le=65536)] | None = None
    """The engine's batch cap on GPUs under 70 GiB and on A100s, where it differs (vLLM V1:
    256 there, 1024 on larger GPUs); None: max_batch everywhere."""
    memory_fraction: Annotated[float, Check(gt=0.3, le=0.99)] | None = None
    """The engine's default share of GPU memory it manages (gpu_memory_utilization,
    mem_fraction_static, kv_cache_free_gpu_mem_fraction); None: 0.9."""
    prefill_chunk_tokens: Annotated[int, Check(ge=256, le=1_048_576)] | None = None
    """The engine's default tokens per prefill chunk (max_num_batched_tokens,
    chunked_prefill_size, max_num_tokens); None: 8192."""
    rows: Annotated[int, Check(ge=0, le=10_000_000)] = 0
    """Measurements the factors were fitted to (0 = prior, not fitted)."""
    median_abs_pct_error: Annotated[float, Check(ge=0, le=1000)] | None = None
    """Median absolute percentage error of the fit on its rows."""
    band_pct: Annotated[float, Check(ge=0, le=100_000)] | None = None
    """Error band (±%) for dense models: the 80th percentile of absolute cross-validated
    errors of this engine on this family (None: no measurements, a prior)."""
    band_moe_pct: Annotated[float, Check(ge=0, le=100_000)] | None = None
    """The same band for mixture-of-experts models."""
    band_rows: Annotated[int, Check(ge=0, le=10_000_000)] = 0
    """Cross-validated rows the bands rest on."""
    source: Required
    """How the factors were obtained (script, data file, hashes)."""
    as_of: Date
    """Date of the fit."""
    notes: Text = ""
    """Caveats."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TenancyFactor:
    """Throughput multiplier for a tenancy kind relative to bare metal, with its source."""

    __pydantic_config__ = CONFIG

    tenancy: Tenancy
    """bare-metal, vm, vgpu or container."""
    factor: Fraction
    """Share of bare-metal throughput achieved."""
    source: Required
    """Measurement the factor rests on."""
    as_of: Date
    """Date of the source."""
    notes: Text = ""
    """Caveats."""


Kind = Literal["accelerator", "offering", "model", "workload", "efficiency", "tenancy"]
