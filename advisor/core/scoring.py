"""Scoring the model against measurements in the calibration schema (rows already read).

`parse_row` turns one CSV record (a dict of strings) into a `BenchRow`; `predict` gives the
model's value for it in the row's unit; `summarize` reduces (predicted, measured) pairs to the
scores `advisor validate` reports. Offline rows are max-throughput estimates; online rows with a
request rate replay the finite run (`protocols`). Pure; reading the file is the caller's job.
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from typing import NamedTuple

from advisor.core.deployment import Deployment
from advisor.core.fabric import fabric_for_gpu
from advisor.core.precision import check_formats
from advisor.core.protocols import RunResult, burst, finite_closed_loop, finite_open_loop
from advisor.core.serving import estimate
from advisor.core.types import Fabric, Layout, Load, Precision
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.domain.engines import behaviours

METRICS = {
    "output_tokens_per_s_total": "output_tokens_per_s",
    "output_tokens_per_s_per_gpu": "output_tokens_per_s_per_gpu",
    "output_tokens_per_s_per_user": "tokens_per_s_per_user",
    "total_tokens_per_s": "total_tokens_per_s",
    "requests_per_s": "requests_per_s",
    "ttft_mean_ms": "ttft_ms",
    "ttft_median_ms": "ttft_ms",
    "itl_mean_ms": "itl_ms",
    "itl_median_ms": "itl_ms",
    "tpot_mean_ms": "itl_ms",
    "tpot_median_ms": "itl_ms",
    "e2e_latency_mean_ms": "e2e_ms",
}
THROUGHPUT_METRICS = ("output_tokens_per_s_total", "output_tokens_per_s_per_gpu",
                      "total_tokens_per_s", "requests_per_s")
LATENCY_KIND = {"ttft_ms": "TTFT", "itl_ms": "ITL", "tokens_per_s_per_user": "ITL",
                "e2e_ms": "E2E"}
DEFAULT_REQUESTS = 500
VLLM_V0_MAX_NUM_SEQS = 256  # vllm/engine/arg_utils.py before V1: max_num_seqs default
DEFAULT_MEMORY_FRACTION = 0.9  # gpu_memory_utilization / kv_cache_free_gpu_mem_fraction default


class BenchRow(NamedTuple):
    """One measured quantity from a calibration file."""

    id: str
    model: str
    precision: str
    gpu: str
    num_gpus: int
    tp: int
    pp: int
    ep: int
    engine: str
    isl: int
    osl: int
    concurrency: str
    scenario: str
    metric: str
    value: float
    notes: str = ""
    version: str | None = None  # engine release, e.g. '0.10.1' (None: not stated)
    dp: int = 1  # attention data-parallel ranks per expert-parallel group (DEP), 1 = none
    fit: bool = True  # False: layout or lengths were guessed; scored for reference, not fitted
    source: str = ""

    @property
    def spread(self) -> bool:
        """Lengths drawn from a chat dataset (ShareGPT …), not fixed: outputs vary widely."""
        return "sharegpt" in f"{self.scenario} {self.notes}".lower()

    @property
    def lengths(self) -> str:
        """How output lengths vary across the run's requests: 'exponential' for a chat dataset
        (ShareGPT …); 'uniform' for sglang.bench_serving's random dataset at its default range
        ratio 0 (lengths drawn uniformly from 1 to the nominal one: the measured means come
        out at half of it); else 'fixed'. The row's isl/osl are the means either way. (vLLM's
        benchmark reads a range ratio the other way round, 0 being fixed lengths.)"""
        if self.spread:
            return "exponential"
        text = self.scenario.lower()
        if "sglang.bench_serving" in text and "random" in text:
            ratio = re.search(r"range[- _]ratio\D{0,3}([0-9.]+)", text)
            if ratio is None or float(ratio.group(1).rstrip(".") or 1) == 0.0:
                return "uniform"
        return "fixed"

    @property
    def engine_spec(self) -> str:
        """'vllm@0.10.1', or the bare engine when the version is not known."""
        return f"{self.engine}@{self.version}" if self.version else self.engine

    @property
    def memory_fraction(self) -> float | None:
        """The engine memory fraction the source states (e.g. kv_cache_free_gpu_mem_fraction
        0.95, --gpu-memory-utilization 0.95), else None (the engine's default)."""
        m = re.search(r"(?:mem(?:ory)?[_-](?:fraction|utili[sz]ation)[_-]?(?:static)?)\D{0,12}"
                      r"([01]\.[0-9]+)", self.notes.lower())
        return float(m.group(1)) if m else None

    @property
    def max_batch(self) -> int | None:
        """The batch cap the source states (max_num_seqs, max_running_requests,
        max_batch_size per rank), else None (the engine's default)."""
        text = f"{self.notes} {self.concurrency}".lower()
        m = re.search(r"max[_-](?:num[_-]seqs|running[_-]requests|batch[_-]size)\D{0,6}(\d+)", text)
        if m:
            return int(m.group(1))
        if self.engine == "vllm" and re.search(r"vllm_use_v1\s*=\s*0", text):
            return VLLM_V0_MAX_NUM_SEQS  # the V0 engine's default, whatever the release
        return None

    @property
    def host_overlap(self) -> bool | None:
        """Whether the run's host work overlapped the GPU step, where the source says: vLLM's
        --async-scheduling (or its absence stated), SGLang's --disable-overlap-schedule,
        TensorRT-LLM's disable_overlap_scheduler; else None (the engine's default)."""
        text = self.notes.lower()
        off = re.search(r"disable[-_]overlap[-_]schedul\w*\s*[:=]?\s*(\w*)", text)
        if off:
            return off.group(1) in ("false", "0")
        if re.search(r"\bno[- _]async[- _]scheduling", text):
            return False
        if re.search(r"async[-_ ]scheduling", text):
            return True
        return None

    @property
    def attention_tp(self) -> int:
        """TP of attention: tp for plain layouts, tp / dp under attention data parallelism."""
        return max(1, self.tp // self.dp) if self.dp > 1 else self.tp

    @property
    def replicas(self) -> int:
        return max(1, self.num_gpus // (self.attention_tp * self.pp))

    @property
    def online(self) -> bool:
        """Served to clients at a request rate or a fixed concurrency (not an offline batch)."""
        load = self.concurrency.lower()
        return "rate" in load or load.startswith("concurrency=")


_VERSION = re.compile(r"(?<![\d.])v?(\d+\.\d+(?:\.\d+)?)(?:\.?(?:post|dev|rc)\d*)?(?![\d])")


def version_of(*texts: str) -> str | None:
    """The first release number in free text ('TensorRT-LLM 0.17 (…)' -> '0.17'), or None."""
    for text in texts:
        m = _VERSION.search(text or "")
        if m:
            return m.group(1)
    return None


_FP8_KV = re.compile(r"fp8[ _-]?kv|kv[ _-]?(?:cache)?[ _-]?(?:dtype)?[ =:]*fp8", re.I)
_DEP = re.compile(r"\bDEP(\d+)")
_NEGATED_DP = re.compile(r"\b(?:no|without|not)\s+(?:dp[ _-]attention|attention[ _-]?dp|"
                         r"dp attention)", re.I)
_ATTENTION_DP = re.compile(r"attention[ _-]?dp|dp[ _-]attention|enable_attention_dp|"
                           r"attention data[ -]parallel", re.I)


def attention_dp(record: dict[str, str], tp: int, ep: int) -> int:
    """Attention data-parallel ranks a row states: a 'DEPn' label, or a dp column together with
    a note on DP attention (SGLang --enable-dp-attention, TRT-LLM enable_attention_dp)."""
    notes = record.get("notes") or ""
    label = re.search(r"config label (\S+)", notes)
    if label:  # the published layout label says it all (TP2, DEP8, DEP2PP2 …)
        m = _DEP.search(label.group(1))
        return int(m.group(1)) if m else 1
    m = _DEP.search(notes)
    if m:
        return int(m.group(1))
    dp = int(float((record.get("dp") or "1").strip() or 1))
    text = _NEGATED_DP.sub("", notes + " " + (record.get("scenario") or ""))
    if _ATTENTION_DP.search(text):
        return dp if dp > 1 else max(tp, ep)
    return 1


def engine_of(text: str) -> str:
    """trtllm / vllm / sglang from a free-text engine column."""
    low = text.lower()
    if "sglang" in low:
        return "sglang"
    if "vllm" in low:
        return "vllm"
    if "tensorrt" in low or "trt" in low:
        return "trtllm"
    raise ValueError(f"engine {text!r} is not one of TensorRT-LLM, vLLM, SGLang")


def precision_of(text: str) -> Precision:
    """'FP8' means FP8 weights and FP8 KV (as the TRT-LLM tables use it); 16-bit stays 16-bit;
    4-bit weights keep a bf16 KV cache; 'weights/kv' (e.g. 'fp8/bf16') names both."""
    low = text.strip().lower()
    if "/" in low:  # "weights/kv", e.g. fp8/bf16: FP8 weights with a BF16 KV cache
        weights, _, kv = (part.strip() for part in low.partition("/"))
        check_formats(weights, kv)
        return Precision(weights, kv)
    if low in ("fp8", "bf16", "fp16"):
        return Precision(low, low)
    if low in ("int4", "fp4", "int8"):
        return Precision(low, "bf16")
    raise ValueError(f"precision {text!r} is not one of FP8, BF16, FP16, INT8, INT4, FP4")


def _int(record: dict[str, str], key: str, default: int | None = None) -> int:
    raw = (record.get(key) or "").strip()
    if not raw:
        if default is None:
            raise ValueError(f"{key} is empty")
        return default
    return int(float(raw))


def parse_row(record: dict[str, str]) -> BenchRow:
    """A `BenchRow` from a CSV record; ValueError names the bad field."""
    metric = (record.get("metric") or "").strip()
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not scored")
    tp, ep = _int(record, "tp", 1), _int(record, "ep", 1)
    engine_text = record.get("engine") or ""
    if "engine_version" in record:  # the measurement schema: blank means not stated
        version = version_of(record["engine_version"] or "")
    else:  # the TensorRT-LLM table names its release in prose ('TensorRT-LLM 0.17 (…)')
        version = version_of(engine_text, record.get("source_version") or "")
    dp = attention_dp(record, tp, ep)
    if dp > 1 and ep <= 1:  # DP attention with the experts sharded over every GPU
        ep = tp * max(1, dp // tp) if dp > tp else tp
    return BenchRow(
        id=(record.get("id") or "").strip(),
        model=record["model"].strip(),
        precision=record["precision"].strip(),
        gpu=record["gpu"].strip(),
        num_gpus=_int(record, "num_gpus", 1),
        tp=tp,
        pp=_int(record, "pp", 1),
        ep=ep,
        engine=engine_of(engine_text),
        isl=_int(record, "isl"),
        osl=_int(record, "osl"),
        concurrency=(record.get("concurrency") or "").strip(),
        scenario=(record.get("scenario") or "").strip(),
        metric=metric,
        value=float(record["value"]),
        notes=(record.get("notes") or "").strip(),
        version=version,
        dp=dp,
        fit=(record.get("fit") or "yes").strip().lower() not in ("no", "false", "0"),
        source=(record.get("source") or "").strip(),
    )


def _rate(row: BenchRow) -> float | None:
    """Requests/s of an online row; inf for 'all at once'."""
    m = re.search(r"rate\s*=\s*([0-9.]+|inf)", row.concurrency.lower())
    if not m:
        return None
    return math.inf if m.group(1) == "inf" else float(m.group(1))


def _requests(row: BenchRow) -> int:
    m = re.search(r"(\d+)\s*requests", row.scenario + " " + row.concurrency)
    return int(m.group(1)) if m else DEFAULT_REQUESTS


def _closed_users(row: BenchRow) -> int | None:
    m = re.match(r"\s*(?:(?:concurrency|batch)\s*=\s*)?(\d+)\b", row.concurrency.lower())
    return int(m.group(1)) if m else None


def run_for(
    row: BenchRow,
    model: ModelProfile,
    acc: Accelerator,
    eff: EfficiencyFactors,
    *,
    fabric: Fabric | None = None,
    memory_fraction: float | None = None,
) -> RunResult:
    """What the model predicts for the run a row was measured in. The memory fraction and
    batch cap are the ones the row states, else the engine profile's defaults; attention
    data parallelism (DEP) runs attention at tp / dp with the experts over every rank."""
    if memory_fraction is None:
        memory_fraction = row.memory_fraction or eff.memory_fraction or DEFAULT_MEMORY_FRACTION
    if row.max_batch is not None and row.max_batch != eff.max_batch:
        eff = dataclasses.replace(eff, max_batch=row.max_batch, small_gpu_max_batch=None)
    overlap = row.host_overlap
    if overlap is None:  # the release's own default (no version stated: the newest release's)
        overlap = next((v for field, v, _ in behaviours(row.engine, row.version) if field == "host_overlap"), None)
    if overlap is not None and overlap != eff.host_overlap:
        eff = dataclasses.replace(eff, host_overlap=overlap)
    ep = row.ep if model.moe is not None else 1  # 'DEP' on a dense model is plain data parallel
    layout = Layout(tp=row.attention_tp, pp=row.pp, ep=ep, replicas=row.replicas)
    fabric = fabric or fabric_for_gpu(acc, row.num_gpus)
    precision = precision_of(row.precision)
    if precision.kv == "bf16" and _FP8_KV.search(row.notes):  # e.g. NVFP4 weights with an FP8 KV cache
        precision = Precision(precision.weights, "fp8", precision.activations)
    rate = _rate(row)
    if rate is not None:
        load = Load(isl=row.isl, osl=row.osl, rate=None if math.isinf(rate) else rate)
        d = Deployment(model=model, accelerator=acc, fabric=fabric, layout=layout,
                       precision=precision, load=load, factors=eff)
        if math.isinf(rate):
            return burst(d, requests=_requests(row), memory_fraction=memory_fraction,
                         spread=row.spread)
        return finite_open_loop(d, requests=_requests(row), memory_fraction=memory_fraction,
                                lengths=row.lengths)
    users = _closed_users(row)
    load = Load(isl=row.isl, osl=row.osl, concurrency=users)
    d = Deployment(model=model, accelerator=acc, fabric=fabric, layout=layout,
                   precision=precision, load=load, factors=eff)
    if users is not None and row.online:
        # a chat dataset's closed-loop tail is left out: an exponential law for ShareGPT's
        # outputs drained too long (vLLM runs at 8 clients −11 points, LOSO vLLM 20.0 → 22.1 %)
        return finite_closed_loop(d, requests=_requests(row), memory_fraction=memory_fraction,
                                  lengths=row.lengths, drain=row.lengths == "uniform")
    e = estimate(d, memory_fraction=memory_fraction)
    return RunResult(e.requests_per_s, e.output_tokens_per_s, e.total_tokens_per_s, e.ttft_s,
                     e.tpot_s, fits=e.memory.fits and e.output_tokens_per_s > 0)


def value_for(row: BenchRow, run: RunResult) -> float:
    """The run's prediction in the unit of the row's metric."""
    field = METRICS[row.metric]
    if field == "ttft_ms":
        return run.ttft_s * 1e3
    if field == "itl_ms":
        return run.itl_s * 1e3
    if field == "tokens_per_s_per_user":
        return 1.0 / run.itl_s if run.itl_s > 0 else math.nan
    if field == "e2e_ms":
        return (run.ttft_s + max(row.osl - 1, 0) * run.itl_s) * 1e3
    if field == "output_tokens_per_s_per_gpu":
        return run.output_tokens_per_s / max(row.num_gpus, 1)
    return float(getattr(run, field))


class Score(NamedTuple):
    """Agreement of predictions with measurements for one group of rows."""

    rows: int  # rows in the group
    scored: int  # rows with a finite prediction (coverage = scored / rows)
    median_abs_pct_error: float
    within_25: float  # share of scored rows within ±25 %
    median_bias_pct: float  # median signed error, + = model predicts too high

    @property
    def coverage(self) -> float:
        return self.scored / self.rows if self.rows else 0.0


def pct_error(predicted: float, measured: float) -> float:
    """Signed percentage error of a prediction."""
    return (predicted - measured) / measured * 100.0


def summarize(pairs: list[tuple[float, float]]) -> Score:
    """Scores for (predicted, measured) pairs; non-finite or zero predictions are uncovered."""
    errors = [pct_error(p, m) for p, m in pairs if math.isfinite(p) and p > 0 and m > 0]
    if not errors:
        return Score(len(pairs), 0, math.nan, math.nan, math.nan)
    absolute = [abs(e) for e in errors]
    return Score(
        rows=len(pairs),
        scored=len(errors),
        median_abs_pct_error=statistics.median(absolute),
        within_25=sum(a <= 25.0 for a in absolute) / len(absolute),
        median_bias_pct=statistics.median(errors),
    )
