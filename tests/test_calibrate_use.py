"""A calibration in use: the file records its provenance; estimates change for its GPU and
engine only; a discovered team config, the user config dir and `--config` load it; `validate`
on the same files shows the error falling; writes need --force and are atomic; an offering-
scoped calibration wins only for that offering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from calibrate_helpers import FIXTURE_FILES, MEASURED, ROOT, TEAM_FLAGS, calibrate_json, catalog_entry

from advisor.catalog.config import load_world
from advisor.cli import main
from advisor.core.efficiency import select


@pytest.fixture(scope="module")
def team_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A team repo whose advisor.toml lists the calibration made from the fixtures."""
    repo = tmp_path_factory.mktemp("team")
    (repo / ".git").mkdir()  # discovery walks up to the repository root, no further
    (repo / "advisor.toml").write_text('calibrations = ["calibration.toml"]\n', encoding="utf-8")
    files = [str(MEASURED / f) for f in FIXTURE_FILES]
    args = ["--no-discover", "calibrate", *files, *TEAM_FLAGS, "-o", str(repo / "calibration.toml"),
            "--as-of", "2026-03-01", "--format", "json"]
    result = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=repo, capture_output=True,
                            text=True, timeout=600, env=_env())
    assert result.returncode == 0, result.stderr
    return {"repo": repo, "report": json.loads(result.stdout), "files": files, "stderr": result.stderr}


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "ADVISOR_CONFIG"}
    return {**env, "PYTHONPATH": str(ROOT)}


def test_the_calibration_file_records_its_provenance(team_repo: dict[str, Any]) -> None:
    text = (team_repo["repo"] / "calibration.toml").read_text(encoding="utf-8")
    entry = catalog_entry(team_repo["repo"] / "calibration.toml")
    assert entry.id == "team-h100-sxm-vllm" and entry.gpu == "h100-sxm" and entry.family == "hopper"
    assert entry.engine == "vllm" and entry.offering is None and str(entry.as_of) == "2026-03-01"
    assert entry.rows == team_repo["report"]["rows"] > 10
    import hashlib

    for f in team_repo["files"]:
        digest = hashlib.sha256(Path(f).read_bytes()).hexdigest()
        assert digest in text and digest[:16] in entry.source  # full hash in comments, short in source
    assert "2025-06-12" in entry.source and "2025-06-13" in entry.source  # measurement dates
    assert "profile_export_aiperf.json (AIPerf" in entry.source and str(ROOT) not in text
    assert (f"advisor: read {team_repo['files'][1]}: 4 run(s) (vLLM bench serve): llama-3.1-8b "
            "tp=1 BF16 on h100-sxm, vllm") in team_repo["stderr"]  # what each file was read as


def _estimate(capsys: pytest.CaptureFixture[str], config: list[str], gpu: str, engine: str) -> dict[str, Any]:
    assert main([*config, "estimate", "--model", "8b", "--gpu", gpu, "--engine", engine, "--isl", "1024",
                 "--osl", "256", "--concurrency", "16", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_calibration_changes_estimates_for_its_gpu_and_engine_only(team_repo: dict[str, Any], capsys) -> None:
    config = ["--config", str(team_repo["repo"] / "advisor.toml"), "--no-discover"]
    for gpu, engine, changed in (("h100", "vllm", True), ("h100", "sglang", False),
                                 ("h200", "vllm", False), ("a100", "vllm", False)):
        team, builtin = _estimate(capsys, config, gpu, engine), _estimate(capsys, ["--no-discover"], gpu, engine)
        if changed:
            assert team["efficiency"]["id"] == "team-h100-sxm-vllm"
            assert "team calibration calibration.toml" in team["efficiency"]["source"]
            assert team["throughput"] != builtin["throughput"] and team["latency"] != builtin["latency"]
        else:  # same family (h200) or engine (sglang): the gpu-scoped entry does not apply
            assert team == builtin, (gpu, engine)


def test_calibrate_stays_headless(tmp_path: Path) -> None:
    probe = ("import json, sys; from advisor.cli import main; code = main(sys.argv[1:]); "
             "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules} & "
             "{'textual', 'httpx', 'pint'})]), file=sys.stderr)")
    args = ["--no-discover", "calibrate", str(MEASURED / FIXTURE_FILES[1]), "--engine", "vllm",
            "-o", str(tmp_path / "c.toml"), "--max-evals", "60"]
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                            timeout=300, env=_env(), cwd=tmp_path)
    assert json.loads(result.stderr.splitlines()[-1]) == [0, []], result.stderr


def test_a_discovered_team_config_shows_the_calibration_in_estimate(team_repo: dict[str, Any]) -> None:
    sub = team_repo["repo"] / "services" / "chat"
    sub.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "advisor", "estimate", "--model", "8b", "--gpu", "h100",
                             "--engine", "vllm", "--isl", "1024", "--osl", "256", "--concurrency", "16"],
                            cwd=sub, capture_output=True, text=True, timeout=120, env=_env())
    assert result.returncode == 0, result.stderr
    assert "Efficiency factors (team-h100-sxm-vllm)" in result.stdout
    assert "factors: team calibration calibration.toml: advisor calibrate on 5 file(s)" in result.stdout


