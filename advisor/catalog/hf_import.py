"""`advisor models import`: a Hugging Face checkpoint's config.json (and, where present, its
model.safetensors.index.json) turned into an ordinary model profile.

A local PATH (the config file or the folder holding it) is read here with bounded readers; a
URL goes through the remote-catalog machinery (`advisor.catalog.remote.documents`: https
only, cache, sha256 pin, --offline). The profile is validated exactly as a team file is, shown
as TOML, and with `--write` appended atomically to a profile file after the whole new file has
been checked. Problems are one `AdvisorError` line naming file, line and key (exit 2).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.catalog.hf_config import ConfigError, map_config
from advisor.catalog.profile_toml import append_profile, model_toml
from advisor.core.params import counted_params
from advisor.domain import ModelProfile
from advisor.domain.validation import validate
from advisor.errors import EXIT_BAD_INPUT, AdvisorError
from advisor.files import InputError, loads_json, read_input

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"
MAX_CONFIG_BYTES = 1024 * 1024
MAX_INDEX_BYTES = 32 * 1024 * 1024  # a 1T-parameter MoE lists ~100k tensors (~10 MB)
_HUB = re.compile(r"^https://huggingface\.co/([\w.-]+/[\w.-]+)(?:/(?:resolve|blob)/([\w.-]+)/.*)?/?$")


@dataclass(frozen=True, slots=True)
class Document:
    """One JSON file as read: its text and where it came from (for messages and provenance)."""

    text: str
    name: str


@dataclass(frozen=True, slots=True)
class Source:
    """What an import reads: the config, the optional index, and how to cite them."""

    config: Document
    index: Document | None
    cite: str  # path or URL of the config
    hf_repo: str  # "org/name" when known


@dataclass(frozen=True, slots=True)
class Imported:
    """The profile, its TOML text and how its parameter count was reached."""

    profile: ModelProfile
    toml: str
    counted_total: float  # from the shape alone
    count_source: str  # "shape" or the index file


def read_source(target: str, *, repo: str = "", pin: str = "", offline: bool = False) -> Source:
    """The config (and index, when there is one) of a local PATH or an https:// URL."""
    if target.startswith(("https://", "http://")):
        return _remote_source(target, pin=pin, offline=offline)
    path = Path(target)
    config_path = path / CONFIG if path.is_dir() else path
    config = _local(config_path, MAX_CONFIG_BYTES)
    index_path = config_path.parent / INDEX
    index = _local(index_path, MAX_INDEX_BYTES) if index_path.is_file() else None
    return Source(config, index, str(config_path), repo)


def _local(path: Path, max_bytes: int) -> Document:
    data = read_input(path, max_bytes=max_bytes, what=f"a {CONFIG} file or a folder holding one")
    return Document(_decoded(data, str(path)), str(path))


