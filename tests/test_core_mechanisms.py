"""Hand-computed tests for the mechanisms added after the unseen-data diagnosis (model.md §6):
all-reduce algorithm by message size, MoE tile padding and the GEMM row ramp, FP8 dispatch,
DEP (attention data-parallel + expert-parallel) memory and step, engine profiles by version,
and the calibration rows' layouts and metrics."""

from __future__ import annotations

import dataclasses

import pytest
from core_fixtures import B200, DEEPSEEK_V3, H100, L40S, LLAMA_70B, MIXTRAL_8X7B, factors

from advisor.core.comms import Link, allreduce_algorithm, allreduce_s, group_link
from advisor.core.efficiency import band_text, select
from advisor.core.fabric import CUSTOM_ALLREDUCE_SYNC_S, fabric_for_gpu
from advisor.core.memory import weight_split
from advisor.core.params import shape
from advisor.core.precision import weight_bytes_per_param
from advisor.core.protocols import RunResult
from advisor.core.scoring import parse_row, value_for
from advisor.core.timing import GEMM_HALF_ROWS, MOE_PAD_TOKENS, Factors, build_plan, step_model
from advisor.core.types import Layout, Precision

NVSWITCH = Link("nvswitch", 450e9, 0.8, 0.0, custom=True)

def test_small_allreduce_is_one_shot_on_nvswitch() -> None:
    m = 16 * 1024  # one decode token of hidden 8192 in bf16
    one_shot = CUSTOM_ALLREDUCE_SYNC_S + 7 * m / 360e9  # 3.5 µs + 0.32 µs
    assert allreduce_s(m, 8, NVSWITCH, 2.5e-6) == pytest.approx(one_shot)
    assert allreduce_algorithm(m, 8, NVSWITCH, 2.5e-6) == "one-shot"
    # the ring would pay 2(t−1) = 14 latency steps: 35 µs
    ring = 14 * 2.5e-6 + 2 * 7 / 8 * m / 360e9
    assert ring > 9 * one_shot

def test_mid_sized_allreduce_is_two_shot_and_large_falls_back_to_nccl() -> None:
    mid = 2 * 1024 * 1024  # 128 decode tokens of hidden 8192
    two = 2 * CUSTOM_ALLREDUCE_SYNC_S + 2 * 7 / 8 * mid / 360e9
    assert allreduce_algorithm(mid, 8, NVSWITCH, 2.5e-6) == "two-shot"
    assert allreduce_s(mid, 8, NVSWITCH, 2.5e-6) == pytest.approx(two)
    big = 64e6  # above the custom kernels' 8 MiB buffer: ring (or NVLS where the switch has it)
    assert allreduce_algorithm(big, 8, NVSWITCH, 2.5e-6) == "ring"
    nvls = NVSWITCH._replace(nvls=True)
    assert allreduce_algorithm(big, 8, nvls, 2.5e-6) == "nvls"

def test_pcie_has_no_custom_allreduce() -> None:
    link = group_link(fabric_for_gpu(H100, 8), 8)
    assert link.custom  # H100 SXM: NVSwitch

    pcie = group_link(fabric_for_gpu(L40S, 8), 8)
    assert not pcie.custom and allreduce_algorithm(16 * 1024, 8, pcie, 2.5e-6) == "ring"

def test_tp8_decode_comm_is_a_few_microseconds_per_allreduce() -> None:
    plan = build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 8), Layout(tp=8), Precision("fp8", "fp8"),
                      Factors.of(factors()))
    step = step_model(plan, 1000)
    per_allreduce = step.comm(1) / plan.allreduces
    assert per_allreduce == pytest.approx(CUSTOM_ALLREDUCE_SYNC_S + 7 * 8192 * 2 / (450e9 * 0.8))

FP8 = Precision("fp8", "fp8")


def _plan(model, acc, layout, precision=FP8):
    return build_plan(model, acc, fabric_for_gpu(acc, layout.gpus), layout, precision,
                      Factors.of(factors()))

