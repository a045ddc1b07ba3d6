"""Quote documents (md, json, csv, html): goldens per format on a fixture catalog, the quote's procurement
parts computed by hand, spreadsheet/HTML/Markdown injection, and `--from` round trips. Safe
writes and the HTML render in headless Chromium are in test_export_write.py.

The fixture world (tests/fixtures/export/) is built from the fixture files only — no built-in
data — so the goldens move only when the physics, the cost arithmetic or a renderer changes.
Regenerate them on purpose with `UPDATE_GOLDEN=1 pytest tests/test_export.py` and review the
diff.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from export_helpers import (
    EVERYTHING,
    FIXTURE,
    GOLDEN,
    UPDATE_GOLDEN,
    fixture_quote,
    fixture_world,
    quote_cli,
)

from advisor.cli import main
from advisor.export import ExportOptions, Format, render

# -- goldens ---------------------------------------------------------------------------------

@pytest.mark.usefixtures("in_fixture")
@pytest.mark.parametrize("fmt", list(Format))
def test_golden_document(fmt: Format) -> None:
    text = render(fixture_quote(), fmt, EVERYTHING)
    golden = GOLDEN / f"quote.{fmt.value}"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"{golden} missing: run UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} changed (UPDATE_GOLDEN=1 to accept)"


# -- the quote's procurement parts -----------------------------------------------------------

@pytest.mark.usefixtures("in_fixture")
def test_fixture_covers_tie_multi_node_infeasible_rows_and_a_team_override() -> None:
    quote = fixture_quote()
    ids = [r.offering.id for r in quote.results]
    assert ids[:2] == ["acme/h100x8-a", "acme/h100x8-b"]  # identical but for id: id breaks the tie
    tie = quote.alternatives[0]
    assert tie.result.offering.id == "acme/h100x8-b" and tie.tie and tie.delta == 0.0
    cluster = next(r for r in quote.results if r.offering.id == "fabrikam/h100x4-ib")
    assert cluster.feasible and cluster.candidate is not None
    assert cluster.candidate.nodes > 1 and cluster.candidate.layout.pp > 1  # one replica spans nodes
    assert cluster.offering.price_per_node_hour == 14.0 and cluster.offering.currency == "EUR"  # team's
    assert cluster.cost is not None and cluster.cost.usd_per_hour == pytest.approx(cluster.candidate.nodes * 15.12)
    assert [r.offering.id for r in quote.infeasible] == ["globex/l40s-x8", "globex/l40s-x1"]
    assert all("GiB usable" in r.reasons[0] for r in quote.infeasible)
    layers = {s.path: s.layer for s in quote.sources}
    assert layers["team/prices.toml"] == "team" and layers["base/offerings.toml"] == "built-in"


@pytest.mark.usefixtures("in_fixture")
def test_line_items_and_totals_by_hand() -> None:
    quote = fixture_quote()
    rec = quote.recommendation
    assert rec is not None and rec.offering == "acme/h100x8-a"
    (item,) = rec.line_items
    nodes = rec.result.candidate.nodes  # type: ignore[union-attr]
    assert item.text == f"{nodes} × bare-metal node 8×H100 SXM5 80GB, NVSwitch, 730 h/month at 24.00 USD/h"
    assert item.per_month.amount == pytest.approx(nodes * 24.0 * 730) and item.per_month.currency == "USD"
    tokens_per_s = rec.result.estimate.output_tokens_per_s  # type: ignore[union-attr]
    expected = nodes * 24.0 / (tokens_per_s * 3600 * 0.5) * 1e6
    assert rec.totals.per_million_output_tokens.amount == pytest.approx(expected)
    assert rec.totals.output_tokens_per_month == pytest.approx(tokens_per_s * 730 * 3600 * 0.5)
    assert [c.metric for c in rec.slo] == ["TTFT", "TPOT"] and all(c.met for c in rec.slo)
    assert rec.vram.used_bytes_per_gpu <= rec.vram.usable_bytes_per_gpu
    multi = quote.alternatives[1]
    assert multi.result.offering.id == "fabrikam/h100x4-ib"
    assert "InfiniBand between nodes" in multi.line_item.text and "at 15.12 USD/h" in multi.line_item.text
    assert multi.line_item.list_price_per_hour is not None
    assert multi.line_item.list_price_per_hour.text() == "14.00 EUR"


@pytest.mark.usefixtures("in_fixture")
def test_amounts_follow_the_requested_currency() -> None:
    quote = fixture_quote(currency="EUR")
    rec = quote.recommendation
    assert rec is not None
    assert rec.line_items[0].unit_price_per_hour.text() == f"{24.0 / 1.08:.2f} EUR"
    assert {rec.totals.per_month.currency, rec.totals.per_million_output_tokens.currency} == {"EUR"}
    doc = json.loads(render(quote, Format.JSON))
    amounts = list(_money_objects(doc))
    assert amounts and {m["currency"] for m in amounts} == {"EUR"}
    # the catalog's own price stays in the catalog's currency beside the converted one
    assert doc["recommendation"]["line_items"][0]["list_price_per_hour"] == {"amount": 24.0, "currency": "USD"}


def _money_objects(value: Any) -> Any:
    if isinstance(value, dict):
        if "amount" in value:
            yield value
        for key, item in value.items():
            if key != "list_price_per_hour":
                yield from _money_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _money_objects(item)


@pytest.mark.usefixtures("in_fixture")
def test_valid_until_counts_from_the_price_date() -> None:
    quote = fixture_quote()
    # acme's price was seen 2026-07-01; the team config sets 45 days of validity
    assert (quote.prices_as_of, quote.valid_until, quote.validity_days) == (date(2026, 7, 1), date(2026, 8, 15), 45)
    assert not quote.expired and "Attention" not in render(quote, Format.MD)
    late = fixture_quote(issued=date(2026, 9, 1))
    assert late.expired and late.valid_until == date(2026, 8, 15)
    assert "expired on 2026-08-15" in render(late, Format.MD)
    assert json.loads(render(late, Format.JSON))["expired"] is True
    assert 'class="callout alert"' in render(late, Format.HTML)


@pytest.mark.usefixtures("in_fixture")
def test_quote_number_depends_on_request_data_and_tool_only(tmp_path: Path) -> None:
    first, again = fixture_quote(), fixture_quote(issued=date(2027, 1, 1))
    assert re.fullmatch(r"AQ-[0-9A-F]{5}-[0-9A-F]{5}", first.number)
    assert first.number == again.number  # the issue date is not an input
    assert fixture_quote(concurrency=33).number != first.number
    cheaper = tmp_path / "cheaper.toml"
    cheaper.write_text((FIXTURE / "team" / "prices.toml").read_text().replace("10.0  #", "9.5  #"))
    assert fixture_quote(fixture_world(cheaper)).number != first.number


@pytest.mark.usefixtures("in_fixture")
def test_json_keeps_issue_4_keys_and_adds_the_quote() -> None:
    doc = json.loads(render(fixture_quote(), Format.JSON, EVERYTHING), parse_constant=_reject)
    assert doc["schema"] == "advisor.quote/1" and doc["quote_number"] and doc["issued"] == "2026-08-03"
    assert doc["valid_until"] == "2026-08-15" and "not an offer" in doc["note"]
    issue_4 = {"offering", "provider", "layout", "nodes", "gpus", "usd_per_hour", "usd_per_million_output_tokens",
               "usd_per_million_input_tokens", "usd_per_month", "output_tokens_per_s", "ttft_s", "tpot_s",
               "memory", "interconnect", "feasible", "reasons"}
    assert all(issue_4 <= set(row) for row in doc["results"]) and doc["assumptions"] and doc["sources"]
    rec = doc["recommendation"]
    assert rec["line_items"][0]["per_month"]["currency"] == "USD"
    assert {c["metric"] for c in rec["slo"]} == {"TTFT", "TPOT"} and rec["vram"]["fits"] is True
    assert all(s["sha256"] and s["as_of"] for s in doc["sources"] if s["role"] == "data")
    names = {a["name"] for a in doc["assumptions"]}
    assert {"model", "context", "tokens per request", "load", "targets", "efficiency hopper-vllm",
            "tenancy bare-metal", "quote validity"} <= names


def _reject(constant: str) -> None:
    raise AssertionError(f"not strict JSON: {constant}")


def test_csv_without_rows_keeps_the_columns(in_fixture: None) -> None:
    quote = fixture_quote()
    full = render(quote, Format.CSV, EVERYTHING).splitlines()[0]
    assert render(quote, Format.CSV, ExportOptions(rows=())).splitlines() == [full]
    nothing = fixture_quote(regions=("nowhere",))
    assert not nothing.results and render(nothing, Format.CSV).splitlines() == [full]


def test_views_render_keeps_its_signature_and_gains_html(in_fixture: None) -> None:
    from advisor.export.formats import FORMATS
    from advisor.export.formats import render as views_render

    quote = fixture_quote()
    assert FORMATS == ("table", "md", "json", "csv", "html")
    text = views_render(quote, list(quote.results), "html", reasons=True)
    assert text.startswith("<!DOCTYPE html>") and "1x L40S" in text and "40 GiB usable" in text
    assert "Acme GPU" in views_render(quote, list(quote.feasible), "table", reasons=False, width=200)


# -- hostile names -----------------------------------------------------------------------------

HOSTILE_PROVIDER = '=HYPERLINK("http://x","y")'


def hostile_catalog(folder: Path, provider: str, sku: str = "8x H100", source: str = "fixture") -> Path:
    text = (FIXTURE / "base" / "offerings.toml").read_text().split("[[offering]]")[1]
    entry = (text.replace('id = "acme/h100x8-a"', 'id = "evil/h100x8"')
             .replace('provider = "Acme GPU"', f"provider = {json.dumps(provider)}")
             .replace('sku = "8x H100 SXM"', f"sku = {json.dumps(sku)}")
             .replace('source = "fixture"', f"source = {json.dumps(source)}")
             .replace("price_per_node_hour = 24.0", "price_per_node_hour = 20.0"))
    path = folder / "hostile.toml"
    path.write_text("[[offering]]" + entry)
    return path


def test_csv_neutralizes_a_formula_provider(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    hostile_catalog(tmp_path, HOSTILE_PROVIDER, sku="@SUM(1+1)")
    (tmp_path / "advisor.toml").write_text('catalogs = ["hostile.toml"]\n')
    monkeypatch.chdir(tmp_path)
    code = main(["quote", "--model", "405b", "--ctx", "32k", "--all", "--format", "csv", "-o", "q.csv"])
    capsys.readouterr()
    assert code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "q.csv").read_text(encoding="utf-8"))))
    evil = next(r for r in rows if r["offering"] == "evil/h100x8")
    assert evil["provider"] == "'" + HOSTILE_PROVIDER and evil["sku"] == "'@SUM(1+1)"
    for row in rows:  # no cell anywhere opens as a formula
        for value in row.values():
            assert not (value or "").lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert evil["quote_number"].startswith("AQ-") and evil["currency"] == "USD"


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "p", "h1", "h2", "dl", "dt",
                "dd", "div", "span", "strong", "section", "table", "thead", "tbody", "tr", "th", "td", "ul",
                "li", "footer", "code"}


def parsed_tags(page: str) -> list[tuple[str, list[str]]]:
    """Every start tag of `page` with its attribute names, as a browser's tokenizer sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Collector().feed(page)
    return found


