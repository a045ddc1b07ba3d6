"""The numbers a launch recipe is made of, taken from one quoted row: never recomputed.

`plan_for(quote, result)` reads the chosen layout (TP, PP, EP, replicas), the weight and KV
formats, the context (the request's, else input + output), the engine's batch cap as the
estimate applied it (`EfficiencyFactors.max_batch`, or its small-GPU value), the engine memory
fraction every estimate of the quote used, the prefill chunk of the core's time model, the nodes
and GPUs per node, and the load (concurrency or request rate) with the predicted throughput and
latencies and their error band. It groups replicas into engine servers (data-parallel attention
groups share one expert-parallel group; vLLM and SGLang serve a dense node's replicas as one
data-parallel server) and places them on nodes. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import NamedTuple

from advisor.core.deployment import small_gpu
from advisor.core.memory import PREFILL_CHUNK_TOKENS
from advisor.core.types import Layout, Precision
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, did_you_mean
from advisor.export.recipe.engines import Release, release_for
from advisor.quote.build import Quote
from advisor.search.feasibility import layout_label
from advisor.search.ranking import Result

HF_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
FIRST_PORT = 8000
PROMPTS_PER_USER = 10  # closed loop: ramp-up and drain stay a small share of the run
MIN_PROMPTS = 100
RATE_SECONDS = 120  # open loop: two minutes of arrivals


class Server(NamedTuple):
    """One engine process group: `replicas` model copies on `gpus` GPUs over `nodes` nodes."""

    number: int  # 1-based
    replicas: int
    gpus: int
    first_node: int  # 0-based
    nodes: int
    devices: tuple[int, ...]  # GPU indices on its node when it shares the node; () = the whole node(s)
    port: int
    concurrency: int | None  # its share of a closed-loop load
    rate: float | None  # its share of an open-loop load (requests/s)

    @property
    def node_ranks(self) -> range:
        return range(self.first_node, self.first_node + self.nodes)


class Prediction(NamedTuple):
    """What the benchmark of one server should reproduce, and how sure the quote is."""

    output_tokens_per_s: float  # that server's share
    total_output_tokens_per_s: float  # the whole deployment
    ttft_s: float
    tpot_s: float
    band: str  # '±16 % (cross-validated on 473 rows)' or 'prior, not fitted …'
    efficiency: str  # entry id
    efficiency_source: str


class Plan(NamedTuple):
    """Everything the recipe renderers need, from one quoted row."""

    quote: Quote
    result: Result
    release: Release
    model_id: str
    model_repo: str  # what the engine loads (the profile's Hugging Face repo, else its id)
    notes: tuple[str, ...]  # comment lines the recipe must carry (missing repo, quantized checkpoint)
    prequantized: str | None  # the weight format a checkpoint must already be in (None: the repo as is)
    layout: Layout
    precision: Precision
    native_dtype: str
    moe: bool
    context: int
    isl: int
    osl: int
    batch_cap: int
    memory_fraction: float
    prefill_chunk: int
    gpus_per_node: int
    nodes: int
    vendor: str  # NVIDIA | AMD | Intel
    accelerator: str  # accelerator id
    offering: str
    servers: tuple[Server, ...]
    prediction: Prediction

    @property
    def group(self) -> int:
        """Replicas sharing one expert-parallel group (data-parallel attention), else 1."""
        return self.layout.ep // self.layout.tp if self.layout.ep > self.layout.tp else 1

    @property
    def spans_nodes(self) -> bool:
        return any(s.nodes > 1 for s in self.servers)

    @property
    def title(self) -> str:
        lay = self.layout
        return (f"{self.model_id} on {self.offering}: {self.nodes} node(s) × {self.gpus_per_node} {self.accelerator}, "
                f"{lay.replicas}× {layout_label(lay)}, weights {self.precision.weights}, KV {self.precision.kv}")


def select_row(quote: Quote, row: str) -> Result:
    """The result a `--recipe ROW` names: a feasible rank (1, 2, …) or an offering id/SKU."""
    text = row.strip()
    if text.isdigit():
        rank = int(text)
        feasible = quote.feasible
        if not 1 <= rank <= len(feasible):
            raise AdvisorError(f"--recipe {rank}: the quote has {len(feasible)} feasible row(s); give a rank "
                               f"from 1 to {len(feasible)} or an offering id", exit_code=EXIT_BAD_INPUT)
        return feasible[rank - 1]
    result = quote.result_for(text)
    if not result.feasible or result.candidate is None:
        why = result.reasons[0] if result.reasons else "infeasible"
        ids = [r.offering.id for r in quote.feasible]
        raise AdvisorError(f"--recipe {text}: no feasible deployment to launch ({why}){did_you_mean(text, ids)}",
                           exit_code=EXIT_BAD_INPUT)
    return result


def plan_for(quote: Quote, result: Result) -> Plan:
    """The recipe's numbers for one feasible row of `quote`."""
    cand, hw, acc = result.candidate, result.hardware, result.accelerator
    if cand is None or hw is None or acc is None or not result.feasible:
        raise AdvisorError(f"{result.offering.id} has no feasible deployment to launch", exit_code=EXIT_BAD_INPUT)
    release = release_for(quote.request.engine)
    model = quote.model
    notes, repo = _repo(model.id, model.hf_repo)
    prequantized = _prequantized(release.engine, cand.precision.weights, model.native_dtype)
    if prequantized is not None:
        notes.append(f"the estimate assumed {prequantized.upper()} weights and {release.label} loads them from a "
                     f"checkpoint already in that format: set MODEL to an {prequantized.upper()} checkpoint of {repo}")
    eff = hw.efficiency
    cap = eff.small_gpu_max_batch if eff.small_gpu_max_batch is not None and small_gpu(acc) else eff.max_batch
    layout = cand.layout
    if cand.pools is not None:
        raise AdvisorError(f"{result.offering.id}: a recipe for disaggregated prefill/decode pools is not "
                           "generated; quote with --serving agg for a launchable row", exit_code=EXIT_BAD_INPUT)
    if layout.redundant_experts or layout.tp > hw.fabric.gpus_per_node:
        raise AdvisorError(f"{result.offering.id}: a recipe for {layout_label(layout)} (redundant experts or TP "
                           "across nodes) is not generated; pick another row with --recipe ROW",
                           exit_code=EXIT_BAD_INPUT)
    # A DEP replica is its attention ranks as data-parallel replicas sharing the expert group.
    layout = dataclasses.replace(layout, replicas=layout.attention_ranks, dp=1)
    if layout.ep > layout.tp and layout.pp > 1:
        raise AdvisorError(f"{result.offering.id}: a recipe for data-parallel attention with pipeline stages "
                           f"({layout_label(layout)}) is not generated", exit_code=EXIT_BAD_INPUT)
    servers = _servers(release, layout, model.moe is not None, hw.fabric.gpus_per_node, cand.nodes,
                       cand.load.concurrency, cand.load.rate)
    est = cand.estimate
    share = servers[0].replicas / layout.replicas
    band = quote.band_text(result) or "no error band (no efficiency entry)"
    return Plan(
        quote=quote, result=result, release=release, model_id=model.id, model_repo=repo, notes=tuple(notes),
        prequantized=prequantized, layout=layout, precision=cand.precision, native_dtype=model.native_dtype,
        moe=model.moe is not None, context=cand.load.context, isl=cand.load.isl, osl=cand.load.osl,
        batch_cap=cap, memory_fraction=quote.engine_memory_fraction, prefill_chunk=PREFILL_CHUNK_TOKENS,
        gpus_per_node=hw.fabric.gpus_per_node, nodes=cand.nodes, vendor=acc.vendor, accelerator=acc.id,
        offering=result.offering.id, servers=servers,
        prediction=Prediction(est.output_tokens_per_s * share, est.output_tokens_per_s, est.ttft_s, est.tpot_s,
                              band, eff.id, eff.source),
    )


