"""Disaggregated serving in the search and the quote, and the workload-feature flags: the
choice per offering with its reason, the pools in every output, bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import builtin_world
from advisor.cli import main
from advisor.quote.build import build_quote
from advisor.search.features import lengths_of, parse_lengths
from advisor.search.request import build_request

OFFERING = "coreweave/hgx-h100-8x"  # 8 × H100 nodes joined by InfiniBand (400 GB/s per node)


@pytest.fixture(autouse=True)
def _away_from_team_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _row(ttft_s: float, serving: str, **kw: Any) -> Any:
    world = builtin_world()
    fields: dict[str, Any] = dict(model="llama-3.1-70b", input_tokens=32768, output_tokens=128, max_context=32896,
                                  request_rate=2.0, ttft_s=ttft_s, tpot_s=0.1, serving=serving,
                                  providers=("coreweave",))
    fields.update(kw)
    quote = build_quote(build_request(world, **fields), world)
    return next(r for r in quote.results if r.offering.id == OFFERING)


def test_disaggregated_wins_under_a_tight_ttft_and_loses_under_a_loose_one() -> None:
    # 32k-token prompts at 2 req/s: with TTFT ≤ 1.6 s aggregated replicas must keep their
    # prefill queue short while they also decode (6 nodes); dedicated prefill replicas plus
    # small decode replicas need 5. With TTFT ≤ 30 s the aggregated replicas fill up (3 nodes)
    # and the pools' split saves nothing (3): a tie keeps aggregated serving.
    tight_agg, tight_dis = _row(1.6, "agg"), _row(1.6, "disagg")
    loose_agg, loose_dis = _row(30.0, "agg"), _row(30.0, "disagg")
    assert (tight_agg.candidate.nodes, tight_dis.candidate.nodes) == (6, 5)
    assert (loose_agg.candidate.nodes, loose_dis.candidate.nodes) == (3, 3)
    tight, loose = _row(1.6, "auto").candidate, _row(30.0, "auto").candidate
    assert tight.pools is not None and tight.serving_note.startswith("disaggregated: ")
    assert "fewer node-hours per output token than aggregated" in tight.serving_note
    assert loose.pools is None and loose.serving_note.startswith("aggregated: ")
    assert tight.estimate.ttft_s <= 1.6 and tight.estimate.tpot_s <= 0.1


def test_pools_ttft_is_prefill_queue_and_transfer_and_kv_is_the_whole_prompt() -> None:
    cand = _row(2.0, "disagg").candidate
    p = cand.pools.point
    assert cand.pools.kv_bytes == 32768 * 327_680  # 2 × 80 layers × 8 KV heads × 128 × 2 B per token
    assert p.ttft_s == pytest.approx(p.prefill_s + p.queue_s + p.transfer_s)
    assert p.transfer_s == pytest.approx(cand.pools.kv_bytes / cand.pools.link.bytes_per_s + cand.pools.link.latency_s)
    assert cand.nodes * 8 >= cand.pools.gpus


def test_single_node_offering_keeps_both_pools_in_the_node_or_says_why() -> None:
    world = builtin_world()
    request = build_request(world, model="llama-3.1-70b", input_tokens=32768, output_tokens=128,
                            max_context=32896, request_rate=2.0, ttft_s=2.0, tpot_s=0.1, serving="disagg",
                            providers=("datacrunch",))
    results = {r.offering.id: r for r in build_quote(request, world).results}
    single = results["datacrunch/b200-8x"]
    assert single.offering.max_nodes == 1 and single.offering.inter_fabric == "none"  # sold as single nodes
    if single.feasible:
        assert single.candidate.pools.same_node and single.candidate.nodes == 1
    else:
        assert "inter-node fabric" in single.reasons[0] or "nodes" in single.reasons[0]


def test_quote_json_and_explain_show_both_pools(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["quote", "--model", "llama-3.1-70b", "--isl", "32k", "--osl", "128", "--ctx", "32896",
            "--rate", "2", "--ttft", "1.6s", "--tpot", "100ms", "--serving", "auto", "--provider", "coreweave"]
    assert main([*args, "--format", "json", "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["results"] if r["offering"] == OFFERING)
    assert row["serving"]["kind"] == "disaggregated"
    assert row["serving"]["kv_bytes_per_prompt"] == 32768 * 327_680
    assert row["serving_note"].startswith("disaggregated: ")
    assert data["request"]["serving"] == "auto"
    assert main([*args, "--explain", OFFERING]) == 0
    text = capsys.readouterr().out
    assert "Serving (disaggregated " in text and "TTFT = prefill " in text and "KV per prompt 10.737 GB" in text


def test_features_off_leave_the_request_json_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "--model", "8b", "--concurrency", "4", "--format", "json", "--top", "1"]) == 0
    request = json.loads(capsys.readouterr().out)["request"]
    assert not {"prefix_hit", "spec_decode", "serving", "input_tokens_p90", "output_tokens_p90"} & set(request)


def test_features_round_trip_through_the_quote_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "q.json"
    assert main(["quote", "--model", "8b", "--concurrency", "4", "--isl", "2k,6k", "--prefix-hit", "0.6",
                 "--spec-decode", "eagle:2.4", "-o", str(saved), "--top", "1"]) == 0
    request = json.loads(saved.read_text())["request"]
    assert (request["input_tokens"], request["input_tokens_p90"]) == (2048, 6144)
    assert (request["prefix_hit"], request["spec_decode"]) == (0.6, "eagle:2.4:3")
    capsys.readouterr()
    assert main(["quote", "--from", str(saved), "--format", "json", "--top", "1"]) == 0


@pytest.mark.parametrize(("flags", "says"), [
    (["--prefix-hit", "1.5"], "--prefix-hit '1.5': give the share"),
    (["--spec-decode", "medusa:2"], "--spec-decode 'medusa' is not a speculative decoding method"),
    (["--spec-decode", "mtp:2.5"], "at most 1 + 1 drafted"),
    (["--serving", "disag"], "--serving 'disag' is not one of agg, disagg, auto (did you mean disagg?)"),
    (["--isl", "6k,2k"], "--isl '6k,2k': the mean must be at least 1 and the p90 at least the mean"),
    (["--isl", "no-such-lengths.txt"], "no-such-lengths.txt: cannot read"),
])
def test_bad_feature_flags_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], flags: list[str], says: str) -> None:
    code = main(["quote", "--model", "8b", "--concurrency", "4", *flags])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_line_in_a_lengths_file_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lengths = tmp_path / "isl.txt"
    lengths.write_text("# prompt lengths\n1200\n900, from trace A\nabc\n")
    assert main(["quote", "--model", "8b", "--concurrency", "4", "--isl", str(lengths)]) == 2
    assert f"--isl {lengths}:4: 'abc' is not a whole number of tokens" in capsys.readouterr().err


def test_lengths_file_gives_the_mean_and_nearest_rank_p90(tmp_path: Path) -> None:
    lengths = tmp_path / "osl.txt"
    lengths.write_text("\n".join(str(n) for n in range(100, 1001, 100)) + "\n")
    # 100 … 1000: mean 550; the 90th percentile by nearest rank is the 9th of 10 values, 900
    assert parse_lengths(str(lengths), "--osl") == (550, 900, 10)
    assert lengths_of((7,)) == (7, 7, 1)
    assert parse_lengths("2k,6k", "--isl") == (2048, 6144, 0)
    assert parse_lengths("4096", "--isl") == (4096, 4096, 0)


def test_p90_prompt_is_what_the_ttft_target_is_checked_against() -> None:
    world = builtin_world()
    request = build_request(world, model="llama-3.1-8b", input_tokens=2048, input_tokens_p90=16384,
                            output_tokens=256, concurrency=8, ttft_s=10.0, providers=("coreweave",))
    row = next(r for r in build_quote(request, world).results if r.offering.id == OFFERING)
    est = row.estimate
    assert est.ttft_p90_s is not None and est.ttft_p90_s > est.ttft_s
    assert request.max_context == 16384 + 256  # p90 in + (fixed) out, without --ctx


def test_agent_cached_preset_carries_its_prefix_hit_and_lengths() -> None:
    request = build_request(builtin_world(), model="llama-3.1-70b", preset="agent-cached")
    assert (request.prefix_hit, request.input_tokens_p90, request.output_tokens_p90) == (0.7, 20000, 1000)
    assert any(note.startswith("prefix cache: 70% of prompt tokens") for note in request.notes)
    mtp = build_request(builtin_world(), model="llama-3.1-70b", preset="reasoning-mtp")
    assert mtp.spec_decode == "mtp:1.85:1"


def test_markdown_document_lists_the_serving_terms(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["quote", "--model", "llama-3.1-70b", "--isl", "32k", "--osl", "128", "--ctx", "32896", "--rate", "2",
            "--ttft", "2s", "--tpot", "100ms", "--provider", "coreweave", "--format", "md"]
    assert main([*args, "--serving", "disagg", "--prefix-hit", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "### Workload features and serving" in text and "- KV per prompt 10.737 GB" in text
    assert "- prefix cache: 20% of 32,768 prompt tokens hit → prefill computes 26,214 tokens" in text
    assert main(args) == 0
    assert "Workload features and serving" not in capsys.readouterr().out


def test_a_recipe_for_pools_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["quote", "--model", "llama-3.1-70b", "--isl", "32k", "--osl", "128", "--ctx", "32896", "--rate", "2",
                 "--ttft", "2s", "--tpot", "100ms", "--serving", "disagg", "--provider", "coreweave", "--recipe", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "a recipe for disaggregated prefill/decode pools is not generated" in err


def test_chart_sweep_of_a_pooled_row_keeps_its_pools() -> None:
    from advisor.quote.sweep import sweep_quote

    world = builtin_world()
    request = build_request(world, model="llama-3.1-70b", input_tokens=32768, output_tokens=128, max_context=32896,
                            request_rate=2.0, ttft_s=1.6, tpot_s=0.1, serving="disagg", providers=("coreweave",))
    sweep = sweep_quote(build_quote(request, world), world, [OFFERING], (1, 16))[0]
    assert sweep.label == "5 nodes · 1P TP8·PP4 + 2D TP2 · fp8"
    one, sixteen = sweep.points
    assert one.fits and sixteen.fits and one.ttft_s < sixteen.ttft_s and one.tpot_s <= sixteen.tpot_s


def test_a_tie_in_node_hours_keeps_aggregated_serving() -> None:
    from advisor.search.disagg import _compare
    from advisor.search.space import HardwareOutcome

    agg, dis = _row(2.0, "agg").candidate, _row(2.0, "disagg").candidate
    per_token = agg.nodes / agg.estimate.output_tokens_per_s
    tied = dis._replace(estimate=dis.estimate._replace(output_tokens_per_s=dis.nodes / per_token * 1.001))
    outcome = _compare(HardwareOutcome((agg,), None), HardwareOutcome((tied,), None), agg, tied)
    first = outcome.candidates[0]
    assert first.pools is None and "ties with" in first.serving_note and "aggregated kept" in first.serving_note
    better = dis._replace(estimate=dis.estimate._replace(output_tokens_per_s=dis.nodes / per_token * 1.10))
    won = _compare(HardwareOutcome((agg,), None), HardwareOutcome((better,), None), agg, better).candidates[0]
    assert won.pools is not None and "uses 9% fewer node-hours" in won.serving_note  # 1 − 1/1.10 = 9.1 %


def test_a_unit_without_a_load_backs_off_to_the_rate_its_pools_serve() -> None:
    # bug: without a load the pools were loaded at the sizing's capacity; for 70B FP8 on one
    # 8 x H100 node (3k in / 150 out, 20 tok/s per user) that put the prefill pool 98 % busy,
    # TTFT missed its target, adding replicas needed a second node, and the node had no
    # disaggregated candidate at all ("the pools need more nodes than the offering allows")
    world = builtin_world()
    request = build_request(world, model="llama-3.1-70b", input_tokens=3000, output_tokens=150, max_context=3150,
                            ttft_s=10.0, tpot_s=0.05, serving="disagg", providers=("coreweave",),
                            weights=("fp8",), engine="vllm", max_nodes=1)
    row = next(r for r in build_quote(request, world).results if r.offering.id == OFFERING)
    assert row.feasible and row.candidate.nodes == 1 and row.candidate.pools.same_node
    point = row.candidate.pools.point
    assert point.ttft_s <= 10.0 and point.tpot_s <= 0.05 and not point.saturated
