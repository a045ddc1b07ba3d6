"""Catalog and profile files: a parsed TOML document to validated domain entries, every problem.

Owns the file format (top-level arrays of tables named `accelerator`, `offering`, `model`,
`workload`, `efficiency`, `tenancy`, `api_price`), pydantic validation of each entry (its errors
as `file:line: key: message (did you mean …)` by `advisor.catalog.record_problems`), and
duplicate ids within one file.
Safe reading (size, encoding, depth) is `advisor.catalog.toml_reader`; layering is `advisor.catalog.config`.
An entry whose id is in the `bases` given (an earlier layer's) is a patch: validated merged over
that entry (`advisor.catalog.overrides`), so it may set only a price, and its problems still name
this file's line and key.
Must not import textual, rich or httpx; pint arrives only through `advisor.domain.units` when a unit
string is validated.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from advisor import domain
from advisor.catalog.record_problems import MISSING_MESSAGE, field_annotations, nested_record, pydantic_problems
from advisor.catalog.toml_positions import KeyPath, header_lines
from advisor.catalog.toml_reader import ParsedToml, read_file_bytes, read_toml
from advisor.errors import Problem, closest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from advisor.catalog.overrides import Base

    Bases = Mapping[tuple[str, str], Base]

# The top-level tables of a catalog or profile file and the record each entry becomes.
KINDS: dict[str, type[Any]] = {
    "accelerator": domain.Accelerator,
    "offering": domain.Offering,
    "model": domain.ModelProfile,
    "workload": domain.WorkloadProfile,
    "efficiency": domain.EfficiencyFactors,
    "tenancy": domain.TenancyFactor,
    "api_price": domain.ApiPrice,
}
ID_FIELD = {"tenancy": "tenancy"}  # every other kind is keyed by `id`
MAX_PROBLEMS = 200  # per file: enough to fix a file, bounded for hostile input


class Entry(NamedTuple):
    """One validated entry and the line its table starts on."""

    kind: str
    id: str
    value: Any  # a domain record
    line: int | None
    item: dict[str, Any] | None = None  # its table as written (a string price split): the fields it sets
    base: dict[str, Any] | None = None  # the earlier entry it was validated over, when a patch


class LoadedFile(NamedTuple):
    """What one catalog file yielded: entries in file order, and every problem found."""

    path: str
    sha256: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    as_of: str = ""  # newest `as_of` among the entries, ISO date


def entry_id(kind: str, value: Any) -> str:
    """The id an entry is keyed and shadowed by."""
    return str(getattr(value, ID_FIELD.get(kind, "id")))


def load_catalog_bytes(data: bytes, path: str, bases: Bases | None = None) -> LoadedFile:
    """Validate one catalog/profile file's bytes; problems are collected, not raised. An entry
    whose (kind, id) is in `bases` is validated as a patch of that entry."""
    parsed, problems = read_toml(data, path)
    if parsed is None:
        return LoadedFile(path, hashlib.sha256(data).hexdigest(), (), tuple(problems))
    entries, problems = catalog_entries(parsed, bases)
    newest = max((str(getattr(e.value, "as_of", "") or "") for e in entries), default="")
    return LoadedFile(path, parsed.sha256, tuple(entries), tuple(problems[:MAX_PROBLEMS]), newest)


def load_shipped_bytes(data: bytes, path: str) -> LoadedFile:
    """One built-in file: parsed safely, its entries built without validation
    (`advisor.domain.shipped`). Should it not have the records' shape after all, it is loaded
    like any other file, which names every problem."""
    from advisor.domain.shipped import build

    parsed, problems = read_toml(data, path)
    if parsed is None or problems or _top_level_problems(parsed):
        return load_catalog_bytes(data, path)
    headers = header_lines(parsed.text, KINDS)
    entries = []
    try:
        for kind, model in KINDS.items():
            items = parsed.data.get(kind, [])
            for index, item in enumerate(items):
                line = headers[kind][index] if len(headers[kind]) == len(items) else parsed.line_of((kind, index))
                value = build(model, item)
                entries.append(Entry(kind, entry_id(kind, value), value, line, item))
    except (TypeError, ValueError, AttributeError, RecursionError):
        return load_catalog_bytes(data, path)
    newest = max((str(getattr(e.value, "as_of", "") or "") for e in entries), default="")
    return LoadedFile(path, parsed.sha256, tuple(entries), (), newest)


def load_catalog_file(path: Path, bases: Bases | None = None) -> LoadedFile:
    """Read and validate one catalog/profile file from disk (patches of `bases` as above)."""
    data, problem = read_file_bytes(path)
    if data is None:
        return LoadedFile(str(path), "", (), (problem,) if problem else ())
    return load_catalog_bytes(data, str(path), bases)


# -- the document --------------------------------------------------------------------------

def catalog_entries(parsed: ParsedToml, bases: Bases | None = None) -> tuple[list[Entry], list[Problem]]:
    """Every valid entry of a parsed catalog file, and a problem for everything else."""
    problems = _top_level_problems(parsed)
    entries: list[Entry] = []
    headers = header_lines(parsed.text, KINDS)
    for kind, model in KINDS.items():
        items = parsed.data.get(kind)
        if not isinstance(items, list):
            continue
        lines = headers[kind] if len(headers[kind]) == len(items) else None
        for index, item in enumerate(items):
            if len(problems) >= MAX_PROBLEMS:  # enough to fix the file; the rest is not validated
                break
            line = lines[index] if lines else parsed.line_of((kind, index))
            entry = _validate(parsed, kind, index, item, model, line, problems, bases)
            if entry is not None:
                entries.append(entry)
    entries, duplicates = _without_duplicates(parsed.path, entries)
    problems.extend(duplicates)
    problems.sort(key=lambda p: p.line or 0)
    if not entries and not problems:
        problems.append(Problem(parsed.path, None, "", "file defines no entries "
                                f"(expected [[{']], [['.join(KINDS)}]] tables)"))
    return entries, problems


def _top_level_problems(parsed: ParsedToml) -> list[Problem]:
    problems = []
    for key, value in parsed.data.items():
        if key not in KINDS:
            hint = closest(key, KINDS) or closest(key.rstrip("s"), KINDS)
            problems.append(parsed.problem((key,), "unknown top-level table", hint))
        elif not isinstance(value, list):
            problems.append(parsed.problem((key,), f"must be an array of tables: write [[{key}]]"))
    return problems


def _validate(
    parsed: ParsedToml, kind: str, index: int, item: Any, model: type[Any],
    line: int | None, problems: list[Problem], bases: Bases | None = None,
) -> Entry | None:
    from pydantic import ValidationError

    from advisor.domain.validation import validate

    base: KeyPath = (kind, index)
    if not isinstance(item, dict):
        problems.append(parsed.problem(base, f"each {kind} must be a table"))
        return None
    item, early = _pre_split_price(parsed, kind, base, item)
    early.extend(_boolean_problems(parsed, model, item, base, kind))
    problems.extend(early)
    patched = _patched(kind, item, bases)
    try:
        value = validate(model, item if patched is None else _merged(patched, item))
    except ValidationError as exc:
        found = pydantic_problems(parsed, exc, base, model)
        problems.extend(found if patched is None else _from_the_patched(parsed, base, found, item, patched))
        problems.extend(_near_miss(parsed, kind, base, item, bases, found))
        return None
    except (RecursionError, OverflowError, ValueError, TypeError) as exc:
        problems.append(Problem(parsed.path, line, kind, f"invalid entry: {exc}"))
        return None
    if early:
        return None
    return Entry(kind, entry_id(kind, value), value, line, item, None if patched is None else patched.raw)


def _patched(kind: str, item: dict[str, Any], bases: Bases | None) -> Base | None:
    """The earlier entry this one patches (same kind and id), if any."""
    if not bases:
        return None
    entry_key = item.get(ID_FIELD.get(kind, "id"))
    return bases.get((kind, entry_key)) if isinstance(entry_key, str) else None


def _near_miss(
    parsed: ParsedToml, kind: str, base: KeyPath, item: dict[str, Any], bases: Bases | None,
    found: list[Problem],
) -> list[Problem]:
    """A new entry missing required fields whose id is close to one it could patch: likely a
    patch with a typo in its id."""
    id_field = ID_FIELD.get(kind, "id")
    entry_key = item.get(id_field)
    if not bases or not isinstance(entry_key, str) or (kind, entry_key) in bases:
        return []
    if not any(p.message == MISSING_MESSAGE for p in found):
        return []
    hint = closest(entry_key, [i for k, i in bases if k == kind])
    if hint is None:
        return []
    return [Problem(parsed.path, parsed.line_of((*base, id_field)), f"{kind}.{id_field}",
                    f"no earlier {kind} with this id to patch, so it is a new entry and needs every required "
                    "field", hint)]


def _merged(patched: Base, item: dict[str, Any]) -> dict[str, Any]:
    from advisor.catalog.overrides import deep_merge

    return deep_merge(patched.raw, item)


def _from_the_patched(
    parsed: ParsedToml, base: KeyPath, found: list[Problem], item: dict[str, Any], patched: Base,
) -> list[Problem]:
    """Problems of a patch, saying where the values it did not set came from: a check across
    fields ("fast_group_gpus exceeds gpus_per_node") moves to the line and key of the field it
    names first when the patch sets it."""
    result = []
    for p in found:
        field = p.key.split(".")[1].split("[")[0] if "." in p.key else ""
        if not field:
            first = p.message.split(" ", 1)[0]
            if first in item:
                p = p._replace(line=parsed.line_of((*base, first)), key=f"{p.key}.{first}")
            p = p._replace(message=f"{p.message} (merged over {patched.where}, the entry this one patches)")
        elif field not in item:
            p = p._replace(message=f"{p.message} (value from {patched.where}, the entry this one patches)")
        result.append(p)
    return result


def _pre_split_price(
    parsed: ParsedToml, kind: str, base: KeyPath, item: dict[str, Any],
) -> tuple[dict[str, Any], list[Problem]]:
    """Parse a string price here, so its error points at its own line, not the table's.

    The domain model parses it in a before-validator whose errors have no location. On error
    the price is replaced by a valid stand-in so the entry's other problems are still reported.
    """
    raw = item.get("price_per_node_hour")
    if kind != "offering" or not isinstance(raw, str):
        return item, []
    from advisor.domain.units import parse_price  # lazy: only team files write prices as strings

    line = parsed.line_of((*base, "price_per_node_hour"))
    key = f"{kind}.price_per_node_hour"
    try:
        amount, currency = parse_price(raw)
    except ValueError as exc:
        stand_in = {"price_per_node_hour": 1.0, "currency": item.get("currency", "USD")}
        return {**item, **stand_in}, [Problem(parsed.path, line, key, str(exc))]
    declared = item.get("currency")
    if declared is not None and declared != currency:
        message = f"price is in {currency} but currency = {declared!r}"
        return {**item, "price_per_node_hour": amount}, [Problem(parsed.path, line, key, message)]
    return {**item, "price_per_node_hour": amount, "currency": currency}, []


def _boolean_problems(
    parsed: ParsedToml, model: type[Any], item: dict[str, Any], base: KeyPath, kind: str,
) -> list[Problem]:
    """`true` where a number is expected: pydantic would quietly read it as 1."""
    problems = []
    plan = _bool_plan(model)  # type: ignore[arg-type]  # record classes are hashable
    for name, value in item.items():
        field = plan.get(name) if isinstance(name, str) else None
        if field is None:
            continue
        nested, allows_bool = field
        if isinstance(value, bool) and not allows_bool:
            problems.append(Problem(parsed.path, parsed.line_of((*base, name)), f"{kind}.{name}",
                                    "expected a number or text, got a boolean"))
        elif nested is not None and isinstance(value, dict):
            problems.extend(_boolean_problems(parsed, nested, value, (*base, name), f"{kind}.{name}"))
        elif nested is not None and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, dict):
                    problems.extend(_boolean_problems(parsed, nested, child, (*base, name, index),
                                                      f"{kind}.{name}[{index}]"))
    return problems


@functools.cache  # per record type, not per entry: 2.28 -> 1.10 s cold quote, 5,600 offerings (bench_feed_scale)
def _bool_plan(model: type[Any]) -> dict[str, tuple[type[Any] | None, bool]]:
    """Field name -> (the record it nests, whether it takes a boolean), for `_boolean_problems`."""
    return {name: (nested_record(annotation), _allows_bool(annotation))
            for name, annotation in field_annotations(model).items()}


def _allows_bool(annotation: Any) -> bool:
    from typing import get_args

    return annotation is bool or any(_allows_bool(arg) for arg in get_args(annotation))


def _without_duplicates(path: str, entries: list[Entry]) -> tuple[list[Entry], list[Problem]]:
    """Entries with each id once (the first), and a problem for every repeat."""
    seen: dict[tuple[str, str], Entry] = {}
    problems = []
    for entry in entries:
        first = seen.setdefault((entry.kind, entry.id), entry)
        if first is not entry:
            where = f"line {first.line}" if first.line else "earlier"
            problems.append(Problem(path, entry.line, f"{entry.kind}.id",
                                    f"duplicate id {entry.id!r} (first defined at {where})"))
    return list(seen.values()), problems
