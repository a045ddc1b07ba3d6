"""Deployment files for a recipe: a SkyPilot task (`--recipe-format skypilot`) and a Kubernetes
manifest (`k8s`: a Deployment and a Service when each server fits one node, a LeaderWorkerSet
`leaderworkerset.x-k8s.io/v1` and a Service when a server spans nodes).

Both run the same per-node commands as the shell recipe, with the head address bound from the
platform (SkyPilot's SKYPILOT_NODE_IPS, the LeaderWorkerSet's LWS_LEADER_ADDRESS). YAML is
written by a small block-style emitter: every string double-quoted (JSON escapes are YAML's), a
script as a literal block. Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

import json
import re
from typing import Any

from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.export.recipe import commands as cmd
from advisor.export.recipe.plan import FIRST_PORT, Plan
from advisor.export.recipe.shell import bench_lines, header, model_line, node_lines

# Accelerator ids -> SkyPilot's accelerator names (`sky show-gpus`); others are refused.
SKYPILOT_NAMES = {
    "h100-sxm": "H100", "h100-pcie": "H100", "h200-sxm": "H200", "a100-80gb-sxm": "A100-80GB",
    "a100-80gb-pcie": "A100-80GB", "a100-40gb-sxm": "A100", "a10g": "A10G", "a10": "A10", "l4": "L4",
    "l40s": "L40S", "b200": "B200", "mi300x": "MI300X",
}
GPU_RESOURCES = {"NVIDIA": "nvidia.com/gpu", "AMD": "amd.com/gpu"}
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")


# -- YAML -----------------------------------------------------------------------------------

def yaml_text(value: Any, comments: list[str] | None = None) -> str:
    """`value` (dicts, lists, str, int, float, bool, None) as block-style YAML."""
    lines = list(comments or [])
    lines += _node(value, 0)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value))  # ASCII only: YAML reads U+2028 and friends as line breaks


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key)


def _block(text: str, indent: int) -> list[str] | None:
    """A literal block (`|`) for a multi-line script of printable ASCII lines, else None."""
    lines = text.split("\n")
    if "\n" not in text or lines[0][:1] in ("", " ") or any(
            not line.isascii() or not line.isprintable() or line != line.rstrip() for line in lines):
        return None  # a quoted scalar says it exactly (leading space, control or non-ASCII characters)
    body = text[:-1] if text.endswith("\n") else text
    pad = " " * indent
    chomp = "" if text.endswith("\n") else "-"
    return [f"|{chomp}"] + [pad + line if line else "" for line in body.split("\n")]


def _node(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += _entry(f"{pad}{_key(key)}:", item, indent)
        return out or [pad + "{}"]
    if isinstance(value, list):
        out = []
        for item in value:
            out += _entry(f"{pad}-", item, indent, dash=True)
        return out or [pad + "[]"]
    return [pad + _scalar(value)]


def _entry(lead: str, item: Any, indent: int, dash: bool = False) -> list[str]:
    if isinstance(item, dict) and item:
        if dash:
            inner = _node(item, indent + 2)
            return [f"{lead} {inner[0].lstrip()}", *inner[1:]]
        return [lead, *_node(item, indent + 2)]
    if isinstance(item, list) and item:
        return [lead, *_node(item, indent + 2)]
    if isinstance(item, str):
        block = _block(item, indent + 2)
        if block is not None:
            return [f"{lead} {block[0]}", *block[1:]]
    if isinstance(item, dict | list):
        return [f"{lead} {'{}' if isinstance(item, dict) else '[]'}"]
    return [f"{lead} {_scalar(item)}"]


# -- shared ---------------------------------------------------------------------------------

def _image(plan: Plan, fmt: str) -> str:
    image = plan.release.image(plan.vendor)
    if image is None:
        raise AdvisorError(f"no official {plan.release.label} image for {plan.vendor} GPUs is known, so no {fmt} "
                           "file is written: use --recipe-format sh and install the engine on each node",
                           exit_code=EXIT_BAD_INPUT)
    return image


def _ready_to_deploy(plan: Plan, fmt: str) -> None:
    if plan.prequantized is not None:
        raise AdvisorError(f"the estimate assumed {plan.prequantized.upper()} weights, which need a checkpoint the "
                           f"catalog does not name, so no {fmt} file is written: use --recipe-format sh and set MODEL, "
                           "or quote with --weights bf16,fp8", exit_code=EXIT_BAD_INPUT)


def _script(plan: Plan, rank: int, bind: dict[str, str]) -> str:
    return "\n".join(["set -euo pipefail", model_line(plan), *node_lines(plan, rank, bind=bind)]) + "\n"


def _bench_comments(plan: Plan) -> list[str]:
    return ["#", "# Benchmark (from a client, with SERVER_ADDR set to the service's address):",
            *[text if text.startswith("#") else "# " + text for text in bench_lines(plan)]]


# -- SkyPilot ---------------------------------------------------------------------------------

def render_skypilot(plan: Plan) -> str:
    """A SkyPilot task: `sky launch -c NAME FILE` starts every node of the deployment."""
    _ready_to_deploy(plan, "SkyPilot")
    name = SKYPILOT_NAMES.get(plan.accelerator)
    if name is None:
        raise AdvisorError(f"no SkyPilot accelerator name is known for {plan.accelerator}; known: "
                           f"{', '.join(sorted(SKYPILOT_NAMES))}", exit_code=EXIT_BAD_INPUT)
    image = _image(plan, "SkyPilot")
    run = ["set -euo pipefail", model_line(plan), 'NODE_RANK="$SKYPILOT_NODE_RANK"',
           'case "$NODE_RANK" in']
    for rank in range(plan.nodes):
        bind = {}
        for server in plan.servers:
            if rank in server.node_ranks:
                for var in cmd.node_vars(plan, server):
                    node = _node_index(plan, server, var)
                    bind[var] = f"$(echo \"$SKYPILOT_NODE_IPS\" | sed -n {node + 1}p)"
        run.append(f"  {rank})")
        run += [f"    {text}" for text in node_lines(plan, rank, bind=bind)]
        run.append("    ;;")
    run += [f'  *) echo "SKYPILOT_NODE_RANK must be 0 to {plan.nodes - 1}" >&2; exit 2 ;;', "esac"]
    task = {
        "name": _name(plan),
        "resources": {"accelerators": f"{name}:{plan.gpus_per_node}", "image_id": f"docker:{image}",
                      "ports": sorted({s.port for s in plan.servers})},
        "num_nodes": plan.nodes,
        "envs": {"HF_TOKEN": None},
        "run": "\n".join(run) + "\n",
    }
    return yaml_text(task, [*header(plan), "# Start: sky launch -c advisor THIS_FILE --env HF_TOKEN",
                            *_bench_comments(plan)])


def _node_index(plan: Plan, server: Any, var: str) -> int:
    suffix = var.rsplit("_", 1)[-1]
    return server.first_node + (int(suffix) if var.startswith("NODE") and suffix.isdigit() else 0)


def _name(plan: Plan) -> str:
    text = re.sub(r"[^a-z0-9-]+", "-", f"advisor-{plan.model_id}-{plan.release.engine}".lower()).strip("-")
    return text[:60].rstrip("-")


# -- Kubernetes -------------------------------------------------------------------------------

def _container(plan: Plan, image: str, script: str, gpus: int, port: int | None) -> dict[str, Any]:
    resource = GPU_RESOURCES.get(plan.vendor)
    if resource is None:
        raise AdvisorError(f"no Kubernetes GPU resource is known for {plan.vendor} accelerators",
                           exit_code=EXIT_BAD_INPUT)
    container: dict[str, Any] = {
        "name": "engine", "image": image, "command": ["/bin/bash", "-c", script],
        "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token",
                                                                    "optional": True}}}],
        "resources": {"limits": {resource: gpus}},
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if port is not None:
        container["ports"] = [{"containerPort": port, "name": "http"}]
    return container


def _pod_spec(container: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [container], "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]}


def render_k8s(plan: Plan) -> str:
    """Kubernetes objects for the deployment: apply with `kubectl apply -f FILE`."""
    _ready_to_deploy(plan, "Kubernetes")
    image = _image(plan, "Kubernetes")
    name = _name(plan)
    labels = {"app": name}
    server = plan.servers[0]
    if len({(s.gpus, s.nodes, s.replicas) for s in plan.servers}) > 1:
        raise AdvisorError("the servers of this row differ in size; no Kubernetes manifest is written: use "
                           "--recipe-format sh", exit_code=EXIT_BAD_INPUT)
    # Kubernetes gives each server its own pod (and GPUs), so every pod serves on the first port
    single = dict(server._asdict(), devices=(), port=FIRST_PORT, first_node=0)
    one = type(server)(**single)
    plan1 = plan._replace(servers=(one,), nodes=one.nodes)
    if server.nodes == 1:
        workload = {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": len(plan.servers), "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": _pod_spec(_container(plan1, image, _script(plan1, 0, {}), one.gpus,
                                                               one.port))}},
        }
        selector = labels
    else:
        if plan.release.engine == "trtllm":
            raise AdvisorError("TensorRT-LLM joins nodes through MPI (mpirun or srun); no LeaderWorkerSet is written "
                               "for it: use --recipe-format sh or skypilot", exit_code=EXIT_BAD_INPUT)
        leader = {var: "$LWS_LEADER_ADDRESS" for var in cmd.node_vars(plan1, one)}
        leader_script = _script(plan1, 0, leader)
        worker_scripts = ['case "$LWS_WORKER_INDEX" in']
        for rank in range(1, one.nodes):
            body = _script(plan1, rank, leader)
            worker_scripts += [f"  {rank})", *[f"    {t}" for t in body.rstrip("\n").split("\n")], "    ;;"]
        worker_scripts += [f'  *) echo "LWS_WORKER_INDEX must be 1 to {one.nodes - 1}" >&2; exit 2 ;;', "esac"]
        workload = {
            "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
            "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": len(plan.servers), "leaderWorkerTemplate": {
                "size": one.nodes, "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": {"metadata": {"labels": {**labels, "role": "leader"}},
                                   "spec": _pod_spec(_container(plan1, image, leader_script,
                                                                plan.gpus_per_node, one.port))},
                "workerTemplate": {"metadata": {"labels": labels},
                                   "spec": _pod_spec(_container(plan1, image, "\n".join(worker_scripts) + "\n",
                                                                plan.gpus_per_node, None))}}},
        }
        selector = {**labels, "role": "leader"}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
               "spec": {"selector": selector, "ports": [{"name": "http", "port": one.port, "targetPort": one.port}]}}
    body = yaml_text(workload, [*header(plan), "# Apply: kubectl apply -f THIS_FILE (a Secret hf-token with key "
                                "token supplies HF_TOKEN for gated models)", *_bench_comments(plan)])
    return body + "---\n" + yaml_text(service)
