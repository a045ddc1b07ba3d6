"""Scoring a calibration-schema CSV text against the model: the work behind `advisor validate`.

Rows are parsed and resolved through the World (aliases), each distinct run is predicted once,
and the (predicted, measured) pairs are summarised per metric overall, per accelerator family
and per model family. Must not import textual or httpx.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from typing import Any

from advisor.catalog.world import World
from advisor.core.efficiency import engine_reason, select
from advisor.core.protocols import RunResult
from advisor.core.scoring import BenchRow, parse_row, run_for, summarize, value_for
from advisor.errors import AdvisorError

REQUIRED = ("model", "precision", "gpu", "engine", "isl", "osl", "metric", "value")


SHORT = {"output_tokens_per_s_total": "output tok/s", "total_tokens_per_s": "total tok/s",
         "output_tokens_per_s_per_gpu": "output tok/s/GPU", "output_tokens_per_s_per_user": "tok/s/user",
         "requests_per_s": "requests/s", "ttft_mean_ms": "TTFT", "ttft_median_ms": "TTFT (median)",
         "itl_mean_ms": "ITL", "itl_median_ms": "ITL (median)", "tpot_mean_ms": "TPOT",
         "tpot_median_ms": "TPOT (median)", "e2e_latency_mean_ms": "E2E latency"}


def _metric_label(row: BenchRow) -> str:
    return f"{SHORT.get(row.metric, row.metric)} ({'online' if row.online else 'offline'})"


def _predict(world: World, row: BenchRow, runs: dict[tuple, RunResult]) -> tuple[float, str, str]:
    """(prediction in the row's unit, accelerator family, model family)."""
    model, acc = world.model(row.model), world.accelerator(row.gpu)
    reason = engine_reason(acc, row.engine)
    if reason:
        raise AdvisorError(reason)
    key = (model.id, acc.id, row.num_gpus, row.tp, row.pp, row.ep, row.dp, row.precision, row.engine_spec,
           row.isl, row.osl, row.concurrency, row.scenario, row.memory_fraction)
    run = runs.get(key)
    if run is None:
        eff = select(world.efficiency.values(), acc, row.engine_spec)
        run = runs[key] = run_for(row, model, acc, eff)
    return value_for(row, run), acc.family, model.family


def score_rows(world: World, text: str, name: str,
               more: list[tuple[str, str]] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Score records for every (metric, group), and one warning per row that was skipped
    (named by its own file and line). `more` adds further (name, text) files to the same score."""
    pairs: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    runs: dict[tuple, RunResult] = {}
    warnings: list[str] = []
    for file_name, file_text in [(name, text), *(more or [])]:
        _score_file(world, file_text, file_name, pairs, runs, warnings)
    return [_record(label, group, values) for (label, group), values in _ordered(pairs)], warnings


def _score_file(world: World, text: str, name: str, pairs: dict[tuple[str, str], list[tuple[float, float]]],
                runs: dict[tuple, RunResult], warnings: list[str]) -> None:
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        records = [] if missing else list(reader)
    except csv.Error as err:  # a field over csv.field_size_limit(), a NUL byte …
        raise AdvisorError(f"{name}:{reader.line_num}: unreadable CSV ({err})") from None
    if missing:
        raise AdvisorError(f"{name}: missing column(s) {', '.join(missing)}")
    for line, record in enumerate(records, 2):
        try:
            row = parse_row(record)
        except (ValueError, KeyError, TypeError) as err:
            warnings.append(f"{name}:{line}: skipped: {err}")
            continue
        label = _metric_label(row)
        try:
            predicted, gpu_family, model_family = _predict(world, row, runs)
        except (AdvisorError, ValueError) as err:
            message = err.message if isinstance(err, AdvisorError) else str(err)
            warnings.append(f"{name}:{line}: not predicted: {message}")
            pairs[(label, "all")].append((math.nan, row.value))
            continue
        for group in ("all", f"gpu: {gpu_family}", f"model: {model_family}"):
            pairs[(label, group)].append((predicted, row.value))


def _ordered(pairs: dict[tuple[str, str], list]) -> list:
    def key(item: tuple) -> tuple:
        (label, group), _ = item
        return (label, group != "all", not group.startswith("gpu"), group)
    return sorted(pairs.items(), key=key)


def _record(label: str, group: str, values: list[tuple[float, float]]) -> dict[str, Any]:
    s = summarize(values)

    def num(v: float) -> float | None:
        return None if math.isnan(v) else round(v, 2)

    return {
        "metric": label,
        "group": group,
        "rows": s.rows,
        "scored": s.scored,
        "coverage": round(s.coverage, 4),
        "median_abs_pct_error": num(s.median_abs_pct_error),
        "within_25": None if math.isnan(s.within_25) else round(s.within_25, 4),
        "median_bias_pct": num(s.median_bias_pct),
    }
