"""Cold `advisor quote` wall time with every feed provider imported: thousands of offerings.

Builds SkyPilot-style `vms.csv` feeds for 30 clouds from the real rows in
tests/fixtures/skypilot/ (AWS, Lambda, RunPod): each row is copied under new instance-type
names and prices scaled by a seeded factor, so the hardware mix is the real one and the count
is what a full import gives. They go through the real importer (`advisor catalog import
skypilot --write`, which is timed too) into a team catalog, then a fresh process runs
`advisor --config … quote --model 70b --ctx 8k` (top 10) and the same with `--all`.
Targets (issue 19): under 1 s and under 3 s on the 2-core machine.
Usage: python benchmarks/bench_feed_scale.py [OFFERINGS] [RUNS]. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FEEDS = REPO_ROOT / "tests" / "fixtures" / "skypilot"
SOURCES = ("aws", "lambda", "runpod")
CLOUDS = 30


def feed_rows(cloud: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO((FEEDS / cloud / "vms.csv").read_text(encoding="utf-8")))
    header = next(reader)
    return header, list(reader)


def write_feeds(folder: Path, offerings: int, seed: int = 19) -> list[Path]:
    """`offerings` instance types spread over CLOUDS feed files (one per cloud folder)."""
    rng = random.Random(seed)
    per_cloud = max(1, offerings // CLOUDS)
    paths = []
    for c in range(CLOUDS):
        base = SOURCES[c % len(SOURCES)]
        header, rows = feed_rows(base)
        col = {name: i for i, name in enumerate(header)}
        types = sorted({r[col["InstanceType"]] for r in rows if r[col["AcceleratorName"]]})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for k in range(per_cloud):
            original = types[k % len(types)]
            factor = rng.uniform(0.6, 1.6)
            for row in (r for r in rows if r[col["InstanceType"]] == original):
                copy = list(row)
                copy[col["InstanceType"]] = f"{original}-c{c}v{k}"
                for name in ("Price", "SpotPrice"):
                    if copy[col[name]]:
                        copy[col[name]] = f"{float(copy[col[name]]) * factor:.4f}"
                writer.writerow(copy)
        path = folder / str(c) / base / "vms.csv"
        path.parent.mkdir(parents=True)
        path.write_text(out.getvalue(), encoding="utf-8")
        paths.append(path)
    return paths


def wall_s(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1]}")
    return time.perf_counter() - started


def main(offerings: int, runs: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    advisor = [sys.executable, "-m", "advisor"]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO_ROOT / "advisor")], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env["ADVISOR_CACHE_DIR"] = str(root / "cache")
        feeds = write_feeds(root / "feeds", offerings)
        prices = root / "prices"
        prices.mkdir()
        config = root / "advisor.toml"
        config.write_text('catalogs = ["prices"]\n', encoding="utf-8")
        command = [*advisor, "--no-discover", "catalog", "import", "skypilot", *map(str, feeds),
                   "--as-of", "2026-12-07", "--write", str(prices), "--format", "json"]
        imported = wall_s(command, root, env)
        count = sum(f.read_text(encoding="utf-8").count("[[offering]]") for f in prices.glob("*.toml"))
        print(f"{len(feeds)} feeds -> {count} offerings imported in {imported:.2f} s")
        quote = [*advisor, "--no-discover", "--config", str(config), "quote", "--model", "70b", "--ctx", "8k"]
        shown = subprocess.run([*quote, "--all", "--format", "json"], cwd=root, env=env, capture_output=True,
                               text=True, check=True).stdout
        results = json.loads(shown)["results"]
        print(f"  --all lists {len(results)} results, {sum(r['feasible'] for r in results)} feasible")
        for label, extra in (("top 10", []), ("--all", ["--all"])):
            times = [wall_s([*quote, *extra], root, env) for _ in range(runs)]
            print(f"  cold quote 70b ctx 8k {label:7s} median {statistics.median(times):.2f} s  "
                  f"min {min(times):.2f} s  ({runs} runs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
