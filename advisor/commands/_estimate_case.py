"""One `advisor estimate` case: parse its fields, run the core, shape the JSON record.

Shared by the single-deployment command and `--cases`, which evaluates thousands of cases per
second: names, fabrics and efficiency choices are cached per run, and nothing here builds
pydantic objects per case. Must not import textual or httpx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from advisor.catalog.world import World
from advisor.commands._estimate_disagg import pool_record, pools, wants_pools
from advisor.core.deployment import Deployment
from advisor.core.disagg import DisaggEstimate
from advisor.core.efficiency import as_dict, band_pct, band_text, engine_reason, select
from advisor.core.fabric import fabric_for_gpu
from advisor.core.layouts import layout_reason
from advisor.core.memory import memory_parts
from advisor.core.params import shape
from advisor.core.precision import KV_FORMATS, WEIGHT_FORMATS
from advisor.core.serving import estimate
from advisor.core.types import Estimate, Layout, Load, Precision
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.domain.engines import split_engine
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.export.collectives import collective_record
from advisor.export.serving_terms import load_feature_record
from advisor.search.features import case_features
from advisor.search.request import choose_model

MAX_GPUS = 100_000


@dataclass
class Caches:
    """Per-run memo of name resolution, fabrics and efficiency selection."""

    models: dict[str, ModelProfile] = field(default_factory=dict)
    gpus: dict[str, Accelerator] = field(default_factory=dict)
    fabrics: dict[tuple[str, int], Any] = field(default_factory=dict)
    factors: dict[tuple[str, str], EfficiencyFactors] = field(default_factory=dict)
    factor_dicts: dict[int, dict[str, Any]] = field(default_factory=dict)
    factor_json: dict[int, str] = field(default_factory=dict)
    band_json: dict[tuple[int, bool], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """An evaluated case: the objects behind the JSON record (and the table)."""

    model: ModelProfile
    acc: Accelerator
    layout: Layout
    precision: Precision
    load: Load
    eff: EfficiencyFactors
    est: Estimate
    engine: str
    tp_chosen: bool
    caches: Caches
    pools: DisaggEstimate | None = None  # --serving disagg: both pools (`est` is the whole)

    @property
    def notes(self) -> list[str]:
        notes = list(self.est.notes)
        if self.tp_chosen:
            notes.append(f"tp={self.layout.tp} chosen (no tp given): the largest valid degree "
                         "filling --gpus, or without --gpus the smallest that holds one sequence")
        return notes

    @property
    def moe(self) -> bool:
        return self.model.moe is not None

    @property
    def band_pct(self) -> float | None:
        """The ± error band (%) of this estimate: the efficiency entry's band for the model kind."""
        return band_pct(self.eff, self.moe)

    @property
    def band_text(self) -> str:
        return band_text(self.eff, self.moe)

    @property
    def record(self) -> dict[str, Any]:
        return to_record(self)


def _bad(message: str) -> AdvisorError:
    return AdvisorError(message, exit_code=EXIT_BAD_INPUT)


def _int(value: Any, name: str, default: int | None = None, low: int = 1,
         high: int = MAX_GPUS) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise _bad(f"{name} must be a whole number, got {value!r}") from None
    if not low <= value <= high:
        raise _bad(f"{name} must be between {low} and {high}, got {value}")
    return value


def _tokens(value: Any, name: str) -> int:
    if value is None or value == "":
        raise _bad(f"{name} is required")
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 100_000_000:
            raise _bad(f"{name} must be between 1 and 100000000 tokens, got {value}")
        return value
    from advisor.shorthands import parse_tokens

    tokens = parse_tokens(str(value), name)
    if tokens < 1:
        raise _bad(f"{name} must be at least 1 token")
    return tokens


