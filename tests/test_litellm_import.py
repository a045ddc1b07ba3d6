"""`advisor catalog import litellm FILE`: a trimmed copy of the LiteLLM price map
(tests/fixtures/litellm/NOTE.md) becomes [[api_price]] tables a quote uses; bad input is one
line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.catalog.loaders import load_catalog_file
from advisor.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "litellm" / "model_prices_trimmed.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def imported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[Path, str]:
    target = tmp_path / "api_prices.toml"
    code, _, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(FIXTURE),
                       "-o", str(target), "--as-of", "2026-12-07")
    assert code == 0, err
    return target, err


def test_the_fixture_map_imports_the_prices_of_built_in_models(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    target, err = imported(capsys, tmp_path)
    loaded = load_catalog_file(target)
    assert loaded.problems == ()
    prices = {e.id: e.value for e in loaded.entries}
    assert len(prices) == 11
    assert prices["deepinfra/moonshotai/kimi-k2-instruct-0905"].model == "kimi-k2-instruct"  # by alias
    turbo = prices["deepinfra/meta-llama/meta-llama-3.1-70b-instruct-turbo"]  # by the reviewed name table
    assert (turbo.model, turbo.usd_per_million_input, turbo.usd_per_million_output) == ("llama-3.1-70b", 0.1, 0.28)
    assert prices["deepinfra/meta-llama/meta-llama-3.1-70b-instruct"].model == "llama-3.1-70b"  # by alias
    v3 = prices["deepseek/deepseek-v3"]  # by id; cache_read_input_token_cost 7e-08 per token
    assert (v3.usd_per_million_input, v3.usd_per_million_output, v3.usd_per_million_cached_input) == (0.27, 1.1, 0.07)
    assert prices["deepseek/deepseek-r1"].usd_per_million_cached_input == 0.14  # input_cost_per_token_cache_hit
    assert str(turbo.as_of) == "2026-12-07"
    assert "key deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo" in turbo.source
    # one summary line: 15 chat entries (not the spec, the embedding or the transcription), 4 unmatched
    summary = [line for line in err.splitlines() if line.startswith("advisor: imported")]
    assert summary == [
        f"advisor: imported 11 API prices for 9 models from {FIXTURE} (15 chat entries); 4 matched no model "
        "profile (ai21.j2-mid-v1, databricks/databricks-meta-llama-3-3-70b-instruct, "
        "deepinfra/meta-llama/Llama-Guard-3-8B, deepseek/deepseek-chat)"]


def test_a_quote_uses_the_imported_prices(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target, _ = imported(capsys, tmp_path)
    (tmp_path / "advisor.toml").write_text(f'catalogs = ["{target.name}"]\n')
    code, out, _ = run(capsys, "--no-discover", "--config", str(tmp_path / "advisor.toml"), "quote",
                       "--model", "70b", "--ctx", "8k", "--format", "json")
    assert code == 0
    be = json.loads(out)["break_even"]
    # DeepInfra Turbo, 0.10 in / 0.28 out: (2048 × 0.10 + 1024 × 0.28) / 3072 = 491.52 / 3072 = 0.16
    assert be["api"]["id"] == "deepinfra/meta-llama/meta-llama-3.1-70b-instruct-turbo"
    assert be["api_usd_per_million_tokens"] == pytest.approx(0.16)
    assert be["api_prices_for_model"] == 5  # three built-in (DeepInfra, Fireworks, Together), two imported


def test_stdout_when_no_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--no-discover", "catalog", "import", "litellm", str(FIXTURE))
    assert code == 0 and out.count("[[api_price]]") == 11


def test_an_existing_output_is_kept_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "api_prices.toml"
    target.write_text("keep me\n")
    code, _, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(FIXTURE), "-o", str(target))
    assert code == 2 and "already exists (use --force to overwrite)" in err
    assert target.read_text() == "keep me\n"


@pytest.mark.parametrize(("content", "message"), [
    (b"{\n  \"a\": 1,\n  oops\n}", "line 3: not valid JSON"),
    (b"[1, 2]", "expected a JSON object of model names"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"[" * 200 + b"]" * 200, "nested deeper than 64 levels"),
    (b'{"x": {"mode": "chat", "litellm_provider": "acme", "input_cost_per_token": 1e-6}}',
     "no chat price of a known model (1 chat entries, 1 unmatched)"),
])
def test_bad_maps_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          content: bytes, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_bytes(content)
    code, out, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(path))
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_date_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(FIXTURE), "--as-of", "yesterday")
    assert code == 2 and "--as-of 'yesterday': expected a date YYYY-MM-DD" in err


def test_prices_are_per_token_times_a_million_and_bounded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({
        "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": {
            "litellm_provider": "together_ai", "mode": "chat",
            "input_cost_per_token": 1.8e-07, "output_cost_per_token": 1.8e-07},
        "groq/llama-3.3-70b-versatile": {
            "litellm_provider": "groq", "mode": "chat",
            "input_cost_per_token": 5.9e-07, "output_cost_per_token": 7.9e-07},
        "fireworks_ai/accounts/fireworks/models/llama-v3p1-405b-instruct": {
            "litellm_provider": "fireworks_ai", "mode": "chat",
            "input_cost_per_token": 3e-06, "output_cost_per_token": 3e-06},
        "groq/llama-3.1-8b-instant": {  # 2 USD per token: not a real price, not imported
            "litellm_provider": "groq", "mode": "chat", "input_cost_per_token": 2, "output_cost_per_token": 2},
        "deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct": {  # a boolean is not a price
            "litellm_provider": "deepinfra", "mode": "chat", "input_cost_per_token": True,
            "output_cost_per_token": 1e-7},
    }))
    code, out, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(path))
    assert code == 0
    assert 'model = "llama-3.1-8b"\napi_model = "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"\n' \
           "usd_per_million_input = 0.18\nusd_per_million_output = 0.18" in out
    assert 'provider = "Groq"\nmodel = "llama-3.3-70b"' in out and "usd_per_million_output = 0.79" in out
    assert 'model = "llama-3.1-405b"' in out and "usd_per_million_input = 3.0" in out
    assert out.count("[[api_price]]") == 3
    assert ("2 of a known model had no usable price "
            "(groq/llama-3.1-8b-instant, deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct)") in err


def test_the_command_runs_as_a_program(tmp_path: Path) -> None:
    argv = ["--no-discover", "catalog", "import", "litellm", str(FIXTURE), "-o", str(tmp_path / "p.toml")]
    done = subprocess.run([sys.executable, "-m", "advisor", *argv], capture_output=True, text=True, check=False,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "imported 11 API prices for 9 models" in done.stderr


def test_the_built_in_prices_taken_from_the_map_import_to_the_same_entries(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    """Every built-in price whose source is a LiteLLM key (host names like Fireworks'
    'llama4-maverick-instruct-basic' or Together's 'Qwen3-235B-A22B-fp8-tput' included) comes back
    from the import with the same model, host and prices, so a team importing the whole map gets them."""
    builtin = Path(__file__).parent.parent / "catalogs" / "api_prices.toml"
    loaded = load_catalog_file(builtin)
    assert loaded.problems == ()
    providers = {"deepinfra/": "deepinfra", "fireworks_ai/": "fireworks_ai", "groq/": "groq",
                 "together_ai/": "together_ai", "deepseek/": "deepseek"}
    taken: dict[str, object] = {}
    for entry in loaded.entries:
        price = entry.value
        if ", key " not in price.source:
            continue
        key = price.source.split(", key ", 1)[1]
        provider = next(p for prefix, p in providers.items() if key.startswith(prefix))
        item = {"litellm_provider": provider, "mode": "chat",
                "input_cost_per_token": price.usd_per_million_input / 1e6,
                "output_cost_per_token": price.usd_per_million_output / 1e6}
        if price.usd_per_million_cached_input is not None:
            item["cache_read_input_token_cost"] = price.usd_per_million_cached_input / 1e6
        taken[key] = (price, item)
    assert len(taken) >= 50
    path = tmp_path / "map.json"
    path.write_text(json.dumps({key: item for key, (_, item) in taken.items()}))
    target = tmp_path / "out.toml"
    code, _, err = run(capsys, "--no-discover", "catalog", "import", "litellm", str(path), "-o", str(target))
    assert code == 0, err
    assert "matched no model profile" not in err
    imported = {e.value.source.split(", key ", 1)[1]: e.value for e in load_catalog_file(target).entries}
    for key, (price, _) in taken.items():
        got = imported[key]
        assert (got.model, got.provider, got.api_model) == (price.model, price.provider, price.api_model), key
        assert (got.usd_per_million_input, got.usd_per_million_output, got.usd_per_million_cached_input) == \
               (price.usd_per_million_input, price.usd_per_million_output, price.usd_per_million_cached_input), key
