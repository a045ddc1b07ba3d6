"""Listing commands (gpus, models, offerings, workloads), `check` and `schema`: formats,
filters, provenance fields, safe text, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.commands.schema import FILES, catalog_schema, config_schema, dump

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world() -> Any:
    return load_world(discover=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(("command", "table"), [
    ("gpus", "accelerators"), ("models", "models"), ("offerings", "offerings"), ("workloads", "workloads"),
])
def test_json_lists_every_entry_with_layer(capsys: pytest.CaptureFixture[str], world: Any,
                                           command: str, table: str) -> None:
    records = as_json(capsys, command)
    assert sorted(r["id"] for r in records) == sorted(getattr(world, table))
    assert {r["layer"] for r in records} == {"built-in"}
    assert all(r["file"] for r in records)


def test_offerings_and_models_carry_the_promised_fields(capsys: pytest.CaptureFixture[str]) -> None:
    for offer in as_json(capsys, "offerings"):
        assert offer["tenancy"] and len(offer["currency"]) == 3 and offer["source"]
    for model in as_json(capsys, "models"):
        assert isinstance(model["aliases"], list)


def test_offering_filters(capsys: pytest.CaptureFixture[str], world: Any) -> None:
    some = next(iter(world.offerings.values()))
    gpu = world.accelerators[some.accelerator]
    by_gpu = as_json(capsys, "offerings", "--gpu", gpu.name.upper())
    assert by_gpu and {o["accelerator"] for o in by_gpu} == {gpu.id}
    assert len(by_gpu) == sum(o.accelerator == gpu.id for o in world.offerings.values())
    by_provider = as_json(capsys, "offerings", "--provider", some.provider.lower())
    assert {o["provider"] for o in by_provider} == {some.provider}
    for tenancy in ("bare-metal", "vm"):
        chosen = as_json(capsys, "offerings", "--tenancy", tenancy)
        assert len(chosen) == sum(o.tenancy == tenancy for o in world.offerings.values())
    if some.regions:
        region = some.regions[0]
        assert all(any(region.lower() in r.lower() for r in o["regions"])
                   for o in as_json(capsys, "offerings", "--region", region))
        assert some.id in {o["id"] for o in as_json(capsys, "offerings", "--region", region)}


def test_unknown_gpu_filter_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "offerings", "--gpu", "h100-sxmm")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown GPU 'h100-sxmm' (did you mean" in err


def test_csv_has_a_row_per_entry(capsys: pytest.CaptureFixture[str], world: Any) -> None:
    code, out, _ = run(capsys, "gpus", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(world.accelerators)
    assert float(rows[0]["memory_bytes"]) > 1e9


def test_table_shows_human_units(capsys: pytest.CaptureFixture[str], world: Any) -> None:
    code, out, _ = run(capsys, "gpus")
    assert code == 0 and "GiB" in out and "TB/s" in out
    code, out, _ = run(capsys, "offerings")
    assert "/h" in out


def test_markup_and_escapes_from_files_are_shown_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (FIXTURES / "gpu.toml").read_text().replace(
        'name = "Acme X1 96GB"', 'name = "[bold red]X1[/] \\u001b[31mred\\u001b]0;title\\u0007"').replace(
        'provider = "Acme"', 'provider = "=HYPERLINK(\\"x\\")"')
    (tmp_path / "gpu.toml").write_text(text)
    (tmp_path / "advisor.toml").write_text('catalogs = ["gpu.toml"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping inside cells
    assert main(["gpus"]) == 0
    out = capsys.readouterr().out
    assert "[bold red]X1[/]" in out and "\x1b" not in out and "\x07" not in out
    assert main(["offerings", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out
    assert main(["offerings", "--format", "json", "--provider", '=HYPERLINK("x")']) == 0
    assert json.loads(capsys.readouterr().out)[0]["layer"] == "team"


# -- check ---------------------------------------------------------------------------------

def test_check_good_files_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(FIXTURES / "gpu.toml"))
    assert (code, err) == (0, "")
    assert out == "ok: 1 file, 1 accelerator, 1 offering; no problems\n"


def test_check_reports_all_three_problems(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "bad_three.toml"
    code, out, err = run(capsys, "check", str(path), str(FIXTURES / "duplicate_key.toml"))
    assert code == 2 and out == ""
    assert f"{path}:8: accelerator.hbm_bandwith: unknown key (did you mean 'hbm_bytes_per_s'?)" in err
    assert f"{path}:9: accelerator.dense_flops_per_s.bf16:" in err
    assert f"{path}:12: accelerator.link_bytes_per_s: expected a bandwidth" in err
    assert f"{FIXTURES / 'duplicate_key.toml'}:6: input_tokens: duplicate key" in err


def test_check_a_team_config_and_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "gpu.toml").write_text((FIXTURES / "gpu.toml").read_text())
    (tmp_path / "advisor.toml").write_text('catalogs = ["cat"]\n[defaults]\ncurrency = "EUR"\n')
    code, out, _ = run(capsys, "check", str(tmp_path / "advisor.toml"))
    assert code == 0 and out.startswith("ok: 2 files, 1 accelerator, 1 offering")
    (tmp_path / "advisor.toml").write_text('catalogs = ["cat", "gone"]\n[defaults]\ncurrency = "eur"\n')
    code, _, err = run(capsys, "check", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'advisor.toml'}:1: catalogs[1]: no such file or folder" in err
    assert f"{tmp_path / 'advisor.toml'}:3: defaults.currency:" in err


def test_check_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope.toml"))
    assert code == 2 and "no such file or folder" in err


# -- schema --------------------------------------------------------------------------------

def test_committed_schemas_are_current() -> None:
    assert (REPO_ROOT / "catalogs" / FILES["catalog"]).read_text() == dump(catalog_schema())
    assert (REPO_ROOT / "catalogs" / FILES["config"]).read_text() == dump(config_schema())


def test_schema_command_in_a_fresh_process_prints_the_committed_schema(tmp_path: Path) -> None:
    # Records become dataclasses only when something validates; `schema` must not depend on
    # another command (or test) having done that first.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "advisor", "schema", "catalog"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == (REPO_ROOT / "catalogs" / FILES["catalog"]).read_text()


def test_schema_command_writes_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "-o", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "catalog.schema.json").read_text())["properties"]["offering"]["type"] == "array"
    assert "defaults" in json.loads((tmp_path / "config.schema.json").read_text())["properties"]
    capsys.readouterr()
    assert main(["schema", "config"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "advisor team config"


def test_schema_accepts_unit_strings_the_parser_accepts() -> None:
    import re

    schema = catalog_schema()
    memory = schema["$defs"]["Accelerator"]["properties"]["memory_bytes"]["anyOf"]
    pattern = next(branch["pattern"] for branch in memory if branch.get("type") == "string")
    assert re.match(pattern, "80 GB") and re.match(pattern, "141 GiB")
    assert not re.match(pattern, "4.8 TB/s") and not re.match(pattern, "32k")
    number = next(branch for branch in memory if branch.get("type") == "number")
    assert number["exclusiveMinimum"] == 0


def test_every_shipped_file_points_at_the_schema() -> None:
    for folder, expected in (("catalogs", "./catalog.schema.json"), ("profiles", "../catalogs/catalog.schema.json")):
        for path in sorted((REPO_ROOT / folder).glob("*.toml")):
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first == f"#:schema {expected}", path.name


def test_check_a_folder_skips_a_plain_pyproject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "gpu.toml").write_text((FIXTURES / "gpu.toml").read_text())
    code, out, err = run(capsys, "check", str(tmp_path))
    assert (code, err) == (0, "") and out.startswith("ok: 1 file")


# -- safe text -----------------------------------------------------------------------------

def test_safe_text_and_csv_cells() -> None:
    from advisor.export.terminal import csv_cell, safe_text

    assert safe_text("a\x1b[31mred\x1b[0m\x07b\u202ec\nd") == "aredbc d"
    assert safe_text("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\") == "link"
    assert safe_text("[bold]x[/bold]") == "[bold]x[/bold]"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell(-3.5) == -3.5 and csv_cell(["a", "=b"]) == "a;=b"


# -- offerings --stale --------------------------------------------------------------------

def _issue_on(monkeypatch: pytest.MonkeyPatch, day: Any) -> None:
    from datetime import UTC, datetime, time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime.combine(day, time(12), tzinfo=UTC).timestamp())))


@pytest.mark.parametrize("extra_days", [0, 1])
def test_stale_lists_prices_older_than_the_age_oldest_first_with_their_age(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, world: Any, extra_days: int,
) -> None:
    from datetime import timedelta

    newest = max(o.as_of for o in world.offerings.values())
    issued = newest + timedelta(days=90 + extra_days)  # the newest is exactly 90 days old, then 91
    _issue_on(monkeypatch, issued)
    records = as_json(capsys, "offerings", "--stale", "90d")
    expected = {o.id: (issued - o.as_of).days for o in world.offerings.values() if (issued - o.as_of).days > 90}
    assert {r["id"]: r["age_days"] for r in records} == expected
    assert any(r["as_of"] == newest.isoformat() for r in records) == bool(extra_days)
    ages = [r["age_days"] for r in records]
    assert ages == sorted(ages, reverse=True)


def test_stale_table_shows_the_age_and_weeks_months_parse(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, world: Any,
) -> None:
    from datetime import date

    _issue_on(monkeypatch, date(2100, 1, 1))
    code, out, err = run(capsys, "offerings", "--stale", "12w", "--width", "200")
    assert (code, err) == (0, "")
    oldest = min(world.offerings.values(), key=lambda o: o.as_of)
    assert f"{(date(2100, 1, 1) - oldest.as_of).days} d" in out
    assert f"{len(world.offerings)} offerings priced more than 84 days before 2100-01-01" in out
    assert len(as_json(capsys, "offerings", "--stale", "6m")) == len(world.offerings)


@pytest.mark.parametrize("age", ["9x", "90 days", "-5d", ""])
def test_stale_with_a_bad_age_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], age: str) -> None:
    code, out, err = run(capsys, "offerings", "--stale", age)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--stale" in err
