"""Shared by the recipe tests: quotes on the export fixture world plus tests/fixtures/recipe/
(a MoE model, a model without hf_repo, SGLang and TensorRT-LLM factors), rows forced onto an
expert-parallel layout with the core's own estimate, and a parser for every command a recipe
prints built from the documented flags in tests/fixtures/recipe/flags.json."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path
from typing import Any

from export_helpers import FIXTURE, fixture_quote, fixture_world

from advisor.core.deployment import Deployment
from advisor.core.serving import estimate
from advisor.core.types import Layout
from advisor.domain.engines import version_tuple
from advisor.quote.build import Quote

RECIPE_FIXTURES = Path(__file__).parent / "fixtures" / "recipe"
FLAGS = json.loads((RECIPE_FIXTURES / "flags.json").read_text(encoding="utf-8"))["programs"]


def recipe_quote(**raw: Any) -> Quote:
    """A quote on the export fixture world with the recipe fixture layered on top (run in FIXTURE)."""
    return fixture_quote(fixture_world((RECIPE_FIXTURES / "recipe.toml").resolve()), **raw)


def forced(quote: Quote, offering: str, layout: Layout) -> Quote:
    """`quote` with `offering`'s row moved onto `layout`, its estimate recomputed by the core."""
    results = []
    for r in quote.results:
        if r.offering.id == offering and r.candidate is not None and r.hardware is not None:
            c, hw = r.candidate, r.hardware
            d = Deployment(model=quote.model, accelerator=hw.accelerator, fabric=hw.fabric_for(layout),
                           layout=layout, precision=c.precision, load=c.load, factors=hw.efficiency)
            est = estimate(d, tenancy_factor=hw.tenancy_factor, memory_fraction=quote.engine_memory_fraction)
            assert est.fits, layout
            r = r._replace(candidate=c._replace(layout=layout, estimate=est))
        results.append(r)
    return quote._replace(results=tuple(results))


PREFIXES = {
    ("vllm", "serve"): "vllm serve", ("vllm", "bench", "serve"): "vllm bench serve",
    ("python3", "benchmarks/benchmark_serving.py"): "benchmarks/benchmark_serving.py",
    ("python3", "-m", "sglang.launch_server"): "sglang.launch_server",
    ("python3", "-m", "sglang.bench_serving"): "sglang.bench_serving",
    ("trtllm-serve",): "trtllm-serve", ("aiperf", "profile"): "aiperf profile",
}


def _program(argv: list[str]) -> tuple[str, list[str]]:
    """(program name in flags.json, its arguments) of one command line."""
    if argv[0] == "mpirun":
        at = argv.index("trtllm-llmapi-launch")
        assert argv[1:at] == ["--allow-run-as-root", "-H", argv[3], "-n", argv[5]] and argv[5].isdigit(), argv
        argv = argv[at + 1:]
    for prefix, name in sorted(PREFIXES.items(), key=lambda item: -len(item[0])):
        if tuple(argv[:len(prefix)]) == prefix:
            return name, argv[len(prefix):]
    raise AssertionError(f"no documented program for {argv[:3]}")


def parser_for(program: str, version: str) -> argparse.ArgumentParser:
    """An argparse parser holding the flags `program` has in `version` (types and choices too)."""
    spec = FLAGS[program]
    parser = argparse.ArgumentParser(prog=program, allow_abbrev=False, add_help=False, exit_on_error=False)
    parser.error = _raise  # type: ignore[method-assign]
    for name in spec["positional"]:
        parser.add_argument(name)
    types = {"int": int, "float": float, "str": str}
    for flag, (kind, choices, since) in spec["flags"].items():
        if spec["engine"] != "any" and version_tuple(version) < version_tuple(since):
            continue
        if kind == "flag":
            parser.add_argument(flag, action="store_true")
        elif kind == "list":
            parser.add_argument(flag, nargs="+")
        else:
            parser.add_argument(flag, type=types[kind], choices=choices)
    return parser


def _raise(message: str) -> None:
    raise argparse.ArgumentError(None, message)


def commands(text: str) -> list[list[str]]:
    """Every engine, benchmark and advisor command line a recipe carries (commented ones too)."""
    found = []
    starts = ("vllm ", "python3 -m sglang", "python3 benchmarks/", "trtllm-serve", "mpirun", "aiperf ",
              "advisor ")
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip()
        line = re.sub(r"^(?:CUDA|HIP)_VISIBLE_DEVICES=\S+ ", "", line).removesuffix(" &")
        if line.startswith(starts):
            found.append(shlex.split(line))
    return found


def check_commands(text: str, version: str) -> int:
    """Parse every command of a recipe with the documented parser; returns how many were checked."""
    checked = 0
    for argv in commands(text):
        if argv[0] == "advisor":
            continue
        program, args = _program(argv)
        engine = FLAGS[program]["engine"]
        if program == "benchmarks/benchmark_serving.py":  # run from the checkout the recipe names
            found = re.search(r"source checkout at tag v(\d+\.\d+\.\d+)", text)
            assert found, "the recipe names no vLLM checkout for benchmark_serving.py"
            version = found.group(1)
        try:
            _, unknown = parser_for(program, version if engine != "any" else "0").parse_known_args(args)
        except (argparse.ArgumentError, SystemExit) as err:
            raise AssertionError(f"{program} {version} rejects {shlex.join(args)}: {err}") from None
        assert not unknown, f"{program} {version} has no {unknown} ({shlex.join(args)})"
        checked += 1
    return checked


def version_of(text: str) -> str:
    found = re.search(r"^# Engine: \S+ (\d+\.\d+\.\d+)", text, re.M)
    assert found, "the recipe names no engine release"
    return found.group(1)


def in_fixture() -> None:
    import os

    os.chdir(FIXTURE)

