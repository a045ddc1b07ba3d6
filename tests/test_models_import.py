"""`advisor models import`: real configs of 15 checkpoints (tests/fixtures/hf, see its README)
become profiles whose parameter counts match the published ones within 1 % and whose KV bytes
per token match a hand computation; bad configs are one line naming file, line and key.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from remote_server import Reply, ScriptedServer

from advisor.catalog.hf_import import import_profile, read_source
from advisor.catalog.remote.cache import sha256_hex
from advisor.cli import main
from advisor.core.memory import kv_bytes_per_token, state_bytes_per_sequence
from advisor.core.params import shape
from advisor.core.types import Layout

FIXTURES = Path(__file__).parent / "fixtures" / "hf"

# Published total parameters (source in fixtures/hf/README.md) and KV bytes per token in bf16,
# by hand: layers × 2 (K, V) × KV heads × head_dim × 2 bytes; MLA: layers × (512 + 64) × 2.
PUBLISHED: dict[str, tuple[float, int]] = {
    "llama-3.1-8b": (8.03e9, 32 * 2 * 8 * 128 * 2),  # 131,072
    "qwen3-30b-a3b": (30.5e9, 48 * 2 * 4 * 128 * 2),  # 98,304
    "deepseek-v3": (671e9, 61 * 576 * 2),  # 70,272
    "gpt-oss-20b": (20.9e9, 24 * 2 * 8 * 64 * 2),  # 49,152 (12 of them windowed at 128)
    "gemma-3-1b-it": (1.0e9, 26 * 2 * 1 * 256 * 2),  # 26,624 (22 windowed at 512)
    "qwen3-next-80b-a3b": (80e9, 12 * 2 * 2 * 256 * 2),  # 24,576: only 12 of 48 layers
    "qwen3-8b-awq": (8.2e9, 36 * 2 * 8 * 128 * 2),  # 147,456
    "kimi-k2-instruct": (1.03e12, 61 * 576 * 2),
    "glm-4.5-air": (106e9, 46 * 2 * 8 * 128 * 2),  # 188,416
    "minimax-m1-80k": (456e9, 10 * 2 * 8 * 128 * 2),  # 40,960: 10 softmax layers of 80
    "deepseek-v3.2-exp": (671e9, 61 * (576 * 2 + 128 + 4)),  # 78,324: latent + FP8 index key
    "mistral-small-24b": (23.6e9, 40 * 2 * 8 * 128 * 2),  # 163,840
    "seed-oss-36b": (36e9, 64 * 2 * 8 * 128 * 2),  # 262,144
    "phi-4": (14.7e9, 40 * 2 * 10 * 128 * 2),  # 204,800
    "minimax-m2": (230e9, 62 * 2 * 8 * 128 * 2),  # 253,952
}


def imported(name: str):  # type: ignore[no-untyped-def]
    return import_profile(read_source(str(FIXTURES / name)), today=dt.date(2026, 12, 7))


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_count_matches_the_published_one_within_one_percent(name: str) -> None:
    published, _ = PUBLISHED[name]
    result = imported(name)
    assert abs(result.counted_total - published) / published <= 0.01
    assert abs(result.profile.total_params - published) / published <= 0.01


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_kv_bytes_per_token_match_the_hand_computation(name: str) -> None:
    _, kv = PUBLISHED[name]
    profile = imported(name).profile
    assert kv_bytes_per_token(shape(profile), Layout(), "bf16") == (kv, kv)


def test_fixture_table_covers_every_fixture_folder() -> None:
    folders = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert folders == sorted([*PUBLISHED, "llama-4-scout"])


def test_llama4_chunked_layers_and_implicit_shared_expert() -> None:
    # Llama-4-Scout (text_config): 3 of 4 layers chunked at 8,192 (no_rope_layers 1), every
    # 4th global; 16 experts top-1 plus the shared expert the modelling code always has.
    result = imported("llama-4-scout")
    profile = result.profile
    assert groups("llama-4-scout") == {"chunked": (36, 8192), "full": (12, None)}
    assert kv_bytes_per_token(shape(profile), Layout(), "bf16")[0] == 48 * 2 * 8 * 128 * 2
    assert profile.moe is not None and (profile.moe.shared_experts, profile.intermediate) == (1, 16384)
    assert profile.active_params is not None and abs(profile.active_params - 17e9) / 17e9 < 0.02
    # Published 109 B includes the vision encoder (34 layers of 1408 wide, ~0.8 B), not counted.
    assert 0.985 < result.counted_total / 109e9 < 1.0
    assert "Vision encoder not counted" in profile.notes


def groups(name: str) -> dict[str, tuple[int, int | None]]:
    return {g.kind: (g.layers, g.window) for g in imported(name).profile.attention}


def test_layer_patterns_of_each_attention_kind() -> None:
    assert groups("gemma-3-1b-it") == {"full": (4, None), "sliding": (22, 512)}  # every 6th global
    assert groups("gpt-oss-20b") == {"full": (12, None), "sliding": (12, 128)}
    assert groups("qwen3-next-80b-a3b") == {"full": (12, None), "linear": (36, None)}
    assert groups("minimax-m1-80k") == {"full": (10, None), "linear": (70, None)}
    assert groups("deepseek-v3") == {"mla": (61, None)}
    assert groups("deepseek-v3.2-exp") == {"sparse": (61, None)}
    assert groups("qwen3-30b-a3b") == {"full": (48, None)}  # use_sliding_window false


def test_moe_mla_and_linear_tables() -> None:
    v3 = imported("deepseek-v3").profile
    assert v3.moe is not None and v3.mla is not None
    assert (v3.moe.experts, v3.moe.experts_per_token, v3.moe.shared_experts,
            v3.moe.expert_intermediate, v3.moe.dense_layers) == (256, 8, 1, 2048, 3)
    assert (v3.mla.kv_lora_rank, v3.mla.q_lora_rank, v3.head_dim) == (512, 1536, 192)
    nxt = imported("qwen3-next-80b-a3b").profile
    assert nxt.moe is not None and nxt.moe.shared_experts == 1  # 512-wide shared expert
    assert nxt.linear is not None and nxt.linear.mixer == "gated-deltanet"
    m1 = imported("minimax-m1-80k").profile
    assert m1.linear is not None and (m1.linear.mixer, m1.linear.value_heads, m1.linear.key_dim,
                                      m1.linear.conv_kernel) == ("lightning", 64, 128, 0)
    v32 = imported("deepseek-v3.2-exp").profile
    assert v32.sparse is not None and (v32.sparse.topk, v32.sparse.index_heads) == (2048, 64)


def test_linear_state_per_sequence_by_hand() -> None:
    # Qwen3-Next: 36 x (32 x 128 x 128 + 3 x 8,192) x 2 bytes; MiniMax-M1: 70 x 64 x 128 x 128 x 2
    nxt = shape(imported("qwen3-next-80b-a3b").profile)
    assert state_bytes_per_sequence(nxt, Layout()) == 36 * (524_288 + 24_576) * 2
    m1 = shape(imported("minimax-m1-80k").profile)
    assert state_bytes_per_sequence(m1, Layout()) == 70 * 64 * 128 * 128 * 2  # 140 MiB


def test_checkpoint_dtypes_and_quantization() -> None:
    assert imported("qwen3-8b-awq").profile.native_dtype == "int4"
    assert imported("deepseek-v3").profile.native_dtype == "fp8"
    assert imported("gpt-oss-20b").profile.native_dtype == "fp4"
    assert imported("llama-3.1-8b").profile.native_dtype == "bf16"


def test_the_safetensors_index_gives_the_exact_count() -> None:
    result = imported("llama-3.1-8b")
    assert result.count_source == "model.safetensors.index.json"
    assert result.profile.total_params == 16_060_522_496 / 2  # total_size of bf16 tensors
    assert "total_params = 8030261248" in result.toml


def test_active_parameters_of_moe_models() -> None:
    # Qwen3-30B-A3B publishes 3.3 B activated (embeddings included).
    active = imported("qwen3-30b-a3b").profile.active_params
    assert active is not None and abs(active - 3.3e9) / 3.3e9 < 0.03


# -- the command ----------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "user-config"))
    monkeypatch.delenv("ADVISOR_CONFIG", raising=False)
    monkeypatch.delenv("ADVISOR_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_write_appends_a_profile_that_check_accepts(
    private_dirs: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    target = private_dirs / "team" / "models.toml"
    target.parent.mkdir()
    target.write_text("# our models\n", encoding="utf-8")
    code, out, err = run(capsys, "models", "import", str(FIXTURES / "qwen3-next-80b-a3b"),
                         "--write", str(target), "--repo", "Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert code == 0 and out == f"wrote model qwen3-next-80b-a3b-instruct to {target}\n"
    assert "79.57 B parameters (shape)" in err and "37.7 MiB state per sequence" in err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# our models\n\n[[model]]\n") and 'hf_repo = "Qwen/Qwen3-Next' in text
    assert run(capsys, "check", str(target))[0] == 0
    code, _, err = run(capsys, "models", "import", str(FIXTURES / "qwen3-next-80b-a3b"),
                       "--write", str(target), "--id", "qwen3-next-80b-a3b-instruct")
    assert code == 2 and "already there" in err
    assert target.read_text(encoding="utf-8") == text  # nothing lost


def write_config(folder: Path, **changes: object) -> Path:
    config = json.loads((FIXTURES / "qwen3-30b-a3b" / "config.json").read_text(encoding="utf-8"))
    config.update(changes)
    path = folder / "config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def test_an_unknown_architecture_field_is_an_error_naming_it(
    private_dirs: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(private_dirs, num_expert_groups=4)
    code, out, err = run(capsys, "models", "import", str(path))
    assert code == 2 and out == ""
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "num_expert_groups" in t)
    assert err.startswith(f"advisor: {path}:{line}: num_expert_groups: unknown architecture field")
    assert "did you mean" in err and "Traceback" not in err and len(err.splitlines()) == 1
    code, out, _ = run(capsys, "models", "import", str(path), "--ignore-field", "num_expert_groups")
    assert code == 0 and out.startswith("[[model]]")


@pytest.mark.parametrize(("changes", "key"), [
    ({"layer_types": ["full_attention"] * 47 + ["mamba"]}, "layer_types"),
    ({"layer_types": ["full_attention"] * 3}, "layer_types"),
    ({"quantization_config": {"quant_method": "hqq"}}, "quantization_config.quant_method"),
    ({"num_hidden_layers": "48"}, "num_hidden_layers"),
    ({"shared_expert_intermediate_size": 1000}, "shared_expert_intermediate_size"),
])
def test_values_it_cannot_model_are_errors_naming_the_key(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object], key: str,
) -> None:
    code, _, err = run(capsys, "models", "import", str(write_config(private_dirs, **changes)))
    assert code == 2 and f": {key}: " in err and len(err.splitlines()) == 1


def test_broken_json_names_the_line(private_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = private_dirs / "config.json"
    path.write_text('{\n  "hidden_size": 4096,\n  oops\n}\n', encoding="utf-8")
    code, _, err = run(capsys, "models", "import", str(path))
    assert code == 2 and f"{path}:3: not valid JSON" in err


def test_url_is_fetched_cached_pinned_and_usable_offline(
    private_dirs: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    body = (FIXTURES / "gemma-3-1b-it" / "config.json").read_bytes()
    url = server.url("/google/gemma-3-1b-it/config.json")
    server.script(Reply(200, body, {"Content-Type": "application/json"}), Reply(404, b"no"))
    code, out, _ = run(capsys, "models", "import", url, "--sha256", sha256_hex(body))
    assert code == 0 and 'kind = "sliding", layers = 22, window = 512' in out
    assert f'source = "{url}"' in out
    code, offline_out, _ = run(capsys, "--offline", "models", "import", url)
    assert code == 0 and offline_out == out and server.pending() == 0  # no request offline
    server.script(Reply(200, body + b" ", {"Content-Type": "application/json"}))
    code, _, err = run(capsys, "models", "import", url, "--sha256", sha256_hex(body))
    assert code == 2 and "sha256 mismatch" in err


def test_offline_without_a_cached_copy_says_so(
    private_dirs: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "--offline", "models", "import", "https://huggingface.co/org/model")
    assert code == 3 and "--offline and no cached copy" in err


@pytest.mark.parametrize(("changes", "expected"), [
    ({"num_experts_per_tok": 200}, "moe: experts_per_token exceeds experts"),
    ({"vocab_size": 10**9}, "vocab_size: Input should be less than or equal to 10000000"),
    ({"attn_type_list": [True] * 48}, "attn_type_list: attn_type_list holds values other than 0 and 1"),
])
def test_a_profile_the_domain_refuses_is_one_line_naming_the_key(
    private_dirs: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object], expected: str,
) -> None:
    code, out, err = run(capsys, "models", "import", str(write_config(private_dirs, **changes)))
    assert code == 2 and out == "" and expected in err and len(err.splitlines()) == 1


def test_an_oversized_config_is_refused_unread(private_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = private_dirs / "config.json"
    path.write_text('{"pad": "' + "x" * (2 * 1024 * 1024) + '"}', encoding="utf-8")
    code, _, err = run(capsys, "models", "import", str(path))
    assert code == 2 and "larger than" in err


def compressed(bits: int, kind: str) -> dict[str, object]:
    return {"quant_method": "compressed-tensors",
            "config_groups": {"group_0": {"weights": {"num_bits": bits, "type": kind}}}}


@pytest.mark.parametrize(("quantization", "dtype"), [
    (compressed(4, "int"), "int4"),
    (compressed(8, "float"), "fp8"),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, "fp4"),
    ({"quant_method": "gptq", "bits": 8}, "int8"),
    ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "fp8"),
])
def test_quantization_methods_map_to_weight_formats(
    private_dirs: Path, quantization: dict[str, object], dtype: str,
) -> None:
    path = write_config(private_dirs, quantization_config=quantization)
    assert import_profile(read_source(str(path))).profile.native_dtype == dtype
