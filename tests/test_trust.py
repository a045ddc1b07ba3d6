"""Discovery with a boundary and consent: the upward walk stops at the repository root or the
home directory, unsafe files (another owner, writable by others) are ignored with a warning, and
a discovered config's remote catalogs and outside paths wait for `advisor trust`.

Two local users are simulated: another user's file by a patched `os.geteuid`, a shared folder by
permissions (0o666/0o777).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from remote_server import CATALOG, Reply, ScriptedServer

from advisor.catalog.config import load_world
from advisor.catalog.paths import find_team_config
from advisor.cli import main

PRICE = """\
[[offering]]
id = "acme/h100-8x"
provider = "Acme"
sku = "h100.8x"
accelerator = "h100-sxm"
gpus_per_node = 8
intra_fabric = "nvswitch"
intra_bytes_per_s = 450e9
inter_fabric = "infiniband"
inter_bytes_per_s = 400e9
tenancy = "bare-metal"
price_per_node_hour = 25.0
currency = "USD"
as_of = 2025-06-01
source = "a quote"
"""


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shared temporary folder holding someone's advisor.toml, and a repository inside it."""
    (tmp_path / "other.toml").write_text(PRICE)
    (tmp_path / "advisor.toml").write_text('catalogs = ["other.toml"]\n[defaults]\nengine = "trtllm"\n')
    repo = tmp_path / "work" / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    monkeypatch.chdir(repo / "src")
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- the boundary --------------------------------------------------------------------------

def test_walk_stops_at_the_repository_root(shared: Path) -> None:
    assert find_team_config(shared / "src") is None
    assert load_world(cwd=shared / "src").settings.engine == "vllm"
    (shared / "advisor.toml").write_text('[defaults]\nengine = "sglang"\n')
    assert find_team_config(shared / "src") == shared / "advisor.toml"


def test_walk_outside_any_repository_reads_only_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "advisor.toml").write_text('[defaults]\nengine = "trtllm"\n')
    below = tmp_path / "scratch"
    below.mkdir()
    assert find_team_config(below) is None
    assert find_team_config(tmp_path) == tmp_path / "advisor.toml"


def test_walk_stops_at_the_home_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "advisor.toml").write_text('[defaults]\nengine = "trtllm"\n')
    home = tmp_path / "home" / "me"
    (home / "project").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert find_team_config(home / "project") is None
    (home / "advisor.toml").write_text("")
    assert find_team_config(home / "project") == home / "advisor.toml"


# -- unsafe files --------------------------------------------------------------------------

def test_unsafe_reason_names_owner_and_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.catalog.paths import unsafe_reason

    path = tmp_path / "advisor.toml"
    path.write_text("")
    path.chmod(0o644)
    assert unsafe_reason(path) is None
    path.chmod(0o666)
    assert unsafe_reason(path) == "writable by group and others (mode 666)"
    path.chmod(0o664)
    assert unsafe_reason(path) is None  # the user's own primary group (umask 002)
    os.chown(path, -1, os.getegid() + 1)
    assert unsafe_reason(path) == f"writable by group {os.getegid() + 1}, not your own (mode 664)"
    path.chmod(0o644)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    assert unsafe_reason(path) == f"owned by another user (uid {os.stat(path).st_uid})"


def _team(repo: Path, text: str) -> Path:
    config = repo / "advisor.toml"
    config.write_text(text)
    config.chmod(0o644)
    return config


@pytest.mark.parametrize("mode", [0o666, 0o777, 0o620])
def test_world_writable_team_config_is_ignored_with_a_warning(
    shared: Path, mode: int, capsys: pytest.CaptureFixture[str],
) -> None:
    config = _team(shared, '[defaults]\nengine = "trtllm"\n')
    config.chmod(mode)
    if mode == 0o620:
        os.chown(config, -1, os.getegid() + 1)  # group-writable by a group that is not the user's
    code, out, err = run(capsys, "config", "show", "--format", "json")
    assert code == 0
    assert json.loads(out)["settings"]["engine"] == "vllm"
    assert err.startswith(f"advisor: warning: {config}: ignored: writable by ") and len(err.splitlines()) == 1


def test_team_config_of_another_user_is_ignored(
    shared: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _team(shared, '[defaults]\nengine = "trtllm"\n')
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(config).st_uid + 1)
    code, out, err = run(capsys, "config", "show", "--format", "json")
    assert code == 0 and json.loads(out)["settings"]["engine"] == "vllm"
    assert "ignored: owned by another user" in err


