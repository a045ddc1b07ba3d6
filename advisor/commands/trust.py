"""`advisor trust [PATH]`: allow a discovered team config to fetch its remote catalogs and read
paths outside its repository, as `direnv allow` does; `--list` and `--revoke`.

The record is the config's resolved path and the SHA-256 of its bytes in the user config dir;
a file changed since is untrusted again. PATH is a config file or a folder (default: the
config found upward from here). Exit codes: 0 ok, 2 no config found, unsafe file, unwritable
store. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "trust a team advisor.toml: allow its remote catalogs and paths outside its repository"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="config file or folder (default: the advisor.toml found upward)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="list trusted configs and whether they changed")
    what.add_argument("--revoke", action="store_true", help="stop trusting the config")


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    from advisor.catalog.paths import unsafe_reason
    from advisor.catalog.trust import file_sha256
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError
    from advisor.export.terminal import safe_text

    config = _config(args.path)
    if args.revoke:
        print(f"revoked {safe_text(str(_record(config, None)))}")
        return 0
    why = unsafe_reason(config)
    digest = file_sha256(config)
    if why is not None or digest is None:
        raise AdvisorError(f"{config}: not trusted: {why or 'not a readable regular file'}",
                           exit_code=EXIT_BAD_INPUT)
    print(f"trusted {safe_text(str(_record(config, digest)))} (sha256 {digest[:12]})")
    return 0


def _config(given: str | None) -> Path:
    """The config file named (a folder: the config in it or found upward from it)."""
    from advisor.catalog.paths import find_team_config
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    start = Path(given).expanduser() if given else Path.cwd()
    if given and not start.is_dir():
        if not start.is_file():
            why = "not a regular file (a pipe or device?)" if start.exists() else "no such file"
            raise AdvisorError(f"{given}: {why}", exit_code=EXIT_BAD_INPUT)
        return start
    found = find_team_config(start)
    if found is None:
        raise AdvisorError(f"no advisor.toml found from {start} up to its repository root",
                           exit_code=EXIT_BAD_INPUT)
    return found


def _record(config: Path, digest: str | None) -> Path:
    from advisor.catalog.trust import record as write_record
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    try:
        return write_record(config, digest)
    except OSError as exc:
        raise AdvisorError(f"cannot record trust for {config}: {exc.strerror or exc}",
                           exit_code=EXIT_BAD_INPUT) from None


def _list() -> int:
    from advisor.catalog.trust import file_sha256, trusted
    from advisor.export.terminal import safe_text

    for path, digest in trusted().items():
        current = file_sha256(Path(path))
        state = "trusted" if current == digest else "missing" if current is None else "changed"
        print(f"{state:<8} {safe_text(path)}")
    return 0
