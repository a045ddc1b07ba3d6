"""From measured-result files and command-line flags to calibration-schema rows and fit cases.

Shared by `advisor calibrate` and `advisor validate --data`: the flags that fill what a file
does not state (from the flags of `advisor.commands._deployment_flags`), reading every file
(`read_all`), the rows as CSV text for the validator, and the `Case`s of one accelerator and
engine for the fit. Imported lazily by the commands that need it.
Must not import textual, rich or httpx.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.calibration.fit import Case
    from advisor.calibration.formats import Measured
    from advisor.calibration.measured import Context
    from advisor.catalog.world import World
    from advisor.domain import Accelerator, Offering

def _count(value: str | None, flag: str) -> int | None:
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise AdvisorError(f"{flag} must be a whole number, got {value!r}",
                           exit_code=EXIT_BAD_INPUT) from None
    if not 1 <= number <= 100_000:
        raise AdvisorError(f"{flag} must be between 1 and 100000, got {number}",
                           exit_code=EXIT_BAD_INPUT)
    return number


def context_from_args(args: argparse.Namespace, world: World) -> Context:
    from advisor.calibration.measured import Context

    def low(name: str) -> str | None:
        value = getattr(args, name, None)
        return value.strip().lower() if isinstance(value, str) and value.strip() else None

    return Context(
        model=getattr(args, "model", None), gpu=getattr(args, "gpu", None),
        gpus=_count(getattr(args, "gpus", None), "--gpus"), tp=_count(getattr(args, "tp", None), "--tp"),
        pp=_count(getattr(args, "pp", None), "--pp"), ep=_count(getattr(args, "ep", None), "--ep"),
        engine=low("engine"), weights=low("weights"), kv_dtype=low("kv_dtype"),
        memory_fraction=world.settings.engine_memory_fraction,
    )


def is_measured(paths: list[str] | None) -> bool:
    """Whether `advisor validate --data` got measured results (JSON, or several files) rather
    than the one calibration-schema CSV it always took."""
    if not paths:
        return False
    if len(paths) > 1:
        return True
    from advisor.files import InputError, open_input

    try:
        with open_input(paths[0]) as handle:
            head = handle.read(4096)
    except (InputError, OSError):
        return False  # the CSV path reports it
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


@dataclass(frozen=True)
class Inputs:
    """Every file read and the rows they give, with the warnings met on the way."""

    files: tuple[Measured, ...]
    records: tuple[dict[str, str], ...]
    warnings: tuple[str, ...]
    summaries: tuple[str, ...] = ()  # one line per file: what it was read as


def _summary(measured: Measured, rows: list[dict[str, str]]) -> str:
    setups = sorted({f"{r['model']} tp={r['tp'] or 1} {r['precision']} on {r['gpu']}, {r['engine']}"
                     for r in rows})
    count = f"{len(measured.runs)} run(s)" if measured.runs else f"{len(rows)} row(s)"
    shown = "; ".join(setups[:3]) + (f"; … {len(setups) - 3} more" if len(setups) > 3 else "")
    return f"{measured.path}: {count} ({measured.fmt}): {shown}"


def read_all(paths: list[str], ctx: Context, world: World) -> Inputs:
    """Read each file; runs become rows through `measured.records`, CSV rows are filled.
    Everything the runs leave unsaid that no flag fills is one error naming every flag."""
    from advisor.calibration.formats import read_measured

    files = [read_measured(path) for path in paths]
    _check_gaps(files, ctx, world)
    return _rows(files, ctx, world)


def _check_gaps(files: list[Measured], ctx: Context, world: World) -> None:
    from advisor.calibration.measured import bad, gaps, gaps_message

    lacking: dict[str, list[Any]] = {}
    problems: list[str] = []
    for run in (run for measured in files for run in measured.runs):
        missing, wrong = gaps(run, ctx, world)
        problems += wrong
        for name in missing:
            lacking.setdefault(name, []).append(run)
    if lacking or problems:
        raise bad(gaps_message(lacking, problems))


def _rows(files: list[Measured], ctx: Context, world: World) -> Inputs:
    from advisor.calibration.measured import engine_assumed, fill_record, records

    rows: list[dict[str, str]] = []
    warnings: list[str] = []
    summaries: list[str] = []
    for measured in files:
        warnings.extend(measured.warnings)
        warnings.extend(dict.fromkeys(w for run in measured.runs if (w := engine_assumed(run, ctx))))
        mine = [row for run in measured.runs for row in records(run, ctx, world)]
        mine += [fill_record(r, ctx) for r in measured.records]
        summaries.append(_summary(measured, mine))
        rows.extend(mine)
    return Inputs(tuple(files), tuple(rows), tuple(warnings), tuple(summaries))


def csv_text(rows: tuple[dict[str, str], ...] | list[dict[str, str]]) -> str:
    """Rows in the calibration schema as CSV text (what `advisor validate` scores)."""
    import csv
    import io

    from advisor.calibration.measured import SCHEMA

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SCHEMA, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# -- the cases of one accelerator and engine ------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What the fit is for: one accelerator and engine, optionally one offering."""

    acc: Accelerator
    engine: str
    offering: Offering | None = None