def _decoded(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(name, "not UTF-8 text") from None


def _remote_source(url: str, *, pin: str, offline: bool) -> Source:
    from advisor.catalog.remote.documents import fetch_document

    hub = _HUB.match(url)
    if hub and not url.endswith(".json"):
        base = f"https://huggingface.co/{hub.group(1)}/resolve/main"
        config_url = f"{base}/{CONFIG}"
    else:
        config_url = url
        base = url.rsplit("/", 1)[0]
    body = fetch_document(config_url, pin=pin, offline=offline, max_bytes=MAX_CONFIG_BYTES)
    assert body is not None  # a required document either arrives or raises
    index_body = fetch_document(f"{base}/{INDEX}", offline=offline, max_bytes=MAX_INDEX_BYTES,
                                optional=True)
    index = Document(_decoded(index_body, f"{base}/{INDEX}"), f"{base}/{INDEX}") if index_body else None
    return Source(Document(_decoded(body, config_url), config_url), index, config_url,
                  hub.group(1) if hub else "")


def import_profile(source: Source, *, model_id: str = "", name: str = "",
                   ignore: frozenset[str] = frozenset(), today: dt.date | None = None) -> Imported:
    """The validated profile of `source`; AdvisorError naming file, line and key otherwise."""
    config = _json_object(source.config)
    try:
        mapped = map_config(config, ignore=ignore)
    except ConfigError as exc:
        raise AdvisorError(f"{_where(source.config, exc.key)}: {exc}", exit_code=EXIT_BAD_INPUT) from None
    label = name or _label(source)
    fields = dict(mapped.fields)
    fields.update(id=model_id or _slug(label), name=label, hf_repo=source.hf_repo,
                  source=source.cite, as_of=today or dt.date.today())
    provisional = _validated(source, {**fields, "total_params": 1e13})
    total, active = counted_params(provisional)
    exact = _index_total(source.index, fields["native_dtype"])
    notes = list(mapped.notes)
    if exact is not None:
        notes.append(f"total_params from {INDEX}; the shape alone counts {total / 1e9:.2f} B.")
    else:
        notes.append("total_params counted from the shape (norms and biases left out).")
    fields["total_params"] = float(exact if exact is not None else round(total, -6))
    if "moe" in fields:
        fields["active_params"] = min(round(active, -6), fields["total_params"])
    fields["notes"] = " ".join(notes)
    profile = _validated(source, fields)
    return Imported(profile, model_toml(fields), total, INDEX if exact is not None else "shape")


def write_import(imported: Imported, target: Path) -> None:
    """Append the profile to `target` (created when absent), atomically, after checking it."""
    append_profile(target, imported.profile.id, imported.toml)


def _json_object(doc: Document) -> dict[str, Any]:
    import json

    try:
        value = loads_json(doc.text, doc.name)
    except json.JSONDecodeError as exc:
        raise AdvisorError(f"{doc.name}:{exc.lineno}: not valid JSON: {exc.msg}",
                           exit_code=EXIT_BAD_INPUT) from None
    if not isinstance(value, dict):
        raise AdvisorError(f"{doc.name}: expected a JSON object", exit_code=EXIT_BAD_INPUT)
    return value


def _where(doc: Document, key: str) -> str:
    """`name:line: key` with the line of the key's first appearance (1 when not found)."""
    last = key.rsplit(".", 1)[-1]
    offset = doc.text.find(f'"{last}"')
    line = doc.text.count("\n", 0, offset) + 1 if offset >= 0 else 1
    return f"{doc.name}:{line}: {key}"


# Profile fields and the config.json keys they come from, for messages.
CONFIG_KEYS = {
    "layers": "num_hidden_layers", "hidden": "hidden_size", "heads": "num_attention_heads",
    "kv_heads": "num_key_value_heads", "head_dim": "head_dim", "vocab": "vocab_size",
    "max_context": "max_position_embeddings", "intermediate": "intermediate_size",
    "moe.experts": "num_experts", "moe.experts_per_token": "num_experts_per_tok",
    "moe.expert_intermediate": "moe_intermediate_size", "moe.shared_experts": "n_shared_experts",
    "moe.dense_layers": "first_k_dense_replace", "sparse.topk": "index_topk",
}


def _validated(source: Source, fields: dict[str, Any]) -> ModelProfile:
    from pydantic import ValidationError

    try:
        profile: ModelProfile = validate(ModelProfile, **fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
        message = str(first["msg"]).removeprefix("Value error, ")
        key = CONFIG_KEYS.get(field, field)
        where = _where(source.config, key) if key else source.config.name
        raise AdvisorError(f"{where}: {message}", exit_code=EXIT_BAD_INPUT) from None
    return profile


def _index_total(index: Document | None, dtype: str) -> int | None:
    """Parameters the checkpoint holds: metadata.total_parameters when recorded, else
    total_size / 2 for an unquantized bf16/fp16 checkpoint (every tensor 2 bytes)."""
    if index is None:
        return None
    meta = _json_object(index).get("metadata", {})
    if not isinstance(meta, dict):
        return None
    total = _count(meta.get("total_parameters"))
    if total:
        return total
    size = _count(meta.get("total_size"))
    return size // 2 if size and dtype in ("bf16", "fp16") and size % 2 == 0 else None


def _count(value: Any) -> int | None:
    """A plausible count (an integer above a million), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1_000_000 else None


def _label(source: Source) -> str:
    if source.hf_repo:
        return source.hf_repo.rsplit("/", 1)[-1]
    parent = Path(source.cite).parent.name if not source.cite.startswith("http") else ""
    return parent or "imported-model"


def _slug(label: str) -> str:
    slug = re.sub(r"[^a-z0-9._+-]+", "-", label.lower()).strip("-.")
    return slug[:80] or "imported-model"


def summary(imported: Imported) -> str:
    """One line: id, parameters and how they were counted, KV per token, fixed state."""
    from advisor.core.memory import kv_bytes_per_token, state_bytes_per_sequence
    from advisor.core.params import shape
    from advisor.core.types import Layout

    s = shape(imported.profile)
    kv = kv_bytes_per_token(s, Layout(), "bf16")[0]
    state = state_bytes_per_sequence(s, Layout())
    fixed = f" + {state / 2**20:,.1f} MiB state per sequence" if state else ""
    return (f"{imported.profile.id}: {imported.profile.total_params / 1e9:,.2f} B parameters "
            f"({imported.count_source}), KV {kv:,.0f} bytes per token in bf16{fixed}")
