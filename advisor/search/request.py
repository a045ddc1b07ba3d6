"""`QuoteRequest`: the normalized question a quote answers, and how raw inputs become one.

Owns the defaults (documented below and in `advisor quote --help`), model resolution by name
or size hint, and validation of the combination. A `QuoteRequest` is frozen and carries only
resolved, unit-free values, so `validate_request(json.loads(...)["request"])` rebuilds
exactly the same request later (`--from quote.json`).

Defaults, in order of precedence (flag > preset > team settings > built-in):
- max context: `--ctx`, else the preset's, else input + output when both are given, else 8k
  (never above the model's native context);
- input tokens: `--isl`, else the preset's, else a quarter of the context;
- output tokens: `--osl`, else the preset's, else an eighth of the context, at most 1024;
- load: `--concurrency` or `--rate`, else the preset's; neither means "one rentable unit
  (the fewest whole nodes a replica needs) filled to the largest load that meets the targets";
- targets: `--ttft`/`--tpot`/`--min-tps`, else the preset's, else TTFT 10 s and TPOT 100 ms
  (10 tokens/s per user);
- weights: bf16, fp16 or fp8 (FP4/INT4 change model quality: only when asked); KV: bf16 only
  (FP8 KV only when asked — the KV dtype never changes silently);
- engine, utilization, term, currency: team settings (`[defaults]`), else vllm, 0.5,
  on-demand, USD.

Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

from advisor.catalog.world import World
from advisor.domain.choices import TENANCIES, TERMS
from advisor.domain.common import CONFIG, ID_PATTERN, MAX_TEXT, KvDtype, WeightDtype
from advisor.domain.engines import split_engine
from advisor.domain.model import ModelProfile
from advisor.domain.offering import Tenancy, Term
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.search.features import SERVINGS, Serving, check_features, fill_features
from advisor.search.providers import check_providers
from advisor.shorthands import format_tokens, looks_like_model_size, parse_model_size

DEFAULT_CONTEXT_TOKENS = 8192
DEFAULT_TTFT_S = 10.0
DEFAULT_TPOT_S = 0.1
DEFAULT_WEIGHTS: tuple[str, ...] = ("bf16", "fp16", "fp8")
DEFAULT_KV: tuple[str, ...] = ("bf16",)
MAX_DEFAULT_OUTPUT_TOKENS = 1024
# '405b' matches a model within ±5 % of 405e9 parameters: closer than two real sizes lie
# (123b must not quietly become the 116.8B gpt-oss-120b)
SIZE_HINT_TOLERANCE = 0.05


# What the feasible offerings are ranked by (`--sort`); `advisor.search.ranking.SORT_KEYS` says
# what each means and computes it
Sort = Literal["mtok", "month", "tpot", "ttft"]
SORTS: tuple[Sort, ...] = get_args(Sort)

# The request's bounds, in one place: `QuoteRequest.__post_init__` enforces them whether the
# request comes from flags, the TUI's form or a quote file (pydantic checks the types there).
# field -> (lowest, highest, whether the lowest is allowed)
RANGES: dict[str, tuple[float, float, bool]] = {
    "max_context": (2, 100_000_000, True),
    "input_tokens": (1, 100_000_000, True),
    "output_tokens": (1, 10_000_000, True),
    "concurrency": (1, 10_000_000, True),
    "request_rate": (0, 1e7, False),
    "ttft_s": (0, 3600, False),
    "tpot_s": (0, 60, False),
    "min_tokens_per_s": (0, 1e6, False),
    "utilization": (0, 1, False),
    "max_usd_per_month": (0, 1e12, False),
    "max_nodes": (1, 10_000, True),
    "max_price_age_days": (1, 36_500, True),
    "input_tokens_p90": (1, 100_000_000, True),
    "output_tokens_p90": (1, 10_000_000, True),
    "prefix_hit": (0, 0.99, True),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "weights": get_args(WeightDtype),
    "kv_dtypes": get_args(KvDtype),
    "term": TERMS,
    "tenancies": TENANCIES,
    "sort": SORTS,
    "serving": SERVINGS,
}
_ID = re.compile(ID_PATTERN)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteRequest:
    """A fully resolved quote request: what to serve, under which targets, from which offerings."""

    __pydantic_config__ = {**CONFIG, "use_attribute_docstrings": False}  # docstrings feed no schema here

    model: str
    """Resolved model id (see `advisor models`)."""
    max_context: int
    """Longest context a request may reach (input + output), tokens; sizes the KV cache."""
    input_tokens: int
    """Typical prompt length, tokens."""
    output_tokens: int
    """Typical completion length, tokens."""
    concurrency: int | None = None
    """Peak concurrent requests for the whole deployment (closed loop)."""
    request_rate: float | None = None
    """Peak requests per second for the whole deployment (open loop)."""
    ttft_s: float | None = None
    """Time-to-first-token target, seconds (None: no target)."""
    tpot_s: float | None = None
    """Time-per-output-token target, seconds (1 / min_tokens_per_s when that was given)."""
    min_tokens_per_s: float | None = None
    """Per-user speed as asked (`--min-tps`), kept for display; tpot_s already reflects it."""
    weights: tuple[WeightDtype, ...]
    """Weight formats allowed; each accelerator uses those it runs natively."""
    kv_dtypes: tuple[KvDtype, ...]
    """KV-cache dtypes allowed."""
    engine: str = "vllm"
    """Serving engine whose efficiency factors apply: trtllm, vllm or sglang, optionally with a
    version ('vllm@0.6'); no version means the newest profile."""
    utilization: float = 0.5
    """Average share of rented hours the capacity is busy; $/Mtok is divided by it."""
    term: Term = "on-demand"
    """Commitment term whose price is used."""
    currency: str = "USD"
    """Currency amounts are shown in, an ISO 4217 code (ranking is the same in any currency)."""
    tenancies: tuple[Tenancy, ...] = ()
    """Tenancy kinds allowed; empty = any."""
    providers: tuple[str, ...] = ()
    """Providers allowed (case-insensitive); empty = any."""
    regions: tuple[str, ...] = ()
    """Regions allowed (case-insensitive substring of an offering region); empty = any."""
    max_usd_per_month: float | None = None
    """Budget for the whole deployment per month, in USD."""
    max_nodes: int | None = None
    """Most nodes the deployment may use (the offering's own limit also applies)."""
    max_price_age_days: int | None = None
    """Offerings whose price was seen more than this many days before the issue date are left
    out (`--max-price-age 90d`); None: prices of any age."""
    preset: str | None = None
    """Workload preset the defaults came from."""
    sort: Sort = "mtok"
    """What the feasible offerings are ranked by: cost per million output tokens (mtok), monthly
    cost for the requested load (month), TPOT or TTFT; each offering keeps its cheapest deployment."""
    input_tokens_p90: int | None = None
    """90th-percentile prompt length (`--isl MEAN,P90` or a lengths file); None: fixed lengths."""
    output_tokens_p90: int | None = None
    """90th-percentile completion length; None: fixed lengths."""
    prefix_hit: float = 0.0
    """Share of prompt tokens served from the prefix cache (`--prefix-hit`)."""
    spec_decode: str | None = None
    """Speculative decoding, METHOD:ACCEPTED:DRAFTED (`--spec-decode mtp:1.7`); None: off."""
    serving: Serving = "agg"
    """Aggregated serving, disaggregated prefill/decode pools, or per offering the better one."""
    notes: tuple[str, ...] = ()
    """How defaults and shorthands were resolved, for the quote's assumptions."""

    def __post_init__(self) -> None:
        for name, (low, high, low_allowed) in RANGES.items():
            value = getattr(self, name)
            if value is not None and not (low <= value <= high and (low_allowed or value > low)):
                above = "at least" if low_allowed else "above"
                raise ValueError(f"{name} {value!r} is out of range: must be {above} {low:g} and at most {high:g}")
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            for item in value if isinstance(value, tuple) else (value,):
                if item not in allowed:
                    raise ValueError(f"{name}: {item!r} is not one of {', '.join(allowed)}")
        split_engine(self.engine)  # ValueError names an unknown engine or a bad version
        if not self.weights or not self.kv_dtypes:
            raise ValueError("weights and kv_dtypes need at least one format each")
        for name in ("model", "preset"):
            value = getattr(self, name)
            if value is not None and not _ID.match(value):
                raise ValueError(f"{name}: {value!r} is not an id (lower case letters, digits, . _ / + -)")
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"currency: {self.currency!r} is not an ISO 4217 code such as 'USD'")
        if any(len(text) > MAX_TEXT for text in (*self.providers, *self.regions, *self.notes)):
            raise ValueError(f"providers, regions and notes are at most {MAX_TEXT} characters each")
        if self.input_tokens + self.output_tokens > self.max_context:
            raise ValueError(
                f"input {self.input_tokens} + output {self.output_tokens} tokens exceed the "
                f"context of {self.max_context} tokens"
            )
        if self.concurrency is not None and self.request_rate is not None:
            raise ValueError("give a concurrency or a request rate, not both")
        check_features(self)

    @property
    def load_label(self) -> str:
        """'concurrency 64', '5 req/s' or 'fill one unit'."""
        if self.concurrency is not None:
            return f"concurrency {self.concurrency}"
        if self.request_rate is not None:
            return f"{self.request_rate:g} req/s"
        return "largest load one unit serves within targets"