def _rate(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not (value > 0 and math.isfinite(value)):
            raise _bad(f"rate must be a positive number of requests per second, got {value}")
        return float(value)
    from advisor.shorthands import parse_request_rate

    return parse_request_rate(str(value), "rate")


def _choice(value: Any, name: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    text = str(value).strip().lower()
    if text not in allowed:
        raise _bad(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return text


def _engine(value: Any, default: str) -> str:
    """An engine spec ('vllm', 'vllm@0.6'); the team default when not given."""
    if value is None or value == "":
        return default
    text = str(value).strip().lower()
    try:
        split_engine(text)
    except ValueError as err:
        raise _bad(f"engine {value!r}: {err}") from None
    return text


def _resolve(caches: Caches, world: World, fields: dict[str, Any]) -> tuple[ModelProfile, Accelerator]:
    model_name, gpu_name = fields.get("model"), fields.get("gpu")
    if not model_name or not isinstance(model_name, str):
        raise _bad("model is required")
    if not gpu_name or not isinstance(gpu_name, str):
        raise _bad("gpu is required")
    model = caches.models.get(model_name)
    if model is None:
        model = caches.models[model_name] = world.models[choose_model(world, model_name).id]
    acc = caches.gpus.get(gpu_name)
    if acc is None:
        acc = caches.gpus[gpu_name] = world.accelerator(gpu_name)
    return model, acc


def _efficiency(caches: Caches, world: World, acc: Accelerator, engine: str) -> EfficiencyFactors:
    key = (acc.id, engine)
    eff = caches.factors.get(key)
    if eff is None:
        reason = engine_reason(acc, engine)
        if reason:
            raise _bad(reason)
        eff = caches.factors[key] = select(world.efficiency.values(), acc, engine)
    return eff


def _layout(model: ModelProfile, acc: Accelerator, fields: dict[str, Any], precision: Precision,
            context: int, fabric_of) -> tuple[Layout, bool]:
    """The layout the fields ask for; without tp, the smallest valid one holding a sequence."""
    pp = _int(fields.get("pp"), "pp", 1, high=1000) or 1
    ep = _int(fields.get("ep"), "ep", 1, high=4096) or 1
    redundant = _int(fields.get("redundant_experts"), "redundant_experts", 0, low=0, high=4096) or 0
    gpus = _int(fields.get("gpus"), "gpus", None)
    tp = _int(fields.get("tp"), "tp", None, high=4096)
    chosen = tp is None
    if tp is None and gpus is not None:
        tp = _filling_tp(model, gpus // pp if gpus >= pp else 0)
    if tp is None:
        tp = _smallest_tp(model, acc, precision, context, pp, ep, gpus, fabric_of, redundant)
    group = tp * pp
    if gpus is None:
        gpus = max(group, ep * pp)
    if gpus % group:
        raise _bad(f"gpus={gpus} is not a multiple of tp×pp={group}")
    return Layout(tp=tp, pp=pp, ep=ep, replicas=gpus // group, redundant_experts=redundant), chosen


def _filling_tp(model: ModelProfile, per_stage: int) -> int | None:
    """The largest valid TP dividing the GPUs of one pipeline stage (one replica fills them)."""
    from advisor.core.layouts import tp_reason

    s = shape(model)
    for tp in range(per_stage, 0, -1):
        if per_stage % tp == 0 and tp_reason(s, tp) is None:
            return tp
    return None


def _smallest_tp(model: ModelProfile, acc: Accelerator, precision: Precision, context: int,
                 pp: int, ep: int, gpus: int | None, fabric_of, redundant: int = 0) -> int:
    limit = (gpus // pp) if gpus else 64
    s = shape(model)
    candidates = [t for t in range(1, max(limit, 1) + 1)
                  if (gpus is None or (gpus // pp) % t == 0)]
    for tp in candidates:
        layout = Layout(tp=tp, pp=pp, ep=ep, replicas=max(1, (gpus or tp * pp) // (tp * pp)),
                        redundant_experts=redundant)
        if layout_reason(model, layout, fabric_of(tp * pp * layout.replicas)) is not None:
            continue
        parts = memory_parts(s, acc, layout, precision, context=context, logit_rows=1,
                             memory_fraction=0.9)
        if parts.max_sequences >= 1:
            return tp
    raise _bad(f"{model.id} does not fit on {limit} {acc.id} GPU(s) at any valid tp "
               f"(pp={pp}); give --gpus or --tp/--pp explicitly")


def evaluate(world: World, caches: Caches, fields: dict[str, Any]) -> Result:
    """Run one case (fields as the option names); AdvisorError for anything bad in it."""
    model, acc = _resolve(caches, world, fields)
    default_weights = model.native_dtype if model.native_dtype in WEIGHT_FORMATS else "bf16"
    precision = Precision(
        weights=_choice(fields.get("weights"), "weights", WEIGHT_FORMATS, default_weights),
        kv=_choice(fields.get("kv_dtype"), "kv_dtype", KV_FORMATS, "bf16"),
    )
    engine = _engine(fields.get("engine"), world.settings.engine)
    isl, osl = _tokens(fields.get("isl"), "isl"), _tokens(fields.get("osl"), "osl")
    concurrency = _int(fields.get("concurrency"), "concurrency", None, high=10_000_000)
    rate = _rate(fields.get("rate"))
    if concurrency is not None and rate is not None:
        raise _bad("give concurrency or rate, not both")
    load = Load(isl=isl, osl=osl, concurrency=concurrency, rate=rate,
                **case_features(fields.get("prefix_hit"), fields.get("spec_decode")))

    def fabric_of(gpus: int):
        key = (acc.id, gpus)
        fab = caches.fabrics.get(key)
        if fab is None:
            fab = caches.fabrics[key] = fabric_for_gpu(acc, gpus)
        return fab

    layout, chosen = _layout(model, acc, fields, precision, load.context, fabric_of)
    eff = _efficiency(caches, world, acc, engine)
    fraction = world.settings.engine_memory_fraction
    deployment = Deployment(model=model, accelerator=acc, fabric=fabric_of(layout.gpus), layout=layout,
                            precision=precision, load=load, factors=eff)
    if wants_pools(fields):
        both = pools(deployment, fields, memory_fraction=fraction, comm_share_target=world.settings.comm_share_target)
        return Result(model, acc, layout, precision, load, eff, both.estimate, engine, chosen, caches, both)
    est = estimate(deployment,
                   memory_fraction=fraction, comm_share_target=world.settings.comm_share_target)
    return Result(model, acc, layout, precision, load, eff, est, engine, chosen, caches)


def _num(value: float) -> float | None:
    """JSON has no inf/NaN: unbounded values are null."""
    return value if math.isfinite(value) else None


def _efficiency_record(caches: Caches, eff: EfficiencyFactors) -> dict[str, Any]:
    cached = caches.factor_dicts.get(id(eff))
    if cached is None:
        cached = {"id": eff.id, **as_dict(eff), "rows": eff.rows,
                  "median_abs_pct_error": eff.median_abs_pct_error, "source": eff.source}
        cached["max_batch"] = eff.max_batch
        caches.factor_dicts[id(eff)] = cached
    return cached


def to_record(result: Result) -> dict[str, Any]:
    """The JSON object of one case, keys as documented for `advisor estimate` (plus engine, mode, bound and notes)."""
    model, acc, layout, precision = result.model, result.acc, result.layout, result.precision
    engine, eff, est = result.engine, result.eff, result.est
    mem, ic = est.memory, est.interconnect
    notes = result.notes
    return {
        "model": model.id,
        "gpu": acc.id,
        "engine": engine,
        "layout": {"tp": layout.tp, "pp": layout.pp, "ep": layout.ep, "replicas": layout.replicas,
                   "redundant_experts": layout.redundant_experts},
        "weights": precision.weights,
        "kv_dtype": precision.kv,
        "memory": {
            "weights_bytes_per_gpu": mem.weights_bytes_per_gpu,
            "kv_bytes_per_token": mem.kv_bytes_per_token,
            "kv_capacity_tokens": mem.kv_capacity_tokens,
            "workspace_bytes_per_gpu": mem.workspace_bytes_per_gpu,
            "usable_bytes_per_gpu": mem.usable_bytes_per_gpu,
            "fits": mem.fits and est.fits,
        },
        "batch": est.batch,
        "throughput": {"output_tokens_per_s": est.output_tokens_per_s,
                       "total_tokens_per_s": est.total_tokens_per_s},
        "latency": {"ttft_s": _num(est.ttft_s), "tpot_s": _num(est.tpot_s)},
        "interconnect": {
            "allreduce_bytes_per_step": ic.allreduce_bytes_per_step,
            "comm_share": ic.comm_share,
            "required_bytes_per_s": _num(ic.required_bytes_per_s),
            "available_bytes_per_s": ic.available_bytes_per_s,
            "link_kind": ic.link_kind,
            "collectives": collective_record(ic),
        },
        "efficiency": _efficiency_record(result.caches, eff),
        "error_band_pct": result.band_pct,
        "error_band": result.band_text,
        "tenancy_factor": est.tenancy_factor,
        "mode": est.mode,
        "bound": est.bound,
        "saturated": est.saturated,
        "notes": notes,
        **load_feature_record(result.load, est),
        **(pool_record(result.pools) if result.pools is not None else {}),
    }


def print_report(result: Result) -> None:
    """Human tables (Rich): the answer, then the formula inputs and the factors used."""
    from advisor.commands._estimate_report import report

    report(result)
