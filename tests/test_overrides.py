"""Overrides that patch: a team entry with a built-in id changes only the fields it sets (nested
tables merged), its problems name the team file's line and key, `config show` shows the merged
entry field by field, and `advisor check` warns when a patch changes hardware."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from advisor.catalog.config import Layer, builtin_layer, load_world, merge_layers
from advisor.catalog.loaders import load_catalog_bytes
from advisor.cli import main
from advisor.errors import AdvisorError

README = Path(__file__).resolve().parent.parent / "README.md"
LAMBDA_8X = "lambda/gpu-8x-h100-sxm5"


def _entry_line(catalog: str, entry_id: str) -> int:
    """The line of the `[[offering]]` header of `entry_id` in a built-in catalog file."""
    lines = (Path(__file__).resolve().parent.parent / "catalogs" / catalog).read_text(encoding="utf-8").splitlines()
    at = lines.index(f'id = "{entry_id}"')
    assert lines[at - 1] == "[[offering]]"
    return at


def readme_override() -> str:
    """The README's negotiated-price example, as a user would copy it."""
    text = README.read_text(encoding="utf-8")
    start = text.index("For example a negotiated price")
    return re.search(r"```toml\n(.*?)```", text[start:], re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repository with an advisor.toml listing `catalogs/`, as the working folder."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "advisor.toml").write_text('catalogs = ["catalogs"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def header_line(text: str) -> int:
    return text.splitlines().index("[[offering]]") + 1


def team_file(repo: Path, text: str, name: str = "negotiated.toml") -> Path:
    path = repo / "catalogs" / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- merging -------------------------------------------------------------------------------

def test_the_readme_example_changes_only_price_and_terms(repo: Path) -> None:
    team_file(repo, readme_override())
    builtin = load_world(discover=False).offerings[LAMBDA_8X]
    patched = load_world(cwd=repo).offerings[LAMBDA_8X]
    assert patched.price_per_node_hour == 19.5 and patched.source == "contract 2026-117"
    assert patched.nvls is True  # the field the whole-entry replacement used to drop
    for field in ("accelerator", "gpus_per_node", "intra_fabric", "intra_bytes_per_s", "nvls", "tenancy",
                  "inter_fabric", "max_nodes", "regions", "confidence", "notes"):
        assert getattr(patched, field) == getattr(builtin, field), field


def test_the_readme_example_keeps_the_layout_of_the_builtin_box(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def row(*flags: str) -> dict[str, Any]:
        code, out, err = run(capsys, *flags, "quote", "--model", "405b", "--ctx", "32k", "--all", "--format", "json")
        assert code == 0, err
        return next(r for r in json.loads(out)["results"] if r["offering"] == LAMBDA_8X)

    team_file(repo, readme_override())
    builtin, patched = row("--no-discover"), row()
    assert patched["usd_per_node_hour"] == 19.5 and builtin["usd_per_node_hour"] != 19.5
    assert patched["layout"] == builtin["layout"] and patched["layout"]["label"] == "TP8"
    assert patched["output_tokens_per_s"] == builtin["output_tokens_per_s"]


def test_nested_tables_merge_and_lists_are_replaced(repo: Path) -> None:
    team_file(repo, '[[accelerator]]\nid = "h100-sxm"\ndense_flops_per_s = { bf16 = 900e12 }\n'
                    'aliases = ["our-h100"]\n')
    builtin = load_world(discover=False).accelerators["h100-sxm"]
    patched = load_world(cwd=repo).accelerators["h100-sxm"]
    assert dict(patched.dense_flops_per_s) == {**dict(builtin.dense_flops_per_s), "bf16": 900e12}
    assert patched.aliases == ("our-h100",)
    assert patched.memory_bytes == builtin.memory_bytes


def test_a_layer_built_without_bases_is_patched_when_merged() -> None:
    # A remote catalog (or any layer loaded on its own) holding a whole entry without `nvls`:
    # the README's example before it became a patch.
    text = (f'[[offering]]\nid = "{LAMBDA_8X}"\nprovider = "Lambda"\nsku = "gpu_8x_h100_sxm5 (negotiated)"\n'
            'accelerator = "h100-sxm"\ngpus_per_node = 8\nintra_fabric = "nvswitch"\nintra_bytes_per_s = "450 GB/s"\n'
            'tenancy = "vm"\nprice_per_node_hour = "19.50 USD/h"\nas_of = 2026-11-01\nsource = "contract 2026-117"\n')
    team = Layer("remote", 3)
    team.add(load_catalog_bytes(text.encode(), "r.toml"))
    assert team.problems == []
    world, problems = merge_layers([builtin_layer(), team])
    assert problems == [] and world.offerings[LAMBDA_8X].nvls is True
    assert world.field_origins[("offering", LAMBDA_8X)]["nvls"].layer == "built-in"
    assert world.field_origins[("offering", LAMBDA_8X)]["price_per_node_hour"].layer == "remote"


def test_user_and_team_patches_stack(repo: Path, tmp_path_factory: pytest.TempPathFactory,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path_factory.mktemp("user")
    (user / "catalogs").mkdir()
    (user / "catalogs" / "mine.toml").write_text(
        f'[[offering]]\nid = "{LAMBDA_8X}"\nprice_per_node_hour = 20.0\ncurrency = "USD"\nregions = ["us-east-1"]\n')
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(user))
    team_file(repo, f'[[offering]]\nid = "{LAMBDA_8X}"\nprice_per_node_hour = 19.0\n')
    world = load_world(cwd=repo)
    patched = world.offerings[LAMBDA_8X]
    assert (patched.price_per_node_hour, patched.regions, patched.nvls) == (19.0, ("us-east-1",), True)
    layers = {name: o.layer for name, o in world.field_origins[("offering", LAMBDA_8X)].items()}
    assert (layers["price_per_node_hour"], layers["regions"], layers["nvls"]) == ("team", "user", "built-in")


# -- problems name the team file -----------------------------------------------------------

def test_a_bad_value_in_a_patch_names_the_team_line_and_key(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = team_file(repo, f'[[offering]]\nid = "{LAMBDA_8X}"\nprice_per_node_hr = 19.5\n')
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err == (f"advisor: {path}:3: offering.price_per_node_hr: unknown key "
                   "(did you mean 'price_per_node_hour'?)\n")  # and no "missing (required)" noise


def test_a_patch_that_breaks_the_merged_entry_says_where_the_other_value_came_from(
    repo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = team_file(repo, f'[[offering]]\nid = "{LAMBDA_8X}"\nfast_group_gpus = 16\n')
    code, _, err = run(capsys, "quote", "--model", "8b")
    assert code == 3
    assert err.startswith(f"advisor: {path}:3: offering.fast_group_gpus: fast_group_gpus exceeds gpus_per_node "
                          "(merged over ")
    assert err.endswith(f"catalogs/lambda.toml:{_entry_line('lambda.toml', LAMBDA_8X)}, the entry this one patches)\n")
    with pytest.raises(AdvisorError) as caught:
        load_world(cwd=repo)
    assert caught.value.exit_code == 3


def test_a_partial_entry_with_a_near_miss_id_gets_a_did_you_mean(
    repo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = team_file(repo, '[[offering]]\nid = "lambda/gpu-8x-h100-sxm"\nprice_per_node_hour = 19.5\n')
    code, _, err = run(capsys, "check")
    assert code == 2
    assert (f"advisor: {path}:2: offering.id: no earlier offering with this id to patch, so it is a new entry "
            f"and needs every required field (did you mean '{LAMBDA_8X}'?)") in err.splitlines()


# -- what the user is shown ----------------------------------------------------------------

def test_config_show_lists_the_merged_entry_and_where_each_field_came_from(
    repo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = team_file(repo, readme_override())
    line = header_line(readme_override())
    code, out, _ = run(capsys, "config", "show")
    assert code == 0
    assert f"offering {LAMBDA_8X}: team {path}:{line} patches built-in " in out
    rows = {line.split()[0]: line.split()[-1] for line in out.splitlines() if line.startswith("    ")}
    assert (rows["price_per_node_hour"], rows["nvls"], rows["fast_group_gpus"]) == ("team", "built-in", "default")
    code, out, _ = run(capsys, "config", "show", "--format", "json")
    (entry,) = [s for s in json.loads(out)["shadowed"] if s["id"] == LAMBDA_8X]
    assert entry["fields"]["nvls"] == {"value": True, "layer": "built-in",
                                       "path": entry["from"]["path"]}
    assert entry["fields"]["price_per_node_hour"] == {"value": 19.5, "layer": "team", "path": f"{path}:{line}"}


def test_check_is_quiet_for_price_and_warns_for_hardware(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    team_file(repo, readme_override())
    code, out, err = run(capsys, "check")
    assert (code, err) == (0, "") and out.startswith("ok: 2 files, 1 offering; no problems\n")
    path = team_file(repo, readme_override() + "nvls = false\n")
    code, out, err = run(capsys, "check")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("nvls"))
    assert code == 0 and out.endswith("no problems, 1 warning\n")
    assert err == (f"advisor: warning: {path}:{line}: offering.nvls: {LAMBDA_8X}: changes the built-in "
                   "offering's hardware: nvls true → false; overrides are for price and terms (drop the key "
                   "to keep the built-in value, or give a different machine its own id)\n")
    assert run(capsys, "check", "--strict")[0] == 2

