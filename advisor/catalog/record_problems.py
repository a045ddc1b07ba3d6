"""Pydantic validation errors to `file:line: key: message (did you mean …)` problems, and the
field introspection the hints and the loader's boolean check share (domain records and the
team config's pydantic model alike). Must not import textual, rich or httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.catalog.toml_positions import KeyPath
from advisor.catalog.toml_reader import ParsedToml, dotted
from advisor.errors import Problem, closest

if TYPE_CHECKING:
    from pydantic import ValidationError


_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")
MISSING_MESSAGE = "missing (required)"
_MESSAGES = {
    "extra_forbidden": "unknown key",
    "unexpected_keyword_argument": "unknown key",
    "missing": MISSING_MESSAGE,
}


def pydantic_problems(
    parsed: ParsedToml, exc: ValidationError, base: KeyPath, model: type[Any],
    key_base: KeyPath | None = None,
) -> list[Problem]:
    """One problem per pydantic error, at the line of its key (or the nearest enclosing one).

    `base` is where the validated table sits in the document, `key_base` how its keys are named
    in messages (default: the table's kind, without the array index).
    """
    shown = key_base if key_base is not None else base[:1]
    problems = []
    errors = exc.errors(include_url=False, include_input=False)
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    for error in errors:
        loc = tuple(error["loc"])
        message = _MESSAGES.get(error["type"], error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        hint = None
        if error["type"] in _UNKNOWN and loc and isinstance(loc[-1], str):
            hint = _key_hint(model, loc, missing)
        key_path = (*base, *loc)
        key = dotted((*shown, *loc))
        problems.append(Problem(parsed.path, parsed.line_of(key_path), key, message, hint))
    return problems


def _key_hint(model: type[Any], loc: tuple[Any, ...], missing: set[tuple[Any, ...]]) -> str | None:
    """A close field name; else the one required field missing beside the unknown key."""
    fields = _model_at(model, loc[:-1])
    hint = closest(loc[-1], _field_names(fields)) if fields else None
    if hint is None:
        siblings = [m[-1] for m in missing if m[:-1] == loc[:-1] and isinstance(m[-1], str)]
        hint = closest(loc[-1], siblings) or (siblings[0] if len(siblings) == 1 else None)
    return hint


def _model_at(model: type[Any], loc: tuple[Any, ...]) -> type[Any] | None:
    """The (nested) record or model class that holds the field at `loc`, for did-you-mean hints."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = field_annotations(current).get(part)
        nested = nested_record(annotation) if annotation is not None else None
        if nested is None:
            return None
        current = nested
    return current


def _field_names(model: type[Any]) -> list[str]:
    return list(field_annotations(model))


def field_annotations(model: Any) -> dict[str, Any]:
    """Field name -> annotation of a domain record or a pydantic model (the team config)."""
    fields = getattr(model, "model_fields", None)
    if fields is not None:
        return {name: info.annotation for name, info in fields.items()}
    from advisor.domain.common import field_types

    return field_types(model)


def nested_record(annotation: Any) -> type[Any] | None:
    """The record or pydantic model class an annotation holds, if any."""
    import dataclasses
    from typing import get_args

    if isinstance(annotation, type) and (
        hasattr(annotation, "model_fields") or dataclasses.is_dataclass(annotation)
    ):
        return annotation
    for arg in get_args(annotation):
        found = nested_record(arg)
        if found is not None:
            return found
    return None
