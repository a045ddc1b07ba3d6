"""`advisor check [PATH…]`: validate team catalog, profile and config files, every problem at once;
with no PATH, the files the tool would load (user config dir, the team config found upward,
`--config`), each file once however often it is named.

Prints one line per problem on stderr (`file:line: key: message (did you mean …)`) and exits 2,
or a short summary on stdout and exits 0. Entries that validate but look wrong (prices, memory,
bandwidths, parameter counts, names: `advisor.catalog.sanity`) are warnings on stderr
(`advisor: warning: file:line: key: message`); `--strict` makes them problems (exit 2).
Must not import textual or httpx.
"""

from __future__ import annotations

import argparse

PLURALS = {"accelerator": "accelerators", "offering": "offerings", "model": "models",
           "workload": "workloads", "efficiency": "efficiency entries", "tenancy": "tenancy factors",
           "api_price": "API prices"}
HELP = "validate team catalog/profile/config files and report every problem at once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="TOML files or folders of them (advisor.toml is checked as a config); "
                        "default: the team config found upward and the user config dir, as the tool loads them")
    # Its own dest: a global --strict would be overwritten by this subparser's default.
    parser.add_argument("--strict", dest="check_strict", action="store_true",
                        help="treat sanity warnings (implausible prices, memory, bandwidths, "
                        "parameter counts, clashing names) as errors")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from advisor.catalog.check import check_discovered, check_paths
    from advisor.catalog.config import builtin_world
    from advisor.catalog.sanity import sanity_problems
    from advisor.catalog.toml_reader import printable, raise_problems
    from advisor.catalog.world import BUILTIN
    from advisor.errors import EXIT_BAD_INPUT
    from advisor.export.terminal import print_warnings, safe_text

    strict = bool(args.check_strict or getattr(args, "strict", False))
    if args.paths:
        report = check_paths([Path(p) for p in args.paths])
    else:
        report = check_discovered(getattr(args, "config", None), discover=not getattr(args, "no_discover", False))
    print_warnings(report.warnings)
    world = report.world
    layers = {o.layer for o in world.origins.values()} - {BUILTIN} if world is not None else set()
    warnings = sanity_problems(world, layers=layers, load_builtins=builtin_world) if world is not None else []
    if strict:
        raise_problems([*report.problems, *warnings], EXIT_BAD_INPUT)
    for warning in warnings:
        print(f"advisor: warning: {printable(warning.render())}", file=sys.stderr)
    raise_problems(report.problems, EXIT_BAD_INPUT)
    entries = ", ".join(f"{n} {PLURALS[kind] if n != 1 else kind}" for kind, n in sorted(report.counts.items()))
    files = len(report.files)
    noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
    print(safe_text(f"ok: {files} file{'s' if files != 1 else ''}, {entries or 'no entries'}; no problems{noted}"))
    return 0
