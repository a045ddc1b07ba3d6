"""A measured benchmark run as read from a team's file, and its rows in the calibration schema.

Readers (`formats`) turn a file into `Run`s: what the file states about the deployment
(`stated`), the load it ran (closed loop, open loop or all-at-once), the mean prompt and output
lengths and the measured means. `records` resolves each run against the World and the
command-line `Context` — a value the file states wins, a flag fills what a file lacks (so one
call can mix files of several layouts), a model name that resolves to nothing defers to
--model — and yields rows in the calibration schema
(shared/calibration/README.md), one per measured metric, so `advisor validate` and the fit
score them exactly like the shipped calibration set. Must not import textual, rich or httpx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePath

from advisor.catalog.world import World
from advisor.core.precision import KV_FORMATS, WEIGHT_FORMATS
from advisor.domain import Accelerator, ModelProfile
from advisor.domain.choices import ENGINES
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

SCHEMA = ("id", "source", "source_version", "model", "precision", "gpu", "num_gpus", "tp", "pp",
          "ep", "engine", "isl", "osl", "concurrency", "scenario", "metric", "value", "unit",
          "notes")
UNITS = {
    "output_tokens_per_s_total": "output tokens/s (whole deployment)",
    "ttft_mean_ms": "ms",
    "itl_mean_ms": "ms (mean time per output token)",
}
FLAGS = {"model": "--model", "gpu": "--gpu", "gpus": "--gpus", "tp": "--tp", "pp": "--pp",
         "ep": "--ep", "engine": "--engine", "weights": "--weights", "kv_dtype": "--kv-dtype"}


@dataclass(frozen=True)
class Context:
    """What the command line says about the runs; it fills what a file does not state."""

    model: str | None = None
    gpu: str | None = None
    gpus: int | None = None
    tp: int | None = None
    pp: int | None = None
    ep: int | None = None
    engine: str | None = None
    weights: str | None = None
    kv_dtype: str | None = None
    memory_fraction: float = 0.9  # engine default when a file does not state its own


@dataclass(frozen=True)
class Run:
    """One benchmark run read from a file (names not yet resolved)."""

    file: str
    fmt: str  # which tool wrote it, e.g. "vLLM bench serve"
    index: int  # 1-based position of the run in its file
    count: int  # runs in the file
    isl: int  # mean prompt tokens per request
    osl: int  # mean output tokens per request
    load: str  # "concurrency=C", "request_rate=R req/s" or "request_rate=inf"
    requests: int  # requests completed in the run (0: the file does not say)
    metrics: dict[str, float]  # calibration-schema metric -> measured mean
    stated: dict[str, str] = field(default_factory=dict)  # model, gpu, tp, … as the file says
    engine_hint: str | None = None  # from the client's backend name: --engine wins over it
    date: str | None = None  # when it was measured (ISO date), if the file says
    engine_default: str | None = None  # the engine the client tool comes with, assumed (and said)
    backend: str | None = None  # the client's backend name as the file states it

    @property
    def label(self) -> str:
        return self.file if self.count == 1 else f"{self.file} (run {self.index})"


def bad(message: str) -> AdvisorError:
    return AdvisorError(message, exit_code=EXIT_BAD_INPUT)


def load_text(concurrency: int | None, rate: float | None, requests: int) -> str:
    """The calibration-schema load of a run: a concurrency cap at least as large as the run is
    all requests at once; a rate with no cap is open loop; no rate (or inf) and no cap is a
    burst."""
    if concurrency is not None and concurrency < requests:
        return f"concurrency={concurrency}"
    if rate is not None and math.isfinite(rate):
        return f"request_rate={rate:g} req/s"
    return "request_rate=inf"


# -- resolving a run -----------------------------------------------------------------------

def _missing(run: Run, name: str, what: str, example: str) -> AdvisorError:
    return bad(f"{run.label}: {run.fmt} results do not state {what}; pass {FLAGS[name]} "
               f"(e.g. {FLAGS[name]} {example})")


def _int_value(run: Run, ctx: Context, name: str, default: int | None) -> int | None:
    text, given = run.stated.get(name), getattr(ctx, name)
    if text is None:
        return given if given is not None else default  # the flag fills the gap
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not number.is_integer():
        raise bad(f"{run.label}: {name} {text!r} is not a whole number")
    value = int(number)
    if not 1 <= value <= 100_000:
        raise bad(f"{run.label}: {name} {value} is out of range")
    return value


def _model(run: Run, ctx: Context, world: World) -> ModelProfile:
    name = run.stated.get("model")
    found = _model_by_name(name, world) if name else None
    if found is not None:
        return found
    if ctx.model:  # not named, or a served name / local path: the flag says which model it is
        return world.model(ctx.model)
    if name:
        raise bad(f"{run.label}: unknown model {name!r}; pass --model (a model id or alias)")
    raise _missing(run, "model", "the model", "llama-3.1-8b")


def _model_by_name(name: str, world: World) -> ModelProfile | None:
    """The model a file names: an id, alias or HF repo, else the tail of a local path."""
    parts = name.strip().rstrip("/").split("/")
    for candidate in dict.fromkeys([name, "/".join(parts[-2:]), parts[-1]]):
        try:
            return world.model(candidate)
        except AdvisorError:
            continue
    return None


def _gpu(run: Run, ctx: Context, world: World) -> Accelerator:
    name = run.stated.get("gpu") or ctx.gpu
    if name is None:
        raise _missing(run, "gpu", "the GPU", "h100")
    try:
        return world.accelerator(name)
    except AdvisorError as err:
        raise bad(f"{run.label}: {err.message}") from None


def _engine(run: Run, ctx: Context) -> str:
    """A stated engine, else the flag, else what the client's backend name suggests, else the
    engine the client tool comes with (an assumption `engine_assumed` says)."""
    engine = run.stated.get("engine") or ctx.engine or run.engine_hint or run.engine_default
    if engine is None:
        raise _missing(run, "engine", "the serving engine", "vllm")
    if engine not in ENGINES:
        raise bad(f"{run.label}: engine {engine!r} is not one of {', '.join(ENGINES)}")
    return engine


def engine_assumed(run: Run, ctx: Context) -> str | None:
    """The warning for a run whose engine is only the client tool's own, else None."""
    if run.stated.get("engine") or ctx.engine or run.engine_hint or not run.engine_default:
        return None
    return (f"{run.file}: engine {run.engine_default} assumed: a {run.fmt} result names its "
            f"client backend ({run.backend or 'none'!r}), not the server; pass --engine if another "
            "engine served it")


