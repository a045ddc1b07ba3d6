"""Calibration from one run, as a new user brings it back (issue 18 point 4).

`tests/fixtures/measured/one-run.json` is one `vllm bench serve --save-result` file of
Llama-3.1-8B on one H100 at 32 concurrent users (its README says where the numbers come from).
`advisor calibrate` reads what the file states, asks for everything else in one message, fits
only what one run supports (a throughput scale on the η the run's decode is bound by, and the
latency offset t_request from TTFT), and a re-quote with the written calibration shows it.
Fewer than four runs keep to those two; four or more runs get the full, identifiability-driven
fit (tests/test_calibrate.py).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from calibrate_helpers import MEASURED, calibrate_json, catalog_entry
from measured_writers import Noisy, measure, truth_factors, vllm_result, write_jsonl

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.core.efficiency import select

ONE_RUN = str(MEASURED / "one-run.json")
NOT_FITTED = ("eta_compute", "eta_prefill", "alpha_s", "max_batch", "eta_moe", "small_gpu_max_batch",
              "memory_fraction", "prefill_chunk_tokens")


@pytest.fixture(scope="module")
def world() -> Any:
    return load_world(discover=False)


def _one_line_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--no-discover", "calibrate", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# -- what the file states, what it does not ------------------------------------------------

def test_everything_a_file_leaves_out_is_asked_for_in_one_message(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cal.toml"
    err = _one_line_error([ONE_RUN, "-o", str(out)], capsys)
    assert err == (f"advisor: {ONE_RUN}: vLLM bench serve results do not state the GPU or the "
                   "tensor-parallel degree; pass --gpu and --tp (e.g. --gpu h100 --tp 1)")
    assert not out.exists()  # the model (model_id) and load come from the file; vLLM is assumed
    assert main(["--no-discover", "validate", "--data", ONE_RUN]) == 2  # validate reads it the same way
    assert capsys.readouterr().err.strip() == err


def test_a_misspelt_gpu_gets_a_did_you_mean_beside_what_is_still_missing(tmp_path: Path, capsys) -> None:
    err = _one_line_error([ONE_RUN, "--gpu", "h10", "-o", str(tmp_path / "cal.toml")], capsys)
    assert err == (f"advisor: --gpu h10: unknown GPU 'h10' (did you mean 'h100-sxm'?); {ONE_RUN}: "
                   "vLLM bench serve results do not state the tensor-parallel degree; pass --tp "
                   "(e.g. --tp 1)")


def test_files_missing_different_things_are_listed_together(tmp_path: Path, capsys) -> None:
    genai = str(MEASURED / "genai-perf" / "profile_export_genai_perf.json")  # OpenAI endpoint
    err = _one_line_error([ONE_RUN, genai, "-o", str(tmp_path / "cal.toml")], capsys)
    assert err == ("advisor: the results do not state the GPU (one-run.json, "
                   "profile_export_genai_perf.json), the serving engine "
                   "(profile_export_genai_perf.json) or the tensor-parallel degree "
                   "(one-run.json, profile_export_genai_perf.json); pass --gpu, --engine and --tp "
                   "(e.g. --gpu h100 --engine vllm --tp 1)")


def test_the_engine_a_vllm_client_implies_is_said_and_a_flag_overrides_it(world: Any) -> None:
    from advisor.calibration import inputs
    from advisor.calibration.measured import Context

    read = inputs.read_all([ONE_RUN], Context(gpu="h100", tp=1), world)
    assert {r["engine"] for r in read.records} == {"vllm"}
    assert read.warnings == (f"{ONE_RUN}: engine vllm assumed: a vLLM bench serve result names "
                             "its client backend ('openai'), not the server; pass --engine if "
                             "another engine served it",)
    read = inputs.read_all([ONE_RUN], Context(gpu="h100", tp=1, engine="sglang"), world)
    assert {r["engine"] for r in read.records} == {"sglang"} and read.warnings == ()


# -- one run: a throughput scale and a latency offset ---------------------------------------

@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The done-when command, and a team folder whose advisor.toml lists what it wrote."""
    folder = tmp_path_factory.mktemp("team")
    (folder / ".git").mkdir()  # a team repository: its advisor.toml is found from inside it
    (folder / "advisor.toml").write_text('calibrations = ["cal.toml"]\n', encoding="utf-8")
    out = folder / "cal.toml"
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["--no-discover", "calibrate", ONE_RUN, "--gpu", "h100", "--tp", "1", "-o", str(out),
                     "--as-of", "2026-03-01"])
    assert code == 0, stderr.getvalue()
    return {"folder": folder, "out": out, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "config": ["--config", str(folder / "advisor.toml"), "--no-discover"]}


