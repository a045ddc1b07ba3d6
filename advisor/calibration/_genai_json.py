"""NVIDIA genai-perf and AIPerf profile exports.

genai-perf `profile_export_genai_perf.json`: one object of metric statistics —
{"time_to_first_token": {"unit": "ms", "avg": …, "p50": …, …}, "inter_token_latency": …,
"request_latency", "output_token_throughput": {"unit": "tokens/sec", "avg": …},
"output_token_throughput_per_request", "request_throughput": {"unit": "requests/sec", "avg": …},
"input_sequence_length", "output_sequence_length"} — plus "input_config", the command line:
model (a list), backend, service_kind, concurrency, request_rate, request_count,
synthetic_input_tokens_mean, output_tokens_mean … (newer releases nest them, e.g.
perf_analyzer.stimulus.concurrency, endpoint.backend). Followed: triton-inference-server/
perf_analyzer genai-perf/genai_perf/export_data/json_exporter.py and its tests
genai-perf/tests/test_json_exporter.py and test_process_export_files.py.

AIPerf `profile_export_aiperf.json`: the same metric objects, under "records" (later releases
put them at the top level), with "input_config" (endpoint.model_names, loadgen.concurrency /
request_rate / request_count), start_time, end_time and, with GPU telemetry,
telemetry_data.endpoints.*.gpus.*.gpu_name. Followed: ai-dynamo/aiperf
aiperf/exporters/json_exporter.py and aiperf/common/config/loadgen_config.py.

Latencies are converted to ms from the unit each metric states. genai-perf's inter-token
latency is per request ((latency − TTFT)/(output − 1)), i.e. TPOT. Must not import textual,
rich or httpx.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.calibration._fields import Fields, engine_from_backend, iso_date, stated_metadata, to_float
from advisor.calibration.measured import Run, bad, load_text

GENAI_PERF = "genai-perf"
AIPERF = "AIPerf"
METRIC_KEYS = ("time_to_first_token", "inter_token_latency", "output_token_throughput",
               "request_throughput", "input_sequence_length", "output_sequence_length")
TO_MS = {"ms": 1.0, "msec": 1.0, "s": 1e3, "sec": 1e3, "us": 1e-3, "µs": 1e-3, "ns": 1e-6}


def is_genai(obj: dict[str, Any]) -> bool:
    """Metric objects with an "avg" (at the top or under "records")."""
    table = _table(obj)
    return any(isinstance(table.get(k), dict) and "avg" in table[k] for k in METRIC_KEYS)


def is_aiperf(obj: dict[str, Any]) -> bool:
    config = obj.get("input_config")
    return ("records" in obj or "aiperf_version" in obj or "telemetry_data" in obj
            or isinstance(config, dict) and "loadgen" in config)


def _table(obj: dict[str, Any]) -> dict[str, Any]:
    records = obj.get("records")
    return records if isinstance(records, dict) else obj


def _find(tree: Any, key: str, depth: int = 4) -> Any:
    """The first non-null value of `key` in nested objects (configs nest differently by version)."""
    if not isinstance(tree, dict) or depth < 0:
        return None
    if tree.get(key) is not None:
        return tree[key]
    for value in tree.values():
        found = _find(value, key, depth - 1)
        if found is not None:
            return found
    return None


class _Stats(Fields):
    """Fields of a profile export: each metric is {"unit", "avg", …}."""

    def avg(self, key: str, *, required: bool = True, ms: bool = False) -> float | None:
        """The metric's mean (in ms for a latency); None for an optional one that is absent,
        zero or not a number."""
        stat = _table(self.obj).get(key)
        if not isinstance(stat, dict):
            if required:
                raise self._fail(key, 'a metric object with "avg"', stat)
            return None
        value = to_float(stat.get("avg"))
        if value is None or not math.isfinite(value) or (not required and value <= 0):
            if required:
                raise self._fail(f"{key}.avg", "a number", stat.get("avg"))
            return None
        if not ms:
            return value
        unit = str(stat.get("unit", "ms")).strip().lower()
        if unit not in TO_MS:
            raise bad(f"{self.label}: {self.fmt} metric {key!r} has unit {unit!r} "
                      f"(expected one of {', '.join(TO_MS)})")
        return value * TO_MS[unit]


def _model(config: dict[str, Any]) -> str | None:
    for key in ("model_names", "model", "models"):
        value = _find(config, key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _engine_hint(config: dict[str, Any]) -> str | None:
    """Triton's backend names the engine (tensorrtllm, vllm); an OpenAI endpoint does not."""
    kind = _find(config, "service_kind")
    return engine_from_backend(_find(config, "backend")) if kind == "triton" else None


def _gpu_name(obj: dict[str, Any]) -> str | None:
    endpoints = (obj.get("telemetry_data") or {}).get("endpoints")
    for endpoint in (endpoints or {}).values() if isinstance(endpoints, dict) else ():
        for gpu in ((endpoint or {}).get("gpus") or {}).values():
            if isinstance(gpu, dict) and isinstance(gpu.get("gpu_name"), str):
                return gpu["gpu_name"]
    return None


def _requests(stats: _Stats, config: dict[str, Any]) -> int | None:
    counted = stats.avg("request_count", required=False)
    if counted:
        return round(counted)
    configured = to_float(_find(config, "request_count"))
    return round(configured) if configured and configured > 0 else None


def profile_run(obj: dict[str, Any], label: str, **where: Any) -> Run:
    """One genai-perf or AIPerf profile export."""
    fmt = AIPERF if is_aiperf(obj) else GENAI_PERF
    stats = _Stats(obj, label, fmt)
    config = obj.get("input_config")
    if not isinstance(config, dict):
        raise bad(f"{label}: {fmt} export has no 'input_config' (the run's settings: "
                  "concurrency or request_rate, model)")
    isl, osl = stats.avg("input_sequence_length"), stats.avg("output_sequence_length")
    out = stats.avg("output_token_throughput")
    assert isl is not None and osl is not None and out is not None
    concurrency, rate = to_float(_find(config, "concurrency")), to_float(_find(config, "request_rate"))
    if not concurrency and not rate:
        raise bad(f"{label}: {fmt} input_config states neither 'concurrency' nor 'request_rate'")
    requests = _requests(stats, config)
    metrics = {"output_tokens_per_s_total": out}
    for metric, key in (("ttft_mean_ms", "time_to_first_token"), ("itl_mean_ms", "inter_token_latency")):
        value = stats.avg(key, required=False, ms=True)
        if value is not None:
            metrics[metric] = value
    stated = stated_metadata(config)
    stated.pop("model", None)
    name, gpu = _model(config), _gpu_name(obj)
    stated.update({k: v for k, v in (("model", name), ("gpu", gpu)) if v})
    closed = int(concurrency) if concurrency and not rate else None  # a set rate is the load
    load = load_text(closed, rate or None, requests if requests is not None else 1 << 40)
    return Run(fmt=fmt, isl=max(1, round(isl)), osl=max(1, round(osl)), load=load,
               requests=requests or 0, metrics=metrics, stated=stated,
               engine_hint=_engine_hint(config), date=iso_date(obj.get("start_time")), **where)
