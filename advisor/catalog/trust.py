"""Which discovered config files the user has trusted (`advisor trust`), as `direnv allow` does.

A discovered config may add local files inside its repository without consent; remote
catalogs and paths outside the repository need the user to trust that exact file once. The
record is the file's resolved path and the SHA-256 of its bytes, kept as a small JSON object
in the user config dir (`trusted.json`); a file whose bytes changed is untrusted again.
Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from advisor.catalog.paths import user_config_dir
from advisor.errors import AdvisorError
from advisor.files import read_input

TRUST_FILE = "trusted.json"
MAX_TRUST_BYTES = 1024 * 1024
MAX_CONFIG_BYTES = 2 * 1024 * 1024  # as the TOML reader's own cap


def trust_path() -> Path:
    return user_config_dir() / TRUST_FILE


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a regular file's bytes (None when unreadable, not regular or too big)."""
    try:
        data = read_input(path, max_bytes=MAX_CONFIG_BYTES)  # never blocks on a planted FIFO
    except AdvisorError:
        return None
    return hashlib.sha256(data).hexdigest()


def trusted() -> dict[str, str]:
    """Resolved path -> SHA-256 of every trusted config; an unreadable store trusts nothing."""
    try:
        data = json.loads(read_input(trust_path(), max_bytes=MAX_TRUST_BYTES))
    except (AdvisorError, ValueError, RecursionError):
        return {}
    entries = data.get("trusted") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def is_trusted(config: Path) -> bool:
    """Whether this file, with these exact bytes, was trusted by the user."""
    key = _key(config)
    if key is None:
        return False
    recorded = trusted().get(key)
    return recorded is not None and recorded == file_sha256(Path(key))


def record(config: Path, sha256: str | None) -> Path:
    """Trust `config` at `sha256` (None revokes it); returns the resolved path recorded.
    Raises OSError when the store cannot be written."""
    key = _key(config)
    if key is None:
        raise FileNotFoundError(f"{config}: cannot resolve")
    entries = trusted()
    if sha256 is None:
        entries.pop(key, None)
    else:
        entries[key] = sha256
    from advisor.files import write_atomic

    store = trust_path()
    store.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"version": 1, "trusted": dict(sorted(entries.items()))}, indent=2) + "\n"
    write_atomic(store, body.encode("utf-8"), overwrite=True, mode=0o600)
    return Path(key)


def _key(config: Path) -> str | None:
    try:
        return str(config.expanduser().resolve(strict=True))
    except (OSError, RuntimeError, ValueError):
        return None
