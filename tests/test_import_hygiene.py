"""The headless path never imports textual or httpx, and pint only when a unit string is parsed;
a JSON quote on the built-in data imports neither rich nor pydantic.

Each check runs the real entry point in a fresh interpreter and inspects `sys.modules` after it
finished (an atexit hook prints them), so a lazy import anywhere on the path is caught.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import atexit, json, sys
def _report():
    watched = ('textual', 'httpx', 'pint', 'rich', 'pydantic', 'dataclasses')
    names = sorted(m for m in sys.modules if m.split('.')[0] in watched)
    sys.stderr.write('\\nMODULES ' + json.dumps(sorted({m.split('.')[0] for m in names})) + '\\n')
atexit.register(_report)
sys.argv = ['advisor'] + sys.argv[1:]
from advisor.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def loaded_after(*args: str, cwd: Path) -> tuple[int, set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("ADVISOR_CONFIG", None)
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    line = next(ln for ln in result.stderr.splitlines() if ln.startswith("MODULES "))
    return result.returncode, set(json.loads(line.removeprefix("MODULES "))), result.stdout


@pytest.mark.parametrize(
    "args",
    [("quote", "--help"),
     ("quote", "--model", "405b", "--ctx", "32k", "--format", "json"),
     ("quote", "--model", "70b", "--all"),
     ("quote", "--model", "405b", "--ctx", "32k", "--explain", "lambda/gpu-8x-h100-sxm5")],
)
def test_headless_quote_imports_neither_textual_nor_httpx_nor_pint(args: tuple[str, ...], tmp_path: Path) -> None:
    code, modules, stdout = loaded_after(*args, cwd=tmp_path)
    assert code == 0, stdout
    assert stdout.strip()
    assert not modules & {"textual", "httpx", "pint"}, modules


def test_json_quote_on_the_built_ins_imports_neither_rich_nor_pydantic(tmp_path: Path) -> None:
    # Shipped data is trusted (the suite validates it) and the flags' request checks itself, so
    # only untrusted files pay for pydantic.
    code, modules, _ = loaded_after("quote", "--model", "405b", "--ctx", "32k", "--format", "json", cwd=tmp_path)
    assert code == 0 and not modules & {"rich", "pydantic"}, modules


def test_pint_loads_only_when_a_team_file_uses_a_unit_string(tmp_path: Path) -> None:
    (tmp_path / "prices.toml").write_text(
        '[[offering]]\nid = "acme/h100x8"\nprovider = "Acme"\nsku = "h100x8"\naccelerator = "h100-sxm"\n'
        'gpus_per_node = 8\nintra_fabric = "nvswitch"\nintra_bytes_per_s = "450 GB/s"\n'
        'tenancy = "bare-metal"\nprice_per_node_hour = 20.0\ncurrency = "USD"\nas_of = 2026-01-01\n'
        'source = "test"\n'
    )
    (tmp_path / "advisor.toml").write_text('catalogs = ["prices.toml"]\n')
    code, modules, stdout = loaded_after("quote", "--model", "405b", "--format", "json", "--all", cwd=tmp_path)
    assert code == 0, stdout
    assert "pint" in modules and not modules & {"textual", "httpx"}
    assert any(r["offering"] == "acme/h100x8" for r in json.loads(stdout)["results"])
