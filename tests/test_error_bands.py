"""Error bands: every row of a quote carries the cross-validated band of the efficiency entry it
used (dense or MoE by the model), shown in the table ("±" column), JSON, CSV, Markdown, HTML,
`--explain` and `advisor estimate`; and when the top two cost less apart than the larger of
their bands, the quote says the model cannot tell them apart.

The shipped profiles of an engine release without measurements (vLLM before 0.6, `vllm@0.5`) are
priors and take the "prior" path. Banded entries with known numbers come from team files that
replace the shipped ones with the same factors and a band (`team_data.efficiency_toml`), so the
physics, and the ranking, stay the same.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EVERYTHING, fixture_quote, fixture_world
from team_data import banded_team_repo as team_repo
from team_data import efficiency_toml

from advisor.catalog.config import load_world
from advisor.catalog.world import World
from advisor.cli import main
from advisor.export import Format, render
from advisor.export.explain import explain_lines
from advisor.export.formats import render as render_view
from advisor.quote.bands import close_call
from advisor.quote.build import Quote, build_quote
from advisor.search.request import build_request

PRIOR = "prior, not fitted — no measurements"
DENSE = "±18 % (cross-validated on 54 rows)"
MOE = "±31 % (cross-validated on 54 rows)"
LOAD = {"model": "llama-3.1-70b", "max_context": 8192, "concurrency": 32}
OLD = {"engine": "vllm@0.5"}  # a release with no measurements: every entry is a prior


def team_world(folder: Path, band: float = 18.0, moe_band: float = 31.0) -> World:
    return load_world(cwd=team_repo(folder, band, moe_band))


def quote_on(world: World, **raw: Any) -> Quote:
    return build_quote(build_request(world, **{**LOAD, **raw}), world)


def fixture_banded_quote(tmp_path: Path, band: float = 18.0) -> Quote:
    """The export fixture's quote with its efficiency entries banded (run inside the fixture)."""
    extra = tmp_path / "bands.toml"
    extra.write_text(efficiency_toml(fixture_world().efficiency.values(), band_pct=band), encoding="utf-8")
    return fixture_quote(fixture_world(extra))


# -- the quote ----------------------------------------------------------------------------------

def test_each_row_takes_the_band_of_its_own_entry_dense_or_moe(tmp_path: Path) -> None:
    world = team_world(tmp_path / "repo")
    dense = quote_on(world)
    moe = quote_on(world, model="mixtral-8x7b")
    assert not dense.moe and moe.moe
    for quote, pct, text in ((dense, 18.0, DENSE), (moe, 31.0, MOE)):
        rows = [r for r in quote.results if r.hardware is not None]
        assert rows
        for row in rows:
            entry = row.hardware.efficiency  # type: ignore[union-attr]
            expected = (pct, text) if entry.engine == "vllm" and entry.rows else (None, PRIOR)
            assert (quote.band_pct(row), quote.band_text(row)) == expected, entry.id


def test_shipped_priors_have_no_band() -> None:
    world = load_world(discover=False)
    quote = quote_on(world, **OLD)
    assert quote.feasible
    assert all(quote.band_pct(r) is None and quote.band_text(r) == PRIOR for r in quote.feasible)
    assert quote.close_call is None  # no band, no claim either way


def test_close_call_when_the_gap_is_inside_the_larger_band(tmp_path: Path) -> None:
    prior = quote_on(load_world(discover=False), **OLD)
    first, second = prior.feasible[:2]
    assert first.cost is not None and second.cost is not None
    gap = second.cost.usd_per_million_output_tokens / first.cost.usd_per_million_output_tokens - 1
    assert gap > 0  # two different prices (the two MI300X pods: about 1 % apart)
    wide = quote_on(team_world(tmp_path / "wide", band=gap * 100 * 1.1), **OLD)
    assert [r.offering.id for r in wide.feasible] == [r.offering.id for r in prior.feasible]  # same physics
    call = wide.close_call
    assert call is not None
    assert (call.first, call.second) == (first.offering.id, second.offering.id)
    assert call.gap == pytest.approx(gap) and call.band_pct == pytest.approx(gap * 100 * 1.1)
    assert call.text.startswith(f"rank 1 ({first.offering.id}) and rank 2 ({second.offering.id}) are ")
    assert quote_on(team_world(tmp_path / "narrow", band=gap * 100 * 0.9), **OLD).close_call is None
    assert quote_on(team_world(tmp_path / "equal", band=gap * 100), **OLD).close_call is None  # less than, not equal


