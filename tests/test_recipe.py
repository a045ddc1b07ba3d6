"""Launch recipes (`advisor quote … --recipe`): every command parses with the engine's documented
flags for the release (an unknown flag or a wrong type fails), every flag value is the quoted
row's number, the goldens per engine (single node, across nodes, MoE with EP and with
data-parallel attention), the SkyPilot and Kubernetes files parse back and validate against
the schema fixtures, refusals are one line with exit 2, and the terminal output is plain text.
`UPDATE_GOLDEN=1 pytest tests/test_recipe.py` rewrites tests/golden/recipe/ (review the diff).
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import jsonschema
import pytest
import yaml
from export_helpers import GOLDEN, UPDATE_GOLDEN
from recipe_helpers import RECIPE_FIXTURES, check_commands, commands, forced, parser_for, recipe_quote, version_of

from advisor.cli import main
from advisor.core.memory import PREFILL_CHUNK_TOKENS
from advisor.core.types import Layout
from advisor.errors import AdvisorError
from advisor.export.recipe import render_recipe
from advisor.export.recipe.plan import plan_for, select_row

RECIPES = GOLDEN / "recipe"
MOE = "qwen3-235b-a22b"

# golden name -> (quote fields, row, forced layout or None, format)
CASES: dict[str, tuple[dict[str, Any], str, Layout | None, str]] = {
    "vllm-single-node.sh": ({}, "1", None, "sh"),
    "vllm-multi-node.sh": ({}, "fabrikam/h100x4-ib", None, "sh"),
    "vllm-0.6-multi-node-ray.sh": ({"engine": "vllm@0.6"}, "fabrikam/h100x4-ib", None, "sh"),
    "vllm-moe-ep.sh": ({"model": MOE}, "acme/h100x8-a", Layout(tp=8, ep=8), "sh"),
    "vllm-moe-dp-attention.sh": ({"model": MOE}, "acme/h100x8-a", Layout(tp=1, ep=8, replicas=8), "sh"),
    "sglang-single-node.sh": ({"engine": "sglang"}, "1", None, "sh"),
    "sglang-multi-node.sh": ({"engine": "sglang"}, "fabrikam/h100x4-ib", None, "sh"),
    "sglang-moe-dp-attention.sh": ({"model": MOE, "engine": "sglang"}, "acme/h100x8-a",
                                   Layout(tp=1, ep=8, replicas=8), "sh"),
    "trtllm-single-node.sh": ({"model": MOE, "engine": "trtllm", "kv_dtypes": ("fp8",), "weights": ("bf16",)}, "1",
                              None, "sh"),
    # the search now ranks DEP12 with 4 redundant experts first here, which has no recipe yet
    "trtllm-multi-node.sh": ({"model": MOE, "engine": "trtllm", "weights": ("bf16",)}, "fabrikam/h100x4-ib",
                             Layout(tp=4, pp=3), "sh"),
    "trtllm-moe-ep.sh": ({"model": MOE, "engine": "trtllm", "weights": ("bf16",)}, "acme/h100x8-a",
                         Layout(tp=8, ep=8, replicas=3), "sh"),
    "vllm-single-node.skypilot.yaml": ({}, "1", None, "skypilot"),
    "sglang-multi-node.skypilot.yaml": ({"engine": "sglang"}, "fabrikam/h100x4-ib", None, "skypilot"),
    "vllm-single-node.k8s.yaml": ({}, "1", None, "k8s"),
    "vllm-multi-node.k8s.yaml": ({}, "fabrikam/h100x4-ib", None, "k8s"),
}


def render(name: str) -> str:
    fields, row, layout, fmt = CASES[name]
    quote = recipe_quote(**fields)
    if layout is not None:
        quote = forced(quote, row, layout)
    return render_recipe(quote, row, fmt)


@pytest.fixture(autouse=True)
def _fixture_dir(in_fixture: None) -> None:
    """Run inside tests/fixtures/export/ (the fixture world's relative paths)."""


@pytest.mark.parametrize("name", sorted(CASES))
def test_recipe_matches_its_golden_and_every_command_parses(name: str) -> None:
    text = render(name)
    path = RECIPES / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert check_commands(text, version_of(text)) >= 2  # the server and at least one benchmark


def test_the_parser_refuses_an_unknown_flag_and_a_flag_too_new_for_the_release() -> None:
    with pytest.raises(AssertionError, match="has no \\['--max-num-seq'"):
        check_commands("vllm serve m --max-num-seq 8\n", "0.34.0")
    with pytest.raises(AssertionError, match="--enable-expert-parallel"):
        check_commands("vllm serve m --enable-expert-parallel\n", "0.6.0")
    with pytest.raises(AssertionError, match="invalid int"):
        check_commands("python3 -m sglang.launch_server --model-path m --tp-size 8.5\n", "0.5.10")
    with pytest.raises(AssertionError, match="invalid choice"):
        check_commands("vllm serve m --kv-cache-dtype fp9\n", "0.34.0")
    assert parser_for("trtllm-serve", "1.2.1").parse_args(["m", "--tp_size", "8"]).tp_size == 8


def _flags(argv: list[str]) -> dict[str, str]:
    return {a: b for a, b in zip(argv, [*argv[1:], ""], strict=True) if a.startswith("--")}


def test_every_flag_value_is_the_quoted_rows_number() -> None:
    quote = recipe_quote()
    for row in ("1", "fabrikam/h100x4-ib"):
        result = select_row(quote, row)
        plan, cand = plan_for(quote, result), result.candidate
        assert cand is not None and result.hardware is not None
        text = render_recipe(quote, row)
        serve = _flags(next(a for a in commands(text) if a[:2] == ["vllm", "serve"]))
        assert serve["--tensor-parallel-size"] == str(cand.layout.tp)
        assert serve["--pipeline-parallel-size"] == str(cand.layout.pp)
        assert serve["--max-model-len"] == str(quote.request.max_context) == str(cand.load.context)
        assert serve["--max-num-seqs"] == str(result.hardware.efficiency.max_batch)
        assert serve["--gpu-memory-utilization"] == f"{quote.engine_memory_fraction:g}"
        assert serve["--max-num-batched-tokens"] == str(PREFILL_CHUNK_TOKENS)
        assert serve.get("--quantization") == ("fp8" if cand.precision.weights == "fp8" else None)
        bench = _flags(next(a for a in commands(text) if a[:3] == ["vllm", "bench", "serve"]))
        shares = [s.concurrency for s in plan.servers]
        assert sum(shares) == cand.load.concurrency and bench["--max-concurrency"] == str(shares[0])
        assert bench["--random-input-len"] == str(quote.request.input_tokens)
        assert bench["--random-output-len"] == str(quote.request.output_tokens)
        est = cand.estimate
        assert f"TTFT {est.ttft_s * 1e3:,.0f} ms, TPOT {est.tpot_s * 1e3:,.1f} ms" in text
        assert f"{plan.prediction.output_tokens_per_s:,.0f} tok/s" in text


def test_a_profile_without_a_repository_says_so_and_uses_its_id() -> None:
    text = render_recipe(recipe_quote(model="inhouse-405b"))
    assert "# the model profile inhouse-405b names no Hugging Face repository (hf_repo)" in text
    assert 'MODEL="${MODEL:-inhouse-405b}"' in text


def test_weights_the_engine_cannot_quantize_need_a_checkpoint_the_user_names() -> None:
    quote = recipe_quote(engine="trtllm")  # FP8 weights: TensorRT-LLM loads a pre-quantized checkpoint
    text = render_recipe(quote)
    assert 'MODEL="${MODEL:?set MODEL to an FP8 checkpoint of meta-llama/Llama-3.1-405B}"' in text
    with pytest.raises(AdvisorError, match="need a checkpoint the catalog does not name") as err:
        render_recipe(quote, "1", "k8s")
    assert err.value.exit_code == 2


def test_a_release_older_than_a_layouts_flags_is_refused_in_one_line() -> None:
    quote = forced(recipe_quote(model=MOE, engine="vllm@0.6"), "acme/h100x8-a", Layout(tp=8, ep=8))
    with pytest.raises(AdvisorError) as err:
        render_recipe(quote, "acme/h100x8-a")
    assert err.value.exit_code == 2 and "\n" not in err.value.message
    assert "--enable-expert-parallel, first in vLLM 0.8.0" in err.value.message
    with pytest.raises(AdvisorError, match="checked against vLLM 0.5.5 and later"):
        render_recipe(recipe_quote(engine="vllm@0.4"))


def test_a_dep_replica_launches_as_its_attention_ranks() -> None:
    """DEP8 as one replica of 8 attention ranks is the same server as 8 replicas sharing EP8."""
    fields: dict[str, Any] = {"model": MOE, "engine": "sglang"}
    dep = forced(recipe_quote(**fields), "acme/h100x8-a", Layout(tp=1, ep=8, dp=8))
    ranks = forced(recipe_quote(**fields), "acme/h100x8-a", Layout(tp=1, ep=8, replicas=8))
    assert "--enable-dp-attention" in render_recipe(dep, "acme/h100x8-a")
    strip = [line for line in render_recipe(dep, "acme/h100x8-a").splitlines() if "Layout" not in line]
    assert strip == [line for line in render_recipe(ranks, "acme/h100x8-a").splitlines() if "Layout" not in line]


def test_redundant_experts_and_tp_across_nodes_have_no_recipe_yet() -> None:
    for layout in (Layout(tp=1, ep=12, dp=12, redundant_experts=4), Layout(tp=8)):
        quote = forced(recipe_quote(model=MOE, engine="sglang"), "fabrikam/h100x4-ib", layout)
        with pytest.raises(AdvisorError) as err:
            render_recipe(quote, "fabrikam/h100x4-ib")
        assert err.value.exit_code == 2 and "\n" not in err.value.message
        assert "is not generated; pick another row with --recipe ROW" in err.value.message


def test_rows_are_picked_by_rank_or_offering_with_did_you_mean() -> None:
    quote = recipe_quote()
    assert select_row(quote, "2").offering.id == quote.feasible[1].offering.id
    assert select_row(quote, "fabrikam/h100x4-ib").offering.id == "fabrikam/h100x4-ib"
    with pytest.raises(AdvisorError, match="give a rank from 1 to 3"):
        select_row(quote, "9")
    with pytest.raises(AdvisorError, match="did you mean 'acme/h100x8-"):
        select_row(quote, "acme/h100x8-q")
    with pytest.raises(AdvisorError, match="no feasible deployment to launch"):
        select_row(quote, "globex/l40s-x1")


def _documents(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith(".yaml")))
def test_deployment_files_parse_back_and_validate_against_the_schemas(name: str) -> None:
    text = render(name)
    schema = "skypilot-task" if ".skypilot." in name else "k8s"
    validator = json.loads((RECIPE_FIXTURES / f"{schema}.schema.json").read_text(encoding="utf-8"))
    docs = _documents(text)
    assert docs
    for doc in docs:
        jsonschema.validate(doc, validator)
    scripts = [docs[0]["run"]] if schema == "skypilot-task" else [
        c["command"][2] for d in docs if d["kind"] != "Service" for t in _templates(d)
        for c in t["spec"]["containers"]]
    for script in scripts:
        assert script.startswith(("set -euo pipefail\n", 'case "$LWS_WORKER_INDEX" in'))
        assert check_commands(script, version_of(text)) >= 1


