"""The Hugging Face `config.json` keys `advisor models import` knows: those it maps onto a
model profile, and those that do not change memory or time (norm epsilons, RoPE settings,
token ids, router scoring, training switches). Any other key is refused by name, so a new
architecture field is never silently guessed at.
"""

from __future__ import annotations

# Keys read by advisor.catalog.hf_config (shape, attention pattern, MoE, MLA, DSA, linear).
MAPPED = frozenset({
    "architectures", "model_type", "text_config", "num_hidden_layers", "hidden_size",
    "intermediate_size", "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",
    "tie_word_embeddings", "max_position_embeddings", "torch_dtype", "dtype",
    "quantization_config", "sliding_window", "use_sliding_window", "max_window_layers",
    "layer_types", "sliding_window_pattern", "attention_chunk_size", "no_rope_layers",
    "num_local_experts", "num_experts", "n_routed_experts", "num_experts_per_tok",
    "experts_per_token", "n_shared_experts", "shared_expert_intermediate_size",
    "moe_intermediate_size", "first_k_dense_replace", "decoder_sparse_step", "mlp_only_layers",
    "moe_layer_freq", "interleave_moe_layer_step", "intermediate_size_mlp",
    "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim",
    "index_topk", "index_n_heads", "index_head_dim",
    "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
    "linear_value_head_dim", "linear_conv_kernel_dim", "full_attention_interval",
    "attn_type_list", "shared_intermediate_size", "vision_config", "num_nextn_predict_layers",
    "moe_layers",
})

# Keys that do not change weights, KV or step time as advisor models them.
IGNORED = frozenset({
    "_name_or_path", "auto_map", "transformers_version", "bos_token_id", "eos_token_id",
    "pad_token_id", "use_cache", "initializer_range", "initializer_factor", "rms_norm_eps",
    "layer_norm_eps", "layer_norm_epsilon", "norm_eps", "rope_theta", "rope_scaling",
    "rope_parameters", "rope_local_base_freq", "partial_rotary_factor", "rope_interleave",
    "rotary_dim", "attention_dropout", "hidden_dropout", "dropout", "hidden_act",
    "hidden_activation", "mlp_bias", "attention_bias", "pretraining_tp", "router_aux_loss_coef",
    "output_router_logits", "router_jitter_noise", "norm_topk_prob", "routed_scaling_factor",
    "scoring_func", "topk_method", "n_group", "topk_group", "aux_loss_alpha", "seq_aux",
    "ep_size", "use_qk_norm", "qk_layernorm", "query_pre_attn_scalar", "attn_logit_softcapping",
    "final_logit_softcapping", "cache_implementation", "swiglu_limit", "head_dim_original",
    "image_token_index", "boi_token_index", "eoi_token_index", "mm_tokens_per_image",
    "initializer_std", "moe_router_enable_expert_bias", "router_bias", "attention_sink",
    "layernorm_full_attention_alpha", "layernorm_full_attention_beta",
    "layernorm_linear_attention_alpha", "layernorm_linear_attention_beta",
    "layernorm_mlp_alpha", "layernorm_mlp_beta", "postnorm", "block_size", "shared_moe_mode",
    "use_mtp", "num_mtp_modules", "mtp_transformer_layers", "qk_norm_type", "use_routing_bias",
    "residual_dropout", "embedding_dropout", "resid_pdrop", "attention_out_bias", "tie_word_embedding",
    "decoder_start_token_id", "sep_token_id", "is_encoder_decoder", "bias", "mtp_num_hidden_layers",
    "output_attentions", "output_hidden_states", "return_dict", "torchscript", "max_length",
    "use_bfloat16", "chunk_size_feed_forward", "problem_type", "tokenizer_class",
    "attn_implementation", "id2label", "label2id", "task_specific_params", "rope_type",
    "original_max_position_embeddings", "router_dtype", "expert_bias",
    "image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id",
    "multimodal_projector_bias", "projector_hidden_act", "spatial_merge_size",
    "vision_feature_layer", "image_seq_length", "_attn_implementation_autoset",
    "attn_scale", "attn_temperature_tuning", "floor_scale", "for_llm_compressor", "embd_pdrop",
    "initial_context_length",
})