def test_close_call_uses_the_band_that_exists_when_only_one_row_has_one(tmp_path: Path) -> None:
    world = team_world(tmp_path / "repo")
    quote = quote_on(world)
    first, second = quote.feasible[:2]
    hw = second.hardware
    assert hw is not None
    unbanded = second._replace(hardware=hw._replace(efficiency=dataclasses.replace(
        hw.efficiency, rows=0, band_pct=None, band_moe_pct=None)))
    call = close_call((first, unbanded), False)
    assert call is not None and call.band_pct == 18.0
    prior_first = first._replace(hardware=unbanded.hardware)
    assert close_call((prior_first, unbanded), False) is None


def test_a_single_feasible_row_is_never_a_close_call(tmp_path: Path) -> None:
    quote = quote_on(team_world(tmp_path / "repo"))
    assert close_call(quote.feasible[:1], False) is None


# -- the table ----------------------------------------------------------------------------------

def _table(quote: Quote, width: int = 120) -> str:
    return render_view(quote, list(quote.feasible[:5]), "table", reasons=False, width=width)


def test_table_has_a_band_column_and_the_close_call_after_it(tmp_path: Path) -> None:
    quote = quote_on(team_world(tmp_path / "repo"))
    text = _table(quote)
    assert all(len(line) <= 120 for line in text.splitlines())
    header = next(line for line in text.splitlines() if line.startswith("#") and "TPOT" in line)
    assert "±" in header
    assert "±18 %" in text and "prior" not in text
    lines = text.splitlines()
    bottom = max(i for i, line in enumerate(lines) if re.match(r" *[0-9]+  \S+/", line))  # the last row
    after = " ".join(lines[bottom + 1:])
    assert after.startswith("Note: rank 1 (") and "within their ±18 % error band" in after
    assert quote.feasible[0].offering.id in after and quote.feasible[1].offering.id in after


def test_table_says_prior_and_no_close_call_with_the_shipped_data() -> None:
    text = _table(quote_on(load_world(discover=False), **OLD))
    assert "prior" in text and "±18" not in text
    assert "Note:" not in text and "error band" not in text


