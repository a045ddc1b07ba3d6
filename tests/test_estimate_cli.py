"""`advisor estimate`: the fixed JSON contract, alias resolution, --cases in JSONL and CSV with
bad cases that do not stop the batch, error exits, and the human table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main

BASE = ["--no-discover", "estimate"]
CONTRACT = {
    "model", "gpu", "layout", "weights", "kv_dtype", "memory", "batch", "throughput", "latency",
    "interconnect", "efficiency",
}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main([*BASE, *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_fields_follow_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "--model", "Llama-3.1-70B", "--gpu", "H100-SXM-80GB", "--tp", "4",
                   "--gpus", "8", "--weights", "fp8", "--isl", "1000", "--osl", "500",
                   "--concurrency", "64", "--engine", "trtllm")
    assert set(out) >= CONTRACT
    assert out["model"] == "llama-3.1-70b" and out["gpu"] == "h100-sxm"  # canonical ids
    assert out["layout"] == {"tp": 4, "pp": 1, "ep": 1, "replicas": 2, "redundant_experts": 0}
    assert out["weights"] == "fp8" and out["kv_dtype"] == "bf16"  # KV never follows weights
    assert set(out["memory"]) == {"weights_bytes_per_gpu", "kv_bytes_per_token",
                                  "kv_capacity_tokens", "workspace_bytes_per_gpu",
                                  "usable_bytes_per_gpu", "fits"}
    assert out["memory"]["kv_bytes_per_token"] == 327_680  # 80·2·8·128·2 summed over 4 GPUs
    assert set(out["throughput"]) == {"output_tokens_per_s", "total_tokens_per_s"}
    assert set(out["latency"]) == {"ttft_s", "tpot_s"}
    assert set(out["interconnect"]) == {"allreduce_bytes_per_step", "comm_share",
                                        "required_bytes_per_s", "available_bytes_per_s",
                                        "link_kind", "collectives"}
    assert out["efficiency"]["id"] == "hopper-trtllm" and out["efficiency"]["source"]
    assert out["throughput"]["total_tokens_per_s"] == pytest.approx(
        out["throughput"]["output_tokens_per_s"] * 3)


def test_gpus_default_to_one_replica_and_extra_gpus_are_replicas(capsys) -> None:
    one = run_json(capsys, "--model", "llama-3.1-8b", "--gpu", "h100", "--tp", "1",
                   "--isl", "500", "--osl", "200", "--concurrency", "16")
    four = run_json(capsys, "--model", "llama-3.1-8b", "--gpu", "h100", "--tp", "1", "--gpus", "4",
                    "--isl", "500", "--osl", "200", "--concurrency", "64")
    assert one["layout"]["replicas"] == 1 and four["layout"]["replicas"] == 4
    assert four["throughput"]["output_tokens_per_s"] == pytest.approx(
        4 * one["throughput"]["output_tokens_per_s"], rel=1e-6)


def test_saturated_open_loop_prints_null_latency(capsys) -> None:
    out = run_json(capsys, "--model", "llama-3.1-8b", "--gpu", "l40s", "--isl", "2000",
                   "--osl", "500", "--rate", "500")
    assert out["saturated"] is True and out["latency"]["ttft_s"] is None


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cases_jsonl_keeps_order_and_survives_bad_cases(tmp_path, capsys) -> None:
    lines = [
        {"id": "a", "model": "llama-3.1-8b", "gpu": "h100", "isl": 128, "osl": 128},
        {"id": "b", "model": "llama-3.1-8c", "gpu": "h100", "isl": 128, "osl": 128},
        {"id": "c", "model": "llama-3.1-70b", "gpu": "h200", "tp": 3, "isl": 128, "osl": 128},
        {"id": 4, "model": "mixtral-8x7b", "gpu": "a100", "tp": 2, "weights": "fp8",
         "isl": 1000, "osl": 200, "rate": 2.5, "engine": "vllm"},
        {"id": "e", "model": "llama-3.1-8b", "gpu": "h100", "isl": 128, "osl": 128,
         "concurrency": 4, "rate": 1},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    assert main([*BASE, "--cases", write(tmp_path, "c.jsonl", text), "--format", "jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", 4, "e", None]
    assert "throughput" in out[0] and "throughput" in out[3]
    assert "unknown model" in out[1]["error"] and "did you mean" in out[1]["error"]
    assert "does not divide" in out[2]["error"]
    assert "not both" in out[4]["error"] and "not JSON" in out[5]["error"]
    assert out[3]["efficiency"]["id"] == "ampere-vllm"


def test_cases_csv(tmp_path, capsys) -> None:
    text = ("id,model,gpu,gpus,tp,pp,ep,weights,kv_dtype,isl,osl,concurrency,rate,engine\n"
            "x1,llama-3.1-8b,h100,,,,,,,1k,256,8,,\n"
            "x2,mixtral-8x7b,h100,8,4,,4,fp8,fp8,512,128,,,trtllm\n")
    assert main([*BASE, "--cases", write(tmp_path, "c.csv", text)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["id"] == "x1" and out[0]["layout"]["tp"] == 1
    assert out[1]["layout"] == {"tp": 4, "pp": 1, "ep": 4, "replicas": 2, "redundant_experts": 0}
    assert out[1]["kv_dtype"] == "fp8"


@pytest.mark.parametrize("args, message", [
    (["--gpu", "h100", "--isl", "1", "--osl", "1"], "needs --model"),
    (["--model", "llama-3.1-8b", "--gpu", "mi300x", "--isl", "9", "--osl", "9",
      "--engine", "trtllm"], "does not run on AMD"),
    (["--model", "llama-3.1-8b", "--gpu", "h100", "--isl", "9", "--osl", "9",
      "--weights", "fp3"], "weights 'fp3'"),
    (["--model", "llama-3.1-8b", "--gpu", "h100", "--isl", "9", "--osl", "9",
      "--gpus", "3", "--tp", "2"], "not a multiple"),
    (["--cases", "missing.jsonl", "--model", "x"], "drop --model"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message) -> None:
    assert main([*BASE, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_table_shows_formula_inputs_and_factor_source(capsys) -> None:
    assert main([*BASE, "--model", "llama-3.1-8b", "--gpu", "h200", "--isl", "467", "--osl",
                 "256", "--rate", "4", "--engine", "trtllm"]) == 0
    out = capsys.readouterr().out
    for text in ("Formula inputs", "η_mem", "Efficiency factors", "fit_calibration.py",
                 "KV bytes per token", "Interconnect", "TPOT"):
        assert text in out


def test_estimate_does_not_import_textual_or_httpx() -> None:
    code = ("import sys; from advisor.cli import main; "
            "main(['--no-discover','estimate','--model','llama-3.1-8b','--gpu','h100',"
            "'--isl','10','--osl','10','--format','json']); "
            "print(sorted(m for m in ('textual','httpx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _close(a, b) -> None:
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, float) and isinstance(b, int | float):
        assert b == pytest.approx(a, rel=5e-7, abs=0.5 if abs(a) > 1e6 else 1e-12)  # 7 significant digits
    else:
        assert a == b


def test_cases_lines_match_the_single_json_record(tmp_path, capsys) -> None:
    args = {"model": "mixtral-8x7b", "gpu": "h200", "tp": "2", "gpus": "4", "weights": "fp8",
            "isl": "2000", "osl": "300", "rate": "3", "engine": "sglang"}
    flags = [x for k, v in args.items() for x in (f"--{k}", v)]
    single = run_json(capsys, *flags)
    path = write(tmp_path, "one.jsonl", json.dumps({"id": "same", **args}) + "\n")
    assert main([*BASE, "--cases", path]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line.pop("id") == "same"
    _close(single, line)
