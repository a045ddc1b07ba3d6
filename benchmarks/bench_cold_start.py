"""Cold-start wall time of `advisor quote --model 405b --ctx 32k --format json` against the floor
of `python -c "import pydantic, rich"`, in the same run, median of several interleaved runs.

Target: the quote takes at most 2.5× the floor. Usage: python benchmarks/bench_cold_start.py [RUNS]
Prints numbers only; no assertion (timings do not belong in tests). The package is byte-compiled
first, as `pip install` does (a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise
recompile every module on every run and measure the compiler).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
QUOTE = [sys.executable, "-m", "advisor", "quote", "--model", "405b", "--ctx", "32k", "--format", "json"]
FLOOR = [sys.executable, "-c", "import pydantic, rich"]


def wall_s(command: list[str], cwd: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(runs: int) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO_ROOT / "advisor")], check=True)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("ADVISOR_CONFIG", None)
    with tempfile.TemporaryDirectory() as cwd:  # no team config found from here
        wall_s(QUOTE, cwd, env)  # warm the OS file cache and .pyc files once
        quote, floor = [], []
        for _ in range(runs):
            floor.append(wall_s(FLOOR, cwd, env))
            quote.append(wall_s(QUOTE, cwd, env))
    q, f = statistics.median(quote), statistics.median(floor)
    print(f"python -c 'import pydantic, rich': median {f * 1e3:7.1f} ms over {runs} runs")
    print(f"advisor quote 405b 32k --format json: median {q * 1e3:7.1f} ms over {runs} runs")
    print(f"ratio {q / f:.2f}x (target <= 2.50x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
