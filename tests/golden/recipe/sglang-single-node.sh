#!/usr/bin/env bash
# Launch recipe by advisor 0.1.0 for quote AQ-4D4D9-623D9: llama-3.1-405b on acme/h100x8-a: 4 node(s) × 8 h100-sxm, 4× TP8, weights fp8, KV bf16
# Engine: SGLang 0.5.10 (the newest release these flags were checked against; --engine sglang@X.Y for another)
# Image: lmsysorg/sglang:v0.5.10
# Layout 4× TP8: 4 server(s) over 4 node(s) of 8 GPUs; weights fp8, KV cache bf16
# Context 32768 tokens: the quote's (8192 in + 1024 out per request)
# Batch cap 2048 per replica: efficiency entry hopper-sglang, the engine's default the estimate assumed
# Memory fraction 0.9: the quote's engine memory fraction; prefill chunk 8192 tokens: the performance model's
# Usage: on each node: NODE_RANK=0..3 bash THIS_FILE serve; then from a client: SERVER_ADDR=<server 1's node address> bash THIS_FILE bench
set -euo pipefail
MODEL="${MODEL:-meta-llama/Llama-3.1-405B}"

serve() {
  case "${NODE_RANK:?set NODE_RANK to this node's index, 0 to 3}" in
    0)  # node 0: server 1
      python3 -m sglang.launch_server --model-path "$MODEL" --host 0.0.0.0 --port 8000 --tp-size 8 --quantization fp8 --context-length 32768 --max-running-requests 2048 --mem-fraction-static 0.9 --chunked-prefill-size 8192
      ;;
    1)  # node 1: server 2
      python3 -m sglang.launch_server --model-path "$MODEL" --host 0.0.0.0 --port 8000 --tp-size 8 --quantization fp8 --context-length 32768 --max-running-requests 2048 --mem-fraction-static 0.9 --chunked-prefill-size 8192
      ;;
    2)  # node 2: server 3
      python3 -m sglang.launch_server --model-path "$MODEL" --host 0.0.0.0 --port 8000 --tp-size 8 --quantization fp8 --context-length 32768 --max-running-requests 2048 --mem-fraction-static 0.9 --chunked-prefill-size 8192
      ;;
    3)  # node 3: server 4
      python3 -m sglang.launch_server --model-path "$MODEL" --host 0.0.0.0 --port 8000 --tp-size 8 --quantization fp8 --context-length 32768 --max-running-requests 2048 --mem-fraction-static 0.9 --chunked-prefill-size 8192
      ;;
    *) echo "NODE_RANK must be 0 to 3" >&2; exit 2 ;;
  esac
}

bench() {
  SERVER_ADDR="${SERVER_ADDR:?set SERVER_ADDR to the address of server 1 (node 0)}"
  # Load server 1 (8 GPUs, port 8000) with its share of the quoted load: concurrency 8, 8192 tokens in, 1024 out.
  # Predicted: output 204 tok/s (server 1 of 4; the deployment: 816 tok/s), TTFT 1,320 ms, TPOT 38.0 ms; error band prior, not fitted — no measurements
  # from efficiency entry hopper-sglang: fixture: hopper-vllm numbers under the SGLang name
  python3 -m sglang.bench_serving --backend sglang --host "$SERVER_ADDR" --port 8000 --model "$MODEL" --dataset-name random --random-input-len 8192 --random-output-len 1024 --random-range-ratio 1 --max-concurrency 8 --num-prompts 100 --output-file llama-3.1-405b-h100-sxm-sglang-s1.jsonl
  # or with AIPerf (pip install aiperf==0.13.0 on the client):
  # aiperf profile --model "$MODEL" --url "http://$SERVER_ADDR:8000" --endpoint-type completions --streaming --synthetic-input-tokens-mean 8192 --synthetic-input-tokens-stddev 0 --output-tokens-mean 1024 --output-tokens-stddev 0 --extra-inputs ignore_eos:true --concurrency 8 --request-count 100 --artifact-dir aiperf-llama-3.1-405b-h100-sxm-sglang-s1
  # Bring the result back: compare it with the model, then fit your own factors
  # advisor validate --data llama-3.1-405b-h100-sxm-sglang-s1.jsonl --model llama-3.1-405b --gpu h100-sxm --gpus 8 --tp 8 --pp 1 --ep 1 --engine sglang --weights fp8 --kv-dtype bf16
  # advisor calibrate llama-3.1-405b-h100-sxm-sglang-s1.jsonl --model llama-3.1-405b --gpu h100-sxm --gpus 8 --tp 8 --pp 1 --ep 1 --engine sglang --weights fp8 --kv-dtype bf16 --offering acme/h100x8-a -o calibration.toml
}

case "${1:-serve}" in
  serve) serve ;;
  bench) bench ;;
  *) echo "usage: NODE_RANK=N bash $0 serve | SERVER_ADDR=HOST bash $0 bench" >&2; exit 2 ;;
esac
