"""Efficiency factors and tenancy factors: the fitted, sourced numbers the core multiplies by."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from advisor.domain.common import Date, Engine, Frozen, Id, Text
from advisor.domain.offering import Tenancy


class EfficiencyFactors(Frozen):
    """How close a serving engine gets to the hardware roofline on one accelerator family.

    The most specific entry wins: offering > gpu > family, for the engine asked.
    """

    id: Id
    """Stable id, e.g. 'hopper-trtllm'; a team file with the same id replaces it."""
    family: str = Field(pattern=r"^[a-z0-9-]{2,30}$")
    """Accelerator family these factors apply to."""
    engine: Engine
    """Serving engine: trtllm, vllm or sglang."""
    gpu: Id | None = None
    """Restrict to one accelerator id (more specific than family)."""
    offering: Id | None = None
    """Restrict to one offering id (most specific), e.g. from a team's own measurements."""
    eta_mem: float = Field(gt=0, le=1)
    """Achieved share of peak HBM bandwidth in decode."""
    eta_compute: float = Field(gt=0, le=1)
    """Achieved share of dense peak FLOP/s in compute-bound decode."""
    eta_prefill: float = Field(gt=0, le=1)
    """Achieved share of dense peak FLOP/s in prefill."""
    alpha_s: float = Field(ge=0, le=1e-3)
    """Latency of one ring step of a small all-reduce, seconds."""
    t_fixed_s: float = Field(ge=0, le=0.1)
    """Fixed per-step overhead (launch, scheduling, sampling), seconds."""
    t_request_s: float = Field(default=0.0, ge=0, le=10)
    """Fixed latency each request pays once before its first token (HTTP, tokenization), seconds."""
    max_batch: int = Field(default=2048, ge=1, le=65536)
    """Engine cap on sequences in one decode batch."""
    rows: int = Field(default=0, ge=0, le=10_000_000)
    """Measurements the factors were fitted to (0 = prior, not fitted)."""
    median_abs_pct_error: float | None = Field(default=None, ge=0, le=1000)
    """Median absolute percentage error of the fit on its rows."""
    source: Text = Field(min_length=1)
    """How the factors were obtained (script, data file, hashes)."""
    as_of: Date
    """Date of the fit."""
    notes: Text = ""
    """Caveats."""


class TenancyFactor(Frozen):
    """Throughput multiplier for a tenancy kind relative to bare metal, with its source."""

    tenancy: Tenancy
    """bare-metal, vm, vgpu or container."""
    factor: float = Field(gt=0, le=1)
    """Share of bare-metal throughput achieved."""
    source: Text = Field(min_length=1)
    """Measurement the factor rests on."""
    as_of: Date
    """Date of the source."""
    notes: Text = ""
    """Caveats."""


Kind = Literal["accelerator", "offering", "model", "workload", "efficiency", "tenancy"]
