"""What a decode step launches and pads, apart from the bytes and FLOPs `timing` sums: the
kernels each layer launches (the per-layer overhead counts them) and the padding rows of the
grouped expert GEMMs' tiles. Priors from the engines' layer code and kernels; pure constants
and arithmetic over a `ModelShape`.
"""

from __future__ import annotations

from advisor.core.params import ModelShape

# Grouped-GEMM tiles: each expert a batch touches runs whole tiles of 64–128 token rows, so on
# average half a tile of padding rows (32 tokens) is computed per touched expert; when tokens
# per expert (B·k/E per EP rank) are few, the padding dominates the expert GEMMs' compute.
# Weight-only 4-bit experts on a GPU without 4-bit tensor cores (gpt-oss's MXFP4 on Hopper,
# AWQ/GPTQ MoE) run Marlin-style kernels that dequantize into 16-row mma tiles: half a tile is
# 8 padding rows. Cross-validated: vLLM rows 25.2 → 20.0 %, all rows 12.71 → 12.66 %.
MOE_PAD_TOKENS = 32.0
WEIGHT_ONLY_PAD_TOKENS = 8.0


# Kernels one layer launches, by attention kind and FFN kind (prior, from the engines' layer
# code): a GQA block is norm, QKV, RoPE + cache write, attention, O; MLA adds the latent
# projections, their norms and the two absorbed per-head matmuls; DSA adds the indexer's
# projections, scores and top-k; a linear (DeltaNet) block adds its convolution, gates and the
# recurrent kernel. A dense FFN is norm, gate-up (activation fused), down; an MoE FFN is norm,
# router, top-k and sort, two grouped GEMMs and the weighted combine; a shared expert is two
# more GEMMs. The per-layer overhead t_layer is per layer of a dense GQA model (8 kernels);
# other layers cost in proportion to their kernels.
ATTENTION_KERNELS = {"full": 5, "sliding": 5, "chunked": 5, "mla": 9, "sparse": 12, "linear": 8}
DENSE_FFN_KERNELS = 3
MOE_FFN_KERNELS = 6
SHARED_EXPERT_KERNELS = 2
REFERENCE_LAYER_KERNELS = ATTENTION_KERNELS["full"] + DENSE_FFN_KERNELS


# Weight GEMMs per block whose activations are quantized on the fly when the GEMMs run in FP8
# or FP4 (vLLM's and SGLang's per-token or per-128-group dynamic quantization, one kernel before
# each GEMM): GQA QKV and O; MLA the fused q_a/kv_a down-projection, q_b and O (the absorbed
# kv_b products stay 16-bit); DSA adds the indexer's query projection; a linear block its input
# and output projections; every FFN, routed or shared, gate-up and down. Prior from vLLM's and
# SGLang's layer code, counted for every engine (TensorRT-LLM fuses some of these into the norm
# before; its release terms are fitted with the same count). It distinguishes block-scaled FP8
# checkpoints (DeepSeek, Qwen3-FP8, MiniMax, Kimi) from 16-bit and weight-only-4-bit ones at
# small batch. Cross-validated with the second collection of vLLM and SGLang rows: vLLM and
# SGLang together 29.0 → 24.3 %, all rows 14.0 → 12.9 %.
ATTENTION_GEMMS = {"full": 2, "sliding": 2, "chunked": 2, "mla": 3, "sparse": 4, "linear": 2}
FFN_GEMMS = 2


def layer_equivalents(s: ModelShape, quantized: bool = False) -> float:
    """The model's layers in units of a dense GQA layer's kernels (a dense GQA model: its
    layer count). With `quantized` GEMMs (FP8/FP4 activations) each weight GEMM is preceded by
    its activations' dynamic quantization kernel."""
    moe_layers = s.params.moe_layers
    shared = bool(s.experts and s.params.shared_experts)
    ffn = (s.layers - moe_layers) * DENSE_FFN_KERNELS
    if s.experts:
        ffn += moe_layers * (MOE_FFN_KERNELS + (SHARED_EXPERT_KERNELS if shared else 0))
    kernels = sum(g.layers * ATTENTION_KERNELS[g.kind] for g in s.groups) + ffn
    if quantized:  # every layer's FFN (dense or routed) and each shared expert: gate-up, down
        kernels += sum(g.layers * ATTENTION_GEMMS[g.kind] for g in s.groups) + s.layers * FFN_GEMMS
        if shared:
            kernels += moe_layers * FFN_GEMMS
    return kernels / REFERENCE_LAYER_KERNELS


def pad_tokens(weights: str, compute: str) -> float:
    """Padding rows per touched expert: 16-row tiles for weight-only 4-bit experts that compute
    in 16-bit, 64-row tiles otherwise (see MOE_PAD_TOKENS)."""
    return WEIGHT_ONLY_PAD_TOKENS if weights in ("int4", "fp4") and compute in ("bf16", "fp16") else MOE_PAD_TOKENS
