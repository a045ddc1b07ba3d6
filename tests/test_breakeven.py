"""Break-even against hosted APIs: the blended API price for a token mix, the cheapest host,
the break-even utilization and monthly volume (hand-computed), and where a quote shows them."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from advisor.cli import main
from advisor.domain import ApiPrice
from advisor.quote.breakeven import api_reference, break_even
from advisor.quote.parts import Pricing
from advisor.search.ranking import Cost, Result

FIXTURE = Path(__file__).parent / "fixtures" / "api_prices"


def price(pid: str, usd_in: float, usd_out: float, cached: float | None = None,
          model: str = "llama-3.1-70b") -> ApiPrice:
    return ApiPrice(id=pid, provider=pid.split("/")[0], model=model, usd_per_million_input=usd_in,
                    usd_per_million_output=usd_out, usd_per_million_cached_input=cached,
                    as_of=date(2026, 12, 1), source="test")


def priced_result(usd_per_hour: float, total_tokens_per_s: float) -> Result:
    """A feasible row with only what the break-even reads: its cost per hour and its throughput."""
    cost = Cost(usd_per_hour=usd_per_hour, usd_per_month=usd_per_hour * 730, usd_per_million_output_tokens=0.0,
                usd_per_million_input_tokens=0.0, usd_per_million_output_tokens_decode=0.0,
                usd_per_million_tokens_blended=0.0, prefill_share=0.0)
    candidate: Any = SimpleNamespace(estimate=SimpleNamespace(total_tokens_per_s=total_tokens_per_s))
    offering: Any = SimpleNamespace(id="fixture/8x")
    return Result(offering=offering, accelerator=None, feasible=True, reasons=(), candidate=candidate, cost=cost)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- arithmetic ----------------------------------------------------------------------------

def test_blended_api_price_weighs_input_and_output_by_the_request() -> None:
    p = price("deepinfra/llama-3.1-70b", 0.13, 0.40, cached=0.065)
    # (2048 × 0.13 + 1024 × 0.40) / 3072 = (266.24 + 409.6) / 3072 = 0.22
    assert p.usd_per_million_blended(2048, 1024) == pytest.approx(0.22)
    # half the input cached: 0.5 × 0.13 + 0.5 × 0.065 = 0.0975 per input token;
    # (2048 × 0.0975 + 409.6) / 3072 = 609.28 / 3072 = 0.198333…
    assert p.usd_per_million_blended(2048, 1024, cached_share=0.5) == pytest.approx(609.28 / 3072)


def test_the_cheapest_host_depends_on_the_token_mix() -> None:
    prices = {"a/m": price("a/m", 0.10, 1.00), "b/m": price("b/m", 0.50, 0.50)}
    # prompt-heavy 9000 in / 1000 out: a = (900 + 1000) / 10000 = 0.19 < b = 0.50
    prompt_heavy = api_reference("llama-3.1-70b", prices, 9000, 1000)
    assert prompt_heavy.price is not None and prompt_heavy.price.id == "a/m"
    assert prompt_heavy.usd_per_million_tokens == pytest.approx(0.19)
    assert prompt_heavy.considered == 2
    # output-heavy 100 in / 900 out: a = (10 + 900) / 1000 = 0.91 > b = 0.50
    output_heavy = api_reference("llama-3.1-70b", prices, 100, 900)
    assert output_heavy.price is not None and output_heavy.price.id == "b/m"


def test_break_even_utilization_and_monthly_volume_on_a_fixture_price() -> None:
    reference = api_reference("llama-3.1-70b", {"x": price("x", 0.13, 0.40)}, 2048, 1024)  # 0.22 USD/Mtok
    pricing = Pricing("USD", 1.0, 730.0)
    be = break_even(priced_result(usd_per_hour=12.0, total_tokens_per_s=20_000), reference, pricing, 0.5)
    assert be is not None
    # full load: 20,000 tokens/s × 3600 = 72 million tokens an hour
    assert be.tokens_per_hour_full_load == pytest.approx(72e6)
    # 12 USD/h ÷ 72 Mtok/h = 0.16667 USD per million tokens fully busy, 0.33333 at 50 %
    assert be.cluster_per_million_tokens_full_load.amount == pytest.approx(12 / 72)
    assert be.cluster_per_million_tokens.amount == pytest.approx(12 / 72 / 0.5)
    # u* = 12 / (0.22e-6 × 72e6) = 12 / 15.84 = 0.757576
    assert be.break_even_utilization == pytest.approx(12 / 15.84)
    # V* = 12 USD/h × 730 h ÷ 0.22e-6 USD/token = 8760 / 2.2e-7 = 39,818 million tokens a month
    assert be.break_even_tokens_per_month == pytest.approx(8760 / 0.22e-6)
    assert be.cheaper_than_api is False  # 50 % < 75.8 %
    assert "Renting is cheaper above 75.8% utilization, i.e. above 39,818 million tokens a month" in be.text
    assert "at 50% it is dearer than the API" in be.text


def test_a_deployment_too_slow_to_ever_beat_the_api_says_so() -> None:
    reference = api_reference("llama-3.1-70b", {"x": price("x", 0.13, 0.40)}, 2048, 1024)
    # 2,000 tokens/s: u* = 12 / (0.22e-6 × 7.2e6) = 12 / 1.584 = 7.58 (758 %)
    be = break_even(priced_result(12.0, 2_000), reference, Pricing("USD", 1.0, 730.0), 0.5)
    assert be is not None and be.break_even_utilization == pytest.approx(12 / 1.584)
    assert "The API is cheaper at any utilization" in be.text
    assert "break-even 758%" in be.short


def test_amounts_follow_the_quote_currency() -> None:
    reference = api_reference("llama-3.1-70b", {"x": price("x", 0.13, 0.40)}, 2048, 1024)
    be = break_even(priced_result(12.0, 20_000), reference, Pricing("EUR", 1.10, 730.0), 0.5)
    assert be is not None and be.api_per_million_tokens is not None
    assert be.api_per_million_tokens.amount == pytest.approx(0.22 / 1.10)
    assert be.api_per_million_tokens.currency == "EUR"
    assert be.break_even_utilization == pytest.approx(12 / 15.84)  # a ratio: the same in any currency


def test_no_api_price_for_the_model_is_said() -> None:
    reference = api_reference("llama-3.1-405b", {"x": price("x", 0.13, 0.40)}, 2048, 1024)
    be = break_even(priced_result(12.0, 20_000), reference, Pricing("USD", 1.0, 730.0), 0.5)
    assert be is not None and be.break_even_utilization is None and be.cheaper_than_api is None
    assert be.text.startswith("No hosted API price for llama-3.1-405b in the catalog")
    assert be.short == "API reference: no hosted API price for llama-3.1-405b in the catalog, so no break-even"


# -- the quote -------------------------------------------------------------------------------

def test_the_quote_table_shows_the_api_reference_and_break_even(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--no-discover", "quote", "--model", "70b", "--ctx", "8k", "--width", "200")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("API reference:"))
    # the built-in DeepInfra price, 0.13 in / 0.40 out, at 2048 in / 1024 out: 0.22 USD per million
    assert "API reference: DeepInfra 0.2200 USD/Mtok for 2048 in / 1024 out vs rank 1" in line
    assert "renting is cheaper above" in line or "the API is cheaper at any utilization" in line


def test_the_json_break_even_is_the_cost_per_hour_over_the_api_price_of_the_tokens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--no-discover", "--config", str(FIXTURE / "advisor.toml"), "quote",
                         "--model", "70b", "--ctx", "8k", "--format", "json")
    assert code == 0
    be = json.loads(out)["break_even"]
    assert be["api"]["id"] == "fixture-host/llama-3.1-70b"  # cheaper than the built-in hosts
    # (2048 × 0.05 + 1024 × 0.20) / 3072 = (102.4 + 204.8) / 3072 = 0.1 USD per million tokens
    assert be["api_usd_per_million_tokens"] == pytest.approx(0.1)
    assert be["cached_input_share"] == 0.0
    u = be["usd_per_hour"] / (0.1e-6 * be["tokens_per_hour_full_load"])
    assert be["break_even_utilization"] == pytest.approx(u)
    assert be["break_even_tokens_per_month"] == pytest.approx(be["usd_per_hour"] * 730 / 0.1e-6)
    assert be["cheaper_than_api"] is (u < 0.5)
    # the price for a model that has no profile yet loads, with a warning
    assert "unknown model 'kimi-k2'" in err and "not used until a model profile" in err


def test_every_export_carries_the_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt, expected in (("md", "## Versus hosted APIs"), ("html", "Versus hosted APIs"),
                          ("csv", "break_even_utilization")):
        code, out, _ = run(capsys, "--no-discover", "quote", "--model", "70b", "--ctx", "8k", "--format", fmt)
        assert code == 0 and expected in out, fmt
    # a built-in model no host in the catalog sells
    code, out, _ = run(capsys, "--no-discover", "quote", "--model", "seed-oss-36b", "--ctx", "8k", "--format", "md")
    assert "No hosted API price for seed-oss-36b in the catalog" in out


# -- the catalog kind ------------------------------------------------------------------------

PRICE_TABLE = """[[api_price]]
id = "acme/llama-3.1-70b"
provider = "Acme"
model = "llama-3.1-70b"
usd_per_million_input = 0.50
usd_per_million_output = 0.80
as_of = 2026-12-01
source = "acme.example/pricing"
"""


@pytest.mark.parametrize(("change", "message"), [
    ("usd_per_million_cached_input = 0.9\n", "prices.toml:1: api_price: usd_per_million_cached_input exceeds "
                                             "usd_per_million_input"),
    ("usd_per_milion_output_tokens = 1\n", "prices.toml:9: api_price.usd_per_milion_output_tokens: unknown key "
                                           "(did you mean 'usd_per_million_output'?)"),
    ("confidence = 'D'\n", "prices.toml:9: api_price.confidence: Input should be 'A', 'B' or 'C'"),
])
def test_a_bad_api_price_names_file_line_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 change: str, message: str) -> None:
    (tmp_path / "prices.toml").write_text(PRICE_TABLE + change)
    (tmp_path / "advisor.toml").write_text('catalogs = ["prices.toml"]\n')
    code, _, err = run(capsys, "--no-discover", "--config", str(tmp_path / "advisor.toml"), "quote",
                       "--model", "70b", "--ctx", "8k")
    assert code == 2 and message in err and "Traceback" not in err


def test_explain_shows_the_break_even_arithmetic_and_it_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--no-discover", "quote", "--model", "70b", "--ctx", "8k", "--format", "json")
    rank1 = json.loads(out)["break_even"]["offering"]
    code, out, _ = run(capsys, "--no-discover", "quote", "--model", "70b", "--ctx", "8k", "--explain", rank1)
    assert code == 0
    assert "  API price = (2048 × 0.13 + 1024 × 0.4) / 3072 = 0.2200 per Mtok (DeepInfra" in out
    line = next(x for x in out.splitlines() if x.startswith("  break-even utilization = "))
    usd, api, tokens_m, pct = (float(v.replace(",", "")) for v in re.findall(r"[\d,]+\.\d+", line))
    assert pct / 100 == pytest.approx(usd / (api / 1e6 * tokens_m * 1e6), abs=1e-3)


def test_check_counts_api_prices_and_warns_of_an_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--no-discover", "check", str(FIXTURE / "prices.toml"))
    assert code == 0
    assert "ok: 1 file, 2 API prices; no problems, 1 warning" in out
    assert "prices.toml:15: api_price.model: fixture-host/kimi-k2: unknown model 'kimi-k2'" in err
    code, _, err = run(capsys, "--no-discover", "check", "--strict", str(FIXTURE / "prices.toml"))
    assert code == 2 and "unknown model 'kimi-k2'" in err
