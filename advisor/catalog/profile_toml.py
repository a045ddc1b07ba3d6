"""A model profile as a `[[model]]` TOML table, and appending one to a profile file.

The text is built from plain values only (`advisor.catalog.toml_writer`), in the
key order of the shipped profiles. Appending reads the file bounded, refuses an id the file
already has, checks the whole new text with the catalog loader (what `advisor check` runs),
and writes atomically unless the file changed meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.catalog.toml_writer import toml_value
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

ORDER = ("id", "name", "aliases", "family", "hf_repo", "total_params", "active_params", "layers",
         "hidden", "intermediate", "heads", "kv_heads", "head_dim", "vocab", "tie_embeddings",
         "max_context", "attention", "mla", "sparse", "linear", "moe", "native_dtype", "source",
         "as_of", "notes")


def model_toml(fields: dict[str, Any]) -> str:
    """The `[[model]]` table of `fields` (profile field names), one key per line."""
    lines = ["[[model]]"]
    for key in ORDER:
        if fields.get(key) not in (None, "", ()):
            lines.append(f"{key} = {_value(fields[key])}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    return toml_value(value, _number)


def _number(value: float) -> str:
    if value < 1e6 or not value.is_integer():
        return repr(value)
    # Parameter counts: exact when not a whole number of millions, else in billions.
    return f"{value / 1e9:.6g}e9" if value % 1e6 == 0 else str(int(value))


def append_profile(target: Path, model_id: str, block: str) -> None:
    """Add `block` to `target` (created when absent) after checking the whole result."""
    from advisor.catalog.loaders import load_catalog_bytes
    from advisor.catalog.toml_reader import MAX_FILE_BYTES
    from advisor.files import InputError, read_input, write_atomic

    if target.is_symlink():
        raise AdvisorError(f"{target} is a symlink; name the file it points to",
                           exit_code=EXIT_BAD_INPUT)
    existed = target.exists()
    before = read_input(target, max_bytes=MAX_FILE_BYTES).decode("utf-8", "replace") if existed else ""
    separator = "" if not before else "\n" if before.endswith("\n") else "\n\n"
    after = before + separator + block
    if before and any(e.kind == "model" and e.id == model_id
                      for e in load_catalog_bytes(before.encode("utf-8"), str(target)).entries):
        raise AdvisorError(f"{target}: a model with id {model_id!r} is already there; "
                           "choose another with --id", exit_code=EXIT_BAD_INPUT)
    loaded = load_catalog_bytes(after.encode("utf-8"), str(target))
    if loaded.problems:
        raise AdvisorError(f"not written: {loaded.problems[0].render()}", exit_code=EXIT_BAD_INPUT)
    current = read_input(target, max_bytes=MAX_FILE_BYTES).decode("utf-8", "replace") if target.exists() else ""
    if current != before or target.exists() != existed:
        raise AdvisorError(f"{target} changed while importing; run the command again",
                           exit_code=EXIT_BAD_INPUT)
    try:
        write_atomic(target, after.encode("utf-8"), overwrite=existed)
    except (OSError, InputError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise AdvisorError(f"cannot write {target}: {reason}", exit_code=EXIT_BAD_INPUT) from None

