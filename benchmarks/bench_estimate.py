"""How many `advisor estimate --cases` cases one core evaluates per second, JSON I/O included.

    .venv/bin/python benchmarks/bench_estimate.py [--cases 20000] [--repeat 3]

Builds a deterministic mix of cases (dense and MoE models, 7 accelerators, TP 1–8, replicas,
closed loop, open loop and max throughput, a few bad cases), writes them as JSONL, then times
(1) the whole command in a fresh process (`python -m advisor estimate --cases FILE`, startup and
catalog loading included) and (2) the batch alone in this process (read, evaluate, write).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen3-32b", "gpt-oss-120b",
          "Llama-3.1-405B", "deepseek-v3", "gemma-2-27b")
GPUS = ("h100", "H200-SXM-141GB", "b200", "mi300x", "a100", "l40s", "gh200-96gb")


def make_cases(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        tp = rng.choice((1, 2, 4, 8))
        case = {"id": i, "model": rng.choice(MODELS), "gpu": rng.choice(GPUS), "tp": tp,
                "gpus": tp * rng.choice((1, 1, 2)), "weights": rng.choice(("bf16", "fp8", "int4")),
                "kv_dtype": rng.choice(("bf16", "fp8")), "isl": rng.choice((128, 1000, 4000)),
                "osl": rng.choice((128, 500, 1000)), "engine": rng.choice(("vllm", "sglang"))}
        mode = rng.random()
        if mode < 0.4:
            case["concurrency"] = rng.choice((1, 8, 64, 256))
        elif mode < 0.8:
            case["rate"] = rng.choice((0.5, 2.0, 10.0))
        if i % 97 == 0:
            case["tp"] = 3  # a bad case now and then: the batch must go on
        cases.append(case)
    return cases


def in_process(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of reading, evaluating and writing the batch."""
    from advisor.catalog.config import load_world
    from advisor.commands._estimate_lines import read_cases, run_cases

    world = load_world(discover=False)
    out = io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    run_cases(world, read_cases(str(path)), out)
    return time.perf_counter() - start, time.process_time() - cpu


def whole_command(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh `advisor estimate --cases` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "advisor", "--no-discover", "estimate",
                    "--cases", str(path), "--format", "jsonl"],
                   cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = make_cases(args.cases)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
        commands = [whole_command(path) for _ in range(args.repeat)]
        batches = [in_process(path) for _ in range(args.repeat)]
    errors = sum(1 for c in cases if c["tp"] == 3)
    n = args.cases
    print(f"cases: {n} ({errors} deliberately bad); best of {args.repeat}")
    for label, runs in (("whole command (fresh process, catalogs loaded)", commands),
                        ("batch only (read + evaluate + write JSONL)", batches)):
        wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
        print(f"{label}: {n / cpu:,.0f} cases/s per CPU-second ({cpu:.2f} s CPU), "
              f"{n / wall:,.0f} cases/s wall clock ({wall:.2f} s)")
    print("(one process = one core; on a busy machine the wall-clock rate is lower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
