#!/usr/bin/env bash
# Launch recipe by advisor 0.1.0 for quote AQ-37B96-94A44: qwen3-235b-a22b on acme/h100x8-a: 1 node(s) × 8 h100-sxm, 8× TP1·EP8, weights fp8, KV bf16
# Engine: SGLang 0.5.10 (the newest release these flags were checked against; --engine sglang@X.Y for another)
# Image: lmsysorg/sglang:v0.5.10
# Layout 8× TP1·EP8: 1 server(s) over 1 node(s) of 8 GPUs; weights fp8, KV cache bf16
# Context 32768 tokens: the quote's (8192 in + 1024 out per request)
# Batch cap 2048 per replica: efficiency entry hopper-sglang, the engine's default the estimate assumed
# Memory fraction 0.9: the quote's engine memory fraction; prefill chunk 8192 tokens: the performance model's
# Usage: on each node: NODE_RANK=0..0 bash THIS_FILE serve; then from a client: SERVER_ADDR=<server 1's node address> bash THIS_FILE bench
set -euo pipefail
MODEL="${MODEL:-Qwen/Qwen3-235B-A22B}"

serve() {
  case "${NODE_RANK:?set NODE_RANK to this node's index, 0 to 0}" in
    0)  # node 0: server 1
      python3 -m sglang.launch_server --model-path "$MODEL" --host 0.0.0.0 --port 8000 --tp-size 8 --dp-size 8 --enable-dp-attention --ep-size 8 --quantization fp8 --context-length 32768 --max-running-requests 16384 --mem-fraction-static 0.9 --chunked-prefill-size 8192
      ;;
    *) echo "NODE_RANK must be 0 to 0" >&2; exit 2 ;;
  esac
}

bench() {
  SERVER_ADDR="${SERVER_ADDR:?set SERVER_ADDR to the address of server 1 (node 0)}"
  # Load server 1 (8 GPUs, port 8000) with its share of the quoted load: concurrency 32, 8192 tokens in, 1024 out.
  # Predicted: output 1,272 tok/s (the whole deployment), TTFT 800 ms, TPOT 24.4 ms; error band prior, not fitted — no measurements
  # from efficiency entry hopper-sglang: fixture: hopper-vllm numbers under the SGLang name
  python3 -m sglang.bench_serving --backend sglang --host "$SERVER_ADDR" --port 8000 --model "$MODEL" --dataset-name random --random-input-len 8192 --random-output-len 1024 --random-range-ratio 1 --max-concurrency 32 --num-prompts 320 --output-file qwen3-235b-a22b-h100-sxm-sglang-s1.jsonl
  # or with AIPerf (pip install aiperf==0.13.0 on the client):
  # aiperf profile --model "$MODEL" --url "http://$SERVER_ADDR:8000" --endpoint-type completions --streaming --synthetic-input-tokens-mean 8192 --synthetic-input-tokens-stddev 0 --output-tokens-mean 1024 --output-tokens-stddev 0 --extra-inputs ignore_eos:true --concurrency 32 --request-count 320 --artifact-dir aiperf-qwen3-235b-a22b-h100-sxm-sglang-s1
  # Bring the result back: compare it with the model, then fit your own factors
  # advisor validate --data qwen3-235b-a22b-h100-sxm-sglang-s1.jsonl --model qwen3-235b-a22b --gpu h100-sxm --gpus 8 --tp 1 --pp 1 --ep 8 --engine sglang --weights fp8 --kv-dtype bf16
  # advisor calibrate qwen3-235b-a22b-h100-sxm-sglang-s1.jsonl --model qwen3-235b-a22b --gpu h100-sxm --gpus 8 --tp 1 --pp 1 --ep 8 --engine sglang --weights fp8 --kv-dtype bf16 --offering acme/h100x8-a -o calibration.toml
}

case "${1:-serve}" in
  serve) serve ;;
  bench) bench ;;
  *) echo "usage: NODE_RANK=N bash $0 serve | SERVER_ADDR=HOST bash $0 bench" >&2; exit 2 ;;
esac
