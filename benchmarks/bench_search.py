"""In-process search speed: the built-in catalog for a few requests, and 10,000 synthetic offerings.

Targets: one request over the whole built-in catalog under 50 ms; 10,000 offerings
under 2 s. The per-request lines are repeated searches in one process (the core's setup cache
already holds the model's setups, as in the TUI after its first quote); the "first search" line
is the one search of a fresh interpreter (as in `advisor quote`; its modules already imported),
where every plan is built. The synthetic offerings copy the built-in ones with new ids, providers, prices,
tenancies and regions (seeded), because search cost depends on distinct hardware, not price.
Usage: python benchmarks/bench_search.py [RUNS]. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from advisor.catalog.config import load_world
from advisor.catalog.world import World
from advisor.quote.build import build_quote
from advisor.search.request import build_request

REQUESTS = {
    "405b ctx 32k (defaults)": {"model": "405b", "max_context": 32768},
    "405b ctx 32k TPOT 50 ms": {"model": "405b", "max_context": 32768, "tpot_s": 0.05},
    "70b preset chat": {"model": "70b", "preset": "chat"},
    "8b at 8 req/s": {"model": "8b", "request_rate": 8.0, "max_context": 8192},
}
TENANCIES = ("bare-metal", "vm", "container")


def timed(request: object, world: World, runs: int) -> tuple[float, float, object]:
    build_quote(request, world)  # type: ignore[arg-type]  # warm caches (model shapes, alias index)
    times = []
    quote = None
    for _ in range(runs):
        started = time.perf_counter()
        quote = build_quote(request, world)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), quote


def synthetic(world: World, count: int, seed: int = 4) -> World:
    rng = random.Random(seed)
    base = sorted(world.offerings.values(), key=lambda o: o.id)
    offerings = {}
    for i in range(count):
        o = rng.choice(base)
        clone = dataclasses.replace(
            o,
            id=f"synthetic-{i % 97}/{i:05d}",
            provider=f"Synthetic {i % 97}",
            price_per_node_hour=round(o.price_per_node_hour * rng.uniform(0.5, 1.5), 2),
            tenancy=rng.choice(TENANCIES) if o.tenancy != "vgpu" else o.tenancy,
            regions=(rng.choice(("us-east", "eu-west", "ap-south")),),
        )
        offerings[clone.id] = clone
    return world._replace(offerings=offerings)


FIRST_SEARCH = """
import json, sys, time
from advisor.catalog.config import load_world
from advisor.quote.build import build_quote
from advisor.search.request import build_request
from advisor.search.space import core_physics
world = load_world(discover=False)
request = build_request(world, **json.loads(sys.argv[1]))
core_physics()  # imports the core's modules: module loading is not search time
started = time.perf_counter()
build_quote(request, world)
print(time.perf_counter() - started)
"""


def first_search(fields: dict[str, object], runs: int) -> tuple[float, float]:
    """The first search of a fresh interpreter, median and min."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    times = [float(subprocess.run([sys.executable, "-c", FIRST_SEARCH, json.dumps(fields)], env=env,
                                  check=True, capture_output=True, text=True).stdout)
             for _ in range(runs)]
    return statistics.median(times), min(times)


def main(runs: int) -> None:
    world = load_world(discover=False)
    print(f"built-in catalog: {len(world.offerings)} offerings, median of {runs} runs")
    for label, fields in REQUESTS.items():
        request = build_request(world, **fields)
        median, best, quote = timed(request, world, runs)
        stats = quote.stats  # type: ignore[attr-defined]
        print(f"  {label:28s} median {median * 1e3:7.1f} ms  min {best * 1e3:7.1f} ms  "
              f"({len(quote.feasible)} feasible, {stats.hardware} hardware, {stats.estimates} core estimates)")  # type: ignore[attr-defined]
    fields = REQUESTS["405b ctx 32k (defaults)"]
    median, best = first_search(fields, max(3, runs // 2))
    print(f"  {'first search, fresh process':28s} median {median * 1e3:7.1f} ms  min {best * 1e3:7.1f} ms  "
          "(405b ctx 32k, nothing memoized yet)")
    big = synthetic(world, 10_000)
    request = build_request(big, model="405b", max_context=32768)
    median, best, quote = timed(request, big, max(1, runs // 5))
    stats = quote.stats  # type: ignore[attr-defined]
    print(f"10,000 synthetic offerings, 405b ctx 32k: median {median:.2f} s  min {best:.2f} s  "
          f"({len(quote.feasible)} feasible, {stats.hardware} hardware, {stats.estimates} core estimates)")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
