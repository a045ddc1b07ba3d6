"""`advisor quote` end to end on the built-in data: the promised behaviour (ranking, targets, floors), formats,
--explain, safe writes and exit codes."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.domain.common import to_json
from advisor.domain.validation import validate


@pytest.fixture(autouse=True)
def _away_from_team_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def quote(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["quote", *args])
    out, err = capsys.readouterr()
    return code, out, err


def quote_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = quote(capsys, *args, "--format", "json")
    assert out, err
    return code, json.loads(out, parse_constant=_reject)


def _reject(constant: str) -> None:
    raise AssertionError(f"not strict JSON: {constant}")


def test_405b_at_32k_prints_a_ranked_table_with_five_feasible_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = quote(capsys, "--model", "405b", "--ctx", "32k")
    assert code == 0, err
    rows = [re.match(r" *(\d+)  (\S+/\S+) ", line) for line in out.splitlines()]
    numbered = [row[1] for row in rows if row]
    assert numbered[:5] == ["1", "2", "3", "4", "5"]
    assert "Llama-3.1-405B (405.9B) · ctx 32k" in out and "USD/Mtok" in out


def test_json_is_complete_and_sorted_by_cost_per_output_token(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = quote_json(capsys, "--model", "405b", "--ctx", "32k", "--all")
    assert code == 0
    assert doc["request"]["max_context"] == 32768 and doc["request"]["model"] == "llama-3.1-405b"
    feasible = [r for r in doc["results"] if r["feasible"]]
    assert len(feasible) >= 5
    costs = [r["usd_per_million_output_tokens"] for r in feasible]
    assert costs == sorted(costs)
    keys = {"offering", "provider", "layout", "nodes", "gpus", "usd_per_hour", "usd_per_million_output_tokens",
            "usd_per_million_input_tokens", "usd_per_month", "output_tokens_per_s", "ttft_s", "tpot_s",
            "memory", "interconnect", "feasible", "reasons"}
    assert keys <= set(feasible[0])
    top = feasible[0]
    assert top["usd_per_hour"] == pytest.approx(top["nodes"] * top["usd_per_node_hour"])
    assert top["usd_per_month"] == pytest.approx(top["usd_per_hour"] * 730)
    expected = top["usd_per_hour"] / (top["output_tokens_per_s"] * 3600 * 0.5) * 1e6
    assert top["usd_per_million_output_tokens"] == pytest.approx(expected)
    assert top["memory"]["used_bytes_per_gpu"] <= top["memory"]["usable_bytes_per_gpu"]
    infeasible = [r for r in doc["results"] if not r["feasible"]]
    assert infeasible and all(r["reasons"] for r in infeasible)
    assert doc["assumptions"] and doc["sources"]
    assert any(s["path"].endswith("models.toml") for s in doc["sources"])


def test_json_request_rebuilds_the_same_ranking(capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.quote.build import build_quote
    from advisor.search.request import QuoteRequest

    _, doc = quote_json(capsys, "--model", "405b", "--ctx", "32k", "--concurrency", "40", "--tpot", "60ms")
    request = validate(QuoteRequest, doc["request"])
    assert (request.concurrency, request.tpot_s) == (40, 0.06)
    again = build_quote(request, load_world(discover=False))
    assert [r.offering.id for r in again.feasible[:10]] == [r["offering"] for r in doc["results"]]


def test_nvswitch_nodes_beat_pcie_nodes_under_a_tight_tpot(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = quote_json(capsys, "--model", "405b", "--ctx", "32k", "--tpot", "50ms", "--all")
    h100 = [r for r in doc["results"] if r["accelerator"].startswith("h100") and r["gpus_per_node"] == 8]
    nvswitch = [r for r in h100 if r["interconnect"] and r["interconnect"]["intra_fabric"] == "nvswitch"]
    pcie = [r for r in h100 if r["accelerator"] == "h100-pcie"]
    assert nvswitch and pcie
    assert any(r["feasible"] for r in nvswitch)
    best_nvswitch = min(r["usd_per_million_output_tokens"] for r in nvswitch if r["feasible"])
    for row in pcie:
        if row["feasible"]:
            assert row["usd_per_million_output_tokens"] > best_nvswitch
        else:
            assert "over pcie: all-reduce takes" in row["reasons"][0], row["reasons"]


def test_bare_metal_only_drops_vm_offerings(capsys: pytest.CaptureFixture[str]) -> None:
    _, everything = quote_json(capsys, "--model", "405b", "--ctx", "32k", "--all")
    _, bare = quote_json(capsys, "--model", "405b", "--ctx", "32k", "--all", "--bare-metal-only")
    assert {r["tenancy"] for r in bare["results"]} == {"bare-metal"}
    assert any(r["tenancy"] == "vm" for r in everything["results"])
    assert all(e["reason"].startswith("tenancy ") for e in bare["excluded"])
    assert len(bare["results"]) + len(bare["excluded"]) == len(everything["results"]) + len(everything["excluded"])


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    return repr(value)


def test_halving_a_price_in_a_team_catalog_moves_the_offering_up(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, before = quote_json(capsys, "--model", "405b", "--ctx", "32k")
    target = before["results"][4]
    builtin = to_json(load_world(discover=False).offerings[target["offering"]])
    builtin["price_per_node_hour"] = round(builtin["price_per_node_hour"] / 2, 4)
    builtin["source"] = "negotiated (test)"
    lines = ["[[offering]]"] + [f"{k} = {_toml_value(v)}" for k, v in builtin.items()
                                if v is not None and v != [] and k != "as_of"]
    lines.append(f"as_of = {builtin['as_of']}")
    (tmp_path / "prices.toml").write_text("\n".join(lines) + "\n")
    (tmp_path / "advisor.toml").write_text('catalogs = ["prices.toml"]\n')
    _, after = quote_json(capsys, "--model", "405b", "--ctx", "32k")
    new_rank = next(r["rank"] for r in after["results"] if r["offering"] == target["offering"])
    assert new_rank < target["rank"]
    moved = next(r for r in after["results"] if r["offering"] == target["offering"])
    assert moved["usd_per_million_output_tokens"] == pytest.approx(target["usd_per_million_output_tokens"] / 2)
    assert any(s["layer"] == "team" for s in after["sources"])


def test_impossible_request_exits_1_and_says_what_binds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = quote(capsys, "--model", "405b", "--ctx", "32k", "--tpot", "2ms")
    assert code == 1 and out == ""
    assert "no feasible offering" in err and "Closest:" in err and "> 2 ms target" in err
    assert "try --tpot" in err


def test_filters_that_leave_nothing_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = quote(capsys, "--model", "70b", "--provider", "oracle", "--region", "no-such-region")
    assert code == 1 and "no offering passes the filters" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--model", "405b", "--ctx", "32q"], "--ctx '32q' is not valid"),
     (["--model", "405b", "--ttft", "2"], "needs a unit"),
     (["--model", "no-such-model"], "unknown model"),
     (["--model", "405b", "--weights", "fp3"], "weights"),
     (["--model", "405b", "--concurrency", "8", "--rate", "2"], "not both"),
     (["--model", "405b", "--currency", "EUR"], "no exchange rate for EUR"),
     (["--model", "405b", "--explain", "nope/none"], "unknown offering"),
     (["--ctx", "32k"], "--model is required")],
)
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = quote(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_team_catalog_exits_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('[[offering]]\nid = "x/y"\nprize = 3\n')
    (tmp_path / "advisor.toml").write_text('catalogs = ["broken.toml"]\n')
    code, _, err = quote(capsys, "--model", "405b")
    assert code == 3 and "broken.toml" in err


def test_explain_shows_the_whole_derivation(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = quote_json(capsys, "--model", "405b", "--ctx", "32k")
    best = doc["results"][0]
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--explain", best["offering"])
    assert code == 0
    for section in ("rank 1 of", "Layout", "Memory per GPU",
                    "decode step = max(max(weights, GEMMs) + max(KV, attention) + comm + fixed, host)",
                    "Interconnect", "Efficiency factors", "Tenancy factor", "Cost (USD)",
                    "per Mtok output (ranking) =", "Assumptions"):
        assert section in out, section
    assert f"{best['usd_per_million_output_tokens']:,.4f}" in out


def test_explain_an_infeasible_offering_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--explain", "lambda/gpu-1x-h100-sxm5")
    assert code == 0 and "NOT feasible" in out and "why not: needs" in out and "GiB usable" in out


def test_csv_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--format", "csv", "--top", "3")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["rank"] for r in rows] == ["1", "2", "3"]
    assert float(rows[0]["usd_per_million_output_tokens"]) <= float(rows[2]["usd_per_million_output_tokens"])
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--format", "md", "--top", "2")
    # the Markdown quote has several tables; its ranking lists the --top rows
    ranking = out.split("### Ranking", 1)[1].split("###", 1)[0]
    table = [line for line in ranking.splitlines() if line.startswith("|")]
    assert len(table) == 4 and "### Assumptions" in out and "not an offer" in out


def test_all_lists_infeasible_rows_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--all")
    assert code == 0 and "Why not" in out and "GiB usable" in out


def test_output_file_is_written_atomically_and_not_overwritten(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "q.json"
    code, out, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--format", "json", "-o", str(target))
    assert code == 0 and out == ""
    first = json.loads(target.read_text())
    assert first["results"]
    target.write_text("keep me")
    code, _, err = quote(capsys, "--model", "405b", "--format", "json", "-o", str(target))
    assert code == 2 and "already exists" in err and target.read_text() == "keep me"
    code, _, _ = quote(capsys, "--model", "405b", "--ctx", "32k", "--format", "json", "-o", str(target), "--force")
    assert code == 0 and json.loads(target.read_text())["results"] == first["results"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".q.json")) == []


def test_write_into_a_missing_directory_fails_cleanly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = quote(capsys, "--model", "405b", "-o", str(tmp_path / "nope" / "q.json"))
    assert code == 2 and "cannot write" in err


def test_help_documents_k_as_1024(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["quote", "--help"])
    out = capsys.readouterr().out
    assert "k = 1024" in out and "--bare-metal-only" in out and "--explain" in out


@pytest.mark.parametrize(("argv", "expected"), [
    (["quote", "--modle", "70b"], "advisor: unrecognized arguments: --modle 70b (did you mean --model?)"),
    (["quote", "--model", "70b", "--cxt=8k"], "(did you mean --ctx?)"),
    (["floors", "--concurrrency", "4"], "(did you mean --concurrency?)"),
    (["--no-discovr", "quote"], "(did you mean --no-discover?)"),
    (["qoute", "--model", "70b"], "advisor: unknown command 'qoute' (did you mean quote?)"),
    (["frobnicate"], "unknown command 'frobnicate'; commands: quote, estimate"),
    # a global option after the command was once answered "did you mean --config?"
    (["quote", "--model", "70b", "--config", "team.toml"],
     "(--config is an option of advisor itself: put it before the command, advisor --config … quote)"),
])
def test_a_misspelt_flag_or_command_gets_one_line_with_a_suggestion(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and expected in err


def test_the_global_switches_also_work_after_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`advisor quote … --no-discover` once failed with "did you mean --no-discover?"."""
    from advisor.cli import build_parser

    monkeypatch.delenv("ADVISOR_OFFLINE", raising=False)
    after = build_parser(["quote"]).parse_args(["quote", "--model", "70b", "--no-discover", "--offline"])
    assert after.no_discover is True and after.offline is True and after.strict is False
    before = build_parser(["quote"]).parse_args(["--no-discover", "quote", "--model", "70b"])
    assert before.no_discover is True and before.offline is False
    monkeypatch.setenv("ADVISOR_OFFLINE", "1")  # the environment's default survives the subcommand
    assert build_parser(["quote"]).parse_args(["quote", "--model", "70b"]).offline is True
