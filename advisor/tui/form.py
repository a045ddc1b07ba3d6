"""The workload form as plain data: what the user typed, parsed into `build_request` fields.

Owns the mapping from form fields (text the user types, choices they pick) to the keyword
arguments of `advisor.search.request.build_request`, with one error line per field for inline
validation. The parsers are the CLI's own (`advisor.shorthands`), so `32k`, `50ms`, `60%`
mean the same in both faces. Pure: must not import textual (the widgets call this).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor import shorthands as sh
from advisor.errors import AdvisorError

WEIGHT_CHOICES: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "fp4", "int4")
KV_CHOICES: tuple[str, ...] = ("bf16", "fp16", "fp8")


@dataclass(frozen=True, slots=True)
class TextField:
    """One typed field: its form id, label, the request field it fills and its parser."""

    id: str
    label: str
    request_key: str
    parse: Callable[[str, str], Any]
    placeholder: str
    help: str


TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("ctx", "Context", "max_context", sh.parse_tokens, "8k",
              "longest context per request; k = 1024 (32k = 32768 tokens)"),
    TextField("isl", "Input tok", "input_tokens", sh.parse_tokens, "ctx/4",
              "typical prompt tokens per request"),
    TextField("osl", "Output tok", "output_tokens", sh.parse_tokens, "ctx/8",
              "typical completion tokens per request"),
    TextField("concurrency", "Concurrency", "concurrency", sh.parse_count, "fill one unit",
              "peak concurrent requests for the whole deployment"),
    TextField("rate", "Rate", "request_rate", sh.parse_request_rate, "req/s",
              "peak request rate instead of a concurrency: 5, 5/s or 300/min"),
    TextField("ttft", "TTFT ≤", "ttft_s", sh.parse_duration, "10s",
              "time-to-first-token target with a unit: 2s, 500ms"),
    TextField("tpot", "TPOT ≤", "tpot_s", sh.parse_duration, "100ms",
              "time-per-output-token target with a unit: 50ms (= 20 tokens/s per user)"),
    TextField("utilization", "Utilization", "utilization", sh.parse_fraction, "50%",
              "busy share of rented hours: 0.6 or 60%; $/Mtok is divided by it"),
)
TEXT_FIELD_IDS: tuple[str, ...] = tuple(f.id for f in TEXT_FIELDS)


@dataclass(frozen=True)
class FormValues:
    """Everything the form holds, as the user left it (texts unparsed, choices picked)."""

    model: str
    preset: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # TextField.id -> typed text
    weights: tuple[str, ...] = ("bf16", "fp16", "fp8")
    kv_dtypes: tuple[str, ...] = ("bf16",)
    tenancy: str | None = None  # None: any
    provider: str | None = None  # None: any
    term: str | None = None  # None: the team's default
    engine: str | None = None  # None: the team's default


@dataclass(frozen=True)
class ParsedForm:
    """`build_request` keyword arguments, or the errors that keep the form from being one."""

    raw: dict[str, Any]
    errors: dict[str, str]  # form field id -> one line

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_text(spec: TextField, text: str) -> tuple[Any, str | None]:
    """(value or None when blank, error line or None)."""
    stripped = text.strip()
    if not stripped:
        return None, None
    try:
        value = spec.parse(stripped, spec.label.rstrip(" ≤").lower())
    except AdvisorError as err:
        return None, err.message
    if value == 0:
        return None, f"{spec.label.rstrip(' ≤').lower()} must be above 0"
    return value, None


def parse_form(values: FormValues) -> ParsedForm:
    """Parse every field; blank means 'default' (preset, team settings, built-in)."""
    raw: dict[str, Any] = {"model": values.model.strip() or None, "preset": values.preset}
    errors: dict[str, str] = {}
    if raw["model"] is None:
        errors["model"] = "type a model name, alias or size such as 70b"
    for spec in TEXT_FIELDS:
        value, error = parse_text(spec, values.texts.get(spec.id, ""))
        if error is not None:
            errors[spec.id] = error
        raw[spec.request_key] = value
    if raw.get("concurrency") is not None and raw.get("request_rate") is not None:
        errors["rate"] = "give a concurrency or a rate, not both"
    if not values.weights:
        errors["weights"] = "allow at least one weight format"
    if not values.kv_dtypes:
        errors["kv"] = "allow at least one KV-cache dtype"
    raw["weights"] = tuple(values.weights) or None
    raw["kv_dtypes"] = tuple(values.kv_dtypes) or None
    raw["tenancies"] = (values.tenancy,) if values.tenancy else None
    raw["providers"] = (values.provider,) if values.provider else None
    raw["term"] = values.term
    raw["engine"] = values.engine
    return ParsedForm(raw, errors)