def test_moe_tile_padding_and_gemm_ramp_by_hand() -> None:
    plan = _plan(MIXTRAL_8X7B, H100, Layout(tp=1))
    step = step_model(plan, 1000)
    batch = 4.0
    touched = 1 - (1 - 2 / 8) ** batch  # 0.684: experts a batch of 4 routes to
    w, gemm = step.gemm_s(batch)
    expected_gemm = (batch * step.gemm_per_seq_s * (1 + GEMM_HALF_ROWS / batch)
                     + step.expert_pad_s * touched)
    assert gemm == pytest.approx(expected_gemm)
    assert w == pytest.approx(step.weights_s + step.experts_s * touched)
    # padding: each touched expert computes MOE_PAD_TOKENS extra rows of its own weights
    params = plan.expert_bytes / weight_bytes_per_param("fp8", H100)
    assert step.expert_pad_s == pytest.approx(params * 2 * MOE_PAD_TOKENS / plan.gemm_flops_per_s)

def test_grouped_gemm_efficiency_falls_as_tokens_per_expert_fall() -> None:
    plan = _plan(MIXTRAL_8X7B, H100, Layout(tp=1))
    step = step_model(plan, 1000)

    def flops_per_token_time(batch: float) -> float:
        return step.gemm_s(batch)[1] / batch

    # fewer tokens per expert: more compute time per useful token
    assert flops_per_token_time(8) > flops_per_token_time(64) > flops_per_token_time(1024)

def test_ep_dispatch_is_fp8_and_combine_bf16() -> None:
    layout = Layout(tp=1, ep=8, replicas=8)
    fp8 = _plan(DEEPSEEK_V3, B200, layout)
    bf16 = _plan(DEEPSEEK_V3, B200, layout, Precision("bf16", "bf16"))
    assert fp8.dispatch_bytes == 1.0 and bf16.dispatch_bytes == 2.0
    from advisor.core.timing import comm_s

    # the dispatch half of the traffic halves: comm(fp8) < comm(bf16) for the same tokens
    assert comm_s(fp8, 256) < comm_s(bf16, 256)

def test_dep_memory_replicates_attention_and_shards_experts() -> None:
    s = shape(DEEPSEEK_V3)
    dep = Layout(tp=1, ep=8, replicas=8)
    tp8 = Layout(tp=8, ep=8)
    dense_dep, experts_dep = weight_split(s, B200, dep, "fp8")
    dense_tp, experts_tp = weight_split(s, B200, tp8, "fp8")
    assert experts_dep == pytest.approx(experts_tp)  # experts are spread over 8 GPUs either way
    assert dense_dep == pytest.approx(8 * dense_tp)  # attention and dense layers on every rank
    assert experts_dep == pytest.approx(s.params.routed_experts * 1.0 / 8)

def test_dep_step_sees_every_ranks_tokens_at_the_experts() -> None:
    dep = _plan(DEEPSEEK_V3, B200, Layout(tp=1, ep=8, replicas=8))
    assert dep.moe_token_factor == 8.0 and dep.allreduces == 0 and dep.ep_groups == 8

def test_engine_spec_picks_the_version_range() -> None:
    base = factors()
    old = dataclasses.replace(base, id="h-vllm-old", engine="vllm", versions=">=0.6,<0.8", eta_mem=0.5)
    new = dataclasses.replace(base, id="h-vllm", engine="vllm", versions=">=0.8", eta_mem=0.8)
    table = [old, new]
    assert select(table, H100, "vllm").id == "h-vllm"  # newest
    assert select(table, H100, "vllm@0.6.3").id == "h-vllm-old"
    assert select(table, H100, "vllm@0.10").id == "h-vllm"
    with pytest.raises(ValueError, match="unknown engine"):
        select(table, H100, "tgi")

