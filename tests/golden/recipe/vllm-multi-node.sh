#!/usr/bin/env bash
# Launch recipe by advisor 0.1.0 for quote AQ-A3D20-89A0E: llama-3.1-405b on fabrikam/h100x4-ib: 4 node(s) × 4 h100-sxm, 1× TP4·PP4, weights fp8, KV bf16
# Engine: vLLM 0.34.0 (the newest release these flags were checked against; --engine vllm@X.Y for another)
# Image: vllm/vllm-openai:v0.34.0
# Layout 1× TP4·PP4: 1 server(s) over 4 node(s) of 4 GPUs; weights fp8, KV cache bf16
# Context 32768 tokens: the quote's (8192 in + 1024 out per request)
# Batch cap 1024 per replica: efficiency entry hopper-vllm, the engine's default the estimate assumed
# Memory fraction 0.9: the quote's engine memory fraction; prefill chunk 8192 tokens: the performance model's
# Usage: on each node: NODE_RANK=0..3 bash THIS_FILE serve; then from a client: SERVER_ADDR=<server 1's node address> bash THIS_FILE bench
set -euo pipefail
MODEL="${MODEL:-meta-llama/Llama-3.1-405B}"

serve() {
  case "${NODE_RANK:?set NODE_RANK to this node's index, 0 to 3}" in
    0)  # node 0: server 1
      HEAD_ADDR="${HEAD_ADDR:?set HEAD_ADDR to the address of node 0}"
      vllm serve "$MODEL" --host 0.0.0.0 --port 8000 --tensor-parallel-size 4 --pipeline-parallel-size 4 --quantization fp8 --max-model-len 32768 --max-num-seqs 1024 --gpu-memory-utilization 0.9 --max-num-batched-tokens 8192 --distributed-executor-backend mp --nnodes 4 --node-rank 0 --master-addr "$HEAD_ADDR"
      ;;
    1)  # node 1: server 1
      HEAD_ADDR="${HEAD_ADDR:?set HEAD_ADDR to the address of node 0}"
      vllm serve "$MODEL" --host 0.0.0.0 --port 8000 --tensor-parallel-size 4 --pipeline-parallel-size 4 --quantization fp8 --max-model-len 32768 --max-num-seqs 1024 --gpu-memory-utilization 0.9 --max-num-batched-tokens 8192 --distributed-executor-backend mp --nnodes 4 --node-rank 1 --master-addr "$HEAD_ADDR" --headless
      ;;
    2)  # node 2: server 1
      HEAD_ADDR="${HEAD_ADDR:?set HEAD_ADDR to the address of node 0}"
      vllm serve "$MODEL" --host 0.0.0.0 --port 8000 --tensor-parallel-size 4 --pipeline-parallel-size 4 --quantization fp8 --max-model-len 32768 --max-num-seqs 1024 --gpu-memory-utilization 0.9 --max-num-batched-tokens 8192 --distributed-executor-backend mp --nnodes 4 --node-rank 2 --master-addr "$HEAD_ADDR" --headless
      ;;
    3)  # node 3: server 1
      HEAD_ADDR="${HEAD_ADDR:?set HEAD_ADDR to the address of node 0}"
      vllm serve "$MODEL" --host 0.0.0.0 --port 8000 --tensor-parallel-size 4 --pipeline-parallel-size 4 --quantization fp8 --max-model-len 32768 --max-num-seqs 1024 --gpu-memory-utilization 0.9 --max-num-batched-tokens 8192 --distributed-executor-backend mp --nnodes 4 --node-rank 3 --master-addr "$HEAD_ADDR" --headless
      ;;
    *) echo "NODE_RANK must be 0 to 3" >&2; exit 2 ;;
  esac
}

bench() {
  SERVER_ADDR="${SERVER_ADDR:?set SERVER_ADDR to the address of server 1 (node 0)}"
  # Load server 1 (16 GPUs, port 8000) with its share of the quoted load: concurrency 32, 8192 tokens in, 1024 out.
  # Predicted: output 369 tok/s (the whole deployment), TTFT 2,320 ms, TPOT 84.6 ms; error band prior, not fitted — no measurements
  # from efficiency entry hopper-vllm: fixture: copy of the built-in hopper-vllm prior; for this release: async scheduling is on by default from vLLM 0.14.0 (January 2026; vllm-project/vllm#27614, as deepjavalibrary/djl#3833 notes): the host schedules step n+1 while the GPU runs step n
  vllm bench serve --backend vllm --host "$SERVER_ADDR" --port 8000 --model "$MODEL" --dataset-name random --random-input-len 8192 --random-output-len 1024 --ignore-eos --max-concurrency 32 --num-prompts 320 --save-result --result-filename llama-3.1-405b-h100-sxm-vllm-s1.json --metadata model=llama-3.1-405b gpu=h100-sxm gpus=16 tp=4 pp=4 ep=1 engine=vllm weights=fp8 kv_dtype=bf16
  # or with AIPerf (pip install aiperf==0.13.0 on the client):
  # aiperf profile --model "$MODEL" --url "http://$SERVER_ADDR:8000" --endpoint-type completions --streaming --synthetic-input-tokens-mean 8192 --synthetic-input-tokens-stddev 0 --output-tokens-mean 1024 --output-tokens-stddev 0 --extra-inputs ignore_eos:true --concurrency 32 --request-count 320 --artifact-dir aiperf-llama-3.1-405b-h100-sxm-vllm-s1
  # Bring the result back: compare it with the model, then fit your own factors
  # advisor validate --data llama-3.1-405b-h100-sxm-vllm-s1.json --model llama-3.1-405b --gpu h100-sxm --gpus 16 --tp 4 --pp 4 --ep 1 --engine vllm --weights fp8 --kv-dtype bf16
  # advisor calibrate llama-3.1-405b-h100-sxm-vllm-s1.json --model llama-3.1-405b --gpu h100-sxm --gpus 16 --tp 4 --pp 4 --ep 1 --engine vllm --weights fp8 --kv-dtype bf16 --offering fabrikam/h100x4-ib -o calibration.toml
}

case "${1:-serve}" in
  serve) serve ;;
  bench) bench ;;
  *) echo "usage: NODE_RANK=N bash $0 serve | SERVER_ADDR=HOST bash $0 bench" >&2; exit 2 ;;
esac
