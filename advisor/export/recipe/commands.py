"""The command lines of a recipe: each engine's server per node, and the matching benchmark.

Commands are argv lists of plain strings; `line(argv)` joins them with `shlex.quote` on every
value (a `$VAR` the user sets stays a quoted shell expansion). Flag spellings are per release
(see `advisor.export.recipe.engines`). Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import shlex
from typing import NamedTuple

from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.export.recipe.plan import Plan, Server, prompts
from advisor.search.feasibility import layout_label

MODEL = "$MODEL"  # the script sets MODEL (the profile's repository unless the user overrides it)
TRTLLM_CONFIG = "advisor-trtllm-options.yaml"
RAY_PORT = 6379
SGLANG_INIT_PORT = 5000


class Var(str):
    """A shell expansion placed into a command unquoted but inside double quotes: "$NAME"."""


def line(argv: list[str]) -> str:
    """`argv` as one shell command line: every literal value quoted, variables as "$NAME"."""
    return " ".join(f'"{a}"' if isinstance(a, Var) else shlex.quote(a) for a in argv)


def head_var(plan: Plan, server: Server) -> str:
    """The shell variable holding a multi-node server's head address (the user sets it)."""
    multi = [s for s in plan.servers if s.nodes > 1]
    return "HEAD_ADDR" if len(multi) <= 1 else f"HEAD_ADDR_{server.number}"


def _dtype(plan: Plan, spelling: dict[str, str]) -> list[str]:
    weights = plan.precision.weights
    if plan.prequantized is not None or weights not in ("bf16", "fp16"):
        return []
    return [spelling["flag"], spelling[weights]]


def _online_fp8(plan: Plan) -> bool:
    return plan.precision.weights == "fp8" and plan.native_dtype != "fp8" and plan.prequantized is None


# -- vLLM ---------------------------------------------------------------------------------

def vllm_serve(plan: Plan, server: Server, rank: int) -> list[str]:
    """`vllm serve` for one node (`rank` within the server) of one server."""
    rel, lay = plan.release, plan.layout
    argv = ["vllm", "serve", Var(MODEL), "--host", "0.0.0.0", "--port", str(server.port),
            "--tensor-parallel-size", str(lay.tp), "--pipeline-parallel-size", str(lay.pp)]
    if server.replicas > 1:
        rel.need("vllm-data-parallel", f"{server.replicas} replicas in one vLLM server")
        argv += ["--data-parallel-size", str(server.replicas)]
    if lay.ep > 1:
        rel.need("vllm-expert-parallel", f"expert parallelism ({layout_label(lay)})")
        if lay.ep != lay.tp * server.replicas:
            raise AdvisorError(f"vLLM spreads the experts over TP × DP = {lay.tp * server.replicas} GPUs; the quoted "
                               f"layout has EP{lay.ep}: ask for --engine sglang or trtllm for this row",
                               exit_code=EXIT_BAD_INPUT)
        argv.append("--enable-expert-parallel")
    argv += _dtype(plan, {"flag": "--dtype", "bf16": "bfloat16", "fp16": "float16"})
    if _online_fp8(plan):
        argv += ["--quantization", "fp8"]
    if plan.precision.kv == "fp8":
        argv += ["--kv-cache-dtype", "fp8"]
    argv += ["--max-model-len", str(plan.context), "--max-num-seqs", str(plan.batch_cap),
             "--gpu-memory-utilization", f"{plan.memory_fraction:g}",
             "--max-num-batched-tokens", str(plan.prefill_chunk)]
    if not rel.has("vllm-chunked-by-default"):
        argv.append("--enable-chunked-prefill")
    if server.nodes > 1:
        if rel.has("vllm-nnodes"):
            argv += ["--distributed-executor-backend", "mp", "--nnodes", str(server.nodes),
                     "--node-rank", str(rank), "--master-addr", Var(f"${head_var(plan, server)}")]
            if rank > 0:
                argv.append("--headless")
        else:
            argv += ["--distributed-executor-backend", "ray"]
    return argv


def ray_head() -> list[str]:
    return ["ray", "start", "--head", f"--port={RAY_PORT}"]


def ray_worker(var: str) -> list[str]:
    return ["ray", "start", Var(f"--address=${var}:{RAY_PORT}"), "--block"]


def ray_wait(nodes: int) -> list[str]:
    """Wait until the Ray cluster has `nodes` live nodes (vLLM places its workers on start)."""
    check = ("import ray, sys; ray.init(address='auto', logging_level='ERROR'); "
             f"sys.exit(sum(n['Alive'] for n in ray.nodes()) < {nodes})")
    return ["python3", "-c", check]


# -- SGLang -------------------------------------------------------------------------------