def test_quote_command_prints_the_band_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(team_repo(tmp_path / "repo"))
    assert main(["quote", "--model", "70b", "--ctx", "8k", "--concurrency", "32", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "±18 %" in out and "within their ±18 % error band" in out


# -- documents ----------------------------------------------------------------------------------

@pytest.mark.usefixtures("in_fixture")
def test_json_results_carry_the_band_and_the_close_call_is_a_warning(tmp_path: Path) -> None:
    doc = json.loads(render(fixture_banded_quote(tmp_path), Format.JSON, EVERYTHING))
    searched = [r for r in doc["results"] if r["efficiency"] is not None]
    assert searched and all(r["error_band_pct"] == 18.0 and r["error_band"] == DENSE for r in searched)
    assert doc["recommendation"]["error_band_pct"] == 18.0 and doc["recommendation"]["error_band"] == DENSE
    assert all(a["error_band_pct"] == 18.0 for a in doc["alternatives"])
    assert [w for w in doc["warnings"] if "error band" in w]  # the top two are within 18 % (a tie or close)


@pytest.mark.usefixtures("in_fixture")
def test_json_prior_band_is_null_with_its_words_and_no_warning() -> None:
    doc = json.loads(render(fixture_quote(), Format.JSON, EVERYTHING))
    searched = [r for r in doc["results"] if r["efficiency"] is not None]
    assert searched and all(r["error_band_pct"] is None and r["error_band"] == PRIOR for r in searched)
    assert not [w for w in doc["warnings"] if "error band" in w]


@pytest.mark.usefixtures("in_fixture")
def test_csv_has_band_columns(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(render(fixture_banded_quote(tmp_path), Format.CSV, EVERYTHING))))
    assert rows and {"error_band_pct", "error_band"} <= set(rows[0])
    assert all(r["error_band_pct"] == "18.0" and r["error_band"] == DENSE for r in rows)
    prior = list(csv.DictReader(io.StringIO(render(fixture_quote(), Format.CSV, EVERYTHING))))
    assert all(r["error_band_pct"] == "" and r["error_band"] == PRIOR for r in prior)


@pytest.mark.usefixtures("in_fixture")
@pytest.mark.parametrize("fmt", [Format.MD, Format.HTML])
def test_documents_show_the_band_by_each_line_in_the_assumptions_and_the_close_call(
        tmp_path: Path, fmt: Format) -> None:
    quote = fixture_banded_quote(tmp_path)
    text = render(quote, fmt, EVERYTHING)
    ranking = text[text.index("Ranking</h2>" if fmt is Format.HTML else "### Ranking"):]
    assert ranking.count("±18 %") >= len(quote.feasible)
    alternatives = text[text.index("alternatives"):]
    assert alternatives.count("±18 %") >= len(quote.alternatives)
    assert f"Error band of these predictions (throughput, latencies and so the cost per token): {DENSE}." in text
    assert f"error band: {DENSE}" in text[text.index("Assumptions"):]
    recommended = text[text.index("Recommended deployment"):text.index("Service-level check")]
    assert "Ranking: rank 1 (" in recommended and "within their ±18 % error band" in recommended


@pytest.mark.usefixtures("in_fixture")
@pytest.mark.parametrize("fmt", [Format.MD, Format.HTML])
def test_documents_with_priors_say_prior_and_make_no_ranking_claim(fmt: Format) -> None:
    text = render(fixture_quote(), fmt, EVERYTHING)
    assert f"cost per token): {PRIOR}." in text and f"error band: {PRIOR}" in text
    assert "Ranking: rank 1" not in text and "±" in text


# -- --explain and estimate ---------------------------------------------------------------------

def test_explain_shows_the_band_under_the_factors_line(tmp_path: Path) -> None:
    quote = quote_on(team_world(tmp_path / "repo"))
    lines = explain_lines(quote, quote.feasible[0])
    factors = next(i for i, line in enumerate(lines) if line.startswith("Efficiency factors"))
    assert lines[factors + 1] == f"  error band: {DENSE}"
    prior = quote_on(load_world(discover=False), **OLD)
    lines = explain_lines(prior, prior.feasible[0])
    factors = next(i for i, line in enumerate(lines) if line.startswith("Efficiency factors"))
    assert lines[factors + 1] == f"  error band: {PRIOR}"


ESTIMATE = ["estimate", "--model", "llama-3.1-70b", "--gpu", "h100", "--tp", "4", "--isl", "1000",
            "--osl", "500", "--concurrency", "64"]


def _estimate(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_estimate_json_and_report_carry_the_band(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ["--no-discover", "--config", str(team_repo(tmp_path / "repo") / "advisor.toml")]
    record = json.loads(_estimate(capsys, *config, *ESTIMATE, "--format", "json"))
    assert (record["error_band_pct"], record["error_band"]) == (18.0, DENSE)
    moe = json.loads(_estimate(capsys, *config, *ESTIMATE[:2], "mixtral-8x7b", *ESTIMATE[3:], "--format", "json"))
    assert (moe["error_band_pct"], moe["error_band"]) == (31.0, MOE)
    report = _estimate(capsys, *config, *ESTIMATE).splitlines()
    band = report.index(f"error band: {DENSE}")
    assert report[band + 1].startswith("factors: ")  # next to the efficiency factors' source
    title = max(i for i, line in enumerate(report) if line.startswith("Efficiency factors"))
    assert title < band and "" not in report[title:band]  # right after the efficiency factors table
    assert not [line for line in report if "prior, not fitted" in line]  # fitted on 54 rows, no median error given


def test_estimate_prior_and_unbanded_fit(capsys: pytest.CaptureFixture[str]) -> None:
    old = ["--engine", "vllm@0.5"]
    prior = json.loads(_estimate(capsys, "--no-discover", *ESTIMATE, *old, "--format", "json"))
    assert (prior["error_band_pct"], prior["error_band"]) == (None, PRIOR)
    assert f"error band: {PRIOR}" in _estimate(capsys, "--no-discover", *ESTIMATE, *old).splitlines()
    fitted = json.loads(_estimate(capsys, "--no-discover", *ESTIMATE, "--engine", "trtllm@0.17",
                                  "--format", "json"))
    assert fitted["error_band_pct"] > 0  # the shipped TensorRT-LLM 0.17 Hopper fit has a band
    assert fitted["error_band"].startswith(f"±{fitted['error_band_pct']:.0f} % (cross-validated on ")


def test_estimate_cases_lines_carry_the_band(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ["--no-discover", "--config", str(team_repo(tmp_path / "repo") / "advisor.toml")]
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"id": 1, "model": "llama-3.1-70b", "gpu": "h100", "tp": 4, "isl": 1000, "osl": 500}) + "\n"
        + json.dumps({"id": 2, "model": "mixtral-8x7b", "gpu": "h100", "tp": 4, "isl": 1000, "osl": 500}) + "\n"
        + json.dumps({"id": 3, "model": "llama-3.1-70b", "gpu": "h100", "tp": 4, "isl": 1000, "osl": 500,
                      "engine": "trtllm"}) + "\n",
        encoding="utf-8")
    lines = [json.loads(line) for line in _estimate(capsys, *config, "estimate", "--cases", str(cases)).splitlines()]
    assert [(line["error_band_pct"], line["error_band"]) for line in lines[:2]] == [(18.0, DENSE), (31.0, MOE)]
    assert lines[2]["error_band_pct"] > 0 and "cross-validated on" in lines[2]["error_band"]
