"""The request's one set of checks: `QuoteRequest.__post_init__` holds for flags, the TUI's form
and quote files alike, and a request built from flags is exactly what pydantic rebuilds from
its JSON (so a saved quote reproduces)."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.catalog.config import load_world
from advisor.commands.quote import add_arguments, request_fields
from advisor.domain.common import to_json
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.search.request import RANGES, QuoteRequest, build_request, validate_request

WORLD = load_world(discover=False)


def flags(*argv: str) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return request_fields(parser.parse_args(["--model", "70b", *argv]))


def number() -> st.SearchStrategy[str]:
    digits = st.integers(min_value=0, max_value=10**13).map(str)
    return st.one_of(digits, st.floats(min_value=0, max_value=1e13, allow_nan=False).map(lambda x: f"{x:g}"))


FLAG_VALUES = {
    "--ctx": st.tuples(number(), st.sampled_from(["", "k", "m"])).map("".join),
    "--isl": st.tuples(number(), st.sampled_from(["", "k"])).map("".join),
    "--osl": number(),
    "--concurrency": number(),
    "--rate": st.tuples(number(), st.sampled_from(["", "/s", "/min"])).map("".join),
    "--ttft": st.tuples(number(), st.sampled_from(["s", "ms", "min"])).map("".join),
    "--tpot": st.tuples(number(), st.sampled_from(["s", "ms"])).map("".join),
    "--utilization": st.one_of(number(), number().map(lambda n: n + "%")),
    "--max-nodes": number(),
    "--max-usd-per-month": number(),
    "--weights": st.sampled_from(["bf16", "fp8,fp4", "int4", "fp7", "bf16,xx"]),
    "--kv-dtype": st.sampled_from(["bf16", "fp8", "int8"]),
    "--tenancy": st.sampled_from(["vm", "bare-metal,container", "cloud"]),
    "--term": st.sampled_from(["on-demand", "spot", "1-year", "forever"]),
    "--currency": st.sampled_from(["usd", "EUR", "eu", "€"]),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(FLAG_VALUES)), st.none(), max_size=6).flatmap(
    lambda chosen: st.fixed_dictionaries({flag: FLAG_VALUES[flag] for flag in chosen})))
def test_what_the_flags_accept_pydantic_accepts_and_rebuilds_exactly(chosen: dict[str, str]) -> None:
    argv = [part for flag, value in chosen.items() for part in (flag, value)]
    try:
        request = build_request(WORLD, **flags(*argv))
    except AdvisorError as err:
        assert err.exit_code == EXIT_BAD_INPUT
        return
    assert validate_request(to_json(request)) == request


@pytest.mark.parametrize("field", sorted(RANGES))
def test_every_bound_holds_on_both_paths(field: str) -> None:
    low, high, low_allowed = RANGES[field]
    base = dataclasses.asdict(build_request(WORLD, model="70b", max_context=4096, input_tokens=1024,
                                            output_tokens=256))
    base["concurrency"] = base["request_rate"] = None
    for outside in ([high * 2] + ([low - 1] if low_allowed else [low])):
        value = int(outside) if isinstance(base.get(field), int) or field in (
            "max_context", "input_tokens", "output_tokens", "concurrency", "max_nodes") else float(outside)
        with pytest.raises(ValueError, match="out of range"):
            QuoteRequest(**{**base, field: value})
        with pytest.raises(AdvisorError, match="out of range"):
            validate_request({**base, field: value})


@pytest.mark.parametrize(("field", "value"), [
    ("weights", ("bf16", "fp7")), ("kv_dtypes", ("int8",)), ("engine", "tgi"), ("term", "forever"),
    ("tenancies", ("cloud",)), ("currency", "eur"), ("model", "Llama 70B"), ("weights", ()),
])
def test_choices_and_names_are_checked_on_both_paths(field: str, value: object) -> None:
    base = dataclasses.asdict(build_request(WORLD, model="70b"))
    with pytest.raises(ValueError):
        QuoteRequest(**{**base, field: value})
    with pytest.raises(AdvisorError):
        validate_request(to_json({**base, field: value}))


def test_a_bad_flag_value_is_one_bad_input_line() -> None:
    with pytest.raises(AdvisorError, match=r"^request: tenancies: 'cloud' is not one of") as err:
        build_request(WORLD, **flags("--tenancy", "cloud"))
    assert err.value.exit_code == EXIT_BAD_INPUT
