"""Stale prices are said, never silent: a warning names the oldest price date and the offerings
whose price is older than the quote validity (stderr, JSON `warnings`, the table), and
`--max-price-age` leaves such offerings out (issue 17, point 4)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from export_helpers import fixture_quote

from advisor.cli import main
from advisor.errors import EXIT_BAD_INPUT
from advisor.quote.staleness import price_expired, stale_prices

# 2026-09-01 00:00 UTC: after the fixture prices' 45-day validity for some of them, and a fixed
# "today" for the built-in data
LATE = "1788220800"


@pytest.fixture()
def away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", LATE)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", "quote", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("in_fixture")
def test_fresh_prices_draw_no_warning_and_old_ones_name_the_oldest() -> None:
    fresh = fixture_quote(issued=date(2026, 7, 20))  # every fixture price is within 45 days
    assert fresh.stale is None and not any("older than" in w for w in fresh.diagnostics)
    late = fixture_quote(issued=date(2026, 8, 20))
    ranked = [r for r in late.feasible]
    expected = [r.offering.id for r in ranked if r.offering.as_of + timedelta(days=45) < date(2026, 8, 20)]
    assert late.stale is not None and list(late.stale.offerings) == expected and expected
    assert late.stale.oldest == min(r.offering.as_of for r in ranked if r.offering.id in expected)
    assert late.stale.ranked == len(ranked)
    assert late.stale.text in late.diagnostics
    assert f"oldest {late.stale.oldest.isoformat()}" in late.stale.text and expected[0] in late.stale.text


@pytest.mark.usefixtures("in_fixture")
def test_the_pure_function_agrees_with_the_quote_expiry_rule() -> None:
    quote = fixture_quote(issued=date(2026, 8, 20))
    for result in quote.feasible:
        expired = price_expired(result.offering.as_of, date(2026, 8, 20), 45)
        assert expired == (result.offering.id in (quote.stale.offerings if quote.stale else ()))
    assert stale_prices(quote.results, date(2026, 7, 1), 45) is None


@pytest.mark.usefixtures("away")
def test_built_in_prices_warn_on_stderr_in_json_and_under_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--model", "70b", "--all", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    stale = [w for w in doc["warnings"] if "older than the 30-day quote validity" in w]
    oldest = min(r["as_of"] for r in doc["results"] if r["feasible"])
    assert len(stale) == 1 and f"oldest {oldest}" in stale[0]
    assert f"advisor: warning: {stale[0]}" in err
    code, out, err = run(capsys, "--model", "70b", "--top", "3")
    assert code == 0
    assert "Warning: " in out and "older than the 30-day validity" in out and "--max-price-age" in out
    assert "older than" not in err  # said once: the table's own line, not again on stderr


@pytest.mark.usefixtures("away")
def test_max_price_age_leaves_old_prices_out(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--model", "70b", "--max-price-age", "1y", "--all", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    issued = date.fromisoformat(doc["issued"])
    assert doc["request"]["max_price_age_days"] == 365
    assert doc["results"] and all((issued - date.fromisoformat(r["as_of"])).days <= 365 for r in doc["results"])
    dropped = [e for e in doc["excluded"] if "older than the 365-day limit" in e["reason"]]
    assert dropped
    _, everything = run(capsys, "--model", "70b", "--all", "--format", "json")[:2]
    assert len(json.loads(everything)["results"]) == len(doc["results"]) + len(dropped)


@pytest.mark.usefixtures("away")
@pytest.mark.parametrize("age", ["6x", "0", "1.5y"])
def test_a_bad_price_age_is_one_line(capsys: pytest.CaptureFixture[str], age: str) -> None:
    code, out, err = run(capsys, "--model", "70b", "--max-price-age", age)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.startswith(f"advisor: --max-price-age {age!r}") and err.count("\n") == 1


@pytest.mark.usefixtures("in_fixture")
def test_the_age_limit_is_part_of_the_question() -> None:
    plain = fixture_quote(issued=date(2026, 8, 20))
    limited = fixture_quote(issued=date(2026, 8, 20), max_price_age_days=40)
    assert limited.number != plain.number
    assert {r.offering.id for r in limited.results} == {
        r.offering.id for r in plain.results if (date(2026, 8, 20) - r.offering.as_of).days <= 40}
    assert limited.stale is None  # what is left is younger than the 45-day validity


@pytest.mark.usefixtures("in_fixture")
def test_the_tui_banner_is_empty_for_fresh_prices_and_says_what_to_do_for_old_ones() -> None:
    from advisor.tui.status import stale_banner

    fresh = fixture_quote(issued=date(2026, 7, 20))
    assert fresh.stale is None and stale_banner(fresh) == ""
    late = fixture_quote(issued=date(2026, 8, 20))
    assert late.stale is not None
    banner = stale_banner(late)
    assert banner.startswith("⚠ ") and late.stale.short in banner and "--max-price-age" in banner
