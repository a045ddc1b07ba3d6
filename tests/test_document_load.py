"""The documents' load and KV cache agree: "sized for concurrency 56" beside a KV cache for 55
sequences says why (a closed loop's open requests include those waiting for their first token,
so about 55 decode at a time), in the same numbers (issue 17, point 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from advisor.cli import main

SIZED = re.compile(r"sized for concurrency (\d+) \((\d+) open requests(?:, ([\d.]+) per replica)?"
                   r"(?:: about (\d+) decoding at a time(?: per replica)?, the others waiting for their "
                   r"first token)?\)\.")
KV = re.compile(r"\| KV cache \((\d+) decoding sequences per replica at 32k context\) \|")


@pytest.fixture(autouse=True)
def _away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def document(capsys: pytest.CaptureFixture[str], fmt: str, *argv: str) -> str:
    assert main(["--no-discover", "quote", *argv, "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("model", ["405b", "70b", "8b"])
def test_the_load_and_the_kv_sequences_say_the_same_thing(capsys: pytest.CaptureFixture[str], model: str) -> None:
    md = document(capsys, "md", "--model", model, "--ctx", "32k")
    sized, kv = SIZED.search(md), KV.search(md)
    assert sized is not None and kv is not None, md[:3000]
    total, open_requests, per_replica, decoding_said = sized.groups()
    decoding = int(kv.group(1))
    per = float(per_replica or total)
    assert open_requests == total
    rec = json.loads(document(capsys, "json", "--model", model, "--ctx", "32k"))["recommendation"]
    assert rec["load"] == f"concurrency {total}" and rec["vram"]["sequences_per_replica"] == decoding
    if decoding < per:  # the case of the issue: 56 open requests, a KV cache for 55
        assert decoding_said is not None and int(decoding_said) == decoding
    else:
        assert decoding_said is None


def test_the_issue_case_states_both_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    md = document(capsys, "md", "--model", "405b", "--ctx", "32k")
    sized, kv = SIZED.search(md), KV.search(md)
    assert sized is not None and kv is not None
    assert int(kv.group(1)) < int(sized.group(1))  # the built-in data still has the issue's case
    assert f"about {kv.group(1)} decoding at a time, the others waiting for their first token" in md
