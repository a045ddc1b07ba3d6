"""Built-in names: aliases unique across entries, the calibration set's names and the CLI
shorthands resolve to the intended entries, and the shipped calibration set's names match the
shared one's."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from advisor.domain import normalize_name

BENCHMARKS = Path("/work/shared/calibration/benchmarks.csv")

# Names used in /work/shared/calibration/benchmarks.csv (model and gpu columns).
BENCHMARK_MODELS = ["DeepSeek-R1", "DeepSeek-R1-0528", "GPT-OSS-120B", "GPT-OSS-20B", "Llama-3.1-405B",
                    "Llama-3.1-70B", "Llama-3.1-8B", "Llama-3.3-70B", "Llama-4-Maverick-17B-128E",
                    "Mistral-7B", "Mixtral-8x22B", "Mixtral-8x7B", "Qwen3-235B-A22B", "Qwen3-30B-A3B"]
BENCHMARK_GPUS = ["A100-SXM4-80GB", "B200-180GB", "GB200", "GH200-96GB", "H100-SXM-80GB", "H200-SXM-141GB",
                  "L40S-48GB", "RTX-PRO-6000-Blackwell-96GB"]


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    from advisor.catalog.config import load_world

    return load_world(discover=False)


def _entries(world: Any, kind: str) -> Any:
    return (world.models if kind == "model" else world.accelerators).values()


def _alias_owners(entries: list[Any]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for e in entries:
        for name in (e.id, e.name, *e.aliases):
            owners.setdefault(normalize_name(name), set()).add(e.id)
    return owners


@pytest.mark.parametrize("kind", ["model", "accelerator"])
def test_aliases_unique_across_entries(world, kind: str) -> None:  # type: ignore[no-untyped-def]
    clashes = {k: v for k, v in _alias_owners(list(_entries(world, kind))).items() if len(v) > 1}
    assert not clashes


def test_benchmark_names_resolve(world) -> None:  # type: ignore[no-untyped-def]
    models = {n: world.model(n).id for n in BENCHMARK_MODELS}
    gpus = {n: world.accelerator(n).id for n in BENCHMARK_GPUS}
    assert models == {"Llama-3.1-405B": "llama-3.1-405b", "Llama-3.1-70B": "llama-3.1-70b",
                      "Llama-3.1-8B": "llama-3.1-8b", "Mistral-7B": "mistral-7b-v0.1",
                      "Mixtral-8x22B": "mixtral-8x22b", "Mixtral-8x7B": "mixtral-8x7b",
                      "DeepSeek-R1": "deepseek-r1", "DeepSeek-R1-0528": "deepseek-r1",
                      "GPT-OSS-120B": "gpt-oss-120b", "GPT-OSS-20B": "gpt-oss-20b",
                      "Llama-3.3-70B": "llama-3.3-70b", "Llama-4-Maverick-17B-128E": "llama-4-maverick",
                      "Qwen3-235B-A22B": "qwen3-235b-a22b", "Qwen3-30B-A3B": "qwen3-30b-a3b"}
    assert gpus == {"A100-SXM4-80GB": "a100-80gb-sxm", "GH200-96GB": "gh200-96gb",
                    "H100-SXM-80GB": "h100-sxm", "H200-SXM-141GB": "h200-sxm", "L40S-48GB": "l40s",
                    "B200-180GB": "b200", "GB200": "gb200", "RTX-PRO-6000-Blackwell-96GB": "rtx-pro-6000"}


@pytest.mark.parametrize(("name", "model_id"), [
    ("405b", "llama-3.1-405b"), ("70b", "llama-3.1-70b"), ("8b", "llama-3.1-8b"),
    ("llama-3.1-405b", "llama-3.1-405b"), ("Llama-3.1-405B", "llama-3.1-405b"),
    ("LLAMA 3.1 405B", "llama-3.1-405b"), ("Llama-3.1-70B-Instruct", "llama-3.1-70b"),
    ("Llama-3.1-405B-Instruct-FP8", "llama-3.1-405b"), ("7b", "llama-2-7b"),
    ("DeepSeek-R1", "deepseek-r1"), ("qwen3_30b_a3b", "qwen3-30b-a3b"),
])
def test_model_shorthands(world, name: str, model_id: str) -> None:  # type: ignore[no-untyped-def]
    assert world.model(name).id == model_id


@pytest.mark.parametrize(("name", "gpu_id"), [
    ("H100", "h100-sxm"), ("h100-sxm5", "h100-sxm"), ("H100 PCIe", "h100-pcie"), ("B200", "b200"),
    ("MI300X", "mi300x"), ("H200", "h200-sxm"), ("A100", "a100-80gb-sxm"), ("GH200", "gh200-96gb"),
])
def test_gpu_shorthands(world, name: str, gpu_id: str) -> None:  # type: ignore[no-untyped-def]
    assert world.accelerator(name).id == gpu_id


def test_embedded_benchmark_names_match_the_file() -> None:
    embedded = Path(__file__).parents[1] / "profiles" / "benchmarks.csv"
    with embedded.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted({r["model"] for r in rows}) == sorted(BENCHMARK_MODELS)
    assert sorted({r["gpu"] for r in rows}) == sorted(BENCHMARK_GPUS)
    if not BENCHMARKS.exists():
        pytest.skip("the shared calibration set is not beside this checkout")
    with BENCHMARKS.open(newline="") as f:
        shared = list(csv.DictReader(f))
    # The shipped set is the part of the shared one the factors were fitted on; the shared set
    # grows as measurements are collected.
    assert {r["model"] for r in rows} <= {r["model"] for r in shared}
    assert {r["gpu"] for r in rows} <= {r["gpu"] for r in shared}
