"""`WorkloadProfile`: a named serving scenario (chat, RAG, batch …) with its SLOs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.common import Date, Frozen, Id, Text

Percentile = Literal["mean", "p50", "p90", "p95", "p99"]


class WorkloadProfile(Frozen):
    """A workload preset: token shapes, load, latency targets and utilization."""

    id: Id
    """Stable id, e.g. 'chat'."""
    name: Text = Field(min_length=1, max_length=80)
    """Display name."""
    description: Text = ""
    """What kind of traffic this is."""
    input_tokens: int = Field(ge=1, le=10_000_000)
    """Typical prompt length, tokens."""
    output_tokens: int = Field(ge=1, le=1_000_000)
    """Typical completion length, tokens."""
    max_context: int = Field(ge=2, le=100_000_000)
    """Longest context a request may reach (input + output), tokens; sizes the KV cache."""
    concurrency: int | None = Field(default=None, ge=1, le=10_000_000)
    """Peak concurrent requests (closed loop)."""
    request_rate: float | None = Field(default=None, gt=0, le=1e7)
    """Peak requests per second (open loop); used when concurrency is not given."""
    ttft_s: float | None = Field(default=None, gt=0, le=3600)
    """Time-to-first-token target, seconds."""
    tpot_s: float | None = Field(default=None, gt=0, le=60)
    """Time-per-output-token target, seconds."""
    percentile: Percentile = "p90"
    """Percentile the targets apply to."""
    utilization: float = Field(default=0.5, gt=0, le=1)
    """Average share of rented hours the capacity is busy, for effective cost."""
    source: Text = ""
    """Where the shape comes from, if anywhere."""
    as_of: Date | None = None
    """Date of the source."""

    @model_validator(mode="after")
    def _consistent(self) -> "WorkloadProfile":
        if self.concurrency is None and self.request_rate is None:
            raise ValueError("give concurrency or request_rate")
        if self.input_tokens + self.output_tokens > self.max_context:
            raise ValueError("input_tokens + output_tokens exceed max_context")
        return self
