"""Workload features of a request: length distributions, prefix-cache hits, speculative decoding
and the serving kind (aggregated, disaggregated or the better of the two per offering).

Owns parsing their flag texts (`--isl 2k,6k`, `--isl lengths.txt`, `--prefix-hit 0.6`,
`--spec-decode mtp:1.7`, `--serving auto`) into request fields, filling them from a preset,
their notes for the quote's assumptions, and the `Load` keywords the core takes. A request with
none of them set gives a `Load` equal to the one before they existed, so predictions do not move.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal, NamedTuple, get_args

from advisor.domain.workload import parse_spec_decode
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.shorthands import parse_tokens

Serving = Literal["agg", "disagg", "auto"]
SERVINGS: tuple[Serving, ...] = get_args(Serving)
MAX_PREFIX_HIT = 0.99

# The request fields this module owns and their "off" values: a quote's JSON and number leave
# them out while they are off, so quotes made before they existed keep both.
FEATURE_DEFAULTS: dict[str, object] = {
    "input_tokens_p90": None, "output_tokens_p90": None, "prefix_hit": 0.0, "spec_decode": None,
    "serving": "agg",
}


class Lengths(NamedTuple):
    """A length as a distribution: its mean and 90th percentile (equal for a fixed length)."""

    mean: int
    p90: int
    from_file: int = 0  # lengths read from a file (0: given as numbers)


def parse_lengths(text: str, flag: str) -> Lengths:
    """'2048' (fixed), '2k,6k' (mean,p90) or the path of a file of lengths (see
    `advisor.catalog.lengths`): exit 2 naming the flag when it is none of these."""
    text = text.strip()
    if "," in text:
        mean_text, _, p90_text = text.partition(",")
        mean, p90 = parse_tokens(mean_text.strip(), flag), parse_tokens(p90_text.strip(), flag)
        if mean < 1 or p90 < mean:
            raise AdvisorError(f"{flag} {text!r}: the mean must be at least 1 and the p90 at least the mean "
                               "(MEAN,P90, e.g. 2k,6k)", exit_code=EXIT_BAD_INPUT)
        return Lengths(mean, p90)
    if text[:1].isdigit() and not os.path.exists(text):
        value = parse_tokens(text, flag)
        return Lengths(value, value)
    from advisor.catalog.lengths import read_lengths

    return lengths_of(read_lengths(text, flag))


def length_fields(text: str | None, field: str, flag: str) -> dict[str, int | None]:
    """`{field: mean, field_p90: p90}` from a flag's text (p90 None for a fixed length)."""
    if text is None:
        return {field: None}
    lengths = parse_lengths(text, flag)
    return {field: lengths.mean, f"{field}_p90": lengths.p90 if lengths.p90 != lengths.mean else None}


def lengths_of(values: tuple[int, ...]) -> Lengths:
    """Mean (rounded) and nearest-rank 90th percentile of some lengths."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return Lengths(max(1, round(sum(ordered) / len(ordered))), ordered[rank - 1], len(ordered))


def parse_prefix_hit(text: str) -> float:
    """'0.6' or '60%' -> 0.6: the share of prompt tokens served from the prefix cache."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= MAX_PREFIX_HIT:
        raise AdvisorError(f"--prefix-hit {text!r}: give the share of prompt tokens served from the cache, "
                           f"0 to {MAX_PREFIX_HIT:g} (e.g. 0.6 or 60%)", exit_code=EXIT_BAD_INPUT)
    return value


def check_spec_decode(text: str, flag: str = "--spec-decode") -> str:
    """The normalized METHOD:ACCEPTED[:DRAFTED] text, or exit 2 naming the flag."""
    try:
        name, draft, accepted = parse_spec_decode(text)
    except ValueError as err:
        raise AdvisorError(f"{flag} {err}", exit_code=EXIT_BAD_INPUT) from None
    return f"{name}:{accepted:g}:{draft}"