def test_band_text_says_prior_when_not_fitted() -> None:
    prior = dataclasses.replace(factors(), rows=0, band_pct=None)
    assert band_text(prior, moe=False) == "prior, not fitted — no measurements"
    fitted = dataclasses.replace(factors(), rows=40, band_pct=18.0, band_moe_pct=31.0, band_rows=54)
    assert band_text(fitted, moe=False) == "±18 % (cross-validated on 54 rows)"
    assert band_text(fitted, moe=True) == "±31 % (cross-validated on 54 rows)"

def _record(**kw: str) -> dict[str, str]:
    base = {"id": "X1", "model": "deepseek-r1", "precision": "FP4", "gpu": "b200", "num_gpus": "8",
            "tp": "8", "pp": "1", "ep": "8", "engine": "TensorRT-LLM ~1.1 (PyTorch backend)",
            "isl": "1000", "osl": "1000", "concurrency": "unbounded", "scenario": "offline",
            "metric": "output_tokens_per_s_per_gpu", "value": "1000", "notes": ""}
    return {**base, **kw}

def test_rows_read_dep_layouts_versions_and_fit_flags() -> None:
    row = parse_row(_record(notes="Published config label DEP8."))
    assert (row.dp, row.attention_tp, row.ep, row.replicas) == (8, 1, 8, 8)
    assert row.version == "1.1" and row.engine_spec == "trtllm@1.1"
    plain = parse_row(_record(ep="", notes="TP8"))
    assert (plain.dp, plain.attention_tp, plain.replicas) == (1, 8, 1)
    sglang = parse_row(_record(engine="sglang", engine_version="0.4.6.post2", dp="8", ep="",
                               notes="--enable-dp-attention", fit="no"))
    assert sglang.version == "0.4.6" and sglang.dp == 8 and sglang.ep == 8 and not sglang.fit
    assert parse_row(_record(concurrency="concurrency=7168 (max_batch_size 896/rank)")).max_batch == 896


def test_a_blank_engine_version_is_not_read_from_the_documents_title() -> None:
    # bug: a measurement row with engine_version left blank took its release from prose naming
    # the model ('Best GPU for Llama-3.3-70B') and was scored as vllm@3.3
    record = _record(engine="vllm", engine_version="",
                     source_version="InferenceX blog 'Best GPU for Llama-3.3-70B Inference'")
    assert parse_row(record).version is None and parse_row(record).engine_spec == "vllm"
    assert parse_row(_record(engine="vllm", engine_version="v0.10.1.post1")).version == "0.10.1"

def test_per_gpu_and_per_user_metrics_by_hand() -> None:
    run = RunResult(1.0, 8000.0, 16000.0, 0.2, 0.01, fits=True)
    assert value_for(parse_row(_record()), run) == pytest.approx(1000.0)  # 8000 over 8 GPUs
    per_user = parse_row(_record(metric="output_tokens_per_s_per_user"))
    assert value_for(per_user, run) == pytest.approx(100.0)
    e2e = parse_row(_record(metric="e2e_latency_mean_ms", osl="101"))
    assert value_for(e2e, run) == pytest.approx(200 + 100 * 10)


def test_dataset_burst_drains_to_the_longest_output_by_hand() -> None:
    import math
    from types import SimpleNamespace

    from advisor.core.protocols import EULER_GAMMA, _drain

    flat = SimpleNamespace(step=SimpleNamespace(tpot=lambda batch: 0.01))  # 10 ms whatever the batch
    seconds, step = _drain(flat, 1000, 200.0)  # type: ignore[arg-type]
    assert seconds == pytest.approx(0.01 * 200.0 * (math.log(1000) + EULER_GAMMA))  # ≈ 7.5 × 200 steps
    assert step == pytest.approx(0.01)
    # a step that grows with the batch: the drain's mean step is below the full batch's
    growing = SimpleNamespace(step=SimpleNamespace(tpot=lambda batch: 0.01 + 1e-4 * batch))
    _, mean_step = _drain(growing, 1000, 200.0)  # type: ignore[arg-type]
    assert 0.01 < mean_step < 0.01 + 1e-4 * 1000


