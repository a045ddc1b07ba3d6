"""Hand-computed time checks: experts touched, roofline step times, compute dtype, prefill's
quadratic term, all-reduce formulas, interconnect need, and the serving modes' bookkeeping."""

from __future__ import annotations

import math

import pytest
from core_fixtures import (
    A100,
    B200,
    DEEPSEEK_V3,
    H100,
    L40S,
    LLAMA_8B,
    LLAMA_70B,
    MI300X,
    MIXTRAL_8X7B,
    factors,
)

from advisor.core.comms import Link, allreduce_s, group_link, interconnect
from advisor.core.deployment import Deployment
from advisor.core.fabric import fabric_for_gpu
from advisor.core.params import breakdown
from advisor.core.precision import compute_dtype
from advisor.core.prefill import prefill_flops
from advisor.core.serving import estimate
from advisor.core.timing import (
    IDEAL,
    Factors,
    build_plan,
    decode_parts,
    experts_touched_fraction,
    step_model,
)
from advisor.core.types import Layout, Load, Precision
from advisor.errors import AdvisorError

BF16 = Precision("bf16", "bf16")
ONE_GPU = Layout()


def plan_of(model, acc=H100, layout=ONE_GPU, precision=BF16, f: Factors = IDEAL):
    return build_plan(model, acc, fabric_for_gpu(acc, layout.gpus), layout, precision, f)


def test_mixtral_at_batch_16_reads_nearly_all_experts() -> None:
    plan = plan_of(MIXTRAL_8X7B)
    assert experts_touched_fraction(plan, 1) == pytest.approx(2 / 8)
    assert experts_touched_fraction(plan, 16) == pytest.approx(1 - 0.75**16)  # 0.99
    assert experts_touched_fraction(plan, 16) > 0.98


def test_moe_decode_reads_more_weights_at_batch_16_than_batch_1() -> None:
    plan = plan_of(MIXTRAL_8X7B)
    p = breakdown(MIXTRAL_8X7B)
    w1, w16 = decode_parts(plan, 1, 100)[1], decode_parts(plan, 16, 100)[1]
    kv = 100 * 131_072 / H100.hbm_bytes_per_s
    assert w1 - kv == pytest.approx((p.non_expert_body * 2 + p.lm_head * 2 + p.routed_experts * 2 / 4)
                                    / H100.hbm_bytes_per_s)
    assert (w16 - 16 * kv) / (w1 - kv) > 3.0  # nearly all 8 experts instead of 2


def test_batch_one_decode_is_a_weight_read_at_eta_mem() -> None:
    f = Factors(0.8, 0.5, 0.5, 0.0, 0.0, 256)
    plan = plan_of(LLAMA_70B, precision=Precision("fp8", "bf16"), f=f)
    p = breakdown(LLAMA_70B)
    read = p.body * 1 + p.lm_head * 2  # fp8 body, bf16 lm_head; the embedding table is not streamed
    step = step_model(plan, 1000.0)
    assert step.weights_s == pytest.approx(read / (3.35e12 * 0.8))
    assert step.tpot(1) == pytest.approx(step.weights_s + 1000 * 327_680 / (3.35e12 * 0.8))


def test_compute_dtype_follows_weights_and_the_chip() -> None:
    assert compute_dtype("fp8", H100) == "fp8"  # W8A8 on a chip with FP8 tensor cores
    assert compute_dtype("fp8", A100) == "bf16"  # weight-only on Ampere
    assert compute_dtype("int4", H100) == "bf16"  # AWQ/GPTQ dequantize to bf16
    assert compute_dtype("fp4", H100) == "bf16"
    assert compute_dtype("fp4", B200) == "fp4"
    assert compute_dtype("bf16", B200, activations="fp8") == "fp8"


def test_prefill_attention_term_is_quadratic() -> None:
    plan = plan_of(LLAMA_8B)
    gemm1, attn1 = prefill_flops(plan, 1000)
    gemm2, attn2 = prefill_flops(plan, 2000)
    assert attn2 == pytest.approx(4 * attn1)
    assert attn1 == pytest.approx(2 * 32 * 1000**2 * 32 * 128)  # 2·layers·S²·heads·head_dim
    p = breakdown(LLAMA_8B)
    assert gemm1 == pytest.approx(2 * (p.body * 1000 + p.lm_head))  # lm_head once per prompt


def test_ring_allreduce_formula() -> None:
    link = Link("nvswitch", 450e9, 0.8, 0.0)
    m, t, alpha = 4e6, 8, 2e-6
    assert allreduce_s(m, t, link, alpha) == pytest.approx(2 * 7 / 8 * m / 360e9 + 2 * 7 * alpha)
    assert allreduce_s(m, 1, link, alpha) == 0.0
    nvls = Link("nvswitch", 450e9, 0.8, 0.0, nvls=True)
    assert allreduce_s(m, t, nvls, alpha) < allreduce_s(m, t, link, alpha)


def test_pcie_small_allreduce_has_the_nccl_floor() -> None:
    link = group_link(fabric_for_gpu(L40S, 8), 8)
    assert link.kind == "pcie"
    small = allreduce_s(16 * 1024, 8, link, 0.0)
    assert 20e-6 < small < 26e-6  # ~24 µs on 8 PCIe GPUs (interconnects.csv)


