"""Prices that look wrong are flagged where the reader looks: a team or remote entry shadowing a
built-in offering far below its price, or outside the sanity band, is named in the quote's JSON
`warnings`, the Markdown and HTML quote, the terminal table's footer and the TUI status line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from remote_server import CATALOG, Reply, ScriptedServer

from advisor.catalog.world import World
from advisor.cli import main
from advisor.export.table import PRICE_MARK

SHADOW = "coreweave/hgx-h100-8x"  # built-in at 49.28 USD per node-hour
# Only the price differs from the built-in: a changed tenancy would be a hardware override (its own warning).
OFFER = (CATALOG.replace(b'"acme/h100x8"', f'"{SHADOW}"'.encode()).replace(b"Acme GPU", b"CoreWeave")
         .replace(b'tenancy = "bare-metal"', b'tenancy = "container"'))


def catalog(price: str) -> bytes:
    return OFFER.replace(b"19.5", price.encode())


def quote(capsys: pytest.CaptureFixture[str], config: Path, fmt: str) -> tuple[str, str]:
    code = main(["--config", str(config), "quote", "--model", "70b", "--ctx", "8k",
                 "--provider", "CoreWeave", "--format", fmt])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out, captured.err


@pytest.fixture
def team(tmp_path: Path) -> Path:
    (tmp_path / "prices.toml").write_bytes(catalog("19.71"))  # 0.4× the built-in, inside the band
    config = tmp_path / "advisor.toml"
    config.write_text('catalogs = ["prices.toml"]\n')
    return config


def _other(warning: str) -> bool:
    """The close call and the stale-prices line: warnings of every quote on old built-in prices."""
    return "error band" in warning or "older than the 30-day quote validity" in warning


def test_shadowing_below_half_the_builtin_price_is_a_warning_naming_both_prices(
    team: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out, err = quote(capsys, team, "json")
    warnings = [w for w in json.loads(out)["warnings"] if not _other(w)]
    assert len(warnings) == 1
    assert f"{SHADOW}: 2.46 USD per GPU-hour is below 0.5× the built-in 6.16 USD it replaces (0.4×)" in warnings[0]
    assert err.count(f"{SHADOW}: 2.46 USD") == 1  # printed once on stderr, not once per layer of code


def test_shadowing_at_or_above_half_is_not_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "prices.toml").write_bytes(catalog("24.64"))
    (tmp_path / "advisor.toml").write_text('catalogs = ["prices.toml"]\n')
    out, _ = quote(capsys, tmp_path / "advisor.toml", "json")
    assert [w for w in json.loads(out)["warnings"] if not _other(w)] == []


@pytest.mark.parametrize(("fmt", "needle"), [("md", "## Warnings"), ("html", "Warnings</h2>")])
def test_markdown_and_html_quotes_carry_the_warning(
    team: Path, capsys: pytest.CaptureFixture[str], fmt: str, needle: str,
) -> None:
    out, _ = quote(capsys, team, fmt)
    assert needle in out and "below 0.5× the built-in" in out and SHADOW in out


def test_table_footer_names_the_flagged_offering(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = quote(capsys, team, "table")
    assert f"1 price warning: {SHADOW}" in " ".join(out.split())


def flagged_world(team: Path) -> World:
    """The World a command gets with `--no-discover --config TEAM` (sanity warnings and flags)."""
    from advisor.catalog.config import world_from_args

    return world_from_args(argparse.Namespace(config=str(team), no_discover=True))


def test_the_flagged_row_itself_is_marked(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.export.table import cells
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request

    world = flagged_world(team)
    result = build_quote(build_request(world, model="70b", max_context=8192), world)
    rows = {r.offering.id: cells(result, r, reasons=False) for r in result.results}
    assert rows[SHADOW][1].startswith(PRICE_MARK)
    assert not any(row[1].startswith(PRICE_MARK) for oid, row in rows.items() if oid != SHADOW)


def test_tui_status_line_names_the_flagged_offering(team: Path) -> None:
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request
    from advisor.tui.status import status_text

    world = flagged_world(team)
    result = build_quote(build_request(world, model="70b", max_context=8192), world)
    assert f"price warning: {SHADOW}" in status_text(result)


def test_remote_entry_at_a_token_price_is_in_the_json_warnings(
    tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from advisor.catalog import trust

    (tmp_path / ".git").mkdir()
    config = tmp_path / "advisor.toml"
    config.write_text(f'[[remote]]\nurl = "{server.url()}"\n')
    trust.record(config, trust.file_sha256(config))
    monkeypatch.chdir(tmp_path)
    server.script(Reply(200, catalog("0.0001"), {"Content-Type": "text/plain"}))
    code = main(["quote", "--model", "70b", "--ctx", "8k", "--provider", "CoreWeave", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert document["results"][0]["offering"] == SHADOW
    flagged = [w for w in document["warnings"] if SHADOW in w]
    assert any("outside" in w for w in flagged) and any("below 0.5× the built-in" in w for w in flagged)
