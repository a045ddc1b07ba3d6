"""Engine defaults that changed inside a fitted release range (vLLM's async scheduling from 0.14),
and a run's own statement of them in its notes, by hand."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from core_fixtures import H100, LLAMA_70B, factors

from advisor.core.efficiency import select
from advisor.core.scoring import parse_row, run_for
from advisor.domain import EfficiencyFactors
from advisor.domain.engines import behaviours


def _vllm(**kw: Any) -> EfficiencyFactors:
    return dataclasses.replace(factors("vllm"), id="h-vllm", versions=">=0.8", t_seq_s=30e-6, **kw)


def test_newest_vllm_overlaps_host_and_gpu_older_does_not() -> None:
    entry = _vllm()
    assert not entry.host_overlap
    newest = select([entry], H100, "vllm")
    assert newest.host_overlap and "27614" in newest.notes and "async scheduling" in newest.source
    assert select([entry], H100, "vllm@0.14.1").host_overlap
    assert not select([entry], H100, "vllm@0.10.2").host_overlap
    assert select([entry], H100, "vllm@0.10.2") == entry  # untouched where nothing changed


def test_a_team_entry_for_one_gpu_keeps_what_it_measured() -> None:
    team = dataclasses.replace(_vllm(), id="team-h100", gpu="h100-sxm")
    assert not select([team], H100, "vllm").host_overlap


def test_behaviours_hold_by_version() -> None:
    assert behaviours("vllm", None) == behaviours("vllm", "0.20")
    assert behaviours("vllm", "0.13.9") == [] and behaviours("sglang", None) == []


def _record(notes: str, version: str = "0.10.2") -> dict[str, str]:
    return {"id": "R1", "model": "llama-3.1-70b", "precision": "FP8", "gpu": "h100-sxm", "num_gpus": "8",
            "tp": "8", "pp": "1", "ep": "", "engine": f"vLLM {version}", "isl": "200", "osl": "200",
            "concurrency": "concurrency=512", "scenario": "vllm bench serve, random, 2048 requests",
            "metric": "output_tokens_per_s_total", "value": "1000", "notes": notes}


@pytest.mark.parametrize(("notes", "expected"), [
    ("--async-scheduling -tp 2", True),
    ("async_scheduling: true in config.yaml", True),
    ("baseline: vllm serve (no async scheduling)", False),
    ("--disable-overlap-schedule", False),
    ("disable_overlap_scheduler: false", True),
    ("defaults", None),
])
def test_a_runs_notes_say_whether_host_work_overlapped(notes: str, expected: bool | None) -> None:
    assert parse_row(_record(notes)).host_overlap is expected


def test_overlap_stated_or_by_release_speeds_large_batches_up() -> None:
    eff = _vllm()
    plain = run_for(parse_row(_record("defaults")), LLAMA_70B, H100, eff)
    stated = run_for(parse_row(_record("--async-scheduling")), LLAMA_70B, H100, eff)
    by_release = run_for(parse_row(_record("defaults", version="0.14.0")), LLAMA_70B, H100, eff)
    # 512 sequences × 30 µs of host work a step = 15 ms, hidden behind the GPU step
    assert stated.output_tokens_per_s > 1.1 * plain.output_tokens_per_s
    assert by_release.output_tokens_per_s == pytest.approx(stated.output_tokens_per_s)
    # a run that does not name its release is taken as the newest's, as `--engine vllm` is
    unnamed = run_for(parse_row({**_record("defaults"), "engine": "vLLM"}), LLAMA_70B, H100, eff)
    assert unnamed.output_tokens_per_s == pytest.approx(stated.output_tokens_per_s)