def _templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]
    if doc["kind"] == "Deployment":
        return [spec["template"]]
    return [spec["leaderWorkerTemplate"]["leaderTemplate"], spec["leaderWorkerTemplate"]["workerTemplate"]]


def test_the_schemas_catch_a_misspelled_or_missing_key() -> None:
    sky = json.loads((RECIPE_FIXTURES / "skypilot-task.schema.json").read_text(encoding="utf-8"))
    task = _documents(render("vllm-single-node.skypilot.yaml"))[0]
    task["resources"]["accelerator"] = task["resources"].pop("accelerators")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(task, sky)
    k8s = json.loads((RECIPE_FIXTURES / "k8s.schema.json").read_text(encoding="utf-8"))
    lws = _documents(render("vllm-multi-node.k8s.yaml"))[0]
    del lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(lws, k8s)


def test_the_yaml_emitter_round_trips_hostile_strings() -> None:
    from advisor.export.recipe.deploy import yaml_text

    value = {"a": "yes", "b": "1e3", "c": "- x: y", "d": 'quote " and \\ and \u2028', "e": "two\nlines\n",
             "f": "  leading\nspace", "g": "tab\there\n", "h": [], "i": {}, "j": None, "k": [{"x": 1}, "s"],
             "key with space": True, "l": "trailing \nspace"}
    assert yaml.safe_load(yaml_text(value)) == value


