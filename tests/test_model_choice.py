"""`--model` resolution is explicit: a size hint picks a model only within 5 % of that size
(else exit 2 naming the nearest models with their sizes), and the model chosen is stated on
stderr and in the table header, for `quote` and `estimate` alike (issue 17, point 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.search.request import SIZE_HINT_TOLERANCE, build_request, choose_model, resolve_model

WORLD = load_world(discover=False)


@pytest.fixture(autouse=True)
def _away_from_team_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_size_with_no_model_within_five_percent_is_refused_with_the_nearest() -> None:
    # 123b (Mistral-Large-2) used to quote gpt-oss-120b, a 116.8B mixture of experts
    with pytest.raises(AdvisorError) as caught:
        choose_model(WORLD, "123b")
    message = caught.value.message
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert message.startswith("no model within 5 % of 123b")
    assert "nearest: gpt-oss-120b (116.8B MoE, 5.1B active)" in message
    assert "advisor models" in message and "\n" not in message


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1.0, max_value=2000.0))
def test_a_size_hint_never_resolves_further_than_the_tolerance(billions: float) -> None:
    text = f"{billions:.1f}b"
    params = float(f"{billions:.1f}") * 1e9
    try:
        model_id, note = resolve_model(WORLD, text)
    except AdvisorError as err:
        assert "nearest: " in err.message
        assert all(abs(m.total_params - params) / params > SIZE_HINT_TOLERANCE for m in WORLD.models.values())
        return
    assert abs(WORLD.models[model_id].total_params - params) / params <= SIZE_HINT_TOLERANCE
    assert note is not None and model_id in note


def test_a_size_hint_states_the_other_models_that_close() -> None:
    choice = choose_model(WORLD, "32b")
    line = choice.line(WORLD)
    assert line is not None and line.startswith(f"32b → {choice.id} (")
    assert "also within 5 %: " in line
    request = build_request(WORLD, model="32b")
    assert any("model size '32b' resolved to" in note for note in request.notes)


def test_an_id_says_nothing_and_an_alias_names_the_model() -> None:
    assert choose_model(WORLD, "llama-3.1-70b").line(WORLD) is None
    assert choose_model(WORLD, "70b").line(WORLD) == "70b → llama-3.1-70b (70.6B)"


def test_quote_states_the_model_on_stderr_and_in_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "quote", "--model", "120b", "--top", "1")
    assert code == 0, err
    assert "advisor: model: 120b → gpt-oss-120b (116.8B MoE, 5.1B active)\n" in err
    assert "gpt-oss-120b (116.8B MoE, 5.1B active) · ctx" in out


def test_quote_refuses_123b_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "quote", "--model", "123b")
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.startswith("advisor: no model within 5 % of 123b") and err.count("\n") == 1
    assert "Traceback" not in err


def test_estimate_resolves_sizes_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "estimate", "--model", "120b", "--gpu", "h100", "--isl", "1k", "--osl", "1k",
                         "--format", "json")
    assert code == 0, err
    assert '"model": "gpt-oss-120b"' in out
    assert "advisor: model: 120b → gpt-oss-120b" in err
    code, out, err = run(capsys, "estimate", "--model", "123b", "--gpu", "h100", "--isl", "1k", "--osl", "1k")
    assert code == EXIT_BAD_INPUT and "nearest: gpt-oss-120b" in err