def test_a_chat_dataset_burst_is_slower_than_fixed_lengths() -> None:
    from advisor.core.deployment import Deployment
    from advisor.core.protocols import burst
    from advisor.core.types import Load

    d = Deployment(model=LLAMA_70B, accelerator=H100, fabric=fabric_for_gpu(H100, 8),
                   layout=Layout(tp=8), precision=FP8, load=Load(isl=220, osl=200), factors=factors())
    fixed = burst(d, requests=1000)
    chat = burst(d, requests=1000, spread=True)
    assert chat.output_tokens_per_s < 0.7 * fixed.output_tokens_per_s  # the long tail at small batches
    one_fixed, one_chat = burst(d, requests=1), burst(d, requests=1, spread=True)
    assert one_chat.output_tokens_per_s == pytest.approx(one_fixed.output_tokens_per_s)


def test_grouped_expert_gemms_below_dense_efficiency_cost_compute_by_hand() -> None:
    fast = _plan(MIXTRAL_8X7B, H100, Layout(tp=1))
    slow = build_plan(MIXTRAL_8X7B, H100, fabric_for_gpu(H100, 1), Layout(tp=1), FP8,
                      Factors.of(factors(eta_moe=0.5)))
    a, b = step_model(fast, 1000), step_model(slow, 1000)
    # the expert part of every token's GEMM compute takes twice as long at eta_moe 0.5
    expert_s = fast.expert_flops_per_token / fast.gemm_flops_per_s
    assert b.expert_extra_per_seq_s == pytest.approx(expert_s) and a.expert_extra_per_seq_s == 0.0
    assert b.expert_pad_s == pytest.approx(2 * a.expert_pad_s)


def test_a_tp_label_is_not_dp_attention_even_when_the_notes_explain_dep() -> None:
    # bug: the TensorRT-LLM rows explain "DEPn = attention data parallel …" in every note, and a
    # TP2 row of a dense model was read as two attention-DP ranks of TP1 (predicted −66 %)
    notes = ("Published config label TP2. DEPn = attention data parallel + expert parallel over n "
             "GPUs (enable_attention_dp).")
    row = parse_row(_record(model="llama-3.3-70b", gpu="h100-sxm", num_gpus="2", tp="2", ep="2",
                            notes=notes))
    assert (row.dp, row.attention_tp, row.replicas) == (1, 2, 1)
    dep = parse_row(_record(notes=notes.replace("label TP2", "label DEP8")))
    assert (dep.dp, dep.attention_tp) == (8, 1)


def test_a_note_saying_no_dp_attention_is_not_dp_attention() -> None:
    row = parse_row(_record(engine="sglang", tp="8", ep="", notes="--tp 8 only (no DP attention)"))
    assert (row.dp, row.attention_tp) == (1, 8)


def test_vllm_batch_default_follows_the_gpu_size() -> None:
    from core_fixtures import A100

    from advisor.core.deployment import Deployment, prepare, small_gpu
    from advisor.core.types import Load

    assert not small_gpu(H100) and small_gpu(L40S) and small_gpu(A100)  # A100 80GB: vLLM's exception
    eff = factors(engine="vllm", max_batch=1024, small_gpu_max_batch=256)
    for acc, cap in ((H100, 1024), (L40S, 256)):
        d = Deployment(model=LLAMA_70B if acc is H100 else MIXTRAL_8X7B, accelerator=acc,
                       fabric=fabric_for_gpu(acc, 8), layout=Layout(tp=8), precision=FP8,
                       load=Load(isl=100, osl=100), factors=eff)
        assert prepare(d, memory_fraction=0.9).batch_cap == cap


def test_a_4_bit_row_with_an_fp8_kv_cache_note_runs_an_fp8_kv_cache() -> None:
    from core_fixtures import LLAMA_8B

    from advisor.core.scoring import run_for

    notes = "NVFP4 weights; MoE/GPT-OSS used FP8 KV cache on Blackwell."
    plain = parse_row(_record(model="llama-3.1-8b", num_gpus="1", tp="1", ep="", notes="NVFP4"))
    fp8kv = parse_row(_record(model="llama-3.1-8b", num_gpus="1", tp="1", ep="", notes=notes))
    eff = factors(family="blackwell")
    # half the KV bytes: more sequences fit and each step reads less, so more tokens per second
    assert (run_for(fp8kv, LLAMA_8B, B200, eff).output_tokens_per_s
            > run_for(plain, LLAMA_8B, B200, eff).output_tokens_per_s)