class ModelChoice(NamedTuple):
    """How a `--model` text resolved: the model id, and what to tell the user about it."""

    id: str
    given: str
    by_size: bool  # a size hint such as '405b' chose the model (not an id or alias)
    also_near: tuple[str, ...] = ()  # other models within SIZE_HINT_TOLERANCE, nearest first

    def line(self, world: World) -> str | None:
        """'123b → mistral-large-2 (123.0B)' when the text was not the id itself; else None."""
        if self.given == self.id:
            return None
        also = f"; also within {SIZE_HINT_TOLERANCE * 100:g} %: {', '.join(self.also_near)}" if self.also_near else ""
        return f"{self.given} → {model_size_text(world.models[self.id])}{also}"

    def note(self, world: World) -> str | None:
        """The assumption line of a size hint (None for an id or alias: the model row says it)."""
        if not self.by_size:
            return None
        return f"model size {self.given!r} resolved to the nearest model by total parameters: " + (
            self.line(world) or self.id)


def model_params_text(model: ModelProfile) -> str:
    """'70.6B'; a mixture of experts says so: '116.8B MoE, 5.1B active'."""
    active = model.active_params or model.total_params
    moe = f" MoE, {active / 1e9:.1f}B active" if model.moe is not None else ""
    return f"{model.total_params / 1e9:.1f}B{moe}"


