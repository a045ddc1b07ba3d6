"""`WorkloadProfile`: a named serving scenario (chat, RAG, batch …) with its SLOs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, Check, Date, Fraction, Id, Name, Text

Percentile = Literal["mean", "p50", "p90", "p95", "p99"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadProfile:
    """A workload preset: token shapes, load, latency targets and utilization."""

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id, e.g. 'chat'."""
    name: Name
    """Display name."""
    description: Text = ""
    """What kind of traffic this is."""
    input_tokens: Annotated[int, Check(ge=1, le=10_000_000)]
    """Typical prompt length, tokens."""
    output_tokens: Annotated[int, Check(ge=1, le=1_000_000)]
    """Typical completion length, tokens."""
    max_context: Annotated[int, Check(ge=2, le=100_000_000)]
    """Longest context a request may reach (input + output), tokens; sizes the KV cache."""
    concurrency: Annotated[int, Check(ge=1, le=10_000_000)] | None = None
    """Peak concurrent requests (closed loop)."""
    request_rate: Annotated[float, Check(gt=0, le=1e7)] | None = None
    """Peak requests per second (open loop); used when concurrency is not given."""
    ttft_s: Annotated[float, Check(gt=0, le=3600)] | None = None
    """Time-to-first-token target, seconds."""
    tpot_s: Annotated[float, Check(gt=0, le=60)] | None = None
    """Time-per-output-token target, seconds."""
    percentile: Percentile = "p90"
    """Percentile the targets apply to."""
    utilization: Fraction = 0.5
    """Average share of rented hours the capacity is busy, for effective cost."""
    source: Text = ""
    """Where the shape comes from, if anywhere."""
    as_of: Date | None = None
    """Date of the source."""

    def __post_init__(self) -> None:
        if self.concurrency is None and self.request_rate is None:
            raise ValueError("give concurrency or request_rate")
        if self.input_tokens + self.output_tokens > self.max_context:
            raise ValueError("input_tokens + output_tokens exceed max_context")