def test_per_layer_overhead_scales_with_the_layers_a_stage_runs() -> None:
    eff = factors(t_fixed_s=1e-3, t_layer_s=50e-6)
    one = build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 8), Layout(tp=8), FP8, Factors.of(eff))
    two = build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 8), Layout(tp=4, pp=2), FP8, Factors.of(eff))
    # 80 layers of 8 kernels and, with FP8 GEMMs, 4 activation-quantization kernels: 13 ms per step
    assert one.t_fixed_s == pytest.approx(1e-3 + 80 * 1.5 * 50e-6)
    assert two.t_fixed_s == pytest.approx(1e-3 + 40 * 1.5 * 50e-6)  # each of 2 stages runs 40


@pytest.mark.parametrize("size", [1e3, 16e3, 256e3, 2e6, 8e6, 9e6, 64e6, 1e9])
@pytest.mark.parametrize("link", [NVSWITCH, NVSWITCH._replace(nvls=True), Link("pcie", 63e9, 0.62, 1.7e-6)])
def test_the_inlined_allreduce_is_the_fastest_option(size: float, link: Link) -> None:
    from advisor.core.comms import allreduce_options

    for gpus in (2, 4, 8):
        best = min(o[1] for o in allreduce_options(size, gpus, link, 2.5e-6))
        assert allreduce_s(size, gpus, link, 2.5e-6) == pytest.approx(best, rel=1e-12)


def test_sglang_bench_serving_random_lengths_are_uniform_unless_a_range_ratio_fixes_them() -> None:
    def lengths(scenario: str) -> str:
        return parse_row(_record(scenario=scenario)).lengths

    assert lengths("sglang.bench_serving random nominal 1000/1000, 500 requests") == "uniform"
    assert lengths("sglang.bench_serving random 1000/1000 --random-range-ratio 0.0") == "uniform"
    assert lengths("sglang.bench_serving random 1000/1000 range-ratio 1, 5 requests") == "fixed"
    assert lengths("vllm bench serve, random 1024/1024") == "fixed"  # vLLM: range ratio 0 is fixed
    assert lengths("online, ShareGPT, 1200 requests") == "exponential"


def test_a_vllm_v0_run_takes_the_v0_batch_default() -> None:
    # bug: a 0.8.4 run with VLLM_USE_V1=0 and 300 clients was given V1's 1024 slots, so none of
    # the 300 queued (TTFT −99 %); the V0 engine's max_num_seqs default is 256
    row = parse_row(_record(engine="vllm", engine_version="0.8.4", ep="", concurrency="concurrency=300",
                            notes="VLLM_USE_V1=0, --max-num-batched-tokens 65536"))
    assert row.max_batch == 256
    assert parse_row(_record(engine="vllm", engine_version="0.8.4", ep="", notes="V1 engine")).max_batch is None
    assert parse_row(_record(engine="vllm", ep="", notes="VLLM_USE_V1=0 --max-num-seqs 64")).max_batch == 64