def test_a_calibration_in_the_user_config_dir_is_loaded(team_repo: dict[str, Any], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    user = tmp_path / "user-config"
    (user / "calibrations").mkdir(parents=True)
    (user / "calibrations" / "ours.toml").write_bytes((team_repo["repo"] / "calibration.toml").read_bytes())
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(user))
    monkeypatch.chdir(tmp_path)  # no team config above
    assert _estimate(capsys, [], "h100", "vllm")["efficiency"]["id"] == "team-h100-sxm-vllm"


def test_validate_on_the_same_files_shows_the_error_falling(team_repo: dict[str, Any], capsys) -> None:
    def medians(*config: str) -> dict[str, float]:
        data = [arg for f in team_repo["files"] for arg in ("--data", f)]
        assert main([*config, "validate", *data, *TEAM_FLAGS, "--format", "json"]) == 0
        return {r["metric"]: r["median_abs_pct_error"] for r in json.loads(capsys.readouterr().out)
                if r["group"] == "all"}

    before = medians("--no-discover")
    after = medians("--no-discover", "--config", str(team_repo["repo"] / "advisor.toml"))
    assert set(before) == set(after) >= {"output tok/s (online)", "TTFT (online)", "ITL (online)"}
    for metric in before:
        assert after[metric] < before[metric], metric
    assert max(after.values()) < 5.0 < max(before.values())


def test_existing_output_needs_force_and_the_write_is_atomic(team_repo: dict[str, Any], tmp_path: Path,
                                                             capsys) -> None:
    out = tmp_path / "calibration.toml"
    out.write_text("# ours\n")
    files = team_repo["files"][:2]
    assert main(["--no-discover", "calibrate", *files, *TEAM_FLAGS, "-o", str(out)]) == 2
    assert "already exists (use --force to overwrite)" in capsys.readouterr().err
    assert out.read_text() == "# ours\n"
    calibrate_json([*files, *TEAM_FLAGS, "-o", str(out), "--force"], capsys)
    assert catalog_entry(out).id == "team-h100-sxm-vllm" and sorted(p.name for p in tmp_path.iterdir()) == [
        "calibration.toml"]


def test_offering_scoped_calibration_wins_only_for_that_offering(team_repo: dict[str, Any], tmp_path: Path,
                                                                 capsys) -> None:
    out = tmp_path / "crusoe.toml"
    report = calibrate_json([*team_repo["files"], *TEAM_FLAGS, "--offering", "crusoe/h100-8x", "-o", str(out),
                         "--max-evals", "300"], capsys)  # scoping, not accuracy, is under test
    # (150 evaluations stopped, from the refitted vLLM prior, at a point past the η ceiling)
    assert report["id"] == "team-crusoe-h100-8x-vllm" and report["offering"] == "crusoe/h100-8x"
    (tmp_path / "advisor.toml").write_text('calibrations = ["crusoe.toml"]\n')
    world = load_world(str(tmp_path / "advisor.toml"), discover=False)
    h100 = world.accelerator("h100")
    assert select(world.efficiency.values(), h100, "vllm", "crusoe/h100-8x").id == "team-crusoe-h100-8x-vllm"
    assert select(world.efficiency.values(), h100, "vllm", "lambda/gpu-8x-h100-sxm5").id == "hopper-vllm"
    assert select(world.efficiency.values(), h100, "vllm").id == "hopper-vllm"
