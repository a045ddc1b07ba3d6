"""`advisor estimate` with the workload features and disaggregated pools: the terms in the JSON
and the table, hand-checked, and bad combinations as one line (exit 2)."""

from __future__ import annotations

import json

import pytest

from advisor.cli import main

BASE = ["estimate", "--model", "llama-3.1-70b", "--gpu", "h100", "--tp", "8", "--isl", "32k", "--osl", "128"]


def _json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main([*BASE, *extra, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pools_across_nodes_ship_the_kv_over_the_nics(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "--rate", "0.5", "--serving", "disagg", "--prefill-tp", "8", "--prefill-replicas", "2")
    serving = data["serving"]
    # 16 prefill + 8 decode GPUs: three nodes joined by 8 × 400 Gbit/s NICs per node; one TP8
    # prefill replica owns a node's NICs: 400 GB/s × 0.9 = 360 GB/s. 32,768 tokens × 327,680 B
    # = 10.737 GB → 29.8 ms + 52 µs
    assert (serving["prefill_gpus"], serving["decode_gpus"]) == (16, 8)
    assert serving["kv_bytes_per_prompt"] == 32768 * 327_680
    assert serving["link"] == "infiniband" and serving["link_bytes_per_s"] == pytest.approx(360e9)
    assert serving["kv_transfer_s"] == pytest.approx(10_737_418_240 / 360e9 + 52e-6, rel=1e-9)
    ttft = serving["prefill_s"] + serving["queue_s"] + serving["kv_transfer_s"]
    assert data["latency"]["ttft_s"] == pytest.approx(ttft)


def test_features_object_only_when_a_feature_is_on(capsys: pytest.CaptureFixture[str]) -> None:
    plain = _json(capsys, "--concurrency", "8")
    assert "features" not in plain and "serving" not in plain
    on = _json(capsys, "--concurrency", "8", "--prefix-hit", "0.5", "--spec-decode", "mtp:1.7")
    assert on["features"] == {"prefix_hit": 0.5, "prefill_tokens": 16384.0, "draft_tokens": 1,
                              "accepted_tokens": 1.7, "steps_per_output_token": pytest.approx(1 / 1.7)}
    assert on["latency"]["ttft_s"] < plain["latency"]["ttft_s"]


def test_table_shows_the_pools_and_the_ttft_sum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--rate", "0.5", "--serving", "disagg", "--prefill-tp", "8", "--prefill-replicas", "2"]) == 0
    out = capsys.readouterr().out
    assert "Disaggregated serving" in out and "TTFT = prefill + queue + transfer" in out and "10.737 GB" in out


@pytest.mark.parametrize(("flags", "says"), [
    (["--serving", "auto"], "--serving auto compares offerings in `advisor quote`"),
    (["--prefill-tp", "2"], "--prefill-tp and --prefill-replicas go with --serving disagg"),
    (["--serving", "disagg", "--prefill-replicas", "x"], "--prefill-replicas 'x': give a whole number"),
    (["--spec-decode", "eagle"], "--spec-decode 'eagle' is not METHOD:ACCEPTED[:DRAFTED]"),
])
def test_bad_combinations_are_one_line(capsys: pytest.CaptureFixture[str], flags: list[str], says: str) -> None:
    assert main([*BASE, *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
