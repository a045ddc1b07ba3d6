"""`--sort mtok|month|tpot|ttft`: the feasible offerings ranked by cost per million output tokens,
monthly cost for the load, TPOT or TTFT; the basis is stated, and the documents' alternatives
compare the same quantity (issue 17, point 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from export_helpers import fixture_quote

from advisor.cli import main
from advisor.export import Format, render
from advisor.search.ranking import SORT_KEYS
from advisor.search.request import SORTS

FIELD = {"mtok": "usd_per_million_output_tokens", "month": "usd_per_month", "tpot": "tpot_s", "ttft": "ttft_s"}


@pytest.fixture(autouse=True)
def _away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def quote(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", "quote", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def quote_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = quote(capsys, *argv, "--format", "json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_every_sort_name_has_a_key_and_the_flag_takes_them_all() -> None:
    assert tuple(SORT_KEYS) == SORTS == ("mtok", "month", "tpot", "ttft")


@pytest.mark.parametrize("sort", SORTS)
def test_the_feasible_rows_come_in_the_order_of_the_sort_key(capsys: pytest.CaptureFixture[str], sort: str) -> None:
    doc = quote_json(capsys, "--model", "8b", "--sort", sort, "--top", "40")
    values = [r[FIELD[sort]] for r in doc["results"] if r["feasible"]]
    assert len(values) >= 10 and values == sorted(values)
    assert doc["request"]["sort"] == sort and doc["ranked_by"]["sort"] == sort
    assert doc["ranked_by"]["basis"] == SORT_KEYS[sort].basis


def test_the_sort_orders_offerings_and_keeps_each_deployment(capsys: pytest.CaptureFixture[str]) -> None:
    by_token = quote_json(capsys, "--model", "8b", "--all")
    by_month = quote_json(capsys, "--model", "8b", "--all", "--sort", "month")

    def deployments(doc: dict[str, Any]) -> dict[str, Any]:
        return {r["offering"]: (r["layout"], r["nodes"], r["usd_per_month"]) for r in doc["results"] if r["feasible"]}

    assert deployments(by_token) == deployments(by_month)
    cheapest_month = min(r["usd_per_month"] for r in by_token["results"] if r["feasible"])
    assert by_month["results"][0]["usd_per_month"] == cheapest_month
    assert by_month["quote_number"] != by_token["quote_number"]


def test_alternatives_compare_the_quantity_ranked_by(capsys: pytest.CaptureFixture[str]) -> None:
    doc = quote_json(capsys, "--model", "8b", "--sort", "month")
    first = doc["recommendation"]["totals"]["per_month"]["amount"]
    for alt in doc["alternatives"]:
        assert alt["delta_of"] == "monthly cost"
        assert alt["delta"] == pytest.approx(alt["per_month"]["amount"] / first - 1)
    code, out, _ = quote(capsys, "--model", "8b", "--sort", "month", "--format", "md")
    assert code == 0
    assert "| Per month vs recommended |" in out
    assert "Ranked by monthly cost of the deployment" in out and "each alternative's monthly cost relative" in out
    assert "ranked by monthly cost" in out  # the ranking section's lead


def test_the_table_states_the_basis(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = quote(capsys, "--model", "8b", "--sort", "tpot", "--top", "2")
    assert code == 0 and "Ranked by time per output token (TPOT)" in " ".join(out.split())
    code, out, _ = quote(capsys, "--model", "8b", "--top", "2")
    assert "Ranked by cost per million output tokens" in " ".join(out.split())


def test_from_keeps_the_sort(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = quote(capsys, "--model", "8b", "--sort", "ttft", "--format", "json", "-o", "q.json")
    assert code == 0, err
    saved = json.loads((tmp_path / "q.json").read_text())
    again = quote_json(capsys, "--from", "q.json")
    assert [r["offering"] for r in again["results"]] == [r["offering"] for r in saved["results"]]
    code, _, err = quote(capsys, "--from", "q.json", "--sort", "mtok")
    assert code == 2 and "drop --sort" in err


@pytest.mark.usefixtures("in_fixture")
def test_documents_of_the_default_sort_say_cost_per_token_and_the_close_call_is_for_cost_only() -> None:
    default = fixture_quote()
    assert default.alternatives and all(a.basis == "mtok" for a in default.alternatives)
    text = render(default, Format.MD)
    assert "| Per Mtok out vs recommended |" in text and "ranked by cost per million output tokens" in text
    by_ttft = fixture_quote(sort="ttft")
    assert by_ttft.close_call is None
    ttfts = [r.estimate.ttft_s for r in by_ttft.feasible if r.estimate is not None]
    assert ttfts == sorted(ttfts)
