"""`advisor catalog add|update|list` and remote catalogs in the World, end to end.

Runs the real CLI entry point in-process against a real HTTP server on 127.0.0.1; the team
config is a temporary advisor.toml, the user config and cache dirs are temporary folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from remote_server import CATALOG, CATALOG_V2, Reply, ScriptedServer

from advisor.catalog import trust
from advisor.catalog.remote import cache as remote_cache
from advisor.catalog.remote.cache import sha256_hex
from advisor.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as cwd, with private user-config and cache dirs."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "user-config"))
    monkeypatch.delenv("ADVISOR_CONFIG", raising=False)
    monkeypatch.delenv("ADVISOR_OFFLINE", raising=False)
    monkeypatch.chdir(project)
    return project


def ok(body: bytes = CATALOG, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "text/plain; charset=utf-8", **headers})


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_config(project: Path, url: str, extra: str = "") -> Path:
    path = project / "advisor.toml"
    path.write_text(f'# team config\n\n[[remote]]\nurl = "{url}"\n{extra}', encoding="utf-8")
    trust.record(path, trust.file_sha256(path))  # the user ran `advisor trust`
    return path


# -- catalog add ---------------------------------------------------------------------------

def test_add_appends_entry_and_keeps_the_rest_of_the_file(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    original = '# Our team\n[defaults]\ncurrency = "USD"  # keep this comment\n'
    (isolated / "advisor.toml").write_text(original, encoding="utf-8")
    server.script(ok())
    pin = sha256_hex(CATALOG)
    code, out, _ = run_cli(capsys, "catalog", "add", server.url(), "--sha256", pin.upper(),
                           "--refresh", "12h")
    assert code == 0
    assert f"sha256 {pin}" in out and "1 entries" in out
    text = (isolated / "advisor.toml").read_text(encoding="utf-8")
    assert text == original + (
        f'\n[[remote]]\nurl = "{server.url()}"\nsha256 = "{pin}"\nrefresh = "12h"\n'
    )
    assert [p.name for p in isolated.iterdir()] == ["advisor.toml"]  # no temp file left


def test_add_creates_advisor_toml_when_there_is_none(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    server.script(ok())
    code, _, err = run_cli(capsys, "catalog", "add", server.url())
    assert code == 0 and "to pin this exact file" in err
    assert (isolated / "advisor.toml").read_text() == f'[[remote]]\nurl = "{server.url()}"\n'


def test_add_writes_to_the_nearest_config_found_upward(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyproject = isolated / "pyproject.toml"
    original = b'[project]\r\nname = "x"\r\n\r\n[tool.advisor]\r\ncatalogs = []\r\n'
    pyproject.write_bytes(original)
    (isolated / ".git").mkdir()  # the walk goes up to the repository root
    deeper = isolated / "src" / "pkg"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    server.script(ok())
    assert run_cli(capsys, "catalog", "add", server.url())[0] == 0
    added = f'\r\n[[tool.advisor.remote]]\r\nurl = "{server.url()}"\r\n'.encode()
    assert pyproject.read_bytes() == original + added
    assert not (deeper / "advisor.toml").exists()


def test_add_refuses_bad_content_and_leaves_config_untouched(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    config = isolated / "advisor.toml"
    config.write_text("# nothing yet\n")
    server.script(ok(CATALOG_V2))
    code, _, err = run_cli(capsys, "catalog", "add", server.url(), "--sha256", sha256_hex(CATALOG))
    assert code == 2 and f"not added: {server.url()}: sha256 mismatch" in err
    assert config.read_text() == "# nothing yet\n"
    assert sorted(p.name for p in isolated.iterdir()) == ["advisor.toml"]


def test_add_refuses_plain_http_off_loopback_before_any_request(
    isolated: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(capsys, "catalog", "add", "http://192.0.2.1/prices.toml")
    assert code == 2 and "plain http is allowed only to loopback" in err
    assert not (isolated / "advisor.toml").exists()


def test_add_refuses_a_duplicate_url(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(isolated, server.url())
    before = config.read_text()
    code, _, err = run_cli(capsys, "catalog", "add", server.url())
    assert code == 2 and f"{config}:3: {server.url()} is already listed" in err
    assert config.read_text() == before and server.requests == []


def test_add_refuses_a_bad_refresh_interval(
    isolated: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(capsys, "catalog", "add", "https://example.test/a.toml",
                           "--refresh", "fortnightly")
    assert code == 2 and "refresh interval 'fortnightly'" in err


# -- catalog update / list -----------------------------------------------------------------

def test_update_forces_revalidation_and_list_shows_the_copy(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    server.script(ok(ETag='"a"'), Reply(304, headers={"ETag": '"a"'}))
    code, out, _ = run_cli(capsys, "catalog", "update")
    assert code == 0 and out.startswith(f"updated       {server.url()}")
    code, out, _ = run_cli(capsys, "catalog", "update")  # the copy is fresh: still revalidated
    assert code == 0 and out.startswith(f"not-modified  {server.url()}")
    assert server.requests[1].headers["if-none-match"] == '"a"'
    code, out, _ = run_cli(capsys, "catalog", "list", "--format", "json")
    [record] = json.loads(out)
    assert record["url"] == server.url() and record["status"] == "fresh"
    assert record["sha256"] == sha256_hex(CATALOG) and record["size_bytes"] == len(CATALOG)
    assert record["configured_in"].endswith("advisor.toml:3") and record["age_s"] < 60
    code, out, _ = run_cli(capsys, "catalog", "list")
    assert code == 0 and sha256_hex(CATALOG)[:12] in out and "fresh" in out


def test_update_reports_failure_and_keeps_the_copy(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    server.script(ok())
    assert run_cli(capsys, "catalog", "update")[0] == 0
    server.script(Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}))
    code, out, err = run_cli(capsys, "catalog", "update")
    assert code == 3 and out.startswith("stale")
    assert "HTML page" in err and "using the cached copy" in err
    assert remote_cache.read(server.url()).body == CATALOG  # type: ignore[union-attr]


def test_update_offline_and_list_before_any_fetch(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    code, out, err = run_cli(capsys, "catalog", "update", "--offline")
    assert code == 3 and out.startswith("skipped") and "--offline" in err
    code, out, _ = run_cli(capsys, "catalog", "list", "--format", "json")
    assert json.loads(out)[0]["status"] == "not fetched"
    assert server.requests == []


def test_list_flags_a_cached_copy_that_fails_a_new_pin(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(isolated, server.url())
    server.script(ok())
    run_cli(capsys, "catalog", "update")
    config.write_text(config.read_text() + f'sha256 = "{sha256_hex(CATALOG_V2)}"\n')
    assert "not trusted" in run_cli(capsys, "catalog", "list", "--format", "json")[2]  # changed
    trust.record(config, trust.file_sha256(config))
    _, out, _ = run_cli(capsys, "catalog", "list", "--format", "json")
    assert "sha256 mismatch" in json.loads(out)[0]["status"]


# -- the World ------------------------------------------------------------------------------

def offering_records(out: str) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(out)}


def test_offerings_include_the_remote_catalog_with_url_and_hash(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    server.script(ok())
    code, out, err = run_cli(capsys, "offerings", "--format", "json")
    assert code == 0, err
    record = offering_records(out)["acme/h100x8"]
    assert record["layer"] == "remote" and record["file"] == server.url()
    assert record["price_per_node_hour"] == 19.5
    from advisor.catalog.config import load_world

    origin = load_world().origin("offering", "acme/h100x8")  # from the cache, no request
    assert origin is not None and origin.sha256 == sha256_hex(CATALOG)
    assert origin.path == server.url() and origin.layer == "remote"
    assert len(server.requests) == 1


def test_quote_prices_the_remote_offering_and_lists_its_source(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    server.script(ok())
    code, out, err = run_cli(capsys, "quote", "--model", "70b", "--ctx", "8k",
                             "--provider", "Acme GPU", "--format", "json")
    assert code == 0, err
    quote = json.loads(out)
    assert [r["offering"] for r in quote["results"]] == ["acme/h100x8"]
    assert quote["results"][0]["usd_per_node_hour"] == 19.5
    remote_sources = [s for s in quote["sources"] if s["layer"] == "remote"]
    assert remote_sources == [{**remote_sources[0], "path": server.url(),
                               "sha256": sha256_hex(CATALOG)}]


def test_server_gone_uses_the_cached_catalog_with_a_warning(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url(), 'refresh = "0"\n')  # revalidate on every run
    server.script(ok())
    assert run_cli(capsys, "offerings", "--format", "json")[0] == 0
    server.stop()
    code, out, err = run_cli(capsys, "offerings", "--format", "json")
    assert code == 0 and "acme/h100x8" in offering_records(out)
    assert f"could not refresh remote catalog {server.url()}" in err
    assert "using the cached copy last confirmed" in err


def test_no_copy_and_no_server_is_a_clear_error_unless_offline(
    isolated: Path, server: ScriptedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(isolated, server.url())
    server.stop()
    code, out, err = run_cli(capsys, "offerings", "--format", "json")
    assert code == 3 and out == ""
    assert server.url() in err and "--offline" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, "--offline", "offerings", "--format", "json")
    assert code == 0 and "acme/h100x8" not in offering_records(out)
    assert "skipped" in err


def test_headless_path_imports_httpx_only_when_a_fetch_is_due(
    isolated: Path, server: ScriptedServer,
) -> None:
    probe = (
        "import sys; from advisor.cli import main; code = main(sys.argv[1:]); "
        "print('\\nMODULES', 'httpx' in sys.modules, 'advisor.catalog.remote.fetch' in sys.modules, code)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def modules(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-c", probe, *argv], env=env, cwd=isolated,
                              capture_output=True, text=True, check=False)
        return done.stdout.rsplit("MODULES", 1)[-1].strip()

    assert modules("offerings", "--format", "json") == "False False 0"  # no [[remote]]
    write_config(isolated, server.url())
    server.script(ok())
    assert modules("offerings", "--format", "json") == "True True 0"  # first fetch
    assert modules("offerings", "--format", "json") == "False False 0"  # fresh cache
