"""Shorthand parsers: exact values, k = 1024, strict errors (exit 2) with a clear message."""

from __future__ import annotations

import pytest

from advisor import shorthands as sh
from advisor.errors import EXIT_BAD_INPUT, AdvisorError


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("32k", 32768), ("32K", 32768), ("1m", 1048576), ("4096", 4096), ("1.5k", 1536),
     (" 8k ", 8192), ("128k", 131072), ("100_000", 100000), (2048, 2048)],
)
def test_tokens_use_binary_k(text: str | int, tokens: int) -> None:
    assert sh.parse_tokens(text) == tokens


@pytest.mark.parametrize("text", ["", "k", "32kb", "-5", "0", "1.3k", "32 k tokens", "1e3", "nan", "200m"])
def test_bad_token_counts_exit_2(text: str) -> None:
    with pytest.raises(AdvisorError) as err:
        sh.parse_tokens(text, "--ctx")
    assert err.value.exit_code == EXIT_BAD_INPUT
    assert "--ctx" in err.value.message


def test_fractional_k_names_the_rule() -> None:
    with pytest.raises(AdvisorError, match="k means 1024"):
        sh.parse_tokens("1.3k")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2s", 2.0), ("50ms", 0.05), ("500us", 5e-4), ("500µs", 5e-4), ("1.5s", 1.5), ("2min", 120.0),
     ("1h", 3600.0), ("50MS", 0.05)],
)
def test_durations(text: str, seconds: float) -> None:
    assert sh.parse_duration(text) == pytest.approx(seconds)


def test_duration_needs_a_unit() -> None:
    with pytest.raises(AdvisorError, match="needs a unit: write '2s' or '2ms'"):
        sh.parse_duration("2", "--ttft")


@pytest.mark.parametrize("text", ["0s", "2 days", "-1s", "2h", "s", "1e-3s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(AdvisorError):
        sh.parse_duration(text)


def test_model_size_hint() -> None:
    assert sh.parse_model_size("405b") == 405e9
    assert sh.parse_model_size("1.5B") == 1.5e9
    assert sh.parse_model_size("7m") == 7e6
    assert sh.looks_like_model_size("70b")
    assert not sh.looks_like_model_size("llama-3.1-70b")
    with pytest.raises(AdvisorError):
        sh.parse_model_size("0b")


def test_speed_rate_fraction_money_count() -> None:
    assert sh.parse_tokens_per_s("20") == 20.0
    assert sh.parse_tokens_per_s("20tok/s") == 20.0
    assert sh.parse_request_rate("300/min") == pytest.approx(5.0)
    assert sh.parse_request_rate("5/s") == 5.0
    assert sh.parse_fraction("60%") == pytest.approx(0.6)
    assert sh.parse_fraction("1") == 1.0
    assert sh.parse_money("20_000") == 20000.0
    assert sh.parse_count("64") == 64
    for bad, parse in [("1.5", sh.parse_fraction), ("20k", sh.parse_money), ("1k", sh.parse_count),
                       ("0", sh.parse_count), ("2.5", sh.parse_count), ("0%", sh.parse_fraction)]:
        with pytest.raises(AdvisorError):
            parse(bad)


def test_lists_keep_order_and_drop_repeats() -> None:
    assert sh.parse_list("bf16, fp8,bf16,,") == ("bf16", "fp8")
    with pytest.raises(AdvisorError):
        sh.parse_list(" , ")


def test_formatting_inverts_parsing() -> None:
    for tokens in (1024, 32768, 1048576, 1000, 3000):
        assert sh.parse_tokens(sh.format_tokens(tokens)) == tokens
    assert sh.format_duration(0.05) == "50 ms"
    assert sh.format_duration(2.0) == "2.00 s"
    assert sh.format_duration(5e-4) == "500 µs"


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("90", 90), ("2w", 14), ("6m", 180), ("1y", 365),
                                            (" 30D ", 30)])
def test_price_ages_count_days_months_and_years(text: str, days: int) -> None:
    assert sh.parse_age_days(text) == days


@pytest.mark.parametrize("text", ["", "0", "0d", "6x", "1.5y", "-3d", "200y", "6 months"])
def test_bad_price_ages_exit_2(text: str) -> None:
    with pytest.raises(AdvisorError) as err:
        sh.parse_age_days(text, "--max-price-age")
    assert err.value.exit_code == EXIT_BAD_INPUT and "--max-price-age" in err.value.message
