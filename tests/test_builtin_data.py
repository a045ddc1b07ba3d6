"""Built-in data (catalogs/*.toml, profiles/*.toml): loads, counts, and cross-checks that
catch data-entry errors (KV bytes per token, parameter counts from the shape, sparse-as-dense
FLOP/s, both-directions link bandwidth, fabric figures that disagree with the chip).

Reads the shipped files through `importlib.resources` (works from a wheel too) with tomllib and
the pydantic domain models directly. Names and shorthands are in test_builtin_names.py, the
run-time build of shipped data in test_shipped_data.py. Figures copied from
/work/shared/facts/models.csv are embedded below so the tests run from a clean clone; when that
file is present, the embedded copies are checked against it too.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from advisor.domain import (
    Accelerator,
    ApiPrice,
    EfficiencyFactors,
    ModelProfile,
    Offering,
    TenancyFactor,
    WorkloadProfile,
)
from advisor.domain.validation import validate

KIND_MODELS: dict[str, Any] = {
    "accelerator": Accelerator,
    "offering": Offering,
    "model": ModelProfile,
    "workload": WorkloadProfile,
    "tenancy": TenancyFactor,
    "efficiency": EfficiencyFactors,
    "api_price": ApiPrice,
}
FAMILIES = {"ampere", "ada", "hopper", "blackwell", "cdna2", "cdna3", "cdna4", "gaudi2", "gaudi3"}
FACTS = Path("/work/shared/facts/models.csv")

# models.csv: name -> kv_cache_bytes_per_token_bf16_full_attn (every layer counted as full attention).
KV_BYTES_BF16_FULL = {
    "Llama-3.1-8B": 131072, "Llama-3.1-70B": 327680, "Llama-3.1-405B": 516096,
    "Llama-3.3-70B": 327680, "Llama-4-Scout-17B-16E": 196608, "Llama-4-Maverick-17B-128E": 196608,
    "Mistral-7B-v0.1": 131072, "Mixtral-8x7B-v0.1": 131072, "Mixtral-8x22B-v0.1": 229376,
    "Qwen2.5-7B": 57344, "Qwen2.5-32B": 262144, "Qwen2.5-72B": 327680, "Qwen3-8B": 147456,
    "Qwen3-32B": 262144, "Qwen3-235B-A22B": 192512, "DeepSeek-V3": 70272, "Gemma-2-9B": 344064,
    "Gemma-2-27B": 376832, "Gemma-3-27B": 507904, "Phi-3-mini-4k": 393216,
    "Phi-3-medium-4k": 204800, "gpt-oss-20b": 49152, "gpt-oss-120b": 73728, "Falcon-180B": 163840,
}


def _builtin_files() -> Iterator[tuple[str, dict[str, Any]]]:
    for package in ("advisor.catalogs", "advisor.profiles"):
        for entry in sorted(resources.files(package).iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".toml"):
                yield f"{package}/{entry.name}", tomllib.loads(entry.read_text(encoding="utf-8"))


def _load() -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {kind: [] for kind in KIND_MODELS}
    for _name, data in _builtin_files():
        for kind, rows in data.items():
            out[kind].extend(validate(KIND_MODELS[kind], row) for row in rows)
    return out


DATA = _load()
ACCELERATORS: dict[str, Accelerator] = {a.id: a for a in DATA["accelerator"]}
OFFERINGS: list[Offering] = DATA["offering"]
MODELS: dict[str, ModelProfile] = {m.id: m for m in DATA["model"]}


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    from advisor.catalog.config import load_world

    return load_world(discover=False)


# ------------------------------------------------------------------ files and counts


def test_every_file_has_schema_line_and_only_known_tables() -> None:
    for package in ("advisor.catalogs", "advisor.profiles"):
        expected = ("#:schema ./catalog.schema.json" if package.endswith("catalogs")
                    else "#:schema ../catalogs/catalog.schema.json")
        for entry in resources.files(package).iterdir():
            if entry.name.endswith(".toml"):
                text = entry.read_text(encoding="utf-8")
                assert text.splitlines()[0] == expected, entry.name
                assert set(tomllib.loads(text)) <= set(KIND_MODELS), entry.name


def test_counts_and_coverage() -> None:
    assert len(ACCELERATORS) == len(DATA["accelerator"]) >= 24
    assert len(OFFERINGS) >= 30
    assert len({o.provider for o in OFFERINGS}) >= 10
    assert {"bare-metal", "vm"} <= {o.tenancy for o in OFFERINGS}
    assert {"pcie", "nvswitch"} <= {o.intra_fabric for o in OFFERINGS}
    sizes = {o.gpus_per_node for o in OFFERINGS}
    assert 1 in sizes and 8 in sizes
    assert any(o.multi_node for o in OFFERINGS)
    assert len(MODELS) == len(DATA["model"]) >= 29
    assert len(DATA["workload"]) >= 5
    assert {t.tenancy for t in DATA["tenancy"]} == {"bare-metal", "vm", "vgpu", "container"}


def test_ids_unique_within_each_kind() -> None:
    for kind, rows in DATA.items():
        keys = [r.tenancy if kind == "tenancy" else r.id for r in rows]
        assert len(keys) == len(set(keys)), kind


def test_gpus_csv_rows_are_covered() -> None:
    """Each of the 24 rows of facts/gpus.csv has an accelerator (GH200 split into two)."""
    rows = ["a10g", "l4", "l40s", "a100-40gb-sxm", "a100-80gb-sxm", "a100-80gb-pcie", "h100-pcie",
            "h100-nvl", "h100-sxm", "h200-sxm", "h200-nvl", "gh200-96gb", "b200", "gb200", "b300",
            "rtx-4090", "rtx-6000-ada", "rtx-pro-6000", "mi250x", "mi300x", "mi325x", "mi355x",
            "gaudi2", "gaudi3"]
    assert not [r for r in rows if r not in ACCELERATORS]
    assert "gh200-144gb" in ACCELERATORS


# ------------------------------------------------------------------ accelerators


@pytest.mark.parametrize("acc", DATA["accelerator"], ids=lambda a: a.id)
def test_accelerator_is_plausible(acc: Accelerator) -> None:
    assert acc.family in FAMILIES
    if acc.memory_marketed_bytes is not None:  # usable is below (or at) marketed
        assert acc.memory_bytes <= acc.memory_marketed_bytes
    flops = acc.dense_flops_per_s
    assert flops["bf16"] == flops["fp16"]
    if "fp8" in flops:  # a sparse figure entered as dense would break these ratios
        assert 0.99 * flops["bf16"] <= flops["fp8"] <= 2.05 * flops["bf16"]
    if "fp4" in flops:
        assert 1.9 * flops["fp8"] <= flops["fp4"] <= 3.05 * flops["fp8"]
    assert "int4" in acc.native_weight_dtypes
    assert ("fp8" in acc.native_weight_dtypes) == (acc.family not in {"ampere", "cdna2"})
    assert ("fp4" in acc.native_weight_dtypes) == (acc.family in {"blackwell", "cdna4"})
    assert ("fp8" in flops) == ("fp8" in acc.native_weight_dtypes)
    assert acc.pcie_bytes_per_s == {4: 31.5e9, 5: 63e9, 6: 121e9}[acc.pcie_gen]


@pytest.mark.parametrize(("kind", "per_direction"), [
    ("nvlink3", 300e9), ("nvlink4", 450e9), ("nvlink5", 900e9)])
def test_nvlink_is_per_direction(kind: str, per_direction: float) -> None:
    chips = [a for a in DATA["accelerator"] if a.link_kind == kind]
    assert chips and all(a.link_bytes_per_s == per_direction for a in chips)


def test_headline_figures() -> None:
    """Hand-checked against gpus.csv: the traps named in facts/README.md."""
    h100 = ACCELERATORS["h100-sxm"]
    assert h100.dense_flops_per_s["bf16"] == 989e12  # not the sparse 1979
    assert h100.memory_bytes == 81559 * 2**20  # 79.6 GiB, not 80 GB or 80 GiB
    assert ACCELERATORS["b200"].memory_bytes / 2**30 < 180  # "192 GB" marketed, 180 usable
    assert ACCELERATORS["h200-sxm"].hbm_bytes_per_s == 4.8e12
    assert ACCELERATORS["mi300x"].dense_flops_per_s["fp8"] == 2614.9e12


# ------------------------------------------------------------------ offerings


@pytest.mark.parametrize("off", OFFERINGS, ids=lambda o: o.id)
def test_offering_matches_its_accelerator(off: Offering) -> None:
    acc = ACCELERATORS[off.accelerator]
    assert off.id == off.id.lower() and off.id.startswith(off.id.split("/")[0] + "/")
    assert off.source and off.currency in {"USD", "EUR"}
    if off.intra_fabric == "nvswitch":
        assert acc.link_kind.startswith("nvlink") and off.intra_bytes_per_s == acc.link_bytes_per_s
    elif off.intra_fabric == "pcie":
        assert off.gpus_per_node > 1 and off.intra_bytes_per_s == acc.pcie_bytes_per_s
    elif off.intra_fabric == "nvlink-bridge":
        assert acc.link_kind == "nvlink-bridge" and off.fast_group == 2
        assert off.intra_bytes_per_s == acc.link_bytes_per_s
    elif off.intra_fabric == "infinity-fabric":
        assert acc.link_kind == "infinity-fabric" and off.intra_bytes_per_s == acc.link_bytes_per_s
    elif off.intra_fabric == "none":
        assert off.gpus_per_node == 1
    if off.nvls:
        assert off.intra_fabric == "nvswitch" and off.gpus_per_node == 8 and acc.family in {"hopper", "blackwell"}
    if off.inter_fabric != "none":  # per node, per direction: at most 8 x 800 Gb/s
        assert off.inter_bytes_per_s is not None and off.inter_bytes_per_s <= 800e9
        assert off.max_nodes > 1
    for c in off.commitments:
        assert c.term != off.price_term
        if c.term == "spot":
            assert c.price_per_node_hour < off.price_per_node_hour


def test_price_per_gpu_is_sane() -> None:
    """A node price entered as a per-GPU price (or the reverse) lands outside 0.2-20 USD/GPU-h."""
    for off in OFFERINGS:
        per_gpu = off.price_per_node_hour / off.gpus_per_node
        assert 0.2 <= per_gpu <= 20, off.id


def test_pcie_and_sxm_h100_nodes_sit_side_by_side() -> None:
    by_id = {o.id: o for o in OFFERINGS}
    pcie, sxm = by_id["hyperstack/n3-h100x8"], by_id["hyperstack/n3-h100-sxm5x8"]
    assert (pcie.gpus_per_node, sxm.gpus_per_node) == (8, 8)
    assert sxm.intra_bytes_per_s / pcie.intra_bytes_per_s == pytest.approx(450 / 63)


def test_hetzner_monthly_price_converted_at_730_hours() -> None:
    gex = next(o for o in OFFERINGS if o.id == "hetzner/gex130")
    assert gex.currency == "EUR" and gex.price_per_node_hour == pytest.approx(700 / 730, abs=1e-4)


# ------------------------------------------------------------------ models


def _kv_bytes_full_bf16(m: ModelProfile) -> int:
    if m.mla is not None:
        return m.layers * (m.mla.kv_lora_rank + m.mla.qk_rope_head_dim) * 2
    return 2 * m.layers * m.kv_heads * m.head_dim * 2


def test_kv_bytes_per_token_match_models_csv(world) -> None:  # type: ignore[no-untyped-def]
    for name, expected in KV_BYTES_BF16_FULL.items():
        assert _kv_bytes_full_bf16(world.model(name)) == expected, name


def test_embedded_kv_figures_match_models_csv() -> None:
    if not FACTS.exists():
        pytest.skip("facts not present in this checkout")
    with FACTS.open(newline="") as f:
        column = {r["name"]: int(r["kv_cache_bytes_per_token_bf16_full_attn"]) for r in csv.DictReader(f)}
    assert column == KV_BYTES_BF16_FULL


def _layer_attention_params(m: ModelProfile, kind: str) -> int:
    """One layer's attention projections: linear layers project q, k (key heads), v and an output
    gate (value heads) and back; sparse layers add the DSA indexer (q from the query latent, one
    key, per-head weights) to MLA."""
    if kind == "linear" and m.linear is not None:
        a = m.linear
        keys, values = a.key_heads * a.key_dim, a.value_heads * a.value_dim
        return m.hidden * (2 * keys + 2 * values) + values * m.hidden + a.conv_kernel * (2 * keys + values)
    if kind == "sparse" and m.sparse is not None and m.mla is not None:
        s, q_in = m.sparse, m.mla.q_lora_rank or m.hidden
        indexer = q_in * s.index_heads * s.index_head_dim + m.hidden * (s.index_head_dim + s.index_heads)
        return _attention_params(m) + indexer
    return _attention_params(m)


def _attention_params(m: ModelProfile) -> int:
    if m.mla is not None:
        a, h = m.mla, m.hidden
        qk = a.qk_nope_head_dim + a.qk_rope_head_dim
        q = h * a.q_lora_rank + a.q_lora_rank * m.heads * qk if a.q_lora_rank else h * m.heads * qk
        kv = h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank * m.heads * (a.qk_nope_head_dim + a.v_head_dim)
        return q + kv + m.heads * a.v_head_dim * h
    return 2 * m.hidden * m.heads * m.head_dim + 2 * m.hidden * m.kv_heads * m.head_dim


def _shape_params(m: ModelProfile) -> tuple[float, float]:
    """(total, active) from the shape: gated 3-matrix MLPs, experts, embeddings + lm_head."""
    embed = m.vocab * m.hidden
    lm_head = 0 if m.tie_embeddings else embed
    attention = sum(g.layers * _layer_attention_params(m, g.kind) for g in m.attention)
    dense_mlp = 3 * m.hidden * m.intermediate
    if m.moe is None:
        total = embed + lm_head + attention + m.layers * dense_mlp
        return total, total
    e = m.moe
    expert = 3 * m.hidden * e.expert_intermediate
    moe_layers = m.layers - e.dense_layers
    body = attention + e.dense_layers * dense_mlp
    total = embed + lm_head + body + moe_layers * ((e.experts + e.shared_experts) * expert + m.hidden * e.experts)
    active = lm_head + body + moe_layers * (e.experts_per_token + e.shared_experts) * expert
    return total, active


# Falcon's MLP has two matrices (up/down, GELU), not three: the gated formula overshoots by ~38 %.
SHAPE_CHECK_SKIP = {"falcon-180b"}


@pytest.mark.parametrize("model", DATA["model"], ids=lambda m: m.id)
def test_total_params_match_the_shape(model: ModelProfile) -> None:
    if model.id in SHAPE_CHECK_SKIP:
        pytest.skip("non-gated MLP")
    total, active = _shape_params(model)
    assert total == pytest.approx(model.total_params, rel=0.05)
    if model.moe is not None:
        # Published active counts differ on whether the embedding table counts (lookup, no FLOPs).
        embed = model.vocab * model.hidden
        assert 0.95 * active <= model.active <= 1.05 * (active + embed)


def test_falcon_params_with_two_matrix_mlp() -> None:
    m = MODELS["falcon-180b"]
    total = m.vocab * m.hidden + m.layers * (_attention_params(m) + 2 * m.hidden * m.intermediate)
    assert total == pytest.approx(m.total_params, rel=0.05)


@pytest.mark.parametrize(("model_id", "sliding", "full", "window"), [
    ("mistral-7b-v0.1", 32, 0, 4096), ("gemma-2-9b", 21, 21, 4096), ("gemma-2-27b", 23, 23, 4096),
    ("gemma-3-27b", 52, 10, 1024), ("gpt-oss-20b", 12, 12, 128), ("gpt-oss-120b", 18, 18, 128),
    ("phi-3-mini-4k", 32, 0, 2047),
])
def test_sliding_window_groups(model_id: str, sliding: int, full: int, window: int) -> None:
    groups = {a.kind: a for a in MODELS[model_id].attention}
    assert groups["sliding"].layers == sliding and groups["sliding"].window == window
    assert (groups["full"].layers if "full" in groups else 0) == full


def test_llama4_and_deepseek_shapes() -> None:
    for mid in ("llama-4-scout", "llama-4-maverick"):
        chunked = next(a for a in MODELS[mid].attention if a.kind == "chunked")
        assert (chunked.layers, chunked.window) == (36, 8192)
    assert MODELS["llama-4-maverick"].moe.dense_layers == 24  # type: ignore[union-attr]
    assert MODELS["llama-4-scout"].moe.dense_layers == 0  # type: ignore[union-attr]
    for mid in ("deepseek-v3", "deepseek-r1"):
        m = MODELS[mid]
        assert m.attention[0].kind == "mla" and m.attention[0].layers == 61
        assert (m.mla.kv_lora_rank, m.mla.qk_rope_head_dim) == (512, 64)  # type: ignore[union-attr]
        assert m.head_dim == m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim  # type: ignore[union-attr]


def test_llama_405b_has_eight_kv_heads_not_the_stale_sixteen() -> None:
    assert MODELS["llama-3.1-405b"].kv_heads == 8


# ------------------------------------------------------------------ workloads and tenancy


def test_workload_presets() -> None:
    ids = {w.id for w in DATA["workload"]}
    assert {"chat", "rag-long-context", "batch-summarization", "code-assistant", "agent"} <= ids
    assert all(w.source for w in DATA["workload"])


def test_tenancy_factors_are_ordered_and_sourced() -> None:
    f = {t.tenancy: t for t in DATA["tenancy"]}
    assert f["bare-metal"].factor == 1.0
    assert 0.94 <= f["vgpu"].factor <= f["vm"].factor <= f["container"].factor <= 1.0
    assert all(t.source for t in DATA["tenancy"])


def test_world_loads_all_builtin_entries(world) -> None:  # type: ignore[no-untyped-def]
    assert set(world.accelerators) == set(ACCELERATORS)
    assert {o.id for o in OFFERINGS} <= set(world.offerings)
    assert set(MODELS) <= set(world.models)


@pytest.mark.parametrize("model", DATA["model"], ids=lambda m: m.id)
def test_sources_are_the_models_own_repository(model: ModelProfile) -> None:
    """Every source names the maker's own Hub repository (or a paper), never a third-party copy;
    copies a figure was first read from are named in the notes."""
    org = model.hf_repo.split("/")[0]
    assert org, model.id
    for part in model.source.split(" ; "):
        assert part.startswith((f"https://huggingface.co/{org}/", "https://arxiv.org/")), part


def test_built_in_api_prices_name_built_in_models_with_a_source() -> None:
    prices: list[ApiPrice] = DATA["api_price"]
    assert len(prices) >= 8
    for p in prices:
        assert p.model in MODELS, p.id  # an unknown model would only warn: the built-ins must not
        assert p.source and p.id.endswith("/" + p.model), p.id
    assert {p.model for p in prices} >= {"llama-3.1-8b", "llama-3.1-70b"}