def parse_serving(text: str) -> Serving:
    """'agg', 'disagg' or 'auto'; exit 2 with a did-you-mean otherwise."""
    from difflib import get_close_matches

    value = text.strip().lower()
    for choice in SERVINGS:
        if value == choice:
            return choice
    near = get_close_matches(value, SERVINGS, n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise AdvisorError(f"--serving {text!r} is not one of {', '.join(SERVINGS)}{hint}", exit_code=EXIT_BAD_INPUT)


def check_features(r: Any) -> None:
    """A p90 is at least its mean and the p90 lengths fit the context; spec decoding parses."""
    pairs = ((r.input_tokens, r.input_tokens_p90, "input"), (r.output_tokens, r.output_tokens_p90, "output"))
    for mean, p90, name in pairs:
        if p90 is not None and p90 < mean:
            raise ValueError(f"{name}_tokens_p90 {p90} is below the mean {mean}")
    if (r.input_tokens_p90 or r.input_tokens) + (r.output_tokens_p90 or r.output_tokens) > r.max_context:
        raise ValueError(f"p90 input + output tokens exceed the context of {r.max_context} tokens")
    if r.spec_decode is not None:
        parse_spec_decode(r.spec_decode)


def fill_features(fields: dict[str, Any], given: dict[str, Any], preset: Any, notes: list[str]) -> None:
    """The feature fields from the flags, else the preset; notes say what they do."""
    for key in ("input_tokens_p90", "output_tokens_p90", "prefix_hit", "spec_decode"):
        value = given.get(key, getattr(preset, key, None) if preset is not None else None)
        if value is not None and value != FEATURE_DEFAULTS[key]:
            fields[key] = check_spec_decode(value) if key == "spec_decode" else value
    if "serving" in given:
        fields["serving"] = given["serving"]
    notes.extend(feature_notes(fields))


def feature_notes(fields: dict[str, Any]) -> list[str]:
    """One assumption line per feature that is on."""
    notes = []
    hit = fields.get("prefix_hit") or 0.0
    if hit:
        notes.append(f"prefix cache: {hit:.0%} of prompt tokens are cache hits; prefill computes the "
                     "rest (they still attend to the whole prompt); the KV cache holds every token")
    if fields.get("spec_decode"):
        name, draft, accepted = parse_spec_decode(fields["spec_decode"])
        notes.append(f"speculative decoding {name}: {draft} drafted token(s) verified per step, {accepted:g} "
                     f"kept on average: {1 / accepted:.3f} steps per output token; the draft's own cost "
                     "and memory are not modelled")
    if fields.get("input_tokens_p90") or fields.get("output_tokens_p90"):
        notes.append("lengths are distributions: throughput and cost use the means, the TTFT target is "
                     "checked for the p90 prompt")
    return notes


def features_label(request: Any) -> str:
    """' · prefix hit 70% · mtp 1.85 tokens/step · p90 20000 in / 1000 out · serving auto' for the
    features that are on; '' when none is (titles stay as they were)."""
    parts = []
    if request.prefix_hit:
        parts.append(f"prefix hit {request.prefix_hit:.0%}")
    if request.spec_decode:
        name, _, accepted = parse_spec_decode(request.spec_decode)
        parts.append(f"{name} {accepted:g} tokens/step")
    if request.input_tokens_p90 is not None or request.output_tokens_p90 is not None:
        parts.append(f"p90 {request.input_tokens_p90 or request.input_tokens} in / "
                     f"{request.output_tokens_p90 or request.output_tokens} out")
    if request.serving != "agg":
        parts.append(f"serving {request.serving}")
    return "".join(f" · {part}" for part in parts)


def case_features(prefix_hit: Any, spec_decode: Any) -> dict[str, Any]:
    """`Load` keywords from `advisor estimate`'s --prefix-hit and --spec-decode (or a case's
    fields of those names); empty when neither is given."""
    out: dict[str, Any] = {}
    if prefix_hit not in (None, ""):
        hit = parse_prefix_hit(str(prefix_hit))
        if hit:
            out["prefix_hit"] = hit
    if spec_decode not in (None, ""):
        _, draft, accepted = parse_spec_decode(check_spec_decode(str(spec_decode)))
        out["draft_tokens"], out["accepted_tokens"] = draft, accepted
    return out


def load_features(request: Any) -> dict[str, Any]:
    """The `Load` keywords of a request's features (empty when every feature is off)."""
    out: dict[str, Any] = {}
    if request.prefix_hit:
        out["prefix_hit"] = request.prefix_hit
    if request.spec_decode:
        _, draft, accepted = parse_spec_decode(request.spec_decode)
        out["draft_tokens"], out["accepted_tokens"] = draft, accepted
    if request.input_tokens_p90 is not None and request.input_tokens_p90 != request.input_tokens:
        out["isl_p90"] = request.input_tokens_p90
    return out
