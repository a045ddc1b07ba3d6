"""Writers of measured benchmark results in the real formats of vLLM, SGLang, genai-perf and
AIPerf, with measurements synthesised by advisor.core from known factors plus 2 % noise, so a
fit can be checked against the truth (used by tests/test_calibrate.py; `python
tests/test_calibrate.py` rewrites tests/fixtures/measured/ with them).

Formats followed:
- vLLM `vllm bench serve --save-result` / `--append-result`: vllm-project/vllm
  vllm/benchmarks/serve.py (main_async: result_json, benchmark: result and process_one_metric)
  and the older benchmarks/benchmark_serving.py;
- SGLang `python -m sglang.bench_serving --output-file`: sgl-project/sglang
  python/sglang/bench_serving.py (benchmark: the `result` dict appended as one JSON line);
- genai-perf `profile_export_genai_perf.json`: triton-inference-server/perf_analyzer
  genai-perf/genai_perf/export_data/json_exporter.py and genai-perf/tests/test_json_exporter.py
  (metric objects with unit/avg/pNN plus `input_config`, the command line);
- AIPerf `profile_export_aiperf.json`: ai-dynamo/aiperf aiperf/exporters/json_exporter.py
  (`records`, `input_config` with endpoint/loadgen, start_time, telemetry_data) and
  aiperf/common/config/loadgen_config.py.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from advisor.calibration.fit import factors_of
from advisor.core.efficiency import select
from advisor.core.protocols import RunResult
from advisor.core.scoring import parse_row, run_for

HF = {"llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-70b": "meta-llama/Llama-3.1-70B-Instruct"}
# The "team's reality": slower decode and prefill than the built-in hopper-vllm prior, more
# per-step and per-request overhead, a smaller engine batch cap. α stays the prior's.
TRUTH = {"eta_mem": 0.52, "eta_compute": 0.40, "eta_prefill": 0.42, "t_fixed_s": 4.0e-3,
         "t_request_s": 0.020}
TRUTH_BATCH = 512
FITTED = ("eta_mem", "eta_compute", "eta_prefill", "t_fixed_s", "t_request_s")


def truth_factors(world: Any) -> Any:
    prior = select(world.efficiency.values(), world.accelerator("h100"), "vllm")
    return factors_of("hopper", "vllm", {**TRUTH, "alpha_s": prior.alpha_s}, TRUTH_BATCH)


# -- synthesising runs ---------------------------------------------------------------------

def measure(world: Any, eff: Any, model: str, tp: int, isl: int, osl: int, load: str,
            requests: int, precision: str = "BF16") -> RunResult:
    """What the model says a run on one H100 node measures (the run replayed as `validate` does)."""
    row = parse_row({"id": "synth", "model": model, "precision": precision, "gpu": "h100-sxm",
                     "num_gpus": str(tp), "tp": str(tp), "pp": "1", "ep": "", "engine": "vllm",
                     "isl": str(isl), "osl": str(osl), "concurrency": load,
                     "scenario": f"synthetic ({requests} requests)", "metric": "itl_mean_ms",
                     "value": "1", "notes": "memory_fraction 0.90"})
    return run_for(row, world.model(model), world.accelerator("h100"), eff)


class Noisy:
    """Measured means: the model's value times log-normal noise (deterministic per seed)."""

    def __init__(self, run: RunResult, rng: random.Random, sigma: float = 0.02) -> None:
        jitter = lambda: math.exp(rng.gauss(0.0, sigma))  # noqa: E731
        self.out_tps = run.output_tokens_per_s * jitter()
        self.ttft_ms = run.ttft_s * 1e3 * jitter()
        self.tpot_ms = run.itl_s * 1e3 * jitter()


def _spread(mean: float, prefix: str, suffix: str = "_ms", p: tuple[str, ...] = ("99",)) -> dict[str, float]:
    """mean/median/std/pNN keys as the benchmark clients write them."""
    out = {f"mean_{prefix}{suffix}": mean, f"median_{prefix}{suffix}": mean * 0.97,
           f"std_{prefix}{suffix}": mean * 0.18}
    out.update({f"p{q}_{prefix}{suffix}": mean * (1.0 + int(q) / 60.0) for q in p})
    return out


def vllm_result(model: str, m: Noisy, isl: int, osl: int, *, concurrency: int | None,
                rate: float | None, requests: int, **metadata: str) -> dict[str, Any]:
    """`vllm bench serve --save-result` (vllm/benchmarks/serve.py: result_json)."""
    duration = requests * osl / m.out_tps
    result: dict[str, Any] = {
        "date": "20250612-101500", "endpoint_type": "vllm", "backend": "vllm", "label": None,
        "model_id": HF[model], "tokenizer_id": HF[model], "num_prompts": requests, **metadata,
        "request_rate": "inf" if rate is None else rate, "burstiness": 1.0,
        "max_concurrency": concurrency, "duration": duration, "completed": requests, "failed": 0,
        "total_input_tokens": requests * isl, "total_output_tokens": requests * osl,
        "request_throughput": requests / duration, "request_goodput": None,
        "output_throughput": m.out_tps, "total_token_throughput": requests * (isl + osl) / duration,
        "max_output_tokens_per_s": m.out_tps * 1.3,
        "max_concurrent_requests": concurrency or requests,
    }
    result.update(_spread(m.ttft_ms, "ttft"))
    result.update(_spread(m.tpot_ms, "tpot"))
    result.update(_spread(m.tpot_ms * 1.02, "itl"))
    return result


