"""`WorkloadProfile`: a named serving scenario (chat, RAG, batch …) with its SLOs, and the
workload features that move cost: prefix-cache hits, speculative decoding (`parse_spec_decode`,
one parser for presets and flags) and length distributions (a p90 beside the mean)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, Check, Date, Fraction, Id, Name, Text

Percentile = Literal["mean", "p50", "p90", "p95", "p99"]

# Speculative decoding methods and the tokens each drafts per step unless told ("eagle:2.4:5"):
# DeepSeek-V3's one MTP module drafts 1; EAGLE-3 and n-gram lookup as vLLM/SGLang examples run
# them (num_speculative_tokens 3 and 4); a separate draft model 4.
SPEC_DRAFT_TOKENS: dict[str, int] = {"mtp": 1, "eagle": 3, "ngram": 4, "draft": 4}
MAX_DRAFT_TOKENS = 16
_SPEC = re.compile(r"^(?P<name>[a-z0-9-]+):(?P<accepted>[0-9]+(?:\.[0-9]+)?)(?::(?P<draft>[0-9]{1,2}))?$")


def parse_spec_decode(text: str) -> tuple[str, int, float]:
    """'mtp:1.7' -> ('mtp', 1, 1.7): method, tokens drafted per step, mean tokens kept per step
    (the acceptance length, counting the token the step makes anyway). ValueError when bad."""
    match = _SPEC.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not METHOD:ACCEPTED[:DRAFTED], e.g. 'mtp:1.7' or 'eagle:2.4:3'")
    name = match.group("name")
    if name not in SPEC_DRAFT_TOKENS:
        raise ValueError(f"{name!r} is not a speculative decoding method: {', '.join(SPEC_DRAFT_TOKENS)}")
    draft = int(match.group("draft")) if match.group("draft") else SPEC_DRAFT_TOKENS[name]
    accepted = float(match.group("accepted"))
    if not 1 <= draft <= MAX_DRAFT_TOKENS or not 1.0 <= accepted <= 1 + draft:
        raise ValueError(f"{text!r}: {accepted:g} tokens kept per step must be at least 1 and at most "
                         f"1 + {draft} drafted (1 to {MAX_DRAFT_TOKENS} drafted)")
    return name, draft, accepted


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
    input_tokens_p90: Annotated[int, Check(ge=1, le=10_000_000)] | None = None
    """90th-percentile prompt length, tokens (None: every prompt is `input_tokens` long)."""
    output_tokens_p90: Annotated[int, Check(ge=1, le=1_000_000)] | None = None
    """90th-percentile completion length, tokens."""
    prefix_hit: Annotated[float, Check(ge=0, le=0.99)] = 0.0
    """Share of prompt tokens served from the prefix cache (shared system prompts, history)."""
    spec_decode: Annotated[str, Check(max_length=40)] | None = None
    """Speculative decoding as METHOD:ACCEPTED[:DRAFTED], e.g. 'mtp:1.7' (None: off)."""
    source: Text = ""
    """Where the shape comes from, if anywhere."""
    as_of: Date | None = None
    """Date of the source."""

    def __post_init__(self) -> None:
        if self.concurrency is None and self.request_rate is None:
            raise ValueError("give concurrency or request_rate")
        if self.input_tokens + self.output_tokens > self.max_context:
            raise ValueError("input_tokens + output_tokens exceed max_context")
        for mean, p90, name in ((self.input_tokens, self.input_tokens_p90, "input_tokens"),
                                (self.output_tokens, self.output_tokens_p90, "output_tokens")):
            if p90 is not None and p90 < mean:
                raise ValueError(f"{name}_p90 {p90} is below the mean {name} {mean}")
        if (self.input_tokens_p90 or 0) + (self.output_tokens_p90 or 0) > self.max_context:
            raise ValueError("input_tokens_p90 + output_tokens_p90 exceed max_context")
        if self.spec_decode is not None:
            parse_spec_decode(self.spec_decode)
