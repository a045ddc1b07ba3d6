"""A Hugging Face `config.json` mapped onto the fields of a model profile.

Reads the shape (layers, widths, heads, KV heads, explicit head_dim, vocabulary, tied
embeddings, context), the per-layer attention pattern (full, sliding window, chunked, MLA,
DeepSeek sparse attention, linear attention: Gated DeltaNet or lightning), the MoE shape
(experts, top-k, shared experts, expert and dense widths, dense layers) and the published
dtype or quantization. A key it does not know, or a value it cannot model, is a
`ConfigError` naming the key: never a guess. Pure: the caller reads the file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from advisor.catalog.hf_fields import IGNORED, MAPPED
from advisor.errors import did_you_mean

LAYER_TYPES = {"full_attention": "full", "sliding_attention": "sliding",
               "linear_attention": "linear", "chunked_attention": "chunked"}
QUANT_METHODS = ("fp8", "mxfp4", "awq", "gptq", "compressed-tensors", "modelopt")
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "bf16"}
FAMILIES = {"gpt_oss": "gpt-oss", "kimi_k2": "kimi", "glm4_moe": "glm", "minimax_m1": "minimax",
            "minimax_m2": "minimax", "minimax": "minimax", "seed_oss": "seed", "phi3": "phi",
            "mistral3": "mistral", "mixtral": "mistral", "llama4_text": "llama"}


class ConfigError(ValueError):
    """A key of config.json that cannot be mapped; `key` is dotted (quantization_config.bits)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(slots=True)