def sglang_result(m: Noisy, isl: int, osl: int, *, concurrency: int | None, rate: float,
                  requests: int) -> dict[str, Any]:
    """One `sglang.bench_serving --output-file` line (python/sglang/bench_serving.py: result);
    here run against a vLLM server (`--backend vllm`)."""
    duration = requests * osl / m.out_tps
    e2e = m.ttft_ms + (osl - 1) * m.tpot_ms
    result: dict[str, Any] = {
        "backend": "vllm", "dataset_name": "random", "request_rate": rate,
        "max_concurrency": concurrency, "sharegpt_output_len": None, "random_input_len": isl,
        "random_output_len": osl, "random_range_ratio": 0.0, "duration": duration,
        "completed": requests, "total_input_tokens": requests * isl,
        "total_output_tokens": requests * osl, "total_output_tokens_retokenized": requests * osl - 3,
        "request_throughput": requests / duration, "input_throughput": requests * isl / duration,
        "output_throughput": m.out_tps,
    }
    result.update(_spread(e2e, "e2e_latency"))
    result.update(_spread(m.ttft_ms, "ttft"))
    result.update(_spread(m.tpot_ms, "tpot"))
    result.update(_spread(m.tpot_ms * 1.01, "itl", p=("95", "99")))
    result.update({"concurrency": e2e / 1e3 * requests / duration, "accept_length": None})
    return result


def _stat(unit: str, avg: float, *, spread: bool = True) -> dict[str, Any]:
    if not spread:
        return {"unit": unit, "avg": avg}
    stat = {"unit": unit, "avg": avg}
    for q, k in (("p99", 1.6), ("p95", 1.4), ("p90", 1.3), ("p75", 1.1), ("p50", 0.98), ("p25", 0.9)):
        stat[q] = avg * k
    stat.update(max=avg * 1.9, min=avg * 0.7, std=avg * 0.15)
    return stat


def genai_perf_export(model: str, m: Noisy, isl: int, osl: int, *, concurrency: int,
                      requests: int) -> dict[str, Any]:
    """profile_export_genai_perf.json (json_exporter.py: stats + input_config = the CLI args)."""
    latency = m.ttft_ms + (osl - 1) * m.tpot_ms
    return {
        "request_throughput": _stat("requests/sec", m.out_tps / osl, spread=False),
        "request_latency": _stat("ms", latency),
        "time_to_first_token": _stat("ms", m.ttft_ms),
        "inter_token_latency": _stat("ms", m.tpot_ms),
        "output_token_throughput": _stat("tokens/sec", m.out_tps, spread=False),
        "output_token_throughput_per_request": _stat("tokens/sec", 1e3 / m.tpot_ms),
        "output_sequence_length": _stat("tokens", float(osl)),
        "input_sequence_length": _stat("tokens", float(isl)),
        "input_config": {
            "model": [HF[model]], "formatted_model_name": HF[model].split("/")[-1],
            "model_selection_strategy": "round_robin", "backend": "tensorrtllm",
            "batch_size_image": 1, "batch_size_text": 1, "endpoint": "v1/chat/completions",
            "endpoint_type": "chat", "service_kind": "openai", "server_metrics_url": None,
            "streaming": True, "u": "localhost:8000", "num_dataset_entries": 100,
            "num_system_prompts": 0, "output_tokens_mean": osl,
            "output_tokens_mean_deterministic": False, "output_tokens_stddev": 0,
            "random_seed": 0, "request_count": requests, "synthetic_input_files": None,
            "synthetic_input_tokens_mean": isl, "synthetic_input_tokens_stddev": 0,
            "warmup_request_count": 10, "concurrency": concurrency,
            "measurement_interval": 10000, "request_rate": None, "stability_percentage": 999,
            "generate_plots": False,
            "profile_export_file": "artifacts/profile_export.json",
            "artifact_dir": f"artifacts/{HF[model].split('/')[-1]}-openai-chat-concurrency{concurrency}",
            "tokenizer": HF[model], "tokenizer_revision": "main",
            "tokenizer_trust_remote_code": False, "verbose": False, "goodput": None,
            "subcommand": "profile", "prompt_source": "synthetic",
            "extra_inputs": {"max_tokens": osl, "min_tokens": osl, "ignore_eos": True},
        },
    }


