"""Number formats: bytes per weight (with block-scale overhead), KV bytes, compute dtype.

Owns the format facts the memory and time models share. Pure; must not import anything with
I/O, pint, rich, textual or httpx.
"""

from __future__ import annotations

from advisor.domain import Accelerator

# Bits per weight including the scales block-quantized formats carry (model.md §1):
# int4 with an fp16 scale + zero per 128 weights = 4 + 32/128 = 4.25 bits; NVFP4 has an fp8
# scale per 16 weights = 4 + 8/16 = 4.5 bits; MXFP4 (AMD, gpt-oss checkpoints) an e8m0 scale
# per 32 = 4.25 bits; FP8/INT8 per-tensor or per-channel scales are negligible.
WEIGHT_BITS: dict[str, float] = {
    "bf16": 16.0,
    "fp16": 16.0,
    "fp8": 8.0,
    "int8": 8.0,
    "int4": 4.25,
    "fp4": 4.5,
}
MXFP4_BITS = 4.25
WEIGHT_FORMATS = tuple(WEIGHT_BITS)

KV_BYTES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
KV_FORMATS = tuple(KV_BYTES)

ACTIVATION_BYTES = 2.0  # bf16/fp16 activations on the wire and in workspaces
HIGH_PRECISION_BYTES = 2.0  # embeddings and lm_head stay bf16 when the body is quantized


def check_formats(weights: str, kv: str) -> None:
    """Raise ValueError for a weight or KV format the model does not know."""
    if weights not in WEIGHT_BITS:
        raise ValueError(f"unknown weight format {weights!r} (one of {', '.join(WEIGHT_FORMATS)})")
    if kv not in KV_BYTES:
        raise ValueError(f"unknown KV-cache dtype {kv!r} (one of {', '.join(KV_FORMATS)})")


def weight_bytes_per_param(weights: str, acc: Accelerator) -> float:
    """Bytes per body parameter for a weight format on this accelerator.

    FP4 on AMD chips is MXFP4 (scale per 32); on NVIDIA it is NVFP4 (scale per 16).
    """
    if weights == "fp4" and acc.vendor == "AMD":
        return MXFP4_BITS / 8.0
    return WEIGHT_BITS[weights] / 8.0


def edge_bytes_per_param(weights: str) -> float:
    """Bytes per embedding / lm_head parameter: bf16 unless the whole model is fp16/bf16."""
    return WEIGHT_BITS[weights] / 8.0 if weights in ("bf16", "fp16") else HIGH_PRECISION_BYTES


def compute_dtype(weights: str, acc: Accelerator, activations: str | None = None) -> str:
    """The tensor-core dtype the GEMMs run in.

    FP8 weights run W8A8 (how TRT-LLM and vLLM serve FP8 checkpoints) only where the chip has
    native FP8; elsewhere they are weight-only and compute in bf16. int4 and int8 are
    weight-only (AWQ/GPTQ/Marlin) unless `activations` says otherwise. FP4 runs natively only
    where the chip lists it. A chip without bf16 (e.g. V100) falls back through peak_flops.
    """
    if activations is not None:
        return activations
    native = acc.native_weight_dtypes
    if weights in ("fp8", "fp4") and weights in native and weights in acc.dense_flops_per_s:
        return weights
    if weights == "fp16":
        return "fp16"
    return "bf16"


def peak_flops(acc: Accelerator, dtype: str) -> float:
    """Dense FLOP/s for a compute dtype (falls back to bf16/fp16 when the chip lacks it)."""
    return acc.peak_flops(dtype)
