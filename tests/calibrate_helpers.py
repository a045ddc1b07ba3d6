"""Shared by the calibration tests: the measured-result fixtures, the flags that name what
they measured, and the calibrate command's JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.loaders import load_catalog_file
from advisor.cli import main

ROOT = Path(__file__).resolve().parent.parent
MEASURED = Path(__file__).parent / "fixtures" / "measured"
FIXTURE_FILES = [
    "vllm-infqps-concurrency16-Llama-3.1-8B-Instruct-20250612-101500.json",
    "vllm-sweep-append-result.json",
    "sglang_bench_serving.jsonl",
    "genai-perf/profile_export_genai_perf.json",
    "aiperf/profile_export_aiperf.json",
]
TEAM_FLAGS = ["--gpu", "h100", "--tp", "1", "--engine", "vllm", "--model", "llama-3.1-8b"]  # SGLang names no model


def calibrate_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["--no-discover", "calibrate", *args, "--as-of", "2026-03-01", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def catalog_entry(path: Path) -> Any:
    """The one entry of a written calibration file."""
    loaded = load_catalog_file(path)
    assert loaded.problems == ()
    (entry,) = loaded.entries
    return entry.value
