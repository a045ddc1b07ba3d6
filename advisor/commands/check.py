"""`advisor check PATH…`: validate team catalog, profile and config files, every problem at once.

Prints one line per problem on stderr (`file:line: key: message (did you mean …)`) and exits 2,
or a short summary on stdout and exits 0. Must not import textual or httpx.
"""

from __future__ import annotations

import argparse

PLURALS = {"accelerator": "accelerators", "offering": "offerings", "model": "models",
           "workload": "workloads", "efficiency": "efficiency entries", "tenancy": "tenancy factors"}
HELP = "validate team catalog/profile/config files and report every problem at once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="TOML files or folders of them (advisor.toml is checked as a config)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from advisor.config import check_paths
    from advisor.console import safe_text
    from advisor.errors import EXIT_BAD_INPUT
    from advisor.tomlsafe import raise_problems

    report = check_paths([Path(p) for p in args.paths])
    raise_problems(report.problems, EXIT_BAD_INPUT)
    entries = ", ".join(f"{n} {PLURALS[kind] if n != 1 else kind}" for kind, n in sorted(report.counts.items()))
    files = len(report.files)
    print(safe_text(f"ok: {files} file{'s' if files != 1 else ''}, {entries or 'no entries'}; no problems"))
    return 0