def sglang_serve(plan: Plan, server: Server, rank: int) -> list[str]:
    rel, lay = plan.release, plan.layout
    group = plan.group
    argv = ["python3", "-m", "sglang.launch_server", "--model-path", Var(MODEL), "--host", "0.0.0.0",
            "--port", str(server.port), "--tp-size", str(lay.tp * group)]
    if server.replicas > 1:
        argv += ["--dp-size", str(server.replicas)]
    if group > 1:
        rel.need("sglang-dp-attention", "data-parallel attention")
        argv.append("--enable-dp-attention")
    if lay.ep > 1:
        if rel.has("sglang-ep-size"):
            argv += ["--ep-size", str(lay.ep)]
        else:
            rel.need("sglang-ep-moe", f"expert parallelism ({layout_label(lay)})")
            if lay.ep != lay.tp * group:
                rel.need("sglang-ep-size", f"EP{lay.ep} apart from the tensor-parallel size")
            argv.append("--enable-ep-moe")
    if lay.pp > 1:
        rel.need("sglang-pipeline", "pipeline parallelism")
        argv += ["--pp-size", str(lay.pp)]
    argv += _dtype(plan, {"flag": "--dtype", "bf16": "bfloat16", "fp16": "float16"})
    if _online_fp8(plan):
        argv += ["--quantization", "fp8"]
    if plan.precision.kv == "fp8":
        argv += ["--kv-cache-dtype", "fp8_e4m3" if rel.key >= (0, 4, 3) else "fp8_e5m2"]
    # with data-parallel attention the cap is for the whole server (SGLang divides it by --dp-size)
    argv += ["--context-length", str(plan.context), "--max-running-requests", str(plan.batch_cap * group),
             "--mem-fraction-static", f"{plan.memory_fraction:g}", "--chunked-prefill-size", str(plan.prefill_chunk)]
    if server.nodes > 1:
        rel.need("sglang-dist-init-addr", "a server across nodes")
        argv += ["--nnodes", str(server.nodes), "--node-rank", str(rank),
                 "--dist-init-addr", Var(f"${head_var(plan, server)}:{SGLANG_INIT_PORT}")]
    return argv


# -- TensorRT-LLM -------------------------------------------------------------------------

def trtllm_options(plan: Plan) -> list[str]:
    """The lines of the LLM-API options file trtllm-serve reads (--extra_llm_api_options)."""
    lines = ["enable_chunked_prefill: true"]
    if plan.group > 1:
        lines.append("enable_attention_dp: true")
    if plan.precision.kv == "fp8":
        lines += ["kv_cache_config:", "  dtype: fp8"]
    if plan.precision.weights == "fp16" and plan.prequantized is None:
        lines.append("dtype: float16")
    return lines


def trtllm_serve(plan: Plan, server: Server) -> list[str]:
    lay, group = plan.layout, plan.group
    if group > 1 and lay.tp > 1:
        raise AdvisorError(f"TensorRT-LLM's attention data parallelism runs attention without tensor parallelism; "
                           f"the quoted layout ({layout_label(lay)}) has TP{lay.tp}: ask for --engine sglang or vllm",
                           exit_code=EXIT_BAD_INPUT)
    argv = ["trtllm-serve", Var(MODEL), "--host", "0.0.0.0", "--port", str(server.port), "--backend", "pytorch",
            "--tp_size", str(lay.tp * group), "--pp_size", str(lay.pp)]
    if lay.ep > 1:
        argv += ["--ep_size", str(lay.ep)]
    argv += ["--max_batch_size", str(plan.batch_cap), "--max_num_tokens", str(plan.prefill_chunk),
             "--max_seq_len", str(plan.context), "--kv_cache_free_gpu_memory_fraction", f"{plan.memory_fraction:g}",
             "--extra_llm_api_options", TRTLLM_CONFIG]
    if server.nodes > 1:
        hosts = ",".join(f"${_node_var(plan, server, r)}:{plan.gpus_per_node}" for r in range(server.nodes))
        argv = ["mpirun", "--allow-run-as-root", "-H", Var(hosts), "-n", str(server.gpus),
                "trtllm-llmapi-launch", *argv]
    return argv


def _node_var(plan: Plan, server: Server, rank: int) -> str:
    return head_var(plan, server) if rank == 0 else f"{head_var(plan, server).replace('HEAD', 'NODE')}_{rank}"


def node_vars(plan: Plan, server: Server) -> list[str]:
    """The address variables a server's commands use (mpirun names every node)."""
    if server.nodes == 1:
        return []
    if plan.release.engine == "trtllm":
        return [_node_var(plan, server, r) for r in range(server.nodes)]
    return [head_var(plan, server)]


def serve(plan: Plan, server: Server, rank: int) -> list[str] | None:
    """The server command on node `rank` of `server` (None: that node runs nothing itself)."""
    engine = plan.release.engine
    if engine == "vllm":
        if server.nodes > 1 and not plan.release.has("vllm-nnodes") and rank > 0:
            return None  # a Ray worker; the head starts vLLM
        return vllm_serve(plan, server, rank)
    if engine == "sglang":
        return sglang_serve(plan, server, rank)
    return trtllm_serve(plan, server) if rank == 0 else None


