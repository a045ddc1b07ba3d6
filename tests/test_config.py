"""Config discovery and layering: built-in < user < team < --config, shadowing by id with
provenance, exit codes 3 (discovered) and 2 (given), and `config show`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import load_world
from advisor.catalog.paths import find_team_config
from advisor.domain.common import to_json
from advisor.errors import AdvisorError

REPO_ROOT = Path(__file__).resolve().parent.parent


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(value)


def toml_table(kind: str, record: dict[str, Any]) -> str:
    """An entry as a `[[kind]]` table (dates written as TOML dates)."""
    lines = [f"[[{kind}]]"]
    for key, value in record.items():
        if value is None:
            continue
        text = value if key == "as_of" else toml_value(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def builtin() -> Any:
    return load_world(discover=False)


@pytest.fixture
def team_repo(tmp_path: Path, builtin: Any) -> dict[str, Any]:
    """A git repo with advisor.toml adding a private model and overriding an offering's price."""
    repo = tmp_path / "repo"
    (repo / "profiles").mkdir(parents=True)
    (repo / "prices").mkdir()
    (repo / "src" / "deep").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "advisor.toml").write_text(
        'profiles = ["profiles"]\ncatalogs = ["prices/negotiated.toml"]\n\n'
        '[defaults]\ncurrency = "EUR"\nutilization = 0.7\ncurrency_rates = { EUR = 1.08 }\n'
    )
    offering = to_json(next(iter(builtin.offerings.values())))
    new_price = round(offering["price_per_node_hour"] * 0.6, 2)
    offering["price_per_node_hour"] = new_price
    offering["source"] = "our negotiated contract"
    (repo / "prices" / "negotiated.toml").write_text(toml_table("offering", offering))
    model = to_json(builtin.model("70b"))
    model.update(id="acme-secret-70b", name="Acme Secret 70B", aliases=["secret"], source="internal")
    (repo / "profiles" / "private.toml").write_text(toml_table("model", model))
    return {"repo": repo, "offering": offering["id"], "price": new_price}


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_team_layer_from_a_subdirectory_end_to_end(team_repo: dict[str, Any]) -> None:
    deep = team_repo["repo"] / "src" / "deep"
    offers = json.loads(run_cli("offerings", "--format", "json", cwd=deep).stdout)
    mine = next(o for o in offers if o["id"] == team_repo["offering"])
    assert (mine["price_per_node_hour"], mine["layer"]) == (team_repo["price"], "team")
    assert mine["file"].endswith("negotiated.toml")
    models = json.loads(run_cli("models", "--format", "json", cwd=deep).stdout)
    secret = next(m for m in models if m["id"] == "acme-secret-70b")
    assert secret["layer"] == "team" and secret["aliases"] == ["secret"]
    shown = run_cli("config", "show", cwd=deep)
    assert shown.returncode == 0, shown.stderr
    assert str(team_repo["repo"] / "advisor.toml") in shown.stdout
    assert str(team_repo["repo"] / "profiles" / "private.toml") in shown.stdout
    assert f"offering {team_repo['offering']}: team" in shown.stdout
    assert "patches built-in" in shown.stdout


def test_team_layer_in_process(team_repo: dict[str, Any], builtin: Any) -> None:
    world = load_world(cwd=team_repo["repo"] / "src")
    assert world.offering(team_repo["offering"]).price_per_node_hour == team_repo["price"]
    assert world.model("SECRET").id == "acme-secret-70b"
    assert len(world.offerings) == len(builtin.offerings)
    kind, entry_id, old, new = next(s for s in world.shadowed if s[1] == team_repo["offering"])
    assert (kind, old.layer, new.layer) == ("offering", "built-in", "team")
    assert new.path.endswith("negotiated.toml") and new.line == 1 and len(new.sha256) == 64
    assert world.settings.currency == "EUR" and world.settings.utilization == 0.7
    assert dict(world.settings.currency_rates) == {"EUR": 1.08}
    config_files = [o for o in world.files if o.role == "config"]
    assert [o.layer for o in config_files] == ["team"]


def test_config_show_json(team_repo: dict[str, Any]) -> None:
    result = run_cli("config", "show", "--format", "json", cwd=team_repo["repo"])
    summary = json.loads(result.stdout)
    layers = {f["path"]: f["layer"] for f in summary["files"]}
    assert layers[str(team_repo["repo"] / "prices" / "negotiated.toml")] == "team"
    assert summary["shadowed"][0]["by"]["path"].endswith("negotiated.toml:1")
    assert summary["settings"]["currency"] == "EUR"


def test_no_discover_and_explicit_config(team_repo: dict[str, Any], builtin: Any, tmp_path: Path) -> None:
    repo = team_repo["repo"]
    assert "acme-secret-70b" not in load_world(discover=False, cwd=repo).models
    # An explicit config applies even with discovery off, and wins over the team layer.
    extra = tmp_path / "extra.toml"
    extra.write_text('[defaults]\nutilization = 0.9\n')
    world = load_world(str(extra), cwd=repo)
    assert world.settings.utilization == 0.9 and world.settings.currency == "EUR"
    env_run = run_cli("config", "show", "--format", "json", cwd=tmp_path,
                      env={"ADVISOR_CONFIG": str(repo / "advisor.toml")})
    assert json.loads(env_run.stdout)["settings"]["currency"] == "EUR"