def test_per_layer_overhead_counts_each_layers_kernels_by_hand() -> None:
    from advisor.core.kernels import layer_equivalents

    # a dense GQA layer is the unit: 5 attention kernels + 3 FFN kernels
    assert layer_equivalents(shape(LLAMA_70B)) == pytest.approx(80.0)
    # Mixtral: 32 GQA layers (5) with an MoE FFN (6: norm, router, top-k, two grouped GEMMs, combine)
    assert layer_equivalents(shape(MIXTRAL_8X7B)) == pytest.approx(32 * (5 + 6) / 8)  # 44
    # DeepSeek-V3: 61 MLA layers (9), 3 dense FFNs (3), 58 MoE FFNs with a shared expert (6 + 2)
    assert layer_equivalents(shape(DEEPSEEK_V3)) == pytest.approx((61 * 9 + 3 * 3 + 58 * 8) / 8)  # 127.75
    # FP8 GEMMs quantize their activations first: one kernel more per weight GEMM (MLA: q_a/kv_a,
    # q_b, O; each FFN, routed or shared: gate-up, down)
    quantized = (61 * (9 + 3) + 3 * (3 + 2) + 58 * (6 + 2 + 2 + 2)) / 8  # 180.375
    assert layer_equivalents(shape(DEEPSEEK_V3), quantized=True) == pytest.approx(quantized)
    assert layer_equivalents(shape(LLAMA_70B), quantized=True) == pytest.approx(80 * (8 + 4) / 8)
    eff = factors(t_fixed_s=1e-3, t_layer_s=50e-6)
    one = build_plan(DEEPSEEK_V3, H100, fabric_for_gpu(H100, 8), Layout(tp=8), FP8, Factors.of(eff))
    two = build_plan(DEEPSEEK_V3, H100, fabric_for_gpu(H100, 16), Layout(tp=8, pp=2), FP8, Factors.of(eff))
    assert one.t_fixed_s == pytest.approx(1e-3 + 50e-6 * quantized)  # 10 ms of launches per step
    assert two.t_fixed_s == pytest.approx(1e-3 + 50e-6 * quantized * 31 / 61)  # the first stage's 31 layers
    bf16 = build_plan(DEEPSEEK_V3, H100, fabric_for_gpu(H100, 16), Layout(tp=16), Precision("bf16", "bf16"),
                      Factors.of(eff))
    assert bf16.t_fixed_s == pytest.approx(1e-3 + 50e-6 * 127.75)  # 16-bit GEMMs: nothing to quantize


def test_an_overlapping_engine_hides_the_host_work_behind_the_gpu_step_by_hand() -> None:
    # SGLang's overlap scheduler and TensorRT-LLM's prepare step n+1 on the host while the GPU
    # runs step n: the step is the slower of the two, not their sum
    serial = factors(t_seq_s=40e-6)
    overlap = factors(t_seq_s=40e-6, host_overlap=True)
    a = step_model(build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 8), Layout(tp=8), FP8, Factors.of(serial)), 1000)
    b = step_model(build_plan(LLAMA_70B, H100, fabric_for_gpu(H100, 8), Layout(tp=8), FP8, Factors.of(overlap)), 1000)
    gpu = a.stage(8.0) - 40e-6 * 8  # the GPU's part of a small batch's step
    assert b.stage(8.0) == pytest.approx(gpu)  # 0.3 ms of host work hides behind it
    assert gpu > 40e-6 * 8
    big = 4096.0  # 164 ms of host work: longer than the GPU's step, so it sets the step
    assert b.stage(big) == pytest.approx(40e-6 * big) and a.stage(big) > b.stage(big)


def test_weight_only_4_bit_experts_pad_a_16_row_tile_by_hand() -> None:
    # gpt-oss's MXFP4 experts on Hopper dequantize into 16-row mma tiles: 8 padding rows per
    # touched expert, not the 32 of a 64-row tile (a TP1 H100 decoding gpt-oss-120b at 4 users
    # measured 8.3 ms per token; 32 padding rows made the experts' compute alone 10 ms)
    int4 = _plan(MIXTRAL_8X7B, H100, Layout(tp=1), Precision("int4", "bf16"))
    fp8 = _plan(MIXTRAL_8X7B, H100, Layout(tp=1))
    fp4_native = _plan(MIXTRAL_8X7B, B200, Layout(tp=1), Precision("fp4", "bf16"))
    assert (int4.moe_pad_tokens, fp8.moe_pad_tokens, fp4_native.moe_pad_tokens) == (8.0, 32.0, 32.0)
    step = step_model(int4, 1000)
    assert step.expert_pad_s == pytest.approx(int4.expert_params * 2 * 8 / int4.gemm_flops_per_s)
