"""`--explain`'s decode-step arithmetic adds up: the PP factor, both kernel maxima, every
collective, the stage overhead and the tenancy factor are shown, and the sum of the shown terms
is the shown step within rounding (issue 17, point 8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from export_helpers import fixture_quote

from advisor.cli import main
from advisor.export.explain import explain_lines
from advisor.search.ranking import Result

UNIT = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}
TIME = r"(\d+(?:\.\d+)?(?: (?:ms|µs|s))?)"  # '9.40 ms', '784 µs', '0'
# the GPU's terms, then the host's per-sequence work: added (`+ host`) or beside them (`max(…, host)`)
STEP = re.compile(rf"= (?:(\d+) × \()?(max\()?max\({TIME}, {TIME}\) \+ max\({TIME}, {TIME}\) \+ {TIME} \+ {TIME}"
                  rf"(?:, {TIME}\)| \+ {TIME})\)?(?: ÷ (\d+\.\d+))? ≈ {TIME}$")


def seconds(text: str) -> float:
    number, _, unit = text.partition(" ")
    return float(number) * UNIT[unit] if unit else float(number)


def shown_step(lines: list[str]) -> tuple[float, float]:
    """(the shown terms summed as the line says, the shown result) of the decode step, seconds."""
    found = [match for line in lines if (match := STEP.search(line))]
    assert len(found) == 1, lines
    pp, overlap, weights, gemm, kv, attention, comm, fixed, beside, after, tenancy, step = found[0].groups()
    gpu = max(seconds(weights), seconds(gemm)) + max(seconds(kv), seconds(attention)) + seconds(comm) + seconds(fixed)
    stage = max(gpu, seconds(beside)) if overlap else gpu + seconds(after)
    return int(pp or 1) * stage / float(tenancy or 1.0), seconds(step)


def check(result: Result, lines: list[str]) -> None:
    total, step = shown_step(lines)
    assert total == pytest.approx(step, rel=0.01)  # three significant digits each
    assert result.estimate is not None and step == pytest.approx(result.estimate.decode_step_s, rel=0.005)


@pytest.mark.usefixtures("in_fixture")
def test_a_pp2_step_adds_up_with_its_factor() -> None:
    quote = fixture_quote()
    cluster = next(r for r in quote.feasible if r.candidate is not None and r.candidate.layout.pp > 1)
    lines = explain_lines(quote, cluster)
    check(cluster, lines)
    assert any(f"= {cluster.candidate.layout.pp} × (max(" in line for line in lines)  # type: ignore[union-attr]


@pytest.mark.usefixtures("in_fixture")
def test_every_feasible_row_of_the_fixture_adds_up() -> None:
    quote = fixture_quote()
    for result in quote.feasible:
        check(result, explain_lines(quote, result))


def test_the_cli_explains_a_pp2_offering_that_adds_up(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from advisor.catalog.config import load_world
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request

    world = load_world(discover=False)
    quote = build_quote(build_request(world, model="405b", max_context=32768), world)
    pp2 = next(r for r in quote.feasible if r.candidate is not None and r.candidate.layout.pp == 2)
    assert main(["--no-discover", "quote", "--model", "405b", "--ctx", "32k", "--explain", pp2.offering.id]) == 0
    check(pp2, capsys.readouterr().out.splitlines())


@pytest.mark.parametrize(("engine", "beside"), [("vllm@0.10", False), ("vllm", True), ("sglang", True)])
def test_the_host_work_is_added_or_beside_as_the_engine_runs_it(engine: str, beside: bool, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # bug: with the host beside the GPU (vLLM 0.14's default), --explain still added the host's
    # per-sequence work to the GPU's terms: 2 × (3.81 + 4.50 + 1.27 + 7.77 ms) ÷ 0.97 shown as 28.7 ms
    monkeypatch.chdir(tmp_path)
    from advisor.catalog.config import load_world
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request

    world = load_world(discover=False)
    quote = build_quote(build_request(world, model="70b", max_context=8192, engine=engine), world)
    for result in quote.feasible[:5]:
        lines = explain_lines(quote, result)
        check(result, lines)
        assert any("= max(max(" in line or "× (max(max(" in line for line in lines) == beside, lines


FIXED = re.compile(rf"fixed = t_fixed {TIME} \+ t_layer {TIME} × ([\d,]+\.\d) GQA-layer equivalents .* = {TIME}$")


def test_the_fixed_overhead_is_derived_from_the_factors_and_the_layer_count() -> None:
    """The stage's fixed time is shown as t_fixed + t_layer × the model's GQA-layer equivalents,
    the product adds up to the step's own fixed term, and the factors' parts (family correction
    with its per-layer overhead scale, release term) are printed with them."""
    from advisor.catalog.config import load_world
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request

    world = load_world(discover=False)
    request = build_request(world, model="llama-3.1-405b", max_context=32768, providers=("tensorwave",))
    quote = build_quote(request, world)
    row = next(r for r in quote.feasible if r.offering.id == "tensorwave/mi300x-8x")
    lines = explain_lines(quote, row)
    found = [m for line in lines if (m := FIXED.search(line))]
    assert len(found) == 1, lines
    t_fixed, t_layer, shown, fixed = found[0].groups()
    layers = float(shown.replace(",", ""))
    assert seconds(t_fixed) + seconds(t_layer) * layers == pytest.approx(seconds(fixed), rel=0.01)
    assert row.estimate is not None and seconds(fixed) == pytest.approx(row.estimate.stage_fixed_s, rel=0.005)
    assert layers == pytest.approx(126 * 1.5, abs=0.5)  # 405B: 126 GQA layers, FP8: 3 kernels per 2 GEMMs
    composed = next(line for line in lines if line.startswith("  composed of: "))
    assert "family correction fitted on" in composed and "per-layer overhead ×" in composed
