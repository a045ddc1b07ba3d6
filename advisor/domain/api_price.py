"""`ApiPrice`: what one hosted API charges per token for one model (the break-even's reference).

Prices are USD per million tokens, as the hosts list them. `model` names a model profile by id;
an id that no profile has yet loads with a warning (`advisor.catalog.merge`), so prices for
models added later stay valid. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from advisor.domain.common import CONFIG, Check, Date, Id, Name, Required, Text

MAX_USD_PER_MILLION_TOKENS = 1_000.0  # far above any listed open-model price; catches per-token typos × 1e6
UsdPerMillionTokens = Annotated[float, Check(ge=0, le=MAX_USD_PER_MILLION_TOKENS)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiPrice:
    """One host's per-token price for one open model, with provenance."""

    __pydantic_config__ = CONFIG

    id: Id
    """Stable id, 'host/model' by convention; a team file with the same id patches a built-in."""
    provider: Name
    """Who sells the API (Together, Fireworks, DeepInfra, Groq …)."""
    model: Id
    """Id of the model profile this price is for (see `advisor models`)."""
    api_model: Annotated[str, Check(max_length=200)] = ""
    """The host's own name for the model, e.g. 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo'."""
    usd_per_million_input: UsdPerMillionTokens
    """USD per million prompt (input) tokens."""
    usd_per_million_output: UsdPerMillionTokens
    """USD per million generated (output) tokens."""
    usd_per_million_cached_input: UsdPerMillionTokens | None = None
    """USD per million input tokens served from the host's prompt cache, when it lists one."""
    as_of: Date
    """Date the price was seen."""
    source: Required
    """Where the price comes from (URL of the host's page, or the price map and its commit)."""
    confidence: Literal["A", "B", "C"] = "B"
    """A: the host's own machine-readable list; B: the host's page or a dated price map; C: an article."""
    notes: Text = ""
    """Anything a buyer should know (quantization the host serves, tier, region)."""

    def __post_init__(self) -> None:
        cached = self.usd_per_million_cached_input
        if cached is not None and cached > self.usd_per_million_input:
            raise ValueError("usd_per_million_cached_input exceeds usd_per_million_input")

    def usd_per_million_blended(self, input_tokens: float, output_tokens: float, cached_share: float = 0.0) -> float:
        """USD per million tokens for a request of `input_tokens` in and `output_tokens` out, a
        `cached_share` of the input billed at the cached price (the input price when none is listed):
        (in × ((1 − c) × p_in + c × p_cached) + out × p_out) / (in + out)."""
        total = input_tokens + output_tokens
        if total <= 0:
            raise ValueError("a request has no tokens")
        cached_price = self.usd_per_million_input if self.usd_per_million_cached_input is None \
            else self.usd_per_million_cached_input
        per_input = (1 - cached_share) * self.usd_per_million_input + cached_share * cached_price
        return (input_tokens * per_input + output_tokens * self.usd_per_million_output) / total
