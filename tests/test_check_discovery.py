"""`advisor check` with no path checks what the tool would load (the team config found upward,
the user config dir, `--config`); a file named twice, or a folder listed under both `catalogs`
and `profiles`, is read once; an intra-node bandwidth implausible for its fabric and GPU warns."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from advisor.catalog.config import load_world
from advisor.cli import main

OFFERING = """\
[[offering]]
id = "acme/h100-8x"
provider = "Acme"
sku = "h100.8x"
accelerator = "h100-sxm"
gpus_per_node = 8
intra_fabric = "{fabric}"
intra_bytes_per_s = "{intra}"
tenancy = "bare-metal"
price_per_node_hour = "25.00 USD/h"
as_of = 2025-06-01
source = "a quote"
"""
WORKLOAD = """\
[[workload]]
id = "team-chat"
name = "Team chat"
input_tokens = 1000
output_tokens = 100
max_context = 4096
concurrency = 8
as_of = 2026-01-01
source = "test"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose advisor.toml lists `shared/` as catalogs and as profiles, with
    the working folder two levels below its root."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "offer.toml").write_text(OFFERING.format(fabric="nvswitch", intra="450 GB/s"))
    (tmp_path / "shared" / "work.toml").write_text(WORKLOAD)
    (tmp_path / "advisor.toml").write_text('catalogs = ["shared"]\nprofiles = ["./shared/"]\n')
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "deep")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_without_a_path_checks_the_discovered_team_config(
    repo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "check") == (0, "ok: 3 files, 1 offering, 1 workload; no problems\n", "")
    (repo / "shared" / "work.toml").write_text(WORKLOAD.replace("concurrency = 8", "concurency = 8"))
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err == (f"advisor: {repo / 'shared' / 'work.toml'}:7: workload.concurency: unknown key "
                   "(did you mean 'concurrency'?)\n")


def test_check_without_a_path_and_nothing_to_find_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err.startswith(f"advisor: nothing to check: no advisor.toml, .advisor.toml or [tool.advisor] in "
                          f"pyproject.toml from {tmp_path.resolve()} up to the repository root")
    assert err.endswith("name the files to check: advisor check PATH…\n") and len(err.splitlines()) == 1
    assert run(capsys, "--no-discover", "check")[0] == 2


def test_check_without_a_path_honours_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "work.toml").write_text(WORKLOAD)
    (tmp_path / "team.toml").write_text('profiles = ["work.toml"]\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--no-discover", "--config", str(tmp_path / "team.toml"), "check")
    assert (code, out) == (0, "ok: 2 files, 1 workload; no problems\n")


def test_a_file_named_twice_is_checked_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, shared = repo / "advisor.toml", repo / "shared"
    expected = "ok: 3 files, 1 offering, 1 workload; no problems\n"
    for argv in ([config, config], [shared, shared], [config, shared], [shared / "offer.toml", config, shared]):
        assert run(capsys, "--no-discover", "check", *map(str, argv)) == (0, expected if config in argv else
                                                                           expected.replace("3 files", "2 files"), "")


def test_one_folder_under_catalogs_and_profiles_loads_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = load_world()
    assert world.offerings["acme/h100-8x"].provider == "Acme" and "team-chat" in world.workloads
    assert [o.path for o in world.files if o.layer == "team" and o.role == "data"] == [
        str(repo / "shared" / "offer.toml"), str(repo / "shared" / "work.toml")]
    code, _, err = run(capsys, "workloads", "--format", "json")
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("fabric", "intra", "key", "needle"),
    [
        ("nvswitch", "450 Gb/s", "intra_bytes_per_s",
         "56.25 GB/s is implausibly low for nvswitch with h100-sxm, whose nvlink4 link carries 450 GB/s per GPU "
         "per direction; written in bits? 450 Gb/s is 56.25 GB/s"),
        ("nvswitch", "50 GB/s", "intra_bytes_per_s", "50 GB/s is implausibly low for nvswitch with h100-sxm"),
        ("infinity-fabric", "448 GB/s", "intra_fabric", "infinity-fabric needs a GPU with infinity-fabric links, "
         "but h100-sxm has nvlink4"),
        ("pcie", "450 GB/s", "intra_bytes_per_s", "450 GB/s does not match the PCIe of h100-sxm (63 GB/s per "
         "direction, Gen5 x16)"),
    ],
)
def test_intra_node_bandwidth_implausible_for_the_fabric_warns_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fabric: str, intra: str, key: str, needle: str,
) -> None:
    path = tmp_path / "offer.toml"
    path.write_text(OFFERING.format(fabric=fabric, intra=intra))
    line = 7 if key == "intra_fabric" else 8
    code, out, err = run(capsys, "--no-discover", "check", str(path))
    assert code == 0 and out.endswith("no problems, 1 warning\n")
    assert err.startswith(f"advisor: warning: {path}:{line}: offering.{key}: acme/h100-8x: {needle}")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("fabric", "intra"), [("nvswitch", "450 GB/s"), ("nvswitch", "380 GB/s"), ("pcie", "63 GB/s")])
def test_plausible_intra_node_bandwidth_is_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  fabric: str, intra: str) -> None:
    path = tmp_path / "offer.toml"
    path.write_text(OFFERING.format(fabric=fabric, intra=intra))
    assert run(capsys, "--no-discover", "check", str(path)) == (0, "ok: 1 file, 1 offering; no problems\n", "")