def test_html_and_markdown_keep_markup_in_names_as_text(in_fixture: None, tmp_path: Path) -> None:
    provider = '<script>alert("x")</script> [click](javascript:alert(1)) | *bold*'
    world = fixture_world(hostile_catalog(tmp_path, provider, sku="<img src=x onerror=alert(1)>",
                                          source="javascript:alert(1)"))
    quote = fixture_quote(world)
    assert any(r.offering.id == "evil/h100x8" for r in quote.feasible)
    page = render(quote, Format.HTML, EVERYTHING)
    tags = parsed_tags(page)
    assert {name for name, _ in tags} <= ALLOWED_TAGS, {name for name, _ in tags} - ALLOWED_TAGS
    attributes = {attr for _, attrs in tags for attr in attrs}
    assert attributes <= {"lang", "charset", "name", "content", "http-equiv", "class", "id", "scope"}, attributes
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "&lt;img src=x" in page
    markdown = render(quote, Format.MD, EVERYTHING)
    assert "\\<script>" in markdown and "\\[click\\]" in markdown and "\\*bold\\*" in markdown
    assert not re.search(r"(?<!\\)<(script|img)", markdown)  # every '<' from a name is escaped
    ranking = markdown.split("### Ranking", 1)[1].split("###", 1)[0]
    rows = [line for line in ranking.splitlines() if line.startswith("| ")]
    widths = {len(re.split(r"(?<!\\)\|", line)) for line in rows}
    assert len(widths) == 1  # an escaped '|' in a name does not add a column