def model_size_text(model: ModelProfile) -> str:
    """'llama-3.1-70b (70.6B)', 'gpt-oss-120b (116.8B MoE, 5.1B active)'."""
    return f"{model.id} ({model_params_text(model)})"


def choose_model(world: World, name: str) -> ModelChoice:
    """The model a `--model` text names: an id or alias, else a size hint ('123b') matching a
    model within SIZE_HINT_TOLERANCE of its total parameters. A size with no model that close
    is refused (exit 2) with the nearest models and their sizes."""
    given = name.strip()
    try:
        return ModelChoice(world.model(given).id, given, by_size=False)
    except AdvisorError:
        if not looks_like_model_size(given):
            raise
    params = parse_model_size(given)
    ranked = sorted(world.models.values(), key=lambda m: (abs(m.total_params - params) / params, m.id))
    near = [m for m in ranked if abs(m.total_params - params) / params <= SIZE_HINT_TOLERANCE]
    if not near:
        nearest = ", ".join(model_size_text(m) for m in ranked[:3])
        raise AdvisorError(
            f"no model within {SIZE_HINT_TOLERANCE * 100:g} % of {given} ({params / 1e9:g}B parameters)"
            + (f"; nearest: {nearest}" if nearest else "")
            + "; give a model id (see `advisor models`)",
            exit_code=EXIT_BAD_INPUT,
        )
    return ModelChoice(near[0].id, given, by_size=True, also_near=tuple(model_size_text(m) for m in near[1:]))


def resolve_model(world: World, name: str) -> tuple[str, str | None]:
    """Model id for a name, alias or size hint; the second item says how a size hint resolved."""
    choice = choose_model(world, name)
    return choice.id, choice.note(world)


def build_request(world: World, **raw: Any) -> QuoteRequest:
    """Fill defaults (flag > preset > settings > built-in) and validate; errors exit 2.

    `raw` holds already-parsed values keyed by QuoteRequest field names (None = not given),
    plus `model` (a name or size hint) and `preset` (a workload id or name).
    """
    given = {key: value for key, value in raw.items() if value is not None and value != ()}
    notes: list[str] = []
    if "model" not in given:
        raise AdvisorError("--model is required (a name, alias or size such as '405b')")
    model_id, hint = resolve_model(world, str(given["model"]))
    notes += [hint] if hint else []
    fields: dict[str, Any] = {"model": model_id}
    preset = world.workload(str(given["preset"])) if "preset" in given else None
    if preset is not None:
        fields["preset"] = preset.id
    _fill_tokens(fields, given, preset, world.models[model_id].max_context, notes)
    _fill_load_and_targets(fields, given, preset, notes)
    fill_features(fields, given, preset, notes)
    _fill_choices(fields, given, preset, world)
    if fields.get("providers"):
        check_providers(fields["providers"], world.offerings.values())
    fields["notes"] = tuple(notes)
    return _request(fields)