def aiperf_export(model: str, m: Noisy, isl: int, osl: int, *, rate: float,
                  requests: int) -> dict[str, Any]:
    """profile_export_aiperf.json (aiperf/exporters/json_exporter.py: JsonExportData)."""
    def record(tag: str, header: str, unit: str, avg: float) -> dict[str, Any]:
        return {"tag": tag, "header": header, **_stat(unit, avg)}

    duration = requests * osl / m.out_tps
    gpu = {"gpu_index": 0, "gpu_name": "NVIDIA H100 80GB HBM3",
           "gpu_uuid": "GPU-3f1c2a9e-5d7b-4c1e-9a4f-0b8e6d2c7a11", "hostname": "gpu-node-07",
           "metrics": {"gpu_power_usage": {"avg": 512.3, "min": 301.0, "max": 689.9, "unit": "W"}}}
    return {
        "records": {
            "request_throughput": {"tag": "request_throughput", "header": "Request Throughput",
                                   "unit": "requests/sec", "avg": requests / duration},
            "request_latency": record("request_latency", "Request Latency", "ms",
                                      m.ttft_ms + (osl - 1) * m.tpot_ms),
            "time_to_first_token": record("time_to_first_token", "Time to First Token", "ms", m.ttft_ms),
            "inter_token_latency": record("inter_token_latency", "Inter Token Latency", "ms", m.tpot_ms),
            "output_token_throughput": {"tag": "output_token_throughput",
                                        "header": "Output Token Throughput",
                                        "unit": "tokens/sec", "avg": m.out_tps},
            "output_sequence_length": record("output_sequence_length", "Output Sequence Length", "tokens", float(osl)),
            "input_sequence_length": record("input_sequence_length", "Input Sequence Length", "tokens", float(isl)),
            "request_count": {"tag": "request_count", "header": "Request Count",
                              "unit": "requests", "avg": float(requests)},
        },
        "input_config": {
            "endpoint": {"model_names": [HF[model]], "type": "chat", "streaming": True,
                         "url": "localhost:8000"},
            "input": {"prompt": {"input_tokens": {"mean": isl, "stddev": 0},
                                 "output_tokens": {"mean": osl, "stddev": 0}}},
            "loadgen": {"concurrency": None, "request_rate": rate, "request_rate_mode": "poisson",
                        "request_count": requests, "warmup_request_count": 10},
        },
        "was_cancelled": False, "error_summary": [],
        "start_time": "2025-06-13T09:41:12.118320", "end_time": "2025-06-13T09:46:55.207114",
        "telemetry_data": {
            "summary": {"endpoints_tested": ["http://localhost:9400/metrics"],
                        "endpoints_successful": ["http://localhost:9400/metrics"],
                        "start_time": "2025-06-13T09:41:12.118320",
                        "end_time": "2025-06-13T09:46:55.207114"},
            "endpoints": {"localhost:9400": {"gpus": {"gpu_0": gpu}}},
        },
    }


def write_jsonl(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def write_fixtures(world: Any, folder: Path) -> None:
    """The static fixtures: one team's Llama-3.1-8B on one H100 under vLLM, in every format."""
    eff, rng = truth_factors(world), random.Random(20250612)

    def noisy(isl: int, osl: int, load: str, n: int) -> Noisy:
        return Noisy(measure(world, eff, "llama-3.1-8b", 1, isl, osl, load, n), rng)

    single = vllm_result("llama-3.1-8b", noisy(1024, 256, "concurrency=16", 200), 1024, 256,
                         concurrency=16, rate=None, requests=200)
    name = "vllm-infqps-concurrency16-Llama-3.1-8B-Instruct-20250612-101500.json"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(single), encoding="utf-8")  # json.dump: one line, no newline
    append = [vllm_result("llama-3.1-8b", noisy(2048, 128, f"concurrency={c}", 4 * c + 32), 2048, 128,
                          concurrency=c, rate=None, requests=4 * c + 32, gpu="H100", tp="1")
              for c in (1, 4, 64, 256)]
    write_jsonl(folder / "vllm-sweep-append-result.json", append)
    lines = [sglang_result(noisy(512, 512, f"request_rate={r} req/s" if r != math.inf else "request_rate=inf", 300),
                           512, 512, concurrency=None, rate=r, requests=300) for r in (2.0, 8.0, math.inf)]
    write_jsonl(folder / "sglang_bench_serving.jsonl", lines)
    genai = genai_perf_export("llama-3.1-8b", noisy(550, 256, "concurrency=32", 320), 550, 256,
                              concurrency=32, requests=320)
    aiperf = aiperf_export("llama-3.1-8b", noisy(3000, 150, "request_rate=4 req/s", 400), 3000, 150,
                           rate=4.0, requests=400)
    for sub, name, export in (("genai-perf", "profile_export_genai_perf.json", genai),
                              ("aiperf", "profile_export_aiperf.json", aiperf)):
        (folder / sub).mkdir(exist_ok=True)  # both tools write indented JSON
        (folder / sub / name).write_text(json.dumps(export, indent=2), encoding="utf-8")