def test_user_layer_is_below_team(team_repo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    user = Path(os.environ["ADVISOR_CONFIG_DIR"])
    (user / "catalogs").mkdir(parents=True)
    text = (team_repo["repo"] / "prices" / "negotiated.toml").read_text()
    (user / "catalogs" / "mine.toml").write_text(text.replace("our negotiated", "user"))
    (user / "advisor.toml").write_text('[defaults]\ncurrency = "GBP"\nterm = "1-year"\n')
    world = load_world(cwd=team_repo["repo"])
    chain = [(old.layer, new.layer) for k, i, old, new in world.shadowed if i == team_repo["offering"]]
    assert chain == [("built-in", "user"), ("user", "team")]
    assert world.settings.currency == "EUR" and world.settings.term == "1-year"
    assert load_world(cwd=Path("/")).offering(team_repo["offering"]).source == "user contract"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"advisor.toml": "", ".advisor.toml": "", "pyproject.toml": "[tool.advisor]\n"}, "advisor.toml"),
        ({".advisor.toml": "", "pyproject.toml": "[tool.advisor]\n"}, ".advisor.toml"),
        ({"pyproject.toml": "[project]\nname='x'\n[tool.advisor.defaults]\nengine='sglang'\n"}, "pyproject.toml"),
    ],
)
def test_discovery_order_within_a_folder(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()  # the walk goes up to the repository root
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_team_config(tmp_path / "a" / "b") == (tmp_path / expected).resolve()


def test_discovery_skips_plain_pyproject_and_nearest_wins(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text('[defaults]\nengine = "trtllm"\n')
    (tmp_path / ".git").mkdir()
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'pkg'\n# tool.advisor is not here\n")
    assert find_team_config(inner) == (tmp_path / "advisor.toml").resolve()
    assert load_world(cwd=inner).settings.engine == "trtllm"
    (inner / "pyproject.toml").write_text("[tool.advisor.defaults]\nengine = 'sglang'\n")
    assert load_world(cwd=inner).settings.engine == "sglang"


def test_bad_discovered_file_exits_3_and_given_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text('catalogs = ["cat"]\n[defaults]\nutilisation = 0.5\n')
    (tmp_path / "cat").mkdir()
    with pytest.raises(AdvisorError) as info:
        load_world(cwd=tmp_path)
    assert info.value.exit_code == 3
    (problem,) = info.value.problems
    assert (problem.line, problem.key, problem.suggestion) == (3, "defaults.utilisation", "utilization")
    with pytest.raises(AdvisorError) as info:
        load_world(str(tmp_path / "advisor.toml"), discover=False)
    assert info.value.exit_code == 2
    result = run_cli("gpus", cwd=tmp_path)
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'advisor.toml'}:3: defaults.utilisation: unknown key" in result.stderr
    result = run_cli("--config", str(tmp_path / "missing.toml"), "gpus", cwd=tmp_path)
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_missing_listed_path_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text('# team\ncatalogs = [\n  "here",\n  "not-here",\n]\n')
    (tmp_path / "here").mkdir()
    with pytest.raises(AdvisorError) as info:
        load_world(cwd=tmp_path)
    (problem,) = info.value.problems
    assert (problem.line, problem.key) == (4, "catalogs[1]") and "no such file" in problem.message


def test_catalog_tables_in_the_config_get_a_hint(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text('[[offering]]\nid = "x"\n')
    with pytest.raises(AdvisorError) as info:
        load_world(cwd=tmp_path)
    assert "belong in a catalog file" in info.value.problems[0].message


def test_duplicate_id_across_files_of_one_layer(tmp_path: Path, team_repo: dict[str, Any]) -> None:
    profiles = team_repo["repo"] / "profiles"
    (profiles / "copy.toml").write_text((profiles / "private.toml").read_text())
    with pytest.raises(AdvisorError) as info:
        load_world(cwd=team_repo["repo"])
    (problem,) = info.value.problems
    assert problem.file.endswith("private.toml") and problem.line == 1
    assert "duplicate id 'acme-secret-70b' in the team layer" in problem.message
    assert "copy.toml:1" in problem.message


def test_unknown_accelerator_reference(tmp_path: Path) -> None:
    fixture = (REPO_ROOT / "tests" / "fixtures" / "gpu.toml").read_text()
    text = fixture[fixture.index("[[offering]]"):].replace('"acme-x1"', '"h100-sxm5"')
    (tmp_path / "c.toml").write_text(text)
    (tmp_path / "advisor.toml").write_text('catalogs = ["c.toml"]\n')
    with pytest.raises(AdvisorError) as info:
        load_world(cwd=tmp_path)
    (problem,) = info.value.problems
    assert problem.key == "offering.accelerator" and "unknown accelerator 'h100-sxm5'" in problem.message
    assert problem.line == 1 and problem.suggestion is not None


def test_remote_entries_load_from_cache_only(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text(
        '[[remote]]\nurl = "https://example.invalid/catalog.toml"\nrefresh = "1d"\n')
    world = load_world(cwd=tmp_path)
    assert any("example.invalid" in w for w in world.warnings)


def test_loading_the_world_stays_light(tmp_path: Path) -> None:
    code = ("import sys; from advisor.catalog.config import load_world; load_world(discover=False);"
            "heavy = {'pint', 'rich', 'textual', 'httpx'} & set(sys.modules);"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path,
                   env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
