"""Which remote catalogs the applicable configs list: user, team, then `--config`.

Shared by `advisor catalog update|list` and the TUI's background refresh, which must not import
the CLI commands. Reads the configs only; no network, no cache writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from advisor.catalog.remote.sync import RemoteSpec


def config_files(args: argparse.Namespace, skipped: list[str] | None = None) -> list[Path]:
    """Config files whose `[[remote]]` entries apply: user, team, then `--config`. A discovered
    team config counts only when it is safe and trusted (`advisor trust`); otherwise a line
    saying why goes to `skipped`."""
    from advisor.catalog.paths import USER_CONFIG_NAME, find_team_config, unsafe_reason, user_config_dir
    from advisor.catalog.trust import is_trusted

    found: list[Path] = []
    if not getattr(args, "no_discover", False):
        user = user_config_dir() / USER_CONFIG_NAME
        found.extend([user] if user.is_file() else [])
        team = find_team_config(Path.cwd())
        why = unsafe_reason(team) if team is not None else None
        if team is not None and why is None and is_trusted(team):
            found.append(team)
        elif team is not None and skipped is not None:
            reason = f"ignored: {why}" if why else \
                f"not trusted, its remote catalogs are skipped; run `advisor trust {team}` to allow them"
            skipped.append(f"{team}: {reason}")
    if getattr(args, "config", None):
        found.append(Path(args.config).expanduser())
    return found


def listed_specs(args: argparse.Namespace, skipped: list[str] | None = None) -> list[RemoteSpec]:
    """A RemoteSpec for every `[[remote]]` entry of the applicable configs (first URL wins);
    why a discovered config was left out goes to `skipped`."""
    from advisor.catalog.remote.cache import normalize_sha256, parse_interval_s
    from advisor.catalog.team_config import read_config
    from advisor.catalog.toml_reader import raise_problems
    from advisor.errors import EXIT_BAD_CATALOG

    specs: dict[str, RemoteSpec] = {}
    for path in config_files(args, skipped):
        read = read_config(path)
        raise_problems(read.problems, EXIT_BAD_CATALOG)
        for index, entry in enumerate(read.config.remote if read.config else ()):
            line = read.parsed.line_of((*read.base, "remote", index)) if read.parsed else None
            specs.setdefault(entry.url, RemoteSpec(
                url=entry.url,
                sha256=normalize_sha256(entry.sha256) if entry.sha256 else "",
                refresh_s=parse_interval_s(entry.refresh),
                configured_in=f"{path}:{line}" if line else str(path),
            ))
    return list(specs.values())