def _repo(model_id: str, hf_repo: str) -> tuple[list[str], str]:
    if not hf_repo:
        return [f"the model profile {model_id} names no Hugging Face repository (hf_repo): MODEL is the profile "
                "id; point it at your checkpoint"], model_id
    if not HF_REPO.match(hf_repo):
        return [f"the model profile {model_id} gives hf_repo {hf_repo[:60]!r}, which is not an owner/name "
                "repository id: MODEL is the profile id; point it at your checkpoint"], model_id
    return [], hf_repo


def _prequantized(engine: str, weights: str, native: str) -> str | None:
    """The weight format the checkpoint must already be in, or None when the engine quantizes
    the published checkpoint itself (FP8 in vLLM and SGLang) or it is published so."""
    if weights == native or weights in ("bf16", "fp16"):
        return None
    if weights == "fp8" and engine in ("vllm", "sglang"):
        return None
    return weights


def _servers(release: Release, layout: Layout, moe: bool, per_node: int, nodes: int,
             concurrency: int | None, rate: float | None) -> tuple[Server, ...]:
    group = layout.ep // layout.tp if layout.ep > layout.tp else 1
    gpus_replica = layout.tp * layout.pp
    if layout.replicas % group:
        raise AdvisorError(f"{layout.replicas} replicas do not form groups of {group} for EP{layout.ep}",
                           exit_code=EXIT_BAD_INPUT)
    per_server = group
    if group == 1 and gpus_replica <= per_node and _packs_dense(release, moe):
        per_server = min(layout.replicas, per_node // gpus_replica)
    gpus = per_server * gpus_replica
    count = math.ceil(layout.replicas / per_server)
    sizes = [per_server] * (layout.replicas // per_server) + ([layout.replicas % per_server] if layout.replicas %
                                                               per_server else [])
    span = max(1, math.ceil(gpus / per_node))
    fit = max(1, per_node // gpus) if span == 1 else 1
    if math.ceil(count / fit) * span > max(nodes, 1):
        raise AdvisorError(f"{count} server(s) of {gpus} GPUs do not fit the quoted {nodes} node(s) of {per_node}",
                           exit_code=EXIT_BAD_INPUT)
    servers = []
    for i, replicas in enumerate(sizes):
        node, slot = (i // fit) * span, i % fit
        size = replicas * gpus_replica
        devices = tuple(range(slot * gpus, slot * gpus + size)) if span == 1 and size < per_node else ()
        servers.append(Server(i + 1, replicas, size, node, span, devices, FIRST_PORT + slot,
                              _share(concurrency, replicas, layout.replicas, i, sizes),
                              None if rate is None else rate * replicas / layout.replicas))
    return tuple(servers)


def _packs_dense(release: Release, moe: bool) -> bool:
    """Whether one engine process serves a node's independent replicas (its data parallelism):
    SGLang's --dp-size always; vLLM's --data-parallel-size for dense models only (for MoE models
    it spreads the experts over every rank, which is another layout)."""
    if release.engine == "sglang":
        return True
    return release.engine == "vllm" and not moe and release.has("vllm-data-parallel")


def _share(concurrency: int | None, replicas: int, total: int, index: int, sizes: list[int]) -> int | None:
    """A server's whole number of users: the load split by replicas, the remainder to the first."""
    if concurrency is None:
        return None
    base = [concurrency * size // total for size in sizes]
    for i in range(concurrency - sum(base)):
        base[i % len(base)] += 1
    return max(1, base[index])


def prompts(server: Server) -> int:
    """Requests one benchmark run sends: ten per user (closed loop) or two minutes of arrivals."""
    if server.concurrency is not None:
        return max(MIN_PROMPTS, PROMPTS_PER_USER * server.concurrency)
    return max(MIN_PROMPTS, math.ceil((server.rate or 0.0) * RATE_SECONDS))