def cases_for(rows: tuple[dict[str, str], ...], world: World, ctx: Context,
              offering_name: str | None) -> tuple[list[Case], Scope, list[str]]:
    """The fit cases, the scope they share, and warnings for rows left out."""
    from advisor.calibration.fit import Case
    from advisor.calibration.measured import bad
    from advisor.core.scoring import parse_row
    from advisor.errors import AdvisorError

    groups: dict[tuple[str, str], list[tuple[Any, Any, Any]]] = {}
    warnings: list[str] = []
    for record in rows:
        try:
            row = parse_row(record)
            model, acc = world.model(row.model), world.accelerator(row.gpu)
        except (ValueError, KeyError, TypeError) as err:
            warnings.append(f"{record.get('id')}: skipped: {err}")
            continue
        except AdvisorError as err:  # an unknown model or GPU name in a CSV row
            warnings.append(f"{record.get('id')}: skipped: {err.message}")
            continue
        groups.setdefault((acc.id, row.engine), []).append((row, model, acc))
    key = _choose_group(groups, world, ctx, warnings)
    acc, engine = groups[key][0][2], key[1]
    offering = _offering(world, offering_name, acc) if offering_name else None
    fabric, tenancy = _deployment(world, offering, acc)
    cases = [Case(row, model, a, fabric=fabric, tenancy_factor=tenancy) for row, model, a in groups[key]]
    if not cases:
        raise bad("no usable measurements")
    return cases, Scope(acc, engine, offering), warnings


def _choose_group(groups: dict[tuple[str, str], list[Any]], world: World, ctx: Context,
                  warnings: list[str]) -> tuple[str, str]:
    from advisor.calibration.measured import bad

    if not groups:
        raise bad("no usable measurements in the files (every row was skipped)")
    wanted = [k for k in groups
              if (ctx.gpu is None or k[0] == world.accelerator(ctx.gpu).id)
              and (ctx.engine is None or k[1] == ctx.engine)]
    if len(wanted) != 1:
        found = ", ".join(f"{gpu}/{engine} ({len(v)} rows)" for (gpu, engine), v in sorted(groups.items()))
        hint = "pass --gpu and --engine to pick one" if len(wanted) > 1 else "none matches --gpu/--engine"
        raise bad(f"calibrate fits one accelerator and engine at a time; the files hold {found}: {hint}")
    key = wanted[0]
    others = sum(len(v) for k, v in groups.items() if k != key)
    if others:
        warnings.append(f"left out {others} row(s) measured on other accelerators or engines")
    return key


def _offering(world: World, name: str, acc: Accelerator) -> Offering:
    from advisor.calibration.measured import bad

    offering = world.offering(name)
    if offering.accelerator != acc.id:
        raise bad(f"--offering {offering.id} rents {offering.accelerator}, but the measurements "
                  f"are on {acc.id}")
    return offering


def _deployment(world: World, offering: Offering | None, acc: Accelerator) -> tuple[Any, float]:
    """The offering's fabric and tenancy factor (as a quote applies them), else the chip's."""
    if offering is None:
        return None, 1.0
    from advisor.core.fabric import fabric_for_offering

    factor = world.tenancy.get(offering.tenancy)
    return fabric_for_offering(offering, acc), factor.factor if factor is not None else 1.0