def test_infinity_fabric_subgroups_get_only_their_peer_links() -> None:
    fabric = fabric_for_gpu(MI300X, 8)
    assert group_link(fabric, 2).bytes_per_s == pytest.approx(64e9 * 0.75)
    assert group_link(fabric, 8).bytes_per_s == pytest.approx(448e9 * 0.70)


def test_required_bandwidth_puts_comm_exactly_at_the_target_share() -> None:
    link = Link("nvswitch", 450e9, 0.8, 0.0)
    rest, m, n = 0.010, 8e6, 160
    base = interconnect(link=link, allreduces=n, message_bytes=m, tp=8, alpha_s=1e-7,
                        step_s=rest + n * allreduce_s(m, 8, link, 1e-7), target_share=0.1)
    need = base.required_bytes_per_s
    faster = Link("nvswitch", need, 0.8, 0.0)
    comm = n * allreduce_s(m, 8, faster, 1e-7)
    assert comm / (rest + comm) == pytest.approx(0.1, rel=1e-6)
    assert base.available_bytes_per_s == 450e9 and base.comm_share > 0.1


def test_latency_bound_allreduce_cannot_be_fixed_by_bandwidth() -> None:
    link = Link("pcie", 63e9, 0.62, 1.7e-6)
    ic = interconnect(link=link, allreduces=160, message_bytes=16e3, tp=8, alpha_s=5e-6,
                      step_s=0.02, target_share=0.1)
    assert math.isinf(ic.required_bytes_per_s)


def _est(load: Load, model=LLAMA_8B, acc=H100, layout=ONE_GPU, precision=BF16, **kw):
    eff = kw.pop("eff", factors())
    return estimate(Deployment(model=model, accelerator=acc, fabric=fabric_for_gpu(acc, layout.gpus),
                               layout=layout, precision=precision, load=load, factors=eff), **kw)


def test_max_throughput_batch_is_the_kv_or_engine_cap() -> None:
    capped = _est(Load(128, 128), eff=factors(max_batch=64))
    assert capped.batch == 64 and capped.bound == "batch-cap"
    kv = _est(Load(20000, 2000), model=LLAMA_70B, precision=Precision("fp8", "fp8"))
    assert kv.batch == kv.memory.max_sequences and kv.bound == "kv-capacity"


def test_closed_loop_obeys_littles_law() -> None:
    e = _est(Load(1000, 200, concurrency=32))
    cycle = e.ttft_s + 199 * e.tpot_s
    assert e.requests_per_s == pytest.approx(32 / cycle, rel=1e-3)
    assert e.output_tokens_per_s == pytest.approx(e.requests_per_s * 200)
    assert e.total_tokens_per_s == pytest.approx(e.output_tokens_per_s * 1200 / 200)
    assert e.batch <= 32 and e.mode == "closed-loop"


def test_replicas_multiply_throughput_and_split_the_load() -> None:
    one = _est(Load(500, 200, concurrency=16))
    four = _est(Load(500, 200, concurrency=64), layout=Layout(replicas=4))
    assert four.output_tokens_per_s == pytest.approx(4 * one.output_tokens_per_s, rel=1e-6)
    assert four.tpot_s == pytest.approx(one.tpot_s, rel=1e-6)


def test_open_loop_queues_in_ttft_and_saturates() -> None:
    light, busy = _est(Load(467, 256, rate=1.0)), _est(Load(467, 256, rate=30.0))
    assert light.output_tokens_per_s == pytest.approx(256.0)
    assert busy.ttft_s > light.ttft_s and busy.tpot_s > light.tpot_s
    over = _est(Load(467, 256, rate=10_000.0))
    assert over.saturated and math.isinf(over.ttft_s) and over.bound == "saturated"
    top = _est(Load(467, 256))
    assert over.output_tokens_per_s == pytest.approx(top.output_tokens_per_s)


def test_tenancy_factor_scales_throughput_and_latency() -> None:
    base = _est(Load(500, 100, concurrency=8))
    vm = _est(Load(500, 100, concurrency=8), tenancy_factor=0.97)
    assert vm.output_tokens_per_s == pytest.approx(0.97 * base.output_tokens_per_s)
    assert vm.tpot_s == pytest.approx(base.tpot_s / 0.97) and vm.tenancy_factor == 0.97


def test_deployment_that_does_not_fit_has_zero_throughput() -> None:
    e = _est(Load(1000, 100, concurrency=1), model=LLAMA_70B, acc=A100)
    assert not e.fits and e.output_tokens_per_s == 0 and e.bound == "does-not-fit"


def test_bad_layout_is_a_user_error() -> None:
    with pytest.raises(AdvisorError, match="does not divide"):
        _est(Load(100, 100), model=LLAMA_70B, layout=Layout(tp=3))
    with pytest.raises(AdvisorError, match="isl"):
        _est(Load(0, 100))


def test_dp_attention_with_expert_parallel_runs() -> None:
    layout = Layout(tp=1, ep=8, replicas=8)
    e = _est(Load(1000, 500, concurrency=256), model=DEEPSEEK_V3, acc=B200, layout=layout,
             precision=Precision("fp8", "bf16"))
    assert e.fits and e.output_tokens_per_s > 0 and e.interconnect.allreduce_bytes_per_step == 0
