"""Team data the tests write: the shape of a Llama-3.1-8B-like model, shared by the files that
need a team model profile, and efficiency entries with cross-validated error bands (the shipped
profiles have none until the refit)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from advisor.domain import EfficiencyFactors

# The body of a dense 8B model (32 layers, GQA with 8 KV heads); no braces, so it can be joined
# into templates that are later `.format()`-ed.
SHAPE_8B = """\
layers = 32
hidden = 4096
intermediate = 14336
heads = 32
kv_heads = 8
head_dim = 128
vocab = 128256
"""


def efficiency_toml(entries: Iterable[EfficiencyFactors], *, band_pct: float | None, band_moe_pct: float | None = None,
                    band_rows: int = 54) -> str:
    """`[[efficiency]]` tables that replace `entries` (same ids) with the same factors and the
    given cross-validated error bands, as a refit would write them (fitted: rows = band_rows)."""
    from dataclasses import fields

    bands = {"band_pct": band_pct, "band_moe_pct": band_moe_pct, "band_rows": band_rows, "rows": band_rows}
    tables = []
    for entry in entries:
        lines = ["[[efficiency]]"]
        for field in fields(entry):
            value = bands[field.name] if field.name in bands else getattr(entry, field.name)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                lines.append(f"{field.name} = {_toml_string(value)}")
            elif isinstance(value, bool):
                lines.append(f"{field.name} = {'true' if value else 'false'}")
            elif isinstance(value, int | float):
                lines.append(f"{field.name} = {value!r}")
            else:  # a date
                lines.append(f"{field.name} = {value.isoformat()}")
        tables.append("\n".join(lines))
    return "\n\n".join(tables) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def banded_team_repo(folder: Path, band: float = 18.0, moe_band: float = 31.0) -> Path:
    """A team repository (advisor.toml + bands.toml) giving every shipped vLLM efficiency entry a
    dense and a MoE band, fitted on 54 rows; the factors stay the shipped ones."""
    from advisor.catalog.config import load_world

    shipped = [e for e in load_world(discover=False).efficiency.values() if e.engine == "vllm"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "advisor.toml").write_text('profiles = ["bands.toml"]\n', encoding="utf-8")
    (folder / "bands.toml").write_text(efficiency_toml(shipped, band_pct=band, band_moe_pct=moe_band),
                                       encoding="utf-8")
    return folder
