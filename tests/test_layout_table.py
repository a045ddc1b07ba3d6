"""Layouts side by side: a quote's --explain lists TP across nodes, TP·PP and DEP on one
offering with their figures or the reason (with numbers) they fail, and a slow layout names the
collective that costs most."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.core.deployment import Deployment
from advisor.core.serving import estimate
from advisor.core.types import Fabric, Layout, Load, Precision
from advisor.search.layout_table import slow_reason
from tests.core_fixtures import H100, LLAMA_70B, factors


@pytest.fixture(autouse=True)
def _away_from_team_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _layout_rows(out: str) -> dict[str, str]:
    section = out.split("Layouts tried on ", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in section.splitlines()[1:]:
        label, _, rest = line.strip().partition(" ")
        rows[label] = rest.strip()
    return rows


def test_deepseek_r1_on_two_h100_nodes_lists_tp16_tp8pp2_and_dep16(capsys: pytest.CaptureFixture[str]) -> None:
    """Two 8×H100 nodes over InfiniBand, 256 users of 2k in / 1k out: TP16 spans both nodes but
    replicates the MLA latent on all 16 GPUs, so its KV cache holds too few sequences and it
    needs more nodes; TP8·PP2 and DEP16 fit, and DEP16 (attention on every GPU, experts spread
    over all 16) serves more tokens per node."""
    code = main(["--no-discover", "quote", "--model", "deepseek-r1", "--provider", "coreweave",
                 "--max-nodes", "2", "--isl", "2k", "--osl", "1k", "--concurrency", "256", "--weights", "fp8",
                 "--explain", "coreweave/hgx-h100-8x"])
    out = capsys.readouterr().out
    assert code == 0
    rows = _layout_rows(out)
    assert {"TP16", "TP8·PP2", "DEP16"} <= set(rows)
    assert re.match(r"infeasible: needs \d+ nodes \(\d+× TP16, at most \d+ concurrent requests per replica",
                    rows["TP16"])
    per_node = {}
    for label in ("TP8·PP2", "DEP16"):
        found = re.match(r"2 node\(s\), [\d,]+ tok/s \(([\d,]+) per node\), TPOT [\d.]+ ms, collectives \d+%",
                         rows[label])
        assert found, rows[label]
        per_node[label] = int(found.group(1).replace(",", ""))
    assert per_node["DEP16"] > per_node["TP8·PP2"]
    assert "layouts do not hold the model, up to DEP8: needs" in out


def test_a_slow_layout_names_the_collective_and_its_share_of_the_step() -> None:
    """Llama-70B TP16 over two 8×H100 nodes joined by one 400 Gbit/s RoCE link per node
    (50 GB/s per node, 6.25 GB/s per GPU): the all-reduce's NIC part dominates the step."""
    fabric = Fabric("nvswitch", 450e9, 8, 8, 63e9, inter_kind="roce", inter_bytes_per_s=50e9,
                    inter_step_latency_s=3e-6)
    layout = Layout(tp=16)
    d = Deployment(model=LLAMA_70B, accelerator=H100, fabric=fabric, layout=layout, precision=Precision(),
                   load=Load(isl=2048, osl=256, concurrency=32), factors=factors("vllm"))
    est = estimate(d)
    ic = est.interconnect
    share = ic.allreduce_s / ic.step_s
    assert share > 0.4 and ic.allreduce_nic_s > ic.allreduce_s / 2  # 46 %, mostly the NIC part
    reason = slow_reason(layout, est)
    assert reason.startswith(f"TP16 over nvswitch + roce: all-reduce {share:.0%} of each decode step")
    tp8 = estimate(Deployment(model=LLAMA_70B, accelerator=H100, fabric=fabric, layout=Layout(tp=8),
                              precision=Precision(), load=Load(isl=2048, osl=256, concurrency=32),
                              factors=factors("vllm")))
    assert slow_reason(Layout(tp=8), tp8).startswith("TP8 over nvswitch: all-reduce")  # no NIC inside a node
    assert tp8.interconnect.collective_share < ic.collective_share / 2


def test_every_collective_of_a_dep_step_is_shown_with_its_link() -> None:
    """DeepSeek-V3 DEP16 over two 8×H100 nodes: no all-reduce (one GPU per attention rank), the
    all-to-all crosses NVLink and InfiniBand, and the part of it behind compute is named."""
    from advisor.core.fabric import fabric_for_gpu
    from advisor.export.collectives import collective_record, collective_rows
    from tests.core_fixtures import DEEPSEEK_V3

    layout = Layout(tp=1, ep=16, dp=16)
    est = estimate(Deployment(model=DEEPSEEK_V3, accelerator=H100, fabric=fabric_for_gpu(H100, 16), layout=layout,
                              precision=Precision("fp8"), load=Load(isl=2048, osl=1024, concurrency=512),
                              factors=factors("sglang")))
    ic = est.interconnect
    rows = dict(collective_rows(ic))
    assert "TP all-reduce" not in rows
    assert "on nvswitch + infiniband" in rows["EP all-to-all (dispatch + combine)"]
    assert "hidden behind compute (two micro-batches)" in {label.strip() for label in rows}
    # B sequences per rank × 7168 × 8 experts × (1 B dispatch + 2 B combine) × 58 MoE layers, with
    # B the solver's mean batch (the estimate reports it rounded up)
    per_sequence = 7168 * 8 * 3 * 58
    assert est.batch - 1 < ic.alltoall_bytes_per_step / per_sequence <= est.batch
    record = collective_record(ic)
    assert record["alltoall_link_kind"] == "nvswitch + infiniband" and record["allreduce_s"] == 0.0
    assert 0.0 < record["alltoall_hidden_s"] <= record["alltoall_s"]
