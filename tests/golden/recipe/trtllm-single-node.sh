#!/usr/bin/env bash
# Launch recipe by advisor 0.1.0 for quote AQ-DF340-70A6E: qwen3-235b-a22b on acme/h100x8-a: 1 node(s) × 8 h100-sxm, 1× TP4·PP2, weights bf16, KV fp8
# Engine: TensorRT-LLM 1.2.1 (the newest release these flags were checked against; --engine trtllm@X.Y for another)
# Image: nvcr.io/nvidia/tensorrt-llm/release:1.2.1
# Layout 1× TP4·PP2: 1 server(s) over 1 node(s) of 8 GPUs; weights bf16, KV cache fp8
# Context 32768 tokens: the quote's (8192 in + 1024 out per request)
# Batch cap 2048 per replica: efficiency entry hopper-trtllm, the engine's default the estimate assumed
# Memory fraction 0.9: the quote's engine memory fraction; prefill chunk 8192 tokens: the performance model's
# Usage: on each node: NODE_RANK=0..0 bash THIS_FILE serve; then from a client: SERVER_ADDR=<server 1's node address> bash THIS_FILE bench
set -euo pipefail
MODEL="${MODEL:-Qwen/Qwen3-235B-A22B}"

serve() {
  case "${NODE_RANK:?set NODE_RANK to this node's index, 0 to 0}" in
    0)  # node 0: server 1
      cat > advisor-trtllm-options.yaml <<'EOF'
      enable_chunked_prefill: true
      kv_cache_config:
        dtype: fp8
      EOF
      trtllm-serve "$MODEL" --host 0.0.0.0 --port 8000 --backend pytorch --tp_size 4 --pp_size 2 --max_batch_size 2048 --max_num_tokens 8192 --max_seq_len 32768 --kv_cache_free_gpu_memory_fraction 0.9 --extra_llm_api_options advisor-trtllm-options.yaml
      ;;
    *) echo "NODE_RANK must be 0 to 0" >&2; exit 2 ;;
  esac
}

bench() {
  SERVER_ADDR="${SERVER_ADDR:?set SERVER_ADDR to the address of server 1 (node 0)}"
  # Load server 1 (8 GPUs, port 8000) with its share of the quoted load: concurrency 32, 8192 tokens in, 1024 out.
  # Predicted: output 613 tok/s (the whole deployment), TTFT 449 ms, TPOT 51.8 ms; error band ±25 % (cross-validated on 473 rows)
  # from efficiency entry hopper-trtllm: fixture: copy of the built-in hopper-trtllm entry
  # pip install aiperf==0.13.0 on the client
  aiperf profile --model "$MODEL" --url "http://$SERVER_ADDR:8000" --endpoint-type completions --streaming --synthetic-input-tokens-mean 8192 --synthetic-input-tokens-stddev 0 --output-tokens-mean 1024 --output-tokens-stddev 0 --extra-inputs ignore_eos:true --concurrency 32 --request-count 320 --artifact-dir aiperf-qwen3-235b-a22b-h100-sxm-trtllm-s1
  # Bring the result back: compare it with the model, then fit your own factors
  # advisor validate --data aiperf-qwen3-235b-a22b-h100-sxm-trtllm-s1/profile_export_aiperf.json --model qwen3-235b-a22b --gpu h100-sxm --gpus 8 --tp 4 --pp 2 --ep 1 --engine trtllm --weights bf16 --kv-dtype fp8
  # advisor calibrate aiperf-qwen3-235b-a22b-h100-sxm-trtllm-s1/profile_export_aiperf.json --model qwen3-235b-a22b --gpu h100-sxm --gpus 8 --tp 4 --pp 2 --ep 1 --engine trtllm --weights bf16 --kv-dtype fp8 --offering acme/h100x8-a -o calibration.toml
}

case "${1:-serve}" in
  serve) serve ;;
  bench) bench ;;
  *) echo "usage: NODE_RANK=N bash $0 serve | SERVER_ADDR=HOST bash $0 bench" >&2; exit 2 ;;
esac
