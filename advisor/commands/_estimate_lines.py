"""`advisor estimate --cases`: read a JSONL or CSV file of cases, evaluate each, and write one
compact JSON line per case in order (a bad case becomes {"id", "error"} and the batch goes
on). Lines are formatted directly rather than through json.dumps of a dict, which is most of
the per-case cost. Must not import textual or httpx.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, TextIO

from advisor.catalog.world import World
from advisor.commands._estimate_case import Caches, Result, _bad, _efficiency_record, evaluate
from advisor.errors import AdvisorError
from advisor.files import InputError, loads_json, read_input

MAX_CASES_BYTES = 256 * 1024 * 1024


_LINE = (
    '{"id":%s,"model":"%s","gpu":"%s","engine":"%s",'
    '"layout":{"tp":%d,"pp":%d,"ep":%d,"replicas":%d,"redundant_experts":%d},"weights":"%s","kv_dtype":"%s",'
    '"memory":{"weights_bytes_per_gpu":%d,"kv_bytes_per_token":%d,"kv_capacity_tokens":%d,'
    '"workspace_bytes_per_gpu":%d,"usable_bytes_per_gpu":%d,"fits":%s},"batch":%d,'
    '"throughput":{"output_tokens_per_s":%.7g,"total_tokens_per_s":%.7g},'
    '"latency":{"ttft_s":%s,"tpot_s":%s},'
    '"interconnect":{"allreduce_bytes_per_step":%.7g,"comm_share":%.7g,'
    '"required_bytes_per_s":%s,"available_bytes_per_s":%.7g,"link_kind":"%s",'
    '"collectives":{"stage_step_s":%.7g,"allreduce_s":%.7g,"allreduce_nic_s":%.7g,"alltoall_s":%.7g,'
    '"alltoall_hidden_s":%.7g,'
    '"alltoall_bytes_per_step":%.7g,"alltoall_link_kind":"%s","pp_send_s":%.7g,"pp_link_kind":"%s",'
    '"collective_share":%.7g}},'
    '"efficiency":%s,%s,"tenancy_factor":%.7g,"mode":"%s","bound":"%s","saturated":%s,"notes":%s}'
)


def _g(value: float) -> str:
    return f"{value:.7g}" if math.isfinite(value) else "null"


def to_line(caches: Caches, case_id: Any, result: Result, dumps) -> str:
    """`to_record` as one compact JSON line, written directly (7 significant digits): the
    --cases hot path, several times faster than encoding the dict."""
    est, lay, mem, ic = result.est, result.layout, result.est.memory, result.est.interconnect
    eff_json = caches.factor_json.get(id(result.eff))
    if eff_json is None:
        eff_json = caches.factor_json[id(result.eff)] = dumps(_efficiency_record(caches, result.eff))
    band_key = (id(result.eff), result.moe)
    band_json = caches.band_json.get(band_key)
    if band_json is None:
        band_json = caches.band_json[band_key] = (
            f'"error_band_pct":{dumps(result.band_pct)},"error_band":{dumps(result.band_text)}')
    notes = result.notes
    return _LINE % (
        dumps(case_id), result.model.id, result.acc.id, result.engine,
        lay.tp, lay.pp, lay.ep, lay.replicas, lay.redundant_experts, result.precision.weights, result.precision.kv,
        round(mem.weights_bytes_per_gpu), round(mem.kv_bytes_per_token), mem.kv_capacity_tokens,
        round(mem.workspace_bytes_per_gpu), round(mem.usable_bytes_per_gpu),
        "true" if mem.fits and est.fits else "false", est.batch,
        est.output_tokens_per_s, est.total_tokens_per_s, _g(est.ttft_s), _g(est.tpot_s),
        ic.allreduce_bytes_per_step, ic.comm_share, _g(ic.required_bytes_per_s),
        ic.available_bytes_per_s, ic.link_kind, ic.step_s, ic.allreduce_s, ic.allreduce_nic_s,
        ic.alltoall_s, ic.alltoall_hidden_s, ic.alltoall_bytes_per_step, ic.alltoall_link_kind, ic.pp_send_s,
        ic.pp_link_kind,
        ic.collective_share, eff_json, band_json, est.tenancy_factor, est.mode, est.bound,
        "true" if est.saturated else "false", dumps(notes) if notes else "[]",
    )


def read_cases(path: str) -> list[dict[str, Any]]:
    """Cases from a JSONL or CSV file ('-' = stdin; by extension, else by the first character).

    A file that cannot be read as a whole is one error (exit 2); a line that is not a JSON
    object within the limits of `advisor.files.loads_json` is an error line for that case.
    """
    data = read_input(path, max_bytes=MAX_CASES_BYTES, what="a JSONL or CSV file of cases")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad(f"{path}: not UTF-8 text") from None
    suffix = Path(path).suffix.lower()
    is_csv = suffix == ".csv" or (
        suffix not in (".jsonl", ".json", ".ndjson") and not text.lstrip().startswith("{")
    )
    return _csv_cases(path, text) if is_csv else _jsonl_cases(text)


def _jsonl_cases(text: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = loads_json(line, f"line {number}")
        except json.JSONDecodeError as err:
            value = {"__error__": f"line {number}: not JSON ({err.msg})"}
        except InputError as err:
            value = {"__error__": err.message}
        if not isinstance(value, dict):
            value = {"__error__": f"line {number}: expected a JSON object"}
        cases.append(value)
    return cases


def _csv_cases(path: str, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return [{k.strip(): (v.strip() if isinstance(v, str) else v)
                 for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as err:  # a field over csv.field_size_limit(), a NUL byte …
        raise _bad(f"{path}:{reader.line_num}: unreadable CSV ({err})") from None


def run_cases(world: World, cases: list[dict[str, Any]], out: TextIO) -> int:
    """Evaluate every case and print one JSON line each, in order; bad cases print an error."""
    caches = Caches()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    lines: list[str] = []
    for fields in cases:
        case_id = fields.get("id")
        try:
            if "__error__" in fields:
                raise _bad(fields["__error__"])
            unknown = [k for k in fields if k not in _KNOWN]
            if unknown:
                raise _bad(f"unknown field(s) {', '.join(sorted(unknown))}")
            lines.append(to_line(caches, case_id, evaluate(world, caches, fields), dumps))
        except AdvisorError as err:
            lines.append(dumps({"id": case_id, "error": " ".join(err.lines())}))
        except (ValueError, TypeError, OverflowError) as err:  # a value the checks let through
            lines.append(dumps({"id": case_id, "error": f"bad case: {err}"}))
        if len(lines) >= 512:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")
    return 0


_KNOWN = frozenset(("id", "model", "gpu", "gpus", "tp", "pp", "ep", "weights", "kv_dtype",
                    "isl", "osl", "concurrency", "rate", "engine"))