class Mapped:
    """Profile fields read from a config (no counts, names or provenance yet) and notes."""

    fields: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def map_config(config: dict[str, Any], *, ignore: frozenset[str] = frozenset()) -> Mapped:
    """The profile fields of a parsed config.json; ConfigError for what is not understood."""
    text = _text_config(config, ignore)
    _check_keys(text, ignore)
    notes: list[str] = []
    layers = _int(text, "num_hidden_layers")
    heads = _int(text, "num_attention_heads")
    fields: dict[str, Any] = {
        "family": _family(text),
        "layers": layers,
        "hidden": _int(text, "hidden_size"),
        "heads": heads,
        "kv_heads": _int(text, "num_key_value_heads", default=heads),
        "vocab": _int(text, "vocab_size"),
        "tie_embeddings": _bool(text, "tie_word_embeddings", default=True),
        "max_context": _int(text, "max_position_embeddings"),
    }
    fields["head_dim"] = _int(text, "head_dim", default=fields["hidden"] // heads)
    moe = _moe(text, layers)
    fields["intermediate"] = _dense_width(text, moe)
    if moe is not None:
        fields["moe"] = moe
    mla = _mla(text)
    if mla is not None:
        fields["mla"] = mla
        fields["head_dim"] = mla["qk_nope_head_dim"] + mla["qk_rope_head_dim"]
    fields.update(_attention(text, layers, fields, notes))
    fields["native_dtype"] = _dtype(text, notes)
    _extra_notes(text, notes)
    return Mapped(fields, notes)


def _text_config(config: dict[str, Any], ignore: frozenset[str]) -> dict[str, Any]:
    """The language model's keys: `text_config` of a multimodal config, with the top level's
    quantization, or the config itself."""
    inner = config.get("text_config")
    if inner is None:
        return config
    if not isinstance(inner, dict):
        raise ConfigError("text_config", "text_config is not an object")
    _check_keys({k: v for k, v in config.items() if k != "text_config"}, ignore)
    merged = dict(inner)
    for key in ("quantization_config", "vision_config", "tie_word_embeddings", "torch_dtype"):
        if key in config and key not in merged:
            merged[key] = config[key]
    return merged


def _check_keys(text: dict[str, Any], ignore: frozenset[str]) -> None:
    known = MAPPED | IGNORED
    for key in text:
        if key in known or key in ignore or key.endswith(("_token_id", "_token_ids")):
            continue
        raise ConfigError(key, f"unknown architecture field {key!r}{did_you_mean(key, known)}: "
                               "advisor does not know how it changes the model; if it changes "
                               f"neither size nor attention, pass --ignore-field {key}")


def _int(text: dict[str, Any], key: str, *, default: int | None = None, low: int = 1) -> int:
    value = text.get(key)
    if value is None:
        if default is None:
            raise ConfigError(key, f"{key} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(key, f"{key} must be a whole number of at least {low}, not {value!r}")
    return value


def _bool(text: dict[str, Any], key: str, *, default: bool) -> bool:
    value = text.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(key, f"{key} must be true or false, not {value!r}")
    return value


def _family(text: dict[str, Any]) -> str:
    kind = text.get("model_type")
    if not isinstance(kind, str) or not kind:
        return "other"
    if kind in FAMILIES:
        return FAMILIES[kind]
    head = kind.split("_")[0].rstrip("0123456789.").lower()
    return head if 2 <= len(head) <= 30 and head.isalpha() else "other"


def _moe(text: dict[str, Any], layers: int) -> dict[str, Any] | None:
    experts = next((text[k] for k in ("num_local_experts", "num_experts", "n_routed_experts")
                    if text.get(k) is not None), None)
    if experts is None or experts in (0, 1):
        return None
    experts = _int({"experts": experts}, "experts", low=2)
    top_k_key = "experts_per_token" if "experts_per_token" in text else "num_experts_per_tok"
    width_key = "moe_intermediate_size" if text.get("moe_intermediate_size") else "intermediate_size"
    width = _int(text, width_key)
    return {
        "experts": experts,
        "experts_per_token": _int(text, top_k_key),
        "shared_experts": _shared_experts(text, width),
        "expert_intermediate": width,
        "dense_layers": _dense_layers(text, layers),
    }


def _shared_experts(text: dict[str, Any], width: int) -> int:
    if text.get("model_type") == "llama4_text":  # one shared expert in code, none in the config
        return 1
    if text.get("n_shared_experts") is not None:
        return _int(text, "n_shared_experts", low=0)
    for key in ("shared_expert_intermediate_size", "shared_intermediate_size"):
        shared = text.get(key)
        if shared is None:
            continue
        shared = _int(text, key, low=0)
        if shared % width:
            raise ConfigError(key, f"{key} {shared} is not a whole number of experts of width "
                                   f"{width}: a shared expert of another width is not modelled")
        return shared // width
    return 0


def _dense_layers(text: dict[str, Any], layers: int) -> int:
    """Layers with a dense MLP instead of experts."""
    if text.get("first_k_dense_replace") is not None:
        dense = _int(text, "first_k_dense_replace", low=0)
        if text.get("moe_layer_freq", 1) != 1:
            raise ConfigError("moe_layer_freq", "moe_layer_freq other than 1 is not modelled")
        return dense
    listed = text.get("moe_layers")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(i, int) and 0 <= i < layers for i in listed):
            raise ConfigError("moe_layers", "moe_layers must be a list of layer numbers")
        return layers - len(set(listed))
    only = text.get("mlp_only_layers") or []
    if not isinstance(only, list) or not all(isinstance(i, int) for i in only):
        raise ConfigError("mlp_only_layers", "mlp_only_layers must be a list of layer numbers")
    for key in ("decoder_sparse_step", "interleave_moe_layer_step"):
        step = _int(text, key, default=1)
        if step > 1:
            return layers - layers // step + len(only)
    return len(only)


def _dense_width(text: dict[str, Any], moe: dict[str, Any] | None) -> int:
    """The dense MLP width (Llama 4 names it intermediate_size_mlp)."""
    if text.get("intermediate_size_mlp") is not None:
        return _int(text, "intermediate_size_mlp")
    if text.get("intermediate_size") is None and moe is not None:
        return int(moe["expert_intermediate"])
    return _int(text, "intermediate_size")


def _mla(text: dict[str, Any]) -> dict[str, Any] | None:
    if text.get("kv_lora_rank") is None:
        return None
    mla = {k: _int(text, k) for k in ("kv_lora_rank", "qk_nope_head_dim", "v_head_dim")}
    mla["qk_rope_head_dim"] = _int(text, "qk_rope_head_dim", low=0)
    if text.get("q_lora_rank") is not None:
        mla["q_lora_rank"] = _int(text, "q_lora_rank")
    return mla


def _attention(text: dict[str, Any], layers: int, fields: dict[str, Any], notes: list[str]
               ) -> dict[str, Any]:
    """`attention` groups, plus the [linear] / [sparse] tables the kinds need."""
    kinds = _layer_kinds(text, layers)
    out: dict[str, Any] = {}
    if "mla" in fields:
        sparse = text.get("index_topk") is not None
        kinds = ["sparse" if sparse and k == "full" else "mla" if k == "full" else k for k in kinds]
        if sparse:
            out["sparse"] = {"topk": _int(text, "index_topk"), "index_heads": _int(text, "index_n_heads"),
                             "index_head_dim": _int(text, "index_head_dim")}
    elif text.get("index_topk") is not None:
        raise ConfigError("index_topk", "index_topk (sparse attention) without MLA is not modelled")
    if "linear" in kinds:
        out["linear"] = _linear(text, fields)
    windows = {"sliding": text.get("sliding_window"), "chunked": text.get("attention_chunk_size")}
    groups = []
    for kind, count in sorted(Counter(kinds).items()):
        group: dict[str, Any] = {"kind": kind, "layers": count}
        if kind in windows:
            key = "sliding_window" if kind == "sliding" else "attention_chunk_size"
            group["window"] = _int(text, key)
        groups.append(group)
    out["attention"] = groups
    return out


def _layer_kinds(text: dict[str, Any], layers: int) -> list[str]:
    """Attention kind of each layer, from whichever pattern key the config uses."""
    if text.get("layer_types") is not None:
        return _listed_kinds(text, layers)
    if text.get("attn_type_list") is not None:
        codes = _layer_list(text, "attn_type_list", layers)
        if not all(type(c) is int and c in (0, 1) for c in codes):
            raise ConfigError("attn_type_list", "attn_type_list holds values other than 0 and 1")
        return ["linear" if c == 0 else "full" for c in codes]
    if text.get("full_attention_interval") is not None:
        every = _int(text, "full_attention_interval")
        return ["full" if (i + 1) % every == 0 else "linear" for i in range(layers)]
    if text.get("attention_chunk_size") is not None:
        rope = text.get("no_rope_layers")
        flags = _layer_list(text, "no_rope_layers", layers) if rope is not None else [
            int((i + 1) % 4 != 0) for i in range(layers)]
        return ["chunked" if f else "full" for f in flags]
    return _sliding_kinds(text, layers)


def _sliding_kinds(text: dict[str, Any], layers: int) -> list[str]:
    window = text.get("sliding_window")
    if window is None or text.get("use_sliding_window") is False:
        return ["full"] * layers
    if text.get("sliding_window_pattern") is not None:
        every = _int(text, "sliding_window_pattern")
        return ["full" if (i + 1) % every == 0 else "sliding" for i in range(layers)]
    if text.get("model_type") == "gemma2":  # alternates in code, not in the config
        return ["sliding" if i % 2 == 0 else "full" for i in range(layers)]
    if text.get("use_sliding_window") is True and text.get("max_window_layers") is not None:
        first = _int(text, "max_window_layers", low=0)
        return ["full" if i < first else "sliding" for i in range(layers)]
    return ["sliding"] * layers


def _listed_kinds(text: dict[str, Any], layers: int) -> list[str]:
    names = _layer_list(text, "layer_types", layers)
    unknown = sorted({str(n) for n in names if n not in LAYER_TYPES})
    if unknown:
        raise ConfigError("layer_types", f"layer_types value {unknown[0]!r} is not understood"
                                         f"{did_you_mean(unknown[0], LAYER_TYPES)}")
    return [LAYER_TYPES[n] for n in names]


def _layer_list(text: dict[str, Any], key: str, layers: int) -> list[Any]:
    value = text[key]
    if not isinstance(value, list) or len(value) != layers:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise ConfigError(key, f"{key} must list one entry per layer ({layers}), got {got}")
    return value


def _linear(text: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Gated DeltaNet (linear_* keys) or lightning attention (attn_type_list, attention dims)."""
    if text.get("linear_num_value_heads") is not None:
        return {"mixer": "gated-deltanet", "key_heads": _int(text, "linear_num_key_heads"),
                "value_heads": _int(text, "linear_num_value_heads"),
                "key_dim": _int(text, "linear_key_head_dim"),
                "value_dim": _int(text, "linear_value_head_dim"),
                "conv_kernel": _int(text, "linear_conv_kernel_dim", low=0)}
    if text.get("attn_type_list") is not None:
        heads, dim = fields["heads"], fields["head_dim"]
        return {"mixer": "lightning", "key_heads": heads, "value_heads": heads,
                "key_dim": dim, "value_dim": dim, "conv_kernel": 0}
    raise ConfigError("layer_types", "linear_attention layers without linear_* dimensions")


def _dtype(text: dict[str, Any], notes: list[str]) -> str:
    quant = text.get("quantization_config")
    if quant is not None:
        if not isinstance(quant, dict):
            raise ConfigError("quantization_config", "quantization_config is not an object")
        return _quantized(quant, notes)
    name = text.get("torch_dtype", text.get("dtype", "bfloat16"))
    if name not in DTYPES:
        key = "torch_dtype" if "torch_dtype" in text else "dtype"
        raise ConfigError(key, f"{key} {name!r} is not understood{did_you_mean(str(name), DTYPES)}")
    if name == "float32":
        notes.append("Checkpoint in float32; profiled as served in bf16.")
    return DTYPES[name]


def _quantized(quant: dict[str, Any], notes: list[str]) -> str:
    method = quant.get("quant_method")
    if method == "fp8":
        notes.append("FP8 checkpoint (quantization_config fp8).")
        return "fp8"
    if method == "mxfp4":
        notes.append("MXFP4 checkpoint (experts in MXFP4, the rest bf16).")
        return "fp4"
    if method in ("awq", "gptq"):
        bits = _int(quant, "bits")
        return _int_bits(bits, f"{method.upper()} {bits}-bit checkpoint.", notes)
    if method == "compressed-tensors":
        return _compressed(quant, notes)
    if method == "modelopt":
        algo = str(quant.get("quant_algo", ""))
        if algo in ("FP8", "NVFP4"):
            notes.append(f"ModelOpt {algo} checkpoint.")
            return "fp8" if algo == "FP8" else "fp4"
        raise ConfigError("quantization_config.quant_algo", f"quant_algo {algo!r} is not understood")
    hint = did_you_mean(str(method), QUANT_METHODS)
    raise ConfigError("quantization_config.quant_method",
                      f"quantization_config.quant_method {method!r} is not understood{hint}")


def _int_bits(bits: int, note: str, notes: list[str]) -> str:
    if bits not in (4, 8):
        raise ConfigError("quantization_config.bits", f"{bits}-bit weights are not modelled")
    notes.append(note)
    return "int4" if bits == 4 else "int8"


def _compressed(quant: dict[str, Any], notes: list[str]) -> str:
    groups = quant.get("config_groups")
    weights = [g.get("weights") for g in groups.values()] if isinstance(groups, dict) else []
    if not weights or not all(isinstance(w, dict) for w in weights):
        raise ConfigError("quantization_config.config_groups", "config_groups without weights")
    bits = {(w.get("num_bits"), w.get("type")) for w in weights}
    if bits == {(8, "float")}:
        notes.append("compressed-tensors FP8 checkpoint.")
        return "fp8"
    if len(bits) == 1 and next(iter(bits))[1] == "int" and isinstance(next(iter(bits))[0], int):
        b = next(iter(bits))[0]
        return _int_bits(b, f"compressed-tensors INT{b} checkpoint (some layers may stay bf16).", notes)
    raise ConfigError("quantization_config.config_groups", f"weight formats {sorted(map(str, bits))} "
                                                          "are not understood")


def _extra_notes(text: dict[str, Any], notes: list[str]) -> None:
    if text.get("vision_config") is not None:
        notes.append("Vision encoder not counted (text model only).")
    mtp = text.get("num_nextn_predict_layers")
    if isinstance(mtp, int) and mtp > 0:
        notes.append(f"{mtp} multi-token-prediction layer(s) not counted.")