def test_one_run_fits_a_throughput_scale_and_a_latency_offset(one_run: dict[str, Any], world: Any) -> None:
    prior = select(world.efficiency.values(), world.accelerator("h100"), "vllm")
    fitted = catalog_entry(one_run["out"])
    assert fitted.id == "team-h100-sxm-vllm" and fitted.rows == 3
    for name in NOT_FITTED:  # one run cannot tell these apart from the two fitted: the prior's
        assert getattr(fitted, name) == getattr(prior, name), name
    # 32 users of an 8B model: decode reads weights and KV, it is memory-bound, so the scale
    # moves η_mem (not η_compute) and the step's overheads, whichever way the run differs from
    # the prior; its first token comes later than the prior says
    scale = fitted.eta_mem / prior.eta_mem
    assert abs(scale - 1.0) > 1e-3 and fitted.t_request_s > prior.t_request_s
    for overhead in ("t_fixed_s", "t_layer_s", "t_seq_s"):
        assert getattr(fitted, overhead) == pytest.approx(getattr(prior, overhead) / scale, rel=2e-3)
    text = " ".join(one_run["stdout"].split())  # the table wraps long lines
    assert "1 run (concurrency=32, 1024 in / 1024 out): decode is memory-bound" in text
    assert (f"fitted: a throughput scale ×{scale:.3f} on the decode step (eta_mem {prior.eta_mem:.4g} → "
            f"{fitted.eta_mem:.4g}; its per-step overheads ÷{scale:.3f}: t_fixed_s") in text
    assert (f"the latency offset t_request_s ({prior.t_request_s:.4g} → {fitted.t_request_s:.4g} s) "
            "from TTFT") in text
    assert ("kept from hopper-vllm: eta_compute, eta_prefill, alpha_s, max_batch (one run cannot "
            "separate them; 4 runs at different concurrencies can)") in text
    assert f"compare: advisor validate --data {ONE_RUN} --gpu h100-sxm --tp 1 --engine vllm" in text
    assert fitted.notes.startswith(f"fitted to 3 measured values from 1 run: a throughput scale ×{scale:.3f} "
                                   "on the memory-bound decode step (eta_mem, t_fixed_s, t_layer_s, t_seq_s)")


def test_the_calibration_puts_the_run_within_1_percent(one_run: dict[str, Any], capsys) -> None:
    def errors(*config: str) -> dict[str, float]:
        assert main([*config, "validate", "--data", ONE_RUN, "--gpu", "h100", "--tp", "1",
                     "--format", "json"]) == 0
        return {r["metric"]: r["median_abs_pct_error"] for r in json.loads(capsys.readouterr().out)
                if r["group"] == "all"}

    before, after = errors("--no-discover"), errors(*one_run["config"])
    # one scale for throughput and TPOT, one offset for TTFT: each within 1 % after, and no
    # worse than before where the prior was already within 1 %
    for metric in ("output tok/s (online)", "ITL (online)", "TTFT (online)"):
        assert after[metric] < max(1.0, before[metric]), (metric, before, after)
    assert after["TTFT (online)"] < before["TTFT (online)"] / 10, (before, after)


def test_a_requote_uses_the_calibration_and_names_it(one_run: dict[str, Any], capsys) -> None:
    load = ["--model", "8b", "--gpu", "h100", "--engine", "vllm", "--isl", "1024", "--osl", "1024",
            "--concurrency", "32"]
    assert main([*one_run["config"], "estimate", *load]) == 0
    out = capsys.readouterr().out
    assert "Efficiency factors (team-h100-sxm-vllm)" in out
    assert "factors: team calibration cal.toml: advisor calibrate on 1 file(s): one-run.json" in out
    world = load_world(str(one_run["folder"] / "advisor.toml"), discover=False)
    h100 = sorted(o.id for o in world.offerings.values() if o.accelerator == "h100-sxm")[0]
    quote = ["quote", "--model", "8b", "--engine", "vllm", "--isl", "1024", "--osl", "1024",
             "--concurrency", "32", "--explain", h100]
    assert main([*one_run["config"], *quote]) == 0
    explained = capsys.readouterr().out
    assert "Efficiency factors team-h100-sxm-vllm (hopper, vllm; fitted to 3 rows" in explained
    assert "  source: team calibration cal.toml: advisor calibrate on 1 file(s)" in explained


def test_the_tui_details_mark_a_team_calibration(one_run: dict[str, Any]) -> None:
    """Found the way the TUI finds it (the team config upward from the working folder)."""
    from advisor.quote.build import build_quote
    from advisor.search.request import build_request
    from advisor.tui.widgets.details import details_columns

    for world, marked in ((load_world(cwd=one_run["folder"]), True), (load_world(discover=False), False)):
        quote = build_quote(build_request(world, model="8b", engine="vllm", isl=1024, osl=1024,
                                          concurrency=32), world)
        result = next(r for r in quote.results if r.offering.accelerator == "h100-sxm" and r.hardware)
        shown = details_columns(quote, result, world)[1].plain
        assert ("team-h100-sxm-vllm (vllm; fitted to 3 rows" in shown) == marked, shown
        assert ("★ team" in shown) == marked and ("hopper-vllm (vllm;" in shown) != marked, shown