def validate_request(fields: dict[str, Any]) -> QuoteRequest:
    """QuoteRequest from untrusted data (a quote file's "request"): pydantic checks the types,
    the record its bounds; any error is one bad-input line."""
    from pydantic import ValidationError

    from advisor.domain.validation import validate

    try:
        return validate(QuoteRequest, fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        prefix = f"request: {where}: " if where else "request: "
        raise AdvisorError(prefix + message.removeprefix("request: "), exit_code=EXIT_BAD_INPUT) from None


def _request(fields: dict[str, Any]) -> QuoteRequest:
    """QuoteRequest from values the flag and form parsers already typed; its own checks hold."""
    try:
        return QuoteRequest(**fields)
    except ValueError as exc:
        raise AdvisorError(f"request: {exc}", exit_code=EXIT_BAD_INPUT) from None


def _fill_tokens(
    fields: dict[str, Any], given: dict[str, Any], preset: Any, model_ctx: int, notes: list[str]
) -> None:
    isl = given.get("input_tokens", preset.input_tokens if preset else None)
    osl = given.get("output_tokens", preset.output_tokens if preset else None)
    ctx = given.get("max_context", preset.max_context if preset else None)
    spread = "input_tokens_p90" in given or "output_tokens_p90" in given
    if ctx is None and isl is not None and osl is not None and spread:
        ctx = given.get("input_tokens_p90", isl) + given.get("output_tokens_p90", osl)
        notes.append(f"context {format_tokens(ctx)} tokens (p90 input + p90 output)")
    if "max_context" not in given and ctx is not None and ctx > model_ctx:
        notes.append(f"preset context {format_tokens(ctx)} capped at the model's {format_tokens(model_ctx)}")
        ctx = model_ctx  # a preset is generic; the model's own limit wins over it
    if ctx is None:
        ctx = isl + osl if isl is not None and osl is not None else min(DEFAULT_CONTEXT_TOKENS, model_ctx)
        notes.append(f"context {format_tokens(ctx)} tokens (default)")
    if ctx > model_ctx:
        raise AdvisorError(
            f"context {format_tokens(ctx)} exceeds the model's native {format_tokens(model_ctx)} tokens"
        )
    if isl is None:
        isl = max(1, ctx // 4)
        notes.append(f"input {isl} tokens (default: a quarter of the context)")
    if osl is None:
        osl = max(1, min(MAX_DEFAULT_OUTPUT_TOKENS, ctx // 8))
        notes.append(f"output {osl} tokens (default: an eighth of the context, at most 1024)")
    fields.update(max_context=ctx, input_tokens=isl, output_tokens=osl)


def _fill_load_and_targets(
    fields: dict[str, Any], given: dict[str, Any], preset: Any, notes: list[str]
) -> None:
    if "concurrency" in given and "request_rate" in given:
        raise AdvisorError("give --concurrency or --rate, not both")
    if "concurrency" in given or "request_rate" in given:
        fields["concurrency"] = given.get("concurrency")
        fields["request_rate"] = given.get("request_rate")
    elif preset is not None:
        fields["concurrency"] = preset.concurrency
        fields["request_rate"] = None if preset.concurrency else preset.request_rate
    if "tpot_s" in given and "min_tokens_per_s" in given:
        raise AdvisorError("give --tpot or --min-tps, not both (--min-tps N means --tpot 1/N)")
    if "min_tokens_per_s" in given:
        fields["min_tokens_per_s"] = given["min_tokens_per_s"]
        fields["tpot_s"] = 1.0 / given["min_tokens_per_s"]
    else:
        fields["tpot_s"] = given.get("tpot_s", preset.tpot_s if preset else None)
    fields["ttft_s"] = given.get("ttft_s", preset.ttft_s if preset else None)
    if preset is None:
        if fields["tpot_s"] is None:
            fields["tpot_s"] = DEFAULT_TPOT_S
            notes.append(f"TPOT target {DEFAULT_TPOT_S * 1e3:.0f} ms (default)")
        if fields["ttft_s"] is None:
            fields["ttft_s"] = DEFAULT_TTFT_S
            notes.append(f"TTFT target {DEFAULT_TTFT_S:g} s (default)")
    elif preset.percentile != "mean":
        notes.append(
            f"preset {preset.id} states {preset.percentile} targets; the model predicts steady-state "
            "means, so targets are compared against means"
        )


def _fill_choices(fields: dict[str, Any], given: dict[str, Any], preset: Any, world: World) -> None:
    settings = world.settings
    fields["weights"] = given.get("weights", DEFAULT_WEIGHTS)
    fields["kv_dtypes"] = given.get("kv_dtypes", DEFAULT_KV)
    fields["engine"] = given.get("engine", settings.engine)
    fields["utilization"] = given.get(
        "utilization", preset.utilization if preset is not None else settings.utilization
    )
    fields["term"] = given.get("term", settings.term)
    fields["currency"] = str(given.get("currency", settings.currency)).upper()
    for key in ("tenancies", "providers", "regions", "max_usd_per_month", "max_nodes", "max_price_age_days", "sort"):
        if key in given:
            fields[key] = given[key]