def test_world_writable_data_file_is_ignored(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _team(shared, 'catalogs = ["prices.toml"]\n')
    (shared / "prices.toml").write_text(PRICE)
    (shared / "prices.toml").chmod(0o666)
    code, out, err = run(capsys, "offerings", "--format", "json")
    assert code == 0 and "acme/h100-8x" not in out
    assert f"advisor: warning: {shared / 'prices.toml'}: ignored: writable by group and others" in err


# -- consent -------------------------------------------------------------------------------

def test_untrusted_remote_is_not_fetched_until_trusted(
    shared: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    config = _team(shared, f'[[remote]]\nurl = "{server.url()}"\n')
    server.script(Reply(200, CATALOG, {"Content-Type": "text/plain"}))
    code, out, err = run(capsys, "offerings", "--format", "json")
    assert code == 0 and server.requests == []
    assert err == (f"advisor: warning: {config}: not trusted, skipped 1 remote catalog(s) ({server.url()}); "
                   f"read it, then run `advisor trust {config}` to allow them\n")
    assert run(capsys, "trust")[0] == 0
    code, out, err = run(capsys, "offerings", "--format", "json")
    assert code == 0, err
    assert len(server.requests) == 1 and "acme/h100x8" in out
    config.write_text(config.read_text() + "# changed\n")  # a changed file is untrusted again
    code, out, err = run(capsys, "--offline", "offerings", "--format", "json")
    assert "acme/h100x8" not in out and "not trusted" in err


def test_untrusted_path_outside_the_repository_is_skipped(
    shared: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = _team(shared, 'catalogs = ["../../other.toml", "mine"]\n')
    (shared / "mine").mkdir()
    escape = shared.parent.parent / "escape.toml"
    escape.write_text(PRICE.replace("acme/h100-8x", "acme/escape"))
    (shared / "mine" / "link.toml").symlink_to(escape)
    code, out, err = run(capsys, "offerings", "--format", "json")
    assert code == 0 and "acme/h100-8x" not in out and "acme/escape" not in out
    assert "skipped 2 path(s) outside the repository (../../other.toml, " in err
    assert f"advisor trust {config}" in err
    code, out, _ = run(capsys, "config", "show")
    assert "Skipped (run `advisor trust`" in out
    assert f"../../other.toml (not trusted: outside the repository, listed in {config})" in out
    assert run(capsys, "trust", str(config))[0] == 0
    code, out, err = run(capsys, "offerings", "--format", "json")
    assert code == 0 and "acme/h100-8x" in out and "acme/escape" in out and "not trusted" not in err


def test_explicit_config_counts_as_trusted(
    tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text(f'[[remote]]\nurl = "{server.url()}"\n')
    server.script(Reply(200, CATALOG, {"Content-Type": "text/plain"}))
    code, out, err = run(capsys, "--config", str(config), "offerings", "--format", "json")
    assert code == 0, err
    assert len(server.requests) == 1 and "not trusted" not in err


def test_trust_list_and_revoke(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _team(shared, 'catalogs = ["../../other.toml"]\n')
    code, out, _ = run(capsys, "trust")
    assert code == 0 and out == f"trusted {config} (sha256 {_sha(config)[:12]})\n"
    code, out, _ = run(capsys, "trust", "--list")
    assert out == f"trusted  {config}\n"
    config.write_text('catalogs = []\n')
    code, out, _ = run(capsys, "trust", "--list")
    assert out == f"changed  {config}\n"
    code, out, _ = run(capsys, "trust", "--revoke")
    assert code == 0 and out == f"revoked {config}\n"
    assert run(capsys, "trust", "--list")[1] == ""


def test_trust_refuses_an_unsafe_file(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _team(shared, "")
    config.chmod(0o666)
    code, out, err = run(capsys, "trust", str(config))
    assert code == 2 and err.startswith(f"advisor: {config}: not trusted: writable by group and others")


def test_trust_with_no_config_found_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "trust")
    assert code == 2 and err.startswith("advisor: no advisor.toml found")


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- writing through a symlinked config ----------------------------------------------------

def test_catalog_add_refuses_a_symlinked_advisor_toml(
    shared: Path, tmp_path: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(shared)
    outside = tmp_path / "victim" / "planted.toml"
    outside.parent.mkdir()
    (shared / "advisor.toml").symlink_to(outside)  # dangling
    server.script(Reply(200, CATALOG, {"Content-Type": "text/plain"}))
    code, _, err = run(capsys, "catalog", "add", server.url())
    assert code == 2 and "is a symlink" in err
    assert not outside.exists() and server.requests == []


def test_trusting_a_fifo_is_one_line_and_never_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "advisor.toml"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "trust", str(fifo))
    assert code == 2 and err.strip() == f"advisor: {fifo}: not a regular file (a pipe or device?)"


def test_a_fifo_planted_as_the_trust_store_trusts_nothing_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from advisor.catalog import trust

    monkeypatch.setattr(trust, "trust_path", lambda: tmp_path / "trusted.json")
    os.mkfifo(tmp_path / "trusted.json")
    assert trust.trusted() == {}
