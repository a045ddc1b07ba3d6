"""The built-in catalogs and profiles ship inside the wheel and load from it (zipimport), not
only from the source tree: build a wheel from a copy of the sources, import it alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, advisor
from advisor.catalog.config import load_world
from advisor.catalog.paths import builtin_files
world = load_world(discover=False)
print(json.dumps({
    "module": advisor.__file__,
    "files": [f.path for f in builtin_files()],
    "accelerators": len(world.accelerators), "offerings": len(world.offerings),
    "models": len(world.models), "workloads": len(world.workloads),
    "resolves": world.model("405b").id,
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("advisor", "catalogs", "profiles"):
        shutil.copytree(REPO_ROOT / name, source / name, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(source)], check=True, cwd=source, timeout=600)
    (built,) = out.glob("advisor-*.whl")
    return built


def test_builtin_world_loads_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["module"].startswith(str(wheel)), "imported the source tree, not the wheel"
    assert all(path.startswith(str(wheel)) for path in found["files"])
    names = {Path(p).name for p in found["files"]}
    assert {"hardware.toml", "models.toml", "workloads.toml"} <= names
    source_world = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    expected = json.loads(source_world.stdout)
    for key in ("accelerators", "offerings", "models", "workloads"):
        assert found[key] == expected[key] > 0, key
    assert found["resolves"] == "llama-3.1-405b"


def test_wheel_carries_the_schema(wheel: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "advisor/catalogs/catalog.schema.json" in names
    assert "advisor/catalogs/config.schema.json" in names


def test_wheel_carries_the_calibration_set_and_its_fit(wheel: Path) -> None:
    # bug: the cross-validated table and the warm start of `validate --cv` were not in the wheel,
    # so an installed `advisor validate` printed no cross-validated table
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for name in ("calibration_cv.json", "calibration_parts.json", "benchmarks.csv", "efficiency.toml",
                 "measurements/vllm_nvidia.csv", "measurements/sglang_nvidia.csv",
                 "measurements/amd_instinct.csv", "measurements/blackwell_pcie.csv",
                 "measurements/vllm_more.csv", "measurements/sglang_more.csv",
                 "measurements/collectives.csv", "measurements/README.md"):
        assert f"advisor/profiles/{name}" in names, name


def test_every_module_of_the_source_tree_ships_in_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """Regression: `advisor.export.recipe` and `advisor.catalog.feeds` were missing from the
    wheel's package list, so `pip install .` gave an `advisor` whose every command failed with
    ModuleNotFoundError while the editable install the tests use worked."""
    modules = sorted(".".join(p.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
                     for p in (REPO_ROOT / "advisor").rglob("*.py"))
    probe = ("import importlib, json, sys\n"
             f"mods = {modules!r}\n"
             "bad = [m for m in mods if not importlib.util.find_spec(m) or "
             "not importlib.util.find_spec(m).origin.startswith(sys.argv[1])]\n"
             "print(json.dumps(bad))\n")
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run([sys.executable, "-c", "import importlib.util\n" + probe, str(wheel)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    cli = subprocess.run([sys.executable, "-m", "advisor", "--no-discover", "quote", "--help"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