# -- `--from` round trips -----------------------------------------------------------------------

def test_json_quote_round_trips_through_from(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = quote_cli(capsys, "--model", "405b", "--ctx", "32k", "--concurrency", "40", "--format", "json",
                           "-o", "q.json")
    assert code == 0
    first = json.loads((tmp_path / "q.json").read_text())
    code, out, err = quote_cli(capsys, "--from", "q.json", "--format", "json")
    again = json.loads(out)
    assert code == 0 and "results may differ" not in err
    assert again["results"] == first["results"] and again["request"] == first["request"]
    assert again["quote_number"] == first["quote_number"] and len(again["results"]) == 10
    code, out, _ = quote_cli(capsys, "--from", "q.json", "--format", "md")
    assert code == 0 and f"## Quote {first['quote_number']}" in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [('{"schema": "advisor.quote/1", "request": {}}', [], "request: model: Field required"),
     ("{not json", [], "q.json:1: not valid JSON"),
     ('{"schema": "advisor.quote/2", "request": {}}', [], "advisor.quote/2"),
     ('[1, 2]', [], "not an advisor quote"),
     ('{"request": {"model": "llama-3.1-405b"}}', ["--model", "70b", "--ctx", "8k"], "drop --model, --ctx")],
)
def test_from_rejects_bad_files_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, content: str, extra: list[str],
                                            message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q.json").write_text(content)
    code, out, err = quote_cli(capsys, "--from", "q.json", *extra)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_from_says_when_the_data_changed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    quote_cli(capsys, "--model", "70b", "--format", "json", "-o", "q.json")
    hostile_catalog(tmp_path, "Newcomer")
    (tmp_path / "advisor.toml").write_text('catalogs = ["hostile.toml"]\n')
    code, _, err = quote_cli(capsys, "--from", "q.json", "--format", "json")
    assert code == 0 and "results may differ" in err and "hostile.toml added" in err


def test_source_date_epoch_sets_the_issue_date(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1785715200")  # 2026-08-03T00:00:00Z
    _, out, _ = quote_cli(capsys, "--model", "70b", "--format", "json")
    assert json.loads(out)["issued"] == "2026-08-03"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    code, _, err = quote_cli(capsys, "--model", "70b", "--format", "json")
    assert code == 2 and "SOURCE_DATE_EPOCH" in err