def test_cli_prints_plain_text_and_writes_files(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    base = ["--no-discover", "quote", "--model", "8b", "--concurrency", "16", "--engine", "vllm"]
    assert main([*base, "--recipe"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("#!/usr/bin/env bash\n") and "\x1b[" not in out and "[bold" not in out
    assert check_commands(out, version_of(out)) >= 2
    target = tmp_path / "task.yaml"
    assert main([*base, "--recipe", "2", "--recipe-format", "k8s", "-o", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().err
    assert _documents(target.read_text(encoding="utf-8"))[0]["kind"] in ("Deployment", "LeaderWorkerSet")
    assert main([*base, "--recipe", "--format", "json"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main([*base, "--recipe", "no/such-offering"]) == 2
    err = capsys.readouterr().err
    assert "unknown offering 'no/such-offering'" in err and "Traceback" not in err


def test_values_from_the_catalog_are_shell_quoted() -> None:
    quote = recipe_quote()
    model = quote.model
    odd = quote._replace(model=type(model)(**{**{f: getattr(model, f) for f in model.__dataclass_fields__},
                                              "id": "llama-3.1-405b", "hf_repo": "x/y; rm -rf ~"}))
    text = render_recipe(odd)
    assert "rm -rf" not in text.split("# the model profile")[0]
    assert 'MODEL="${MODEL:-llama-3.1-405b}"' in text
    for argv in commands(text):
        assert "rm" not in argv
    assert shlex.split("vllm serve \"$MODEL\"") == ["vllm", "serve", "$MODEL"]
