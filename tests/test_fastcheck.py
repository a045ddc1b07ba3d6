"""`advisor.domain.fastcheck` never vouches for what pydantic would refuse, and builds the same
record pydantic would; the request path gives the same one-line error either way."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from advisor.domain.fastcheck import construct
from advisor.errors import AdvisorError
from advisor.search.request import QuoteRequest, validate_request

GOOD = {
    "model": "llama-3.1-70b", "max_context": 8192, "input_tokens": 2048, "output_tokens": 1024,
    "concurrency": 16, "ttft_s": 2.0, "tpot_s": 0.05, "weights": ("bf16", "fp8"),
    "kv_dtypes": ("bf16",), "engine": "vllm", "utilization": 0.5, "term": "on-demand",
    "currency": "USD", "notes": ("context 8k",),
}

# Values of every kind a caller might pass: right, wrong type, out of bounds, coercible.
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**9), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " USD", "usd", "EUR", "vllm", "llama-3.1-70b", "Bad Id", "fp8", "1", "x" * 2100]),
    st.tuples(), st.tuples(st.sampled_from(["bf16", "fp8", "fp32", 3])),
    st.lists(st.sampled_from(["bf16", "fp8"]), max_size=2),
)


def pydantic_result(fields: dict) -> QuoteRequest | None:
    try:
        return QuoteRequest.validate(fields)
    except ValidationError:
        return None


@settings(max_examples=400, deadline=None, derandomize=True)
@given(key=st.sampled_from(sorted(GOOD) + ["request_rate", "max_nodes", "bogus"]), value=ODD_VALUES)
def test_fastcheck_accepts_only_what_pydantic_accepts_and_builds_the_same(key: str, value: object) -> None:
    fields = {**GOOD, key: value}
    if key == "request_rate":
        fields["concurrency"] = None
    try:
        fast = construct(QuoteRequest, fields)
    except ValueError:  # the record's own cross-field check: pydantic must refuse it too
        assert pydantic_result(fields) is None
        return
    if fast is not None:
        slow = pydantic_result(fields)
        assert slow is not None, fields
        assert slow == fast and [type(v) for v in slow.values().values()] == [
            type(v) for v in fast.values().values()]


def test_the_usual_request_needs_no_pydantic() -> None:
    assert construct(QuoteRequest, dict(GOOD)) == QuoteRequest.validate(GOOD)


@pytest.mark.parametrize("change", [{"concurrency": 0}, {"utilization": 1.5}, {"weights": ()},
                                    {"tpot_s": math.inf}, {"currency": "usd"}, {"engine": "tgi"}])
def test_a_value_out_of_bounds_is_left_to_pydantic(change: dict) -> None:
    fields = {**GOOD, **change}
    assert construct(QuoteRequest, fields) is None
    with pytest.raises(AdvisorError) as err:
        validate_request(fields)
    key = next(iter(change))
    assert err.value.exit_code == 2 and str(err.value).startswith(f"request: {key}")


def test_fields_that_do_not_fit_together_give_the_same_error_either_way() -> None:
    fields = {**GOOD, "input_tokens": 8000, "output_tokens": 1024}
    with pytest.raises(AdvisorError) as fast:
        validate_request(fields)
    with pytest.raises(ValidationError) as slow:
        QuoteRequest.validate(fields)
    assert str(fast.value) == "request: input 8000 + output 1024 tokens exceed the context of 8192 tokens"
    assert "exceed the context of 8192 tokens" in str(slow.value)
