"""Reading typed fields out of one parsed result object, with errors that name the file.

`Fields` wraps one JSON object of a known tool's output: `number`/`integer` raise a one-line
AdvisorError naming the file, the field and what was expected; `stated_metadata` collects what
a result says about the deployment (vLLM's `--metadata KEY=VALUE` pairs, or keys a team added
by hand) under the advisor's names. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from advisor.calibration.measured import bad
from advisor.errors import AdvisorError


class Skip(Exception):
    """A run the model cannot replay; the reader reports it as a warning and goes on."""


class Fields:
    """Typed access to one result object of format `fmt` read from `label`."""

    def __init__(self, obj: dict[str, Any], label: str, fmt: str) -> None:
        self.obj, self.label, self.fmt = obj, label, fmt

    def _fail(self, key: str, expected: str, found: Any = None) -> AdvisorError:
        if found is None:
            return bad(f"{self.label}: {self.fmt} result has no {key!r} (expected {expected})")
        return bad(f"{self.label}: {self.fmt} result field {key!r} is {_short(found)} "
                   f"(expected {expected})")

    def number(self, key: str, *, required: bool = True, source: dict[str, Any] | None = None
               ) -> float | None:
        """A finite number (numeric strings too); None when absent and not required."""
        raw = (self.obj if source is None else source).get(key)
        if raw is None:
            if required:
                raise self._fail(key, "a number")
            return None
        value = to_float(raw)
        if value is None or not math.isfinite(value):
            raise self._fail(key, "a finite number", raw)
        return value

    def integer(self, key: str, *, required: bool = True) -> int | None:
        value = self.number(key, required=required)
        if value is None:
            return None
        if value != int(value) or value < 0:
            raise self._fail(key, "a whole number of requests or tokens", self.obj.get(key))
        return int(value)

    def rate(self, key: str) -> float:
        """A request rate: a positive number, or inf / "inf" / Infinity for all at once."""
        raw = self.obj.get(key, "missing")
        if raw == "missing":
            raise self._fail(key, 'a request rate (a number or "inf")')
        value = to_float(raw)
        if value is None or not value > 0:
            raise self._fail(key, 'a positive request rate or "inf"', raw)
        return value

    def positive(self, key: str, **kwargs: Any) -> float | None:
        """An optional measured mean: absent, zero (the tool had no samples) or NaN is None."""
        raw = (kwargs.get("source") or self.obj).get(key)
        value = to_float(raw) if raw is not None else None
        return value if value is not None and math.isfinite(value) and value > 0 else None


def to_float(raw: Any) -> float | None:
    """A float from a JSON number or numeric string (genai-perf writes some as strings)."""
    if isinstance(raw, bool):
        return None
    try:
        if isinstance(raw, int | float):
            return float(raw)
        if isinstance(raw, str):
            return float(raw.strip())
    except (ValueError, OverflowError):  # not a number, or an integer past the float range
        return None
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


# -- what a result says about the deployment ------------------------------------------------

# Keys a result may carry (vLLM: `--metadata gpu=H100 tp=2 …`), mapped to the advisor's names.
METADATA_KEYS = {
    "model": "model",
    "gpu": "gpu", "gpu_type": "gpu", "gpu_name": "gpu", "accelerator": "gpu",
    "tp": "tp", "tensor_parallel_size": "tp", "tensor-parallel-size": "tp", "tp_size": "tp",
    "pp": "pp", "pipeline_parallel_size": "pp", "pipeline-parallel-size": "pp",
    "ep": "ep", "expert_parallel_size": "ep",
    "gpus": "gpus", "num_gpus": "gpus",
    "engine": "engine",
    "weights": "weights", "quantization": "weights",
    "kv_dtype": "kv_dtype", "kv_cache_dtype": "kv_dtype", "kv-cache-dtype": "kv_dtype",
    "gpu_memory_utilization": "memory_fraction", "mem_fraction_static": "memory_fraction",
    "kv_cache_free_gpu_mem_fraction": "memory_fraction",
}
WEIGHT_ALIASES = {
    "fp8": "fp8", "bf16": "bf16", "bfloat16": "bf16", "fp16": "fp16", "float16": "fp16",
    "half": "fp16", "int8": "int8", "w8a8": "int8", "smoothquant": "int8", "int4": "int4",
    "awq": "int4", "awq_marlin": "int4", "gptq": "int4", "gptq_marlin": "int4", "w4a16": "int4",
    "fp4": "fp4", "nvfp4": "fp4", "mxfp4": "fp4",
}
KV_ALIASES = {"fp8": "fp8", "fp8_e4m3": "fp8", "fp8_e5m2": "fp8", "bf16": "bf16",
              "bfloat16": "bf16", "fp16": "fp16", "float16": "fp16", "half": "fp16"}
ENGINE_ALIASES = {"vllm": "vllm", "sglang": "sglang", "trtllm": "trtllm", "tensorrt-llm": "trtllm",
                  "tensorrt_llm": "trtllm", "tensorrtllm": "trtllm", "trt-llm": "trtllm",
                  "trt": "trtllm"}
UNSET = ("", "auto", "none", "null", "default")


def stated_metadata(obj: dict[str, Any]) -> dict[str, str]:
    """What the object says about the deployment, normalised (unknown spellings pass through
    lower-cased, to be refused later with the allowed values)."""
    stated: dict[str, str] = {}
    for key, value in obj.items():
        name = METADATA_KEYS.get(str(key).strip().lower())
        if name is None or value is None or isinstance(value, dict | list | bool):
            continue
        text = str(value).strip()
        if text.lower() in UNSET:
            continue
        aliases = {"weights": WEIGHT_ALIASES, "kv_dtype": KV_ALIASES, "engine": ENGINE_ALIASES}.get(name)
        stated[name] = aliases.get(text.lower(), text.lower()) if aliases else text
    return stated


def engine_from_backend(backend: Any) -> str | None:
    """The engine a benchmark client's backend names (vllm, sglang-oai, tensorrt-llm, trt …);
    None for generic clients (openai, openai-chat, tgi …)."""
    if not isinstance(backend, str):
        return None
    low = backend.strip().lower()
    for prefix, engine in (("sglang", "sglang"), ("vllm", "vllm"), ("tensorrt", "trtllm"),
                           ("trt", "trtllm")):
        if low.startswith(prefix):
            return engine
    return None


def iso_date(raw: Any) -> str | None:
    """An ISO date from vLLM's "%Y%m%d-%H%M%S" or an ISO timestamp; None otherwise."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for parse in (lambda t: dt.datetime.strptime(t, "%Y%m%d-%H%M%S"),
                  lambda t: dt.datetime.fromisoformat(t.replace("Z", "+00:00"))):
        try:
            return parse(text).date().isoformat()
        except ValueError:
            continue
    return None