def _choice(run: Run, ctx: Context, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = run.stated.get(name) or getattr(ctx, name) or default
    if value not in allowed:
        raise bad(f"{run.label}: {name} {value!r} is not one of {', '.join(allowed)}")
    return value


def _fraction(run: Run, ctx: Context) -> float:
    text = run.stated.get("memory_fraction")
    if text is None:
        return ctx.memory_fraction
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.05 <= value <= 1.0:
        raise bad(f"{run.label}: memory fraction {text!r} is not a share between 0.05 and 1")
    return value


def precision_text(weights: str, kv: str) -> str:
    """The calibration-schema precision: 'FP8' for FP8 weights and KV, else 'weights/kv'."""
    return weights.upper() if weights == kv else f"{weights}/{kv}"


# -- what no file and no flag says, all at once ----------------------------------------------

GAPS = {"model": ("the model", "llama-3.1-8b"), "gpu": ("the GPU", "h100"),
        "engine": ("the serving engine", "vllm"), "tp": ("the tensor-parallel degree", "1")}


def _resolves(resolve: object, name: str) -> str | None:
    """None when `resolve(name)` finds the entry, else its one-line error (with did-you-mean)."""
    try:
        resolve(name)  # type: ignore[operator]
    except AdvisorError as err:
        return err.message
    return None


def gaps(run: Run, ctx: Context, world: World) -> tuple[list[str], list[str]]:
    """What the run needs that neither it nor a flag states (keys of GAPS), and the names given
    that resolve to nothing (one line each, with a did-you-mean)."""
    missing: list[str] = []
    problems: list[str] = []
    named = run.stated.get("model")
    if ctx.model and (error := _resolves(world.model, ctx.model)):
        problems.append(f"--model {ctx.model}: {error}")
    elif not (named and _model_by_name(named, world)) and not ctx.model:
        if named:
            problems.append(f"{run.label}: unknown model {named!r}; pass --model (a model id or alias)")
        else:
            missing.append("model")
    gpu, flag = (run.stated["gpu"], run.label) if run.stated.get("gpu") else (ctx.gpu, f"--gpu {ctx.gpu}")
    if gpu is None:
        missing.append("gpu")
    elif error := _resolves(world.accelerator, gpu):
        problems.append(f"{flag}: {error}")
    if not (run.stated.get("engine") or ctx.engine or run.engine_hint or run.engine_default):
        missing.append("engine")
    if run.stated.get("tp") is None and ctx.tp is None:
        missing.append("tp")
    return missing, problems


def _names(files: list[str], everything: list[str]) -> str:
    """Files by name, or by path where two of the files share a name."""
    short = len({PurePath(f).name for f in everything}) == len(everything)
    return ", ".join(PurePath(f).name if short else f for f in files)


def _joined(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def gaps_message(lacking: dict[str, list[Run]], problems: list[str]) -> str:
    """One line: the names that resolve to nothing, then everything the runs do not state with
    the flags that fill it."""
    parts = list(dict.fromkeys(problems))
    names = [n for n in GAPS if lacking.get(n)]
    if names:
        files = {n: list(dict.fromkeys(r.file for r in lacking[n])) for n in names}
        every = list(dict.fromkeys(f for n in names for f in files[n]))
        fmts = {r.fmt for n in names for r in lacking[n]}
        whats = [GAPS[n][0] for n in names]
        if all(files[n] == every for n in names) and len(every) == 1 and len(fmts) == 1:
            head = f"{every[0]}: {fmts.pop()} results do not state {_joined(whats, 'or')}"
        else:
            head = "the results do not state " + _joined(
                [f"{GAPS[n][0]} ({_names(files[n], every)})" for n in names], "or")
        example = " ".join(f"{FLAGS[n]} {GAPS[n][1]}" for n in names)
        parts.append(f"{head}; pass {_joined([FLAGS[n] for n in names], 'and')} (e.g. {example})")
    return "; ".join(parts)


def records(run: Run, ctx: Context, world: World) -> list[dict[str, str]]:
    """The run's rows in the calibration schema (one per measured metric)."""
    model, acc, engine = _model(run, ctx, world), _gpu(run, ctx, world), _engine(run, ctx)
    tp = _int_value(run, ctx, "tp", None)
    if tp is None:
        raise _missing(run, "tp", "the tensor-parallel degree", "1")
    pp = _int_value(run, ctx, "pp", 1) or 1
    ep = _int_value(run, ctx, "ep", 1) or 1
    gpus = _int_value(run, ctx, "gpus", tp * pp) or tp * pp
    native = model.native_dtype if model.native_dtype in WEIGHT_FORMATS else "bf16"
    weights = _choice(run, ctx, "weights", WEIGHT_FORMATS, native)
    kv = _choice(run, ctx, "kv_dtype", KV_FORMATS, "fp16" if weights == "fp16" else "bf16")
    fraction = _fraction(run, ctx)
    base = {
        "source": f"{run.fmt}: {run.label}", "source_version": run.date or "",
        "model": model.id, "precision": precision_text(weights, kv), "gpu": acc.id,
        "num_gpus": str(gpus), "tp": str(tp), "pp": str(pp), "ep": str(ep), "engine": engine,
        "isl": str(run.isl), "osl": str(run.osl), "concurrency": run.load,
        "scenario": f"{run.fmt} ({run.requests} requests)" if run.requests else run.fmt,
        "notes": f"memory_fraction {fraction:.2f}",
    }
    return [{**base, "id": f"{run.label}: {metric}", "metric": metric, "value": repr(value),
             "unit": UNITS[metric]} for metric, value in run.metrics.items()]


def fill_record(record: dict[str, str], ctx: Context) -> dict[str, str]:
    """A calibration-CSV record with its empty cells filled from the command line."""
    out = dict(record)
    fills = {"model": ctx.model, "gpu": ctx.gpu, "engine": ctx.engine, "tp": ctx.tp,
             "pp": ctx.pp, "ep": ctx.ep, "num_gpus": ctx.gpus}
    for key, value in fills.items():
        if not (out.get(key) or "").strip() and value is not None:
            out[key] = str(value)
    if not (out.get("precision") or "").strip() and ctx.weights:
        out["precision"] = precision_text(ctx.weights, ctx.kv_dtype or "bf16")
    return out
