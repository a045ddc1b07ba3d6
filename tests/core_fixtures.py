"""Model and accelerator objects for the core tests, built from shared/facts (models.csv,
gpus.csv) so the core tests do not depend on the shipped catalogs."""

from __future__ import annotations

import datetime as dt

from advisor.core.efficiency import fallback
from advisor.domain import Accelerator, EfficiencyFactors, ModelProfile
from advisor.domain.validation import validate

MIB = 1024.0**2
GIB = 1024.0**3
TODAY = dt.date(2026, 1, 1)
SRC = "shared/facts (test fixture)"


def gqa(name: str, **kw: object) -> ModelProfile:
    layers = kw["layers"]
    attention = kw.pop("attention", ({"kind": "full", "layers": layers},))
    return validate(ModelProfile,
        id=name.lower(),
        name=name,
        family=kw.pop("family", "llama"),
        attention=attention,
        source=SRC,
        as_of=TODAY,
        **kw,
    )


LLAMA_8B = gqa("Llama-3.1-8B", total_params=8.03e9, layers=32, hidden=4096, intermediate=14336,
               heads=32, kv_heads=8, head_dim=128, vocab=128256, max_context=131072)
LLAMA_70B = gqa("Llama-3.1-70B", total_params=70.6e9, layers=80, hidden=8192, intermediate=28672,
                heads=64, kv_heads=8, head_dim=128, vocab=128256, max_context=131072)
LLAMA_405B = gqa("Llama-3.1-405B", total_params=405.9e9, layers=126, hidden=16384,
                 intermediate=53248, heads=128, kv_heads=8, head_dim=128, vocab=128256,
                 max_context=131072)
MISTRAL_7B = gqa("Mistral-7B", family="mistral", total_params=7.24e9, layers=32, hidden=4096,
                 intermediate=14336, heads=32, kv_heads=8, head_dim=128, vocab=32000,
                 max_context=32768,
                 attention=({"kind": "sliding", "layers": 32, "window": 4096},))
MIXTRAL_8X7B = gqa("Mixtral-8x7B", family="mistral", total_params=46.7e9, active_params=12.9e9,
                   layers=32, hidden=4096, intermediate=14336, heads=32, kv_heads=8, head_dim=128,
                   vocab=32000, max_context=32768,
                   moe={"experts": 8, "experts_per_token": 2, "expert_intermediate": 14336})
MIXTRAL_8X22B = gqa("Mixtral-8x22B", family="mistral", total_params=141e9, active_params=39e9,
                    layers=56, hidden=6144, intermediate=16384, heads=48, kv_heads=8,
                    head_dim=128, vocab=32000, max_context=65536,
                    moe={"experts": 8, "experts_per_token": 2, "expert_intermediate": 16384})
DEEPSEEK_V3 = gqa("DeepSeek-V3", family="deepseek", total_params=671e9, active_params=37e9,
                  layers=61, hidden=7168, intermediate=18432, heads=128, kv_heads=128,
                  head_dim=128, vocab=129280, max_context=163840,
                  attention=({"kind": "mla", "layers": 61},),
                  mla={"kv_lora_rank": 512, "qk_rope_head_dim": 64, "q_lora_rank": 1536,
                       "qk_nope_head_dim": 128, "v_head_dim": 128},
                  moe={"experts": 256, "experts_per_token": 8, "shared_experts": 1,
                       "expert_intermediate": 2048, "dense_layers": 3})
GEMMA2_9B = gqa("Gemma-2-9B", family="gemma", total_params=9.24e9, layers=42, hidden=3584,
                intermediate=14336, heads=16, kv_heads=8, head_dim=256, vocab=256000,
                max_context=8192, tie_embeddings=True,
                attention=({"kind": "full", "layers": 21},
                           {"kind": "sliding", "layers": 21, "window": 4096}))
GPT_OSS_120B = gqa("gpt-oss-120b", family="gpt-oss", total_params=116.8e9, active_params=5.1e9,
                   layers=36, hidden=2880, intermediate=2880, heads=64, kv_heads=8, head_dim=64,
                   vocab=201088, max_context=131072,
                   attention=({"kind": "full", "layers": 18},
                              {"kind": "sliding", "layers": 18, "window": 128}),
                   moe={"experts": 128, "experts_per_token": 4, "expert_intermediate": 2880})
QWEN3_235B = gqa("Qwen3-235B-A22B", family="qwen", total_params=235e9, active_params=22e9,
                 layers=94, hidden=4096, intermediate=12288, heads=64, kv_heads=4, head_dim=128,
                 vocab=151936, max_context=40960,
                 moe={"experts": 128, "experts_per_token": 8, "expert_intermediate": 1536})

MODELS = [LLAMA_8B, LLAMA_70B, LLAMA_405B, MISTRAL_7B, MIXTRAL_8X7B, MIXTRAL_8X22B, DEEPSEEK_V3,
          GEMMA2_9B, GPT_OSS_120B, QWEN3_235B]


