"""Readers for measured results: a file in, its runs (or calibration-schema rows) out.

Supported, recognised by content rather than by name:
- vLLM `vllm bench serve --save-result` / benchmarks/benchmark_serving.py JSON (one object, or
  one per line with --append-result);
- SGLang `python -m sglang.bench_serving --output-file` JSONL;
- NVIDIA genai-perf `profile_export_genai_perf.json` and AIPerf `profile_export_aiperf.json`;
- CSV in the calibration schema (shared/calibration/README.md).
See `_serving_json` and `_genai_json` for the fields read and the sources followed.

Anything else — malformed or truncated JSON, an unrelated JSON file, a result without a field
the replay needs — is one AdvisorError line naming the file and what was expected (exit 2).
A run the model cannot replay (both a rate and a concurrency cap, nothing completed) is skipped
with a warning. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.calibration import _genai_json, _serving_json
from advisor.calibration._fields import Skip
from advisor.calibration.measured import SCHEMA, Run, bad
from advisor.errors import AdvisorError
from advisor.files import loads_json, read_input

MAX_BYTES = 64 * 1024 * 1024
MAX_RUNS = 10_000
EXPECTED = ("a benchmark result: vLLM `bench serve --save-result` JSON, SGLang bench_serving "
            "--output-file JSONL, genai-perf profile_export_genai_perf.json, AIPerf "
            "profile_export_aiperf.json, or CSV in the calibration schema")
REQUIRED_COLUMNS = ("model", "precision", "gpu", "engine", "isl", "osl", "metric", "value")


@dataclass(frozen=True)
class Measured:
    """One file as read: its identity, and either its runs or its calibration-schema rows."""

    path: str
    sha256: str
    modified: str  # ISO date of the file's last modification
    fmt: str
    runs: tuple[Run, ...] = ()
    records: tuple[dict[str, str], ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def dates(self) -> list[str]:
        """When the runs were measured where the file says, else when it was last modified."""
        stated = sorted({r.date for r in self.runs if r.date})
        return stated or [f"{self.modified} (file modified)"]


def read_measured(path: str) -> Measured:
    """Read one file of measured results (see the module docstring for the formats)."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad(f"{path}: not UTF-8 text; expected {EXPECTED}") from None
    digest = hashlib.sha256(data).hexdigest()
    modified = dt.date.today() if path == "-" else dt.date.fromtimestamp(os.stat(path).st_mtime)
    if text.lstrip()[:1] in ("{", "["):
        runs, fmt, warnings = _json_runs(path, text)
        return Measured(path, digest, modified.isoformat(), fmt, runs=tuple(runs), warnings=tuple(warnings))
    return Measured(path, digest, modified.isoformat(), "calibration CSV", records=tuple(_csv_records(path, text)))


def _read_bytes(path: str) -> bytes:
    data = read_input(path, max_bytes=MAX_BYTES, what="a file of measured results")
    if not data.strip():
        raise bad(f"{path}: empty file; expected {EXPECTED}")
    return data


# -- JSON ----------------------------------------------------------------------------------

def _json_objects(path: str, text: str) -> list[Any]:
    """The file's top-level values: one JSON document, else one per non-empty line (JSONL)."""
    try:
        doc = loads_json(text, path)
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            raise _invalid(path, whole) from None
        return [_json_line(path, number, line) for number, line in enumerate(lines, 1)]
    return doc if isinstance(doc, list) else [doc]


def _json_line(path: str, number: int, line: str) -> Any:
    try:
        return loads_json(line, f"{path} line {number}")
    except json.JSONDecodeError as err:
        raise _invalid(path, err, number) from None


def _invalid(path: str, err: json.JSONDecodeError, line: int | None = None) -> AdvisorError:
    where = f"line {line or err.lineno} column {err.colno}"
    return bad(f"{path}: not valid JSON ({err.msg} at {where}; truncated?); expected {EXPECTED}")


def _reader(path: str, obj: Any) -> Callable[..., Run]:
    """The run builder for one parsed object, by the keys only that tool writes."""
    if not isinstance(obj, dict):
        raise bad(f"{path}: a JSON {type(obj).__name__} is not a benchmark result; expected {EXPECTED}")
    if _serving_json.is_vllm(obj):
        return _serving_json.vllm_run
    if _serving_json.is_sglang(obj):
        return _serving_json.sglang_run
    if _genai_json.is_genai(obj):
        return _genai_json.profile_run
    keys = ", ".join(list(obj)[:6]) or "none"
    raise bad(f"{path}: JSON object (keys: {keys}) is not a benchmark result; expected {EXPECTED}")


def _json_runs(path: str, text: str) -> tuple[list[Run], str, list[str]]:
    objects = _json_objects(path, text)
    if not objects:
        raise bad(f"{path}: empty JSON list; expected {EXPECTED}")
    if len(objects) > MAX_RUNS:
        raise bad(f"{path}: more than {MAX_RUNS} runs in one file")
    runs: list[Run] = []
    warnings: list[str] = []
    fmts: list[str] = []
    for index, obj in enumerate(objects, 1):
        reader = _reader(path, obj)
        label = path if len(objects) == 1 else f"{path} (run {index})"
        try:
            run = reader(obj, label, file=path, index=index, count=len(objects))
        except Skip as skip:
            warnings.append(f"skipped {skip}")
            continue
        runs.append(run)
        fmts.append(run.fmt)
    if not runs:
        raise bad(f"{path}: no usable run ({'; '.join(warnings)})")
    return runs, " + ".join(dict.fromkeys(fmts)), warnings


# -- CSV -----------------------------------------------------------------------------------

def _csv_records(path: str, text: str) -> list[dict[str, str]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise bad(f"{path}: not JSON, and as CSV it lacks the calibration-schema column(s) "
                      f"{', '.join(missing)}; expected {EXPECTED}")
        rows = [{k.strip(): (v or "") for k, v in r.items() if k} for r in reader]
    except csv.Error as err:
        raise bad(f"{path}: unreadable CSV ({err}); expected {EXPECTED}") from None
    if not rows:
        raise bad(f"{path}: no rows under the CSV header")
    for i, row in enumerate(rows, 2):
        row.setdefault("id", f"{path}:{i}")
        if not row["id"].strip():
            row["id"] = f"{path}:{i}"
    return [{k: row.get(k, "") for k in SCHEMA} for row in rows]
