"""vLLM and SGLang serving-benchmark results.

vLLM: the JSON `vllm bench serve --save-result` (and the older benchmarks/benchmark_serving.py)
writes — setup (date, backend, model_id, tokenizer_id, num_prompts, any `--metadata KEY=VALUE`),
traffic (request_rate: a number or "inf", burstiness, max_concurrency: an int or null) and
results (duration, completed, total_input_tokens, total_output_tokens, request_throughput,
output_throughput, total_token_throughput, mean/median/std/pNN of ttft, tpot, itl, e2el in ms).
`--append-result` puts one object per line. Followed: vllm-project/vllm
vllm/benchmarks/serve.py (main_async, benchmark) and benchmarks/benchmark_serving.py.

SGLang: `python -m sglang.bench_serving --output-file F` appends one JSON object per line —
backend, dataset_name, request_rate (a float, Infinity for all at once), max_concurrency,
random_input_len/random_output_len, duration, completed, total_input_tokens,
total_output_tokens, request_throughput, input_throughput, output_throughput,
mean/median/std/p99 of e2e_latency, ttft, tpot, itl in ms, concurrency (measured mean).
It names no model. Followed: sgl-project/sglang python/sglang/bench_serving.py (benchmark).

Neither names the server's engine unless its client backend does (`--backend vllm`,
`sglang`); with a generic OpenAI client the tool's own engine is assumed, and the reader of
the runs says so (`measured.engine_assumed`).

Mean prompt and output lengths are the token totals over completed requests; the time per
output token is TPOT (per request, first token excluded) where present, else mean ITL.
Must not import textual, rich or httpx.
"""

from __future__ import annotations

from typing import Any

from advisor.calibration._fields import Fields, Skip, engine_from_backend, iso_date, stated_metadata
from advisor.calibration.measured import Run, load_text

VLLM = "vLLM bench serve"
SGLANG = "SGLang bench_serving"
# The engine each client ships with: assumed (and said) when its backend is a generic OpenAI
# client, as `vllm bench serve`'s default `--backend openai` is.
TOOL_ENGINE = {VLLM: "vllm", SGLANG: "sglang"}


def is_vllm(obj: dict[str, Any]) -> bool:
    """Keys only vLLM's result has (its setup block and E2EL naming)."""
    return any(k in obj for k in ("model_id", "tokenizer_id", "num_prompts", "burstiness",
                                  "mean_e2el_ms"))


def is_sglang(obj: dict[str, Any]) -> bool:
    """Keys only SGLang's result has."""
    markers = ("mean_e2e_latency_ms", "input_throughput", "total_output_tokens_retokenized",
               "dataset_name", "random_input_len")
    return "backend" in obj and any(k in obj for k in markers)


def _lengths(f: Fields) -> tuple[int, int, int]:
    completed = f.integer("completed")
    assert completed is not None
    if completed < 1:
        raise Skip(f"{f.label}: no request completed")
    total_in = f.number("total_input_tokens")
    total_out = f.number("total_output_tokens")
    assert total_in is not None and total_out is not None
    isl, osl = round(total_in / completed), round(total_out / completed)
    if isl < 1 or osl < 1:
        raise Skip(f"{f.label}: no prompt or output tokens recorded")
    return completed, isl, osl


def _load(f: Fields, completed: int) -> str:
    rate = f.rate("request_rate")
    raw = f.obj.get("max_concurrency")
    concurrency = None if raw is None else f.integer("max_concurrency")
    if concurrency is not None and rate != float("inf") and concurrency < completed:
        raise Skip(f"{f.label}: both a request rate ({rate:g}/s) and a concurrency cap "
                   f"({concurrency}) were set; the model replays one or the other")
    return load_text(concurrency, None if rate == float("inf") else rate, completed)


def _metrics(f: Fields, output_key: str) -> dict[str, float]:
    out = f.number(output_key)
    assert out is not None
    metrics = {"output_tokens_per_s_total": out}
    ttft = f.positive("mean_ttft_ms")
    if ttft is not None:
        metrics["ttft_mean_ms"] = ttft
    per_token = f.positive("mean_tpot_ms") or f.positive("mean_itl_ms")
    if per_token is not None:
        metrics["itl_mean_ms"] = per_token
    if out <= 0:
        raise Skip(f"{f.label}: output throughput is zero")
    return metrics


def vllm_run(obj: dict[str, Any], label: str, **where: Any) -> Run:
    """One `vllm bench serve` result object."""
    return _serving_run(obj, label, VLLM, obj.get("model_id"), **where)


def sglang_run(obj: dict[str, Any], label: str, **where: Any) -> Run:
    """One line of `sglang.bench_serving --output-file`."""
    return _serving_run(obj, label, SGLANG, obj.get("model_id") or obj.get("model"), **where)


def _serving_run(obj: dict[str, Any], label: str, fmt: str, model: Any, **where: Any) -> Run:
    """The fields vLLM's and SGLang's serving benchmarks share (SGLang's grew out of vLLM's)."""
    f = Fields(obj, label, fmt)
    backend = obj.get("backend")
    completed, isl, osl = _lengths(f)
    stated = stated_metadata(obj)
    if isinstance(model, str) and model.strip() and "model" not in stated:
        stated["model"] = model.strip()
    return Run(fmt=fmt, isl=isl, osl=osl, load=_load(f, completed), requests=completed,
               metrics=_metrics(f, "output_throughput"), stated=stated,
               engine_hint=engine_from_backend(backend), engine_default=TOOL_ENGINE[fmt],
               backend=backend.strip() if isinstance(backend, str) else None,
               date=iso_date(obj.get("date")), **where)