# -- a few runs and more -------------------------------------------------------------------

def _runs(world: Any, loads: list[int], seed: int = 3) -> list[dict[str, Any]]:
    eff, rng = truth_factors(world), random.Random(seed)
    out = []
    for c in loads:
        m = Noisy(measure(world, eff, "llama-3.1-8b", 1, 1024, 512, f"concurrency={c}", 8 * c), rng)
        out.append(vllm_result("llama-3.1-8b", m, 1024, 512, concurrency=c, rate=None, requests=8 * c, tp="1"))
    return out


def test_fewer_than_four_runs_keep_to_the_scale_and_the_offset(tmp_path: Path, world: Any, capsys) -> None:
    path = write_jsonl(tmp_path / "two.json", _runs(world, [1, 32]))
    report = calibrate_json([str(path), "--gpu", "h100", "--engine", "vllm", "-o", str(tmp_path / "c.toml")], capsys)
    assert report["fitted"] == ["eta_mem", "t_fixed_s", "t_request_s"] and report["runs"] == 2
    assert report["mode"] == "scale and offset" and report["scaled"] == ["eta_mem", "t_fixed_s", "t_layer_s", "t_seq_s"]
    kept = {f["factor"]: f["status"] for f in report["factors"] if f["factor"] not in report["fitted"]}
    assert kept["eta_prefill"] == "kept (2 runs cannot separate it; 4 runs at different concurrencies can)"
    assert set(kept) == {"eta_compute", "eta_prefill", "alpha_s", "max_batch"}


def test_four_runs_over_different_concurrencies_fit_more_factors(tmp_path: Path, world: Any, capsys) -> None:
    path = write_jsonl(tmp_path / "four.json", _runs(world, [1, 8, 64, 256]))
    report = calibrate_json([str(path), "--gpu", "h100", "--engine", "vllm", "-o", str(tmp_path / "c.toml")], capsys)
    assert report["mode"] == "full" and report["runs"] == 4 and report["scaled"] == []
    # runs at different loads tell prefill speed from the per-request offset, which fewer keep
    assert {"eta_mem", "eta_prefill", "t_request_s"} <= set(report["fitted"]), report["fitted"]


def test_a_compute_bound_run_scales_eta_compute(tmp_path: Path, world: Any, capsys) -> None:
    eff, rng = truth_factors(world), random.Random(11)
    # 384 users of 128-token prompts (below both batch caps): the GEMMs of an 8B model at
    # 384 rows take longer than reading its weights, so decode is compute-bound
    m = Noisy(measure(world, eff, "llama-3.1-8b", 1, 128, 128, "concurrency=384", 1536), rng)
    path = write_jsonl(tmp_path / "big.json", [vllm_result("llama-3.1-8b", m, 128, 128, concurrency=384,
                                                           rate=None, requests=1536, tp="1")])
    report = calibrate_json([str(path), "--gpu", "h100", "--engine", "vllm", "-o", str(tmp_path / "c.toml")], capsys)
    assert "eta_compute" in report["scaled"] and report["bound"] in ("compute", "memory and compute")


def test_one_run_with_only_its_throughput_is_refused_and_says_what_to_add(tmp_path: Path, capsys) -> None:
    run = json.loads(Path(ONE_RUN).read_text())
    for key in [k for k in run if k.endswith(("_ttft_ms", "_tpot_ms", "_itl_ms"))]:
        del run[key]
    path = write_jsonl(tmp_path / "thin.json", [run])
    assert main(["--no-discover", "calibrate", str(path), "--gpu", "h100", "--tp", "1", "-o",
                 str(tmp_path / "c.toml")]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after what was read and assumed
    assert err.startswith("advisor: calibrate: refused: only 1 usable measurement(s); at least 2 are "
                          "needed to fit a throughput scale"), err
    assert "TPOT and TTFT" in err



# -- the README shows real output ----------------------------------------------------------

def test_the_readme_shows_what_calibrate_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Calibrate from your own runs", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    shown: dict[str, list[str]] = {}
    for line in block.splitlines():
        if line.startswith("$ "):
            command = line[2:]
            shown[command] = []
        else:
            shown[command].append(line)
    (tmp_path / "one-run.json").write_bytes(Path(ONE_RUN).read_bytes())
    monkeypatch.chdir(tmp_path)
    assert len(shown) == 3
    for command, lines in shown.items():
        argv = command.split()[1:]
        code = main(["--no-discover", *argv])
        out, err = capsys.readouterr()
        assert code == (0 if "--tp" in argv else 2), command
        assert (err + out).splitlines() == lines, command
