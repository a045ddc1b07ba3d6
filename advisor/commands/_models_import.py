"""`advisor models import PATH|URL`: arguments and output of the profile importer.

The work (reading, mapping, counting, writing) is `advisor.catalog.hf_import`; this module
only turns flags into a call and prints: the TOML on stdout (or a confirmation with --write),
one summary line on stderr. Exit codes: 0 ok, 2 bad input, 3 nothing usable from the network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

IMPORT_HELP = "write a model profile from a Hugging Face config.json (path or URL)"


def add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("import", help=IMPORT_HELP, description=IMPORT_HELP)
    parser.add_argument("source", metavar="PATH|URL",
                        help="config.json, a folder holding it, or an https:// URL "
                             "(https://huggingface.co/ORG/NAME for a Hub repository)")
    parser.add_argument("--write", metavar="FILE",
                        help="append the profile to this TOML file (created when absent)")
    parser.add_argument("--id", dest="model_id", default="", help="profile id (default: from the name)")
    parser.add_argument("--name", default="", help="display name (default: the repository or folder name)")
    parser.add_argument("--repo", default="", help="Hugging Face repository ORG/NAME to record for a local PATH")
    parser.add_argument("--sha256", default="", help="pin: refuse a downloaded config.json unless it has this hash")
    parser.add_argument("--ignore-field", action="append", default=[], metavar="KEY",
                        help="accept this unknown config key as not changing size or attention (repeatable)")


def run_import(args: argparse.Namespace) -> int:
    from advisor.catalog.hf_import import import_profile, read_source, summary, write_import
    from advisor.catalog.remote.cache import normalize_sha256

    pin = normalize_sha256(args.sha256) if args.sha256 else ""
    source = read_source(args.source, repo=args.repo, pin=pin, offline=args.offline)
    imported = import_profile(source, model_id=args.model_id, name=args.name,
                              ignore=frozenset(args.ignore_field))
    if args.write:
        write_import(imported, Path(args.write))
        print(f"wrote model {imported.profile.id} to {args.write}")
    else:
        sys.stdout.write(imported.toml)
    print(f"advisor: {summary(imported)}", file=sys.stderr)
    return 0