# -- the benchmark --------------------------------------------------------------------------

class Bench(NamedTuple):
    """One load command and the file it writes."""

    tool: str  # "vLLM bench serve", "SGLang bench_serving", "AIPerf"
    argv: list[str]
    result: str  # file the run writes, for `advisor validate --data`
    note: str = ""  # how to run it (e.g. from a source checkout)


def result_name(plan: Plan, server: Server, tool: str) -> str:
    stem = f"{plan.model_id}-{plan.accelerator}-{plan.release.engine}-s{server.number}"
    return {"aiperf": f"aiperf-{stem}/profile_export_aiperf.json", "sglang": f"{stem}.jsonl"}.get(tool, f"{stem}.json")


def _load_flags(server: Server, concurrency_flag: str, rate_flag: str) -> list[str]:
    if server.concurrency is not None:
        return [concurrency_flag, str(server.concurrency)]
    return [rate_flag, f"{server.rate:.4g}"]


def vllm_bench(plan: Plan, server: Server, host: str) -> Bench:
    rel = plan.release
    meta = [f"model={plan.model_id}", f"gpu={plan.accelerator}", f"gpus={server.gpus}",
            f"tp={plan.layout.tp}", f"pp={plan.layout.pp}", f"ep={plan.layout.ep}", "engine=vllm",
            f"weights={plan.precision.weights}", f"kv_dtype={plan.precision.kv}"]
    out = result_name(plan, server, "vllm")
    tail = ["--host", Var(host), "--port", str(server.port), "--model", Var(MODEL), "--dataset-name", "random",
            "--random-input-len", str(plan.isl), "--random-output-len", str(plan.osl), "--ignore-eos",
            *_load_flags(server, "--max-concurrency", "--request-rate"), "--num-prompts", str(prompts(server)),
            "--save-result", "--result-filename", out, "--metadata", *meta]
    if rel.has("vllm-bench-cli"):
        return Bench("vLLM bench serve", ["vllm", "bench", "serve", "--backend", "vllm", *tail], out)
    tag = rel.version if rel.has("vllm-bench-concurrency") else "0.6.4"
    return Bench("vLLM benchmarks/benchmark_serving.py",
                 ["python3", "benchmarks/benchmark_serving.py", "--backend", "vllm", *tail], out,
                 f"run from a vLLM source checkout at tag v{tag} (`vllm bench serve --backend` is 0.9.2 and later"
                 + ("; --max-concurrency is 0.6.4 and later)" if tag != rel.version else ")"))


def sglang_bench(plan: Plan, server: Server, host: str) -> Bench:
    if server.concurrency is not None:
        plan.release.need("sglang-bench-concurrency", "the benchmark's concurrency cap")
    out = result_name(plan, server, "sglang")
    argv = ["python3", "-m", "sglang.bench_serving", "--backend", "sglang", "--host", Var(host), "--port",
            str(server.port), "--model", Var(MODEL), "--dataset-name", "random", "--random-input-len", str(plan.isl),
            "--random-output-len", str(plan.osl), "--random-range-ratio", "1",
            *_load_flags(server, "--max-concurrency", "--request-rate"), "--num-prompts", str(prompts(server)),
            "--output-file", out]
    return Bench("SGLang bench_serving", argv, out)


AIPERF_VERSION = "0.13.0"


def aiperf_bench(plan: Plan, server: Server, host: str) -> Bench:
    out = result_name(plan, server, "aiperf")
    argv = ["aiperf", "profile", "--model", Var(MODEL), "--url", Var(f"http://${host.lstrip('$')}:{server.port}"),
            "--endpoint-type", "completions", "--streaming",
            "--synthetic-input-tokens-mean", str(plan.isl), "--synthetic-input-tokens-stddev", "0",
            "--output-tokens-mean", str(plan.osl), "--output-tokens-stddev", "0",
            "--extra-inputs", "ignore_eos:true", *_load_flags(server, "--concurrency", "--request-rate"),
            "--request-count", str(prompts(server)), "--artifact-dir", out.rsplit("/", 1)[0]]
    return Bench("AIPerf", argv, out, f"pip install aiperf=={AIPERF_VERSION} on the client")


def benches(plan: Plan, server: Server, host: str = "$SERVER_ADDR") -> list[Bench]:
    """The engine's own benchmark client first, then AIPerf (any engine)."""
    own = {"vllm": vllm_bench, "sglang": sglang_bench}.get(plan.release.engine)
    found = [own(plan, server, host)] if own is not None else []
    return [*found, aiperf_bench(plan, server, host)]
