"""Disaggregated serving and speculative decoding against published numbers, each with its
source, the configuration, what had to be assumed, and the error the model makes (model /
published − 1, measured 2026-12-07 with the shipped factors). The asserted bound is the stated
error plus a margin, so a change to the model that moves a comparison shows up here.

| comparison | published | model | error |
| --- | ---: | ---: | ---: |
| SGLang PD, DeepSeek-V3 prefill per node (4 × 8 H100, EP32) | 52,300 input tok/s | 20,628 | −61 % |
| SGLang PD, DeepSeek-V3 decode per node (EP72 → EP64 here) | 22,300 output tok/s | 22,767 | +2 % |
| Dynamo, Llama-70B FP8 one 8 × H100 node, disagg ÷ agg per GPU | 1.30 | 1.30 | +0 % |
| DeepSeek-V3 MTP decoding speed-up, one draft (85–90 % accepted) | 1.8 | 1.63 | −10 % |
"""

from __future__ import annotations

import pytest

from advisor.catalog.config import builtin_world
from advisor.core.deployment import Deployment, prepare
from advisor.core.efficiency import select
from advisor.core.fabric import fabric_for_gpu
from advisor.core.serving import estimate
from advisor.core.types import Layout, Load, Precision
from advisor.quote.build import build_quote
from advisor.search.request import build_request

FP8 = Precision("fp8", "bf16")
LMSYS = "https://lmsys.org/blog/2025-05-05-large-scale-ep (SGLang team, 2025-05-05)"
DYNAMO = "ai-dynamo/dynamo docs/architecture/architecture.md @274eb0e ('Disaggregated serving')"
DEEPSEEK_V3 = "DeepSeek-V3 Technical Report, arXiv 2412.19437 (2024-12), section 5.4.3"


def _deepseek(gpus: int, ep: int, isl: int, osl: int, engine: str = "sglang", gpu: str = "h100-sxm") -> Deployment:
    world = builtin_world()
    acc = world.accelerators[gpu]
    # DP attention + EP ("DEP"): one TP1 attention replica per GPU, experts over `ep` GPUs
    return Deployment(model=world.models["deepseek-v3"], accelerator=acc, fabric=fabric_for_gpu(acc, gpus),
                      layout=Layout(tp=1, ep=ep, replicas=gpus), precision=FP8, load=Load(isl, osl),
                      factors=select(world.efficiency.values(), acc, engine, None))


def _error(model: float, published: float) -> float:
    return model / published - 1.0


def test_sglang_pd_prefill_node_throughput() -> None:
    """LMSYS: 4 prefill nodes (32 H100, EP32, DP attention) reach 52.3k input tok/s per node on
    2,000-token prompts. Assumed: fp8 weights (DeepSeek-V3's own), bf16 KV, sglang factors; the
    prefill pool runs back to back (its throughput is 1 / the GPU time one prompt costs)."""
    setup = prepare(_deepseek(32, 32, 2000, 1), memory_fraction=0.9)
    per_node = 8 * 2000 / setup.prefill_gpu_s
    assert _error(per_node, 52_300) == pytest.approx(-0.61, abs=0.08), LMSYS


def test_sglang_pd_decode_node_throughput() -> None:
    """LMSYS: 9 decode nodes (72 H100, EP72 with redundant experts) reach 22.3k output tok/s per
    node at 2,000-token inputs. Assumed: EP64 on 8 nodes (256 experts do not split 72 ways
    without the redundant experts this model leaves out), decode contexts of 2,000 + 100
    tokens, the batch at the KV capacity (the blog fills the decode pool). The EP all-to-all
    across nodes is hidden behind compute (two micro-batches, as SGLang runs it); without that
    overlap the model was 34 % under the published figure; with it, and SGLang 0.5's own
    grouped-GEMM efficiency, 2 % over; after the refit with per-kernel layer overhead and the
    per-sequence host overhead, 11 % under."""
    setup = prepare(_deepseek(64, 64, 2000, 100), memory_fraction=0.9)
    batch = float(setup.batch_cap)
    per_node = 8 * batch / setup.step.tpot(batch)
    assert _error(per_node, 22_300) == pytest.approx(-0.11, abs=0.08), LMSYS


def test_dynamo_single_node_disaggregation_gain() -> None:
    """Dynamo: for (R1-Distill-)Llama-70B FP8 on H100 with vLLM, ISL 3k / OSL 150, one node
    disaggregated gives 30 % more throughput per GPU than aggregated. Assumed: the gain read at
    20 tok/s per user (TPOT 50 ms; the published figure is a curve of throughput per GPU against
    per-user speed), TTFT ≤ 10 s, one 8 × H100 node each way (both pools in the node). The
    model's gain moves along the curve: 1.49 at 30 tok/s per user, 1.10 at 10."""
    world = builtin_world()
    per_gpu = {}
    for serving in ("agg", "disagg"):
        request = build_request(world, model="llama-3.1-70b", input_tokens=3000, output_tokens=150, max_context=3150,
                                ttft_s=10.0, tpot_s=0.05, serving=serving, providers=("coreweave",),
                                weights=("fp8",), engine="vllm", max_nodes=1)
        row = next(r for r in build_quote(request, world).results if r.offering.id == "coreweave/hgx-h100-8x")
        per_gpu[serving] = row.estimate.output_tokens_per_s / (row.candidate.nodes * 8)
    assert _error(per_gpu["disagg"] / per_gpu["agg"], 1.30) == pytest.approx(0.0, abs=0.08), DYNAMO


def test_deepseek_mtp_decoding_speedup() -> None:
    """DeepSeek-V3 report: one MTP module, 85–90 % of second tokens accepted, 1.8× the decoding
    TPS. Assumed: one request decoding (concurrency 1) on 8 × H200 TP8, 1,000 in / 1,000 out,
    sglang factors; the model's gain is below 1.85 because the drafted token routes to experts of
    its own, so a step reads more expert weights. The model's gain was 10 % under the published
    1.8× until the refit with a per-layer overhead per GPU family, which moved SGLang ≥ 0.5's
    release term (no longer carrying MI300X's overheads: bandwidth scale 0.66 → 0.75, compute
    0.92 → 0.81, η_moe 0.26 → 0.23); 3 % under since."""
    world = builtin_world()
    acc = world.accelerators["h200-sxm"]
    tpot = []
    for extra in ({}, {"draft_tokens": 1, "accepted_tokens": 1.85}):
        d = Deployment(model=world.models["deepseek-v3"], accelerator=acc, fabric=fabric_for_gpu(acc, 8),
                       layout=Layout(tp=8), precision=FP8, load=Load(1000, 1000, concurrency=1, **extra),
                       factors=select(world.efficiency.values(), acc, "sglang", None))
        tpot.append(estimate(d).tpot_s)
    assert _error(tpot[0] / tpot[1], 1.8) == pytest.approx(-0.03, abs=0.06), DEEPSEEK_V3
