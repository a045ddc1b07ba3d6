"""No absolute path of the machine the data was written on reaches a user: the shipped entries
cite URLs and names, and the quote's `--explain`, assumptions and exports carry none."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.domain.common import to_json

# A slash that starts a path of two or more parts, not inside a URL ("https://a/b"), a
# relative path ("shared/facts/x.md") or a unit ("USD/h", "GB/s").
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.-]+/)+[\w.-]+")


def _strings(value: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _strings(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [s for index, item in enumerate(value) for s in _strings(item, f"{where}[{index}]")]
    return []


def test_the_pattern_finds_absolute_paths_and_nothing_else() -> None:
    assert ABSOLUTE_PATH.search("cloud_gpu.json via /work/shared/facts/offerings.md")
    assert ABSOLUTE_PATH.search("/home/me/prices.toml")
    for text in ("https://github.com/cloud-gpus/cloud-gpus.github.io", "shared/facts/models.csv",
                 "3.99 USD/h", "450 GB/s", "advisor/profiles/workloads.toml", "TP 8 / PP 2"):
        assert not ABSOLUTE_PATH.search(text), text


def test_no_shipped_entry_names_an_absolute_path() -> None:
    world = load_world(discover=False)
    found = []
    for kind, table in (("accelerator", world.accelerators), ("offering", world.offerings),
                        ("model", world.models), ("workload", world.workloads),
                        ("efficiency", world.efficiency), ("tenancy", world.tenancy)):
        for entry_id, record in table.items():
            found += [(kind, where, text) for where, text in _strings(to_json(record), entry_id)
                      if ABSOLUTE_PATH.search(text)]
    assert found == []


def test_explain_assumptions_and_exports_carry_no_absolute_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no team config
    request = ["quote", "--model", "405b", "--ctx", "32k"]
    assert main([*request, "--format", "json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["assumptions"] and doc["results"][0]["source"]
    outputs = {"json": out}
    for fmt in ("md", "csv"):
        assert main([*request, "--format", fmt]) == 0
        outputs[fmt] = capsys.readouterr().out
    assert main([*request, "--explain", doc["results"][0]["offering"]]) == 0
    outputs["explain"] = capsys.readouterr().out
    assert "Assumptions" in outputs["explain"]
    leaks = {name: ABSOLUTE_PATH.findall(text) for name, text in outputs.items()}
    assert leaks == {name: [] for name in outputs}