def accel(aid: str, **kw: object) -> Accelerator:
    return validate(Accelerator, id=aid, name=aid.upper(), source=SRC, as_of=TODAY, **kw)


H100 = accel("h100-sxm", aliases=("H100-SXM-80GB",), vendor="NVIDIA", family="hopper",
             memory_bytes=81559 * MIB, hbm_bytes_per_s=3.35e12,
             dense_flops_per_s={"bf16": 989e12, "fp16": 989e12, "fp8": 1979e12},
             native_weight_dtypes=("bf16", "fp16", "fp8"), link_kind="nvlink4",
             link_bytes_per_s=450e9, pcie_gen=5, pcie_bytes_per_s=63e9, tdp_watts=700,
             form_factor="SXM")
H200 = accel("h200-sxm", aliases=("H200-SXM-141GB",), vendor="NVIDIA", family="hopper",
             memory_bytes=143771 * MIB, hbm_bytes_per_s=4.8e12,
             dense_flops_per_s={"bf16": 989e12, "fp16": 989e12, "fp8": 1979e12},
             native_weight_dtypes=("bf16", "fp16", "fp8"), link_kind="nvlink4",
             link_bytes_per_s=450e9, pcie_gen=5, pcie_bytes_per_s=63e9, tdp_watts=700,
             form_factor="SXM")
GH200 = accel("gh200-96gb", aliases=("GH200-96GB",), vendor="NVIDIA", family="hopper",
              memory_bytes=97871 * MIB, hbm_bytes_per_s=4.0e12,
              dense_flops_per_s={"bf16": 989e12, "fp16": 989e12, "fp8": 1979e12},
              native_weight_dtypes=("bf16", "fp16", "fp8"), link_kind="nvlink4",
              link_bytes_per_s=450e9, pcie_gen=5, pcie_bytes_per_s=63e9, tdp_watts=900,
              form_factor="superchip")
A100 = accel("a100-sxm-80gb", aliases=("A100-SXM4-80GB",), vendor="NVIDIA", family="ampere",
             memory_bytes=81251 * MIB, hbm_bytes_per_s=2.039e12,
             dense_flops_per_s={"bf16": 312e12, "fp16": 312e12},
             native_weight_dtypes=("bf16", "fp16", "int8", "int4"), link_kind="nvlink3",
             link_bytes_per_s=300e9, pcie_gen=4, pcie_bytes_per_s=31.5e9, tdp_watts=400,
             form_factor="SXM")
L40S = accel("l40s", aliases=("L40S-48GB",), vendor="NVIDIA", family="ada",
             memory_bytes=46068 * MIB, hbm_bytes_per_s=0.864e12,
             dense_flops_per_s={"bf16": 362e12, "fp16": 362e12, "fp8": 733e12},
             native_weight_dtypes=("bf16", "fp16", "fp8"), link_kind="pcie",
             link_bytes_per_s=31.5e9, pcie_gen=4, pcie_bytes_per_s=31.5e9, tdp_watts=350,
             form_factor="PCIe")
B200 = accel("b200", vendor="NVIDIA", family="blackwell", memory_bytes=180 * GIB,
             hbm_bytes_per_s=8.0e12,
             dense_flops_per_s={"bf16": 2250e12, "fp16": 2250e12, "fp8": 4500e12, "fp4": 9000e12},
             native_weight_dtypes=("bf16", "fp16", "fp8", "fp4"), link_kind="nvlink5",
             link_bytes_per_s=900e9, pcie_gen=5, pcie_bytes_per_s=63e9, tdp_watts=1000,
             form_factor="SXM")
MI300X = accel("mi300x", vendor="AMD", family="cdna3", memory_bytes=192 * GIB,
               hbm_bytes_per_s=5.3e12,
               dense_flops_per_s={"bf16": 1307.4e12, "fp16": 1307.4e12, "fp8": 2614.9e12},
               native_weight_dtypes=("bf16", "fp16", "fp8"), link_kind="infinity-fabric",
               link_bytes_per_s=448e9, pcie_gen=5, pcie_bytes_per_s=63e9, tdp_watts=750,
               form_factor="OAM")

GPUS = [H100, H200, GH200, A100, L40S, B200, MI300X]


def factors(engine: str = "trtllm", family: str = "hopper", **kw: float) -> EfficiencyFactors:
    """Plausible fitted-looking factors for tests that need numbers, not the shipped ones."""
    base = dict(eta_mem=0.75, eta_compute=0.6, eta_prefill=0.55, alpha_s=1e-6, t_fixed_s=1e-3,
                max_batch=2048)
    base.update(kw)
    return validate(EfficiencyFactors, id=f"test-{family}-{engine}", family=family, engine=engine,
                             source="test", as_of=TODAY, **base)


IDEAL = dict(eta_mem=1.0, eta_compute=1.0, eta_prefill=1.0, alpha_s=0.0, t_fixed_s=0.0)


def generic(acc: Accelerator, engine: str = "vllm") -> EfficiencyFactors:
    return fallback(acc, engine)
