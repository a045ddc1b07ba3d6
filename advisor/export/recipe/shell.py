"""The shell recipe (`--recipe-format sh`) and the pieces every format shares: the header that
says where each number comes from, one node's commands, the benchmark with its predicted numbers,
and the lines that bring the result back to `advisor validate` and `advisor calibrate`.

Catalog text only enters as shell-quoted values or as comments cleaned of control characters.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import re
import shlex

from advisor import __version__
from advisor.export.recipe import commands as cmd
from advisor.export.recipe.plan import Plan, Server
from advisor.search.feasibility import layout_label

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def comment(text: str) -> str:
    """One comment line: control characters (newlines included) become spaces."""
    return "# " + _CONTROL.sub(" ", text).rstrip()


def header(plan: Plan) -> list[str]:
    """Where the recipe and each of its numbers come from, as comment lines."""
    rel, lay, q = plan.release, plan.layout, plan.quote
    pinned = (f" (the newest release these flags were checked against; --engine {rel.engine}@X.Y for another)"
              if rel.pinned else " (the release the quote asked for)")
    image = rel.image(plan.vendor)
    lines = [
        f"Launch recipe by advisor {__version__} for quote {q.number}: {plan.title}",
        f"Engine: {rel.label}{pinned}",
        f"Image: {image}" if image else f"Image: no official {rel.label} image for {plan.vendor} GPUs is known; "
                                         f"install {rel.engine}=={rel.version} on every node",
        f"Layout {lay.replicas}× {layout_label(lay)}: {len(plan.servers)} server(s) over {plan.nodes} node(s) of "
        f"{plan.gpus_per_node} GPUs; weights {plan.precision.weights}, KV cache {plan.precision.kv}",
        f"Context {plan.context} tokens: the quote's ({plan.isl} in + {plan.osl} out per request)",
        f"Batch cap {plan.batch_cap} per replica: efficiency entry {plan.prediction.efficiency}, the engine's "
        "default the estimate assumed",
        f"Memory fraction {plan.memory_fraction:g}: the quote's engine memory fraction; prefill chunk "
        f"{plan.prefill_chunk} tokens: the performance model's",
        *plan.notes,
    ]
    return [comment(t) for t in lines]


def model_line(plan: Plan) -> str:
    if plan.prequantized is not None:
        return (f'MODEL="${{MODEL:?set MODEL to an {plan.prequantized.upper()} checkpoint of '
                f'{_CONTROL.sub(" ", plan.model_repo)}}}"')
    return f"MODEL=\"${{MODEL:-{plan.model_repo}}}\"" if _plain(plan.model_repo) else \
        f"MODEL=\"${{MODEL:-}}\"; [ -n \"$MODEL\" ] || MODEL={shlex.quote(plan.model_repo)}"


def _plain(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9._/-]+", text) is not None


def node_lines(plan: Plan, rank: int, *, bind: dict[str, str] | None = None) -> list[str]:
    """The commands node `rank` runs (without the case label), with address variables required
    (or bound to `bind`'s expressions: SkyPilot's node list, the LeaderWorkerSet's leader)."""
    lines: list[str] = []
    here = [s for s in plan.servers if rank in s.node_ranks]
    for server in here:
        for var in cmd.node_vars(plan, server):
            expr = (bind or {}).get(var)
            lines.append(f'{var}="{expr}"' if expr else f'{var}="${{{var}:?set {var} to the address of node '
                                                          f'{_node_of(plan, server, var)}}}"')
    if plan.release.engine == "trtllm" and any(s.first_node == rank for s in here):
        lines += [f"cat > {cmd.TRTLLM_CONFIG} <<'EOF'", *cmd.trtllm_options(plan), "EOF"]
    starts = []
    for server in here:
        r = rank - server.first_node
        starts += _start(plan, server, r)
    if not starts:
        return lines + ["echo 'nothing to start on this node: the head node starts its ranks'"]
    background = len([s for s in starts if not s.startswith(("ray start --head", "until "))]) > 1
    for text in starts:
        lines.append(text + (" &" if background and not text.startswith(("ray start --head", "until ")) else ""))
    if background:
        lines.append("wait")
    return lines


def _node_of(plan: Plan, server: Server, var: str) -> int:
    suffix = var.rsplit("_", 1)[-1]
    return server.first_node + (int(suffix) if var.startswith("NODE") and suffix.isdigit() else 0)


def _start(plan: Plan, server: Server, rank: int) -> list[str]:
    """The lines that start `server`'s part on its node `rank`."""
    devices = ""
    if server.devices:
        env = "HIP_VISIBLE_DEVICES" if plan.vendor == "AMD" else "CUDA_VISIBLE_DEVICES"
        devices = f"{env}={','.join(str(d) for d in server.devices)} "
    ray = plan.release.engine == "vllm" and server.nodes > 1 and not plan.release.has("vllm-nnodes")
    if ray and rank > 0:
        return [cmd.line(cmd.ray_worker(cmd.head_var(plan, server)))]
    argv = cmd.serve(plan, server, rank)
    if argv is None:
        return []
    out = [cmd.line(cmd.ray_head()), f"until {cmd.line(cmd.ray_wait(server.nodes))}; do sleep 5; done"] if ray else []
    return out + [devices + cmd.line(argv)]


def bench_lines(plan: Plan) -> list[str]:
    """The benchmark of server 1 with the numbers it should reproduce, then the way back."""
    server = plan.servers[0]
    p = plan.prediction
    load = (f"concurrency {server.concurrency}" if server.concurrency is not None
            else f"{server.rate:.4g} requests/s")
    share = ("the whole deployment" if len(plan.servers) == 1
             else f"server 1 of {len(plan.servers)}; the deployment: {p.total_output_tokens_per_s:,.0f} tok/s")
    runs = cmd.benches(plan, server)
    lines = [
        comment(f"Load server 1 ({server.gpus} GPUs, port {server.port}) with its share of the quoted load: "
                f"{load}, {plan.isl} tokens in, {plan.osl} out."),
        comment(f"Predicted: output {p.output_tokens_per_s:,.0f} tok/s ({share}), TTFT {p.ttft_s * 1e3:,.0f} ms, "
                f"TPOT {p.tpot_s * 1e3:,.1f} ms; error band {p.band}"),
        comment(f"from efficiency entry {p.efficiency}: {p.efficiency_source}"),
    ]
    first = runs[0]
    if first.note:
        lines.append(comment(first.note))
    lines.append(cmd.line(first.argv))
    for other in runs[1:]:
        lines.append(comment(f"or with {other.tool} ({other.note}):" if other.note else f"or with {other.tool}:"))
        lines.append(comment(cmd.line(other.argv)))
    lines += [comment("Bring the result back: compare it with the model, then fit your own factors"),
              comment(cmd.line(back_argv(plan, server, first.result, "validate"))),
              comment(cmd.line(back_argv(plan, server, first.result, "calibrate")))]
    return lines


def back_argv(plan: Plan, server: Server, result: str, verb: str) -> list[str]:
    """`advisor validate --data RESULT …` or `advisor calibrate RESULT … -o calibration.toml`."""
    lay, prec = plan.layout, plan.precision
    where = ["--model", plan.model_id, "--gpu", plan.accelerator, "--gpus", str(server.gpus),
             "--tp", str(lay.tp), "--pp", str(lay.pp), "--ep", str(lay.ep), "--engine", plan.release.engine,
             "--weights", prec.weights, "--kv-dtype", prec.kv]
    if verb == "validate":
        return ["advisor", "validate", "--data", result, *where]
    return ["advisor", "calibrate", result, *where, "--offering", plan.offering, "-o", "calibration.toml"]


def render_sh(plan: Plan) -> str:
    """The whole shell recipe: `NODE_RANK=N bash recipe.sh serve` on each node, then
    `SERVER_ADDR=HOST bash recipe.sh bench` from a client."""
    last = plan.nodes - 1
    out = ["#!/usr/bin/env bash", *header(plan),
           comment(f"Usage: on each node: NODE_RANK=0..{last} bash THIS_FILE serve; then from a client: "
                   "SERVER_ADDR=<server 1's node address> bash THIS_FILE bench"),
           "set -euo pipefail", model_line(plan), "", "serve() {",
           f'  case "${{NODE_RANK:?set NODE_RANK to this node\'s index, 0 to {last}}}" in']
    for rank in range(plan.nodes):
        served = [f"server {s.number}" + (f" (GPUs {s.devices[0]}-{s.devices[-1]})" if s.devices else "")
                  for s in plan.servers if rank in s.node_ranks]
        out.append(f"    {rank})  # node {rank}: {', '.join(served) or 'no server'}")
        out += [f"      {text}" for text in node_lines(plan, rank)]
        out.append("      ;;")
    out += [f'    *) echo "NODE_RANK must be 0 to {last}" >&2; exit 2 ;;', "  esac", "}", "", "bench() {",
            '  SERVER_ADDR="${SERVER_ADDR:?set SERVER_ADDR to the address of server 1 (node 0)}"']
    out += [f"  {text}" for text in bench_lines(plan)]
    out += ["}", "", 'case "${1:-serve}" in', "  serve) serve ;;", "  bench) bench ;;",
            '  *) echo "usage: NODE_RANK=N bash $0 serve | SERVER_ADDR=HOST bash $0 bench" >&2; exit 2 ;;', "esac"]
    return "\n".join(out) + "\n"

